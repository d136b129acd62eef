# ruff: noqa: F811  (pytest fixtures imported from oms_fixtures are parameters here)
"""The reference OMS on loopback: demo seed, claims, de-duplication, ETags, cancellation while worked —
each test on SQLite (one process) and on PostgreSQL (two worker processes)."""

from __future__ import annotations

import time

import pytest
import requests
from oms_fixtures import bearer, oms, oms_backend, oms_factory, pg_cluster  # noqa: F401

from app.barcodes import normalise
from app.operators import verify_pin
from app.picklist import PickList


@pytest.fixture
def A(oms):
    return bearer(oms.issue_token("A"))


@pytest.fixture
def B(oms):
    return bearer(oms.issue_token("B"))


def _ean_ok(code: str) -> bool:
    digits = [int(c) for c in code]
    s = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return (10 - s % 10) % 10 == digits[12]


def test_demo_seed_catalogue(oms, A):
    prods = requests.get(oms.url + "/api/v1/products", params={"limit": 1000}, headers=A, timeout=5).json()["items"]
    assert len(prods) >= 40
    units = [b["code"] for p in prods for b in p["barcodes"] if b["kind"] == "unit"]
    assert units and all(len(c) == 13 and _ean_ok(c) for c in units)
    cases = [b["code"] for p in prods for b in p["barcodes"] if b["kind"] == "case"]
    assert cases and all(len(c) == 14 for c in cases)
    assert any(b["kind"] == "case" and b["qty_per_scan"] == 12 for p in prods for b in p["barcodes"])
    # every demo code reads as a scanner reads it: a valid check digit (a case's ITF-14 has its own, not the unit's)
    bad = [c for c in units + cases if not normalise(c).ok]
    assert not bad, bad
    styles: dict[str, set] = {}
    for p in prods:
        styles.setdefault(p["style"], set()).add((p["color"], p["size"]))
    assert max(len(v) for v in styles.values()) >= 9  # TEE in 3 colours x 3 sizes
    assert any("\u4e00" <= ch <= "\u9fff" for p in prods for ch in p["name"])
    img = requests.get(oms.url + prods[0]["image_url"], headers=A, timeout=5)
    assert img.status_code == 200 and img.content[:8] == b"\x89PNG\r\n\x1a\n"

    page = requests.get(oms.url + "/api/v1/picklists", headers=A, timeout=5).json()
    pls = [PickList.from_dict(x) for x in page["items"]]
    assert len(pls) == 20
    lines = [ln for p in pls for ln in p.lines]
    assert any(ln.gift for ln in lines) and any(ln.fragile for ln in lines)
    assert any(ln.lot.required and ln.lot.allowed for ln in lines)
    assert any(len(p.lines) > 1 for p in pls) and any(p.siblings for p in pls)
    assert any(p.ship_to.city == "上海市" for p in pls)
    assert all(ln.bin_barcode and ln.bin for ln in lines)


def test_demo_operators_have_known_pins(oms, A):
    ops = {o["badge"]: o for o in requests.get(oms.url + "/api/v1/operators", headers=A, timeout=5).json()["items"]}
    assert verify_pin("1111", ops["P-001"]["pin_hash"]) and ops["P-001"]["role"] == "picker"
    assert verify_pin("2222", ops["K-001"]["pin_hash"])
    assert verify_pin("999999", ops["S-001"]["pin_hash"]) and ops["S-001"]["role"] == "supervisor"
    assert not verify_pin("000000", ops["S-001"]["pin_hash"])


def test_two_stations_never_claim_the_same_order(oms, A, B):
    u = oms.url + "/api/v1/picklists/SO-1002/claim"
    a = requests.post(u, json={"station_id": "A"}, headers=A, timeout=5)
    b = requests.post(u, json={}, headers=B, timeout=5)
    again = requests.post(u, json={}, headers=A, timeout=5)
    assert a.status_code == 200 and again.status_code == 200 and a.json()["claimed_by"] == "A"
    assert b.status_code == 409 and b.json()["claimed_by"] == "A"
    r = requests.post(oms.url + "/api/v1/picklists/SO-1002/release", json={}, headers=A, timeout=5)
    assert r.json()["status"] == "open"
    assert requests.post(u, json={}, headers=B, timeout=5).status_code == 200


def test_concurrent_claims_of_one_order_have_one_winner(oms):
    """Many stations race for the same orders (on PostgreSQL across worker processes): one winner each."""
    from concurrent.futures import ThreadPoolExecutor

    stations = {f"R{i}": bearer(oms.issue_token(f"R{i}")) for i in range(8)}

    def go(args):
        sid, order = args
        r = requests.post(f"{oms.url}/api/v1/picklists/{order}/claim", json={}, headers=stations[sid], timeout=10)
        return sid, order, r.status_code, r.json().get("claimed_by")

    jobs = [(sid, order) for order in ("SO-1007", "SO-1008", "SO-1009") for sid in stations]
    with ThreadPoolExecutor(8) as ex:
        out = list(ex.map(go, jobs))
    for order in ("SO-1007", "SO-1008", "SO-1009"):
        wins = [sid for sid, o, code, _ in out if o == order and code == 200]
        assert len(wins) == 1, (order, out)
        assert all(cb == wins[0] for _, o, code, cb in out if o == order)


def _ev(i, sid="ST-X"):
    return {"id": f"ev-{sid}-{i}", "station_id": sid, "seq": i, "ts_utc_ms": 1, "type": "scan", "payload": {"i": i}}


def test_events_deduplicated_by_id_and_stats(oms):
    u = oms.url + "/api/v1/events/batch"
    X = bearer(oms.issue_token("ST-X"))
    r1 = requests.post(u, json={"station_id": "ST-X", "sent_at_ms": 1, "clock_offset_ms": 42,
                                "events": [_ev(1), _ev(2)]}, headers=X, timeout=5).json()
    r2 = requests.post(u, json={"sent_at_ms": 2, "clock_offset_ms": 40,
                                "events": [_ev(2), _ev(3), _ev(0), _ev(4, "OTHER")]}, headers=X, timeout=5).json()
    assert [x["status"] for x in r1["results"]] == ["accepted", "accepted"]
    assert [x["status"] for x in r2["results"]] == ["duplicate", "accepted", "rejected", "rejected"]
    assert r2["results"][2]["reason"]
    st = requests.get(oms.url + "/api/v1/_stats", headers=X, timeout=5).json()
    assert st["events_unique"] == 3 and st["duplicates"] == 1 and st["events_received"] == 6
    assert st["per_station"]["ST-X"]["last_clock_offset_ms"] == 40


def test_etag_and_incremental_listing(oms, A, B):
    u = oms.url + "/api/v1/picklists"
    r = requests.get(u, headers=B, timeout=5)
    et = r.headers["ETag"]
    assert requests.get(u, headers={"If-None-Match": et, **B}, timeout=5).status_code == 304
    since = max(int(x["updated_at"]) for x in r.json()["items"])
    assert requests.get(u, params={"updated_since": since}, headers=B, timeout=5).json()["items"] == []
    requests.post(u + "/SO-1003/claim", json={}, headers=A, timeout=5)
    assert requests.get(u, headers={"If-None-Match": et, **B}, timeout=5).status_code == 200
    changed = requests.get(u, params={"updated_since": since}, headers=B, timeout=5).json()["items"]
    assert [x["id"] for x in changed] == ["SO-1003"] and changed[0]["claimed_by"] == "A"
    # paging by cursor returns every order exactly once
    seen, cur = [], None
    while True:
        page = requests.get(u, params={"limit": 7, **({"cursor": cur} if cur else {})}, headers=A, timeout=5).json()
        seen += [x["id"] for x in page["items"]]
        cur = page["next_cursor"]
        if not cur:
            break
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 20  # A sees its own claimed SO-1003 too


def test_order_cancelled_shortly_after_claim(oms, A):
    from sqlalchemy import update

    from sync.oms_server import models as m
    from sync.oms_server import seed

    assert "SO-1005" in seed.CANCEL_AFTER_CLAIM
    requests.post(oms.url + "/api/v1/picklists/SO-1005/claim", json={}, headers=A, timeout=5)
    st = requests.get(oms.url + "/api/v1/orders/SO-1005/status", headers=A, timeout=5).json()
    assert st["status"] == "claimed"
    # the claim happened longer ago than the demo's cancel delay (moved back in the OMS's table, no sleeping;
    # this also reaches the worker processes on PostgreSQL)
    with oms.app.state.engine.begin() as c:
        c.execute(update(m.orders).where(m.orders.c.id == "SO-1005")
                  .values(claimed_at_ms=m.orders.c.claimed_at_ms - seed.CANCEL_AFTER_CLAIM["SO-1005"] - 1))
    st = requests.get(oms.url + "/api/v1/orders/SO-1005/status", headers=A, timeout=5).json()
    assert st["status"] == "cancelled" and st["reason"]
    assert requests.get(oms.url + "/api/v1/orders/NOPE/status", headers=A, timeout=5).status_code == 404


def test_cli_oms_server_serves(tmp_path):
    import socket
    import subprocess
    import sys

    from conftest import ROOT, run_cli

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    import os

    env = dict(os.environ, PACKSTATION_OMS_TOKEN_CACHE_S="0")  # a revocation counts at once
    p = subprocess.Popen([sys.executable, "-m", "packstation", "oms-server", "--db", str(tmp_path / "o.db"), "--port",
                          str(port), "--seed", "demo"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/api/v1/time", timeout=1)
                assert r.status_code == 401  # no token: refused
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and p.poll() is None, p.stderr.read() if p.poll() else ""
                time.sleep(0.1)
        tok = run_cli("oms-server", "token", "issue", "--station", "S1", "--out", str(tmp_path / "tok"),
                      "--db", str(tmp_path / "o.db"))
        assert tok.returncode == 0 and (tmp_path / "tok").stat().st_mode & 0o777 == 0o600, tok.stderr
        h = bearer((tmp_path / "tok").read_text().strip())
        r = requests.get(f"http://127.0.0.1:{port}/api/v1/time", headers=h, timeout=5)
        assert isinstance(r.json()["server_time_ms"], int)
        assert "S1" in run_cli("oms-server", "token", "list", "--db", str(tmp_path / "o.db")).stdout
        rv = run_cli("oms-server", "token", "revoke", "--station", "S1", "--db", str(tmp_path / "o.db"))
        assert rv.returncode == 0 and "revoked 1" in rv.stdout
        assert requests.get(f"http://127.0.0.1:{port}/api/v1/time", headers=h, timeout=5).status_code == 401
    finally:
        p.terminate()
        p.wait(10)


def test_a_stations_order_events_set_the_orders_state_at_the_oms(oms):
    """order_completed makes the order done (no station can claim it, every station's poll hears of it);
    picklist_released gives it back, open for any station; a re-sent batch changes nothing; a cancelled order
    stays cancelled."""
    u, api = oms.url + "/api/v1/events/batch", oms.url + "/api/v1/picklists"
    X, Y = bearer(oms.issue_token("ST-X")), bearer(oms.issue_token("ST-Y"))

    def state(oid):
        return requests.get(oms.url + f"/api/v1/orders/{oid}/status", headers=X, timeout=5).json()["status"]

    def send(*evs):
        body = {"sent_at_ms": 1, "events": [{"id": f"ev-{t}-{o}-{n}", "station_id": "ST-X", "seq": n, "ts_utc_ms": 1,
                                             "type": t, "order_id": o, "payload": {"order_id": o}}
                                            for n, (t, o) in enumerate(evs, 1)]}
        assert all(r["status"] in ("accepted", "duplicate") for r in
                   requests.post(u, json=body, headers=X, timeout=5).json()["results"])

    for oid in ("SO-1001", "SO-1002"):
        assert requests.post(f"{api}/{oid}/claim", json={}, headers=X, timeout=5).status_code == 200
    since = requests.get(api, headers=X, timeout=5).json()["server_time_ms"] - 1
    send(("order_completed", "SO-1001"), ("picklist_released", "SO-1002"))
    assert (state("SO-1001"), state("SO-1002")) == ("done", "open")
    changed = {p["id"]: p["status"] for p in
               requests.get(api, params={"updated_since": since}, headers=Y, timeout=5).json()["items"]}
    assert changed == {"SO-1001": "done", "SO-1002": "open"}
    assert requests.post(f"{api}/SO-1001/claim", json={}, headers=Y, timeout=5).status_code == 409
    assert requests.post(f"{api}/SO-1002/claim", json={}, headers=Y, timeout=5).status_code == 200
    send(("order_completed", "SO-1001"), ("picklist_released", "SO-1002"))  # the same batch again
    assert state("SO-1002") == "claimed"  # Y's claim stands
    requests.post(f"{api}/SO-1003/claim", json={}, headers=X, timeout=5)
    with oms.app.state.engine.begin() as c:
        from sync.oms_server import models as m
        c.execute(m.orders.update().where(m.orders.c.id == "SO-1003").values(status="cancelled"))
    send(("order_completed", "SO-1003"))
    assert state("SO-1003") == "cancelled"


def test_an_order_end_is_stored_with_the_state_it_sets_or_not_at_all(oms):
    """The events of a batch and the orders' states their order ends set commit together: when setting the state
    fails (a trigger refuses it here), nothing of the batch is stored and the station's re-send sets it. Stored
    apart, the events stayed, the re-send was a duplicate and the order stayed claimed by the station for good."""
    from sqlalchemy import text as sql

    u, api = oms.url + "/api/v1/events/batch", oms.url + "/api/v1/picklists"
    X = bearer(oms.issue_token("ST-X"))
    body = {"sent_at_ms": 1, "events": [
        {"id": "ev-scan", "station_id": "ST-X", "seq": 1, "ts_utc_ms": 1, "type": "scan", "order_id": "SO-1001",
         "payload": {"order_id": "SO-1001"}},
        {"id": "ev-done", "station_id": "ST-X", "seq": 2, "ts_utc_ms": 1, "type": "order_completed",
         "order_id": "SO-1001", "payload": {"order_id": "SO-1001"}}]}
    assert requests.post(f"{api}/SO-1001/claim", json={}, headers=X, timeout=5).status_code == 200
    engine = oms.app.state.engine
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as c:
        if sqlite:
            c.execute(sql("CREATE TRIGGER refuse_done BEFORE UPDATE OF status ON orders "
                          "WHEN NEW.status = 'done' BEGIN SELECT RAISE(ABORT, 'injected'); END"))
        else:
            c.execute(sql("CREATE FUNCTION refuse_done() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                          "IF NEW.status = 'done' THEN RAISE EXCEPTION 'injected'; END IF; RETURN NEW; END $$"))
            c.execute(sql("CREATE TRIGGER refuse_done BEFORE UPDATE ON orders FOR EACH ROW "
                          "EXECUTE FUNCTION refuse_done()"))
    r = requests.post(u, json=body, headers=X, timeout=5)
    assert r.status_code >= 500
    with engine.connect() as c:
        assert c.execute(sql("SELECT count(*) FROM events WHERE station_id = 'ST-X'")).scalar() == 0
    with engine.begin() as c:
        c.execute(sql("DROP TRIGGER refuse_done" + ("" if sqlite else " ON orders")))
    r = requests.post(u, json=body, headers=X, timeout=5)
    assert [x["status"] for x in r.json()["results"]] == ["accepted", "accepted"]
    status = requests.get(oms.url + "/api/v1/orders/SO-1001/status", headers=X, timeout=5).json()["status"]
    assert status == "done"


def test_an_order_worked_offline_is_claimed_at_the_oms_by_the_station_whose_events_arrive(oms):
    """Claimed and packed while the station was offline, the order reached the OMS only as that station's events
    (the claim confirmation is never sent for an order done offline). The OMS kept it unclaimed: a supervisor saw
    an unclaimed order that was packed, and the cancel-after-claim rule never fired. Now the events of an order
    nobody holds claim it for their station, at the time the OMS stores them; another station's claim stands; a
    claim and a release in one batch leave it open; a re-sent batch changes nothing."""
    from sqlalchemy import select, update

    from sync.oms_server import models as m
    from sync.oms_server import seed

    u, api = oms.url + "/api/v1/events/batch", oms.url + "/api/v1/picklists"
    X, Y = bearer(oms.issue_token("ST-X")), bearer(oms.issue_token("ST-Y"))
    engine = oms.app.state.engine
    sent = []

    def send(*evs):
        body = {"sent_at_ms": 1, "events": [{"id": f"ev-{len(sent) + n}", "station_id": "ST-X", "seq": len(sent) + n,
                                             "ts_utc_ms": 1, "type": t, "order_id": o, "payload": {"order_id": o}}
                                            for n, (t, o) in enumerate(evs, 1)]}
        sent.extend(evs)
        assert all(r["status"] == "accepted" for r in
                   requests.post(u, json=body, headers=X, timeout=5).json()["results"])
        return body

    def order(oid):
        with engine.connect() as c:
            return c.execute(select(m.orders.c.status, m.orders.c.claimed_by, m.orders.c.claimed_at_ms,
                                    m.orders.c.updated_ms).where(m.orders.c.id == oid)).one()

    # packed offline at ST-X: done, and claimed by ST-X when the OMS stored the events (not the station's clock)
    since = requests.get(api, headers=Y, timeout=5).json()["server_time_ms"] - 1
    send(("picklist_claimed", "SO-1001"), ("scan", "SO-1001"), ("order_completed", "SO-1001"))
    r = order("SO-1001")
    assert (r.status, r.claimed_by) == ("done", "ST-X") and r.claimed_at_ms == r.updated_ms > 1
    changed = {p["id"]: (p["status"], p["claimed_by"]) for p in
               requests.get(api, params={"updated_since": since}, headers=Y, timeout=5).json()["items"]}
    assert changed == {"SO-1001": ("done", "ST-X")}
    assert requests.post(f"{api}/SO-1001/claim", json={}, headers=Y, timeout=5).status_code == 409

    # still being worked when its events arrive: claimed, so the demo's cancel-after-claim rule counts from now
    assert "SO-1005" in seed.CANCEL_AFTER_CLAIM
    send(("picklist_claimed", "SO-1005"), ("scan", "SO-1005"))
    assert order("SO-1005")[:2] == ("claimed", "ST-X")
    with engine.begin() as c:  # the claim happened longer ago than the demo's delay (no sleeping)
        c.execute(update(m.orders).where(m.orders.c.id == "SO-1005")
                  .values(claimed_at_ms=m.orders.c.claimed_at_ms - seed.CANCEL_AFTER_CLAIM["SO-1005"] - 1))
    assert requests.get(oms.url + "/api/v1/orders/SO-1005/status", headers=X, timeout=5).json()["status"] == \
        "cancelled"

    # another station holds it: its claim stands (the station that packed it too is told: packed_elsewhere_too)
    assert requests.post(f"{api}/SO-1002/claim", json={}, headers=Y, timeout=5).status_code == 200
    send(("scan", "SO-1002"), ("order_completed", "SO-1002"))
    assert order("SO-1002")[:2] == ("done", "ST-Y")

    # claimed and handed back offline, both in one batch: open for any station; the same batch again changes nothing
    again = send(("picklist_claimed", "SO-1003"), ("picklist_released", "SO-1003"))
    assert order("SO-1003")[:3] == ("open", None, None)
    assert requests.post(f"{api}/SO-1003/claim", json={}, headers=Y, timeout=5).status_code == 200
    requests.post(u, json=again, headers=X, timeout=5)
    assert order("SO-1003")[:2] == ("claimed", "ST-Y")

    # packed offline although the OMS had cancelled it: it stays cancelled, and the OMS shows which station packed it
    with engine.begin() as c:
        c.execute(update(m.orders).where(m.orders.c.id == "SO-1004").values(status="cancelled"))
    send(("scan", "SO-1004"), ("order_completed", "SO-1004"))
    assert order("SO-1004")[:2] == ("cancelled", "ST-X")
