"""The label and the slip of an order print once: F9 pressed again prints what has not come out yet, and a second copy
of what has is a reprint (F12: who, why). Found in the demo (QA walkthrough): the label printer's paper out, F9 on
order 50002: the slip printed and the label waited; the packer scanned another order (the label was withdrawn), came
back and pressed F9 again: a second slip came out, recorded nowhere as a reprint. Driven through the controller with
the floor kit: a real SQLite store and event log, the spool stand-in keeping every job and its state."""

from __future__ import annotations

import dataclasses

import pytest
from floor_kit import Floor, simple_order

from app.events import EventType
from app.i18n import Msg
from app.workflow import Step
from floor import Level, Outcome, Screen
from floor.controller import PAPERWORK


@pytest.fixture
def floor(settings):
    f = Floor(settings, [simple_order(1001), simple_order(1003, (1,))])
    f.login()
    f.ctl.key("Enter")
    yield f
    f.close()


def _jobs(f: Floor, kind: str, order: str = "SO-1003") -> list[str]:
    return [j["state"] for j in f.spool.jobs_ if j["kind"] == kind and j["order_id"] == order]


def _printed(f: Floor, type_: str, order: str = "SO-1003") -> int:
    return len(f.core.events.events(order_id=order, types=[type_]))


def _slip_printer_prints(f: Floor) -> None:
    """The slip printer has paper: the slips queued for it come out."""
    for j in f.spool.jobs_:
        if j["kind"] == "slip" and j["state"] == "queued":
            f.spool.job(j["job_id"])


def _label_waits_and_the_slip_is_out(f: Floor) -> None:
    f.ctl.scan("SO-1003")
    f.to_step(Step.LABEL)
    f.spool.label_paper = False  # Ctrl+Shift+P in the demo: the label printer alone
    assert f.ctl.key("F9").outcome == Outcome.HELD
    _slip_printer_prints(f)
    assert (_jobs(f, "label"), _jobs(f, "slip")) == (["held"], ["done"])


def _paper_back(f: Floor) -> None:
    for job in f.spool.load_paper():
        f.ctl.on_print_update(job)


def _switched_away_and_back(f: Floor) -> Floor:
    f.ctl.scan("SO-1001")
    f.ctl.scan("SO-1003")
    return f


def _esc_then_opened_from_the_queue(f: Floor) -> Floor:
    f.ctl.key("Escape")
    assert f.ctl.screen == Screen.QUEUE
    f.ctl.scan("SO-1003")
    return f


def _logged_out_and_in(f: Floor) -> Floor:
    f.ctl.key("Logout")
    f.login()
    return f


def _logged_out_then_restarted(f: Floor) -> Floor:
    f.ctl.key("Logout")
    f = f.restart()
    f.login()
    return f


@pytest.mark.parametrize("away", [_switched_away_and_back, _esc_then_opened_from_the_queue, _logged_out_and_in,
                                  _logged_out_then_restarted], ids=lambda fn: fn.__name__.strip("_"))
def test_f9_again_after_the_label_was_withdrawn_prints_the_label_and_not_a_second_slip(floor, away):
    _label_waits_and_the_slip_is_out(floor)
    f = away(floor)
    assert f.ctl.screen == Screen.WORK and f.ctl.session.order_id == "SO-1003"
    assert f.ctl.session.step == Step.LABEL and _jobs(f, "label") == ["failed"]  # withdrawn, never out
    assert f.ctl.next_key() == "F9"
    if away is not _logged_out_then_restarted:  # said from the controller's memory; after a restart F9 is marked
        assert f.ctl.feedback.level == Level.HINT and f.ctl.feedback.en.endswith(
            ": Label. Its label did not print: press F9 to print it.")
    r = f.ctl.key("F9")
    assert r.outcome == Outcome.HELD and "paper out" in r.feedback.en  # the new label waits for paper in its turn
    assert (_jobs(f, "label"), _jobs(f, "slip")) == (["failed", "held"], ["done"])  # no second slip
    paperwork = f.core.events.last(PAPERWORK)
    assert paperwork.payload["slip_job"] == f.core.events.events(order_id="SO-1003", types=[PAPERWORK])[0].payload[
        "slip_job"] and paperwork.payload["already_out"] == ["slip"]  # the slip of this parcel is the one out
    _paper_back(f)
    assert f.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert (_printed(f, EventType.LABEL_PRINTED), _printed(f, EventType.SLIP_PRINTED)) == (1, 1)
    assert _printed(f, EventType.REPRINT) == 0
    if f is not floor:
        f.close()


def test_a_label_still_waiting_for_paper_across_a_restart_is_not_printed_twice(floor):
    """The station restarted while the label waited for paper (nothing withdrew it): F9 after the login finds it with
    the printer and waits for it, instead of sending a second label and a second slip."""
    _label_waits_and_the_slip_is_out(floor)
    f = floor.restart()
    f.login()
    assert f.ctl.session.order_id == "SO-1003" and f.ctl.session.step == Step.LABEL
    r = f.ctl.key("F9")
    assert r.outcome == Outcome.HELD and r.feedback.en.startswith("Label printer: paper out. The label prints by itself")
    assert (_jobs(f, "label"), _jobs(f, "slip")) == (["held"], ["done"])
    assert f.ctl.next_key() is None  # with the printer: nothing to press
    _paper_back(f)
    assert f.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert (_printed(f, EventType.LABEL_PRINTED), _printed(f, EventType.SLIP_PRINTED)) == (1, 1)
    f.close()


def _f9_held_back(floor) -> tuple[dict, dict]:
    """SO-1003 at its Label step, F9 pressed, its label and slip jobs submitted and not run yet: (label, slip)."""
    floor.spool.auto = False
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    return tuple(next(j for j in floor.spool.jobs_ if j["kind"] == kind) for kind in ("label", "slip"))


def test_a_label_that_failed_after_its_slip_printed_is_printed_again_alone(floor):
    """The label printer was switched off mid-label (failed: "press F9 to print again") after the slip came out: F9
    prints the label, not the slip a second time."""
    label, slip = _f9_held_back(floor)
    floor.spool._run(slip)  # the slip came out
    label.update(state="failed", message=Msg("Label printer: offline."))  # the label did not
    r = floor.ctl.on_print_update(floor.spool.job(label["job_id"]))
    assert r.outcome == Outcome.HELD and r.feedback.en.endswith("Press F9 to print again.")
    assert floor.ctl.next_key() == "F9"
    floor.spool.auto = True
    floor.ctl.key("F9")
    assert (_jobs(floor, "label"), _jobs(floor, "slip")) == (["failed", "done"], ["done"])
    assert floor.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert _printed(floor, EventType.SLIP_PRINTED) == 1


def test_a_slip_that_did_not_print_beside_a_printed_label_is_printed_alone(floor):
    """The label came out and the station stopped before it heard so; the slip printer had jammed (failed). After the
    restart the order is at the Label step with its label printed: F9 prints the slip and the order is packed, with
    one label."""
    label, slip = _f9_held_back(floor)
    floor.spool._run(label)  # out, with its label_printed event; the station never got the notification
    slip.update(state="failed", message=Msg("Slip printer: paper jam."))
    f = floor.restart()
    f.spool.auto = True
    f.login()
    assert f.ctl.session.order_id == "SO-1003" and f.ctl.session.label_printed
    f.ctl.key("F9")
    _slip_printer_prints(f)
    assert (_jobs(f, "label"), _jobs(f, "slip")) == (["done"], ["failed", "done"])
    assert f.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert _printed(f, EventType.LABEL_PRINTED) == 1
    f.close()


def test_logging_out_while_the_label_waits_for_paper_says_which_label_did_not_print(floor):
    """docs/floor.md: a label still waiting when the packer logs out is withdrawn and "the packer is told (amber) to
    open the order again and press F9". The login screen said nothing; the next login said only where the order was."""
    _label_waits_and_the_slip_is_out(floor)
    r = floor.ctl.key("Logout")
    assert r.outcome == Outcome.DONE and floor.ctl.screen == Screen.LOGIN
    fb = floor.ctl.feedback
    assert fb is not None and fb.level == Level.HINT
    assert fb.en == ("The label of order 1003 was still waiting for the printer: it is withdrawn, so it cannot come "
                     "out at another parcel. Open the order again and press F9 to print it.")
    assert fb.text("zh_CN") == "订单 1003 的面单仍在等待打印机：已撤回，以免贴到其他包裹上。重新打开该订单并按 F9 打印。"
    _paper_back(floor)
    assert _jobs(floor, "label") == ["failed"]  # nothing came out at the empty station
    r = floor.login()
    assert floor.ctl.screen == Screen.WORK and floor.ctl.session.order_id == "SO-1003"
    assert r.feedback.level == Level.HINT
    assert r.feedback.en == "Order 1003 resumed where it was left: Label. Its label did not print: press F9 to print it."
    assert r.feedback.text("zh_CN") == "订单 1003 已从中断处继续：贴面单。该订单的面单尚未打印：按 F9 打印。"
    floor.ctl.key("F9")
    assert floor.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert (_jobs(floor, "label"), _jobs(floor, "slip")) == (["failed", "done"], ["done"])


def test_the_order_packed_at_login_leaves_the_other_open_order_at_work(floor):
    """As below, with another order open (switched away from): once the one whose label came out is packed, the other
    is the order at work, as after a logout (the screen said WORK with no order at work)."""
    floor.ctl.scan("SO-1001")
    _label_waits_and_the_slip_is_out(floor)  # SO-1003: SO-1001 set aside
    f = floor.restart()
    f.spool.load_paper()
    r = f.login()
    assert f.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    s = f.ctl.session
    assert f.ctl.screen == Screen.WORK and s is not None and s.order_id == "SO-1001" and not s.suspended
    assert r.feedback.en == ("Order 1001 resumed where it was left: Pick. Next bin A-01. The label of order 1003 came "
                             "out while the station was restarting: packed.")
    f.close()


def test_a_label_that_came_out_before_anyone_logged_in_after_a_restart_packs_its_order_at_login(floor):
    """The label waited for paper when the station stopped (kill -9); after the restart the paper was back and the
    spool printed it before anyone logged in (the chaos run: SO-1007, SO-1009). The order came back at its Label
    step with its label out, nothing marked to press and nothing said: only a guessed F9 finished it. Now the login
    packs it and says so."""
    _label_waits_and_the_slip_is_out(floor)
    f = floor.restart()
    f.spool.load_paper()  # out before the login: no order open to hear of it
    assert _printed(f, EventType.LABEL_PRINTED) == 1 and _printed(f, EventType.ORDER_COMPLETED) == 0
    r = f.login()
    assert f.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert f.ctl.session is None and f.ctl.screen == Screen.CHECK and "SO-1003" not in [p.id for p in f.ctl.queue]
    assert r.feedback.en == "The label of order 1003 came out while the station was restarting: packed."
    assert (_printed(f, EventType.LABEL_PRINTED), _printed(f, EventType.SLIP_PRINTED)) == (1, 1)
    f.close()


def test_with_the_slip_out_and_the_label_waiting_the_work_screen_says_only_the_label_waits(floor):
    """Label printer out of paper, the slip printed at once: the line of what is left said "the label and the slip are
    with the printer" (QA: the slip was already in the packer's hand)."""
    _label_waits_and_the_slip_is_out(floor)
    said = [b.text("en") for b in floor.ctl.blockers()]
    assert said == ["the label is with the printer: it comes out by itself when the printer is ready"]
    assert [b.text("zh_CN") for b in floor.ctl.blockers()] == ["面单已发送到打印机：打印机就绪后自动打出"]


def test_the_login_says_it_was_the_slip_that_came_out_during_the_restart_when_the_label_was_out_before(floor):
    """The label came out before the crash, the slip waited for paper; after the restart the slip came out before
    anyone logged in. The login said "The label of order … came out while the station was restarting" (QA, zh_CN:
    面单): it was the slip."""
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.spool.slip_paper = False  # Ctrl+Shift+O in the demo: the slip printer alone
    assert floor.ctl.key("F9").outcome == Outcome.HELD
    assert (_jobs(floor, "label"), _jobs(floor, "slip")) == (["done"], ["held"])
    f = floor.restart()
    f.spool.load_paper()
    r = f.login()
    assert f.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert r.feedback.en == "The packing slip of order 1003 came out while the station was restarting: packed."
    assert r.feedback.text("zh_CN") == "订单 1003 的装箱单在工位重启期间已打印：已完成打包。"
    f.close()


def test_an_order_cancelled_during_its_stop_comes_back_stopped_with_what_to_put_back_after_a_crash(settings):
    """STOP (the OMS cancelled the order, two units scanned), then kill -9 before Esc: after the restart the order was
    left out of the login (the cancelled status), its put-back list lost, and it was never released; scanning it said
    only "cancelled: do not pick it". It comes back stopped, says what to put back where, and Esc releases it. So
    does one cancelled in the cache while the station was down, with units scanned before."""
    from floor_kit import line, make_order

    for cancelled_while_down in (False, True):
        f = Floor(settings, [make_order(1005 + cancelled_while_down, [line(1, 2), line(2, 1)])])
        oid = f"SO-{1005 + cancelled_while_down}"
        f.login()
        f.ctl.key("Enter")
        f.ctl.scan(oid)
        f.ctl.scan("ITEM-001")
        f.ctl.scan("ITEM-001")
        if not cancelled_while_down:
            assert f.ctl.on_sync("order_cancelled", {"order_id": oid, "reason": "order_cancelled"}).outcome \
                == Outcome.STOPPED
        f.cache.set_status(oid, "cancelled")
        f = f.restart()
        r = f.login()
        assert f.ctl.session is not None and f.ctl.session.order_id == oid and f.ctl.session.intercepted
        assert r.feedback.level == Level.STOP and "Put back: 2 × SKU-001" in r.feedback.en, r.feedback.en
        assert f.ctl.next_key() == "Escape"
        f.ctl.key("Escape")
        assert f.core.events.last(EventType.PICKLIST_RELEASED).order_id == oid
        f.close()
        settings.station.data_dir = str(settings.data_dir.parent / f"again-{cancelled_while_down}")


def _reprinted_with_f12(f: Floor) -> None:
    """F12 and reason 1: the reprint recorded with its reason, and the printers print what they have."""
    assert f.ctl.key("F12").outcome == Outcome.ASKED
    f.ctl.key("1")
    assert f.core.events.last(EventType.REPRINT).payload["reason"]
    for j in list(f.spool.jobs_):
        f.spool.job(j["job_id"])


def test_a_label_cut_off_by_a_crash_is_not_sent_again_by_f9_but_reprinted_on_purpose(floor):
    """kill -9 while the label was being sent (the chaos run: SO-1012, its .bin complete): the spool marks such a job
    failed ("crashed": part of it may have printed) and never resends it blindly, but F9 sent a new label, byte for
    byte the same, recorded nowhere as a reprint. F9 now says to look for it and that F12 prints it again; F12 (who,
    why) does, and F9 then finds it out and the order is packed."""
    label, _slip = _f9_held_back(floor)
    label.update(state="failed", error_state="crashed")  # as spool.start() leaves a job caught in `sending`
    f = floor.restart()
    f.spool.auto = True
    f.login()
    assert f.ctl.session.order_id == "SO-1003" and f.ctl.session.step == Step.LABEL
    r = f.ctl.key("F9")
    assert r.outcome == Outcome.REFUSED and r.feedback.level == Level.ERROR
    assert r.feedback.en.startswith("The station stopped while the label of order 1003 was being sent")
    assert _jobs(f, "label") == ["failed"]  # nothing sent blindly
    _reprinted_with_f12(f)
    assert _jobs(f, "label") == ["failed", "done"]
    f.ctl.key("F9")
    assert f.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert _jobs(f, "label") == ["failed", "done"]
    f.close()


def _label_out_and_the_slip_waits(f: Floor) -> None:
    """SO-1003 at its Label step, the slip printer out of paper: F9, the label comes out and the slip waits."""
    f.ctl.scan("SO-1003")
    f.to_step(Step.LABEL)
    f.spool.slip_paper = False
    r = f.ctl.key("F9")
    assert (_jobs(f, "label"), _jobs(f, "slip")) == (["done"], ["held"])
    assert r.outcome == Outcome.HELD and r.feedback.level == Level.ERROR
    assert r.feedback.en == ("Slip printer: paper out. The packing slip prints by itself when the slip printer is "
                             "ready: stay with this parcel, the slip goes inside it.")


def test_a_parcel_whose_slip_waits_for_paper_is_not_packed_on_its_label_alone(floor):
    """The slip goes inside the parcel: the order was packed as soon as its label came out, with its slip still waiting
    for the slip printer's paper; the packer went on to the next parcel and the slip came out there (a QA helper's
    note, 2026-12-07). The order now stays at its Label step, nothing to press, until the slip is out."""
    _label_out_and_the_slip_waits(floor)
    assert _printed(floor, EventType.ORDER_COMPLETED) == 0
    assert floor.ctl.session.order_id == "SO-1003" and floor.ctl.session.step == Step.LABEL
    assert floor.ctl.next_key() is None
    assert [m.en for m in floor.ctl.blockers()] == [
        "the packing slip is with the printer: it comes out by itself when the printer is ready"]
    _paper_back(floor)
    assert floor.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert (_printed(floor, EventType.LABEL_PRINTED), _printed(floor, EventType.SLIP_PRINTED)) == (1, 1)


def test_a_slip_still_waiting_when_the_packer_leaves_is_withdrawn_and_f9_prints_it_alone(floor):
    """Leaving that order (another order's barcode) left its slip waiting: it would have come out at the next parcel.
    It is withdrawn, said; back at the order F9 is marked and prints the slip, not a second label."""
    _label_out_and_the_slip_waits(floor)
    floor.ctl.scan("SO-1001")
    assert ("The packing slip of order 1003 was still waiting for the printer: it is withdrawn, so it cannot come out "
            "at another parcel.") in floor.ctl.feedback.en
    assert _jobs(floor, "slip") == ["failed"]
    _paper_back(floor)
    assert _jobs(floor, "slip") == ["failed"] and _printed(floor, EventType.SLIP_PRINTED) == 0  # not at SO-1001
    floor.ctl.scan("SO-1003")
    assert floor.ctl.session.step == Step.LABEL and floor.ctl.next_key() == "F9"
    assert floor.ctl.feedback.en.endswith("Its packing slip did not print: press F9 to print it.")
    assert [m.en for m in floor.ctl.blockers()] == ["print the packing slip (F9)"]
    floor.ctl.key("F9")
    assert floor.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert (_jobs(floor, "label"), _jobs(floor, "slip")) == (["done"], ["failed", "done"])


def test_a_slip_waiting_across_a_restart_keeps_its_order_open_until_it_is_out(floor):
    """The station restarted with the label out and the slip waiting: the login does not pack the order (its slip is
    not out); F9 finds the slip with the printer and waits for it, no second label or slip."""
    _label_out_and_the_slip_waits(floor)
    f = floor.restart()
    r = f.login()
    assert _printed(f, EventType.ORDER_COMPLETED) == 0 and "packed" not in r.feedback.en
    assert f.ctl.session.order_id == "SO-1003" and f.ctl.session.step == Step.LABEL and f.ctl.next_key() == "F9"
    r = f.ctl.key("F9")
    assert r.outcome == Outcome.HELD and "slip goes inside it" in r.feedback.en and f.ctl.next_key() is None
    _paper_back(f)
    assert f.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert (_jobs(f, "label"), _jobs(f, "slip")) == (["done"], ["done"])
    f.close()


def test_a_station_without_a_slip_printer_packs_on_the_label(floor):
    """A slip printer configured `none:` held every slip for ever; with the parcel now waiting for its slip, such a
    station submits none and its label completes the order."""
    floor.spool.prints_slips = False
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    assert floor.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert (_jobs(floor, "label"), _jobs(floor, "slip")) == (["done"], [])
    assert floor.core.events.last(PAPERWORK).payload["slip_job"] is None


@pytest.mark.parametrize("found", [True, False])
def test_a_label_sent_in_full_just_before_a_crash_is_looked_for_not_printed_twice(floor, found):
    """kill -9 just after the label's last byte went to the printer (QA, a real TCP printer): the spool marks it
    `unconfirmed` (it most likely printed), and F9 after the restart sent a second label without a word — two labels
    for one parcel, no reprint recorded. F9 now says to look for it: found, F9 again goes on with it (its
    label_printed naming the packer, nothing sent); not there, F12 prints it again, recorded."""
    label, slip = _f9_held_back(floor)
    floor.spool._run(slip)  # the slip came out
    label.update(state="unconfirmed", message=Msg("It most likely printed. Look for it at the printer"))
    f = floor.restart()
    f.spool.auto = True
    f.login()
    assert f.ctl.session.order_id == "SO-1003" and f.ctl.session.step == Step.LABEL
    r = f.ctl.key("F9")
    assert r.outcome == Outcome.REFUSED and r.feedback.level == Level.ERROR, r.feedback.en
    assert r.feedback.en.startswith("The label of order 1003 was sent in full just before the station stopped: it "
                                    "most likely printed. Look for it at the printer."), r.feedback.en
    assert "请到打印机处查看" in r.feedback.text("zh_CN")
    assert "Found it: press F9 again" in r.feedback.en and "F12 prints it again" in r.feedback.en
    assert _jobs(f, "label") == ["unconfirmed"]  # nothing sent
    if found:
        f.ctl.key("F9")
        assert _jobs(f, "label") == ["done"]  # that one, found: no second label
        assert f.core.events.last(EventType.LABEL_PRINTED).operator_id == "op-k1"
    else:
        _reprinted_with_f12(f)
        assert _jobs(f, "label") == ["unconfirmed", "done"]
        f.ctl.key("F9")
        assert _jobs(f, "label") == ["unconfirmed", "done"]
    assert f.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    f.close()


def test_a_label_sent_again_after_a_printer_fault_says_which_it_replaces(floor):
    """The printer said paper out right after a label (the spool: failed, "check the printout and reprint"): F9 sent
    a new label with nothing recorded of the one before. Its paperwork event names the failed label and why."""
    label, slip = _f9_held_back(floor)
    floor.spool._run(slip)
    label.update(state="failed", error_state="after", message=Msg("Label printer: paper out."))
    floor.ctl.on_print_update(floor.spool.job(label["job_id"]))
    floor.spool.auto = True
    floor.ctl.key("F9")
    ev = floor.core.events.last(PAPERWORK)
    assert ev.payload["replaces"] == {"job_id": label["job_id"], "error": "after"}
    assert floor.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"


def test_f12_never_reprints_a_withdrawn_label_nor_one_of_a_cancelled_order(floor):
    """F12 on the queue 'reprinted' a label withdrawn before it printed (the order left at the label step): it came
    out away from its parcel, the order still paused. And a parcel whose order the OMS cancelled after it was packed
    got its label again, no word said."""
    floor.spool.label_paper = False
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    floor.ctl.key("Escape")  # left: its held label withdrawn
    assert _jobs(floor, "label") == ["failed"]
    floor.spool.label_paper = True
    assert floor.ctl.key("F12").outcome == Outcome.ASKED
    r = floor.ctl.key("1")
    assert r.outcome == Outcome.REFUSED and "withdrawn before it printed" in r.feedback.en, r.feedback.en
    assert _jobs(floor, "label") == ["failed"] and _printed(floor, EventType.REPRINT) == 0
    floor.ctl.scan("SO-1003")
    floor.ctl.key("F9")
    assert floor.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    floor.cache.set_status("SO-1003", "cancelled")
    assert floor.ctl.key("F12").outcome == Outcome.ASKED
    r = floor.ctl.key("1")
    assert r.outcome == Outcome.REFUSED and r.feedback.level == Level.STOP, r.feedback.en
    assert r.feedback.en == "STOP: order 1003 is cancelled. Do not ship: no label reprinted."
    assert _printed(floor, EventType.REPRINT) == 0


@pytest.mark.parametrize("slip_out", [True, False])
def test_the_next_order_scanned_while_f9_asks_the_oms_never_costs_a_second_label(floor, slip_out):
    """F9, then the next order's barcode at once (QA, keys at scanner speed): the label and slip were submitted after
    the switch and withdrawn unrecorded; the label had already come out, the slip was cancelled ("order left before
    its label came out"), the order never completed, and F9 back at it printed a second label. The paperwork is the
    order's all the same: the label that came out counts; a slip out too packs the order; a slip still waiting is
    withdrawn, and F9 back at the order prints it alone."""
    pending = []
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.ctl.run_io = lambda fn, done: pending.append((fn, done))
    floor.spool.slip_paper = slip_out
    assert floor.ctl.key("F9").outcome == Outcome.PENDING
    floor.ctl.scan("SO-1001")  # the next order, at once: its claim answers first
    fn, done = pending.pop()
    done(fn())
    assert floor.ctl.session.order_id == "SO-1001"
    fn, done = pending.pop()
    res = fn()  # then the OMS's answer to F9: the paperwork submitted, the printers print it at once (the spool's
    for j in list(floor.spool.jobs_):  # worker), before the answer reaches the controller's thread
        floor.spool.job(j["job_id"])
    done(res)
    assert _jobs(floor, "label") == ["done"]
    if slip_out:
        assert floor.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
        assert floor.ctl.session.order_id == "SO-1001"  # the order at work stays as it is
        return
    assert _jobs(floor, "slip") == ["failed"] and _printed(floor, EventType.ORDER_COMPLETED) == 0
    floor.spool.slip_paper = True
    floor.ctl.run_io = _sync_run
    floor.ctl.scan("SO-1003")
    floor.ctl.key("F9")
    assert _jobs(floor, "label") == ["done"]  # no second label
    assert _jobs(floor, "slip") == ["failed", "done"]
    assert floor.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"


def _sync_run(fn, done):
    done(fn())


def test_a_label_with_no_address_or_no_carrier_is_not_printed(settings):
    """QA: an order the OMS sent with an empty ship-to and no carrier printed a label with an empty "SHIP TO" block
    and carrier "-", and the order was marked packed. F9 now refuses, says what is missing and prints nothing; once
    the OMS sends them, F9 prints."""
    from floor_kit import make_order

    blank = make_order(1003, simple_order(1003).to_dict()["lines"], ship_to={"name": "", "city": ""})
    f = Floor(settings, [dataclasses.replace(blank, carrier="")])
    try:
        f.login()
        f.ctl.key("Enter")
        f.ctl.scan("SO-1003")
        f.to_step(Step.LABEL)
        r = f.ctl.key("F9")
        assert r.outcome == Outcome.REFUSED and r.feedback.level == Level.ERROR
        assert r.feedback.en == ("Order 1003 has no ship-to address and carrier from the OMS: its label cannot be "
                                 "printed. Set the parcel aside and tell a supervisor; F9 asks the OMS again.")
        assert "收货地址" in r.feedback.text("zh_CN"), r.feedback.text("zh_CN")
        assert f.spool.jobs_ == [] and _printed(f, EventType.ORDER_COMPLETED) == 0
        f.oms.changed["SO-1003"] = simple_order(1003)  # the OMS has them now
        f.ctl.key("F9")
        assert f.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    finally:
        f.close()


def test_a_slip_never_queued_because_the_station_stopped_after_its_label_keeps_the_order_open(floor):
    """kill -9 between F9's label and slip going into the spool (the chaos run: 6 orders in 500 kills). The paperwork
    event names both jobs (it is written first), the spool had only the label, which came out. At the next login the
    missing slip read as "this station prints no slip" and the order was packed, its parcel closed without its slip.
    Now it stays at work on its Label step with F9 marked, and F9 prints the slip alone."""
    _label_out_and_the_slip_waits(floor)
    slip = floor.core.events.last(PAPERWORK).payload["slip_job"]
    floor.spool.jobs_[:] = [j for j in floor.spool.jobs_ if j["job_id"] != slip]  # its row never written
    floor.spool.slip_paper = True
    f = floor.restart()
    r = f.login()
    assert _printed(f, EventType.ORDER_COMPLETED) == 0 and "packed" not in r.feedback.en
    assert f.ctl.session.order_id == "SO-1003" and f.ctl.session.step == Step.LABEL and f.ctl.next_key() == "F9"
    f.ctl.key("F9")
    assert f.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert (_jobs(f, "label"), _jobs(f, "slip")) == (["done"], ["done"])  # the slip printed, the label not again
    f.close()
