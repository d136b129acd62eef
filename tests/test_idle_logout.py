"""A station left logged in is worked under the wrong name: the next person's scans, errors and orders count as the
first one's. After `station.idle_logout_min` without a key, a click or a scan the operator is logged out as by Ctrl+L
(open orders suspended, theirs at their next login); the last minute is counted down on screen."""

from __future__ import annotations

import math

import pytest
from floor_kit import Floor, simple_order

from app.config import ConfigError, from_dict
from app.events import EventType
from app.workflow import Step
from floor import Change, Level, Outcome, Screen

MIN = 60 * 10**9


class Clock:
    def __init__(self) -> None:
        self.ns = 10**12

    def __call__(self) -> int:
        return self.ns

    def advance(self, seconds: float) -> None:
        self.ns += int(seconds * 1e9)


@pytest.fixture
def floor(settings):
    f = Floor(settings, [simple_order(1001), simple_order(1003, (1,))])
    f.clock = Clock()
    f.ctl.mono_ns = f.clock
    f.ctl.idle_logout_s = 15 * 60
    yield f
    f.close()


def at_order(f: Floor, order="SO-1001") -> None:
    f.login()
    f.ctl.key("Enter")
    f.ctl.scan(order)
    assert f.ctl.screen == Screen.WORK


def test_the_last_minute_is_counted_down_then_the_operator_is_logged_out_and_keeps_the_order(floor):
    at_order(floor)
    floor.ctl.scan("ITEM-001")
    before = floor.ctl.feedback
    floor.clock.advance(14 * 60 - 1)
    floor.changes.clear()
    assert floor.ctl.idle_check().changes == Change.NONE and floor.ctl.idle_notice is None
    floor.clock.advance(2)
    r = floor.ctl.idle_check()
    assert r.changes == Change.IDLE and Change.IDLE in floor.changes[-1]
    assert floor.ctl.idle_notice.en == ("Packer is logged out in 59 s: 15 min without a scan or a key. Press any key "
                                       "to stay logged in.")
    assert floor.ctl.feedback is before  # what the order's panel says is not covered up
    floor.clock.advance(30)
    floor.ctl.idle_check()
    assert "logged out in 29 s" in floor.ctl.idle_notice.en and "29 秒后退出登录" in floor.ctl.idle_notice.text("zh_CN")
    floor.clock.advance(29.5)
    assert floor.ctl.operator is not None and floor.ctl.idle_check().ok
    floor.clock.advance(1)
    r = floor.ctl.idle_check()
    assert r.outcome == Outcome.DONE and floor.ctl.screen == Screen.LOGIN and floor.ctl.operator is None
    assert floor.ctl.idle_notice is None and not floor.station.sessions
    assert floor.ctl.feedback.level == Level.HINT
    assert floor.ctl.feedback.message.text("en") == ("Packer was logged out: no scan or key for 15 min. Open orders kept for "
                                              "their next login: 1001.")
    out = floor.core.events.last(EventType.LOGOUT)
    assert out.kind == "idle" and out.payload["why"] == "idle" and out.operator_id == "op-k1"
    assert floor.core.events.last(EventType.STEP_SUSPENDED).payload["reason"] == "logout"
    floor.login()  # the same packer: back at the order, at its counts
    assert floor.ctl.screen == Screen.WORK and floor.ctl.session.progress["L1"].scanned == 1


def test_a_key_a_click_or_a_scan_keeps_the_operator_logged_in(floor):
    at_order(floor)
    for _ in range(6):  # an hour, a scan or a key every 10 minutes
        floor.clock.advance(10 * 60)
        floor.ctl.scan("ITEM-001")
        floor.clock.advance(10 * 60)
        floor.ctl.key("F4")
        floor.clock.advance(10 * 60)
        floor.ctl.note_input()  # a key or a click the window's filter saw (typing, arrows, Shift)
        assert floor.ctl.idle_check().changes == Change.NONE
    assert floor.ctl.operator is not None and floor.core.events.last(EventType.LOGOUT) is None


def test_any_key_takes_the_countdown_away_and_the_clock_starts_again(floor):
    at_order(floor)
    floor.clock.advance(14.5 * 60)
    floor.ctl.idle_check()
    assert floor.ctl.idle_notice is not None
    floor.changes.clear()
    floor.ctl.note_input()
    assert floor.ctl.idle_notice is None and floor.changes == [Change.IDLE]
    floor.clock.advance(14.5 * 60)
    floor.ctl.idle_check()
    assert floor.ctl.operator is not None and floor.ctl.idle_notice is not None


def test_not_while_a_label_waits_for_the_printer(floor):
    """Paper out at F9: the packer is at the printer fetching a roll, and a logout would withdraw the label."""
    at_order(floor, "SO-1003")
    floor.to_step(Step.LABEL)
    floor.spool.paper = False
    assert floor.ctl.key("F9").outcome == Outcome.HELD
    for _ in range(60):
        floor.clock.advance(60)
        floor.ctl.idle_check()
    assert floor.ctl.operator is not None and floor.ctl.idle_notice is None
    for job in floor.spool.load_paper():
        floor.ctl.on_print_update(job)
    assert floor.ctl.screen == Screen.QUEUE and floor.core.events.last(EventType.ORDER_COMPLETED)
    floor.clock.advance(14 * 60 + 30)  # counted from the label, not from the F9 an hour ago
    floor.ctl.idle_check()
    assert floor.ctl.operator is not None and floor.ctl.idle_notice is not None
    floor.clock.advance(31)
    floor.ctl.idle_check()
    assert floor.ctl.operator is None
    assert floor.ctl.feedback.message.text("en") == "Packer was logged out: no scan or key for 15 min."


def test_a_new_login_starts_its_own_clock(floor):
    floor.clock.advance(3 * 3600)  # the station stood at the login screen
    floor.login()
    assert floor.ctl.idle_check().changes == Change.NONE and floor.ctl.operator is not None


def test_nobody_logged_in_or_zero_minutes_never_logs_out(floor):
    floor.clock.advance(3600)
    assert floor.ctl.idle_check().changes == Change.NONE and floor.ctl.screen == Screen.LOGIN
    floor.ctl.idle_logout_s = 0
    at_order(floor)
    floor.clock.advance(24 * 3600)
    floor.ctl.idle_check()
    assert floor.ctl.operator is not None and floor.ctl.idle_notice is None


def test_the_setting_is_checked():
    assert from_dict({}).station.idle_logout_min == 15
    assert from_dict({"station": {"idle_logout_min": 0}}).station.idle_logout_min == 0
    for bad in (-1, math.nan, 100_000):
        with pytest.raises(ConfigError, match="station.idle_logout_min"):
            from_dict({"station": {"idle_logout_min": bad}})


def test_an_idle_logout_suspends_the_step_from_the_last_scan_not_at_the_logout(settings):
    """QA (idle limit 2 min): the step was suspended at the logout, so the two idle minutes counted as Pick (the
    clock read 2:03 for the next login); with the default 15 min, every idle logout put 15 minutes on a step's
    median, p90 and SLA share. Suspended from the last key or scan."""
    f = Floor(settings, [simple_order(1001)])
    try:
        clock = Clock()
        f.ctl.mono_ns = clock
        f.core.events._mono_ns = clock  # the log's stamps on the same clock (UTC from it too)
        f.core.events._clock_ms = lambda: clock.ns // 10**6
        f.ctl.idle_logout_s = 15 * 60
        at_order(f)
        clock.advance(20)
        f.ctl.scan("ITEM-001")  # the last thing anyone did, 20 s into the pick
        last_scan = f.core.events.last(EventType.SCAN)
        for _ in range(16):
            clock.advance(60)
            f.ctl.idle_check()
        assert f.ctl.operator is None
        sus = f.core.events.last(EventType.STEP_SUSPENDED)
        assert sus.payload["reason"] == "logout" and sus.mono_ns == last_scan.mono_ns
        assert sus.ts_utc_ms == last_scan.ts_utc_ms and sus.seq > f.core.events.last(EventType.SCAN).seq
        clock.advance(5)
        f.login()
        assert f.ctl.screen == Screen.WORK
        assert f.ctl.time_on_step_s() == pytest.approx(20, abs=1)  # it said 16 min 20 s
        f.ctl.logout()  # Ctrl+L: suspended at the logout itself
        assert f.core.events.last(EventType.STEP_SUSPENDED).mono_ns == clock.ns
    finally:
        f.close()
