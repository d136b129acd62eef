"""Loopback load test of the reference OMS: N simulated stations scanning at a steady rate, each posting its
events in the batches a station sends (the outbox sends what is pending as soon as the previous batch is
answered, so at 2 scans/s a batch holds the scans since the last reply: mostly 1-2 events).

Client side: a few processes (one asyncio loop each, a keep-alive HTTP/1.1 connection per station, written on
asyncio streams to keep the load generator cheap next to the server on the same machine). Every station's
events are checked at the end: each accepted exactly once and stored once (nothing lost or duplicated).
Used by `packstation bench --full` (figure oms_300_stations_p99_ms, on PostgreSQL with worker processes):
latencies count after a warm-up (all 300 stations connecting and logging in at once, pools filling), the
steady state a warehouse runs in; every event of the whole run is checked.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing as mp
import random
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)
_last_errors: list[str] = []


@dataclass
class LoadResult:
    stations: int
    events: int
    batches: int
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    events_per_s: float
    lost: int
    duplicated: int
    retries: int = 0
    warmup_p99_ms: float | None = None  # the batches of the warm-up, not in p50/p99/max

    def to_dict(self) -> dict:
        return dict(self.__dict__)


async def _station(host: str, port: int, sid: str, token: str, rate: float, until: float, rnd: random.Random,
                   lat: list[float], errs: list[str], sent_ids: list[str], retries: list[str],
                   measure_from: float = 0.0) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    seq = 0
    pending: list[dict] = []
    next_scan = time.monotonic() + rnd.uniform(0, 1 / rate)
    try:
        while True:
            now = time.monotonic()
            while next_scan <= now and next_scan < until:
                seq += 1
                pending.append({"id": f"{sid}-{seq}", "station_id": sid, "seq": seq, "operator_id": "OP-K1",
                                "ts_utc_ms": time.time_ns() // 1_000_000, "mono_ns": time.monotonic_ns(),
                                "type": "scan", "kind": "accepted", "order_id": f"SO-{seq // 8}",
                                "payload": {"raw": "6900000000014", "verdict": {"kind": "accepted"}}})
                next_scan += rnd.expovariate(rate)  # Poisson scans at `rate` per second
            if not pending:
                if next_scan >= until:
                    break
                await asyncio.sleep(max(0.0, next_scan - time.monotonic()))
                continue
            batch, pending = pending, []
            body = json.dumps({"station_id": sid, "sent_at_ms": time.time_ns() // 1_000_000, "clock_offset_ms": 0,
                               "events": batch}, separators=(",", ":")).encode()
            req = (f"POST /api/v1/events/batch HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
            t0 = time.perf_counter()
            resent = False
            for attempt in range(3):  # as the station does: a lost connection is reopened and the batch resent
                try:
                    writer.write(req)
                    await writer.drain()
                    status_line = await reader.readline()
                    if not status_line:
                        raise ConnectionResetError("connection closed by the OMS")
                    length = 0
                    while True:
                        h = await reader.readline()
                        if h in (b"\r\n", b""):
                            break
                        k, _, v = h.decode("latin-1").partition(":")
                        if k.lower() == "content-length":
                            length = int(v)
                    data = await reader.readexactly(length)
                    break
                except (ConnectionError, asyncio.IncompleteReadError):
                    if attempt == 2:
                        raise
                    retries.append(sid)
                    resent = True
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
            ms = (time.perf_counter() - t0) * 1000
            # after the warm-up (connections, caches, 300 first logins) into lat, before it negated (kept apart)
            lat.append(ms if time.monotonic() >= measure_from else -ms)
            code = int(status_line.split()[1]) if status_line else 0
            if code != 200:
                errs.append(f"{sid}: HTTP {code}")
                continue
            res = json.loads(data)["results"]
            for r in res:
                if r["status"] == "duplicate" and resent:
                    continue  # a resent batch whose first copy was stored: de-duplicated, as designed
                if r["status"] != "accepted":
                    errs.append(f"{sid}: {r['id']} {r['status']}")
            sent_ids.extend(r["id"] for r in res if r["status"] == "accepted")
    finally:
        writer.close()


def _worker(args) -> tuple[list[float], list[str], list[str], int]:
    host, port, stations, rate, duration, start_at, seed, warmup = args

    async def main():
        lat: list[float] = []
        errs: list[str] = []
        ids: list[str] = []
        retries: list[str] = []
        await asyncio.sleep(max(0.0, start_at - time.time()))
        t_start = time.monotonic()
        until = t_start + warmup + duration
        rnd = random.Random(seed)
        tasks = [_station(host, port, sid, tok, rate, until, random.Random(rnd.random()), lat, errs, ids, retries,
                          t_start + warmup) for sid, tok in stations]
        for r in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(r, BaseException):
                errs.append(f"{type(r).__name__}: {r}")
        return lat, errs, ids, len(retries)

    return asyncio.run(main())


def run_load(url: str, tokens: dict[str, str], *, rate: float = 2.0, duration_s: float = 20.0,
             processes: int = 2, seed: int = 16, warmup_s: float = 0.0) -> tuple[LoadResult, list[str]]:
    """Drive the OMS at `url` with one simulated station per token for warmup_s + duration_s; return figures
    (latencies of the batches after the warm-up: steady state) and every accepted event id (the caller
    compares them with what the OMS stored)."""
    from urllib.parse import urlsplit

    u = urlsplit(url)
    items = sorted(tokens.items())
    groups = [items[i::max(1, processes)] for i in range(max(1, processes))]
    start_at = time.time() + 1.0
    jobs = [(u.hostname, u.port, g, rate, duration_s, start_at, seed + i, warmup_s) for i, g in enumerate(groups)]
    t0 = time.perf_counter()
    if processes <= 1:  # in this process (tests: no fork next to a server thread)
        out = [_worker(j) for j in jobs]
    else:
        ctx = mp.get_context("fork")  # not spawn: `python -m packstation` has no __main__ guard to re-import safely
        with ctx.Pool(processes) as pool:
            out = pool.map(_worker, jobs)
    wall = time.perf_counter() - t0 - 1.0  # events over the whole run (warm-up included)
    lat = sorted(x for o in out for x in o[0] if x >= 0)
    warm = sorted(-x for o in out for x in o[0] if x < 0)
    errs = [x for o in out for x in o[1]]
    _last_errors[:] = errs
    ids = [x for o in out for x in o[2]]
    retried = sum(o[3] for o in out)

    def pct(q: float) -> float:
        return round(lat[min(len(lat) - 1, int(q * len(lat)))], 1) if lat else float("nan")

    res = LoadResult(stations=len(items), events=len(ids), batches=len(lat) + len(warm), errors=len(errs),
                     p50_ms=pct(0.50),
                     p99_ms=pct(0.99), max_ms=round(lat[-1], 1) if lat else float("nan"),
                     events_per_s=round(len(ids) / max(wall, 1e-9), 1), lost=0, duplicated=len(ids) - len(set(ids)),
                     retries=retried,
                     warmup_p99_ms=round(warm[min(len(warm) - 1, int(0.99 * len(warm)))], 1) if warm else None)
    return res, ids


def oms_load_figures(workdir, *, stations: int = 300, rate: float = 2.0, duration_s: float = 20.0,
                     workers: int = 2, processes: int = 2, warmup_s: float = 5.0) -> dict:
    """PostgreSQL (private cluster) + the OMS with `workers` uvicorn processes + `stations` simulated stations."""
    from sqlalchemy import func, select

    from sync.oms_server import models as m
    from sync.oms_server import serve_workers
    from sync.oms_server.pgcluster import PrivateCluster

    cluster = PrivateCluster().start()
    try:
        srv = serve_workers(cluster.create_db(), workers=workers)
        try:
            tokens = {f"LS-{i:03d}": srv.issue_token(f"LS-{i:03d}") for i in range(stations)}
            res, ids = run_load(srv.url, tokens, rate=rate, duration_s=duration_s, processes=processes,
                                warmup_s=warmup_s)
            with srv.engine.connect() as c:
                stored = c.execute(select(func.count()).select_from(m.events)).scalar()
                stored_ids = set(c.execute(select(m.events.c.id)).scalars())
            res.lost = len(set(ids) - stored_ids)
            res.duplicated += max(0, stored - len(set(ids)))
        finally:
            srv.stop()
    finally:
        cluster.stop()
    d = res.to_dict()
    if errs := [e for e in _last_errors[:5]]:
        log.warning("load test errors (first 5): %s", errs)
    return {"oms_300_stations_p99_ms" if stations == 300 else f"oms_{stations}_stations_p99_ms": d["p99_ms"],
            "oms_load_p50_ms": d["p50_ms"], "oms_load_max_ms": d["max_ms"], "oms_load_events_per_s": d["events_per_s"],
            "oms_load_batches": d["batches"], "oms_load_errors": d["errors"], "oms_load_lost": d["lost"],
            "oms_load_duplicated": d["duplicated"], "oms_load_reconnects": d["retries"],
            "oms_load_warmup_p99_ms": d["warmup_p99_ms"]}


if __name__ == "__main__":
    import sys
    import tempfile
    from pathlib import Path

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    dur = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    w = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    with tempfile.TemporaryDirectory() as d:
        print(json.dumps(oms_load_figures(Path(d), stations=n, duration_s=dur, workers=w), indent=1))
