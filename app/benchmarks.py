"""Core figures: durable event appends vs the raw SQLite commit rate on the same disk, and the\nscan verdict latency (normalise + verify + durable event) on a large order."""

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


def sqlite_raw_commit_per_s(workdir: Path) -> dict[str, float]:
    """2,000 raw commits of one scan-sized row (WAL, synchronous=FULL) on the same disk as the store:
    commits per second, and the p99 of one commit (`sqlite_raw_p99_ms`, what verdict_p99_ms is held to)."""
    con = sqlite3.connect(workdir / "raw.sqlite3", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, id TEXT, payload TEXT)")
    times = []
    t0 = time.perf_counter()
    for i in range(N_APPENDS):
        t = time.perf_counter_ns()
        con.execute("BEGIN")
        con.execute("INSERT INTO t VALUES (?, ?, ?)", (i, f"id{i}", '{"raw":"4006381333931"}'))
        con.execute("COMMIT")
        times.append((time.perf_counter_ns() - t) / 1e6)
    dt = time.perf_counter() - t0
    con.close()
    times.sort()
    return {"sqlite_raw_commit_per_s": round(N_APPENDS / dt, 4),
            "sqlite_raw_p99_ms": round(times[min(len(times) - 1, int(0.99 * len(times)))], 3)}


# -- scan verification (issue 3) -------------------------------------------------------------------

def _gtin13(n: int) -> str:
    from biip.checksums import gs1_standard_check_digit

    payload = f"69{n:010d}"
    return payload + str(gs1_standard_check_digit(payload))


def bench_order(n_lines: int = 1000, n_scans: int = 3000):
    """A 1,000-line order with 5,000 barcodes (+1,000 sibling variants) and a seeded scan mix:
    60 % good, 20 % wrong/sibling, 20 % unknown or misread. Shared by the verdict and screen figures."""
    import random

    from app.picklist import PickList
    from app.scans import RawScan, ScanSource

    lines, siblings = [], []
    for i in range(n_lines):
        codes = [{"code": _gtin13(i * 5 + k), "qty_per_scan": 1 if k < 4 else 6, "kind": "unit" if k < 4 else "inner"}
                 for k in range(5)]
        lines.append({"id": f"L{i}", "sku": f"SKU-{i}", "name": f"Item {i}", "qty": 10_000, "style": f"ST{i}",
                      "color": "BLUE", "size": "M", "bin": f"A-{i:04d}", "bin_order": i, "barcodes": codes})
        siblings.append({"code": _gtin13(900_000 + i), "sku": f"SKU-{i}-RED", "style": f"ST{i}", "color": "RED",
                         "size": "M", "name": f"Item {i}"})
    pl = PickList.from_dict({"id": "BENCH-1", "lines": lines, "siblings": siblings})
    rnd = random.Random(42)
    scans: list[RawScan] = []
    for j in range(n_scans):
        r = rnd.random()
        if r < 0.6:
            text = _gtin13(rnd.randrange(n_lines * 5))
        elif r < 0.8:
            text = _gtin13(900_000 + rnd.randrange(n_lines))
        elif r < 0.9:
            text = _gtin13(500_000 + j)  # well-formed, unknown
        else:
            text = rnd.choice(["10D9T", "4006381333932", "\x00\x1b[A", "ZZ-" + str(j)])
        scans.append(RawScan(text, ScanSource.HID, "]E0" if r < 0.3 else None))
    return pl, scans


def verdict_p99_ms(workdir: Path) -> dict[str, float]:
    """p99 of normalise + verify + durable scan-event append (Station.scan) on bench_order()."""
    from app.config import Settings
    from app.core import open_core
    from app.workflow import Station

    settings = Settings()
    settings.station.data_dir = str(workdir)
    core = open_core(settings)
    pl, scans = bench_order()
    st = Station(core, steps=["pick"])
    st.open_order(pl)
    for raw in scans[:50]:  # warm-up
        st.scan(raw)
    times = []
    for raw in scans:
        t0 = time.perf_counter_ns()
        st.scan(raw)
        times.append((time.perf_counter_ns() - t0) / 1e6)
    core.close()
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    return {"verdict_p99_ms": round(p(0.99), 3), "verdict_p50_ms": round(p(0.50), 3)}


def order_open_10k_lines_ms(workdir: Path) -> dict[str, float]:
    """Opening a 10,000-line order (50,000 line barcodes, 10,000 sibling codes) on a station whose store
    holds 50,000 products, 10,000 cached pick lists and 1,000,000 events (app.bench_data.warehouse_db):
    `Station.open_order(picklist)` — order index, session, replay of the order's events, first step
    started — median of 3 different orders, ms. Also `order_load_10k_lines_ms`: reading that pick list
    from the station's cache and validating it (`PickList.from_dict`), median of 3."""
    import json
    import statistics

    from app.bench_data import copy_to, warehouse_db
    from app.config import Settings
    from app.core import open_core
    from app.picklist import PickList
    from app.workflow import Station

    settings = Settings()
    settings.station.data_dir = str(workdir)
    core = open_core(settings, copy_to(warehouse_db(), workdir / "station.sqlite3"))
    try:
        st = Station(core, steps=["pick"])
        st.catalog.warm_up()
        assert st.catalog.count == 50_000  # waits for the background index (built at login in the product)
        pl, _ = bench_order(n_lines=10_000, n_scans=1)
        doc = json.dumps(pl.to_dict())
        opens, loads = [], []
        for k in range(3):
            t = time.perf_counter()
            p = PickList.from_dict(dict(json.loads(doc), id=f"BIG-{k}", order_no=f"#BIG-{k}"))
            loads.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            s = st.open_order(p)
            opens.append((time.perf_counter() - t) * 1000)
            assert len(s.picklist.lines) == 10_000
            st.close_order(p.id)
        return {"order_open_10k_lines_ms": round(statistics.median(opens), 2),
                "order_load_10k_lines_ms": round(statistics.median(loads), 2)}
    finally:
        core.close()


FIGURES = {
    "sqlite_raw_commit_per_s": sqlite_raw_commit_per_s,  # also sqlite_raw_p99_ms
    "event_append_per_s": event_append_per_s,
    "verdict_p99_ms": verdict_p99_ms,  # also reports verdict_p50_ms
    "order_open_10k_lines_ms": order_open_10k_lines_ms,  # also order_load_10k_lines_ms
}
