# ruff: noqa: F811  (pytest fixtures imported from oms_fixtures are parameters here)
"""The OMS side for a real warehouse: every endpoint needs a station token, a station can act only as itself,
PIN hashes only over TLS or loopback, the client keeps its token off plain http, hostile input gets 4xx.
Server tests run on SQLite (one process) and PostgreSQL (two worker processes)."""

from __future__ import annotations

import json
import socket

import pytest
import requests
from oms_fixtures import bearer, oms, oms_backend, oms_factory, pg_cluster  # noqa: F401

from sync.client import InsecureTransport, MalformedReply, OmsAuthError, OmsClient, check_transport

PATH_ARGS = {"picklist_id": "SO-1001", "order_id": "SO-1001", "name": "TEE-RED-M.png"}


def _operations():
    from sync.oms_server.export_openapi import generated_schema

    for path, methods in generated_schema()["paths"].items():
        for method in methods:
            yield method.upper(), path.format(**PATH_ARGS)


def _ev(i, sid):
    return {"id": f"ev-{i}", "station_id": sid, "seq": i, "ts_utc_ms": 1_767_225_600_000 + i, "type": "scan",
            "payload": {"i": i}}


def test_every_endpoint_refuses_a_request_without_a_valid_token(oms):
    ops = list(_operations())
    assert len(ops) >= 12  # every operation of the contract, /stats included
    tok = oms.issue_token("S1")
    for method, path in ops:
        for headers in ({}, bearer("pst_not-a-token"), {"Authorization": "Basic czE6eA=="}, bearer("")):
            r = requests.request(method, oms.url + path, headers=headers, json={}, timeout=10,
                                 params={"from": "2026-01-01", "to": "2026-01-01"})
            assert r.status_code == 401, (method, path, headers, r.status_code, r.text)
            assert r.headers.get("WWW-Authenticate") == "Bearer"
        ok = requests.request(method, oms.url + path, headers=bearer(tok), timeout=10,
                              params={"from": "2026-01-01", "to": "2026-01-01"},
                              json={"sent_at_ms": 1, "events": []} if path.endswith("batch") else {})
        assert ok.status_code in (200, 304), (method, path, ok.status_code, ok.text)


def test_a_revoked_token_is_refused(oms_factory, monkeypatch):
    from sync.oms_server.app import revoke_tokens

    monkeypatch.setenv("PACKSTATION_OMS_TOKEN_CACHE_S", "0")  # else trusted for up to 2 s after revocation
    srv = oms_factory(None)
    tok, other = srv.issue_token("S1"), srv.issue_token("S2")
    assert requests.get(srv.url + "/api/v1/time", headers=bearer(tok), timeout=5).status_code == 200
    assert revoke_tokens(srv.app.state.engine, "S1") == 1
    assert requests.get(srv.url + "/api/v1/time", headers=bearer(tok), timeout=5).status_code == 401
    assert requests.get(srv.url + "/api/v1/time", headers=bearer(other), timeout=5).status_code == 200


def test_tokens_are_read_in_one_query_per_ttl_and_a_revocation_counts_once_it_is_over(tmp_path):
    """300 stations' requests within the ttl cost one read of the token table (not a look-up per station);
    a token issued after that read is looked up alone; a revoked one is refused once the read is ttl old."""
    from sqlalchemy import event

    from sync.oms_server.app import TokenTable, issue_token, make_engine, revoke_tokens

    engine = make_engine(tmp_path / "oms.sqlite3")
    toks = {f"S{i}": issue_token(engine, f"S{i}") for i in range(300)}
    reads: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cur, sql, *a: reads.append(sql) if sql.startswith("SELECT") and "station_tokens" in sql else None)
    now = [1000.0]
    table = TokenTable(engine, ttl=2.0, clock=lambda: now[0])
    assert table.station(toks["S0"], cached_only=True) is None  # nothing read yet: the event loop never queries
    assert reads == []
    for _ in range(3):
        for sid, tok in toks.items():
            assert table.station(tok) == sid and table.station(tok, cached_only=True) == sid
    assert len(reads) == 1
    late = issue_token(engine, "S-NEW")
    assert table.station(late) == "S-NEW" and len(reads) == 2  # issued since the read: looked up alone
    assert table.station("pst_wrong") is None and len(reads) == 3
    assert revoke_tokens(engine, "S1") == 1
    now[0] += 1.9
    assert table.station(toks["S1"]) == "S1"  # within the ttl of the read
    now[0] += 0.2
    assert table.station(toks["S1"], cached_only=True) is None  # the read is stale: not on the event loop
    assert table.station(toks["S1"]) is None and table.station(toks["S2"]) == "S2"
    assert table.station("pst_wrong") is None
    assert table.station(late, cached_only=True) == "S-NEW"  # in the new read


def test_station_b_cannot_post_events_as_a(oms):
    A, B = bearer(oms.issue_token("A")), bearer(oms.issue_token("B"))
    u = oms.url + "/api/v1/events/batch"
    r = requests.post(u, json={"station_id": "A", "sent_at_ms": 1, "events": [_ev(1, "A")]}, headers=B, timeout=5)
    assert r.status_code == 403 and "B" in r.text
    r = requests.post(u, json={"sent_at_ms": 1, "events": [_ev(1, "A"), _ev(2, "B")]}, headers=B, timeout=5)
    assert [x["status"] for x in r.json()["results"]] == ["rejected", "accepted"]
    st = requests.get(oms.url + "/api/v1/_stats", headers=A, timeout=5).json()
    assert "A" not in st["per_station"] and st["per_station"]["B"]["rejected"] == 1
    from sqlalchemy import select

    from sync.oms_server import models as m

    with oms.app.state.engine.connect() as c:
        assert set(c.execute(select(m.events.c.station_id)).scalars()) == {"B"}


def test_station_b_cannot_squat_a_event_id(oms):
    A, B = bearer(oms.issue_token("A")), bearer(oms.issue_token("B"))
    u = oms.url + "/api/v1/events/batch"
    squat = requests.post(u, json={"sent_at_ms": 1, "events": [_ev(7, "B")]}, headers=B, timeout=5).json()
    assert squat["results"][0]["status"] == "accepted"
    real = requests.post(u, json={"sent_at_ms": 2, "events": [_ev(7, "A")]}, headers=A, timeout=5).json()
    assert real["results"] == [{"id": "ev-7", "status": "accepted", "reason": None}]  # stored, not "duplicate"
    again = requests.post(u, json={"sent_at_ms": 3, "events": [_ev(7, "A")]}, headers=A, timeout=5).json()
    assert again["results"][0]["status"] == "duplicate"
    from sqlalchemy import select

    from sync.oms_server import models as m

    with oms.app.state.engine.connect() as c:
        rows = c.execute(select(m.events.c.station_id, m.events.c.doc).where(m.events.c.id == "ev-7")).all()
    assert sorted(r.station_id for r in rows) == ["A", "B"]
    assert all(json.loads(r.doc)["station_id"] == r.station_id for r in rows)


def test_station_b_cannot_release_or_take_a_claim(oms):
    A, B = bearer(oms.issue_token("A")), bearer(oms.issue_token("B"))
    base = oms.url + "/api/v1/picklists/SO-1004"
    assert requests.post(base + "/claim", json={}, headers=A, timeout=5).json()["claimed_by"] == "A"
    r = requests.post(base + "/release", json={"station_id": "A"}, headers=B, timeout=5)
    assert r.status_code == 403  # naming A in the body does not make B into A
    r = requests.post(base + "/release", json={}, headers=B, timeout=5)
    assert r.status_code == 409 and r.json()["claimed_by"] == "A"
    r = requests.post(base + "/claim", json={"station_id": "A"}, headers=B, timeout=5)
    assert r.status_code == 403
    r = requests.post(base + "/claim", json={}, headers=B, timeout=5)
    assert r.status_code == 409 and r.json()["claimed_by"] == "A"
    st = requests.get(oms.url + "/api/v1/orders/SO-1004/status", headers=A, timeout=5).json()
    assert st["status"] == "claimed"
    assert requests.post(base + "/release", json={}, headers=A, timeout=5).json()["status"] == "open"


def test_pin_hashes_only_over_tls_or_loopback(tmp_path):
    """Over plain http from another machine the OMS refuses the operator list; over https it serves it."""
    from fastapi.testclient import TestClient

    from sync.oms_server import build_app
    from sync.oms_server.app import issue_token

    app = build_app(tmp_path / "o.sqlite3", "demo")
    h = bearer(issue_token(app.state.engine, "S1"))
    try:
        with TestClient(app, base_url="http://oms.example") as plain:  # client host "testclient": not loopback
            assert plain.get("/api/v1/operators", headers=h).status_code == 403
            assert plain.get("/api/v1/time", headers=h).status_code == 200  # other data is not refused
            assert plain.get("/api/v1/operators").status_code == 401
        with TestClient(app, base_url="https://oms.example") as tls:
            r = tls.get("/api/v1/operators", headers=h)
            assert r.status_code == 200 and r.json()["items"][0]["pin_hash"].startswith("scrypt$")
    finally:
        app.state.engine.dispose()


# -- the station's client ----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://10.0.0.5:8765", "http://oms.example.com", "http://[2001:db8::1]:80",
                                 "http://127.0.0.1.example.com", "http://0.0.0.0:8765"])
def test_client_refuses_token_over_plain_http_to_another_machine(url):
    with pytest.raises(InsecureTransport, match="https://"):
        OmsClient(url, token="pst_secret")
    with pytest.raises(InsecureTransport):
        check_transport(url, True)
    OmsClient(url, token=None).close()  # no token, nothing to leak (the OMS will answer 401)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://127.3.4.5", "http://[::1]:8765",
                                 "http://localhost:8765", "https://oms.example.com", "https://10.0.0.5"])
def test_client_sends_token_to_loopback_or_over_tls(url):
    OmsClient(url, token="pst_secret").close()


def test_client_without_valid_token_gets_a_clear_error(oms):
    c = OmsClient(oms.url, token="pst_wrong", max_retries=0)
    with pytest.raises(OmsAuthError, match="token issue"):
        c.server_time()
    c.close()


def test_a_token_rotated_mid_shift_is_used_without_a_restart(oms_factory, monkeypatch, tmp_path, caplog):
    """The administrator rotates a station's token mid-shift as docs/security.md says: a new one issued into the
    station's token file, the old one revoked. The station read its file once at the start and sent the old token
    until someone restarted it (OFFLINE, every event waiting, all claims provisional). At the OMS's 401 the file is
    read again and the new token used; a token refused with nothing new in the file is said as before."""
    from app.config import Settings
    from sync.oms_server.app import revoke_tokens

    monkeypatch.setenv("PACKSTATION_OMS_TOKEN_CACHE_S", "0")
    srv = oms_factory(None)
    token_file = tmp_path / "oms-token"

    def write(tok: str) -> None:
        token_file.write_text(tok + "\n")
        token_file.chmod(0o600)

    write(srv.issue_token("ST-R"))
    s = Settings()
    s.oms.url, s.oms.token_file = srv.url, str(token_file)
    c = OmsClient.from_settings(s, max_retries=0)
    assert c.server_time()
    assert revoke_tokens(srv.app.state.engine, "ST-R") == 1
    with pytest.raises(OmsAuthError, match="token issue"):  # revoked, nothing new in the file: said as before
        c.server_time()
    write(srv.issue_token("ST-R"))  # the new one
    with caplog.at_level("INFO", logger="sync.client"):
        assert c.server_time()  # no restart
    assert c.claim("SO-1", "ST-R")[1].get("error") == "not_found"  # the new one from now on (no seed: no orders)
    assert not any("pst_" in r.getMessage() for r in caplog.records)  # never the token itself
    assert any("a new one was read" in r.getMessage() for r in caplog.records)
    c.close()


def test_client_counts_a_claim_only_when_the_reply_confirms_it(oms):
    """A 200 whose body does not confirm this order for this station is not a claim."""
    from sync.proxy import FaultProxy

    c = OmsClient(oms.url, token=oms.issue_token("A"), max_retries=0)
    ok, d = c.claim("SO-1001", "A")
    assert ok and d["claimed_by"] == "A"
    c.close()

    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    replies = [{}, {"id": "SO-1001", "claimed_by": "B", "status": "claimed"},
               {"id": "SO-9", "claimed_by": "A", "status": "claimed"}, {"ok": True}]

    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps(replies.pop(0)).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        c = OmsClient(f"http://127.0.0.1:{srv.server_address[1]}", token="t", max_retries=0)
        for reply in list(replies):
            if reply.get("claimed_by") == "B":  # this order, another station: that station's claim, refused here
                assert c.claim("SO-1001", "A") == (False, reply)
                continue
            with pytest.raises(MalformedReply, match="claim"):
                c.claim("SO-1001", "A")
        c.close()
    finally:
        srv.shutdown()
        srv.server_close()
    assert FaultProxy  # the real proxy is used elsewhere; here a scripted OMS lies


# -- hostile input -------------------------------------------------------------------------------------------

def _raw(port: int, head: bytes, body_chunks=(), timeout=20.0) -> int:
    """Send a raw HTTP request (body possibly larger than the server accepts) and return the status code."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(head)
        try:
            for ch in body_chunks:
                s.sendall(ch)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the whole body went out
        data = b""
        while b"\r\n" not in data:
            got = s.recv(4096)
            if not got:
                break
            data += got
        return int(data.split(b" ", 2)[1])
    finally:
        s.close()


def test_hostile_requests_never_get_a_5xx(oms):
    tok = oms.issue_token("ST-H")
    H = bearer(tok)
    J = {**H, "Content-Type": "application/json"}
    u = oms.url + "/api/v1"
    ev = json.dumps(_ev(1, "ST-H"))
    bodies = {
        "lone surrogate": '{"sent_at_ms": 1, "events": [' + ev[:-1] + ', "order_id": "\\ud800"}]}',
        "lone surrogate in payload": '{"sent_at_ms": 1, "events": [' + ev.replace('"i": 1', '"x": "\\udfff"') + "]}",
        "NaN": '{"sent_at_ms": NaN, "events": []}',
        "Infinity in payload": '{"sent_at_ms": 1, "events": [' + ev.replace('"i": 1', '"w": Infinity') + "]}",
        "-Infinity": '{"sent_at_ms": 1, "clock_offset_ms": -Infinity, "events": []}',
        "1e400": '{"sent_at_ms": 1, "events": [' + ev.replace('"i": 1', '"w": 1e400') + "]}",
        "long mantissa, 2-digit exponent": '{"sent_at_ms": 1, "events": [' + ev.replace('"i": 1', '"w": 1' + "0" * 250 + '.5e60') + "]}",
        "huge int": '{"sent_at_ms": 1' + "0" * 40 + ', "events": []}',
        "huge seq": '{"sent_at_ms": 1, "events": [' + ev.replace('"seq": 1', '"seq": ' + "9" * 30) + "]}",
        "4301-digit int": '{"sent_at_ms": ' + "9" * 4301 + ', "events": []}',
        "not JSON": "{'sent_at_ms': 1}",
        "invalid UTF-8": b'{"sent_at_ms": 1, "events": [], "x": "\xed\xa0\x80"}',
        "deep nesting": '{"sent_at_ms": 1, "events": [], "x": ' + "[" * 5000 + "]" * 5000 + "}",
        "wrong types": '{"sent_at_ms": "yesterday", "events": {"a": 1}}',
        "null": "null",
    }
    for name, body in bodies.items():
        data = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
        for path in ("/events/batch", "/picklists/SO-1001/claim", "/picklists/SO-1001/release"):
            r = requests.post(u + path, data=data, headers=J, timeout=20)
            assert r.status_code < 500 and r.status_code in (200, 400, 409, 422), (name, path, r.status_code, r.text)
            if path == "/events/batch":
                assert r.status_code in (400, 422), (name, r.status_code)  # nothing of it stored
    odd_queries = [
        ("/picklists", {"cursor": "²:x"}), ("/picklists", {"cursor": "١٢:x"}), ("/products", {"cursor": "²:x"}),
        ("/products", {"cursor": "99999999999999999999999:x"}), ("/picklists", {"cursor": ":"}),
        ("/picklists", {"cursor": "\ud800"}), ("/picklists", {"updated_since": "1" + "0" * 30}),
        ("/picklists", {"updated_since": "NaN"}), ("/picklists", {"limit": "Infinity"}),
        ("/products", {"limit": "-1"}), ("/stats", {"from": "0001-01-01", "to": "0001-01-01"}),
        ("/stats", {"from": "9999-12-31", "to": "9999-12-31"}), ("/stats", {"from": "0001-01-01", "to": "9999-12-31"}),
        ("/stats", {"from": "2026-13-45", "to": "x"}), ("/stats", {"from": "2026-01-02", "to": "2026-01-01"}),
        ("/stats", {"from": "2026-01-01T25:00", "to": "2026-01-01"}), ("/picklists/\ud800", {}),
        ("/orders/%ED%A0%80/status", {}), ("/images/..%2F..%2Fetc%2Fpasswd", {}), ("/picklists/" + "x" * 5000, {}),
    ]
    for path, params in odd_queries:
        r = requests.get(u + path, params={k: v.encode("utf-8", "surrogatepass") for k, v in params.items()},
                         headers=H, timeout=20)
        assert r.status_code < 500, (path, params, r.status_code, r.text)
    assert requests.get(u + "/picklists", params={"cursor": "²:x"}, headers=H, timeout=5).status_code == 400
    assert requests.get(u + "/stats", params={"from": "9999-12-31", "to": "9999-12-31"}, headers=H,
                        timeout=5).status_code == 422
    # 50 MB bodies: refused with 413, declared or streamed (chunked), before the server reads them
    head = (f"POST /api/v1/events/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n"
            f"Content-Type: application/json\r\n").encode()
    big = 50 * 1024 * 1024
    assert _raw(oms.port, head + f"Content-Length: {big}\r\n\r\n".encode(),
                (b"[" + b"1," * 1024 * 512 for _ in range(50))) == 413
    chunk = b"x" * (1024 * 1024)
    assert _raw(oms.port, head + b"Transfer-Encoding: chunked\r\n\r\n",
                (b"%x\r\n" % len(chunk) + chunk + b"\r\n" for _ in range(50))) == 413
    # and the server still serves ordinary requests afterwards
    r = requests.post(u + "/events/batch", json={"sent_at_ms": 1, "events": [_ev(5, "ST-H")]}, headers=H, timeout=10)
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "accepted"


def test_the_overflow_screen_matches_what_the_backtracking_pattern_matched():
    # the possessive pattern gives a number up at once; it must still flag every body the plain one flagged
    import re

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sync.oms_server.app import _MAY_OVERFLOW

    plain = re.compile(rb"[:,\[]\s*-?(?:[0-9]{200}|[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]{3})")
    parts = st.sampled_from([b":", b",", b"[", b" ", b"-", b"+", b".", b"e", b"E", b"1", b"9", b"0", b"12", b"x", b'"',
                             b"9" * 200, b"5" * 150])

    @given(st.lists(parts, max_size=30).map(b"".join))
    @settings(max_examples=3000, deadline=None)
    def same(body):
        assert bool(_MAY_OVERFLOW.search(body)) == bool(plain.search(body)), body

    same()
    assert _MAY_OVERFLOW.search(b'{"w": -12.5E+309}') and not _MAY_OVERFLOW.search(b'{"w": 1e40, "x": "1e400"}')
