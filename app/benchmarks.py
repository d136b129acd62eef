"""Core figures: durable event appends vs the raw SQLite commit rate on the same disk."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

N_APPENDS = 2000


def event_append_per_s(workdir: Path) -> float:
    from app.events import EventLog
    from app.store import open_store

    store = open_store(workdir / "events.sqlite3")
    log = EventLog(store, "BENCH")
    log.append("bench_warmup", {})
    t0 = time.perf_counter()
    for i in range(N_APPENDS):
        log.append("scan", {"raw": "4006381333931", "i": i}, operator_id="op1", order_id="SO-1")
    dt = time.perf_counter() - t0
    store.close()
    return N_APPENDS / dt


def sqlite_raw_commit_per_s(workdir: Path) -> float:
    con = sqlite3.connect(workdir / "raw.sqlite3", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, id TEXT, payload TEXT)")
    t0 = time.perf_counter()
    for i in range(N_APPENDS):
        con.execute("BEGIN")
        con.execute("INSERT INTO t VALUES (?, ?, ?)", (i, f"id{i}", '{"raw":"4006381333931"}'))
        con.execute("COMMIT")
    dt = time.perf_counter() - t0
    con.close()
    return N_APPENDS / dt


FIGURES = {
    "sqlite_raw_commit_per_s": sqlite_raw_commit_per_s,
    "event_append_per_s": event_append_per_s,
}
