"""Supervisor figures agree wherever they are shown: the station's own log and the OMS's all-station
endpoint (after the outbox synced the same events) give the same numbers, day boundaries included."""

import random
from datetime import UTC, datetime

import requests

from app.config import SlaSettings
from app.events import EventLog
from app.stats import day_bounds_ms, figures_from_store
from sync.client import OmsClient
from sync.oms_server import serve_in_thread
from sync.outbox import drain


def _utc_ms(*a):
    return int(datetime(*a, tzinfo=UTC).timestamp() * 1000)


def test_oms_figures_equal_the_station_figures_for_the_same_events(store, tmp_path):
    rnd = random.Random(7)
    clock = {"t": _utc_ms(2026, 11, 16, 14, 0)}  # 22:00 in Shanghai: the shift crosses local midnight
    log = EventLog(store, "ST-7", clock_ms=lambda: clock["t"])
    kinds = ["accepted"] * 6 + ["wrong_item", "sibling_variant", "unknown", "over_scan"]
    for n in range(40):
        order = f"SO-{n}"
        clock["t"] += rnd.randint(30_000, 240_000)
        log.append("step_started", {"order_id": order, "step": "pick"}, operator_id="op1", order_id=order)
        for _ in range(rnd.randint(1, 5)):
            clock["t"] += rnd.randint(1_000, 20_000)
            k = rnd.choice(kinds)
            log.append("scan", {"verdict": {"kind": k}}, operator_id=rnd.choice(["op1", "op2"]),
                       order_id=order, kind=k)
        if n % 9 == 0:
            log.append("short_pick", {"reason": "damaged"}, operator_id="op1", order_id=order, kind="damaged")
        clock["t"] += rnd.randint(10_000, 60_000)
        log.append("step_completed", {"order_id": order, "step": "pick"}, operator_id="op1", order_id=order)
        log.append("order_completed", {"complexity": "mixed"}, operator_id="op1", order_id=order)

    srv = serve_in_thread(tmp_path / "oms.sqlite3", seed=None)
    try:
        client = OmsClient(srv.url, token=srv.issue_token("ST-7"))
        auth = {"Authorization": f"Bearer {srv.issue_token('SUPERVISOR-DESK')}"}
        result = drain(client, store, "ST-7")
        assert result is not None
        for d_from, d_to in (("2026-11-16", "2026-11-16"), ("2026-11-17", "2026-11-17"), ("2026-11-16", "2026-11-17")):
            a, b = day_bounds_ms(d_from, d_to, "Asia/Shanghai")
            local = figures_from_store(store, tz="Asia/Shanghai", start=a, end=b, sla=SlaSettings()).to_dict()
            remote = requests.get(f"{srv.url}/api/v1/stats", params={"from": d_from, "to": d_to}, headers=auth, timeout=10).json()
            assert remote["by_type"] == local["by_type"]
            assert remote["by_day"] == local["by_day"]
            assert remote["by_hour"] == local["by_hour"]
            assert remote["by_operator"] == local["by_operator"]
            assert remote["scans"] == local["scans"] and remote["orders"] == local["orders"]
        both = requests.get(f"{srv.url}/api/v1/stats", params={"from": "2026-11-16", "to": "2026-11-17"}, headers=auth, timeout=10).json()
        first = requests.get(f"{srv.url}/api/v1/stats", params={"from": "2026-11-16", "to": "2026-11-16"}, headers=auth, timeout=10).json()
        assert 0 < first["scans"] < both["scans"]  # the shift really crossed the local day boundary
        client.close()
    finally:
        srv.stop()
