#!/usr/bin/env python3
"""How fast the scan's Python runs depending on what the CPU did just before: a diagnostic for the
`verdict_p99_ms` / `sqlite_raw_p99_ms` ratio (docs/benchmarks.md, "Not met").

The same work (verify one scan of the bench's 1,000-line order and build its stored form, no database) is timed
in four situations, 3,000 times each, interleaved: right after a durable commit (an fsync) on the store's
writer path, after a 200 us sleep, after 200 us of busy waiting, and right after doing the same work once.
The raw commit the ratio is held to has almost no Python; the scan's Python rides on top of its commit, and
this says how much slower that Python is when it follows an fsync.

    python scripts/python_after_fsync.py [--dir DIR]    # DIR on the disk to measure (default: the current one)

prints p50/p90/p99 in microseconds for each situation.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=".", help="a folder on the disk to measure")
    ap.add_argument("-n", type=int, default=3000)
    args = ap.parse_args()

    from app.benchmarks import _create_raw_table, _raw_commit, bench_order
    from app.config import Settings
    from app.core import open_core
    from app.verifier import verify
    from app.workflow import Station

    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        settings = Settings()
        settings.station.data_dir = d
        core = open_core(settings)
        _create_raw_table(Path(core.store.path))
        pl, scans = bench_order()
        st = Station(core, steps=["pick"])
        st.open_order(pl)
        for raw in scans[:300]:
            st.scan(raw)
        from app.barcodes import normalise

        session, today = st.active, st.today()
        codes = [normalise(r) for r in scans]

        def work(i: int) -> float:
            t = time.perf_counter_ns()
            verify(codes[i % len(codes)], session, catalog=st.catalog, find_order=st._find_order,
                   today=today).to_dict()
            return (time.perf_counter_ns() - t) / 1000

        def spin(us: int) -> None:
            end = time.perf_counter_ns() + us * 1000
            while time.perf_counter_ns() < end:
                pass

        times: dict[str, list[float]] = {"after an fsync": [], "after a 200 us sleep": [],
                                         "after 200 us busy": [], "warm (back to back)": []}
        for i in range(args.n):
            _raw_commit(core.store, i)
            times["after an fsync"].append(work(i))
            time.sleep(0.0002)
            times["after a 200 us sleep"].append(work(i))
            spin(200)
            times["after 200 us busy"].append(work(i))
            work(i)
            times["warm (back to back)"].append(work(i))
        core.close()
    for name, xs in times.items():
        xs.sort()
        p = [xs[min(len(xs) - 1, int(q * len(xs)))] for q in (0.5, 0.9, 0.99)]
        print(f"{name:22s} p50 {p[0]:6.1f}  p90 {p[1]:6.1f}  p99 {p[2]:6.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
