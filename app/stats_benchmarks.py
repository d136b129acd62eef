"""Stats figures: a supervisor refresh (`figures_from_store` for every day of the log, the screen's call)
over 1,000,000 and 5,000,000 events in a real station SQLite file (app.bench_data).

`stats_Nm_events_s` is the refresh in a freshly started process: the station's statistics snapshot
(kv `stats.aggregate`, stored by an earlier refresh) is read and the 1,000 events appended since are
folded in. `stats_Nm_events_first_s` is the very first refresh, with no snapshot: the whole log folded.
Each is measured in its own process (`stats_5m_events_peak_mb` is that process's peak RSS)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

TZ = "Asia/Shanghai"
TAIL = 1_000


def _range(n: int) -> tuple[str, str]:
    from app.bench_data import EVENT_STEP_MS, T0_MS

    a = datetime.fromtimestamp(T0_MS / 1000, UTC).date()
    b = datetime.fromtimestamp((T0_MS + n * EVENT_STEP_MS) / 1000 + 86_400, UTC).date()
    return a.isoformat(), b.isoformat()


def child(path: str, n: int) -> None:
    """In its own process: one refresh, then print seconds, peak RSS (MB) and the scan count as JSON."""
    import time

    from app.config import SlaSettings
    from app.stats import day_bounds_ms, figures_from_store
    from app.store import open_store

    store = open_store(path)
    a, b = day_bounds_ms(*_range(n), TZ)
    t = time.perf_counter()
    f = figures_from_store(store, tz=TZ, start=a, end=b, sla=SlaSettings())
    dt = time.perf_counter() - t
    store.close()
    # VmHWM, not ru_maxrss: Linux carries a forked parent's high-water mark into ru_maxrss across exec
    peak = next(int(x.split()[1]) for x in Path("/proc/self/status").read_text().splitlines()
                if x.startswith("VmHWM:")) / 1024
    print(json.dumps({"s": dt, "peak_mb": peak, "scans": f.scans, "errors": f.errors}))


def _run_child(path: Path, n: int) -> dict:
    out = subprocess.run([sys.executable, "-c", f"from app.stats_benchmarks import child; child({str(path)!r}, {n})"],
                         capture_output=True, text=True, timeout=1800, cwd=Path(__file__).resolve().parent.parent)
    if out.returncode:
        raise RuntimeError(f"stats child failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _figures(workdir: Path, n: int, name: str) -> dict[str, float]:
    from app.bench_data import copy_to, event_rows, events_db, insert_events

    path = copy_to(events_db(n), workdir / "station.sqlite3")
    first = _run_child(path, n)  # no snapshot: folds the whole log, stores the snapshot
    con = sqlite3.connect(path)  # a shift goes on: 1,000 more events after the snapshot
    insert_events(con, event_rows(TAIL, first_seq=n + 1, seed=2))
    con.close()
    again = _run_child(path, n + TAIL)
    expected = sum(1 for i in range(n + TAIL) if i % 10 >= 3)
    assert again["scans"] == expected and first["scans"] == sum(1 for i in range(n) if i % 10 >= 3), (again, first)
    return {f"{name}_s": round(again["s"], 3), f"{name}_peak_mb": round(again["peak_mb"], 1),
            f"{name}_first_s": round(first["s"], 3), f"{name}_first_peak_mb": round(first["peak_mb"], 1)}


def stats_1m_events_s(workdir: Path) -> dict[str, float]:
    return _figures(workdir, 1_000_000, "stats_1m_events")


def stats_5m_events_s(workdir: Path) -> dict[str, float]:
    return _figures(workdir, 5_000_000, "stats_5m_events")


FIGURES = {"stats_1m_events_s": stats_1m_events_s, "stats_5m_events_s": stats_5m_events_s}
FULL_ONLY = {"stats_5m_events_s"}
