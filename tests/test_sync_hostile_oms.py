"""The station's poll against an OMS that misbehaves: a loopback HTTP server with scripted replies (an OMS whose clock
jumps, that writes its stamps in ISO-8601 with +08:00, repeats a page cursor, sends a lone surrogate, claims an order
for another station in a 200, answers /time with a float), and a real station store on SQLite. Each test is a floor
scenario: what the station must still learn (a cancellation above all) when the OMS does that."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from sync.client import MalformedReply, OmsClient

DAY_MS = 86_400_000


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def order(n: int, **kw) -> dict:
    d = {"id": f"SO-{n}", "order_no": f"#{n}", "status": "open", "carrier": "SF",
         "ship_to": {"name": "Li Lei", "city": "上海市", "country": "CN"},
         "lines": [{"id": "L1", "sku": f"SKU-{n}", "name": "Item", "qty": 1, "barcodes": [{"code": "4006381333931"}]}]}
    d.update(kw)
    return d


def iso_plus8(ms: int) -> str:
    """A stamp as an OMS on Beijing time writes it: ISO-8601 with +08:00."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(ms / 1000 + 8 * 3600))


class FakeOms:
    """An OMS on loopback. Its orders carry their change time (`ms`, by the OMS's clock `clock()`); the pick-list listing
    follows the contract's rules (a full pull lists what this station may work, an incremental one every change after
    `updated_since`). `routes[path_prefix] = fn(method, path, query, body) -> (status, body)` replaces an endpoint."""

    def __init__(self) -> None:
        self.orders: dict[str, dict] = {}
        self.stamp = str  # how updated_at is written from the change time in ms
        self.offset_ms = 0  # the OMS's clock: the real one plus this
        self.routes: dict = {}
        self.seen: list[tuple[str, str]] = []
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _go(self, method: str) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                parts = urlsplit(self.path)
                outer.seen.append((method, self.path))
                q = {k: v[0] for k, v in parse_qs(parts.query).items()}
                status, data = outer.answer(method, parts.path, q, body)
                raw = data if isinstance(data, bytes) else json.dumps(data).encode()  # \u escapes: lone surrogates too
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self):  # noqa: N802
                self._go("GET")

            def do_POST(self):  # noqa: N802
                self._go("POST")

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def clock(self) -> int:
        return now_ms() + self.offset_ms

    def put(self, n: int, *, ms: int | None = None, **kw) -> None:
        """The OMS changes order SO-n (stamped `ms`, by default its clock now)."""
        self.orders[f"SO-{n}"] = {**order(n, **kw), "_ms": self.clock() if ms is None else ms}

    def requests_to(self, path: str) -> int:
        return sum(1 for _, p in self.seen if urlsplit(p).path == path)

    def answer(self, method: str, path: str, q: dict, body: bytes):
        for pre in sorted(self.routes, key=len, reverse=True):
            if path.startswith(pre):
                return self.routes[pre](method, path, q, body)
        if path == "/api/v1/time":
            return 200, {"server_time_ms": self.clock()}
        if path == "/api/v1/picklists":
            return 200, self.listing(q)
        if path.startswith("/api/v1/orders/"):
            o = self.orders.get(path.split("/")[4])
            return (404, {"error": "not_found"}) if o is None else (200, {"id": o["id"], "status": o["status"]})
        if path == "/api/v1/products":
            return 200, {"items": [], "next_cursor": None, "server_time_ms": self.clock()}
        if path == "/api/v1/operators":
            return 200, {"items": []}
        return 404, {"error": "not_found"}

    def listing(self, q: dict) -> dict:
        since = int(q["updated_since"]) if "updated_since" in q else None
        if since is None:  # a full pull: what this station may work
            rows = [o for o in self.orders.values() if o["status"] in ("open", "claimed", "in_progress", "held")
                    and o.get("claimed_by") in (None, "ST-H")]
        else:
            rows = [o for o in self.orders.values() if o["_ms"] > since]
        items = [{**{k: v for k, v in o.items() if k != "_ms"}, "updated_at": self.stamp(o["_ms"])}
                 for o in sorted(rows, key=lambda o: o["_ms"])]
        return {"items": items, "next_cursor": None, "server_time_ms": self.clock()}

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def oms():
    o = FakeOms()
    yield o
    o.stop()


@pytest.fixture
def station(oms, settings):
    """A station's core and SyncService talking to the fake OMS; `got` collects what listeners heard."""
    from app.core import open_core
    from sync.service import SyncService

    settings.station.id = "ST-H"
    settings.oms.url = oms.url
    settings.oms.intercept_timeout_s = 1.0
    settings.oms.connect_timeout_s = 1.0
    core = open_core(settings)
    svc = SyncService(core, settings, client=OmsClient(oms.url, token="tok", max_retries=0, connect_timeout_s=1.0,
                                                       read_timeout_s=5.0))
    got: list[tuple[str, dict]] = []
    svc.add_listener(lambda k, d: got.append((k, d)))
    yield core, svc, got
    svc.stop()
    core.close()


def cancelled(got, order_id: str) -> bool:
    return any(k == "order_cancelled" and d["order_id"] == order_id for k, d in got)


# -- 1. a lone surrogate ---------------------------------------------------------------------------------------------

def test_a_lone_surrogate_in_one_pick_list_product_or_operator_skips_that_one_and_the_rest_arrive(oms, station):
    """"\\ud800" is valid JSON and passed the contract; SQLite then refused to store it at every poll: the pull stopped
    (a cancellation never came), the products page was lost, the operators failed the poll. Now the one item is
    skipped as malformed, like a NaN weight, and the rest of the poll comes through."""
    from app.operators import hash_pin

    core, svc, got = station
    oms.put(1)
    svc.pull_once()
    oms.put(2, notes="PLACEHOLDER")
    oms.put(1, status="cancelled")
    listing = oms.listing

    def with_surrogate(q):
        return json.loads(json.dumps(listing(q)).replace("PLACEHOLDER", "\\ud800 gift note"))

    oms.listing = with_surrogate
    products = b'{"items":[{"sku":"P1","name":"Mug \\udc80"},{"sku":"P2","name":"Plate"}],' \
               b'"next_cursor":null,"server_time_ms":%d}' % oms.clock()
    oms.routes["/api/v1/products"] = lambda m, p, q, b: (200, products)
    ops = [{"id": "O1", "badge": "B-1", "name": "PLACEHOLDER", "role": "packer", "pin_hash": hash_pin("2222"),
            "active": True},
           {"id": "O2", "badge": "B-2", "name": "Zhang Min", "role": "packer", "pin_hash": hash_pin("3333"),
            "active": True}]
    operators = json.dumps({"items": ops}).replace("PLACEHOLDER", "Li \\ud83d").encode()
    oms.routes["/api/v1/operators"] = lambda m, p, q, b: (200, operators)

    svc.pull_once()  # no exception: nothing in this poll failed but three items the station cannot take
    assert svc.cache.row("SO-1")["status"] == "cancelled" and cancelled(got, "SO-1")
    assert svc.cache.row("SO-2") is None
    assert svc.products.get("P2")["name"] == "Plate" and svc.products.get("P1") is None
    assert core.operators.authenticate("B-2", "3333").id == "O2" and core.operators.authenticate("B-1", "2222") is None
    assert svc.client.counters.malformed == 3
    svc.pull_once()


def test_the_contract_names_the_field_that_holds_a_lone_surrogate():
    from sync.contract import ContractError, PickList, parse_reply

    doc = order(1, ship_to={"name": "Li \ud800 Lei"})
    with pytest.raises(ContractError, match=r"ship_to\.name"):
        parse_reply(PickList, doc, "pick list")
    assert parse_reply(PickList, order(1, notes="李雷 🎁"), "pick list").notes == "李雷 🎁"  # real text passes


def test_the_label_checks_fresh_pick_list_with_a_lone_surrogate_is_malformed(oms, station):
    """The pick list fetched fresh for the label (`get_picklist`) skipped the contract's check a listed one passes:
    a lone surrogate in the address reached the label's text. Malformed, as a listed one is."""
    core, svc, got = station
    oms.put(1)
    raw = json.dumps({**order(1), "updated_at": "1"}).replace('"Li Lei"', '"Li \\ud800"').encode()
    oms.routes["/api/v1/picklists/SO-1"] = lambda m, p, q, b: (200, raw)
    with pytest.raises(MalformedReply, match="surrogate"):
        svc.client.get_picklist("SO-1")


# -- 2. a repeated page cursor ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/picklists", "/api/v1/products"])
def test_an_oms_repeating_its_page_cursor_ends_the_pull_and_the_poll_goes_on(oms, station, path):
    """An OMS answering next_cursor "1:x" again and again kept the pull thread asking (22 requests a second, for
    ever): no new order nor cancellation arrived again. The repeated cursor ends that pull as a malformed reply; the
    rest of the poll runs, and so does the next poll. (Here the OMS stops repeating after 50 pages, so that the old
    code's endless loop shows as a failed assertion, not as a test that never ends.)"""
    core, svc, got = station
    oms.put(1)
    pages = {"n": 0}

    def repeating(m, p, q, b):
        pages["n"] += 1
        return 200, {"items": [order(1, updated_at="1")] if path.endswith("picklists") else [],
                     "next_cursor": "1:x" if pages["n"] < 50 else None, "server_time_ms": oms.clock()}

    oms.routes[path] = repeating
    for _ in range(2):  # the next poll runs too
        with pytest.raises(MalformedReply, match="cursor"):
            svc.pull_once()
    assert pages["n"] <= 2 * 2  # two pages a poll: the second repeats the first's cursor
    assert oms.requests_to("/api/v1/operators") == 2  # the parts after it still ran


def test_a_pull_of_too_many_pages_ends_as_a_malformed_reply(oms, station, monkeypatch):
    """Cursors that never repeat and never end (an OMS paging in circles with fresh names) stop at a page cap."""
    import sync.service as service

    core, svc, got = station
    monkeypatch.setattr(service, "MAX_PAGES", 5)
    pages = {"n": 0}

    def endless(m, p, q, b):
        pages["n"] += 1
        return 200, {"items": [], "next_cursor": f"c{pages['n']}" if pages["n"] < 50 else None,
                     "server_time_ms": oms.clock()}

    oms.routes["/api/v1/picklists"] = endless
    with pytest.raises(MalformedReply, match="pages"):
        svc.pull_picklists()
    assert pages["n"] == 5


# -- 3. a claim answered for another station -------------------------------------------------------------------------

def test_a_claim_answered_200_for_another_station_is_refused_and_the_order_is_not_worked_here(oms, station):
    """A 200 naming another station was taken for "OMS offline": the order was claimed provisionally and packed
    here while ST-OTHER had it, and every poll then failed reconciling it. It is a refusal, said in both languages."""
    core, svc, got = station
    oms.put(1)
    svc.pull_once()
    oms.routes["/api/v1/picklists/"] = lambda m, p, q, b: (200, {"id": "SO-1", "claimed_by": "ST-OTHER",
                                                                  "status": "claimed"})
    r = svc.claim("SO-1")
    assert not r.ok and not r.provisional
    assert r.text("en") == "Order SO-1 is already taken by station ST-OTHER."
    assert r.text("zh_CN") == "订单 SO-1 已被工作站 ST-OTHER 领取。"
    row = svc.cache.row("SO-1")
    assert row["claimed_by"] != "ST-H" and not row["provisional"]
    assert not core.events.events(types=["picklist_claimed"])
    assert not [d for k, d in got if k == "health" and not d["online"]]  # not taken for "OMS offline"
    svc.pull_once()  # nothing left to reconcile


def test_an_offline_claim_the_oms_then_confirms_for_another_station_in_a_200_is_settled_as_lost(oms, station):
    core, svc, got = station
    oms.put(1)
    svc.pull_once()
    oms.routes["/api/v1/picklists/"] = lambda m, p, q, b: (503, {"error": "busy"})
    assert svc.claim("SO-1").provisional
    oms.routes["/api/v1/picklists/"] = lambda m, p, q, b: (200, {"id": "SO-1", "claimed_by": "ST-OTHER",
                                                                  "status": "in_progress"})
    svc.pull_once()  # reconciled: no MalformedReply at this poll nor the next
    svc.pull_once()
    row = svc.cache.row("SO-1")
    assert row["claimed_by"] == "ST-OTHER" and not row["provisional"]
    assert any(k == "claim_lost" and d["claimed_by"] == "ST-OTHER" for k, d in got)
    assert svc.cache.open_picklists() == []


# -- 4. the incremental pull and the OMS's clock ---------------------------------------------------------------------

def test_an_order_stamped_in_the_future_by_an_oms_clock_jump_does_not_hide_later_changes(oms, station):
    """The OMS's clock ran a year ahead for a moment and stamped SO-2 then. The station's mark went there, asked for
    changes after it for ever, and never heard SO-1 cancelled. The mark follows the OMS's clock, not the stamps."""
    core, svc, got = station
    from sync.service import KV_SINCE

    oms.put(1)
    oms.put(2, ms=oms.clock() + 365 * DAY_MS)
    svc.pull_once()
    assert {p.id for p in svc.cache.open_picklists()} == {"SO-1", "SO-2"}
    assert core.store.get_kv(KV_SINCE) <= oms.clock()
    oms.put(1, status="cancelled")
    svc.pull_once()
    assert svc.cache.row("SO-1")["status"] == "cancelled" and cancelled(got, "SO-1")


def test_iso_stamps_with_an_offset_still_make_the_pull_incremental_and_bring_a_cancellation(oms, station):
    """updated_at as "2026-03-01T16:00:00+08:00" (the contract says a string): int() refused it, the mark never
    moved, every poll was a full pull, and a full pull leaves cancelled orders out."""
    core, svc, got = station
    from sync.service import KV_SINCE

    oms.stamp = iso_plus8
    oms.put(1)
    svc.pull_once()
    assert core.store.get_kv(KV_SINCE) is not None
    oms.put(1, status="cancelled")
    svc.pull_once()
    assert svc.cache.row("SO-1")["status"] == "cancelled" and cancelled(got, "SO-1")
    assert "updated_since" in [p for _, p in oms.seen if urlsplit(p).path == "/api/v1/picklists"][-1]


def test_a_mark_ahead_of_the_oms_clock_is_pulled_again_in_full_and_a_cancellation_missed_meanwhile_is_found(
        oms, station):
    """The mark a station holds is ahead of the OMS's clock (left by an older station, or taken while the OMS's clock
    had jumped): every change after it is stamped before it and never listed. The station sees the OMS's time below
    its mark, pulls in full, and asks the OMS about each order it still has open that the full listing leaves out:
    the one cancelled meanwhile is said."""
    core, svc, got = station
    from sync.service import KV_SINCE

    oms.put(1)
    oms.put(3)
    svc.pull_once()
    core.store.set_kv(KV_SINCE, oms.clock() + 365 * DAY_MS)
    oms.put(1, status="cancelled")
    oms.put(3, status="claimed", claimed_by="ST-OTHER")
    oms.put(4)
    svc.pull_once()
    assert svc.cache.row("SO-1")["status"] == "cancelled" and cancelled(got, "SO-1")
    assert {p.id for p in svc.cache.open_picklists()} == {"SO-4"}
    assert core.store.get_kv(KV_SINCE) <= oms.clock()


def test_a_product_mark_taken_while_the_oms_clock_ran_ahead_does_not_stop_product_changes(oms, station):
    """The products' mark is the OMS's time at the pull: taken while the OMS's clock had jumped a year ahead (FIELD.md:
    a sync stopped for 48 h that way), every product changed after the clock was set right was stamped before the
    mark and never listed again — a new barcode or name never reached the station. As for pick lists: the OMS's time
    below the mark pulls the products in full; a /products page whose time is not a time leaves the mark as it was."""
    core, svc, got = station
    from sync.service import KV_PROD_SINCE

    products: dict[str, dict] = {}

    def put(sku: str, name: str) -> None:
        products[sku] = {"sku": sku, "name": name, "_ms": oms.clock()}

    def listing(_m, _p, q, _b):
        since = int(q["updated_since"]) if "updated_since" in q else None
        items = [{k: v for k, v in pr.items() if k != "_ms"} for pr in products.values()
                 if since is None or pr["_ms"] > since]
        return 200, {"items": items, "next_cursor": None, "server_time_ms": oms.clock()}

    oms.routes["/api/v1/products"] = listing
    oms.offset_ms = 365 * DAY_MS  # the OMS's clock jumps a year ahead
    put("MUG-1", "Mug")
    assert svc.pull_products() == 1
    oms.offset_ms = 0  # and is set right
    put("MUG-1", "Mug, blue")
    svc.pull_products()
    assert svc.products.get("MUG-1")["name"] == "Mug, blue"
    assert core.store.get_kv(KV_PROD_SINCE) <= oms.clock()
    put("MUG-2", "Mug, red")  # and the pull is incremental again
    assert svc.pull_products() >= 1 and "updated_since" in oms.seen[-1][1]  # (MUG-1 again in the mark's overlap)
    assert svc.products.get("MUG-2")["name"] == "Mug, red"
    oms.routes["/api/v1/products"] = lambda *_: (200, {"items": [{"sku": "MUG-3", "name": "Mug, green"}],
                                                      "next_cursor": None, "server_time_ms": 1})
    mark = core.store.get_kv(KV_PROD_SINCE)
    assert svc.pull_products() == 1 and core.store.get_kv(KV_PROD_SINCE) == mark  # 1 ms after 1970 is no time


def test_an_order_read_again_in_the_overlap_is_not_applied_again(oms, station):
    """The mark keeps a few seconds of overlap (a change stamped just before the OMS answered may be committed after):
    an order read again unchanged is not news, and what the station did to it meanwhile (finished it) stands."""
    core, svc, got = station
    oms.put(1)
    svc.pull_once()
    svc.cache.set_status("SO-1", "done", claimed_by="ST-H")  # packed here; the OMS hears of it by the outbox
    got.clear()
    assert svc.pull_picklists() == 0
    assert svc.cache.row("SO-1")["status"] == "done" and not got


# -- 5. a malformed /time reply --------------------------------------------------------------------------------------

@pytest.mark.parametrize("reply", [(200, {"server_time_ms": 1.7e12}), (404, {"detail": "Not Found"})])
def test_a_malformed_time_reply_does_not_hold_back_the_pick_lists(oms, station, reply):
    core, svc, got = station
    oms.put(1)
    oms.routes["/api/v1/time"] = lambda m, p, q, b: reply
    svc.pull_once()
    assert [p.id for p in svc.cache.open_picklists()] == ["SO-1"]
    assert core.store.get_kv("sync.clock_offset_ms") is None


# -- 6. an absurd lot rule -------------------------------------------------------------------------------------------

def test_a_lot_rule_asking_for_a_billion_days_of_shelf_life_makes_the_pick_list_malformed(oms, station):
    """min_days_to_expiry = 10**12 was taken, and every expiry scan of the line then said "could not be checked"
    (an OverflowError in the date arithmetic): the line could never be scanned. Refused where it enters, as a NaN
    weight is; a rule of up to ten years is taken."""
    from app.picklist import PickList, PickListError

    core, svc, got = station
    line = order(1)["lines"][0]
    for bad in (10**12, -1):
        with pytest.raises(PickListError, match="min_days_to_expiry"):
            PickList.from_dict(order(1, lines=[{**line, "lot": {"min_days_to_expiry": bad}}]))
    ok = PickList.from_dict(order(1, lines=[{**line, "lot": {"min_days_to_expiry": 3650}}]))
    assert ok.lines[0].lot.min_days_to_expiry == 3650
    oms.put(1, lines=[{**line, "lot": {"min_days_to_expiry": 10**12}}])
    oms.put(2)
    svc.pull_once()
    assert [p.id for p in svc.cache.open_picklists()] == ["SO-2"]
