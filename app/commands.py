"""Core sub-commands: operators, backup, config (`bench` is the composition root's: packstation/bench.py)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("operators", help="manage operators (badge + PIN, role)")
    osub = p.add_subparsers(dest="op_command", metavar="ACTION", required=True)
    a = osub.add_parser("add", help="add or update an operator (PIN asked on the terminal if not given)")
    a.add_argument("--badge", required=True)
    a.add_argument("--name", required=True)
    a.add_argument("--role", required=True, choices=["picker", "packer", "supervisor"])
    a.add_argument("--pin", help="PIN digits (prefer the prompt: command lines are visible to others)")
    a.add_argument("--pin-stdin", action="store_true", help="read the PIN from standard input")
    a.set_defaults(func=_operators_add)
    ls = osub.add_parser("list", help="list operators")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_operators_list)
    d = osub.add_parser("deactivate", help="block an operator's badge")
    d.add_argument("--badge", required=True)
    d.set_defaults(func=_operators_deactivate)

    b = sub.add_parser("backup", help="copy the station's database into one new file, safe while the station runs",
                       description="A consistent copy of the station database (its latest events included), checked, "
                                   "that a technician can restore (docs/deploy.md, section 7). Safe beside the running "
                                   "station; never overwrites a file.")
    b.add_argument("--out", required=True, metavar="PATH",
                   help="the new file, or a folder to put station-<id>-<UTC time>.sqlite3 in")
    b.set_defaults(func=_backup)

    c = sub.add_parser("config", help="check or write the station configuration")
    csub = c.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    chk = csub.add_parser("check", help="validate the configuration and print it")
    chk.set_defaults(func=_config_check)
    ini = csub.add_parser("init", help="write a configuration file with every default")
    ini.add_argument("path")
    ini.set_defaults(func=_config_init)


def _backup(args) -> int:
    import time
    from pathlib import Path

    from app.core import load_settings
    from app.store import BackupFailed, backup

    settings = load_settings(args)
    dest = Path(args.out).expanduser()
    if dest.is_dir():
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        dest = dest / f"station-{settings.station.id}-{stamp}.sqlite3"
    try:
        got = backup(settings.db_path, dest)
    except BackupFailed as exc:
        print(f"packstation backup: {exc}", file=sys.stderr)
        return 1
    print(f"backup written: {got['file']} ({got['bytes'] // 1024} KB, {got['events']} events, {got['pending']} not "
          f"sent yet, newest #{got['last_seq']} at {got['last_event_utc']} UTC; checked whole)")
    return 0


def _core(args):
    from app.core import load_settings, open_core

    return open_core(load_settings(args))


def _operators_add(args) -> int:
    from app.operators import MIN_PIN, MIN_SUPERVISOR_PIN, hash_pin

    pin = args.pin
    if args.pin_stdin:
        pin = sys.stdin.readline().strip()
    elif not pin:
        pin = getpass.getpass("PIN: ")
        if getpass.getpass("PIN again: ") != pin:
            print("packstation: the two PINs differ", file=sys.stderr)
            return 2
    try:
        hash_pin(pin, min_len=MIN_SUPERVISOR_PIN if args.role == "supervisor" else MIN_PIN)  # validate first
    except ValueError as exc:
        print(f"packstation: {exc}", file=sys.stderr)
        return 2
    core = _core(args)
    try:
        op = core.operators.add(badge=args.badge, name=args.name, role=args.role, pin=pin)
    except ValueError as exc:  # a badge or a name the directory refuses: said, not a type name
        print(f"packstation operators: {exc}", file=sys.stderr)
        return 2
    finally:
        core.close()
    print(f"operator {op.badge} ({op.name}, {op.role.value}) saved in {core.store.path}")
    return 0


def _operators_list(args) -> int:
    core = _core(args)
    try:
        ops = core.operators.all()
    finally:
        core.close()
    if args.json:
        print(json.dumps([{"id": o.id, "badge": o.badge, "name": o.name, "role": o.role.value,
                           "active": o.active, "source": o.source} for o in ops], ensure_ascii=False))
    else:
        for o in ops:
            print(f"{o.badge:16} {o.role.value:10} {'active' if o.active else 'blocked':8} {o.name}")
    return 0


def _operators_deactivate(args) -> int:
    core = _core(args)
    try:
        done = core.operators.deactivate(args.badge)
    finally:
        core.close()
    if not done:
        print(f"packstation: no operator with badge {args.badge}", file=sys.stderr)
        return 1
    print(f"operator {args.badge} blocked")
    return 0


def _config_check(args) -> int:
    from app.config import to_dict
    from app.core import load_settings

    s = load_settings(args)
    print(f"config OK ({s.source})")
    print(json.dumps(to_dict(s), indent=2, ensure_ascii=False))
    return 0


def _config_init(args) -> int:
    from pathlib import Path

    import tomli_w

    from app.config import Settings, to_dict

    p = Path(args.path)
    if p.exists():
        print(f"packstation: {p} exists; not overwritten", file=sys.stderr)
        return 1
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(tomli_w.dumps(to_dict(Settings())), encoding="utf-8")
    print(f"wrote {p}")
    return 0
