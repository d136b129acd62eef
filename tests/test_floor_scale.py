"""The weigh step fed by a real serial scale driver on a pseudo-terminal (the test plays the scale on the master side
and, as the GUI thread does, hands the driver's readings and statuses to the controller in the order they came)."""

from __future__ import annotations

import os
import pty
import queue
import time
import tty

import pytest
from floor_kit import Floor, simple_order

from app.events import EventType
from app.workflow import Step
from floor import Outcome, Screen
from hardware.scale import SerialScale


class PtyScale:
    """A continuous-mode scale on a pseudo-terminal, its driver's callbacks queued for the controller."""

    def __init__(self, ctl) -> None:
        self.ctl = ctl
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        tty.setraw(self.master)
        self.driver = SerialScale(os.ttyname(self.slave), protocol="continuous", stable_readings=3)
        self.events: queue.Queue = queue.Queue()
        self.driver.start(lambda r: self.events.put(("reading", r)), lambda st: self.events.put(("status", st)))
        self.wait_status("ready")

    def pump_until(self, done, timeout: float = 10.0):
        """Hand what the driver said to the controller (the GUI thread's part) until `done(kind, value)`."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                kind, v = self.events.get(timeout=0.05)
            except queue.Empty:
                continue
            if kind == "reading":
                self.ctl.on_weight(v.grams, v.stable)
            else:
                self.ctl.on_scale_status(v.ok, v.detail)
            if done(kind, v):
                return v
        raise AssertionError("the scale driver did not say it in time")

    def wait_status(self, state: str):
        end = time.monotonic() + 10
        while time.monotonic() < end:
            kind, v = self.events.get(timeout=10)
            if kind == "status" and v.state == state:
                return v
        raise AssertionError(state)

    def put(self, kg: float) -> None:
        """The parcel is put down: an unsteady reading, then steady ones until the driver calls it stable."""
        os.write(self.master, f"US,GS,+{kg * 0.6:09.3f}kg\r\n".encode())
        os.write(self.master, f"ST,GS,+{kg:09.3f}kg\r\n".encode() * 3)
        self.pump_until(lambda kind, r: kind == "reading" and r.stable and abs(r.grams - kg * 1000) < 0.5)

    def close(self) -> None:
        self.driver.stop()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def at_weigh(settings):
    f = Floor(settings, [simple_order(1001, (1,))])
    f.login()
    f.ctl.key("Enter")
    assert f.ctl.screen == Screen.QUEUE
    f.ctl.scan("SO-1001")
    f.to_step(Step.PACK)
    f.ctl.key("1")
    f.ctl.key("F10")
    assert f.ctl.session.step == Step.WEIGH
    scale = PtyScale(f.ctl)
    yield f, scale
    scale.close()
    f.close()


def test_a_scale_unplugged_with_the_parcel_on_it_leaves_no_weight_to_record(at_weigh):
    """The parcel weighed steady, then the scale's cable comes out: its last reading stayed on the screen with its
    tick and F8 recorded it, though nothing more came from the scale. Now there is no reading while the scale is
    not ready, the weigh step says why, and nothing is recorded; plugged back, it weighs again."""
    f, scale = at_weigh
    scale.put(0.1)  # the order expects 100 g
    assert f.ctl.weight_view().in_tolerance
    os.close(scale.master)  # unplugged: the driver's read fails
    scale.pump_until(lambda kind, st: kind == "status" and st.state == "disconnected")
    wv = f.ctl.weight_view()
    assert not wv.usable and not wv.in_tolerance and wv.grams is None
    assert wv.scale_fault is not None and "disconnected" in wv.scale_fault.en
    assert f.ctl.next_key() is None
    said = [m.en for m in f.ctl.blockers()]
    assert said[0].startswith("the scale is not ready: Scale disconnected") and len(said) == 1, said
    for key in ("F8", "F9", "F10"):
        r = f.ctl.key(key)
        assert r.outcome != Outcome.DONE, key
        assert "not ready" in r.feedback.en and "Scale disconnected" in r.feedback.en, (key, r.feedback.en)
    assert f.ctl.session.weight is None and f.core.events.last(EventType.WEIGHT_RECORDED) is None
    assert f.ctl.session.step == Step.WEIGH
    assert "电子秤" in f.ctl.feedback.text("zh_CN")


def test_an_overloaded_scale_keeps_no_weight_and_a_silent_one_neither(at_weigh, monkeypatch):
    """Someone leans on the scale (overload lines, no weight in them) or the indicator hangs (nothing comes): the
    reading before either was still steady and recordable."""
    f, scale = at_weigh
    scale.put(0.1)
    os.write(scale.master, b"OL,GS,+9999.999kg\r\n")
    scale.pump_until(lambda kind, st: kind == "status" and st.state == "overload")
    assert f.ctl.key("F8").outcome != Outcome.DONE and f.ctl.session.weight is None
    assert "overload" in f.ctl.feedback.en
    scale.put(0.1)  # back to a weight: the driver says ready first, then the readings count again
    assert f.ctl.weight_view().scale_fault is None and f.ctl.weight_view().in_tolerance
    scale.driver.GARBAGE_S = 0.3  # the indicator hangs: no line at all
    scale.pump_until(lambda kind, st: kind == "status" and st.state == "garbage")
    assert f.ctl.key("F8").outcome != Outcome.DONE and f.ctl.session.weight is None
    scale.put(0.1)
    assert f.ctl.key("F8").outcome == Outcome.DONE and f.ctl.session.weight.grams == 100.0


def test_the_last_parcel_left_on_a_flickering_scale_is_never_the_next_orders_weight(settings):
    """A 5 kg parcel left on a scale of 2 g divisions reads 5.000, 5.002, 5.000 kg, each flagged steady. The
    controller took the 2 g for the next parcel put down and F8 recorded the old parcel's weight for the next order
    (same item, same weight: inside the tolerance, so nobody noticed). A change counts as a parcel put down only
    beyond the band the driver calls steady; the packer is told to take the old one off first."""
    from floor_kit import line, make_order

    heavy = [make_order(n, [line(1, 1, weight_g=5000.0)]) for n in (2001, 2002)]
    f = Floor(settings, heavy)
    try:
        f.login()
        f.ctl.key("Enter")
        f.ctl.scan("SO-2001")
        f.to_step(Step.LABEL)  # weighed (floor_kit puts it down) and recorded
        f.ctl.key("F9")
        scale = PtyScale(f.ctl)
        try:
            scale.put(5.0)  # the first parcel is still on the scale, steady
            f.ctl.scan("SO-2002")
            f.to_step(Step.PACK)
            f.ctl.key("1")
            f.ctl.key("F10")
            assert f.ctl.session.step == Step.WEIGH
            for kg in (5.000, 5.002, 5.000, 5.002, 5.002, 5.002, 5.000, 5.000, 5.000):
                os.write(scale.master, f"ST,GS,+{kg:09.3f}kg\r\n".encode())
            seen = []
            scale.pump_until(lambda kind, r: kind == "reading" and seen.append(r) is None and len(seen) == 9)
            assert all(r.stable for r in seen) and {r.grams for r in seen} == {5000.0, 5002.0}
            wv = f.ctl.weight_view()
            assert wv.stable and not wv.usable and wv.resting
            r = f.ctl.key("F8")
            assert r.outcome == Outcome.REFUSED and f.ctl.session.weight is None
            assert r.feedback.en.startswith("The scale read 5000 g before this parcel's weighing began: take that off")
            assert any("take that off" in m.en for m in f.ctl.blockers())
            scale.put(0.0)  # taken off (a steady zero)
            scale.put(5.001)  # this order's parcel
            assert f.ctl.key("F8").outcome == Outcome.DONE and f.ctl.session.weight.grams == 5001.0
        finally:
            scale.close()
    finally:
        f.close()


def test_a_parcel_whose_reading_never_settles_is_said_as_such_and_not_recorded(at_weigh):
    """A conveyor beside the bench shakes the table: the scale flags every reading unsteady. The packer read "put
    the parcel on the scale", the parcel on it, and F8 said the same. Now the step says the reading does not settle
    and what to do; nothing is recorded until it does."""
    f, scale = at_weigh
    for g in (95, 104, 98, 103, 97, 102):
        os.write(scale.master, f"US,GS,+{g / 1000:09.3f}kg\r\n".encode())
    scale.pump_until(lambda kind, r: kind == "reading" and r.grams == 102.0)
    said = [m.en for m in f.ctl.blockers()]
    assert said == ["the scale reads 102 g but does not settle: keep the parcel still, nothing shaking the table"]
    r = f.ctl.key("F8")
    assert r.outcome == Outcome.REFUSED and f.ctl.session.weight is None
    assert r.feedback.en.startswith("The scale reads 102 g but is not steady yet")
    assert "不稳定" in f.ctl.blockers()[0].text("zh_CN")
    scale.put(0.1)  # it settles
    assert f.ctl.key("F8").outcome == Outcome.DONE and f.ctl.session.weight.grams == 100.0
