"""Poison at the boundaries: NaN/Infinity from the OMS, an absurd /time reply, an event the OMS refuses
for good, a station id the OMS refuses. Each is refused where it enters or quarantined with its reason,
and the events behind it keep flowing (reference OMS and scripted servers on loopback, real SQLite)."""

from __future__ import annotations

import json
import logging

import pytest
import requests

from app import schema
from app.picklist import PickList, PickListError
from sync.client import BatchRefused, OmsClient, OmsError
from sync.outbox import drain
from sync.quarantine import isolate_refused_batch
from tests.test_sync_client import Scripted


@pytest.fixture
def env(tmp_path, settings):
    from app.core import open_core
    from sync.oms_server import serve_in_thread
    from sync.service import SyncService

    srv = serve_in_thread(tmp_path / "oms.sqlite3", seed="demo")
    srv.token = srv.issue_token("ST-Q")
    settings.station.id = "ST-Q"
    settings.oms.url = srv.url
    settings.oms.batch_size = 50
    core = open_core(settings)
    svc = SyncService(core, settings, client=OmsClient(srv.url, token=srv.token, max_retries=0, read_timeout_s=5))
    got: list[tuple[str, dict]] = []
    svc.add_listener(lambda k, d: got.append((k, d)))
    yield srv, core, svc, got
    svc.stop()
    core.close()
    srv.stop()


def _received(srv) -> list[int]:
    from sqlalchemy import select

    from sync.oms_server import models as m

    with srv.app.state.engine.connect() as c:
        return sorted(json.loads(d)["seq"] for d in c.execute(select(m.events.c.doc)).scalars())


LINE = {"id": "1", "sku": "TEE-RED-M", "qty": 1, "barcodes": [{"code": "6900000000014"}]}


@pytest.mark.parametrize("where, value", [("expected_weight_g", "NaN"), ("expected_weight_g", "Infinity"),
                                          ("weight_tolerance_g", "-Infinity"), ("line", "NaN")])
def test_a_nan_or_infinite_weight_from_the_oms_is_refused_with_the_pick_list_and_the_others_are_kept(
        where, value):
    bad = {"id": "SO-BAD", "order_no": "SO-BAD", "status": "open", "lines": [dict(LINE)], "expected_weight_g": 500}
    good = {"id": "SO-GOOD", "order_no": "SO-GOOD", "status": "open", "lines": [dict(LINE)], "expected_weight_g": 500}
    body = json.dumps({"items": [bad, good],
                       "next_cursor": None, "server_time_ms": 1_780_000_000_000})
    # Python's own parser (and so requests' .json()) happily reads NaN and Infinity
    if where == "line":
        body = body.replace('"qty": 1,', f'"qty": 1, "weight_g": {value},', 1)
    else:
        body = body.replace('"expected_weight_g": 500', f'"{where}": {value}', 1)
    srv = Scripted([(200, {"Content-Type": "application/json"}, body.encode())])
    try:
        client = OmsClient(srv.url, max_retries=0)
        page, _ = client.list_picklists("ST-Q")
    finally:
        srv.close()
    assert [p.id for p, _, _ in page["items"]] == ["SO-GOOD"]
    assert client.counters.malformed == 1
    with pytest.raises(PickListError, match="NaN/Infinity refused"):
        PickList.from_dict(json.loads(body)["items"][0])


def test_a_lone_surrogate_already_in_the_log_is_quarantined_without_stopping_the_batch_behind_it(env):
    """The batch is encoded once, strictly: a payload that decodes to a lone surrogate (valid JSON text,
    not encodable as UTF-8) makes that encoding fail, and only then is each event checked, to name it."""
    srv, core, svc, got = env
    for i in range(20):
        core.events.append("scan", {"i": i}, order_id="SO-1001")
    with core.store.write() as c:
        c.execute(schema.events.update().where(schema.events.c.seq == 7)
                  .values(payload='{"raw":"\\ud83d half an emoji"}'))
    assert svc.outbox_once() == 19
    (q,) = svc.health().quarantined
    assert q["seq"] == 7 and q["source"] == "station" and "JSON" in q["reason"]
    assert _received(srv) == [s for s in range(1, 21) if s != 7]


def test_a_poison_event_already_in_the_log_is_quarantined_and_later_events_drain(env, tmp_path):
    srv, core, svc, got = env
    for i in range(30):
        core.events.append("scan", {"i": i}, order_id="SO-1001")
    # what an older release could write: a weight_recorded with NaN (not JSON; requests cannot even send it)
    with core.store.write() as c:
        c.execute(schema.events.update().where(schema.events.c.seq == 12)
                  .values(type="weight_recorded", payload='{"grams":812,"expected_g":NaN}'))
    for i in range(30, 40):
        core.events.append("scan", {"i": i}, order_id="SO-1001")
    assert svc.outbox_once() == 39
    h = svc.health()
    assert h.queue_depth == 0 and h.rejected_count == 1
    (q,) = h.quarantined
    assert q["seq"] == 12 and q["source"] == "station" and "expected_g" in q["reason"] and "NaN" in q["reason"]
    assert _received(srv) == [s for s in range(1, 41) if s != 12]
    assert any(k == "events_rejected" and d["events"][0]["seq"] == 12 for k, d in got)
    # and a technician sees it in sync-status
    from tests.conftest import run_cli

    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\nid = "ST-Q"\ndata_dir = {json.dumps(str(core.settings.data_dir))}\n')
    r = run_cli("--config", str(cfg), "sync-status")
    assert r.returncode == 0, r.stderr
    assert "quarantined #12" in r.stdout and "expected_g" in r.stdout
    r = run_cli("--config", str(cfg), "sync-status", "--json")
    assert json.loads(r.stdout)["quarantined"][0]["seq"] == 12


def test_an_event_the_oms_refuses_for_good_is_isolated_and_quarantined_with_the_oms_reason(env):
    srv, core, svc, got = env
    for i in range(40):
        # the OMS contract takes types of at most 64 characters: it answers 422 for the whole batch
        core.events.append("scan" if i != 22 else "x" * 70, {"i": i}, order_id="SO-1001")
    client = OmsClient(srv.url, token=srv.token, max_retries=0)  # no station-side guard: the OMS's refusal is what is tested
    rounds = 0
    while True:
        rounds += 1
        assert rounds < 50
        try:
            drain(client, core.store, "ST-Q", batch_size=16)
            break
        except BatchRefused as e:
            assert e.status == 422
            isolate_refused_batch(client, core.store, "ST-Q", 16, None, e)
    assert _received(srv) == [s for s in range(1, 41) if s != 23]
    (q,) = svc.health().quarantined
    assert q["seq"] == 23 and q["source"] == "oms" and q["http_status"] == 422 and "type" in q["reason"]


def test_a_refusal_of_the_batch_itself_quarantines_nothing(env):
    srv, core, svc, got = env
    for i in range(5):
        core.events.append("scan", {"i": i})
    client = OmsClient(srv.url, token=srv.token, max_retries=0)
    with pytest.raises(BatchRefused) as e:
        drain(client, core.store, "S" * 65, batch_size=5)
    with pytest.raises(OmsError, match="station_id"):
        isolate_refused_batch(client, core.store, "S" * 65, 5, None, e.value)
    assert svc.health().rejected_count == 0 and svc.health().queue_depth == 5


def test_a_station_id_the_oms_refuses_is_never_sent_and_nothing_is_quarantined(env):
    srv, core, svc, got = env
    core.events.append("scan", {"i": 1})
    svc.station_id = "S" * 65
    with pytest.raises(OmsError, match="station.id"):
        svc.outbox_once()
    assert svc.health().rejected_count == 0 and svc.health().queue_depth == 1


def test_an_absurd_time_reply_is_ignored_and_never_poisons_a_batch(env, caplog):
    srv, core, svc, got = env
    from sync.service import KV_OFFSET, SyncService

    client = OmsClient(srv.url, token=srv.token, max_retries=0)
    core.events.append("scan", {"i": 0})
    with pytest.raises(BatchRefused):  # what an absurd offset does to a batch at the OMS
        drain(client, core.store, "ST-Q", clock_offset_ms=10**30)
    core.store.set_kv(KV_OFFSET, 1234)
    absurd = Scripted([(200, {}, {"server_time_ms": 10**30})])  # then HTTP 500 for the rest of the pull
    try:
        svc2 = SyncService(core, core.settings, client=OmsClient(absurd.url, max_retries=0))
        with caplog.at_level(logging.WARNING, logger="sync.service"), pytest.raises(OmsError):
            svc2.pull_once()
    finally:
        absurd.close()
    assert core.store.get_kv(KV_OFFSET) == 1234
    assert any("not a plausible time" in r.getMessage() and r.exc_info is None for r in caplog.records)
    # an absurd offset stored by an older release is dropped before it reaches a batch
    core.store.set_kv(KV_OFFSET, -(10**25))
    for i in range(1, 10):
        core.events.append("scan", {"i": i})
    assert svc.outbox_once() == 10
    assert svc.health().queue_depth == 0 and svc.health().rejected_count == 0
    off = core.store.get_kv(KV_OFFSET)
    assert off is not None and abs(off) < 60_000
    st = requests.get(srv.url + "/api/v1/_stats", headers={"Authorization": f"Bearer {srv.token}"}, timeout=5).json()
    assert st["per_station"]["ST-Q"]["unique"] == 10


def test_expected_offline_failures_are_one_line_without_a_traceback(tmp_path, settings, caplog):
    from app.core import open_core
    from sync.service import SyncService

    core = open_core(settings)
    core.events.append("scan", {"i": 1})
    busy = Scripted([(503, {"Retry-After": "0"}, {}), (429, {"Retry-After": "0"}, {})] * 10)
    try:
        with caplog.at_level(logging.INFO):
            for url in ("http://127.0.0.1:9", busy.url):  # connection refused, then 503/429
                svc = SyncService(core, settings, client=OmsClient(url, max_retries=1, backoff_base_s=0.01))
                svc.start()
                import time

                deadline = time.monotonic() + 10
                while svc.health().consecutive_failures < 2 and time.monotonic() < deadline:
                    time.sleep(0.05)
                svc.stop()
                assert svc.health().consecutive_failures >= 2
    finally:
        busy.close()
        core.close()
    mine = [r for r in caplog.records if r.name.startswith(("sync.", "app.", "hardware."))]
    assert any(r.levelno == logging.WARNING and "outbox" in r.getMessage() for r in mine)
    assert not [r for r in mine if r.exc_info or r.levelno >= logging.ERROR], \
        [(r.name, r.getMessage()) for r in mine if r.exc_info or r.levelno >= logging.ERROR]


def test_when_a_batch_fails_the_batch_on_the_wire_beside_it_is_booked_and_nothing_is_sent_twice(env):
    """Two batches are on the wire at once (the OMS stores one while the station books the other's answer and
    reads the next). When the first fails (the network went), what the OMS took of the second is booked as sent:
    the next drain sends the rest, and nothing is counted twice."""
    import threading

    srv, core, svc, _got = env
    for i in range(20):
        core.events.append("scan", {"i": i}, order_id="SO-1001")
    client = OmsClient(srv.url, token=srv.token, max_retries=0)
    second_answered = threading.Event()

    class FirstBatchLost:
        def send_batch(self, station_id, events, offset):
            if events[0]["seq"] == 1:  # lost once the batch behind it was answered
                second_answered.wait(10)
                raise OmsError("connection reset")
            got = client.send_batch(station_id, events, offset)
            second_answered.set()
            return got

    with pytest.raises(OmsError, match="connection reset"):
        drain(FirstBatchLost(), core.store, "ST-Q", batch_size=5)
    with core.store.read() as c:
        sent = [s for (s,) in c.exec_driver_sql("SELECT seq FROM events WHERE sync_state = 'sent' ORDER BY seq")]
    assert sent == [6, 7, 8, 9, 10] and _received(srv) == [6, 7, 8, 9, 10]
    res = drain(client, core.store, "ST-Q", batch_size=5)
    assert (res.sent, res.duplicates) == (15, 0) and _received(srv) == list(range(1, 21))


class BatchOms:
    """A loopback OMS for event batches whose answer a test writes: `answer(events) -> (status, content type, body)`;
    every batch it was sent is kept (`batches`)."""

    def __init__(self, answer):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.answer = answer
        self.batches: list[dict] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                doc = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                outer.batches.append(doc)
                status, ctype, body = outer.answer(doc["events"])
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def sent_seqs(self) -> list[int]:
        return [e["seq"] for b in self.batches for e in b["events"]]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def accepted(events, server_time_ms=1_780_000_000_000):
    return 200, "application/json", {"results": [{"id": e["id"], "status": "accepted"} for e in events],
                                     "server_time_ms": server_time_ms}


NGINX_400 = b"<html><body><h1>400 Bad Request</h1>Request Header Or Cookie Too Large<hr>nginx</body></html>"


@pytest.fixture
def station(tmp_path, settings):
    """A station (real store) whose outbox talks to a BatchOms: station(answer) -> (core, svc, oms)."""
    from app.core import open_core
    from sync.service import SyncService

    settings.station.id = "ST-Q"
    settings.oms.batch_size = 50
    core = open_core(settings)
    made = []

    def make(answer):
        oms = BatchOms(answer)
        svc = SyncService(core, settings, client=OmsClient(oms.url, max_retries=0, read_timeout_s=5))
        made.append((oms, svc))
        return core, svc, oms

    yield make
    for oms, svc in made:
        svc.stop()
        oms.close()
    core.close()


def _states(core) -> dict[str, int]:
    with core.store.read() as c:
        return dict(c.exec_driver_sql("SELECT sync_state, count(*) FROM events GROUP BY sync_state").all())


@pytest.mark.parametrize("status, ctype, body", [
    (400, "text/html", NGINX_400),  # a proxy in front of the OMS
    (400, "application/json", {"detail": "Bad Request"}),  # not the OMS's own error format
    (400, "application/json", {"error": "bad_request", "detail": "request header too large"}),  # names no event
])
def test_a_blanket_refusal_of_every_batch_quarantines_nothing_and_keeps_the_events_queued(station, status, ctype,
                                                                                          body):
    """A proxy (or the OMS) answering every batch with a 400 that names no event: the station halved the batch down
    to single events and quarantined good events one by one (100 of 300 in one drain, 900 requests). It is a station
    or network problem: said, the events kept, a bounded number of requests."""
    core, svc, oms = station(lambda events: (status, ctype, body))
    for i in range(300):
        core.events.append("scan", {"i": i}, order_id="SO-1001")
    with pytest.raises(OmsError) as e:
        svc.outbox_once()
    assert "HTTP 400" in str(e.value) and "queued" in str(e.value) and "not an event" in str(e.value)
    assert _states(core) == {"pending": 300}
    assert svc.health().rejected_count == 0 and svc.health().queue_depth == 300
    assert len(oms.batches) <= 10


def test_an_event_refused_alone_while_its_neighbours_go_through_is_quarantined(station):
    """The OMS refuses one event without naming it (its own error format, no field): the batch is halved, the event
    is refused alone while the event after it is accepted, so it is the event's fault."""
    bad = 23

    def answer(events):
        if any(e["seq"] == bad for e in events):
            return 400, "application/json", {"error": "bad_request", "detail": "this one upsets the OMS"}
        return accepted(events)

    core, svc, oms = station(answer)
    for i in range(40):
        core.events.append("scan", {"i": i}, order_id="SO-1001")
    svc.outbox_once()  # (it counts the events of its last drain, not those sent while isolating)
    (q,) = svc.health().quarantined
    assert q["seq"] == bad and q["source"] == "oms" and q["http_status"] == 400
    assert "upsets the OMS" in q["reason"] and "accepted" in q["reason"]
    assert sorted(set(oms.sent_seqs()) - {bad}) == [s for s in range(1, 41) if s != bad]
    assert _states(core) == {"sent": 39, "rejected": 1}


def test_a_single_event_refused_without_a_name_and_nothing_to_compare_stays_queued(station):
    core, svc, oms = station(lambda events: (400, "application/json", {"error": "bad_request"}))
    core.events.append("scan", {"i": 0})
    with pytest.raises(OmsError, match="queued"):
        svc.outbox_once()
    assert _states(core) == {"pending": 1}


def test_a_batch_answered_for_none_of_its_events_is_a_failure_with_back_off(station):
    """200 {"results": []}: the outbox sent again at once, in a tight loop (83 requests in 5 s) while health said
    online, no failure, no error."""
    from sync.client import MalformedReply

    core, svc, oms = station(lambda events: (200, "application/json", {"results": [],
                                                                         "server_time_ms": 1_780_000_000_000}))
    for i in range(5):
        core.events.append("scan", {"i": i})
    with pytest.raises(MalformedReply, match="none of the 5 events"):
        svc.outbox_once()
    import time

    svc.start()
    deadline = time.monotonic() + 10
    while svc.health().consecutive_failures < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    svc.stop()
    h = svc.health()
    assert h.consecutive_failures >= 2 and not h.online and "none of the 5 events" in h.last_error
    assert h.queue_depth == 5
    assert len(oms.batches) < 12  # with back-off 1 s, 2 s, ...; it was dozens a second


def test_an_absurd_server_time_in_a_batch_reply_is_ignored_not_stored_nor_sent(station, caplog):
    from sync.service import KV_OFFSET

    core, svc, oms = station(lambda events: accepted(events, server_time_ms=0))
    core.events.append("scan", {"i": 0})
    with caplog.at_level(logging.WARNING):
        assert svc.outbox_once() == 1
    assert "not a plausible time" in caplog.text
    assert core.store.get_kv(KV_OFFSET) is None and svc.health().clock_offset_ms is None
    core.events.append("scan", {"i": 1})
    assert svc.outbox_once() == 1
    assert [b["clock_offset_ms"] for b in oms.batches] == [None, None]
    core.store.set_kv(KV_OFFSET, 1234)  # a good offset from an earlier reply stays as it was
    core.events.append("scan", {"i": 2})
    assert svc.outbox_once() == 1
    assert core.store.get_kv(KV_OFFSET) == 1234 and oms.batches[-1]["clock_offset_ms"] == 1234


def test_quarantined_events_are_put_back_in_the_queue_by_hand_and_it_is_logged(station, tmp_path):
    """A technician who fixed the cause (the OMS, a proxy) puts the quarantined events back:
    `packstation sync-requeue SEQ...` or `--all`; they are sent at the next drain, and the log says who went back."""
    from tests.conftest import run_cli

    refused = {5, 9, 12}
    core, svc, oms = station(lambda events: accepted(events) if not refused & {e["seq"] for e in events} else
                             (422, "application/json", {"error": "invalid_request", "detail": [
                                 {"loc": ["body", "events", 0, "type"], "msg": "not today"}]}))
    for i in range(15):
        core.events.append("scan", {"i": i})
    svc.outbox_once()
    assert _states(core) == {"sent": 12, "rejected": 3}
    assert sorted(q["seq"] for q in svc.health().quarantined) == [5, 9, 12]
    refused.clear()  # the OMS was fixed
    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\nid = "ST-Q"\ndata_dir = {json.dumps(str(core.settings.data_dir))}\n')
    logs = tmp_path / "logs"
    r = run_cli("--config", str(cfg), "sync-requeue", "9", "7", env={"PACKSTATION_LOG_DIR": str(logs)})
    assert r.returncode == 1, r.stderr  # #7 was not quarantined: said, and #9 goes back all the same
    assert "#9" in r.stdout and "#7" in r.stderr
    assert sorted(q["seq"] for q in svc.health().quarantined) == [5, 12]
    assert svc.outbox_once() == 1 and _states(core) == {"sent": 13, "rejected": 2}
    r = run_cli("--config", str(cfg), "sync-requeue", "--all", env={"PACKSTATION_LOG_DIR": str(logs)})
    assert r.returncode == 0, r.stderr
    assert "2 event" in r.stdout
    assert svc.outbox_once() == 2 and _states(core) == {"sent": 15}
    text = (logs / "packstation.log").read_text()
    assert all(f"#{s} " in text for s in (5, 9, 12)) and "put back in the outbox queue" in text
    r = run_cli("--config", str(cfg), "sync-requeue", env={"PACKSTATION_LOG_DIR": str(logs)})
    assert r.returncode == 2 and "--all" in r.stderr
