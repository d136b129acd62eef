"""Sync figures: outbox drain and pick-list cache pull, against the reference OMS on loopback."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path


def _core(workdir: Path, station: str = "BENCH"):
    from app.config import Settings
    from app.core import open_core

    s = Settings()
    s.station.id = station
    s.station.data_dir = str(workdir / "station")
    return open_core(s, workdir / "station.sqlite3")


def _entry() -> str:
    """The command-line package (`python -m app`, or `packstation` where the project has one)."""
    import importlib.util

    return "packstation" if importlib.util.find_spec("packstation") else "app"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def oms_process(workdir: Path, port: int | None = None):
    """The reference OMS in its own process (`python -m app oms-server`) on a loopback port; yields its URL."""
    import requests

    port = port or _free_port()
    log = open(workdir / f"oms-{port}.log", "wb")
    p = subprocess.Popen([sys.executable, "-m", _entry(), "oms-server", "--db", str(workdir / "oms.sqlite3"),
                          "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if p.poll() is not None:
                raise RuntimeError(f"reference OMS exited {p.returncode} (see {log.name})")
            try:
                if requests.get(url + "/api/v1/time", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("reference OMS did not start within 60 s")
            time.sleep(0.05)
        yield url
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()


def _queue_events(core, n: int) -> None:
    """n pending events in the station's outbox (a shift's mix), inserted in big transactions."""
    import sqlite3

    from app.bench_data import event_rows, insert_events

    con = sqlite3.connect(core.store.path)
    insert_events(con, event_rows(n, station=core.settings.station.id, sync_state="pending"))
    con.close()


def _drain_s(workdir: Path, n: int) -> float:
    """Outbox of n pending events -> all sent, as the station's outbox worker sends them (the configured
    batch size, 200 by default), to the reference OMS in its own process."""
    from sync.client import OmsClient
    from sync.outbox import drain, queue_stats

    core = _core(workdir)
    _queue_events(core, n)
    try:
        with oms_process(workdir) as url:
            client = OmsClient(url)
            t0 = time.perf_counter()
            res = drain(client, core.store, core.settings.station.id, batch_size=core.settings.oms.batch_size)
            dt = time.perf_counter() - t0
            client.close()
        assert res.sent == n and queue_stats(core.store)[0] == 0, (res.sent, queue_stats(core.store))
        return dt
    finally:
        core.close()


def sync_drain_10k_s(workdir: Path) -> float:
    return _drain_s(workdir, 10_000)


def sync_drain_100k_s(workdir: Path) -> dict[str, float]:
    """Also the rate at 100k over the rate at 10k (1.0: linear; the goal is within 20 %), same run."""
    (workdir / "10k").mkdir()
    (workdir / "100k").mkdir()
    t10 = _drain_s(workdir / "10k", 10_000)
    t100 = _drain_s(workdir / "100k", 100_000)
    return {"sync_drain_100k_s": round(t100, 3), "sync_drain_10k_s": round(t10, 3),
            "sync_drain_rate_100k_over_10k": round((100_000 / t100) / (10_000 / t10), 3)}


def picklist_cache_10k_lines_s(workdir: Path) -> float:
    from sync.client import OmsClient
    from sync.oms_server import serve_in_thread
    from sync.oms_server.seed import add_bulk_orders
    from sync.service import SyncService

    srv = serve_in_thread(workdir / "oms.sqlite3", seed=None)
    add_bulk_orders(srv.app.state.engine, 1000, 10)
    core = _core(workdir)
    try:
        svc = SyncService(core, client=OmsClient(srv.url))
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


FIGURES = {"sync_drain_10k_s": sync_drain_10k_s, "sync_drain_100k_s": sync_drain_100k_s,
           "picklist_cache_10k_lines_s": picklist_cache_10k_lines_s}
FULL_ONLY = {"sync_drain_100k_s"}
