"""The station's statistics aggregate (kept across refreshes and restarts, extended by the events
appended since) gives the very figures `compute` gives from the raw rows: day ranges across a UTC+8
midnight, a station filter, steps that straddle a range boundary, events appended after a refresh."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from app import stats
from app.config import SlaSettings
from app.events import EventLog
from app.stats import compute, day_bounds_ms, figures_from_store, load_rows

TZ = "Asia/Shanghai"
KINDS = ["accepted"] * 5 + ["wrong_item", "sibling_variant", "unknown", "over_scan", "wrong_bin", "order_selected"]


def _shift(store, station: str, rnd: random.Random, t0: int, orders: int) -> int:
    clock = {"t": t0}
    log = EventLog(store, station, clock_ms=lambda: clock["t"])
    for n in range(orders):
        order = f"{station}-SO{n}"
        op = rnd.choice(["op1", "op2", "op3"])
        clock["t"] += rnd.randint(20_000, 900_000)
        for step in ("pick", "pack"):
            log.append("step_started", {"step": step}, operator_id=op, order_id=order, kind=step)
            if rnd.random() < 0.1:  # started twice (a re-start): the later start counts
                clock["t"] += rnd.randint(1_000, 30_000)
                log.append("step_started", {"step": step}, operator_id=op, order_id=order)
            for _ in range(rnd.randint(1, 4)):
                clock["t"] += rnd.randint(1_000, 40_000)
                k = rnd.choice(KINDS)
                log.append("scan", {"verdict": {"kind": k}}, operator_id=op, order_id=order, kind=k)
            if rnd.random() < 0.15:
                log.append("short_pick", {"reason": "damaged"}, operator_id=op, order_id=order, kind="damaged")
            if rnd.random() < 0.2:  # a break: suspended (a logout) and resumed; the time away is not the step's
                log.append("step_suspended", {"step": step, "reason": "logout"}, operator_id=op, order_id=order,
                           kind=step)
                clock["t"] += rnd.randint(60_000, 3_600_000)
                log.append("step_resumed", {"step": step}, operator_id=op, order_id=order, kind=step)
            clock["t"] += rnd.randint(5_000, 120_000)
            if rnd.random() < 0.9:  # some steps never finish
                log.append("step_completed", {"step": step}, operator_id=op, order_id=order)
        if rnd.random() < 0.2:
            log.append("reprint", {}, operator_id=None, order_id=order)
        log.append("order_completed", {"complexity": rnd.choice(["mixed", "single_item"])}, operator_id=op,
                   order_id=order)
    return clock["t"]


def _same(store, days, station=None):
    for d_from, d_to in days:
        a, b = day_bounds_ms(d_from, d_to, TZ)
        got = figures_from_store(store, tz=TZ, start=a, end=b, sla=SlaSettings(), station=station).to_dict()
        want = compute(load_rows(store, a, b), tz=TZ, start=a, end=b, sla=SlaSettings(), station=station).to_dict()
        assert got == want, (d_from, d_to, station)


def test_station_aggregate_equals_compute_over_rows_through_refreshes_and_restarts(store, monkeypatch):
    monkeypatch.setattr(stats, "SNAPSHOT_AFTER", 50)
    monkeypatch.setattr(stats, "FOLD_CHUNK", 333)  # several chunks per fold
    rnd = random.Random(15)
    t0 = int(datetime(2026, 11, 16, 13, 0, tzinfo=UTC).timestamp() * 1000)  # 21:00 in Shanghai
    t = _shift(store, "ST-1", rnd, t0, 60)
    days = [("2026-11-16", "2026-11-16"), ("2026-11-17", "2026-11-17"), ("2026-11-16", "2026-11-18"),
            ("2026-11-15", "2026-11-15")]
    _same(store, days)
    _same(store, days, station="ST-1")
    folded = stats.station_aggregate(store).last_seq
    assert folded > 0 and store.get_kv(stats.KV_SNAPSHOT)["last_seq"] == folded

    _shift(store, "ST-1", rnd, t, 40)  # the shift goes on after a refresh
    _same(store, days)
    assert stats.station_aggregate(store).last_seq > folded

    stats._AGGS.clear()  # a restart: the snapshot in kv, then the events after it
    _shift(store, "ST-1", rnd, t + 10 * 3_600_000, 10)
    _same(store, days + [("2026-11-16", "2026-11-20")])
    _same(store, days, station="ST-1")
    _same(store, days, station="ST-X")  # another station: nothing


def test_operator_filters_and_odd_ranges_still_fold_the_rows(store):
    rnd = random.Random(2)
    t0 = int(datetime(2026, 11, 16, 1, 0, tzinfo=UTC).timestamp() * 1000)
    _shift(store, "ST-2", rnd, t0, 30)
    a, b = day_bounds_ms("2026-11-16", "2026-11-16", TZ)
    for start, end, op in ((a, b, "op2"), (a + 123_457, b - 1, None)):
        got = figures_from_store(store, tz=TZ, start=start, end=end, sla=SlaSettings(), operator=op).to_dict()
        want = compute(load_rows(store, start, end), tz=TZ, start=start, end=end, sla=SlaSettings(),
                       operator=op).to_dict()
        assert got == want
        assert got["scans"] > 0


def test_a_different_log_at_the_same_path_is_not_mistaken_for_the_folded_one(tmp_path):
    from app.store import open_store

    rnd = random.Random(4)
    t0 = int(datetime(2026, 11, 16, 1, 0, tzinfo=UTC).timestamp() * 1000)
    days = [("2026-11-16", "2026-11-17")]
    st = open_store(tmp_path / "s.sqlite3")
    _shift(st, "ST-A", rnd, t0, 20)
    _same(st, days)
    st.close()
    (tmp_path / "s.sqlite3").unlink()
    for p in tmp_path.glob("s.sqlite3-*"):
        p.unlink()
    st = open_store(tmp_path / "s.sqlite3")
    _shift(st, "ST-B", rnd, t0, 5)
    _same(st, days)
    a, b = day_bounds_ms(*days[0], TZ)
    assert list(figures_from_store(st, tz=TZ, start=a, end=b, sla=SlaSettings()).by_station) in ([], ["ST-B"])
    st.close()
