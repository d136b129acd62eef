"""Supervisor figures agree wherever they are shown: the station's own log and the OMS's all-station
endpoint (after the outbox synced the same events) give the same numbers, day boundaries included."""

import random
from datetime import UTC, datetime

import requests

from app.config import SlaSettings
from app.events import EventLog
from app.stats import day_bounds_ms, error_rows, figures_from_store, latest_errors
from app.store import open_store
from sync.client import OmsClient
from sync.oms_server import serve_in_thread
from sync.outbox import drain


def _utc_ms(*a):
    return int(datetime(*a, tzinfo=UTC).timestamp() * 1000)


def test_oms_figures_equal_the_station_figures_for_the_same_events(store, tmp_path):
    rnd = random.Random(7)
    clock = {"t": _utc_ms(2026, 11, 16, 14, 0)}  # 22:00 in Shanghai: the shift crosses local midnight
    log = EventLog(store, "ST-7", clock_ms=lambda: clock["t"], mono_ns=lambda: clock["t"] * 1_000_000)
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
        if n % 4 == 0:  # a break mid-pick: suspended (a logout) and resumed; step times count the time worked
            log.append("step_suspended", {"order_id": order, "step": "pick", "reason": "logout"}, operator_id="op1",
                       order_id=order, kind="pick")
            clock["t"] += rnd.randint(600_000, 1_800_000)
            log.append("step_resumed", {"order_id": order, "step": "pick"}, operator_id="op1", order_id=order,
                       kind="pick")
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
            assert remote["steps"] == local["steps"] and local["steps"]["pick"]["n"] > 0
            assert local["steps"]["pick"]["p90_s"] < 600  # no break counted as picking (breaks are 10-30 min)
        both = requests.get(f"{srv.url}/api/v1/stats", params={"from": "2026-11-16", "to": "2026-11-17"}, headers=auth, timeout=10).json()
        first = requests.get(f"{srv.url}/api/v1/stats", params={"from": "2026-11-16", "to": "2026-11-16"}, headers=auth, timeout=10).json()
        assert 0 < first["scans"] < both["scans"]  # the shift really crossed the local day boundary
        # the latest errors too: the OMS lists the station's errors exactly as the station does
        a, b = day_bounds_ms("2026-11-16", "2026-11-17", "Asia/Shanghai")
        mine = latest_errors(store, "Asia/Shanghai", a, b)
        assert len(mine) > 5 and error_rows(both["latest_errors"], "Asia/Shanghai") == mine
        client.close()
    finally:
        srv.stop()


def test_the_oms_lists_every_stations_latest_errors_newest_first(tmp_path):
    """The supervisor's "all stations" view: the latest-errors table of the OMS holds each station's errors (it
    showed the asking station's only), newest first across stations, one station when asked."""
    t0 = _utc_ms(2026, 11, 16, 3, 0)
    srv = serve_in_thread(tmp_path / "oms.sqlite3", seed=None)
    try:
        for i, (sid, kind) in enumerate((("ST-1", "wrong_item"), ("ST-2", "sibling_variant"))):
            store = open_store(tmp_path / f"{sid}.sqlite3")
            log = EventLog(store, sid, clock_ms=lambda i=i: t0 + i * 60_000)
            log.append("scan", {"code": f"690000000001{i}", "verdict": {"kind": kind}}, operator_id=f"op{i}",
                       order_id=f"SO-{i}", kind=kind)
            log.append("scan", {"verdict": {"kind": "accepted"}}, operator_id=f"op{i}", order_id=f"SO-{i}",
                       kind="accepted")
            client = OmsClient(srv.url, token=srv.issue_token(sid))
            assert drain(client, store, sid) is not None
            client.close()
            store.close()
        auth = {"Authorization": f"Bearer {srv.issue_token('SUPERVISOR-DESK')}"}
        url, day = f"{srv.url}/api/v1/stats", {"from": "2026-11-16", "to": "2026-11-16"}
        every = requests.get(url, params=day, headers=auth, timeout=10).json()["latest_errors"]
        assert [(e["station_id"], e["error"], e["what"]) for e in every] == [
            ("ST-2", "sibling_variant", "6900000000011"), ("ST-1", "wrong_item", "6900000000010")]
        one = requests.get(url, params={**day, "station_id": "ST-1"}, headers=auth, timeout=10).json()
        assert [e["station_id"] for e in one["latest_errors"]] == ["ST-1"]
    finally:
        srv.stop()


def test_the_oms_names_each_error_s_order_by_its_number(tmp_path):
    """The OMS's latest errors carry the order's number ("#50001", its orders table) beside its id: the supervisor's
    table said "SO-1001" where every screen, label and slip says the number; an order it does not know keeps none."""
    t0 = _utc_ms(2026, 11, 16, 3, 0)
    srv = serve_in_thread(tmp_path / "oms.sqlite3")  # the demo's orders: SO-1001 is #50001
    try:
        store = open_store(tmp_path / "st.sqlite3")
        log = EventLog(store, "ST-1", clock_ms=lambda: t0)
        for order in ("SO-1001", "SO-NOWHERE"):
            log.append("scan", {"code": "123", "verdict": {"kind": "unknown"}}, operator_id="op1", order_id=order,
                       kind="unknown")
        client = OmsClient(srv.url, token=srv.issue_token("ST-1"))
        assert drain(client, store, "ST-1") is not None
        client.close()
        store.close()
        auth = {"Authorization": f"Bearer {srv.issue_token('SUPERVISOR-DESK')}"}
        every = requests.get(f"{srv.url}/api/v1/stats", params={"from": "2026-11-16", "to": "2026-11-16"},
                             headers=auth, timeout=10).json()["latest_errors"]
        assert sorted((e["order_id"], e["order_no"]) for e in every) == [("SO-1001", "#50001"), ("SO-NOWHERE", None)]
        assert sorted(r[3] for r in error_rows(every, "Asia/Shanghai")) == ["#50001", "SO-NOWHERE"]
    finally:
        srv.stop()


def test_the_oms_counts_days_in_the_asking_station_s_zone_and_reads_them_by_their_time(tmp_path):
    """A station set to Europe/Berlin asked the OMS for a day and got Shanghai's (the OMS's default zone): errors at
    20:00 UTC on 16 Nov were the 16th at the station and the 17th in "all stations". The station sends its zone and
    the OMS counts in it. The OMS reads a day's events along its time index (it parsed every event ever received at
    every request: 15 s at 1M events, past the station's 10 s), and an OMS database from before the column gets it,
    filled from the events it holds."""
    import sqlite3

    t = _utc_ms(2026, 11, 16, 20, 0)
    db = tmp_path / "oms.sqlite3"
    srv = serve_in_thread(db, seed=None)
    try:
        store = open_store(tmp_path / "st.sqlite3")
        log = EventLog(store, "ST-1", clock_ms=lambda: t)
        for _ in range(2):
            log.append("scan", {"code": "123", "verdict": {"kind": "unknown"}}, operator_id="op1", order_id="SO-1",
                       kind="unknown")
        client = OmsClient(srv.url, token=srv.issue_token("ST-1"))
        assert drain(client, store, "ST-1") is not None
        client.close()
        auth = {"Authorization": f"Bearer {srv.issue_token('DESK')}"}
        url = f"{srv.url}/api/v1/stats"

        def day(d: str, **kw) -> dict:
            r = requests.get(url, params={"from": d, "to": d, **kw}, headers=auth, timeout=10)
            assert r.status_code == 200, r.text
            return r.json()

        for tz, on, off in (("Europe/Berlin", "2026-11-16", "2026-11-17"), ("Asia/Shanghai", "2026-11-17",
                                                                              "2026-11-16")):
            a, b = day_bounds_ms(on, on, tz)
            local = figures_from_store(store, tz=tz, start=a, end=b, sla=SlaSettings()).to_dict()
            remote = day(on, tz=tz)
            assert remote["by_type"] == local["by_type"] == {"unknown_barcode": 2}, (tz, remote["by_type"])
            assert remote["by_hour"] == local["by_hour"] and remote["tz"] == tz
            assert day(off, tz=tz)["by_type"] == {}
            assert len(day(on, tz=tz)["latest_errors"]) == 2
        assert day("2026-11-17")["by_type"] == {"unknown_barcode": 2}  # no zone asked: the OMS's own (Shanghai)
        assert requests.get(url, params={"from": "2026-11-16", "to": "2026-11-16", "tz": "Mars/Olympus"},
                            headers=auth, timeout=10).status_code == 422
    finally:
        srv.stop()
    con = sqlite3.connect(db)
    plan = " ".join(r[3] for r in con.execute(
        "EXPLAIN QUERY PLAN SELECT doc FROM events WHERE ts_utc_ms >= 1 AND ts_utc_ms < 2"))
    assert "ix_events_ts" in plan, plan
    con.execute("DROP INDEX ix_events_ts")  # an OMS database from before the column
    con.execute("ALTER TABLE events DROP COLUMN ts_utc_ms")
    con.commit()
    con.close()
    srv = serve_in_thread(db, seed=None)
    try:
        auth = {"Authorization": f"Bearer {srv.issue_token('DESK')}"}
        r = requests.get(f"{srv.url}/api/v1/stats", params={"from": "2026-11-16", "to": "2026-11-16",
                                                            "tz": "Europe/Berlin"}, headers=auth, timeout=10)
        assert r.json()["by_type"] == {"unknown_barcode": 2}
    finally:
        srv.stop()
    store.close()
