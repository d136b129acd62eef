"""A station whose wall clock jumps a day forward or back during an open step: the step's duration and
the supervisor's step-time figures come from the monotonic clock stored beside UTC."""

from __future__ import annotations

import time

import pytest
from floor_kit import Floor, simple_order

from app.stats import figures_from_store
from app.workflow import Step

DAY_NS = 86_400 * 10**9


@pytest.mark.parametrize("jump_ns", [DAY_NS, -DAY_NS])
def test_a_wall_clock_jump_during_an_open_step_changes_no_duration(settings, monkeypatch, jump_ns):
    f = Floor(settings, [simple_order(1001)])
    try:
        f.login()
        f.ctl.key("Enter")
        before_start = time.monotonic_ns()
        f.ctl.scan("SO-1001")
        after_start = time.monotonic_ns()
        s = f.ctl.session
        assert s.step == Step.PICK
        f.ctl.scan("ITEM-001")
        real = time.time_ns
        monkeypatch.setattr(time, "time_ns", lambda: real() + jump_ns)  # the wall clock is set a day off
        f.ctl.scan("ITEM-001")
        f.ctl.scan("ITEM-002")
        assert abs(f.ctl.time_on_step_s()) < 5
        before_end = time.monotonic_ns()
        f.ctl.key("F10")
        after_end = time.monotonic_ns()
        assert s.step == Step.VERIFY
        lo, hi = (before_end - after_start) / 1e9, (after_end - before_start) / 1e9
        d = s.times[Step.PICK].duration_s()
        assert lo - 1 <= d <= hi + 1
        wall = (s.times[Step.PICK].completed_ms - s.times[Step.PICK].started_ms) / 1000
        assert abs(wall) > 80_000  # UTC alone would have said a day

        day_ms = 86_400_000
        today = real() // 10**6 // day_ms * day_ms
        for a, b in ((today - 3 * day_ms, today + 3 * day_ms),  # whole days (the supervisor screen's ranges)
                     (today - 3 * day_ms + 1, today + 3 * day_ms - 1)):  # any other range
            fig = figures_from_store(f.core.store, tz="UTC", start=a, end=b, sla=f.settings.sla)
            pick = fig.steps["pick"]
            assert pick.n == 1 and lo - 1 <= pick.median_s <= hi + 1, (a, b, pick)
    finally:
        f.close()


def test_the_warehouse_date_follows_the_clock_over_midnight_both_ways_and_a_change_of_zone(core, monkeypatch):
    """The date a lot's expiry is checked against (`Station.today`, asked on every scan and kept for the day it is)
    turns at the warehouse's midnight, not the machine's, and turns back when the clock is set back."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from app.workflow import Station

    core.settings.station.warehouse_tz = "Asia/Shanghai"
    st = Station(core)
    cst = ZoneInfo("Asia/Shanghai")
    midnight = dt.datetime(2026, 12, 5, tzinfo=cst).timestamp()  # 2026-12-04 16:00 UTC
    now = [midnight - 1]
    monkeypatch.setattr(time, "time", lambda: now[0])
    assert st.today() == dt.date(2026, 12, 4)
    assert st.today() == dt.date(2026, 12, 4)  # asked again within the day
    now[0] = midnight
    assert st.today() == dt.date(2026, 12, 5)  # UTC is still on the 4th
    now[0] = midnight - 3600  # the clock set back an hour
    assert st.today() == dt.date(2026, 12, 4)
    now[0] = midnight + 2 * 86_400
    assert st.today() == dt.date(2026, 12, 7)
    core.settings.station.warehouse_tz = "UTC"
    assert st.today() == dt.date(2026, 12, 6)  # 16:00 UTC on the 6th


MINUTE = 60 * 10**9


def _moving_clocks(monkeypatch) -> list[int]:
    """Both clocks of the machine moved on together by the returned list's one number (ns), as a break moves them."""
    shift = [0]
    real_mono, real_wall = time.monotonic_ns, time.time_ns
    monkeypatch.setattr(time, "monotonic_ns", lambda: real_mono() + shift[0])
    monkeypatch.setattr(time, "time_ns", lambda: real_wall() + shift[0])
    return shift


def _on_patched_clocks(f: Floor) -> Floor:
    """`f` with its controller reading the patched monotonic clock (its default was bound before the patch)."""
    f.ctl.mono_ns = time.monotonic_ns
    return f


def _a_minute_into_the_pick(f: Floor, shift: list[int]) -> int:
    """Logged in, SO-1001 open at Pick, one item scanned, a minute of work on the moving clocks. -> the wall clock's
    ms at the start."""
    start_wall = time.time_ns() // 10**6
    f.login()
    f.ctl.key("Enter")
    f.ctl.scan("SO-1001")
    f.ctl.scan("ITEM-001")
    shift[0] += MINUTE
    return start_wall


def _pick_figures_say(f: Floor, start_wall_ms: int, lo_s: float, hi_s: float) -> None:
    """One pick step of lo_s..hi_s, in the station's kept aggregate (whole days) and folded afresh from the rows (any
    other range)."""
    day_ms = 86_400_000
    today = start_wall_ms // day_ms * day_ms
    for a, b in ((today - day_ms, today + 2 * day_ms), (today - day_ms + 1, today + 2 * day_ms - 1)):
        pick = figures_from_store(f.core.store, tz="UTC", start=a, end=b, sla=f.settings.sla).steps["pick"]
        assert pick.n == 1 and lo_s <= pick.median_s < hi_s, (a, b, pick)


def test_a_step_left_over_a_break_counts_only_the_time_worked_on_screen_and_in_the_figures(settings, monkeypatch):
    """A packer logged out (or idle-logged-out) mid-pick for a 30-minute break: the order is suspended and back at
    their next login. The pick took 2 minutes of work; counted from start to end it read 32 and the supervisor's
    step times (median, p90, share over the SLA) counted breaks as picking."""
    from app.events import EventType

    shift = _moving_clocks(monkeypatch)
    f = _on_patched_clocks(Floor(settings, [simple_order(1001)]))
    try:
        start_wall = _a_minute_into_the_pick(f, shift)
        f.ctl.logout()
        assert f.core.events.last(EventType.STEP_SUSPENDED) is not None
        shift[0] += 30 * MINUTE  # the break
        f.login()  # back at the order
        s = f.ctl.session
        assert s.step == Step.PICK and f.core.events.last(EventType.STEP_RESUMED) is not None
        assert 60 <= f.ctl.time_on_step_s() < 65  # the screen's step clock: the minute worked, not 31
        f.ctl.scan("ITEM-001")
        shift[0] += MINUTE  # another minute of work
        f.ctl.scan("ITEM-002")
        f.ctl.key("F10")
        assert s.step == Step.VERIFY
        assert 120 <= s.times[Step.PICK].duration_s() < 125

        _pick_figures_say(f, start_wall, 120, 125)
    finally:
        f.close()


def test_an_order_set_aside_for_another_counts_only_the_time_worked_on_it(settings, monkeypatch):
    """Two orders open at one station: the packer scans the second order's barcode mid-pick of the first (an item
    missing from its bin) and comes back to it ten minutes later. One step clock runs at a time: the first order's pick
    counts the two minutes worked on it, on screen and in the figures, not the ten spent on the other; after a restart
    both come back and only the order at work runs."""
    from app.events import EventType

    shift = _moving_clocks(monkeypatch)
    f = _on_patched_clocks(Floor(settings, [simple_order(1001), simple_order(1002)]))
    try:
        start_wall = time.time_ns() // 10**6
        f.login()
        f.ctl.key("Enter")
        f.ctl.scan("SO-1001")
        first = f.ctl.session
        f.ctl.scan("ITEM-001")
        shift[0] += MINUTE
        f.ctl.scan("SO-1002")  # the other order, while the first stays open
        assert f.ctl.session.order_id == "SO-1002" and set(f.station.sessions) == {"SO-1001", "SO-1002"}
        aside = f.core.events.last(EventType.STEP_SUSPENDED)
        assert (aside.order_id, aside.payload["reason"]) == ("SO-1001", "switched")
        shift[0] += 10 * MINUTE  # ten minutes on the other order
        assert 600 <= f.ctl.time_on_step_s() < 605
        assert 60 <= first.times[Step.PICK].duration_s(time.monotonic_ns()) < 65  # stopped while set aside

        f = _on_patched_clocks(f.restart())  # a power cut here: both come back, the one at work runs
        f.login()
        assert set(f.station.sessions) == {"SO-1001", "SO-1002"}
        running = [s.order_id for s in f.station.sessions.values() if not s.suspended]
        assert running == [f.ctl.session.order_id]

        f.ctl.scan("SO-1001")  # back to the first order
        first = f.ctl.session
        assert first.order_id == "SO-1001" and 60 <= f.ctl.time_on_step_s() < 65
        assert f.station.sessions["SO-1002"].suspended
        f.ctl.scan("ITEM-001")
        shift[0] += MINUTE
        f.ctl.scan("ITEM-002")
        f.ctl.key("F10")
        assert first.step == Step.VERIFY and 120 <= first.times[Step.PICK].duration_s() < 125

        _pick_figures_say(f, start_wall, 120, 125)
    finally:
        f.close()


def test_a_step_running_when_the_station_stopped_does_not_count_the_time_it_was_down(settings, monkeypatch):
    """A power cut mid-pick, the station back three hours later: no logout suspended the step, so its clock ran from
    its start through the outage — the pick read 3 h 2 min on screen and in the figures (the chaos run's note). The
    step now stands suspended from the station's last event before it stopped, and resumes at the login."""
    from app.events import EventType
    from app.workflow import STATION_STOPPED

    shift = _moving_clocks(monkeypatch)
    f = _on_patched_clocks(Floor(settings, [simple_order(1001)]))
    try:
        start_wall = _a_minute_into_the_pick(f, shift)  # then a scan: the station's last sign of life
        last = f.ctl.scan("ITEM-001").verdict
        last_ev = f.core.events.last(EventType.SCAN)
        shift[0] += 3 * 60 * MINUTE  # the power cut
        f = _on_patched_clocks(f.restart())
        f.login()
        s = f.ctl.session
        assert s.order_id == "SO-1001" and s.step == Step.PICK and last is not None
        stood = f.core.events.last(EventType.STEP_SUSPENDED)
        assert (stood.order_id, stood.payload["reason"]) == ("SO-1001", STATION_STOPPED)
        assert (stood.ts_utc_ms, stood.mono_ns) == (last_ev.ts_utc_ms, last_ev.mono_ns)  # dated then, written now
        assert f.core.events.last(EventType.STEP_RESUMED).seq > stood.seq
        assert 60 <= f.ctl.time_on_step_s() < 65  # not 3 h 1 min
        shift[0] += MINUTE
        f.ctl.scan("ITEM-002")
        f.ctl.key("F10")
        assert s.step == Step.VERIFY and 120 <= s.times[Step.PICK].duration_s() < 125
        _pick_figures_say(f, start_wall, 120, 125)

        f = _on_patched_clocks(f.restart())  # stopped again, this time at Verify: the order comes back once more
        f.login()
        assert f.ctl.session.order_id == "SO-1001" and f.ctl.session.step == Step.VERIFY
    finally:
        f.close()
