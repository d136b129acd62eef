"""The statistics snapshot (kv `stats.aggregate`) round-trips exactly, is stored as a handful of objects
(columns of ints), and one made under another definition of an error (or before definitions were recorded,
version 1 included) is folded again; the rows for the figures come back from SQLite already in append order (no sort in Python, which held the GIL)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

from test_stats_aggregate import _shift

from app import stats
from app.stats import Aggregate, load_rows, station_aggregate


def _aggregate(store) -> Aggregate:
    t0 = int(datetime(2026, 11, 16, 13, 0, tzinfo=UTC).timestamp() * 1000)
    _shift(store, "ST-1", random.Random(3), t0, 40)
    return station_aggregate(store)


def _state(g: Aggregate):
    return (g.last_seq, g.last_id, dict(g.scans), dict(g.orders), dict(g.errors),
            {k: tuple(v) if isinstance(v, list | tuple) else v for k, v in g.starts.items()},
            {k: tuple(map(list, arrays)) for k, arrays in g.pairs.items()})


def test_snapshot_round_trips_and_is_a_few_objects(store):
    g = _aggregate(store)
    assert g.errors and g.scans and g.orders and g.pairs
    d = json.loads(json.dumps(g.to_json()))  # as stored in kv
    assert d["v"] == 2 and all(isinstance(d[k], str) for k in ("scans", "orders", "errors"))
    assert _state(Aggregate.from_json(d)) == _state(g)


def test_rows_come_in_append_order_good_scan_counts_first(store):
    _aggregate(store)
    rows = load_rows(store, 0, 2**62)
    seqs = [r[8] for r in rows]
    good = [s for s in seqs if s == 0]
    assert good and seqs[:len(good)] == good  # the grouped good scans (seq 0) first
    assert seqs[len(good):] == sorted(seqs[len(good):]) and len(set(seqs[len(good):])) == len(seqs) - len(good)
    with store.read() as c:
        raw = c.connection.dbapi_connection
        plan = " ".join(r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + stats._SQL_FOLD_ROWS + " ORDER BY seq",
                                                  (0, 10)))
    assert "INTEGER PRIMARY KEY" in plan and "TEMP B-TREE" not in plan  # the fold reads along the key


def test_the_stored_snapshot_is_what_get_kv_reads(store, monkeypatch):
    monkeypatch.setattr(stats, "SNAPSHOT_AFTER", 10)
    stats._AGGS.clear()
    g = _aggregate(store)
    d = store.get_kv(stats.KV_SNAPSHOT)
    assert d is not None and d["v"] == 2 and d["last_seq"] == g.last_seq
    assert _state(Aggregate.from_json(d)) == _state(g)
    assert json.loads(stats.snapshot_text(g.to_json())) == json.loads(json.dumps(g.to_json()))


def test_a_snapshot_made_under_another_definition_of_an_error_is_folded_again(store, monkeypatch):
    """A station upgraded to a release that counts one more kind of error (serial_required) must not add its new
    events to counts folded under the old rule: its snapshot is dropped and the whole log folded again."""
    monkeypatch.setattr(stats, "SNAPSHOT_AFTER", 10)
    stats._AGGS.clear()
    g = _aggregate(store)
    stale = g.to_json()
    stale["definition"] = "an-older-one"
    stale["errors"] = stats._b64(stats.array("q"))  # counted under the old rule: none
    store.set_kv(stats.KV_SNAPSHOT, json.loads(stats.snapshot_text(stale)))
    stats._AGGS.clear()
    again = station_aggregate(store)
    assert _state(again) == _state(g) and again.errors
    stored = store.get_kv(stats.KV_SNAPSHOT)
    assert stored["definition"] == stats.DEFINITION
    old = {k: v for k, v in stale.items() if k != "definition"}  # from before definitions were recorded: the same
    store.set_kv(stats.KV_SNAPSHOT, old)
    stats._AGGS.clear()
    assert _state(station_aggregate(store)) == _state(g)
    v1 = {"v": 1, "last_seq": g.last_seq, "last_id": g.last_id,  # an older station's: no definition either
          "scans": [[*k, n] for k, n in g.scans.items()], "orders": [[*k, n] for k, n in g.orders.items()],
          "errors": [], "starts": [[*k, t] for k, t in g.starts.items()],
          "pairs": [[step, sid, stats._b64(a), stats._b64(b)] for (step, sid), (a, b, _w) in g.pairs.items()]}
    store.set_kv(stats.KV_SNAPSHOT, v1)
    stats._AGGS.clear()
    assert _state(station_aggregate(store)) == _state(g)


def test_the_fold_finds_good_scans_along_the_primary_key_not_the_type_index(store):
    # folding the events after a snapshot reads that seq range only: through ix_events_type_kind it walked every good
    # scan of the log (167 ms for 1,000 new events after a million)
    import sqlite3

    from app.bench_data import event_rows, insert_events

    con = sqlite3.connect(store.path)
    insert_events(con, event_rows(3000))
    con.commit()
    for analyze in (False, True):  # whatever the planner knows of the table (a station never runs ANALYZE)
        if analyze:
            con.execute("ANALYZE")
        plan = " | ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + stats._SQL_FOLD_GOOD, (2900, 3000)))
        assert "INTEGER PRIMARY KEY" in plan and "ix_events_type_kind" not in plan, (analyze, plan)
    con.close()


def test_a_step_suspended_across_a_snapshot_counts_only_its_time_worked(store, monkeypatch):
    """A step started, suspended (a logout for a break) when the station stores its snapshot, then resumed and ended
    after a restart: its duration is the time worked on either side of the break, as the rows folded afresh say."""
    from app.config import SlaSettings
    from app.events import EventLog

    monkeypatch.setattr(stats, "SNAPSHOT_AFTER", 1)
    stats._AGGS.clear()
    now = {"t": int(datetime(2026, 11, 16, 1, 0, tzinfo=UTC).timestamp() * 1000)}
    log = EventLog(store, "ST1", clock_ms=lambda: now["t"], mono_ns=lambda: now["t"] * 1_000_000)

    def at(dt_s, type_, step="pick"):
        now["t"] += dt_s * 1000
        log.append(type_, {"order_id": "SO1", "step": step}, operator_id="op1", order_id="SO1", kind=step)

    at(0, "step_started")
    at(90, "step_suspended")  # 90 s worked
    station_aggregate(store)  # the snapshot is stored with the step open and suspended
    assert store.get_kv(stats.KV_SNAPSHOT)["starts"]
    stats._AGGS.clear()  # a restart: the aggregate comes back from kv
    at(1800, "step_resumed")  # a 30-minute break
    at(30, "step_completed")  # 30 s more
    day = (now["t"] // 86_400_000 * 86_400_000, now["t"] // 86_400_000 * 86_400_000 + 86_400_000)
    kept = stats.figures_from_store(store, tz="UTC", start=day[0], end=day[1], sla=SlaSettings()).steps["pick"]
    rows = stats.figures_from_store(store, tz="UTC", start=day[0] + 1, end=day[1] - 1,  # folded afresh from rows
                                    sla=SlaSettings()).steps["pick"]
    assert kept.n == rows.n == 1 and kept.median_s == rows.median_s == 120.0


def test_a_step_ended_while_set_aside_counts_up_to_where_it_was_set_aside(core):
    """An order's label step set aside (the packer went on to another order after F9) ends when its label comes out,
    ten minutes later: the step counts the minute worked on it, in the figures and on the order's own clock."""
    from floor_kit import simple_order

    from app.config import SlaSettings
    from app.events import EventLog
    from app.workflow import OrderSession, Station, Step

    now = {"t": int(datetime(2026, 11, 16, 1, 0, tzinfo=UTC).timestamp() * 1000)}
    log = EventLog(core.store, "ST1", clock_ms=lambda: now["t"], mono_ns=lambda: now["t"] * 1_000_000)
    session = OrderSession(Station(core, steps=["label"]), simple_order(1), [Step.LABEL])

    def at(dt_s, type_, step="label"):
        now["t"] += dt_s * 1000
        ev = log.append(type_, {"order_id": "SO1", "step": step}, operator_id="op1", order_id="SO1", kind=step)
        session.apply(ev)
        return ev

    at(0, "step_started")
    aside = at(60, "step_suspended")
    assert session.times[Step.LABEL].duration_s(aside.mono_ns + 600 * 10**9) == 60.0  # its clock stands meanwhile
    at(600, "step_completed")
    assert session.times[Step.LABEL].duration_s() == 60.0
    day = now["t"] // 86_400_000 * 86_400_000
    for a, b in ((day, day + 86_400_000), (day + 1, day + 86_400_000 - 1)):  # kept aggregate; rows folded afresh
        label = stats.figures_from_store(core.store, tz="UTC", start=a, end=b, sla=SlaSettings()).steps["label"]
        assert label.n == 1 and label.median_s == 60.0, (a, b, label)
