"""What the outbox's speed at a big backlog relies on: the mark-sent UPDATE finds each run of events by
the primary key, the health check's queue depth is exact without counting the queue, and an OMS poll
that brings nothing new parses no cached pick list."""

from __future__ import annotations

import sqlite3

import pytest

from app.bench_data import event_rows, insert_events
from sync.outbox import MARK_SENT_SQL, queue_stats


def _plan(con: sqlite3.Connection, sql: str, params) -> str:
    return " | ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql, params))


def test_mark_sent_update_uses_the_primary_key_not_the_sync_state_index(store):
    con = sqlite3.connect(store.path)
    insert_events(con, event_rows(2000, sync_state="pending"))
    for _ in ("no statistics", "after ANALYZE"):  # whatever statistics the planner has, not ix_events_sync
        plan = _plan(con, MARK_SENT_SQL, {"t": 1, "lo": 5, "hi": 500})
        assert "INTEGER PRIMARY KEY" in plan and "ix_events_sync" not in plan, plan
        con.execute("ANALYZE")
    # ...and it still marks only pending events
    con.execute("UPDATE events SET sync_state = 'rejected' WHERE seq = 7")
    con.execute(MARK_SENT_SQL, {"t": 9, "lo": 6, "hi": 8})
    assert con.execute("SELECT seq, sync_state FROM events WHERE seq BETWEEN 5 AND 9 ORDER BY seq").fetchall() == [
        (5, "pending"), (6, "sent"), (7, "rejected"), (8, "sent"), (9, "pending")]
    con.close()


def test_sent_marks_mark_exactly_the_answered_events_around_a_gap(store):
    """The marks go in as runs of consecutive seqs: an event inside a batch that the OMS did not answer for
    (a partial answer) stays pending, and so do its neighbours outside the batch."""
    from sync.outbox import SentMarks

    con = sqlite3.connect(store.path)
    insert_events(con, event_rows(12, sync_state="pending"))
    con.close()
    marks = SentMarks(store)
    marks.add([2, 3, 4, 6, 7], 1000, None)
    marks.add([9], 1001, None)
    marks.flush_now()
    with store.read() as c:
        got = c.connection.dbapi_connection.execute(
            "SELECT seq, sync_state, sent_at_ms FROM events ORDER BY seq").fetchall()
    sent = {2: 1000, 3: 1000, 4: 1000, 6: 1000, 7: 1000, 9: 1001}
    assert got == [(q, "sent" if q in sent else "pending", sent.get(q)) for q in range(1, 13)]


def _exact(store) -> tuple[int, int | None, int]:
    con = sqlite3.connect(store.path)
    n, oldest = con.execute("SELECT count(*), (SELECT ts_utc_ms FROM events WHERE sync_state = 'pending' "
                            "ORDER BY seq LIMIT 1) FROM events WHERE sync_state = 'pending'").fetchone()
    rej = con.execute("SELECT count(*) FROM events WHERE sync_state = 'rejected'").fetchone()[0]
    con.close()
    return n, oldest, rej


def test_queue_depth_is_exact_in_every_state_the_outbox_leaves(store):
    assert queue_stats(store) == (0, None, 0)
    con = sqlite3.connect(store.path)
    insert_events(con, event_rows(500, sync_state="pending"))
    con.commit()
    assert queue_stats(store) == _exact(store) == (500, queue_stats(store)[1], 0)
    steps = [
        "UPDATE events SET sync_state = 'sent' WHERE seq <= 200",  # drained in order
        "UPDATE events SET sync_state = 'rejected', reject_reason = 'x' WHERE seq IN (50, 201)",
        "UPDATE events SET sync_state = 'sent' WHERE seq BETWEEN 202 AND 300",
        "UPDATE events SET sync_state = 'pending' WHERE seq IN (120, 250)",  # a batch answered in part
        "UPDATE events SET sync_state = 'quarantined' WHERE seq = 320",  # any other state leaves the queue
        "UPDATE events SET sync_state = 'sent' WHERE sync_state = 'pending'",
    ]
    for sql in steps:
        con.execute(sql)
        con.commit()
        assert queue_stats(store) == _exact(store), sql
    con.close()


def _vm_steps(store, fn) -> int:
    """SQLite virtual-machine instructions executed by fn (counted in thousands by a progress handler)."""
    ticks = [0]
    with store.read() as c:
        raw = c.connection.dbapi_connection
        raw.set_progress_handler(lambda: ticks.__setitem__(0, ticks[0] + 1) or 0, 1000)
        try:
            fn(raw)
        finally:
            raw.set_progress_handler(None, 0)
    return ticks[0]


def test_health_check_does_not_scan_the_queue(tmp_path):
    """The same work for 2,000 and 60,000 pending events (a COUNT would do 30 times more)."""
    from app.store import open_store
    from sync.outbox import _queue_stats

    cost = {}
    for n in (2_000, 60_000):
        st = open_store(tmp_path / f"s{n}.sqlite3")
        con = sqlite3.connect(st.path)
        insert_events(con, event_rows(n, sync_state="pending"))
        con.execute("UPDATE events SET sync_state = 'sent' WHERE seq <= 500")
        con.commit()
        con.close()
        cost[n] = _vm_steps(st, _queue_stats)
        count = _vm_steps(st, lambda raw: raw.execute(
            "SELECT count(*) FROM events WHERE sync_state = 'pending'").fetchone())
        assert queue_stats(st)[0] == n - 500
        st.close()
        if n == 60_000:
            assert count > 20 * max(cost[n], 1)  # the old way, for scale
    assert cost[60_000] <= cost[2_000] + 2


@pytest.fixture
def polling(tmp_path, settings):
    from app.core import open_core
    from sync.client import OmsClient
    from sync.oms_server import serve_in_thread
    from sync.service import SyncService

    srv = serve_in_thread(tmp_path / "oms.sqlite3", seed="demo")
    settings.station.id = "ST-P"
    core = open_core(settings)
    svc = SyncService(core, settings, client=OmsClient(srv.url, token=srv.issue_token(settings.station.id)))
    yield srv, svc
    svc.client.close()
    core.close()
    srv.stop()


def test_an_unchanged_poll_parses_no_pick_list(polling, monkeypatch):
    from app import picklist
    from sync import cache

    srv, svc = polling
    assert svc.pull_once() == 20  # the demo's 20 orders, their images fetched
    assert len(svc.cache.open_lazy()) == 20
    parsed = []
    real = picklist.PickList.from_dict.__func__

    def spy(cls, d):
        parsed.append(d.get("id") if isinstance(d, dict) else d)
        return real(cls, d)
    monkeypatch.setattr(picklist.PickList, "from_dict", classmethod(spy))
    monkeypatch.setattr(cache.PickList, "from_dict", classmethod(spy))
    assert svc.pull_once() == 0
    assert svc.pull_once() == 0
    assert parsed == []
    # a change is still seen: the OMS holds an order -> that one pick list comes (and is parsed)
    from sqlalchemy import update

    from sync.oms_server import models as m
    from sync.outbox import now_ms

    with srv.app.state.engine.begin() as c:
        c.execute(update(m.orders).where(m.orders.c.id == "SO-1007").values(status="held", updated_ms=now_ms()))
    assert svc.pull_once() == 1
    assert parsed == ["SO-1007"]
    assert svc.cache.row("SO-1007")["status"] == "held"


def _data_version(con: sqlite3.Connection) -> int:
    """SQLite's counter of commits made by other connections to the file since this one opened."""
    return con.execute("PRAGMA data_version").fetchone()[0]


def test_an_unchanged_poll_commits_nothing_and_a_changed_operator_is_still_stored(polling, monkeypatch):
    from sqlalchemy import update

    from sync import service
    from sync.oms_server import models as m

    # the clock offset has its own rule (stored again when it moved by 20 ms: a loaded machine's round trip can move
    # it); held still here, so what is counted is the poll's own writes
    monkeypatch.setattr(service, "OFFSET_WRITE_MIN_MS", 10**9)
    srv, svc = polling
    svc.pull_once()
    watcher = sqlite3.connect(svc.store.path)
    before = _data_version(watcher)
    assert svc.pull_once() == 0
    assert svc.pull_once() == 0
    # the OMS sends its whole operator list at every poll: rewriting it was a commit (an fsync) per operator
    assert _data_version(watcher) == before
    with srv.app.state.engine.begin() as c:
        first = c.execute(m.operators.select().order_by(m.operators.c.id)).first()
        c.execute(update(m.operators).where(m.operators.c.id == first.id).values(name="Renamed 改名", active=0))
    svc.pull_once()
    assert _data_version(watcher) != before
    op = svc.core.operators.by_id(first.id)
    assert op.name == "Renamed 改名" and op.active is False
    watcher.close()


def test_offline_claims_are_read_by_their_own_index(polling):
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    from sync.cache import PROVISIONAL

    srv, svc = polling
    svc.pull_once()
    svc.cache.mark_claimed("SO-1003", "ST-P", provisional=True)
    assert svc.cache.provisional() == ["SO-1003"]
    con = sqlite3.connect(svc.store.path)
    # the query as the cache sends it, planned on the partial index (not a scan of every cached pick list)
    plan = _plan(con, str(PROVISIONAL.compile(dialect=sqlite_dialect.dialect())), ())
    assert "ix_picklists_provisional" in plan, plan
    con.close()
