"""A random walk of the station controller (no Qt): scans of every kind (orders, items, siblings, action codes,
badges, garbage, control characters, 5,000-character bursts), keys, logins with good and bad PINs, scale
readings (NaN and infinity among them), overrides, the network going and coming, power cycles. Whatever comes,
no exception leaves the controller, nobody works anonymously, every fact of an order names its operator, and of
the orders open at the station only the one at work has its step clock running."""

from __future__ import annotations

import random

import pytest
from floor_kit import Floor, simple_order

from app.events import EventType
from app.workflow import Step
from floor import Screen
from floor.controller import PAPERWORK

CODES = [*(f"ITEM-{i:03d}" for i in range(1, 6)), "SIB-001", "MUG-001", "@@COMPLETE", "@@SHORT", "@@REPRINT",
         "@@LOGOUT", "@@UNDO", "@@ACK", "@@CARTON:M", "@@CARTON:ZZ", "@@WEIGH", "@@PRINT", "@@REASON:NOT_FOUND",
         "@@REASON:DAMAGED", "@@OVERRIDE", "@@GIFT", "@@", "K-001", "S-001", "P-001", "\x00", "", " ", "6900000000999",
         "4006381333931", "]E04006381333931", "(01)04006381333931(17)991231(10)A", "A" * 5000, "\u202e", "９９９",
         "\x1b[A"]
KEYS = ["F2", "F3", "F4", "F5", "F7", "F8", "F9", "F10", "F11", "F12", "Enter", "Escape", "Up", "Down", "1", "2", "3",
        "4", "5", "9", "Ctrl+L", "x"]
LOGINS = [("K-001", "2222"), ("P-001", "1111"), ("S-001", "999999"), ("K-001", "0000"), ("", ""), ("Z", "1")]
WEIGHTS = [0, 5, 100, 250, 1000, float("nan"), float("inf"), -3, 1e12, 300.5]
# what an operator does to an order: each of these must name who did it
OPERATOR_FACTS = {EventType.SCAN, EventType.STEP_STARTED, EventType.STEP_COMPLETED, EventType.SHORT_PICK,
                  EventType.GIFT_CONFIRMED, EventType.CARTON_CHOSEN, EventType.WEIGHT_RECORDED, EventType.UNDO,
                  EventType.ORDER_COMPLETED, PAPERWORK}


def work(f: Floor, s, rnd: random.Random) -> None:
    """One move of the order at hand, as a packer would make it (sometimes with a scale that sends garbage)."""
    if s.step == Step.WEIGH:
        exp = s.expected_weight[0] or 300
        f.weigh(rnd.choice([exp, exp, exp * 3, float("nan"), float("inf")]))
        f.ctl.key(rnd.choice(["F8", "F9", "F8"]))
    elif s.step == Step.PACK:
        f.ctl.key(rnd.choice(["1", "2", "F10"]))
    elif s.step == Step.LABEL:
        f.ctl.key("F9")
    else:
        line = s.current_line()
        f.ctl.scan(line.barcodes[0].code) if line is not None and rnd.random() < 0.8 else f.ctl.key("F10")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_walk_of_the_controller_raises_nothing_and_nobody_works_anonymously(settings, seed):
    rnd = random.Random(seed)
    orders = [simple_order(1000 + i, gift=i % 3 == 0, qtys=tuple(rnd.randint(1, 3) for _ in range(rnd.randint(1, 4))))
              for i in range(30)]
    codes = CODES + [o.id for o in orders]
    f = Floor(settings, orders)
    now = [10**12]

    def clock() -> int:  # a monotonic clock that the walk moves on: 1 ms a reading, minutes at an idle check
        now[0] += 10**6
        return now[0]

    def idle_logout(f: Floor) -> Floor:
        f.ctl.mono_ns, f.ctl.idle_logout_s = clock, 600
        return f

    idle_logout(f)
    try:
        for step in range(1500):
            r = rnd.random()
            what = ""
            try:
                s = f.ctl.session
                if f.ctl.operator is None and r < 0.6:
                    what = "login"
                    f.login(*rnd.choice(LOGINS))
                elif s is not None and r < 0.45:  # the work goes on too: the walk reaches every step
                    what = f"work on {s.order_id} at {s.step}"
                    work(f, s, rnd)
                elif r < 0.55:
                    c = rnd.choice(codes)
                    if rnd.random() < 0.1:
                        c = "".join(chr(rnd.randint(0, 0x3000)) for _ in range(rnd.randint(0, 30)))
                    what = f"scan {c[:40]!r}"
                    f.ctl.scan(c)
                elif r < 0.85:
                    what = f"key {(k := rnd.choice(KEYS))}"
                    f.ctl.key(k)
                elif r < 0.93:
                    what = f"weight {(g := rnd.choice(WEIGHTS))}"
                    f.ctl.on_weight(g, rnd.random() < 0.7)
                elif r < 0.96:
                    what = "override"
                    f.ctl.override(rnd.choice(["S-001", "K-001", ""]), rnd.choice(["999999", "1"]),
                                   rnd.choice(["ok", "", "x" * 3000]))
                elif r < 0.98:
                    f.oms.online = not f.oms.online
                elif r < 0.985:
                    what = "restart"
                    f = idle_logout(f.restart())
                elif r < 0.993:
                    what = "idle check"
                    now[0] += rnd.choice([1, 30, 300, 560, 590, 601, 3600]) * 10**9
                    f.ctl.idle_check()
                else:
                    f.ctl.pump()
            except Exception as e:  # the failure names the step, the action and the screen
                raise AssertionError(f"seed {seed} step {step}: {what} on {f.ctl.screen} raised {e!r}") from e
            if f.ctl.operator is None:
                assert f.ctl.screen == Screen.LOGIN and f.ctl.session is None, (seed, step, what)
            # one step clock at a time: of the orders open here only the one at work runs
            running = [o.order_id for o in f.station.sessions.values() if not o.suspended and o.step not in (
                None, Step.DONE)]
            assert running in ([], [getattr(f.ctl.session, "order_id", None)]), (seed, step, what, running)
        anonymous = [ev for ev in f.core.events.events(types=sorted(OPERATOR_FACTS)) if ev.operator_id is None]
        assert not anonymous, anonymous[:3]
        assert len(f.core.events.events(types=[EventType.ORDER_COMPLETED])) >= 3  # the walk reached every step
        assert any(ev.kind == "idle" for ev in f.core.events.events(types=[EventType.LOGOUT]))  # and an idle logout
    finally:
        f.close()


def _counts(s) -> tuple:
    """An open order's whole counting state: per step and line (scanned, short, reason, complete), the step, what F4
    can undo, the incomplete-line counters."""
    return ({st.value: {k: (v.scanned, v.short_qty, v.short_reason, v.complete) for k, v in d.items()}
             for st, d in s._progress.items()}, s.step, list(s._undo), dict(s._incomplete))


def _views_agree(s) -> None:
    """What the screen reads after every scan is kept up to date, not worked out from every line (a large order):
    the lines still to do, how many, and the expected weight say what working them out from every line says."""
    if s is None:
        return
    for st in s.counting_steps:
        prog = s.step_progress(st)
        missing = [ln for ln in s.picklist.walk if not prog[ln.id].complete]
        assert (s.incomplete_lines(st, 5), s.incomplete(st)) == (missing[:5], len(missing)), st
    assert s.expected_weight == s._expected_weight()


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_short_picks_undos_and_scans_in_any_order_replay_to_the_same_counts(settings, seed):
    """F2 with any reason and quantity, F4, scans, gifts, steps completed, orders switched, in a random order: after
    every power cycle the order is opened again at exactly the counts it had, and F4 can undo exactly what it could
    (short picks are on the undo stack since F4 takes them back)."""
    rnd = random.Random(seed)
    orders = [simple_order(1000 + i, gift=i % 2 == 0, qtys=tuple(rnd.randint(1, 3) for _ in range(rnd.randint(1, 4))))
              for i in range(4)]
    f = Floor(settings, orders, steps=["pick", "verify", "pack", "weigh", "label"])
    compared = 0
    try:
        f.login()
        f.ctl.key("Enter")
        for _ in range(250):
            s = f.ctl.session
            _views_agree(s)
            if s is None or f.ctl.screen != Screen.WORK:
                f.ctl.scan(rnd.choice(orders).id)
                continue
            r = rnd.random()
            if r < 0.35:
                f.ctl.scan(f"ITEM-{rnd.randint(1, 5):03d}")
            elif r < 0.5:
                f.ctl.key("F2")
                if rnd.random() < 0.5:
                    f.ctl.key(rnd.choice(["Up", "Down"]))
                f.ctl.key(rnd.choice("1234"))
            elif r < 0.65:
                f.ctl.key("F4")
            elif r < 0.8:
                f.ctl.key(rnd.choice(["F3", "F10", "2"]))
            elif r < 0.88:
                f.ctl.scan(rnd.choice(orders).id)
            else:
                live = _counts(s)
                f = f.restart()
                f.login()
                if f.ctl.session is not None and f.ctl.session.order_id == s.order_id:
                    assert _counts(f.ctl.session) == live
                    compared += 1
        assert compared >= 5
    finally:
        f.close()
