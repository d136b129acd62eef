"""Stats figure: supervisor figures over 1,000,000 events in a real station SQLite file."""

from __future__ import annotations

import random
import sqlite3
import time
import uuid
from pathlib import Path

N = 1_000_000
_KINDS = ["accepted"] * 17 + ["wrong_item", "sibling_variant", "over_scan", "unknown", "wrong_bin"]


def _generate(path: Path) -> None:
    from app.store import open_store

    open_store(path).close()  # real schema + migrations
    con = sqlite3.connect(path)
    rng = random.Random(1)
    t0 = 1_763_251_200_000
    rows = []
    for i in range(N):
        ts = t0 + i * 600
        r = i % 10
        order = f"SO{i // 10}"
        if r == 0:
            typ, kind, payload = "step_started", None, '{"step":"pick"}'
        elif r == 1:
            typ, kind, payload = "step_completed", None, '{"step":"pick"}'
        elif r == 2:
            typ, kind, payload = "order_completed", None, '{"complexity":"mixed"}'
        else:
            typ, kind, payload = "scan", rng.choice(_KINDS), "{}"
        rows.append((i + 1, str(uuid.UUID(int=i)), "ST1", f"op{i % 7}", ts, 0, typ, kind, order, payload))
    con.executemany("INSERT INTO events (seq,id,station_id,operator_id,ts_utc_ms,mono_ns,type,kind,"
                    "order_id,payload) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.close()


def stats_1m_events_s(workdir: Path) -> float:
    from app.config import SlaSettings
    from app.stats import figures_from_store
    from app.store import open_store

    path = workdir / "stats1m.sqlite3"
    _generate(path)
    store = open_store(path)
    t = time.perf_counter()
    f = figures_from_store(store, tz="Asia/Shanghai", start=1_763_251_200_000, end=1_763_251_200_000 + N * 600, sla=SlaSettings())
    dt = time.perf_counter() - t
    store.close()
    assert f.scans == 700_000
    return dt


FIGURES = {"stats_1m_events_s": stats_1m_events_s}
