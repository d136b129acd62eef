"""The order's lifecycle at the packing station, on the controller without Qt: what is left of an order stopped,
set aside, short picked or weighed again, as another packer at the station, the log and the figures see it."""

from __future__ import annotations

import time

import pytest
from floor_kit import Floor, simple_order

from app.events import EventType
from app.workflow import Step
from floor import Level, Outcome, Screen


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


def _weighed_out_of_tolerance_and_accepted(f: Floor):
    """1003 (one 100 g unit) at the Weigh step: 900 g recorded, out of tolerance, accepted by a supervisor (F11)."""
    at_queue(f)
    f.ctl.scan("SO-1003")
    f.to_step(Step.WEIGH)
    f.weigh(900)
    f.ctl.record_weight()
    assert f.ctl.override("S-001", "999999", "heavy box").outcome == Outcome.DONE
    assert f.ctl.next_key() == "F9"
    return f.ctl.session


def test_after_a_supervisors_f11_another_weight_on_the_scale_does_not_mark_f9(floor):
    """A supervisor accepts 900 g (F11); the parcel is then put right or something else is put on the scale: 1500 g.
    F9 stayed marked and the line of what is left said nothing, but F9 records the weight on the scale and refused it
    (outside tolerance). Now no key is marked and the line says the scale reads another weight, outside."""
    s = _weighed_out_of_tolerance_and_accepted(floor)
    floor.weigh(1500)
    assert floor.ctl.next_key() is None
    left = [b.en for b in floor.ctl.blockers()]
    assert left == ["the scale now reads 1500 g, not the 900 g recorded, and is outside 100 ± 20 g: check the parcel"]
    assert "1500" in floor.ctl.blockers()[0].text("zh_CN") and "请检查包裹" in floor.ctl.blockers()[0].text("zh_CN")
    assert floor.ctl.key("F9").outcome == Outcome.REFUSED and floor.ctl.next_key() is None  # as said: nothing printed
    floor.weigh(105)  # put right: F8 records it (the 1500 g recorded was outside), then F9 prints
    assert floor.ctl.next_key() == "F8"
    floor.ctl.key("F8")
    assert floor.ctl.next_key() == "F9" and floor.ctl.blockers() == []
    floor.ctl.key("F9")
    assert s.step == Step.DONE and floor.core.events.last(EventType.WEIGHT_RECORDED).payload["grams"] == 105


def test_f10_at_the_weigh_step_checks_the_parcel_on_the_scale_as_f9_does(floor):
    """900 g accepted by a supervisor, then 1500 g on the scale: F10 completed the Weigh step on the 900 g, and F9 at
    the Label step printed the 1500 g parcel's label unchecked. F10 records the weight on the scale, as F9 does."""
    s = _weighed_out_of_tolerance_and_accepted(floor)
    floor.weigh(1500)
    assert floor.ctl.key("F10").outcome == Outcome.REFUSED and s.step == Step.WEIGH
    assert floor.core.events.last(EventType.WEIGHT_RECORDED).payload["grams"] == 1500


def test_a_supervisors_f11_accepts_the_parcel_on_the_scale_not_the_weight_recorded_before_it_changed(floor):
    s = _weighed_out_of_tolerance_and_accepted(floor)
    floor.weigh(1500)  # accepted again by the supervisor: this parcel, not the 900 g one
    r = floor.ctl.key("F11")
    assert r.outcome == Outcome.ASKED and "accept the weight of 1500 g" in r.feedback.en
    r = floor.ctl.override("S-001", "999999", "two mugs in it")
    assert r.outcome == Outcome.DONE and "1500 g" in r.feedback.en
    assert floor.ctl.next_key() == "F9"
    floor.ctl.key("F9")
    assert s.step == Step.DONE
    assert floor.core.events.last(EventType.OVERRIDE).payload["grams"] == 1500


def test_f11_with_the_parcel_put_right_after_an_override_needs_no_supervisor(floor):
    s = _weighed_out_of_tolerance_and_accepted(floor)
    floor.weigh(110)  # inside tolerance now: recorded, no form
    r = floor.ctl.key("F11")
    assert r.outcome == Outcome.DONE and floor.ctl.prompt is None and s.weight.grams == 110 and s.weight.ok
    assert floor.ctl.next_key() == "F9"


def _at_pack_without_the_gift(f: Floor):
    """1002 (L1 x2, L2 x1, L3 the thank-you card) picked with its gift short picked whole, at Pack: the session."""
    at_queue(f)
    f.ctl.scan("SO-1002")
    for code in ("ITEM-001", "ITEM-001", "ITEM-002"):
        f.ctl.scan(code)
    f.ctl.key("F2")
    f.ctl.scan("@@REASON:NOT_FOUND")
    s = f.ctl.session
    while s.step != Step.PACK:
        f.ctl.complete_step() if not s.blockers() else f.work_counting()
    return s


def test_f4_takes_back_a_gift_recorded_missing_at_pack_and_after_a_restart(floor):
    """Pack asks again for the thank-you card short picked whole; F2 then 4 records it missing (keyed by mistake: the
    card is on the gift shelf). F4 said "Nothing to undo in this step": the only way back was to scan the card, and a
    packer who believed F4 shipped a parcel whose slip lists the card as not in it. F4 now takes it back — the card is
    asked for again — also after a restart."""
    s = _at_pack_without_the_gift(floor)
    floor.ctl.key("2")
    floor.ctl.key("F2")
    floor.ctl.key("4")
    assert s.gift_missing("L3") and s.packed_qty("L3") == 0 and s.expected_weight[0] == 300
    r = floor.ctl.key("F4")
    assert r.outcome == Outcome.DONE
    assert r.feedback.en == "Undone: Thank-you card is not confirmed — put it in and scan it, or confirm it (F3)"
    assert not s.gift_ok("L3") and not s.gift_missing("L3")
    assert any("gift" in b.en for b in floor.ctl.blockers()) and floor.ctl.next_key() is None
    assert floor.ctl.key("F4").feedback.en == "Nothing to undo in this step."  # the carton is not undone
    floor.ctl.key("F2")
    floor.ctl.key("4")  # missing after all: recorded again, then the station restarts
    f2 = floor.restart()
    try:
        f2.login()
        s2 = f2.ctl.session
        assert s2.step == Step.PACK and s2.gift_missing("L3")
        assert f2.ctl.key("F4").outcome == Outcome.DONE and not s2.gift_ok("L3")
        f3 = f2.restart()
        try:  # the undo itself replayed
            f3.login()
            assert not f3.ctl.session.gift_ok("L3") and f3.ctl.complete_step().outcome == Outcome.BLOCKED
        finally:
            f3.close()
    finally:
        f2.close()


def test_an_order_set_aside_is_suspended_once_when_its_packer_logs_out(floor):
    """1001 set aside (1003 scanned: `step_suspended`, switched), then a logout: a second `step_suspended` for a step
    that stood suspended already. The next login brings both back, 1003 at work, 1001 set aside at its counts."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    floor.ctl.scan("SO-1003")
    floor.ctl.logout()
    assert [e.payload["reason"] for e in _events(floor, EventType.STEP_SUSPENDED, "SO-1001")] == ["switched"]
    assert [e.payload["reason"] for e in _events(floor, EventType.STEP_SUSPENDED, "SO-1003")] == ["logout"]
    floor.login()
    assert floor.ctl.session.order_id == "SO-1003" and set(floor.station.sessions) == {"SO-1001", "SO-1003"}
    floor.ctl.scan("SO-1001")
    assert floor.ctl.session.progress["L1"].scanned == 1


def _wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (v := pred()):
            return v
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def test_the_paperwork_event_comes_before_the_label_printed_it_names(floor, tmp_path):
    """F9's label and slip go to the spool from F9's work (off the GUI thread); its `paperwork` event was written when
    the answer came back to the GUI thread. A printer quicker than that (the spool's worker prints at once) put the
    label's `label_printed` in the log before the `paperwork` it belongs to. The real spool and a printer, the answer
    handed back only once the label is out: the paperwork is first."""
    from hardware.printing.connections import make_printer
    from hardware.printing.spool import PrintSpool

    printer = make_printer(f"simulated:{tmp_path / 'printed'}")
    spool = PrintSpool(floor.core, {"label_printer": printer, "slip_printer": printer}, poll_interval_s=0.2,
                       status_timeout_s=0.5)
    spool.start()
    try:
        def answered_after_the_label_is_out(work, done):
            res = work()
            if isinstance(res, tuple) and res[:1] == ("queued",):  # F9's: the label queued
                _wait_for(lambda: _events(floor, EventType.LABEL_PRINTED, "SO-1003"))
            done(res)

        floor.ctl.spool, floor.ctl.run_io = spool, answered_after_the_label_is_out
        at_queue(floor)
        floor.ctl.scan("SO-1003")
        floor.to_step(Step.LABEL)
        floor.ctl.key("F9")
        paperwork = _events(floor, "paperwork", "SO-1003")
        printed = _events(floor, EventType.LABEL_PRINTED, "SO-1003")
        assert len(paperwork) == 1 and len(printed) == 1
        assert paperwork[0].seq < printed[0].seq and paperwork[0].payload["label_job"] == printed[0].payload["job_id"]
        assert paperwork[0].operator_id == "op-k1"
        slip = paperwork[0].payload["slip_job"]
        _wait_for(lambda: (spool.job(slip) or {}).get("state") == "done")
        floor.ctl.on_print_update(spool.job(slip))
        assert floor.ctl.screen == Screen.QUEUE  # packed
    finally:
        spool.stop()


def _stops(f: Floor, order_id: str) -> list:
    return _events(f, EventType.ORDER_INTERCEPTED, order_id)


def _left_with_a_unit_in_the_tote(f: Floor) -> None:
    at_queue(f)
    f.ctl.scan("SO-1001")
    f.ctl.scan("ITEM-001")
    f.ctl.key("Escape")  # "paused" in the queue: its unit in the tote
    assert f.ctl.screen == Screen.QUEUE and f.ctl.queue_status(f.ctl.queue[0]) is not None


@pytest.mark.parametrize("status", ["cancelled", "held"])
def test_an_order_left_with_esc_that_the_oms_stops_is_said_with_what_to_put_back(floor, status):
    """1001 begun, a unit in the tote, left with Esc ("paused"); the OMS cancels (or holds) it. It left the queue
    without a word, its barcode said only "do not pick it", no stop was recorded (the figures' stopped orders and the
    OMS never heard of it) and it was never given back. Said at once in red with what to put back; its barcode shows
    its STOP, and Esc gives it back."""
    _left_with_a_unit_in_the_tote(floor)
    floor.cache.set_status("SO-1001", status)  # as the sync service marks it, then tells the station
    r = (floor.ctl.on_sync("order_cancelled", {"order_id": "SO-1001"}) if status == "cancelled"
         else floor.ctl.on_sync("picklists_changed", {"ids": ["SO-1001"]}))
    assert r.outcome == Outcome.STOPPED and floor.ctl.screen == Screen.QUEUE
    assert r.feedback.level == Level.ERROR and "Put back: 1 × SKU-001" in r.feedback.en
    assert "SO-1001" not in [p.id for p in floor.ctl.queue]
    assert [e.payload["status"] for e in _stops(floor, "SO-1001")] == [status]
    r = floor.ctl.scan("SO-1001")
    assert r.outcome == Outcome.STOPPED and floor.ctl.feedback.level == Level.STOP
    floor.ctl.key("Escape")
    assert len(_events(floor, EventType.PICKLIST_RELEASED, "SO-1001")) == 1 and len(_stops(floor, "SO-1001")) == 1


def test_an_order_left_with_esc_and_cancelled_while_nobody_was_logged_in_comes_back_stopped_at_the_next_login(floor):
    _left_with_a_unit_in_the_tote(floor)
    floor.ctl.logout()
    floor.cache.set_status("SO-1001", "cancelled")
    floor.ctl.on_sync("order_cancelled", {"order_id": "SO-1001"})  # nobody logged in: heard, nothing opens
    assert not floor.station.sessions
    floor.login("P-001", "1111")
    assert floor.ctl.session.order_id == "SO-1001" and floor.ctl.feedback.level == Level.STOP
    assert len(_stops(floor, "SO-1001")) == 1


def test_an_order_cancelled_while_the_station_was_down_has_its_stop_recorded_once(floor):
    """Cancelled while the station was off: it comes back stopped at the login, but its stop was never recorded (its
    cancelled pick list read as stopped already): the figures' stopped orders missed it."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    f2 = floor.restart()
    try:
        f2.cache.set_status("SO-1001", "cancelled")
        f2.login()
        assert f2.ctl.session.order_id == "SO-1001" and f2.ctl.feedback.level == Level.STOP
        assert [e.payload["status"] for e in _stops(f2, "SO-1001")] == ["cancelled"]
        f2.ctl.key("Escape")
        assert len(_stops(f2, "SO-1001")) == 1
    finally:
        f2.close()


@pytest.mark.parametrize("paper", [False, True])
def test_an_order_cancelled_while_f9_is_in_flight_keeps_its_stop_and_its_label_waiting_is_withdrawn(floor, paper):
    """F9: the OMS says 1003 ships, its label and slip are queued — and the poll brings its cancellation before F9's
    answer is back on the GUI thread. The answer then overwrote the STOP with "paper out: the label prints by itself
    when the printer is ready, stay with this parcel", and the label came out for the cancelled order when the paper
    was back. Now the STOP stays, what waits for the printer is withdrawn, and nothing that comes out later packs it."""
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.spool.paper = paper
    in_flight = []
    floor.ctl.run_io = lambda work, done: in_flight.append((work, done))
    floor.ctl.key("F9")
    work, done = in_flight.pop()
    answer = work()  # checked with the OMS (it ships), label and slip queued
    floor.cache.set_status("SO-1003", "cancelled")
    floor.ctl.on_sync("order_cancelled", {"order_id": "SO-1003"})
    done(answer)
    fb = floor.ctl.feedback
    assert fb.level == Level.STOP and fb.en.startswith("STOP: order 1003 was cancelled"), fb.en
    assert floor.ctl.next_key() == "Escape"
    if not paper:
        assert {j["state"] for j in floor.spool.jobs_} == {"failed"}  # withdrawn
        assert floor.spool.load_paper() == []  # nothing comes out when the paper is back
    for j in floor.spool.jobs_:
        floor.ctl.on_print_update(floor.spool.job(j["job_id"]))
    assert floor.ctl.feedback is fb and floor.ctl.session.step == Step.LABEL
    assert not _events(floor, EventType.ORDER_COMPLETED, "SO-1003")
    floor.ctl.key("Escape")
    assert len(_stops(floor, "SO-1003")) == 1


@pytest.mark.parametrize("news", ["claim_lost", "packed_elsewhere"])
def test_f12_reprints_no_label_of_an_order_that_stopped_at_the_parcel(floor, news):
    """1003's label is out, its slip waits for paper; the OMS gives the order to another station (or it was packed
    there). The STOP said not to pack it, yet F12 reprinted its label — a second label for a parcel that must not ship
    — since the cache did not read cancelled or held. F12 refuses it, in the STOP's words."""
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.spool.slip_paper = False
    floor.ctl.key("F9")
    assert floor.ctl.on_sync(news, {"order_id": "SO-1003"}).outcome == Outcome.STOPPED
    labels = [j for j in floor.spool.jobs_ if j["kind"] == "label"]
    r = floor.ctl.key("F12")
    assert r.outcome == Outcome.REFUSED and r.feedback.level == Level.STOP
    assert r.feedback.en.endswith("Do not ship: no label reprinted.") and floor.ctl.prompt is None
    assert floor.ctl.reprint("damaged").outcome == Outcome.REFUSED  # the reason keyed anyway (a reason barcode)
    assert [j for j in floor.spool.jobs_ if j["kind"] == "label"] == labels
    assert not _events(floor, EventType.REPRINT, "SO-1003")


def test_an_order_cancelled_while_the_station_was_down_comes_back_stopped_to_whoever_logs_in_first(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    f2 = floor.restart()  # a power cut with K-001's order at work
    try:
        f2.cache.set_status("SO-1001", "cancelled")
        f2.login("P-001", "1111")
        assert f2.ctl.session.order_id == "SO-1001" and f2.ctl.feedback.level == Level.STOP
        assert "Put back: 1 × SKU-001" in f2.ctl.feedback.en and len(_stops(f2, "SO-1001")) == 1
        f2.ctl.key("Escape")
        f2.ctl.logout()
        f2.login()
        assert f2.ctl.session is None and len(_events(f2, EventType.PICKLIST_RELEASED, "SO-1001")) == 1
    finally:
        f2.close()
