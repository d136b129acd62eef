"""Sync figures: outbox drain and pick-list cache pull, against the reference OMS on loopback."""

from __future__ import annotations

import time
from pathlib import Path


def _core(workdir: Path, station: str = "BENCH"):
    from app.config import Settings
    from app.core import open_core

    s = Settings()
    s.station.id = station
    s.station.data_dir = str(workdir / "station")
    return open_core(s, workdir / "station.sqlite3")


def sync_drain_10k_s(workdir: Path) -> float:
    from sync.client import OmsClient
    from sync.oms_server import serve_in_thread
    from sync.outbox import drain, queue_stats

    srv = serve_in_thread(workdir / "oms.sqlite3", seed=None)
    core = _core(workdir)
    try:
        for i in range(10_000):
            core.events.append("scan", {"raw": "6900000000014", "i": i}, operator_id="OP", order_id=f"SO-{i // 20}")
        client = OmsClient(srv.url, token=srv.issue_token("BENCH"))
        t0 = time.perf_counter()
        drain(client, core.store, "BENCH", batch_size=500)
        dt = time.perf_counter() - t0
        assert queue_stats(core.store)[0] == 0
        client.close()
        return dt
    finally:
        core.close()
        srv.stop()


def picklist_cache_10k_lines_s(workdir: Path) -> float:
    from sync.client import OmsClient
    from sync.oms_server import serve_in_thread
    from sync.oms_server.seed import add_bulk_orders
    from sync.service import SyncService

    srv = serve_in_thread(workdir / "oms.sqlite3", seed=None)
    add_bulk_orders(srv.app.state.engine, 1000, 10)
    core = _core(workdir)
    try:
        svc = SyncService(core, client=OmsClient(srv.url, token=srv.issue_token("BENCH")))
        t0 = time.perf_counter()
        n = svc.pull_picklists()
        dt = time.perf_counter() - t0
        lines = sum(len(p.lines) for p in svc.cache.open_picklists())
        assert n == 1000 and lines == 10_000, (n, lines)
        svc.client.close()
        return dt
    finally:
        core.close()
        srv.stop()


def oms_300_stations(workdir: Path) -> dict:
    """300 simulated stations at ~2 scans/s each (600 events/s) posting the batches a station sends, 5 s of
    warm-up (all connecting at once; its p99 reported apart) then 20 s measured, against the reference OMS on
    PostgreSQL (private cluster) with 2 worker processes: p99 batch latency, errors, lost and duplicated
    events (sync/oms_server/loadtest.py)."""
    from sync.oms_server.loadtest import oms_load_figures

    return oms_load_figures(workdir, stations=300, rate=2.0, duration_s=20.0, workers=2)


FIGURES = {"sync_drain_10k_s": sync_drain_10k_s, "picklist_cache_10k_lines_s": picklist_cache_10k_lines_s}
FULL_FIGURES = {"oms_300_stations_p99_ms": oms_300_stations}  # `packstation bench --full`: about a minute
