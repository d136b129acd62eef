"""The event log: durable before append returns, gap-free sequence numbers across restarts."""

import json
import os
import signal
import subprocess
import sys
import threading
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import IntegrityError

from app.events import EventLog, read_payload, strict_json
from app.store import open_store
from tests.conftest import ROOT


def test_append_records_every_field(store):
    log = EventLog(store, "ST-9", clock_ms=lambda: 1_700_000_000_123)
    ev = log.append("scan", {"raw": "4006381333931", "名": "红色"}, operator_id="op7", order_id="SO-1")
    (back,) = log.events()
    assert back == ev
    assert back.seq == 1 and back.station_id == "ST-9" and back.operator_id == "op7"
    assert back.ts_utc_ms == 1_700_000_000_123 and back.mono_ns > 0
    assert back.payload == {"raw": "4006381333931", "名": "红色"}
    u = uuid.UUID(back.id)
    assert u.version == 7


def test_uuid7_ids_sort_by_time(store):
    log = EventLog(store, "ST")
    ids = [log.append("x").id for _ in range(50)]
    assert ids == sorted(ids)


def test_sequence_is_gap_free_across_restarts(tmp_path):
    p = tmp_path / "s.sqlite3"
    for _ in range(3):
        st = open_store(p)
        log = EventLog(st, "ST")
        for _ in range(5):
            log.append("x")
        st.close()
    st = open_store(p)
    assert [e.seq for e in EventLog(st, "ST").events()] == list(range(1, 16))
    st.close()


def test_a_failed_commit_does_not_burn_a_sequence_number(store):
    log = EventLog(store, "ST")
    log.append("ok")
    with store.write() as c:  # a real SQLite failure at commit time, not a mock
        c.exec_driver_sql(
            "CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.type = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    with pytest.raises(IntegrityError):
        log.append("boom")
    log.append("ok")
    assert [(e.seq, e.type) for e in log.events()] == [(1, "ok"), (2, "ok")]


def test_an_event_another_process_appended_does_not_stop_this_ones_log(tmp_path):
    """`packstation sync-now` run while the station runs (sync-requeue's own advice) records an intercept its poll
    finds: the station's cached next sequence number was then taken, and every later append of the station failed
    on it ("NOT recorded" at every scan, UNIQUE constraint failed: events.seq) until it was restarted. Its next
    append now follows the other process's event, and the log stays gap-free."""
    p = tmp_path / "station.sqlite3"
    st = open_store(p)
    log = EventLog(st, "ST-A")
    log.append("login", {"badge": "K-001"}, operator_id="OP-K1")
    other = ("import sys; from app.store import open_store; from app.events import EventLog; s = open_store(sys.argv[1]); "
             "EventLog(s, 'ST-A').append('order_intercepted', {'order_id': 'SO-1', 'status': 'cancelled'}, "
             "order_id='SO-1'); s.close()")
    subprocess.run([sys.executable, "-c", other, str(p)], check=True, cwd=ROOT, timeout=60)
    a = log.append("scan", {"raw": "6900000000168"}, operator_id="OP-K1")
    b = log.append("scan", {"raw": "6900000000175"}, operator_id="OP-K1")
    assert (a.seq, b.seq) == (3, 4)
    assert [(e.seq, e.type) for e in log.events()] == [(1, "login"), (2, "order_intercepted"), (3, "scan"),
                                                        (4, "scan")]
    st.close()


def test_concurrent_appends_from_threads_stay_gap_free(store):
    log = EventLog(store, "ST")

    def worker():
        for _ in range(40):
            log.append("x")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seqs = [e.seq for e in log.events()]
    assert seqs == list(range(1, 161))


APPENDER = r"""
import sys
from app.events import EventLog
from app.store import open_store
st = open_store(sys.argv[1])
log = EventLog(st, "ST")
i = 0
while True:
    ev = log.append("scan", {"i": i})
    print(ev.seq, ev.id, flush=True)
    i += 1
"""


@pytest.mark.parametrize("kill_after", [1, 7, 40])
def test_event_survives_sigkill_right_after_append_returned(tmp_path, kill_after):
    p = tmp_path / "s.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", APPENDER, str(p)], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    reported = []
    for line in proc.stdout:
        reported.append(line.split())
        if len(reported) == kill_after:
            proc.send_signal(signal.SIGKILL)  # no chance to flush or close anything
            break
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    st = open_store(p)
    stored = {(str(e.seq), e.id) for e in EventLog(st, "ST").events()}
    st.close()
    for seq, eid in reported:
        assert (seq, eid) in stored, f"event {seq} was reported committed but is gone"
    seqs = sorted(int(s) for s, _ in stored)
    assert seqs == list(range(1, len(seqs) + 1))


def test_listeners_hear_only_committed_events_and_cannot_break_append(store):
    log = EventLog(store, "ST")
    heard = []
    log.subscribe(lambda ev: heard.append(ev.seq))
    log.subscribe(lambda ev: 1 / 0)
    ev = log.append("x")
    assert heard == [1] and ev.seq == 1
    assert log.count() == 1


def test_payload_is_stored_as_json_text(store):
    log = EventLog(store, "ST")
    log.append("scan", {"raw": "A\tB"})
    with store.read() as c:
        raw = c.exec_driver_sql("SELECT payload FROM events").scalar()
    assert json.loads(raw) == {"raw": "A\tB"}


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), "\ud800"])
def test_a_payload_that_is_not_strict_json_is_refused_at_append(store, bad):
    from app.events import EventPayloadError

    log = EventLog(store, "ST")
    with pytest.raises(EventPayloadError, match=r"expected_g.*not valid JSON"):
        log.append("weight_recorded", {"order_id": "SO-1", "grams": 812, "expected_g": bad})
    assert log.count() == 0
    assert log.append("scan", {"ok": 1.5}).seq == 1  # nothing half-written; the next one gets seq 1


def test_the_fast_encoder_writes_the_strict_ones_values_and_refuses_what_it_refuses():
    """Payloads are written by pydantic-core (no strict mode of its own): for any JSON value the text reads back as
    the same value as the standard library's (the texts differ only in how some floats are written: 1e-7 for
    1e-07); NaN/Infinity anywhere and lone surrogates are refused all the same; a string that says "NaN" or
    "Infinity" is text, not a refusal."""
    from hypothesis import given, settings
    from hypothesis import strategies as hs

    from app.events import EventPayloadError, encode_payload

    strict = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = hs.text(hs.characters(exclude_categories=["Cs"]), max_size=12) | hs.sampled_from(["NaN", "-Infinity x"])
    floats = hs.floats(allow_nan=False, allow_infinity=False) | hs.sampled_from([1e-7, 1e-5, 1e16, -0.0, 812.5])
    leaf = hs.none() | hs.booleans() | hs.integers() | floats | text
    values = hs.recursive(leaf, lambda kids: hs.lists(kids, max_size=4) | hs.dictionaries(text, kids, max_size=4),
                          max_leaves=20)

    @settings(max_examples=400, deadline=None)
    @given(payload=hs.dictionaries(text, values, max_size=6))
    def same(payload):
        written = encode_payload("x", payload)
        assert json.loads(written) == json.loads(strict.encode(payload)) == payload
        assert written.encode("utf-8")  # valid UTF-8 text

    same()
    for bad in (float("nan"), float("-inf"), "a\udc80"):
        with pytest.raises(EventPayloadError, match=r"verdict\.details\[1\] is not valid JSON"):
            encode_payload("scan", {"verdict": {"details": ["ok", bad]}})
    assert encode_payload("scan", {"raw": "NaN", "n": 1.0}) == '{"raw":"NaN","n":1.0}'


def test_an_event_joins_the_callers_transaction_and_commits_or_rolls_back_with_its_row(store):
    from app import schema

    log = EventLog(store, "ST")
    heard = []
    log.subscribe(heard.append)
    log.append("a")
    with store.write() as c:
        store.set_kv("job", "done", conn=c)
        ev = log.append("label_printed", {"job_id": "j1"}, conn=c)
        assert heard == [log.events()[0]]  # not told before the COMMIT
    assert [e.seq for e in heard] == [1, 2] and heard[1] == ev
    with pytest.raises(RuntimeError):
        with store.write() as c:
            store.set_kv("job", "other", conn=c)
            log.append("label_printed", {"job_id": "j2"}, conn=c)
            raise RuntimeError("crash between the row and the event")
    assert store.get_kv("job") == "done"
    assert [e.seq for e in log.events()] == [1, 2] and len(heard) == 2  # neither row nor event
    assert log.append("b").seq == 3  # gap-free after the rollback
    with pytest.raises(ValueError):
        with store.read() as c:
            log.append("x", conn=c)
    with store.read() as c:
        assert c.execute(schema.events.select()).all()[-1].seq == 3


def test_joined_and_plain_appends_from_many_threads_never_deadlock_or_collide(store):
    log = EventLog(store, "ST")

    def joined():
        for i in range(100):
            with store.write() as c:
                store.set_kv(f"k{i}", i, conn=c)
                log.append("joined", conn=c)

    def plain():
        for _ in range(100):
            log.append("plain")

    ts = [threading.Thread(target=f) for f in (joined, plain, joined, plain)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
        assert not t.is_alive()
    assert [e.seq for e in log.events()] == list(range(1, 401))


def test_orders_left_open_are_read_per_unfinished_pick_list_not_over_the_whole_history(store):
    """A login asks which orders its operator left open; the answer comes through the order index, one
    range per unfinished pick list (a station's million events were walked in Python: 3.4 s)."""
    import sqlite3

    from app.events import last_of_unfinished_orders_query

    log = EventLog(store, "ST")
    life = ["step_started", "step_suspended", "order_completed"]
    log.append("step_started", {"step": "pick"}, operator_id="opA", order_id="SO-1")  # A left it open
    log.append("scan", {}, operator_id="opA", order_id="SO-1")
    log.append("step_started", {"step": "pick"}, operator_id="opA", order_id="SO-2")
    log.append("step_started", {"step": "pick"}, operator_id="opB", order_id="SO-2")  # B took it over
    log.append("step_started", {"step": "pick"}, operator_id="opA", order_id="SO-3")
    log.append("order_completed", {}, operator_id="opA", order_id="SO-3")  # finished
    log.append("step_started", {"step": "pick"}, operator_id="opA", order_id="SO-4")  # its list is done
    con = sqlite3.connect(store.path)
    con.executemany("INSERT INTO picklists (id, order_no, status, provisional, fetched_at_ms, doc) "
                    "VALUES (?, ?, ?, 0, 0, '{}')", [("SO-1", "1", "claimed"), ("SO-2", "2", "in_progress"),
                                                     ("SO-3", "3", "in_progress"), ("SO-4", "4", "done"),
                                                     ("SO-5", "5", "open")])
    con.commit()
    found = [(e.order_id, e.type) for e in log.last_of_unfinished_orders(life, "opA")]
    assert found == [("SO-1", "step_started"), ("SO-3", "order_completed")]
    assert [e.order_id for e in log.last_of_unfinished_orders(life, "opB")] == ["SO-2"]
    con.execute("ANALYZE")  # whatever the statistics, the events are read along the order index
    sql = str(last_of_unfinished_orders_query(life, "opA").compile(store.engine,
                                                                   compile_kwargs={"literal_binds": True}))
    plan = " | ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + sql))
    assert "ix_events_order (order_id=?)" in plan and "SCAN events" not in plan and "SCAN x" not in plan, plan
    con.close()


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_JSON_VALUES)
def test_the_outbox_fast_json_reads_and_writes_what_the_standard_library_does(value):
    """The outbox reads stored payloads and writes its batches with pydantic-core (a 200-event batch several times
    faster): the same values as the standard library's strict JSON, big integers and any text included."""
    text = json.dumps(value, ensure_ascii=False)
    assert read_payload(text) == json.loads(text)
    assert json.loads(strict_json(value)) == value


def test_the_outbox_fast_json_refuses_what_is_not_strict_json_and_reads_stored_oddities():
    for bad in (float("nan"), {"w": [1, float("inf")]}, {"t": "\ud800"}):  # as the standard library's strict encoder
        with pytest.raises(ValueError):
            strict_json(bad)
    assert strict_json({"s": "NaN and Infinity are words here"}) == b'{"s":"NaN and Infinity are words here"}'
    # what an older release could leave in the log reads back as it always did (the outbox's guard then names it)
    assert read_payload('{"t":"\\ud800"}') == {"t": "\ud800"}
    assert str(read_payload('{"g":NaN}')["g"]) == "nan"
