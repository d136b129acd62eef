# ruff: noqa: F811  (pytest fixtures imported from oms_fixtures are parameters here)
"""What the reference OMS's speed relies on (issue 15; figures in `packstation bench`, never timed here):
a batch is stored in one transaction with no statement per event beyond the insert itself, a re-sent or
overlapping batch counts nothing twice (SQLite and PostgreSQL), and a pick-list poll reads along an index
and writes nothing."""

from __future__ import annotations

import requests
from oms_fixtures import bearer, oms, oms_backend, oms_factory, pg_cluster  # noqa: F401
from sqlalchemy import event, func, select

from sync.oms_server import models as m
from sync.oms_server.app import cancel_due, create_app, make_engine, picklists_query


def _ev(i, sid="ST-R"):
    return {"id": f"ev-{sid}-{i}", "station_id": sid, "seq": i, "ts_utc_ms": 1_700_000_000_000 + i, "type": "scan",
            "payload": {"i": i, "name": "商品"}}


def _post(oms, headers, events, offset=5):
    r = requests.post(oms.url + "/api/v1/events/batch", json={"sent_at_ms": 1, "clock_offset_ms": offset,
                                                              "events": events}, headers=headers, timeout=20)
    assert r.status_code == 200, r.text
    return [x["status"] for x in r.json()["results"]]


def test_a_resent_batch_counts_nothing_twice(oms):
    H = bearer(oms.issue_token("ST-R"))
    first = [_ev(i) for i in range(1, 201)]
    assert _post(oms, H, first) == ["accepted"] * 200
    assert _post(oms, H, first) == ["duplicate"] * 200  # the whole batch again (its answer was lost)
    # half old, half new, one id twice in the batch, one event of another station
    mixed = [_ev(i) for i in range(101, 301)] + [_ev(300), _ev(301, "OTHER")]
    assert _post(oms, H, mixed) == ["duplicate"] * 100 + ["accepted"] * 100 + ["duplicate", "rejected"]
    # another station may use the same event ids: they are its own
    K = bearer(oms.issue_token("ST-K"))
    assert _post(oms, K, [{**_ev(i), "station_id": "ST-K"} for i in range(1, 6)]) == ["accepted"] * 5
    st = requests.get(oms.url + "/api/v1/_stats", headers=H, timeout=5).json()
    r = st["per_station"]["ST-R"]
    assert (r["received"], r["unique"], r["duplicates"], r["rejected"], r["batches"]) == (602, 300, 301, 1, 3)
    assert st["events_unique"] == 305
    with oms.app.state.engine.connect() as c:
        n = c.execute(select(func.count()).select_from(m.events).where(m.events.c.station_id == "ST-R")).scalar()
        doc = c.execute(select(m.events.c.doc).where(m.events.c.id == "ev-ST-R-7")).scalar()
    assert n == 300 and '"商品"' in doc  # the event as sent, not escaped


def _traced(app) -> list[str]:
    """Every SQL statement SQLite runs on the OMS's connections from now on (executemany: once per row)."""
    eng = app.state.engine
    eng.dispose()
    seen: list[str] = []

    @event.listens_for(eng, "connect")
    def _trace(dbapi_conn, _rec):
        dbapi_conn.set_trace_callback(seen.append)

    return seen


def test_sqlite_batch_is_one_transaction_without_per_event_lookups(tmp_path):
    from sync.contract import EventBatch

    app = create_app(tmp_path / "oms.sqlite3")
    store = app.user_middleware[0].kwargs["fast"]["batch"]
    batch = EventBatch.model_validate({"sent_at_ms": 1, "events": [_ev(i) for i in range(1, 201)]})
    seen = _traced(app)
    assert {r["status"] for r in store("ST-R", batch)["results"]} == {"accepted"}
    stmts = [s.split()[0].upper() for s in seen if not s.upper().startswith("PRAGMA")]
    assert stmts.count("BEGIN") == 1 and stmts.count("COMMIT") == 1 and "ROLLBACK" not in stmts
    assert stmts.count("SELECT") == 1  # the ids already stored: one statement for the whole batch
    assert stmts.count("INSERT") == 200 + 1  # the prepared insert per row (one executemany) + the counters
    assert any("BEGIN IMMEDIATE" in s for s in seen)  # the write lock from the look-up to the insert
    seen.clear()
    assert {r["status"] for r in store("ST-R", batch)["results"]} == {"duplicate"}
    assert [s.split()[0].upper() for s in seen].count("INSERT") == 1  # the counters only


def test_sqlite_store_is_wal_with_normal_sync(tmp_path):
    eng = make_engine(tmp_path / "oms.sqlite3")
    with eng.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    eng.dispose()


def _plan(eng, q) -> str:
    with eng.connect() as c:
        sql = str(q.compile(eng, compile_kwargs={"literal_binds": True}))
        return " | ".join(r[3] for r in c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))


def test_poll_and_cancel_check_are_planned_on_indexes(tmp_path):
    from sqlalchemy import update

    from sync.oms_server.seed import add_bulk_orders, seed_demo

    eng = make_engine(tmp_path / "oms.sqlite3")
    seed_demo(eng)
    add_bulk_orders(eng, 500, 2)
    with eng.begin() as c:
        c.exec_driver_sql("ANALYZE")
    poll = _plan(eng, picklists_query("S1", 1_767_225_600_000, None, 200))
    page2 = _plan(eng, picklists_query("S1", 1_767_225_600_000, (1_767_225_600_001, "SO-1"), 200))
    for p in (poll, page2):
        assert "USING INDEX ix_orders_updated (updated_ms>" in p and "TEMP B-TREE" not in p, p
    for q in (select(m.orders.c.id).where(*cancel_due(1)).limit(1), update(m.orders).where(*cancel_due(1))
              .values(status="cancelled")):
        p = _plan(eng, q)
        assert "USING INDEX ix_orders_cancel_due" in p, p
    eng.dispose()


def test_an_older_oms_file_gets_the_new_indexes(tmp_path):
    eng = make_engine(tmp_path / "oms.sqlite3")
    with eng.begin() as c:
        c.exec_driver_sql("DROP INDEX ix_orders_cancel_due")
    eng.dispose()
    eng = make_engine(tmp_path / "oms.sqlite3")
    with eng.connect() as c:
        names = set(c.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
    assert {"ix_orders_cancel_due", "ix_orders_updated"} <= names
    eng.dispose()


def test_a_poll_writes_nothing_unless_an_order_falls_due(tmp_path):
    from sync.oms_server import seed, serve_in_thread

    srv = serve_in_thread(tmp_path / "oms.sqlite3", seed="demo")
    try:
        A = bearer(srv.issue_token("A"))
        u = srv.url + "/api/v1/picklists"
        first = requests.get(u, headers=A, timeout=5).json()
        since = max(int(d["updated_at"]) for d in first["items"])
        seen = _traced(srv.app)
        for _ in range(3):
            assert requests.get(u, params={"updated_since": since}, headers=A, timeout=5).json()["items"] == []
        requests.get(srv.url + "/api/v1/picklists/SO-1001", headers=A, timeout=5)
        writes = [s for s in seen if s.split()[0].upper() in ("BEGIN", "UPDATE", "INSERT", "DELETE")]
        assert writes == [], writes
        # the demo cancellation still happens: claimed, then its delay passes
        assert requests.post(srv.url + "/api/v1/picklists/SO-1005/claim", json={}, headers=A, timeout=5).ok
        with srv.app.state.engine.begin() as c:
            c.execute(m.orders.update().where(m.orders.c.id == "SO-1005")
                      .values(claimed_at_ms=m.orders.c.claimed_at_ms - seed.CANCEL_AFTER_CLAIM["SO-1005"] - 1))
        seen.clear()
        page = requests.get(u, params={"updated_since": since}, headers=A, timeout=5).json()
        assert [(d["id"], d["status"]) for d in page["items"]] == [("SO-1005", "cancelled")]
        assert sum(s.split()[0].upper() == "UPDATE" for s in seen) == 1
    finally:
        srv.stop()
