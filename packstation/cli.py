"""`packstation` — the one entry point, above every layer. Each layer registers its own sub-commands in
its `commands` module; they are imported here by name (so the layering check sees every wire) and a
command's heavy imports happen only when it runs. A layer whose command module cannot be imported
because an optional package is missing is left out of the list rather than breaking every command;
a command that needs an extra says which one to install."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from types import ModuleType

from app import __version__
from app.config import ConfigError
from app.logsetup import FILE_ONLY, setup_logging

log = logging.getLogger("packstation")

# third-party module -> the extra that installs it (pyproject.toml [project.optional-dependencies])
OPTIONAL_MODULES = {
    "fastapi": "oms", "uvicorn": "oms", "starlette": "oms", "pydantic": "oms", "yaml": "oms",
    "keyring": "keyring", "evdev": "evdev",
}
OWN_PACKAGES = ("app", "hardware", "sync", "ui", "packstation")


def _core_commands() -> list[ModuleType]:
    from app import commands, stats_commands

    return [commands, stats_commands]


def _sync_commands() -> list[ModuleType]:
    from sync import commands

    return [commands]


def _device_commands() -> list[ModuleType]:
    from hardware import commands
    from hardware.printing import commands as printing_commands

    return [commands, printing_commands]


def _ui_commands() -> list[ModuleType]:
    from ui import commands

    return [commands]


def _root_commands() -> list[ModuleType]:
    from packstation import bench, doctor

    return [bench, doctor]


COMMAND_SOURCES: tuple[Callable[[], list[ModuleType]], ...] = (
    _core_commands, _sync_commands, _device_commands, _ui_commands, _root_commands)


def optional_missing(exc: ModuleNotFoundError) -> str | None:
    """The extra to install when `exc` is an optional package missing, else None."""
    top = (exc.name or "").split(".")[0]
    return OPTIONAL_MODULES.get(top)


def load_optional(source: Callable[[], list], what: str) -> list:
    """Call `source`; an optional package or a layer missing from this install leaves it out (logged)."""
    try:
        return source()
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top not in OPTIONAL_MODULES and top not in OWN_PACKAGES:
            raise  # a required dependency is missing: a broken install, say so loudly
        log.debug("%s left out: module %s is not installed", what, exc.name)
        return []


def _add_common(p: argparse.ArgumentParser, *, top: bool) -> None:
    """--config and -v on the top parser and on every sub-command, so `packstation doctor -v` works too."""
    d = {} if top else {"default": argparse.SUPPRESS}
    p.add_argument("--config", metavar="PATH", help="station TOML file (default: the platform config dir)",
                   **({"default": None} if top else d))
    p.add_argument("-v", "--verbose", action="store_true", help="debug messages on stderr and in the log",
                   **({"default": False} if top else d))


def _add_common_below(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                if not any("--verbose" in a.option_strings for a in child._actions):
                    _add_common(child, top=False)
                _add_common_below(child)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="packstation", description="Warehouse pick and pack station.")
    parser.add_argument("--version", action="version", version=f"packstation {__version__}")
    _add_common(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for source in COMMAND_SOURCES:
        for mod in load_optional(source, source.__name__.strip("_").replace("_", " ")):
            mod.register(sub)
    _add_common_below(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    logfile = setup_logging(verbose=args.verbose)
    words = " ".join(sys.argv[1:] if argv is None else argv)
    log.info("packstation %s started: %s (pid %d)", __version__, words or args.command, os.getpid())
    rc = 1
    try:
        rc = int(args.func(args) or 0)
        sys.stdout.flush()  # a pipe closed early is met here, not in the interpreter's flush at exit
    except ConfigError as exc:
        log.error("configuration problem: %s", exc, extra=FILE_ONLY)
        print(f"packstation: {exc}", file=sys.stderr)
        rc = 2
    except ModuleNotFoundError as exc:
        extra = optional_missing(exc)
        if extra is None:
            raise
        log.error("%s needs the %r extra (module %s is not installed)", args.command, extra, exc.name,
                  extra=FILE_ONLY)
        print(f"packstation {args.command}: this station install has no {exc.name}; install the {extra!r} "
              f"extra: pip install 'packstation[{extra}]' (or: bash scripts/setup.sh "
              f"{'demo' if extra == 'oms' else 'install'})", file=sys.stderr)
        rc = 3
    except KeyboardInterrupt:
        rc = 130
    except BrokenPipeError:
        # the reader left before the end (`packstation doctor | head`): nothing failed; it was a critical error with a
        # traceback in the log and a line on stderr. Python's own flush at exit must not say it again
        log.info("%s: its output was closed before the end (a pipe's reader left)", args.command)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        rc = 141  # 128 + SIGPIPE, as a shell reports a command ended by a closed pipe
    except Exception as exc:  # never a traceback in an operator's face: the whole story goes to the log
        log.critical("%s failed", args.command, exc_info=True, extra=FILE_ONLY)
        where = f"; details in {logfile}" if logfile else ""
        print(f"packstation {args.command}: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        rc = 1
    log.info("packstation %s finished with exit code %d", args.command, rc)
    return rc
