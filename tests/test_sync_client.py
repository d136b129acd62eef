"""OmsClient against real loopback servers: token file rules, retries honouring Retry-After, validation."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from sync.client import MalformedReply, OmsClient, OmsUnavailable, TokenFileError, backoff_s, read_token


class Scripted:
    """A loopback HTTP server answering a scripted list of (status, headers, body); records requests."""

    def __init__(self, script):
        self.script = list(script)
        self.seen: list[dict] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            def _go(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                outer.seen.append({"path": self.path, "auth": self.headers.get("Authorization"),
                                   "inm": self.headers.get("If-None-Match")})
                status, headers, body = outer.script.pop(0) if outer.script else (500, {}, b"{}")
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _go

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.t = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.t.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted():
    made = []

    def make(script):
        s = Scripted(script)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def test_token_file_must_be_private(tmp_path):
    f = tmp_path / "token"
    f.write_text("s3cr3t-token\n")
    f.chmod(0o644)
    with pytest.raises(TokenFileError, match="chmod 600"):
        read_token(str(f))
    f.chmod(0o600)
    assert read_token(str(f)) == "s3cr3t-token"
    with pytest.raises(TokenFileError):
        read_token(str(tmp_path / "missing"))


def test_token_sent_as_bearer_and_never_logged(scripted, caplog):
    srv = scripted([(503, {"Retry-After": "0"}, {}), (200, {}, {"server_time_ms": 5})])
    c = OmsClient(srv.url, token="s3cr3t-token", backoff_base_s=0.001, seed=1)
    with caplog.at_level(logging.DEBUG):
        assert c.server_time()[1] == 5
    assert [s["auth"] for s in srv.seen] == ["Bearer s3cr3t-token"] * 2
    assert "s3cr3t" not in caplog.text and "s3cr3t" not in repr(c)
    c.close()


def test_retry_after_is_honoured_and_retries_bounded(scripted, monkeypatch):
    import sync.client as mod

    waits: list[float] = []
    monkeypatch.setattr(mod.time, "sleep", waits.append)
    srv = scripted([(429, {"Retry-After": "7"}, {}), (503, {"Retry-After": "3"}, {}),
                    (200, {}, {"server_time_ms": 9})])
    c = OmsClient(srv.url, backoff_base_s=0.01, backoff_cap_s=30, seed=2)
    assert c.server_time()[1] == 9
    assert waits[0] >= 7 and waits[1] >= 3
    srv2 = scripted([(500, {}, {})] * 3)
    c2 = OmsClient(srv2.url, max_retries=2, backoff_base_s=0.01, seed=3)
    with pytest.raises(OmsUnavailable, match="HTTP 500"):
        c2.server_time()
    assert len(srv2.seen) == 3 and c2.counters.failures == 1


def test_full_jitter_backoff_bounds():
    import random

    r = random.Random(0)
    vals = [backoff_s(5, 0.5, 4.0, r) for _ in range(200)]
    assert all(0 <= v <= 4.0 for v in vals) and max(vals) > 2.0 and min(vals) < 1.0


def test_malformed_replies_are_clear_errors_counted_and_logged(scripted, caplog):
    srv = scripted([(200, {}, b"<html>proxy login</html>"),
                    (200, {}, {"items": "nope", "server_time_ms": 1}),
                    (200, {}, {"items": [{"id": "A", "lines": [{"id": "1", "sku": "X", "qty": "two"}]},
                                         {"id": "B", "order_no": "#2", "status": "open",
                                          "lines": [{"id": "1", "sku": "Y", "qty": 2}]}],
                               "next_cursor": None, "server_time_ms": 1}),
                    (200, {}, {"results": [{"id": "x", "status": "maybe"}], "server_time_ms": 1})])
    c = OmsClient(srv.url, max_retries=0)
    with caplog.at_level(logging.ERROR):
        with pytest.raises(MalformedReply, match="not JSON"):
            c.server_time()
        with pytest.raises(MalformedReply, match="items"):
            c.list_picklists("S1")
        page, _ = c.list_picklists("S1")
        assert [p.id for p, _, _ in page["items"]] == ["B"]  # the bad one skipped, the good one kept
        with pytest.raises(MalformedReply, match="results"):
            c.send_batch("S1", [], None)
    assert c.counters.malformed == 4
    assert "qty" in caplog.text


def test_connection_refused_is_unavailable():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = OmsClient(f"http://127.0.0.1:{port}", max_retries=1, backoff_base_s=0.001, connect_timeout_s=0.5)
    with pytest.raises(OmsUnavailable):
        c.server_time()


def test_tls_verification_stays_on(tmp_path, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    c = OmsClient("https://127.0.0.1:1", ca_bundle="")
    assert c.s.verify is True
    c2 = OmsClient("https://127.0.0.1:1", ca_bundle=str(tmp_path / "ca.pem"))
    assert c2.s.verify == str(tmp_path / "ca.pem")


def test_the_environment_is_read_once_as_requests_reads_it_and_netrc_never(tmp_path, monkeypatch):
    """requests reads proxies, a CA bundle and ~/.netrc from the environment at every request (~0.4 ms each on a
    slow machine); the client reads them once: the same proxy and CA bundle, and no ~/.netrc, whose password
    would replace the station's bearer token."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "oms.local")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "site-ca.pem"))
    (tmp_path / ".netrc").write_text("machine oms.example login x password y\n")
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    c = OmsClient("https://oms.example", token="t0ken")
    assert c.s.proxies.get("https") == "http://proxy.example:3128" and c.s.verify == str(tmp_path / "site-ca.pem")
    assert OmsClient("https://oms.local").s.proxies.get("https") is None  # NO_PROXY, as requests reads it
    prepared = c.s.prepare_request(requests.Request("GET", "https://oms.example/api/v1/time"))
    assert prepared.headers["Authorization"] == "Bearer t0ken"
    assert c.s.merge_environment_settings(prepared.url, {}, None, None, None)["proxies"] == {
        "https": "http://proxy.example:3128"}
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere:1")  # read once: a later change is not read per request
    assert c.s.merge_environment_settings(prepared.url, {}, None, None, None)["proxies"]["https"] == \
        "http://proxy.example:3128"


def test_partial_batch_answer_leaves_the_rest_pending(scripted, store):
    from app.events import EventLog
    from sync.outbox import drain, queue_stats

    log = EventLog(store, "S1")
    evs = [log.append("scan", {"i": i}) for i in range(3)]
    srv = scripted([(200, {}, {"results": [{"id": evs[0].id, "status": "accepted"},
                                           {"id": evs[1].id, "status": "duplicate"}],
                               "server_time_ms": 10**12 * 2})])
    c = OmsClient(srv.url, max_retries=0)
    res = drain(c, store, "S1", batch_size=10, max_batches=1)
    assert res.sent == 2 and res.duplicates == 1
    n, _, _ = queue_stats(store)
    assert n == 1  # the unanswered event is still queued, never assumed sent
    assert res.clock_offset_ms > 0 and store.get_kv("sync.clock_offset_ms") == res.clock_offset_ms


def test_an_image_larger_than_the_cap_is_refused_without_being_read_whole(scripted):
    """An OMS (or a proxy) answering a product image with gigabytes: the whole reply was read into memory on the sync
    thread. Above MAX_IMAGE_BYTES the client stops reading and says so; a photo of normal size comes through."""
    from sync.client import MAX_IMAGE_BYTES
    from sync.images import ImageRefused

    photo = b"\xff\xd8" + b"x" * 1000
    srv = scripted([(200, {"Content-Type": "image/jpeg"}, b"\0" * (MAX_IMAGE_BYTES + 1)),
                    (200, {"Content-Type": "image/jpeg"}, photo)])
    c = OmsClient(srv.url, max_retries=0)
    with pytest.raises(ImageRefused, match="larger than 20 MB"):
        c.image("/images/huge.jpg")
    assert c.image("/images/p1.jpg") == (photo, "image/jpeg")


def test_an_image_whose_length_is_not_said_is_cut_off_at_the_cap(monkeypatch):
    """Chunked, no Content-Length (or a wrong one): the client still stops reading at the cap."""
    import sync.client as client_mod

    monkeypatch.setattr(client_mod, "MAX_IMAGE_BYTES", 1024 * 1024)

    class Endless(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            block = b"\0" * 65536
            try:
                for _ in range(160):  # 10 MB on offer
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:  # the client hung up: what it was meant to do
                pass

        def log_message(self, *a):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        c = OmsClient(f"http://127.0.0.1:{httpd.server_address[1]}", max_retries=0)
        with pytest.raises(ValueError, match="larger than 1 MB"):  # ImageRefused
            c.image("/images/endless.png")
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_refused_image_is_not_asked_for_again_and_the_others_are_cached(scripted, store, tmp_path):
    """The pictures are fetched after every pull that changed pick lists: a refused 20 MB reply asked for again each
    time was gigabytes an hour. A refused one is not asked for again; a failure that may pass (HTTP 503) is."""
    import io

    from PIL import Image

    from sync.client import MAX_IMAGE_BYTES
    from sync.images import ImageCache

    buf = io.BytesIO()
    Image.new("RGB", (40, 40), "blue").save(buf, "JPEG")
    jpeg = {"Content-Type": "image/jpeg"}
    huge, busy, fine = "/images/huge.jpg", "/images/busy.jpg", "/images/fine.jpg"
    srv = scripted([(503, {}, b"{}"), (200, jpeg, buf.getvalue()), (200, jpeg, b"\0" * (MAX_IMAGE_BYTES + 1)),
                    (200, jpeg, buf.getvalue())])  # asked for in sorted order; the second round only busy.jpg
    cache = ImageCache(store, tmp_path / "data")
    c = OmsClient(srv.url, max_retries=0)
    assert cache.fetch_missing(c, [huge, busy, fine]) == 1 and cache.last_failures == 2
    assert cache.fetch_missing(c, [huge, busy, fine]) == 1 and cache.last_failures == 0
    assert [s["path"] for s in srv.seen] == [busy, fine, huge, busy]  # huge.jpg asked for once
    assert cache.path_for(fine) and cache.path_for(busy) and cache.path_for(huge) is None


class _Loopback:
    """A loopback HTTP server on a thread of its own, its handler given by the subclass; `stop` tells the handler's
    loops to end."""

    def _serve(self, handler) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class Trickle(_Loopback):
    """An OMS that sends a reply's header at once, then its body one byte every `every_s` (a link or an OMS gone
    slow, never silent long enough for a read timeout)."""

    def __init__(self, every_s: float = 0.2, length: int = 100_000):
        self.stop = threading.Event()
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _go(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(length))
                self.end_headers()
                try:
                    for _ in range(length):
                        if outer.stop.wait(every_s):
                            return
                        self.wfile.write(b" ")
                        self.wfile.flush()
                except OSError:  # the station hung up: what it should do
                    pass

            do_GET = do_POST = _go

            def log_message(self, *a):
                pass

        self._serve(H)


def _within(seconds: float, fn):
    """(what fn returned or raised, whether it finished within `seconds`): a call that hangs fails the test instead
    of hanging it."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn()
        except Exception as e:  # noqa: BLE001  (the test looks at it)
            out["value"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    return out.get("value"), not t.is_alive()


def test_an_oms_trickling_its_reply_is_cut_off_at_the_call_s_deadline():
    """A reply coming one byte at a time never let a read time out: F9's label check (1 s) and the outbox waited for
    hours. The whole reply now has to come within the call's connect + read time."""
    srv = Trickle(every_s=0.2)
    try:
        c = OmsClient(srv.url, max_retries=0, connect_timeout_s=1, read_timeout_s=1)
        got, finished = _within(8, lambda: c.order_status("SO-1", timeout=1))  # the label check's call
        assert finished and isinstance(got, OmsUnavailable), got
        assert "SO-1" in str(got) or "orders" in str(got)
        got, finished = _within(8, lambda: c.send_batch("S1", [], None))  # the outbox's, with the read timeout
        assert finished and isinstance(got, OmsUnavailable), got
    finally:
        srv.close()


def test_the_label_check_says_offline_when_the_oms_trickles(settings):
    srv = Trickle(every_s=0.2)
    try:
        _the_label_check_goes_offline(settings, srv.url)
    finally:
        srv.close()


def _the_label_check_goes_offline(settings, url: str) -> None:
    """F9's label check (given 1 s) against the OMS at `url` answers within 8 s: offline, the label allowed."""
    from app.core import open_core
    from sync.service import SyncService

    settings.oms.intercept_timeout_s = 1
    core = open_core(settings)
    try:
        svc = SyncService(core, settings, client=OmsClient(url, max_retries=0, connect_timeout_s=1, read_timeout_s=1))
        got, finished = _within(8, lambda: svc.check_shippable("SO-1"))
        assert finished and got.ok and got.offline, got
    finally:
        core.close()


DEEP = b"[" * 100_000 + b"]" * 100_000  # 200 KB that the JSON parser recurses into


def test_a_deeply_nested_reply_is_a_malformed_reply(scripted):
    """The parser's RecursionError came out raw: the label said 'Printing failed: maximum recursion depth'."""
    srv = scripted([(200, {}, DEEP)] * 4)
    c = OmsClient(srv.url, max_retries=0)
    for call in (c.server_time, lambda: c.order_status("SO-1"), lambda: c.claim("SO-1", "S1"),
                 lambda: c.send_batch("S1", [], None)):
        with pytest.raises(MalformedReply, match="not JSON"):
            call()
    assert c.counters.malformed == 4


def test_a_call_with_a_timeout_never_waits_past_it_for_a_retry_after(scripted):
    """Opening an order while the OMS answers 503 Retry-After: 3600 waited 30 s (the back-off cap) before the
    provisional claim, although the claim is given 1 s."""
    srv = scripted([(503, {"Retry-After": "3600"}, {})] * 3)
    c = OmsClient(srv.url, max_retries=3, backoff_base_s=0.01)
    got, finished = _within(6, lambda: c.claim("SO-1", "S1", timeout=(1, 1)))
    assert finished and isinstance(got, OmsUnavailable) and "503" in str(got), got


def test_a_batch_reply_answering_none_of_its_events_is_malformed(scripted):
    srv = scripted([(200, {}, {"results": [], "server_time_ms": 1_780_000_000_000}),
                    (200, {}, {"results": [{"id": "someone-else", "status": "accepted"}],
                               "server_time_ms": 1_780_000_000_000})])
    c = OmsClient(srv.url, max_retries=0)
    ev = {"id": "e1", "station_id": "S1", "seq": 1, "ts_utc_ms": 1, "mono_ns": 0, "type": "scan", "payload": {}}
    for _ in range(2):
        with pytest.raises(MalformedReply, match="none of the 1 event"):
            c.send_batch("S1", [ev], None)
    assert c.counters.malformed == 2


class Endless(_Loopback):
    """An OMS (or a proxy) answering every request with a body that never ends, as fast as loopback carries it;
    counts what it managed to send."""

    def __init__(self):
        self.sent = 0
        self.stop = threading.Event()
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(1 << 40))
                self.end_headers()
                block = b'{"items": [' + b" " * 65_000
                try:
                    while not outer.stop.is_set():
                        self.wfile.write(block)
                        outer.sent += len(block)
                except OSError:  # the station hung up: what it should do
                    pass

            def log_message(self, *a):
                pass

        self._serve(H)


def test_a_reply_over_the_size_cap_is_malformed_and_not_read_on():
    """A reply of gigabytes at LAN speed was read into memory whole within the read deadline (and parsed after):
    the station's memory went with it. Over the cap it is a MalformedReply, said and counted, the rest not read and
    not asked for again (the same reply would be as big)."""
    srv = Endless()
    try:
        c = OmsClient(srv.url, max_retries=3, connect_timeout_s=1, read_timeout_s=5)
        c.max_reply_bytes = 1 << 20
        got, finished = _within(8, c.server_time)
        assert finished and isinstance(got, MalformedReply) and "over 1 MB" in str(got), got
        assert c.counters.malformed == 1 and c.counters.requests == 1  # asked once
        assert srv.sent < 16 << 20  # cut off near the cap (socket buffers aside), not read for seconds
    finally:
        srv.close()


def test_a_pick_list_page_over_the_size_cap_is_asked_again_with_fewer_items(scripted):
    """An OMS whose pick lists are large: a page of 500 over the cap was never read, and no pick list ever came.
    The page is asked again with an eighth of the items; one item over the cap is malformed."""
    small = {"items": [{"id": "B", "order_no": "#2", "status": "open", "lines": [{"id": "1", "sku": "Y", "qty": 2}]}],
             "next_cursor": None, "server_time_ms": 1}
    big = b'{"items": [' + b" " * (2 << 20) + b"]}"
    srv = scripted([(200, {}, big), (200, {}, small)])
    c = OmsClient(srv.url, max_retries=0)
    c.max_reply_bytes = 1 << 20
    page, _ = c.list_picklists("S1", limit=500)
    assert [p.id for p, _, _ in page["items"]] == ["B"]
    assert ["limit=500" in s["path"] for s in srv.seen] == [True, False] and "limit=62" in srv.seen[1]["path"]
    srv = scripted([(200, {}, big)] * 4)
    c = OmsClient(srv.url, max_retries=0)
    c.max_reply_bytes = 1 << 20
    with pytest.raises(MalformedReply, match="over 1 MB"):
        c.list_picklists("S1", limit=2)  # 2, then 1: one item over the cap
    assert len(srv.seen) == 2


class HeaderTrickle:
    """An OMS (or a proxy) that sends its reply's status line, then a header a byte every `every_s`: each byte within
    the read timeout, the header never ending."""

    def __init__(self, every_s: float = 0.2):
        import socket

        self.stop = threading.Event()
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen()
        self.url = f"http://127.0.0.1:{self.srv.getsockname()[1]}"

        def one(conn):
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: ")
                while not self.stop.wait(every_s):
                    conn.sendall(b"a")
            except OSError:  # the station hung up: what it should do
                pass
            finally:
                conn.close()

        def serve():
            while not self.stop.is_set():
                try:
                    conn, _ = self.srv.accept()
                except OSError:
                    return
                threading.Thread(target=one, args=(conn,), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()

    def close(self):
        self.stop.set()
        self.srv.close()


def test_an_oms_trickling_its_reply_header_is_cut_off_at_the_call_s_deadline(settings):
    """The read timeout is per socket read, and the body alone was read against the call's deadline: a status line
    and then a header a byte every 0.2 s held F9's label check (given 1 s) for hours — 'Checking the order with the
    OMS…', the packer at the parcel. The header is read against the deadline too; the label goes out offline."""
    srv = HeaderTrickle(every_s=0.2)
    try:
        c = OmsClient(srv.url, max_retries=0, connect_timeout_s=1, read_timeout_s=1)
        got, finished = _within(8, lambda: c.order_status("SO-1", timeout=1))
        assert finished and isinstance(got, OmsUnavailable), got
        got, finished = _within(12, lambda: c.send_batch("S1", [], None))  # the outbox's: connect + read time
        assert finished and isinstance(got, OmsUnavailable), got
        _the_label_check_goes_offline(settings, srv.url)
    finally:
        srv.close()
