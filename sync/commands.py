"""Sync sub-commands: oms-server, sync-status, sync-now."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("oms-server", help="run the reference OMS server (demo and tests)")
    p.add_argument("--db", required=True, help="SQLite file of the reference OMS (created if missing)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--seed", choices=["demo"], help="load the deterministic demo catalogue")
    p.set_defaults(func=_oms_server)

    s = sub.add_parser("sync-status", help="show OMS sync health (queue depth, last success, failures...)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_sync_status)

    n = sub.add_parser("sync-now", help="send queued events and pull pick lists once, then exit")
    n.add_argument("--json", action="store_true")
    n.set_defaults(func=_sync_now)


def _oms_server(args) -> int:
    import logging

    import uvicorn

    from sync.oms_server import build_app

    logging.basicConfig(level=logging.INFO)
    app = build_app(args.db, args.seed)
    print(f"reference OMS on http://{args.host}:{args.port}/api/v1 (db {args.db})", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


def _sync_status(args) -> int:
    from app.core import load_settings, open_core
    from sync.service import health_from_store

    core = open_core(load_settings(args))
    try:
        h = health_from_store(core.store).to_dict()
    finally:
        core.close()
    if args.json:
        print(json.dumps(h, ensure_ascii=False))
    else:
        for k, v in h.items():
            if k != "quarantined":
                print(f"{k:24} {v}")
        for q in h.get("quarantined") or []:  # why each quarantined event will never be sent
            print(f"quarantined #{q['seq']:<10} {q['type']} order {q['order_id'] or '-'} "
                  f"({q['source']}): {q['reason']}")
    return 0


def _sync_now(args) -> int:
    from app.core import load_settings, open_core
    from sync.client import OmsError
    from sync.service import SyncService

    core = open_core(load_settings(args))
    svc = None
    try:
        svc = SyncService(core)
        sent = svc.outbox_once()
        pulled = svc.pull_once()
        out = {"sent": sent, "picklists": pulled, **svc.health().to_dict()}
        print(json.dumps(out, ensure_ascii=False) if args.json else f"sent {sent} events, pulled {pulled} pick lists")
        return 0
    except OmsError as e:
        print(f"packstation: OMS unreachable: {e}", file=sys.stderr)
        return 3
    finally:
        if svc:
            svc.client.close()
        core.close()
