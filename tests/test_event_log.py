"""The event log: durable before append returns, gap-free sequence numbers across restarts."""

import json
import os
import signal
import subprocess
import sys
import threading
import uuid

import pytest
from sqlalchemy.exc import IntegrityError

from app.events import EventLog
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
