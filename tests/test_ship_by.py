"""An order's latest ship time (the platform's "latest ship time", `ship_by_ms` from the OMS): the queue puts the
earliest first after the OMS's urgent ones and says how late an order is, in the warehouse's time zone. A late parcel
is what a customer calls about; a time in seconds where milliseconds belong would sort an order first for ever."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from floor_kit import Floor, simple_order
from pydantic import ValidationError

from app.picklist import PickListError
from floor import Level, Screen, words
from sync.contract import PickList as PickListM

NOW = int(datetime(2026, 12, 6, 11, 0, tzinfo=UTC).timestamp() * 1000)  # 19:00 in Shanghai
MIN = 60_000
SH = "Asia/Shanghai"


def said(ship_by_ms, now=NOW, tz=SH) -> tuple[str, str, Level | None]:
    text, level = words.ship_by(simple_order(1, ship_by_ms=ship_by_ms), now, tz)
    return (text if isinstance(text, str) else text.text("en"),
            text if isinstance(text, str) else text.text("zh_CN"), level)


def test_the_queue_says_how_late_or_how_soon_or_by_when_in_the_warehouse_zone():
    assert said(None) == ("", "", None)
    assert said(NOW - 40 * MIN) == ("40 min late", "超时 40 分钟", Level.ERROR)
    assert said(NOW) == ("0 min late", "超时 0 分钟", Level.ERROR)  # due now: late from this minute on
    assert said(NOW - 3 * 60 * MIN - 59 * MIN)[0] == "3 h late"  # rounded down
    assert said(NOW - 2 * 24 * 60 * MIN - 5 * MIN)[:2] == ("2 d late", "超时 2 天")
    assert said(NOW + 25 * MIN) == ("in 25 min", "还剩 25 分钟", Level.HINT)
    assert said(NOW + 1000)[0] == "in 1 min"  # rounded up: never "in 0 min" before it is due
    assert said(NOW + 60 * MIN) == ("in 60 min", "还剩 60 分钟", Level.HINT)
    assert said(NOW + 60 * MIN + 1) == ("20:00", "20:00", None)  # the warehouse's clock: UTC+8
    assert said(NOW + 5 * 60 * MIN)[0] == "12-07 00:00"  # past midnight in Shanghai: another warehouse day
    assert said(NOW + 5 * 60 * MIN, tz="UTC")[0] == "16:00"  # ...but the same day in a UTC warehouse
    assert said(NOW + 5 * 60 * MIN, tz="Nowhere/Else")[0] == "16:00"  # a zone the machine does not know: UTC


@pytest.mark.parametrize("bad", ["2026-12-06T11:00:00Z", 1_765_000_000, 1_765_000_000_000_000, True, -1, 1.5e12])
def test_a_ship_time_that_is_not_utc_milliseconds_is_refused_where_it_enters(bad):
    with pytest.raises(PickListError, match="ship_by_ms"):
        simple_order(1, ship_by_ms=bad)
    with pytest.raises(ValidationError):  # the contract says the same (and the client skips that pick list alone)
        PickListM.model_validate({"id": "SO-1", "order_no": "1", "status": "open", "lines": [], "ship_by_ms": bad},
                                 strict=True)
    assert simple_order(1, ship_by_ms=NOW).ship_by_ms == NOW
    assert PickListM.model_validate({"id": "SO-1", "order_no": "1", "status": "open", "lines": [],
                                     "ship_by_ms": NOW}, strict=True).ship_by_ms == NOW


def test_an_urgent_order_says_so_as_the_queue_lists_it_before_the_late_ones():
    urgent = words.urgent(simple_order(1, priority=1, ship_by_ms=NOW + 600 * MIN))
    assert (urgent.text("en"), urgent.text("zh_CN")) == ("Urgent", "加急")
    assert words.urgent(simple_order(1, ship_by_ms=NOW - 40 * MIN)) is None  # late is said by its time, not this


def test_the_queue_puts_urgent_orders_first_then_the_earliest_ship_time_then_those_without(settings):
    orders = [simple_order(1001), simple_order(1002, ship_by_ms=NOW + 90 * MIN),
              simple_order(1003, ship_by_ms=NOW - 5 * MIN), simple_order(1004, priority=1),
              simple_order(1005, priority=1, ship_by_ms=NOW + 600 * MIN), simple_order(1006, ship_by_ms=NOW + 9 * MIN)]
    f = Floor(settings, orders)
    try:
        f.login()
        f.ctl.key("Enter")
        assert f.ctl.screen == Screen.QUEUE
        assert [p.id for p in f.ctl.queue_items()] == ["SO-1005", "SO-1004", "SO-1003", "SO-1006", "SO-1002",
                                                       "SO-1001"]
        again = [o.to_dict() for o in orders]  # the cache keeps the time: read back, the same order
        assert [d.get("ship_by_ms") for d in again] == [None, NOW + 90 * MIN, NOW - 5 * MIN, None, NOW + 600 * MIN,
                                                        NOW + 9 * MIN]
        assert f.cache.get("SO-1003").ship_by_ms == NOW - 5 * MIN
    finally:
        f.close()


def test_a_station_clock_a_day_behind_still_says_a_late_order_late(qtbot, settings, monkeypatch):
    """Latest ship times are the platforms' deadlines, on the OMS's clock. A station clock a day behind (a flat RTC
    battery, NTP unreachable, the OMS reachable) listed an order 40 minutes late as due "tomorrow", in black, while the
    status bar read "CLOCK OFF BY 86400 s". The queue reads the OMS's clock as the sync estimates it (the offset the
    health carries); an implausible offset is not used."""
    import time
    from types import SimpleNamespace

    from ui.screens.queue import QueueScreen

    q = QueueScreen(SimpleNamespace(settings=settings), tasks=None)
    qtbot.addWidget(q)
    day = 24 * 60 * MIN
    oms_now = time.time_ns() // 1_000_000  # the OMS's clock: this machine's here ...
    pl = simple_order(1, ship_by_ms=oms_now - 40 * MIN)
    q.set_clock_offset(day)  # ... and the station's a day behind it: what the sync estimated
    real = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real() - day * 1_000_000)  # the station's clock, a day behind
    text, level = q.model.ship_by(pl)
    assert level == Level.ERROR and (text if isinstance(text, str) else text.text("en")) == "40 min late"
    q.set_clock_offset(10**18)  # no plausible offset: the station's own clock
    assert q.model.ship_by(pl)[1] is None
