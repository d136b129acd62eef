# ruff: noqa: F811  (pytest fixtures imported from oms_fixtures are parameters here)
"""The load tool behind `oms_300_stations_p99_ms`, small and bounded: many stations posting the batches a
station sends at once, on SQLite and on PostgreSQL (2 workers): no errors, every event stored exactly once,
the OMS's per-station counters agree. (Latency is a bench figure, never asserted here.)"""

from __future__ import annotations

import requests
from oms_fixtures import bearer, oms_backend, oms_factory, pg_cluster  # noqa: F401
from sqlalchemy import select

from sync.oms_server import models as m
from sync.oms_server.loadtest import run_load


def test_many_stations_at_once_lose_and_duplicate_nothing(oms_factory):
    srv = oms_factory(None)
    tokens = {f"LT-{i:02d}": srv.issue_token(f"LT-{i:02d}") for i in range(30)}
    res, ids = run_load(srv.url, tokens, rate=8.0, duration_s=2.0, processes=1)
    assert res.errors == 0 and res.stations == 30
    assert res.batches > 30 and res.events == len(ids) > 100
    assert len(ids) == len(set(ids))
    with srv.app.state.engine.connect() as c:
        stored = list(c.execute(select(m.events.c.station_id, m.events.c.id)))
    assert sorted(i for _, i in stored) == sorted(ids)  # every accepted event stored, once, nothing else
    assert all(i.startswith(sid + "-") for sid, i in stored)  # under its own station
    st = requests.get(srv.url + "/api/v1/_stats", headers=bearer(tokens["LT-00"]), timeout=10).json()
    assert st["events_unique"] == len(ids) and st["duplicates"] == 0 and st["rejected"] == 0
    assert sum(p["batches"] for p in st["per_station"].values()) == res.batches
