"""SyncService end to end against the reference OMS on loopback, with a FaultProxy to cut the network."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from sync.client import OmsAuthError, OmsClient
from sync.proxy import FaultProxy


@pytest.fixture
def env(tmp_path, settings):
    from app.core import open_core
    from sync.oms_server import serve_in_thread
    from sync.service import SyncService

    srv = serve_in_thread(tmp_path / "oms.sqlite3", seed="demo")
    proxy = FaultProxy(srv.port).start()
    settings.station.id = "ST-T"
    settings.oms.url = proxy.url
    settings.oms.intercept_timeout_s = 0.5
    settings.oms.connect_timeout_s = 0.5
    settings.oms.read_timeout_s = 2
    core = open_core(settings)
    svc = SyncService(core, settings, client=OmsClient(proxy.url, token=srv.issue_token("ST-T"), max_retries=1,
                                                       backoff_base_s=0.01,
                                                       connect_timeout_s=0.5, read_timeout_s=2))
    srv.other = {"Authorization": f"Bearer {srv.issue_token('OTHER')}"}  # another station, its own token
    got: list[tuple[str, dict]] = []
    svc.add_listener(lambda k, d: got.append((k, d)))
    yield srv, proxy, core, svc, got
    svc.stop()
    core.close()
    proxy.stop()
    srv.stop()


def test_pull_caches_everything_and_works_offline(env):
    srv, proxy, core, svc, got = env
    assert svc.pull_once() == 20
    proxy.set_mode("down")
    assert len(svc.cache.open_picklists()) == 20
    pl = svc.cache.get("SO-1001")
    assert pl is not None and svc.cache.find_by_code(pl.order_no).id == "SO-1001"
    assert svc.cache.find_by_code("50001").id == "SO-1001"
    p = svc.images.path_for(pl.lines[0].image_url)
    assert p is not None and p.read_bytes()[:4] == b"\x89PNG"
    assert svc.products.get("TEE-RED-M")["style"] == "TEE-CLASSIC"
    assert core.operators.authenticate("K-001", "2222").role.value == "packer"  # offline login
    assert any(k == "picklists_changed" and len(d["ids"]) == 20 for k, d in got)
    from sync.client import OmsUnavailable

    with pytest.raises(OmsUnavailable):
        svc.pull_once()


def test_second_pull_is_incremental_and_conditional(env):
    srv, proxy, core, svc, got = env
    assert svc.pull_picklists() == 20
    assert svc.pull_picklists() == 0
    requests.post(srv.url + "/api/v1/picklists/SO-1004/claim", json={}, headers=srv.other, timeout=5)
    assert svc.pull_picklists() == 1
    assert svc.cache.row("SO-1004")["claimed_by"] == "OTHER"


def test_outbox_drains_in_order_and_keeps_rejected(env):
    srv, proxy, core, svc, got = env
    for i in range(450):
        core.events.append("scan", {"i": i}, order_id="SO-1001")
    # an event with a foreign station id is rejected by the OMS: kept, shown, never dropped
    from app import schema

    with core.store.write() as c:
        c.execute(schema.events.update().where(schema.events.c.seq == 7).values(station_id="FORGED"))
    assert svc.outbox_once() == 449
    h = svc.health()
    assert h.queue_depth == 0 and h.rejected_count == 1 and h.clock_offset_ms is not None
    assert any(k == "events_rejected" and d["events"][0]["seq"] == 7 for k, d in got)
    st = requests.get(srv.url + "/api/v1/_stats", headers=srv.other, timeout=5).json()
    assert st["per_station"]["ST-T"]["unique"] == 449
    with core.store.read() as c:
        row = c.execute(schema.events.select().where(schema.events.c.seq == 7)).first()
    assert row.sync_state == "rejected" and "station" in row.reject_reason
    received = sorted(json.loads(r)["seq"] for r in _server_docs(srv))
    assert received == [s for s in range(1, 451) if s != 7]


def _server_docs(srv):
    from sqlalchemy import select

    from sync.oms_server import models as m

    with srv.app.state.engine.connect() as c:
        return list(c.execute(select(m.events.c.doc)).scalars())


def test_an_order_packed_here_offline_that_the_oms_gave_to_another_station_is_flagged_and_said(env):
    """Claimed provisionally offline and packed here, while the OMS gave it to another station: after the network
    came back it was done at the OMS under the other station's claim and nothing was said (a chaos run: two stations
    could ship it). It is flagged for review and said, in both languages."""
    srv, proxy, core, svc, got = env
    svc.pull_once()
    proxy.set_mode("down")
    assert svc.claim("SO-1007").provisional
    requests.post(srv.url + "/api/v1/picklists/SO-1007/claim", json={}, headers=srv.other, timeout=5)
    core.events.append("order_completed", {"units": 1}, order_id="SO-1007")  # packed here, offline
    svc.cache.set_status("SO-1007", "done", claimed_by=svc.station_id)  # as StationController._finish does
    proxy.set_mode("pass")
    svc.outbox_once()
    svc.pull_picklists()
    said = [d for k, d in got if k == "packed_elsewhere_too"]
    assert said and said[0]["order_id"] == "SO-1007" and said[0]["claimed_by"] == "OTHER"
    assert "two parcels may ship" in said[0]["message"].text("en") and "两个包裹" in said[0]["message"].text("zh_CN")
    assert "OTHER" in svc.cache.review_flag("SO-1007")


def test_an_order_claimed_and_packed_here_offline_is_claimed_by_this_station_at_the_oms(env):
    """Claimed provisionally offline and packed here before the network came back: finishing the order settles the
    local claim, so the station never confirms it by a claim request, and the OMS marked the order done with nobody
    holding it. Its events now claim it at the OMS for this station."""
    from sqlalchemy import select

    from sync.oms_server import models as m

    srv, proxy, core, svc, got = env
    svc.pull_once()
    proxy.set_mode("down")
    assert svc.claim("SO-1008").provisional
    core.events.append("order_completed", {"units": 1}, order_id="SO-1008")  # packed here, offline
    svc.cache.set_status("SO-1008", "done", claimed_by=svc.station_id)  # as StationController._finish does
    proxy.set_mode("pass")
    svc.outbox_once()
    svc.pull_once()
    with srv.app.state.engine.connect() as c:
        row = c.execute(select(m.orders.c.status, m.orders.c.claimed_by).where(m.orders.c.id == "SO-1008")).one()
    assert tuple(row) == ("done", "ST-T")
    assert svc.cache.row("SO-1008")["claimed_by"] == "ST-T" and svc.cache.review_flag("SO-1008") is None
    assert not [d for k, d in got if k in ("packed_elsewhere_too", "claim_lost")]


def _packed_at_another_station(srv, order_id: str) -> None:
    """Another station, offline while this one claimed the order, packed it and is back: its events reach the OMS,
    whose `order_completed` makes the order done (the claim, this station's, stands)."""
    now = int(time.time() * 1000)
    evs = [{"id": f"other-{order_id}-{i}", "station_id": "OTHER", "seq": i, "ts_utc_ms": now, "type": t,
            "order_id": order_id, "payload": {"order_id": order_id}}
           for i, t in enumerate(("picklist_claimed", "label_printed", "order_completed"), 1)]
    r = requests.post(srv.url + "/api/v1/events/batch", json={"sent_at_ms": now, "events": evs}, headers=srv.other,
                      timeout=5)
    assert [x["status"] for x in r.json()["results"]] == ["accepted"] * 3


def test_an_order_claimed_here_that_another_station_packed_is_stopped_at_the_label_check(env):
    """Station C, offline, packs an order this station then claimed online and works: once C is back the OMS has the
    order done. F9's check asked the OMS whether the order still ships, heard "done" and printed a second label (two
    parcels shipped, nothing said at either station but "may"). Done at the OMS and not finished here is a STOP."""
    srv, proxy, core, svc, got = env
    svc.pull_once()
    assert svc.claim("SO-1002").ok
    assert svc.check_shippable("SO-1002").ok
    _packed_at_another_station(srv, "SO-1002")
    ship = svc.check_shippable("SO-1002")
    assert not ship.ok and ship.status == "packed_elsewhere"
    assert "packed at another station" in ship.text("en") and "其他工作站" in ship.text("zh_CN")
    assert core.events.last("order_intercepted").payload == {"order_id": "SO-1002", "status": "packed_elsewhere",
                                                              "reason": "packed at another station"}
    core.events.append("order_completed", {"units": 1}, order_id="SO-1004")  # finished here: "done" is this one's
    assert svc.claim("SO-1004").ok
    svc.outbox_once()
    assert svc.check_shippable("SO-1004").ok


def test_an_order_claimed_here_that_another_station_packed_is_said_at_the_next_poll(env):
    """The same, heard at the poll: the order this station holds and works went done at the OMS without this station
    finishing it. The poll wrote "done" into the cache and said nothing; the packer went on to pack a second parcel.
    Said as `packed_elsewhere` (the screen stops the order); an order this station finished itself is not."""
    srv, proxy, core, svc, got = env
    svc.pull_once()
    assert svc.claim("SO-1002").ok and svc.claim("SO-1003").ok
    svc.pull_once()
    _packed_at_another_station(srv, "SO-1002")
    core.events.append("order_completed", {"units": 1}, order_id="SO-1003")  # this station's own, as _finish does:
    svc.cache.set_status("SO-1003", "done", claimed_by=svc.station_id)
    svc.outbox_once()
    svc.pull_picklists()
    said = [d for k, d in got if k == "packed_elsewhere"]
    assert [d["order_id"] for d in said] == ["SO-1002"]
    assert "another station" in said[0]["message"].text("en") and "其他工作站" in said[0]["message"].text("zh_CN")
    assert not [d for k, d in got if k in ("claim_lost", "packed_elsewhere_too")]


def _station_at(env, order_id: str, step):
    """This station's controller with `order_id` open and worked to `step` (a spool stand-in prints)."""
    import types

    from floor_kit import Floor, SpoolStandIn

    from app.workflow import Station
    from floor import StationController

    srv, proxy, core, svc, got = env
    svc.pull_once()
    ctl = StationController(Station(core), cache=svc.cache, sync=svc, spool=SpoolStandIn(core))
    svc.add_listener(ctl.on_sync)  # as the window hands the sync's news on
    ctl.login("K-001", "2222")
    ctl.start_work()
    ctl.open_order(order_id)
    kit = types.SimpleNamespace(ctl=ctl)
    kit.work_counting, kit.weigh = (lambda: Floor.work_counting(kit)), (lambda g: Floor.weigh(kit, g))
    Floor.to_step(kit, step)
    return ctl


@pytest.mark.parametrize("heard", ["at_f9", "at_the_poll"])
def test_a_packer_at_an_order_another_station_packed_is_stopped_not_given_a_second_label(env, heard):
    """The floor's side: the packer at the Label step (or still picking) of an order another station packed offline
    is stopped with what to put back, and no label is printed for it."""
    from app.workflow import Step
    from floor import Level

    srv, proxy, core, svc, got = env
    ctl = _station_at(env, "SO-1001", Step.LABEL if heard == "at_f9" else Step.PICK)
    if heard == "at_the_poll":
        ctl.scan(ctl.session.picklist.lines[0].barcodes[0].code)
    _packed_at_another_station(srv, "SO-1001")
    if heard == "at_f9":
        ctl.print_paperwork()
    else:
        svc.pull_picklists()
    s = ctl.session
    assert s is not None and s.intercepted and s.intercepted[0] == "packed_elsewhere"
    assert ctl.feedback.level == Level.STOP
    assert "already packed at another station" in ctl.feedback.en and "已在其他工作站包装" in ctl.feedback.text("zh_CN")
    assert "Put back:" in ctl.feedback.en
    assert not ctl.spool.jobs()  # no second label, no slip
    assert ctl.print_paperwork().outcome.value != "done" and not ctl.spool.jobs()


def test_claims_online_conflict_and_offline_reconcile(env):
    srv, proxy, core, svc, got = env
    svc.pull_once()
    r = svc.claim("SO-1001")
    assert r.ok and not r.provisional
    requests.post(srv.url + "/api/v1/picklists/SO-1002/claim", json={}, headers=srv.other, timeout=5)
    r = svc.claim("SO-1002")
    assert not r.ok and "OTHER" in r.text("en") and "OTHER" in r.text("zh_CN") and r.text("zh_CN") != r.text("en")
    svc._record(True, time.monotonic())  # as the pull loop records the poll that went through
    assert svc.health().online
    proxy.set_mode("down")
    r = svc.claim("SO-1003")
    assert r.ok and r.provisional and svc.cache.row("SO-1003")["provisional"]
    # the claim found the OMS unreachable: the status bar says offline now, beside "claimed provisionally"
    assert not svc.health().online and [d["online"] for k, d in got if k == "health"][-1] is False
    # meanwhile the OMS gives SO-1003 to another station
    requests.post(srv.url + "/api/v1/picklists/SO-1003/claim", json={}, headers=srv.other, timeout=5)
    r = svc.claim("SO-1006")
    assert r.provisional
    proxy.set_mode("pass")
    for op in ("claim", "release"):  # another station touches SO-1006 (claims and lets go)
        requests.post(srv.url + f"/api/v1/picklists/SO-1006/{op}", json={}, headers=srv.other, timeout=5)
    svc.pull_picklists()
    assert svc.cache.row("SO-1006")["provisional"]  # a refresh does not forget the offline claim
    svc.reconcile_claims()
    lost = [d for k, d in got if k == "claim_lost" and d["order_id"] == "SO-1003"]
    assert lost and lost[0]["claimed_by"] == "OTHER" and "message_en" not in lost[0]
    assert lost[0]["message"].text("en") == "Order SO-1003 was given to another station."
    assert lost[0]["message"].text("zh_CN") == "订单 SO-1003 已分配给其他工作站。"
    assert svc.cache.row("SO-1006")["provisional"] is False or svc.cache.row("SO-1006")["provisional"] == 0
    assert ("claim_confirmed", {"order_id": "SO-1006"}) in got  # said, so the panel can stop saying "provisional"
    ev = [e.payload for e in core.events.events(types=["picklist_claimed"])]
    assert {"order_id": "SO-1003", "provisional": True} in ev


def test_intercept_stops_cancelled_and_flags_offline_labels(env, monkeypatch):
    srv, proxy, core, svc, got = env
    svc.pull_once()
    assert svc.check_shippable("SO-1001").ok
    assert svc.claim("SO-1005").ok
    from sync.oms_server import app as appmod

    real = appmod.now_ms
    monkeypatch.setattr(appmod, "now_ms", lambda: real() + 10_000)  # the demo cancels SO-1005 3 s after claim
    s = svc.check_shippable("SO-1005")
    assert not s.ok and s.status == "cancelled" and "STOP" in s.text("en") and "停止" in s.text("zh_CN")
    assert core.events.last("order_intercepted").payload["order_id"] == "SO-1005"
    # offline: the label may print, and the order is flagged when the OMS later reports it cancelled
    assert svc.claim("SO-1013").ok
    proxy.set_mode("drop")
    s = svc.check_shippable("SO-1013")
    assert s.ok and s.offline
    proxy.set_mode("pass")
    monkeypatch.setattr(appmod, "now_ms", lambda: real() + 20_000)  # 10 s after the claim of SO-1013
    svc.pull_picklists()
    assert svc.cache.review_flag("SO-1013")
    assert any(k == "order_cancelled" and d["order_id"] == "SO-1013" and d["printed_offline"] for k, d in got)


def _change_order(srv, order_id: str, **doc) -> None:
    """The OMS changes an order (the customer's new address, another carrier), as its own admin would."""
    from sqlalchemy import select, update

    from sync.oms_server import models as m

    with srv.app.state.engine.begin() as c:
        old = json.loads(c.execute(select(m.orders.c.doc).where(m.orders.c.id == order_id)).scalar_one())
        c.execute(update(m.orders).where(m.orders.c.id == order_id).values(
            doc=json.dumps({**old, **doc}), updated_ms=int(time.time() * 1000)))


def test_the_label_check_brings_the_order_as_the_oms_has_it_now(env):
    """The address and carrier on the label are the OMS's at F9, not those of when the order was opened (wrong address
    2.1 and wrong carrier 1.7 per thousand orders in the field notes); offline, those of the last poll."""
    srv, proxy, core, svc, got = env
    svc.pull_once()
    assert svc.claim("SO-1002").ok
    opened = svc.cache.get("SO-1002")

    def dest(pl):
        return pl.id, pl.carrier, pl.service, pl.ship_to, pl.lines

    ship = svc.check_shippable("SO-1002")
    assert ship.ok and dest(ship.picklist) == dest(opened)  # nothing changed: the same order
    _change_order(srv, "SO-1002", carrier="SF", ship_to={**opened.to_dict()["ship_to"], "city": "上海市"})
    ship = svc.check_shippable("SO-1002")
    assert ship.ok and ship.picklist.carrier == "SF" and ship.picklist.ship_to.city == "上海市"
    assert svc.cache.get("SO-1002").carrier == opened.carrier  # the check reads, the poll writes the cache
    proxy.set_mode("drop")
    ship = svc.check_shippable("SO-1002")
    assert ship.ok and ship.offline and dest(ship.picklist) == dest(opened)  # the last poll's
    proxy.set_mode("pass")
    svc.pull_picklists()
    proxy.set_mode("drop")
    assert svc.check_shippable("SO-1002").picklist.carrier == "SF"


def test_background_service_and_health_cli(env, tmp_path):
    from conftest import run_cli

    srv, proxy, core, svc, got = env
    proxy.set_mode("down")
    for i in range(5):
        core.events.append("scan", {"i": i})
    done = threading.Event()
    svc.add_listener(lambda k, d: done.set() if k == "health" and not d["online"] else None)
    svc.start()
    assert done.wait(10)
    h = svc.health()
    assert not h.online and h.consecutive_failures >= 1 and h.last_error and h.queue_depth == 5
    back = threading.Event()
    svc.add_listener(lambda k, d: back.set() if k == "health" and d["queue_depth"] == 0 else None)
    proxy.set_mode("pass")
    svc.sync_now()
    assert back.wait(15)
    assert svc.health().last_success_ms
    cfg = tmp_path / "station.toml"
    cfg.write_text(f'[station]\nid = "ST-T"\ndata_dir = "{core.settings.station.data_dir}"\n')
    r = run_cli("--config", str(cfg), "sync-status", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["queue_depth"] == 0 and d["last_success_ms"] and "clock_offset_ms" in d


def test_sync_health_is_committed_when_its_state_changes_not_after_every_drain(env):
    """The outbox records its health after every drain — after each scan while a station works. Stored (for
    `sync-status` in another process) it is committed when the state changes; successes alone at most every
    HEALTH_WRITE_EVERY_S, and at the stop. The service's own view is never behind."""
    from sync.service import KV_HEALTH

    srv, proxy, core, svc, got = env

    def stored():
        return core.store.get_kv(KV_HEALTH)

    svc._record(True, time.monotonic())
    assert stored()["online"] and stored()["consecutive_successes"] == 1
    for _ in range(30):  # thirty drains that went through, each followed by a scan's event
        svc._record(True, time.monotonic())
    assert stored()["consecutive_successes"] == 1  # not one commit per drain
    assert svc.health().consecutive_successes == 31 and svc.health().online
    assert [d["consecutive_successes"] for k, d in got if k == "health"][-1] == 31
    svc._record(False, time.monotonic(), "OMS unreachable")  # the network goes: stored at once
    assert stored()["online"] is False and stored()["last_error"] == "OMS unreachable"
    svc._record(False, time.monotonic(), "OMS unreachable")  # another failure is news too (the count)
    assert stored()["consecutive_failures"] == 2
    svc._record(True, time.monotonic())  # back: stored at once
    assert stored()["online"] and stored()["consecutive_failures"] == 0
    svc._record(True, time.monotonic())
    assert stored()["consecutive_successes"] == 1
    svc.HEALTH_WRITE_EVERY_S = 0.0  # the interval passed: the next success is stored
    svc._record(True, time.monotonic())
    assert stored()["consecutive_successes"] == 3
    svc.HEALTH_WRITE_EVERY_S = 3600.0
    svc._record(True, time.monotonic())
    svc.stop()  # what the last drain found is stored at the stop
    assert stored()["consecutive_successes"] == 4


def test_events_appended_moments_apart_go_in_one_batch(env):
    """A scan, the step it completes, a gift confirmation: events a moment apart wait for each other (the
    outbox's linger) and go as one batch — one request and one commit of sent marks, not one each."""
    from sqlalchemy import text

    srv, proxy, core, svc, got = env
    svc.start()
    core.events.append("bench_start", {})
    deadline = time.monotonic() + 15
    while svc.health().queue_depth and time.monotonic() < deadline:
        time.sleep(0.02)
    assert svc.health().queue_depth == 0
    for i in range(4):  # a packer's scans, 0.05 s apart (the linger is 1 s)
        core.events.append("scan", {"raw": "6900000000014", "i": i}, operator_id="OP", order_id="SO-1001")
        time.sleep(0.05)
    deadline = time.monotonic() + 15
    while svc.health().queue_depth and time.monotonic() < deadline:
        time.sleep(0.02)
    with core.store.read() as c:
        sent = c.execute(text("SELECT sync_state, sent_at_ms FROM events WHERE type = 'scan'")).all()
    assert [r[0] for r in sent] == ["sent"] * 4
    assert len({r[1] for r in sent}) == 1  # marked together: one batch (each alone would be marked at its own time)


def _last_picture_order(svc):
    """The open order whose pictures come last in URL order: fetched last when nobody asks."""
    pls = svc.cache.open_picklists()
    return max(pls, key=lambda pl: min(ln.image_url for ln in pl.lines if ln.image_url))


def _fetch_order(core):
    from sqlalchemy import text

    with core.store.read() as c:  # the images table's rowids count up as pictures are stored
        return list(c.execute(text("SELECT url FROM images ORDER BY rowid")).scalars())


def test_the_pictures_of_an_order_claimed_here_come_before_the_others(env):
    srv, proxy, core, svc, got = env
    assert svc.pull_picklists() == 20
    pl = _last_picture_order(svc)
    assert svc.claim(pl.id).ok
    svc.images.fetch_missing(svc.client, svc.cache.open_image_urls())
    mine = {ln.image_url for ln in pl.lines if ln.image_url}
    fetched = _fetch_order(core)
    assert set(fetched[:len(mine)]) == mine, (fetched, mine)
    assert set(fetched) == svc.cache.open_image_urls()  # and then every other one, each once
    assert len(fetched) == len(set(fetched))


def test_a_claim_fetches_the_order_s_pictures_at_once_without_polling_early(env):
    srv, proxy, core, svc, got = env
    from sqlalchemy import text

    svc.settings.oms.poll_interval_s = 600
    polls = []
    pull_once = svc.pull_once
    svc.pull_once = lambda: polls.append(1) or pull_once()
    first = threading.Event()
    svc.add_listener(lambda k, d: first.set() if k == "health" and d.get("online") else None)
    svc.start()
    assert first.wait(15)
    pl = _last_picture_order(svc)
    url = next(ln.image_url for ln in pl.lines if ln.image_url)
    for _ in range(150):  # the first pull's pictures are all in
        if svc.images.path_for(url):
            break
        threading.Event().wait(0.1)
    with core.store.write() as c:  # as if this order's picture had not come yet
        c.execute(text("DELETE FROM images WHERE url = :u"), {"u": url})
    assert svc.images.path_for(url) is None
    assert svc.claim(pl.id).ok
    for _ in range(100):
        if svc.images.path_for(url):
            break
        threading.Event().wait(0.1)
    assert svc.images.path_for(url) is not None, "the claimed order's picture was not fetched"
    assert len(polls) == 1  # fetched by itself: the next poll keeps its time (no early request for pick lists)


def test_a_login_before_a_new_station_knows_its_operators_goes_through_when_they_come(env):
    """A new station knows no operator until its first OMS pull: a badge and PIN typed before (the login screen shows
    first, a packer is quick) are held with a word, not refused as wrong (the station never had a list to check them
    against), and logged in when the operators come. A wrong PIN held so is refused then, as ever."""
    from app.workflow import Station
    from floor import Level, Screen, StationController

    srv, proxy, core, svc, got = env
    ctl = StationController(Station(core), cache=svc.cache, sync=svc)
    svc.add_listener(ctl.on_sync)  # as the window hands the sync's news on (on the GUI thread there)
    assert not core.operators.known()
    r = ctl.login("K-001", "2222")
    assert ctl.operator is None and r.feedback.level == Level.HINT
    assert r.feedback.en.startswith("This station has no operators yet")
    assert r.feedback.text("zh_CN").startswith("本工位还没有操作员名单")
    assert core.operators.authenticate("K-001", "2222") is None  # still none: nothing is let in without a list
    svc.pull_once()
    assert any(k == "operators_changed" for k, _d in got)
    assert ctl.operator is not None and ctl.operator.badge == "K-001" and ctl.screen == Screen.CHECK
    ctl.logout()
    svc.pull_once()  # a later pull brings nothing new to log in with
    assert ctl.operator is None and [k for k, _d in got].count("operators_changed") == 1
    assert ctl.login("K-001", "0000").feedback.en == "Badge or PIN not recognised."  # a list now: refused as ever


def test_a_wrong_pin_held_before_the_operators_came_is_refused_when_they_come(env):
    from app.workflow import Station
    from floor import StationController

    srv, proxy, core, svc, got = env
    ctl = StationController(Station(core), cache=svc.cache, sync=svc)
    svc.add_listener(ctl.on_sync)
    ctl.login("K-001", "0000")
    svc.pull_once()
    assert ctl.operator is None and ctl.feedback.en == "Badge or PIN not recognised."


def test_a_held_login_is_dropped_when_the_operators_come_after_the_person_may_have_gone(env):
    """A new station offline for long: the badge and PIN held at its start must not log anyone in minutes later."""
    from app.workflow import Station
    from floor import StationController
    from floor.controller import LOGIN_WAIT_NS

    srv, proxy, core, svc, got = env
    now = {"ns": 10**12}
    ctl = StationController(Station(core), cache=svc.cache, sync=svc, mono_ns=lambda: now["ns"])
    svc.add_listener(ctl.on_sync)
    ctl.login("K-001", "2222")
    now["ns"] += LOGIN_WAIT_NS + 1
    svc.pull_once()
    assert any(k == "operators_changed" for k, _d in got) and ctl.operator is None


def _oms_operators(srv, *stmts) -> None:
    """The OMS's admin changes its operators (each statement gets the operators table)."""
    from sync.oms_server import models as m

    with srv.app.state.engine.begin() as c:
        for make in stmts:
            c.execute(make(m.operators))


def test_badges_swapped_or_removed_at_the_oms_reach_the_station_and_the_poll_goes_on(env):
    """Two people swap badges at the OMS (a UNIQUE badge at the station: written one by one, the first row met the
    other's badge and the whole poll failed at every round, its claim reconciliation and images never reached); a
    person removed at the OMS can no longer log in at a station that knew them."""
    srv, proxy, core, svc, got = env
    svc.pull_once()
    assert core.operators.authenticate("K-001", "2222").id == "OP-K1"
    assert core.operators.authenticate("P-001", "1111").id == "OP-P1"
    _oms_operators(srv, lambda t: t.update().where(t.c.id == "OP-K1").values(badge="tmp"),
                   lambda t: t.update().where(t.c.id == "OP-P1").values(badge="K-001"),
                   lambda t: t.update().where(t.c.id == "OP-K1").values(badge="P-001"))
    core.events.append("noop", {})  # (a write between polls, as on the floor)
    assert svc.pull_once() == 0  # no exception: the rest of the poll ran
    assert core.operators.authenticate("K-001", "1111").id == "OP-P1"  # Li Wei's PIN with the badge now his
    assert core.operators.authenticate("P-001", "2222").id == "OP-K1"
    assert core.operators.authenticate("K-001", "2222") is None
    _oms_operators(srv, lambda t: t.delete().where(t.c.id == "OP-P1"))
    svc.pull_once()
    assert core.operators.authenticate("K-001", "1111") is None
    assert core.operators.authenticate("S-001", "999999").id == "OP-S1"  # the others untouched
    assert [o.id for o in core.operators.all() if o.active] == ["OP-S1", "OP-K1"]  # by name: Wang, Zhang


@pytest.mark.parametrize("fault", ["operators_not_stored", "products_reply_malformed"])
def test_one_part_of_the_poll_failing_does_not_hold_back_the_parts_after_it(env, monkeypatch, fault):
    """A reply this station cannot store (a fault injected into storing the operators), or a malformed products reply
    (injected into the client), fails the poll, said in the sync health, while the offline claims are still
    reconciled in the same poll. An unreachable OMS still ends the poll at once."""
    from sync.client import MalformedReply, OmsUnavailable

    srv, proxy, core, svc, got = env
    svc.pull_once()
    proxy.set_mode("down")
    assert svc.claim("SO-1003").provisional
    with pytest.raises(OmsUnavailable):
        svc.pull_once()
    assert svc.cache.row("SO-1003")["provisional"]
    proxy.set_mode("pass")

    target, name, exc = {
        "operators_not_stored": (core.operators, "upsert_many_hashed", RuntimeError("disk I/O error (injected)")),
        "products_reply_malformed": (svc.client, "list_products", MalformedReply("products: not a page (injected)")),
    }[fault]

    def broken(*_a, **_k):
        raise exc

    monkeypatch.setattr(target, name, broken)
    with pytest.raises((RuntimeError, MalformedReply), match="injected"):
        svc.pull_once()
    assert not svc.cache.row("SO-1003")["provisional"]  # reconciled after the failed part
    assert ("claim_confirmed", {"order_id": "SO-1003"}) in got


def _said(caplog, worker: str) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records
            if r.name == "sync.service" and r.getMessage().startswith(worker + ":")]


def test_an_outage_is_said_once_in_the_log_not_at_every_attempt_and_its_end_is_said(env, caplog):
    """The outbox retries every few seconds while events wait: one WARNING when the OMS cannot be reached, the
    attempts after it at DEBUG, and an INFO line when it goes through again."""
    import logging

    srv, proxy, core, svc, got = env
    caplog.set_level(logging.DEBUG, logger="sync.service")
    proxy.set_mode("down")
    core.events.append("scan", {"i": 0})
    svc.start()
    deadline = time.monotonic() + 30
    while len(_said(caplog, "outbox")) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    said = _said(caplog, "outbox")
    assert len(said) >= 3, said  # three attempts failed
    assert [lv for lv, _ in said].count(logging.WARNING) == 1 and said[0][0] == logging.WARNING, said
    assert all(lv == logging.DEBUG for lv, _ in said[1:]), said
    proxy.set_mode("pass")
    svc.sync_now()
    deadline = time.monotonic() + 15
    while svc.health().queue_depth and time.monotonic() < deadline:
        time.sleep(0.05)
    assert svc.health().queue_depth == 0
    back = [m for lv, m in _said(caplog, "outbox") if lv == logging.INFO]
    assert len(back) == 1 and "working again after" in back[0] and "failed attempts" in back[0], back


def test_a_long_outage_is_said_again_every_ten_minutes_and_a_new_error_at_once(caplog):
    import logging

    from sync.outage import REMIND_S, OutageLog

    now = [1000.0]
    caplog.set_level(logging.DEBUG, logger="test.outage")

    def records() -> list[tuple[int, str]]:
        return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "test.outage"]

    said = OutageLog(logging.getLogger("test.outage"), "outbox", clock=lambda: now[0])
    said.ok()  # nothing failed: nothing to say
    assert records() == []
    for _ in range(201):  # an attempt every 3 s for ten minutes
        said.failed("OMS unreachable: ConnectionError talking to http://oms/api/v1/events/batch")
        now[0] += 3
    warnings = [m for lv, m in records() if lv == logging.WARNING]
    assert len(warnings) == 2 and warnings[0].startswith("outbox: OMS unreachable"), warnings
    assert warnings[1].startswith("outbox: still failing after 10 min 0 s, 201 attempts: OMS unreachable"), warnings
    assert REMIND_S == 600 and len(records()) == 201  # the other 199: DEBUG
    said.failed("HTTP 503 from /api/v1/events/batch")  # the network is back, the OMS is not: said at once
    assert records()[-1][0] == logging.WARNING and "HTTP 503" in records()[-1][1]
    now[0] += 90
    said.ok()
    assert records()[-1] == (logging.INFO, "outbox: working again after 11 min 33 s (202 failed attempts)")
    said.ok()  # said once
    assert len([m for lv, m in records() if lv == logging.INFO]) == 1


def test_offline_for_says_the_outage_as_it_is_across_a_wall_clock_step(env, qtbot, monkeypatch):
    """The status bar's "OFFLINE for …" (the last successful sync, what FIELD.md says to watch) was the wall clock less
    the stored time of the last success: a clock stepped forward an hour (NTP setting right a station clock that ran
    behind) read "OFFLINE for 1 h" a moment into an outage, one stepped back read "OFFLINE for 0 s" for an hour of it.
    The service counts it on the monotonic clock; the wall clock is moved here (time.time / time.time_ns)."""
    from ui.statusbar import StatusBar

    srv, proxy, core, svc, got = env
    core.events.append("scan", {"i": 0})
    up, down = threading.Event(), threading.Event()
    svc.add_listener(lambda k, d: (up if d["online"] else down).set() if k == "health" else None)
    svc.start()
    assert up.wait(15)
    proxy.set_mode("down")
    core.events.append("scan", {"i": 1})
    assert down.wait(15)
    svc.stop()
    real_time, real_ns = time.time, time.time_ns
    monkeypatch.setattr(time, "time", lambda: real_time() + 3600)
    monkeypatch.setattr(time, "time_ns", lambda: real_ns() + 3600 * 10**9)
    h = svc.health()
    bar = StatusBar(core.settings)
    qtbot.addWidget(bar)
    bar.set_health(h)
    said = bar.labels["online"].said()
    assert said.startswith("OFFLINE for ") and " s " in said + " " and " h" not in said, said
    assert not h.online and 0 <= h.since_success_s < 60


def test_an_outbox_stopped_by_the_station_s_own_database_says_so_not_offline(env, qtbot):
    """A damaged page in the station's database failed every drain ("database disk image is malformed") and the status
    bar read "OFFLINE — working from cache" with 3,000 events to sync: a technician would look at the network, which
    was fine. A drain that fails in the station's own database (here the writer made query_only: SQLite's real
    error for a database that cannot be written, at the sent marks) is said as that, in red, and the OMS's state is
    left as the pull finds it; the next drain that goes through clears it and the queue drains."""
    from ui.statusbar import StatusBar

    srv, proxy, core, svc, got = env
    core.events.append("scan", {"i": 0})
    with core.store.write_dbapi(counted=False) as con:
        con.execute("PRAGMA query_only = ON")
    failed = threading.Event()
    svc.add_listener(lambda k, d: failed.set() if k == "health" and d["station_error"] else None)
    svc.start()
    assert failed.wait(15)
    h = svc.health()
    assert "readonly database" in h.station_error and h.queue_depth == 1
    bar = StatusBar(core.settings)
    qtbot.addWidget(bar)
    bar.set_health(h)
    said = bar.labels["online"].text()  # the whole text (the bar may show "NOT SENDING: database error" when short)
    assert said == "NOT SENDING: database error — call a technician", said
    assert "readonly database" in bar.labels["online"].toolTip()  # SQLite's own words, for the technician
    drained = threading.Event()
    svc.add_listener(lambda k, d: drained.set() if k == "health" and d["queue_depth"] == 0
                     and not d["station_error"] else None)
    core.store.writer_dbapi().execute("PRAGMA query_only = OFF")
    svc.sync_now()
    assert drained.wait(15)
    bar.set_health(svc.health())
    assert not bar.labels["online"].text().startswith("NOT SENDING")


def test_a_refused_token_is_said_as_such_the_floor_works_on_and_a_new_one_in_its_file_is_used(
        tmp_path, settings, monkeypatch):
    """The OMS administrator revokes a station's token mid-shift. The station said "OFFLINE — working from cache"
    as for a network outage (a supervisor waits for the network), and refused every order the packer scanned with
    an English technician's line ("set oms.token_file"), where an outage claims provisionally. Now: the health says
    the token is refused, the claim is provisional and says to tell a supervisor, and once a new token is in the
    token file the station syncs again without a restart."""
    from app.core import open_core
    from sync.oms_server import serve_in_thread
    from sync.oms_server.app import revoke_tokens
    from sync.service import SyncService

    monkeypatch.setenv("PACKSTATION_OMS_TOKEN_CACHE_S", "0")  # a revocation counts at once
    srv = serve_in_thread(tmp_path / "oms.sqlite3", seed="demo")
    token_file = tmp_path / "oms-token"

    def write(tok: str) -> None:
        token_file.write_text(tok)
        token_file.chmod(0o600)

    write(srv.issue_token("ST-T"))
    settings.station.id, settings.oms.url, settings.oms.token_file = "ST-T", srv.url, str(token_file)
    core = open_core(settings)
    svc = SyncService(core, settings, client=OmsClient.from_settings(settings, max_retries=0))
    try:
        svc.pull_once()
        assert svc.claim("SO-1001").ok
        revoke_tokens(srv.app.state.engine, "ST-T")
        with pytest.raises(OmsAuthError):
            svc.pull_once()
        svc._record(False, time.monotonic(), OmsAuthError("refused"))  # as the pull loop records the failed poll
        h = svc.health()
        assert not h.online and h.token_refused
        r = svc.claim("SO-1002")
        assert r.ok and r.provisional and svc.cache.row("SO-1002")["provisional"]
        assert "token" in r.text("en") and "supervisor" in r.text("en") and "令牌" in r.text("zh_CN")
        core.events.append("scan", {"i": 1}, order_id="SO-1002")
        write(srv.issue_token("ST-T"))  # the administrator's new token, into the station's file
        assert svc.outbox_once() >= 2  # the claim and the scan went, on the new token
        svc._record(True, time.monotonic())
        assert svc.health().online and not svc.health().token_refused
        svc.pull_once()
        svc.reconcile_claims()
        assert not svc.cache.row("SO-1002")["provisional"]
    finally:
        svc.stop()
        core.close()
        srv.stop()


def test_the_label_check_stops_an_order_the_oms_gave_to_another_station(env):
    """Claimed here offline, given by the OMS to another station meanwhile, and this station back online before its
    poll settled the claim: F9's check asked only whether the order still ships ("claimed": yes) and printed the
    label of a parcel the other station packs too. The OMS's pick list names who holds it: another station is a
    STOP."""
    srv, proxy, core, svc, got = env
    svc.pull_once()
    proxy.set_mode("down")
    assert svc.claim("SO-1003").provisional
    requests.post(srv.url + "/api/v1/picklists/SO-1003/claim", json={}, headers=srv.other, timeout=5)
    proxy.set_mode("pass")
    ship = svc.check_shippable("SO-1003")
    assert not ship.ok and ship.status == "claimed_elsewhere"
    assert "another station" in ship.text("en") and "其他工作站" in ship.text("zh_CN")
    assert core.events.last("order_intercepted").payload["status"] == "claimed_elsewhere"
    assert svc.claim("SO-1004").ok and svc.check_shippable("SO-1004").ok  # this station's own: ships


def test_an_order_given_to_another_station_while_its_packer_was_logged_out_comes_back_stopped(env):
    """A packer opens an order offline (claimed provisionally), picks it and logs out; meanwhile the OMS gives it to
    another station. Back online the station hears the claim is lost, with nobody at the order. At the packer's
    next login it came back "resumed where it was left" and was packed and labelled here: two parcels. It comes
    back stopped, with what to put back."""
    from floor_kit import SpoolStandIn

    from app.workflow import Station
    from floor import Level, StationController

    srv, proxy, core, svc, got = env
    svc.pull_once()
    ctl = StationController(Station(core), cache=svc.cache, sync=svc, spool=SpoolStandIn(core))
    svc.add_listener(ctl.on_sync)
    ctl.login("K-001", "2222")
    ctl.start_work()
    proxy.set_mode("down")
    ctl.open_order("SO-1001")
    assert ctl.session is not None and svc.cache.row("SO-1001")["provisional"]
    ctl.scan(ctl.session.picklist.lines[0].barcodes[0].code)
    ctl.logout()
    requests.post(srv.url + "/api/v1/picklists/SO-1001/claim", json={}, headers=srv.other, timeout=5)
    proxy.set_mode("pass")
    svc.outbox_once()
    svc.pull_once()
    svc.reconcile_claims()
    assert any(k == "claim_lost" and d["order_id"] == "SO-1001" for k, d in got)
    ctl.login("K-001", "2222")
    s = ctl.session
    assert s is not None and s.order_id == "SO-1001" and s.intercepted and s.intercepted[0] == "claimed_elsewhere"
    assert ctl.feedback.level == Level.STOP and "given to another station" in ctl.feedback.en
    assert "Put back:" in ctl.feedback.en
    ctl.print_paperwork()
    assert not ctl.spool.jobs()  # no label for it here
    ctl.back()  # Esc: released, never back in the queue
    assert ctl.session is None and "SO-1001" not in [p.id for p in ctl.queue]


class _Answering:
    """A loopback HTTP server answering every request with `status` (and `Retry-After` when given)."""

    def __init__(self, status: int, retry_after: str | None = None) -> None:
        import http.server

        outer = self
        self.requests = 0

        class H(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                outer.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.srv.shutdown()
        self.srv.server_close()


def test_an_oms_answering_429_or_5xx_is_asked_again_less_and_less_often():
    """An OMS throttling with "429 Too Many Requests" and no Retry-After (or failing with 5xx) was asked again every
    1-3 s by each station's outbox, about 1.4 requests a second with the client's own retries (QA: 56 requests in
    40 s; FIELD.md: a client that did not back off from 429s lost orders). Such an answer is OmsBusy and the outbox
    waits 3 s doubling to a minute, with jitter, at least the Retry-After; a network outage still 1-3 s."""
    import random

    from sync.client import OmsBusy, OmsUnavailable
    from sync.service import OUTBOX_BUSY_MAX_S, OUTBOX_RETRY_MAX_S, OutboxPace

    for status, ra, said in ((429, None, None), (503, "120", 120.0), (500, None, None)):
        oms = _Answering(status, ra)
        try:
            with pytest.raises(OmsBusy) as e:
                OmsClient(oms.url, max_retries=1, backoff_base_s=0.01, backoff_cap_s=0.05).server_time()
            assert e.value.retry_after_s == said and oms.requests == 2
        finally:
            oms.stop()
    with pytest.raises(OmsUnavailable) as down:  # nobody listening: a network outage, not a busy OMS
        OmsClient("http://127.0.0.1:9", max_retries=0).server_time()
    assert not isinstance(down.value, OmsBusy)

    pace = OutboxPace(random.Random(7))
    busy = [pace.failed(OmsBusy("HTTP 429")) for _ in range(8)]
    assert all(b for _, b in busy)
    waits = [w for w, _ in busy]
    assert waits[0] >= OUTBOX_RETRY_MAX_S / 2 and max(waits) <= OUTBOX_BUSY_MAX_S
    assert min(waits[-3:]) >= OUTBOX_BUSY_MAX_S / 2 and sum(waits) > 150  # the 8 tries of 1-3 s took 22 s at most
    assert pace.failed(OmsBusy("HTTP 503", 120.0))[0] >= 120
    assert pace.failed(OmsBusy("HTTP 503", 10**6))[0] == 300  # a Retry-After of days: asked again in 5 min
    pace.ok()
    assert pace.failed(OmsBusy("HTTP 429"))[0] <= OUTBOX_RETRY_MAX_S
    assert [pace.failed(OmsUnavailable("refused")) for _ in range(4)] == [(1.0, False), (2.0, False),
                                                                          (3.0, False), (3.0, False)]


def test_a_busy_oms_is_not_asked_again_at_every_scan_but_sync_now_asks_at_once(env):
    """The outbox's wait after a failed drain ended at every event appended (a scan a second: the OMS asked a
    second). Waiting out a busy OMS, an appended event does not end the wait; `sync-now` and a stop do. After a
    network outage an appended event still does (the station drains as soon as it can)."""
    srv, proxy, core, svc, got = env
    waiting = threading.Thread(target=svc._sit_out, args=(60.0, True))
    waiting.start()
    for i in range(3):
        core.events.append("scan", {"i": i})
    waiting.join(0.5)
    assert waiting.is_alive()  # still sitting out the busy OMS
    svc.sync_now()
    waiting.join(10)
    assert not waiting.is_alive()
    waiting = threading.Thread(target=svc._sit_out, args=(60.0, False))
    waiting.start()
    core.events.append("scan", {"i": 9})
    waiting.join(10)
    assert not waiting.is_alive()


def _packer_at_work(core, svc):
    """K-001 logged in at a station fed by `svc` (pulled once), at the queue."""
    from app.workflow import Station
    from floor import StationController

    svc.pull_once()
    ctl = StationController(Station(core), cache=svc.cache, sync=svc)
    svc.add_listener(ctl.on_sync)
    ctl.login("K-001", "2222")
    ctl.start_work()
    return ctl


def test_an_operator_the_oms_withdraws_mid_shift_is_logged_out_with_their_orders_kept(env):
    """The OMS's administrator deactivates a person mid-shift (they left the company, their badge was lost): the
    station stopped their next login, but the one logged in went on working and recording under their name until
    they logged out themselves. At the poll that withdraws them they are logged out as by Ctrl+L (their open order
    kept), said on the login screen; the logout event says why. Someone else at another station is not touched."""
    from floor import Level, Screen

    srv, proxy, core, svc, got = env
    ctl = _packer_at_work(core, svc)
    ctl.open_order("SO-1001")
    svc.pull_once()  # nothing changed: still at work
    assert ctl.operator is not None and ctl.screen == Screen.WORK
    _oms_operators(srv, lambda t: t.delete().where(t.c.id == "OP-P1"))  # another person withdrawn
    svc.pull_once()
    assert ctl.operator is not None and ctl.screen == Screen.WORK
    _oms_operators(srv, lambda t: t.delete().where(t.c.id == "OP-K1"))
    svc.pull_once()
    assert ctl.operator is None and ctl.screen == Screen.LOGIN
    assert ctl.feedback.level == Level.HINT and "no longer" in ctl.feedback.en and "#50001" in ctl.feedback.en
    assert ctl.feedback.text("zh_CN") != ctl.feedback.en
    out = core.events.last("logout")
    assert out.operator_id == "OP-K1" and out.kind == "withdrawn"
    assert core.events.last("step_suspended").payload["reason"] == "logout"  # the order kept, as at a logout
    assert ctl.login("K-001", "2222").feedback.en == "Badge or PIN not recognised."


def test_an_order_another_station_packed_while_its_packer_was_logged_out_comes_back_stopped(env):
    """The packer picks part of an order and logs out; another station, offline when this one claimed it, packs it
    and is back. The poll wrote "done" and the order never came back at the packer's login: the items they had
    picked stayed in the tote with nothing said. It comes back stopped ("already packed at another station"), with
    what to put back, and leaves the queue at Esc."""
    from floor import Level

    srv, proxy, core, svc, got = env
    ctl = _packer_at_work(core, svc)
    ctl.open_order("SO-1002")
    ctl.scan(ctl.session.current_line().barcodes[0].code)
    ctl.logout()
    _packed_at_another_station(srv, "SO-1002")
    svc.pull_picklists()
    ctl.login("K-001", "2222")
    s = ctl.session
    assert s is not None and s.order_id == "SO-1002" and s.intercepted[0] == "packed_elsewhere"
    assert ctl.feedback.level == Level.STOP and "already packed at another station" in ctl.feedback.en
    assert "Put back:" in ctl.feedback.en
    ctl.back()
    assert ctl.session is None and "SO-1002" not in [p.id for p in svc.cache.open_picklists()]


def test_events_the_oms_does_not_take_while_it_answers_the_polls_are_said_not_hidden_by_online(env):
    """The OMS answers the polls but fails the event batches (a 503 or a proxy's body limit on that endpoint alone,
    QA: 'ONLINE · to sync: 7 (oldest 7 min) · last sync 0 s ago'): the health was whichever worker spoke last, so
    ONLINE and a fresh last sync read as all well while no event went (FIELD.md: 132 orders sat unsynced for 48 h
    behind a job that looked fine). The health says the sending failed until a drain goes through."""
    from sync.client import OmsBusy

    srv, proxy, core, svc, got = env
    core.events.append("scan", {"i": 1})
    t0 = time.monotonic()
    svc._record(False, t0, OmsBusy("HTTP 503 from /api/v1/events/batch"), outbox=True)  # as the outbox loop records
    svc._record(True, t0)  # then a poll goes through
    h = svc.health()
    assert h.online and h.sending_failed and h.queue_depth == 1
    svc._record(True, t0, outbox=True)
    assert not svc.health().sending_failed
    svc._record(False, t0, OmsBusy("HTTP 503"), outbox=True)
    assert svc.outbox_once() == 1  # nothing left to send: not said as stuck
    assert not svc.health().sending_failed


def _weighed(ctl) -> None:
    """The one-line order at work picked, checked, packed and on the scale at its weight: F9 is next."""
    s = ctl.session
    code = s.picklist.lines[0].barcodes[0].code
    for _ in range(2):  # pick, check
        ctl.scan(code)
        ctl.complete_step()
    ctl.key("2")
    ctl.complete_step()
    grams = s.expected_weight[0]
    ctl.on_weight(grams / 2, False)
    ctl.on_weight(grams, True)


def _packer_at(env, order_id: str, listening: bool = True):
    """A packer's controller on the env's sync service (its pick lists pulled, told of what the sync hears unless
    `listening` is False), logged in and at work on `order_id`."""
    from floor_kit import SpoolStandIn

    from app.workflow import Station
    from floor import StationController

    _srv, _proxy, core, svc, _got = env
    svc.pull_once()
    ctl = StationController(Station(core), cache=svc.cache, sync=svc, spool=SpoolStandIn(core))
    if listening:
        svc.add_listener(ctl.on_sync)
    ctl.login("K-001", "2222")
    ctl.start_work()
    ctl.open_order(order_id)
    return ctl


def test_an_order_given_back_at_its_stop_that_the_oms_offers_again_is_a_new_parcel_here(env):
    """The OMS changes an order's quantity while it is packed: F9 stops it (no label: the parcel holds what the order
    was), the packer puts it back and presses Esc, and the OMS offers the order again as it now is. It stayed refused
    here ("stopped by the OMS ... do not pick it") until a restart, and then came back with its old counts and its old
    STOP: the order was never packed at this station. Now, once the OMS lists it again, it opens as a new parcel (claimed
    again, counted from nothing, the new quantity), after a restart too."""
    from floor_kit import SpoolStandIn

    from app.workflow import Station, Step
    from floor import Level, StationController

    srv, proxy, core, svc, got = env
    ctl = _packer_at(env, "SO-1011")  # one line: POLO-WHITE-M x1
    s = ctl.session
    _weighed(ctl)
    doc = svc.cache.get("SO-1011").to_dict()
    _change_order(srv, "SO-1011", lines=[{**doc["lines"][0], "qty": 2}])
    ctl.key("F9")
    assert s.intercepted and s.intercepted[0] == "changed" and ctl.feedback.level == Level.STOP
    assert not ctl.spool.jobs()
    ctl.back()  # Esc: given back to the OMS
    svc.outbox_once()
    svc.pull_once()  # the OMS lists it again, as it now is
    assert svc.cache.row("SO-1011")["status"] == "open"
    ctl.refresh_queue()
    assert "SO-1011" in [p.id for p in ctl.queue]
    r = ctl.open_order("SO-1011")
    s = ctl.session
    assert s is not None and s.order_id == "SO-1011", r.feedback.en
    assert s.step == Step.PICK and not s.intercepted and s.picklist.lines[0].qty == 2
    assert s.progress[s.picklist.lines[0].id].scanned == 0
    ctl.logout()
    ctl = StationController(Station(core), cache=svc.cache, sync=svc, spool=SpoolStandIn(core))  # a restart
    ctl.login("K-001", "2222")
    s = ctl.session
    assert s is not None and s.order_id == "SO-1011" and s.step == Step.PICK and not s.intercepted
    assert s.progress[s.picklist.lines[0].id].scanned == 0


def test_a_stop_at_the_label_check_is_recorded_under_the_packer_whose_f9_asked(env):
    """The OMS cancels an order after its last poll; F9's check stops it. Its `order_intercepted` went to the OMS with
    no operator and no kind, where a stop heard at a poll names the packer (and its status as kind): the OMS's story
    of the order had a stop by nobody in the middle of one packer's events."""
    from sqlalchemy import update

    from app.events import EventType
    from floor import Level
    from sync.oms_server import models as m

    srv, proxy, core, svc, got = env
    ctl = _packer_at(env, "SO-1011", listening=False)
    _weighed(ctl)
    with srv.app.state.engine.begin() as c:
        c.execute(update(m.orders).where(m.orders.c.id == "SO-1011").values(
            status="cancelled", reason="customer", updated_ms=int(time.time() * 1000)))
    ctl.key("F9")
    assert ctl.feedback.level == Level.STOP and not ctl.spool.jobs()
    stops = core.events.events(order_id="SO-1011", types=[EventType.ORDER_INTERCEPTED])
    assert len(stops) == 1
    assert stops[0].operator_id == ctl.operator.id and stops[0].kind == "cancelled"
    assert stops[0].payload["status"] == "cancelled" and stops[0].payload["reason"] == "customer"


def test_an_order_labelled_offline_that_the_oms_cancelled_meanwhile_is_said_in_red_when_the_station_hears_it(env):
    """F9 offline lets the label out ("the order will be checked later"); the customer had cancelled meanwhile. Back
    online the poll heard it, set a review flag in the cache that nothing reads and took the order out of the queue
    without a word: the labelled parcel of a cancelled order sat in the carrier's pile and shipped. Said in red on
    whatever screen is up, with what to do, and recorded (`order_intercepted`) for the OMS."""
    from sqlalchemy import update

    from app.events import EventType
    from floor import Level, Screen
    from sync.oms_server import models as m

    srv, proxy, core, svc, got = env
    ctl = _packer_at(env, "SO-1011")
    _weighed(ctl)
    proxy.set_mode("down")
    ctl.key("F9")  # offline: the label is allowed
    assert ctl.screen == Screen.QUEUE and "50011" in ctl.feedback.en and ctl.feedback.level == Level.OK
    with srv.app.state.engine.begin() as c:
        c.execute(update(m.orders).where(m.orders.c.id == "SO-1011").values(
            status="cancelled", reason="customer", updated_ms=int(time.time() * 1000)))
    proxy.set_mode("pass")
    svc.outbox_once()
    svc.pull_once()
    assert any(k == "order_cancelled" and d["printed_offline"] for k, d in got)
    fb = ctl.feedback
    assert fb.level == Level.ERROR and "carrier's pile" in fb.en and "50011" in fb.en
    stop = core.events.last(EventType.ORDER_INTERCEPTED)
    assert stop is not None and stop.order_id == "SO-1011" and stop.operator_id == ctl.operator.id


def test_an_order_whose_items_the_oms_changes_while_it_is_worked_stops_when_the_poll_brings_it(env):
    """The OMS changes an order's quantity while it is picked. The poll brought the new order into the cache, but the
    order at work went on as it was opened: checked, packed, weighed, and stopped only at F9 ("changed by the OMS"),
    every unit back to its bin after all that work. It stops when the poll brings the change, as F9 would stop it,
    with what to put back; recorded once."""

    from app.events import EventType
    from app.workflow import Step
    from floor import Level

    srv, proxy, core, svc, got = env
    ctl = _packer_at(env, "SO-1011")
    s = ctl.session
    ctl.scan(s.picklist.lines[0].barcodes[0].code)
    ctl.complete_step()
    assert s.step == Step.VERIFY
    doc = svc.cache.get("SO-1011").to_dict()
    _change_order(srv, "SO-1011", lines=[{**doc["lines"][0], "qty": 3}])
    svc.pull_once()
    assert s.intercepted and s.intercepted[0] == "changed"
    assert ctl.feedback.level == Level.STOP and "Put back: 1 × POLO-WHITE-M" in ctl.feedback.en
    assert len(core.events.events(order_id="SO-1011", types=[EventType.ORDER_INTERCEPTED])) == 1
    svc.pull_once()  # the same order again: nothing new
    assert len(core.events.events(order_id="SO-1011", types=[EventType.ORDER_INTERCEPTED])) == 1


@pytest.mark.parametrize("heard", ["poll", "F9"])
def test_an_address_warning_the_oms_adds_while_the_order_is_packed_is_said(env, heard):
    """Wrong address is 2.1 errors per thousand orders, and the station flags the OMS's address warnings. One the OMS
    added after the order was opened was never shown: the header kept the opened ship-to, and F9 compares addresses
    without their warnings, so the parcel was "packed" in green. Said in amber when the poll brings it (the header
    shows it), or with "packed" when F9's check is the first to hear of it."""

    from floor import Level

    srv, proxy, core, svc, got = env
    ctl = _packer_at(env, "SO-1011")
    s = ctl.session
    assert not s.picklist.ship_to.warnings
    ship_to = svc.cache.get("SO-1011").to_dict()["ship_to"]
    _weighed(ctl)
    _change_order(srv, "SO-1011", ship_to={**ship_to, "warnings": ["address incomplete: call the customer"]})
    if heard == "poll":
        svc.pull_once()
        assert ctl.feedback.level == Level.HINT and "address incomplete" in ctl.feedback.en
        assert s.picklist.ship_to.warnings == ("address incomplete: call the customer",)
    ctl.key("F9")
    if heard == "F9":
        fb = ctl.feedback
        assert fb.level == Level.HINT and "Check the address: address incomplete" in fb.en and "packed" in fb.en


def test_an_order_the_oms_holds_while_it_is_worked_stops_when_the_poll_brings_it(env):
    """The OMS holds an order (an address to check, a payment review) while it is picked: the poll brought "held" into
    the cache and the order at work went on to be checked, packed and weighed; only F9 stopped it. It stops when the
    poll brings it, with what to put back, recorded once."""
    from sqlalchemy import update

    from app.events import EventType
    from floor import Level
    from sync.oms_server import models as m

    srv, proxy, core, svc, got = env
    ctl = _packer_at(env, "SO-1011")
    s = ctl.session
    ctl.scan(s.picklist.lines[0].barcodes[0].code)
    with srv.app.state.engine.begin() as c:
        c.execute(update(m.orders).where(m.orders.c.id == "SO-1011").values(
            status="held", reason="address check", updated_ms=int(time.time() * 1000)))
    svc.pull_once()
    assert s.intercepted and s.intercepted[0] == "held"
    assert ctl.feedback.level == Level.STOP and "Put back: 1 × POLO-WHITE-M" in ctl.feedback.en
    ctl.key("F9")
    assert not ctl.spool.jobs()
    assert len(core.events.events(order_id="SO-1011", types=[EventType.ORDER_INTERCEPTED])) == 1


@pytest.mark.parametrize("heard", ["poll", "F9", "held"])
def test_the_oms_reason_for_a_cancellation_is_said_on_the_stop_however_it_is_heard(env, heard):
    """The customer cancels SO-1011 while it is picked, and the OMS says why. F9's check recorded the OMS's reason;
    the poll's cancellation stopped the order as "cancelled by the OMS", and neither STOP told the packer why. Now
    both say it (in each language), and the stop's event carries the OMS's words whichever way it came; an order the
    OMS holds likewise."""
    from sqlalchemy import update

    from app.events import EventType
    from floor import Level
    from sync.oms_server import models as m

    srv, proxy, core, svc, got = env
    ctl = _packer_at(env, "SO-1011")
    ctl.scan(ctl.session.picklist.lines[0].barcodes[0].code)
    if heard == "F9":
        _weighed(ctl)
    status = "held" if heard == "held" else "cancelled"
    with srv.app.state.engine.begin() as c:
        c.execute(update(m.orders).where(m.orders.c.id == "SO-1011").values(
            status=status, reason="customer changed mind", updated_ms=int(time.time() * 1000)))
    if heard == "F9":
        ctl.key("F9")
    else:
        svc.pull_once()
    fb = ctl.feedback
    assert fb.level == Level.STOP and f"{status} (customer changed mind)" in fb.en and "Put back: 1 ×" in fb.en
    assert f"{'已挂起' if status == 'held' else '已取消'}（customer changed mind）" in fb.text("zh_CN")
    stops = core.events.events(order_id="SO-1011", types=[EventType.ORDER_INTERCEPTED])
    assert len(stops) == 1 and stops[0].payload["reason"] == "customer changed mind"


def test_an_oms_answering_429_is_said_busy_not_offline_and_a_cut_network_offline(env):
    """QA walkthrough J: the OMS throttling the station (429) read "OFFLINE for 2 min — working from cache", as a cut
    network: someone looks at the cables while the OMS is up and the station is rightly waiting longer. The health
    says which it is, through the real client and a real proxy answering 429 or refusing connections."""
    from sync.service import health_from_store

    srv, proxy, core, svc, got = env
    assert svc.pull_once() == 20
    proxy.retry_after_s = 0
    proxy.set_mode("http429")
    assert svc.claim("SO-1001").provisional
    h = svc.health()
    assert not h.online and h.oms_busy
    assert health_from_store(core.store).oms_busy  # as `packstation sync-status` reads it, from another process
    proxy.set_mode("down")
    assert svc.claim("SO-1002").provisional
    h = svc.health()
    assert not h.online and not h.oms_busy
    proxy.set_mode("http429")
    svc.claim("SO-1003")
    assert svc.health().oms_busy
    proxy.set_mode("pass")
    svc.pull_once()
    svc._record(True, time.monotonic())  # as the pull loop records the poll that went through
    h = svc.health()
    assert h.online and not h.oms_busy
