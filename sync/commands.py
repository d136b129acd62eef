"""Sync sub-commands: oms-server, sync-status, sync-now, sync-requeue."""

from __future__ import annotations

import argparse
import json
import sys


def _port(text: str) -> int:
    """A TCP port: `--port 99999` started a server that never listened and said nothing."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"{n} is not a port (1 to 65535)")
    return n


def _at_least_one(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n}: at least 1")
    return n


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("oms-server", help="run the reference OMS server; `oms-server token ...` manages station tokens")
    p.add_argument("--db", help="SQLite file (created if missing) or postgresql://user@host/dbname")
    p.add_argument("--port", type=_port, default=8765)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--seed", choices=["demo"], help="load the deterministic demo catalogue")
    p.add_argument("--workers", type=_at_least_one, default=1, help="worker processes (PostgreSQL only; SQLite: 1)")
    p.add_argument("--tls-cert", default="", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", default="", help="private key of --tls-cert (PEM)")
    p.set_defaults(func=_oms_server)
    tsub = p.add_subparsers(dest="oms_cmd")
    t = tsub.add_parser("token", help="issue, revoke or list station tokens (admin)")
    t.add_argument("action", choices=["issue", "revoke", "list"])
    t.add_argument("--station", help="station id (issue, revoke)")
    t.add_argument("--out", help="issue: write the token to this file, mode 0600 (default: print it)")
    t.add_argument("--db", dest="token_db", help="as oms-server --db")
    t.set_defaults(func=_oms_token)

    s = sub.add_parser("sync-status", help="show OMS sync health (queue depth, last success, failures...)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_sync_status)

    n = sub.add_parser("sync-now", help="send queued events and pull pick lists once, then exit")
    n.add_argument("--json", action="store_true")
    n.set_defaults(func=_sync_now)

    r = sub.add_parser("sync-requeue", help="put quarantined events back in the outbox queue (sync-status lists them)")
    r.add_argument("seqs", nargs="*", type=int, metavar="SEQ", help="the events' numbers (#SEQ in sync-status)")
    r.add_argument("--all", action="store_true", help="every quarantined event")
    r.set_defaults(func=_sync_requeue)


def _oms_server(args) -> int:
    import logging
    import os

    import uvicorn

    from sync.oms_server import build_app
    from sync.oms_server.app import is_postgres_url

    if not args.db:
        print("packstation oms-server: --db is required", file=sys.stderr)
        return 2
    if args.workers > 1 and not is_postgres_url(args.db):
        print("packstation oms-server: several --workers need PostgreSQL (SQLite has one writer)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO)
    app = build_app(args.db, args.seed)
    tls = {"ssl_certfile": args.tls_cert, "ssl_keyfile": args.tls_key} if args.tls_cert else {}
    scheme = "https" if tls else "http"
    shown = args.db.split("@")[-1] if is_postgres_url(args.db) else args.db  # never a password
    print(f"reference OMS on {scheme}://{args.host}:{args.port}/api/v1 (db {shown}, {args.workers} worker(s))",
          flush=True)
    # keep-alive longer than a station's quietest minute between batches (uvicorn's default is 5 s)
    common = dict(host=args.host, port=args.port, log_level="warning", access_log=False, timeout_keep_alive=75,
                  **tls)
    if args.workers > 1:
        app.state.engine.dispose()
        os.environ["PACKSTATION_OMS_DB"] = args.db
        uvicorn.run("sync.oms_server.asgi:create", factory=True, workers=args.workers, **common)
    else:
        from app import heap

        heap.settle()  # as each worker does (asgi.create): the start-up heap out of the collector's generations
        uvicorn.run(app, **common)
    return 0


def _oms_token(args) -> int:
    import os

    from sync.oms_server.app import issue_token, list_tokens, make_engine, revoke_tokens

    db = args.token_db or args.db
    if not db:
        print("packstation oms-server token: --db is required", file=sys.stderr)
        return 2
    if args.action != "list" and not args.station:
        print(f"packstation oms-server token {args.action}: --station is required", file=sys.stderr)
        return 2
    eng = make_engine(db)
    try:
        if args.action == "issue":
            try:
                tok = issue_token(eng, args.station)
            except ValueError as e:
                print(f"packstation oms-server token: {e}", file=sys.stderr)
                return 2
            if args.out:
                fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    os.fchmod(f.fileno(), 0o600)
                    f.write(tok + "\n")
                print(f"token for station {args.station} written to {args.out} (mode 0600)")
            else:
                print(tok)
        elif args.action == "revoke":
            n = revoke_tokens(eng, args.station)
            print(f"revoked {n} token(s) of station {args.station}")
        else:
            for t in list_tokens(eng):
                state = "revoked" if t["revoked_ms"] else "active"
                print(f"{t['station_id']:20} {t['fingerprint']}  {state}")
    finally:
        eng.dispose()
    return 0


def _sync_status(args) -> int:
    """A look: the database is opened read-only (no migration, no mark, nothing written), beside the running
    station or on a stopped one's file (it ran the migrations and wrote to the file, as the station does)."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError

    from app.core import load_settings
    from app.store import StoreFromNewerRelease, StoreNotReadable, open_store_read_only
    from sync.service import health_from_store

    try:
        store = open_store_read_only(load_settings(args).db_path)
    except (StoreNotReadable, StoreFromNewerRelease) as e:
        print(f"packstation sync-status: {e}", file=sys.stderr)
        return 1
    try:
        h = health_from_store(store).to_dict()
    except (DBAPIError, sqlite3.Error) as e:  # a damaged file: what to run next, not a type name
        print(f"packstation sync-status: the station's database cannot be read ({getattr(e, 'orig', None) or e}): "
              "run packstation doctor", file=sys.stderr)
        return 1
    finally:
        store.close()
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


def _sync_requeue(args) -> int:
    from app.core import load_settings, open_core
    from sync.quarantine import requeue

    if bool(args.all) == bool(args.seqs):
        print("packstation sync-requeue: name the events (SEQ ..., as `packstation sync-status` lists them) or --all",
              file=sys.stderr)
        return 2
    core = open_core(load_settings(args))
    try:
        back = requeue(core.store, None if args.all else sorted(set(args.seqs)))
    finally:
        core.close()
    if back:
        print(f"put back in the outbox queue: {len(back)} event(s) "
              f"({', '.join('#' + str(e['seq']) for e in back)}); a running station sends them within 30 s, "
              "`packstation sync-now` at once")
    else:
        print("no quarantined event to put back")
    missing = sorted(set(args.seqs) - {e["seq"] for e in back})
    if missing:
        print(f"packstation sync-requeue: not quarantined: {', '.join('#' + str(s) for s in missing)}",
              file=sys.stderr)
        return 1
    return 0
