"""`packstation` — the one entry point. Each layer registers its own sub-commands in its
`commands` module (named here by string so the core imports no layer above it); a command's
heavy imports happen only when it runs."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from app import __version__
from app.config import ConfigError

COMMAND_MODULES = (
    "app.commands",
    "app.stats_commands",
    "sync.commands",
    "hardware.commands",
    "hardware.printing.commands",
    "ui.commands",
)

log = logging.getLogger("packstation")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="packstation",
        description="Warehouse pick and pack station.",
    )
    parser.add_argument("--version", action="version", version=f"packstation {__version__}")
    parser.add_argument("--config", metavar="PATH", help="station TOML file (default: the platform config dir)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (name == exc.name or name.startswith(exc.name + ".")):
                raise  # a real import error inside an existing module
            continue
        mod.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"packstation: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
