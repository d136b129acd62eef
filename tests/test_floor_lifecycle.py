"""The order's lifecycle at the packing station, on the controller without Qt: what is left of an order stopped,
set aside, short picked or weighed again, as another packer at the station, the log and the figures see it."""

from __future__ import annotations

import pytest
from floor_kit import Floor, simple_order

from app.events import EventType
from floor import Level, Screen


@pytest.fixture
def floor(settings):
    f = Floor(settings, [simple_order(1001), simple_order(1002, gift=True), simple_order(1003, (1,))])
    yield f
    f.close()


def at_queue(f: Floor, badge="K-001", pin="2222"):
    f.login(badge, pin)
    f.ctl.key("Enter")
    assert f.ctl.screen == Screen.QUEUE


def _events(f: Floor, type_: str, order_id: str) -> list:
    return f.core.events.events(order_id=order_id, types=[type_])


@pytest.mark.parametrize("status", ["cancelled", "held"])
def test_an_order_stopped_after_its_packer_logged_out_is_offered_to_the_next_packer_with_what_to_put_back(floor,
                                                                                                         status):
    """K-001 takes a unit of 1001 and logs out (end of shift); the OMS cancels (or holds) 1001. P-001 logs in at the
    station: nothing was said, 1001 was in no queue and its barcode said "do not pick it" — the unit stayed in the
    tote and the order stayed claimed here, never given back, until K-001 came back. The next packer now gets it
    stopped, with what to put back, and Esc gives it back (once: K-001's next login finds nothing)."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    floor.ctl.logout()
    floor.cache.set_status("SO-1001", status)  # as the sync service marks it when the OMS says so
    floor.ctl.on_sync("order_cancelled" if status == "cancelled" else "picklists_changed",
                      {"order_id": "SO-1001", "ids": ["SO-1001"]})
    r = floor.login("P-001", "1111")
    assert floor.ctl.screen == Screen.WORK and floor.ctl.session.order_id == "SO-1001", r.feedback
    fb = floor.ctl.feedback
    assert fb.level == Level.STOP and "Put back: 1 × SKU-001" in fb.en and "bin A-01" in fb.en
    assert floor.ctl.next_key() == "Escape"
    floor.ctl.key("Escape")
    assert floor.ctl.screen == Screen.QUEUE
    rel = _events(floor, EventType.PICKLIST_RELEASED, "SO-1001")
    assert len(rel) == 1 and rel[0].operator_id == "op-p1"
    floor.ctl.logout()
    floor.login()
    assert floor.ctl.session is None and floor.ctl.screen == Screen.CHECK


def test_another_packers_open_order_that_was_not_stopped_stays_theirs(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    floor.ctl.scan("SO-1003")  # set aside 1001, at work on 1003
    floor.ctl.on_sync("order_cancelled", {"order_id": "SO-1003"})
    floor.cache.set_status("SO-1003", "cancelled")
    floor.ctl.logout()
    floor.login("P-001", "1111")
    # the stopped one is offered; the other stays K-001's (their counts, at their login)
    assert set(floor.station.sessions) == {"SO-1003"} and floor.ctl.session.intercepted
    floor.ctl.key("Escape")
    floor.ctl.logout()
    floor.login()
    assert floor.ctl.session.order_id == "SO-1001" and floor.ctl.session.progress["L1"].scanned == 1
