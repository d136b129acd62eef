"""The station flow on the controller, without Qt: each defect seen in the demo (issue 12) as a floor
scenario, driven through the same use cases the screens call."""

from __future__ import annotations

import pytest
from floor_kit import Floor, line, make_order, simple_order

from app.events import EventType
from app.workflow import Step
from floor import Change, Level, Outcome, Screen
from floor.controller import PAPERWORK


@pytest.fixture
def floor(settings):
    f = Floor(settings, [simple_order(1001), simple_order(1002, gift=True), simple_order(1003, (1,))])
    yield f
    f.close()


def at_queue(f: Floor, badge="K-001", pin="2222"):
    f.login(badge, pin)
    f.ctl.key("Enter")
    assert f.ctl.screen == Screen.QUEUE


def test_1_logout_on_a_finished_order_lands_on_login_and_nothing_opens_without_an_operator(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    assert floor.ctl.screen == Screen.QUEUE
    floor.ctl.scan("@@LOGOUT")
    assert floor.ctl.screen == Screen.LOGIN and floor.ctl.operator is None
    n = floor.core.events.count()
    r = floor.ctl.scan("SO-1001")  # an order barcode at the login screen opens nothing: it is said not to be a badge
    assert r.outcome == Outcome.REFUSED and floor.ctl.session is None
    assert floor.ctl.open_order("SO-1001").outcome == Outcome.REFUSED
    assert floor.ctl.key("F10").outcome == Outcome.REFUSED
    assert floor.core.events.count() == n and floor.oms.claims == ["SO-1003"]
    floor.login()
    assert floor.ctl.screen == Screen.CHECK  # not straight into an order


def test_1b_logout_mid_order_keeps_it_for_the_same_operator_only(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    floor.ctl.key("Logout")
    assert floor.ctl.screen == Screen.LOGIN and not floor.station.sessions
    sus = floor.core.events.last(EventType.STEP_SUSPENDED)
    assert sus.payload["reason"] == "logout" and sus.operator_id == "op-k1"
    floor.login("S-001", "999999")  # another operator: not dropped into someone else's order
    assert floor.ctl.screen == Screen.CHECK
    floor.ctl.logout()
    floor.login()
    assert floor.ctl.screen == Screen.WORK and floor.ctl.session.order_id == "SO-1001"
    assert floor.ctl.session.progress["L1"].scanned == 1


def test_2_supervisor_screen_has_a_way_back(floor):
    floor.login("S-001", "999999")
    floor.ctl.key("Enter")
    assert floor.ctl.show_supervisor().outcome == Outcome.DONE
    floor.ctl.key("Escape")
    assert floor.ctl.screen == Screen.QUEUE
    floor.ctl.show_supervisor()
    floor.ctl.scan("@@BACK")
    assert floor.ctl.screen == Screen.QUEUE
    floor.ctl.show_supervisor()
    floor.ctl.scan("@@LOGOUT")
    assert floor.ctl.screen == Screen.LOGIN


def test_2a_f7_at_an_open_order_says_where_the_figures_open(floor):
    """A supervisor at an order pressed F7 (the queue's key for the figures) and nothing happened."""
    floor.login("S-001", "999999")
    floor.ctl.key("Enter")
    floor.ctl.scan("SO-1001")
    r = floor.ctl.show_supervisor()
    assert r.outcome == Outcome.REFUSED and floor.ctl.screen == Screen.WORK
    assert r.feedback.text("en").startswith("The figures open from the order list: Esc")
    assert "Esc" in r.feedback.text("zh_CN") and "F7" in r.feedback.text("zh_CN") and "figures" not in r.feedback.text("zh_CN")
    floor.ctl.key("Escape")
    assert floor.ctl.show_supervisor().outcome == Outcome.DONE


def test_2c_a_persons_enter_acknowledges_a_red_panel(floor):
    """The red panel said "ACKNOWLEDGE (or scan again)" and named no key: Enter did nothing, Esc left the order."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("NO-SUCH-ITEM")
    assert floor.ctl.feedback is not None and floor.ctl.feedback.locked
    r = floor.ctl.key("Enter")
    assert not floor.ctl.feedback.locked and floor.ctl.screen == Screen.WORK and floor.ctl.session is not None
    assert r.feedback.text("en") == "Acknowledged — carry on." and r.feedback.text("zh_CN") == "已确认 — 继续。"
    assert floor.ctl.key("Enter").changes == Change.NONE  # nothing to acknowledge: nothing happens


def test_2e_pack_says_which_key_is_which_carton(floor):
    """Pack asked for "keys 1–5" and named no carton: which key was the bag was learnt by opening the list with a
    mouse the station does not have. The words name each key's carton, and the key the words name chooses it."""
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.PACK)
    said = [b.text("en") for b in floor.ctl.blockers()]
    assert "choose a carton: [1] S [2] M [3] L [4] XL [5] bag, or scan a carton barcode" in said
    assert "请选择纸箱：[1] S [2] M [3] L [4] XL [5] 袋子，或扫描纸箱条码" in [b.text("zh_CN") for b in floor.ctl.blockers()]
    r = floor.ctl.key("5")
    assert floor.ctl.session.carton == "BAG" and not any("carton" in b.text("en") for b in floor.ctl.blockers())
    assert r.feedback.text("en") == "Chosen: bag" and r.feedback.text("zh_CN") == "已选择：袋子"  # "Carton BAG"
    assert floor.ctl.key("2").feedback.text("en") == "Carton M (30×20×15)"  # a size keeps its measures


def test_2g_a_line_that_needs_its_lot_or_serial_says_so_before_the_scan(settings):
    """A lot line's plain EAN is refused in red ("needs its lot: scan the GS1 barcode…"), and nothing on the screen
    said so before: the line to scan read like any other. Now what is missing names the barcode it needs."""
    order = make_order(1010, [line(1, 2), line(2, 1, lot={"required": True}), line(3, 2, serial_required=True),
                              line(4, 1, lot={"required": True}, serial_required=True)])
    f = Floor(settings, [order])
    try:
        at_queue(f)
        f.ctl.scan("SO-1010")
        said = {b.text("en") for b in f.ctl.blockers()}
        assert said == {"scan 2 more × SKU-001 Item 1 BLUE / M",
                        "scan 1 more × SKU-002 Item 2 BLUE / M: the GS1 barcode with the lot",
                        "scan 2 more × SKU-003 Item 3 BLUE / M: each unit's GS1 barcode with its serial number",
                        "scan 1 more × SKU-004 Item 4 BLUE / M: each unit's GS1 barcode with its lot and serial number"}
        assert "还需扫描 1 × SKU-002 Item 2 BLUE / M：请扫带批号的 GS1 条码" in {b.text("zh_CN") for b in f.ctl.blockers()}
    finally:
        f.close()


def test_2f_the_override_form_says_what_the_supervisor_approves(floor):
    """F11 opened "Supervisor: badge, PIN and reason." and said nothing of what would be approved; at a counting step
    it counts the line at hand as complete, and the answer was "Supervisor … accepted it (ok)". Now the question names
    the line and its count, the answer says what was done; where nothing can be overridden F11 says so at once (it
    asked for a badge and a PIN first)."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")  # 1 of 2
    r = floor.ctl.key("F11")
    assert r.outcome == Outcome.ASKED and floor.ctl.prompt.line_id == "L1"
    assert r.feedback.text("en") == ("Supervisor: count all 2 of SKU-001 Item 1 as scanned (1 scanned)? All 2 go in "
                                     "the parcel; for units not found: Esc, then F2. Badge, PIN and reason.")
    assert r.feedback.text("zh_CN") == ("主管：将 SKU-001 Item 1 全部 2 件记为已扫描（已扫 1 件）？2 件全部装入包裹；"
                                        "没找到的：按 Esc，再按 F2。请刷工牌，输入密码和原因。")
    done = floor.ctl.override("S-001", "999999", "label torn")
    assert done.what == "force_line" and floor.core.events.last(EventType.OVERRIDE).payload["line_id"] == "L1"
    assert done.feedback.text("en") == "Supervisor Boss counted all 2 of SKU-001 as scanned (1 scanned): label torn."
    floor.to_step(Step.WEIGH)
    r = floor.ctl.key("F11")  # no weight recorded yet: nothing to accept
    assert r.outcome == Outcome.REFUSED and floor.ctl.prompt is None
    assert r.feedback.text("en") == "Record the weight first (F8): the override accepts a recorded weight."
    floor.weigh(5000)
    floor.ctl.key("F8")
    r = floor.ctl.key("F11")
    assert r.feedback.text("en").startswith("Supervisor: accept the weight of 5000 g (expected ")
    done = floor.ctl.override("S-001", "999999", "heavy box")
    assert done.what == "weight_mismatch"
    assert done.feedback.text("en") == "Supervisor Boss accepted the weight of 5000 g (heavy box)."
    from app import stats

    # the latest errors say the weight and what was expected (they said "heavy box", "")
    ev = floor.core.events.last(EventType.OVERRIDE)
    e = stats.error_entry(ev.ts_utc_ms, ev.station_id, ev.operator_id, ev.order_id, ev.type, ev.kind, ev.payload)
    assert e["what"] == "5000 g: heavy box" and e["expected"].endswith(" g") and " ± " in e["expected"]


def test_a_line_a_supervisor_counts_ships_whole_and_the_figures_count_it(floor):
    """F11 at a line whose barcode will not scan: the supervisor, seeing the units, counts all of them; the parcel, the
    label and the slip carry the whole line (a walkthrough read the old question "count … as complete with 0 of 1"
    as "ship none", and expected the slip to leave it out). The supervisor's figures count it as a line override:
    it was counted nowhere. Units not found are a short pick (F2), not this."""
    from app import stats

    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")  # 1 of 2; the other's label is torn
    floor.ctl.key("F11")
    assert floor.ctl.override("S-001", "999999", "label torn").outcome == Outcome.DONE
    s = floor.ctl.session
    assert s.packed_qty("L1") == 2 and s.short_units("L1") == 0
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    label = next(j for j in floor.spool.jobs_ if j["kind"] == "label")
    assert ("SKU-001", 2) in [(ln.sku, ln.qty) for ln in floor.spool.printed[label["job_id"]].lines]
    slip = next(j for j in floor.spool.jobs_ if j["kind"] == "slip")
    assert floor.spool.missing[slip["job_id"]] == []
    ev = floor.core.events.last(EventType.OVERRIDE)
    assert stats._error_type(ev.type, ev.kind) == "line_override"
    assert stats.ERROR_NAMES["line_override"] == "Line override"
    # the latest errors say what was approved: the line and its count (it said only the reason)
    e = stats.error_entry(ev.ts_utc_ms, ev.station_id, ev.operator_id, ev.order_id, ev.type, ev.kind, ev.payload)
    assert (e["error"], e["what"], e["expected"]) == ("line_override", "SKU-001 1/2: label torn", "")


def test_an_override_without_a_reason_is_refused_before_the_pin_is_tried(floor):
    """The form let a supervisor leave the reason empty, and the override was recorded with the reason "-" (shown
    "(-)"): an override is audited by why it was given. Refused now, with nothing recorded and no PIN try spent (the
    reason is checked first: a supervisor who forgot it is not one try nearer a lockout)."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.key("F11")
    for reason in ("", "   "):
        r = floor.ctl.override("S-001", "000000", reason)  # a wrong PIN too: the reason is what is said
        assert r.outcome == Outcome.REFUSED and floor.ctl.prompt is not None
        assert r.feedback.en == "Type the reason as well: an override is recorded with why it was given."
    assert floor.core.events.last(EventType.OVERRIDE) is None
    assert floor.core.events.last("login_failed") is None  # no PIN tried
    assert floor.ctl.override("S-001", "999999", "label torn").outcome == Outcome.DONE


def test_the_short_pick_form_counts_from_what_was_scanned_and_says_the_quantity_as_it_changes(floor):
    """The form's quantity found went down to 0 with one unit scanned: the short pick said "found 0 of 2" while the
    line showed 1 / 2 and the parcel held the scanned unit, so the check step then said "too many … put this one
    back". The least found is what was scanned (F4 takes a scanned unit back out first). And the amber question kept
    the quantity of when it opened ("found 3 of 12" beside a form at 11): it follows ↑/↓ now."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")  # L1 x2
    floor.ctl.scan("ITEM-001")
    assert floor.ctl.key("F2").feedback.en.startswith("Short pick SKU-001: found 1 of 2.")
    r = floor.ctl.key("Down")
    assert floor.ctl.prompt.found == 1 and r.feedback.en.startswith("Short pick SKU-001: found 1 of 2.")
    r = floor.ctl.key("4")
    assert r.outcome == Outcome.DONE and r.qty_found == 1
    assert floor.ctl.session.short_units("L1") == 1
    floor.ctl.key("F4")  # the short pick undone; the scan undone: the form goes down to 0
    floor.ctl.key("F4")
    floor.ctl.key("F2")
    r = floor.ctl.key("Down")
    assert floor.ctl.prompt.found == 0 and r.feedback.en.startswith("Short pick SKU-001: found 0 of 2.")
    floor.ctl.scan("ITEM-001")
    with pytest.raises(ValueError, match="already scanned"):  # the core refuses it too, whoever asks
        floor.ctl.session.short_pick("L1", "not_found", 0)


def test_a_bin_scanned_out_of_the_walk_is_the_line_the_short_pick_and_the_screen_are_about(settings):
    """QA walkthrough, order #50009: the packer went to a later line's bin and scanned its label; it was "Wrong bin",
    while the item scanned there counted. The bin now takes the packer to its line: green, and F2 asks about it."""
    f = Floor(settings, [make_order(1020, [line(1, 1, bin_barcode="BIN-A-01"), line(2, 2, bin_barcode="BIN-A-02")])])
    try:
        at_queue(f)
        f.ctl.scan("SO-1020")
        r = f.ctl.scan("BIN-A-02")
        assert r.outcome == Outcome.DONE and r.feedback.level == Level.OK
        assert r.feedback.en == "Bin A-02 confirmed: take Item 2" and Change.LINES in r.changes
        assert f.ctl.session.current_line().id == "L2"
        f.ctl.scan("ITEM-002")
        assert f.ctl.key("F2").feedback.en.startswith("Short pick SKU-002: found 1 of 2.")
    finally:
        f.close()


def keyed(floor, code: str, t: list[int], gap_ms: int = 180):
    """A person keying `code` at the work screen, one key every `gap_ms` (as WorkScreen forwards keys: 1–5 by name,
    any other character as "typed", each with when it was pressed)."""
    r = None
    for ch in code:
        t[0] += gap_ms * 10**6
        r = floor.ctl.key(ch if ch in "12345" else "typed", at_ns=t[0])
    return r


def test_a_code_keyed_by_hand_chooses_no_carton_and_records_no_short_pick(floor):
    """Keyed by hand at the pack step, "6900000000151" chose carton S (from its 1), and at the short-pick form
    "6900000000083" recorded a short pick "(Damaged)" (from its 3): the screen forwards a person's keys one by one
    (a scanner's burst is a scan), and 1–5 are choices there. A character key closer than 0.7 s to the one before
    is someone keying a code: not a choice, answered as typed keys are; a short pick its first key recorded is taken
    back. Keys pressed apart, or one key twice, still choose."""
    from floor.controller import TYPING_GAP_NS

    t = [10**12]
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.PACK)
    s = floor.ctl.session
    t[0] += 5 * 10**9
    floor.ctl.key("3", at_ns=t[0])
    assert s.carton == "L"
    t[0] += 5 * 10**9
    r = keyed(floor, "6900000000151", t)
    assert s.carton == "L" and r.outcome == Outcome.REFUSED and r.feedback.en.startswith("Typed keys are not counted")
    assert [e.payload["carton"] for e in floor.core.events.events(order_id="SO-1003", types=["carton_chosen"])] == ["L"]
    t[0] += 5 * 10**9
    r = keyed(floor, "4006381333931", t)  # its first key is a choice, said with the typing
    assert s.carton == "XL" and "The carton is XL" in r.feedback.en
    t[0] += TYPING_GAP_NS + 1
    floor.ctl.key("1", at_ns=t[0])  # apart: a choice
    t[0] += 100 * 10**6
    r = floor.ctl.key("1", at_ns=t[0])  # the same key twice: the same choice
    assert s.carton == "S" and r.outcome == Outcome.DONE
    t[0] += 200 * 10**6
    r = floor.ctl.key("2", at_ns=t[0])  # another within the gap: typing
    assert s.carton == "S" and r.outcome == Outcome.REFUSED

    floor.ctl.scan("SO-1001")  # L1 x2: the short-pick form
    floor.ctl.key("F2")
    r = keyed(floor, "6900000000083", t)
    assert floor.ctl.prompt is not None and floor.ctl.prompt.kind == "short_pick"
    assert floor.core.events.last(EventType.SHORT_PICK) is None and r.feedback.en.startswith("Typed keys")
    t[0] += 5 * 10**9
    r = keyed(floor, "3006381333931", t)  # its 3 recorded a short pick: taken back by the 0 that follows
    assert floor.ctl.session.short_units("L1") == 0 and "taken back" in r.feedback.en
    assert floor.core.events.last(EventType.UNDO).payload["undone"] == EventType.SHORT_PICK
    floor.ctl.key("F2")
    t[0] += 5 * 10**9
    assert floor.ctl.key("4", at_ns=t[0]).outcome == Outcome.DONE  # one key: the reason
    assert floor.ctl.session.short_units("L1") == 2


def test_2e_a_unit_found_after_its_short_pick_is_scanned_twice_into_the_parcel_and_its_paperwork(floor):
    """QA walkthrough J: 1 of 2 short picked, the second found: refused as "Too many… put this one back" (the packer's
    over-scan) and the parcel went out short. Its scan asks, its scan again puts it in; the order completes with all
    of it packed and the slip's lines count it."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")  # L1 x2
    s = floor.ctl.session
    code = s.picklist_lines["L1"].barcodes[0].code
    floor.ctl.scan(code)
    floor.ctl.key("F2")
    floor.ctl.key("4")  # a reason: 1 of 2 found
    assert s.short_units("L1") == 1
    r = floor.ctl.scan(code)
    assert r.outcome == Outcome.REFUSED and r.feedback.level == Level.ERROR
    assert "Found one more? Scan it again" in r.feedback.en
    assert "又找到一件？请再扫一次" in r.feedback.text("zh_CN")
    r = floor.ctl.scan(code)
    assert r.outcome == Outcome.DONE and r.feedback.level == Level.OK
    assert "found after its short pick: it goes in the parcel (2/2)" in r.feedback.en
    assert s.short_units("L1") == 0
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    done = floor.core.events.last(EventType.ORDER_COMPLETED)
    assert done.order_id == "SO-1001" and done.payload["units_packed"] == done.payload["units"] == 3


def test_2d_f9_before_the_label_step_says_what_comes_first_even_when_nothing_is_missing(floor):
    """F9 at a Pick step with every line scanned read "Labels print at the Label step; first:" and nothing more."""
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    s = floor.ctl.session
    for ln in s.picklist.lines:
        for _ in range(ln.qty):
            floor.ctl.scan(ln.barcodes[0].code)
    assert s.step == Step.PICK and not floor.ctl.blockers()
    r = floor.ctl.key("F9")
    assert r.outcome == Outcome.REFUSED
    assert r.feedback.text("en") == "Labels print at the Label step; first complete Pick (F10).", r.feedback.text("en")
    assert r.feedback.text("zh_CN") == "面单在面单步骤打印；请先完成拣货（F10）。"
    floor.ctl.scan("SO-1001")  # an order with lines left: what is missing is said
    assert "first: scan" in floor.ctl.key("F9").feedback.text("en")


def test_2b_packers_do_not_see_the_supervisor_figures(floor):
    at_queue(floor)
    assert floor.ctl.show_supervisor().outcome == Outcome.REFUSED and floor.ctl.screen == Screen.QUEUE


def test_3_a_line_short_picked_to_0_is_not_printed_as_shipped(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1001")  # L1 x2, L2 x1
    floor.ctl.scan("ITEM-001")
    floor.ctl.scan("ITEM-001")
    assert floor.ctl.key("F2").outcome == Outcome.ASKED
    floor.ctl.key("Down")  # found 0 (already 0)
    r = floor.ctl.scan("@@REASON:NOT_FOUND")
    assert r.outcome == Outcome.DONE and r.qty_found == 0 and r.reason == "not_found"
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    label = next(j for j in floor.spool.jobs_ if j["kind"] == "label")
    printed = floor.spool.printed[label["job_id"]]
    assert [(ln.sku, ln.qty) for ln in printed.lines] == [("SKU-001", 2)]
    assert printed.units == 2
    from hardware.printing.label import build_label

    text = build_label(printed).decode("latin-1")
    assert "SKU-002" not in text and "2 units" in text
    ev = floor.core.events.last(PAPERWORK)
    assert ev.payload["lines"] == [{"line_id": "L1", "sku": "SKU-001", "qty": 2}] and ev.payload["units"] == 2
    # what is missing is said, not just left out: on the slip, and in the event the OMS receives
    slip = next(j for j in floor.spool.jobs_ if j["kind"] == "slip")
    assert floor.spool.missing[slip["job_id"]] == [("SKU-002", 1)]
    assert ev.payload["not_in_parcel"] == [{"line_id": "L2", "sku": "SKU-002", "qty": 1}]
    # the order's last event says what it was and what went out (its `units` alone, 3, read as packed)
    done = floor.core.events.last(EventType.ORDER_COMPLETED)
    assert (done.payload["units"], done.payload["units_packed"]) == (3, 2)


def test_4_the_right_item_scanned_while_the_red_panel_is_up_is_counted(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    r = floor.ctl.scan("SIB-001")
    assert r.feedback.level == Level.ERROR and r.verdict.kind == "sibling_variant"
    r = floor.ctl.scan("ITEM-001")
    assert r.verdict.kind == "accepted" and floor.ctl.session.progress["L1"].scanned == 1
    assert not floor.ctl.feedback.locked


def test_5_nothing_of_a_previous_order_or_operator_is_shown(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    assert "packed" in floor.ctl.feedback.en  # on the queue
    floor.ctl.scan("SO-1001")
    fb = floor.ctl.feedback.en  # the next order starts clean: where to begin it, nothing of the last one
    assert fb.startswith(f"Order {floor.ctl.session.picklist.order_no} is open: Pick.") and "packed" not in fb
    assert fb.endswith(f"Start at bin {floor.ctl.session.current_line().bin}.")
    floor.ctl.scan("@@LOGOUT")
    assert floor.ctl.feedback is None
    floor.login()  # the order left open by the logout comes back, said as such; nothing of the packed one
    fb = floor.ctl.feedback.en
    assert fb.startswith(f"Order {floor.ctl.session.picklist.order_no} resumed where it was left") and "packed" not in fb


def test_6_the_previous_parcels_weight_never_counts_for_the_next(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    floor.ctl.scan("SO-1001")
    floor.to_step(Step.PACK)
    floor.ctl.key("1")
    floor.ctl.on_weight(300, True)  # the old parcel still on the scale, stable
    floor.ctl.key("F10")
    assert floor.ctl.session.step == Step.WEIGH
    floor.ctl.on_weight(300, True)
    wv = floor.ctl.weight_view()
    assert not wv.usable and not wv.in_tolerance
    assert floor.ctl.key("F8").outcome == Outcome.REFUSED and floor.ctl.session.weight is None
    floor.ctl.on_weight(0, True)  # taken off, the new parcel placed
    floor.ctl.on_weight(290, False)
    assert not floor.ctl.weight_view().usable
    floor.ctl.on_weight(301, True)
    assert floor.ctl.weight_view().in_tolerance
    assert floor.ctl.key("F8").outcome == Outcome.DONE and floor.ctl.session.weight.grams == 301


@pytest.mark.parametrize("accepted", [False, True])
def test_6d_f9_checks_the_weight_on_the_scale_not_one_recorded_before_the_parcel_changed(floor, accepted):
    """A weight recorded (in tolerance, or out of it and accepted by a supervisor with F11), then the parcel changes on
    the scale (something put in or taken out): F9 completed the step and printed on the old weight — a 9000 g parcel
    went out on the supervisor's 5000 g. F9 records the weight on the scale when it differs from the one recorded
    by more than the tolerance; out of tolerance, nothing prints and the override does not carry over."""
    at_queue(floor)
    floor.ctl.scan("SO-1003")  # one unit, 100 g
    floor.to_step(Step.WEIGH)
    s = floor.ctl.session
    expected, tol = s.expected_weight
    first = 5000 if accepted else expected
    floor.weigh(first)
    floor.ctl.key("F8")
    if accepted:
        assert floor.ctl.override("S-001", "999999", "heavy carton").outcome == Outcome.DONE
    floor.ctl.on_weight(9000, False)
    floor.ctl.on_weight(9000, True)
    r = floor.ctl.key("F9")
    assert r.outcome != Outcome.DONE and s.step == Step.WEIGH and not floor.spool.jobs_
    assert s.weight.grams == 9000 and not s.weight.ok and "9000" in floor.ctl.feedback.en
    floor.ctl.on_weight(expected, False)  # the parcel put right
    floor.ctl.on_weight(expected, True)
    floor.ctl.key("F9")
    assert s.step == Step.DONE and s.weight.grams == expected and floor.spool.jobs_  # packed


def test_6c_a_reading_that_is_not_a_number_is_no_weight_and_never_recorded(floor):
    """NaN or infinity from a scale driver: F8 said nothing useful and the weight event raised (it cannot be
    JSON); now the reading counts as no weight at all."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.to_step(Step.WEIGH)
    floor.weigh(300)
    assert floor.ctl.weight_view().usable
    for bad in (float("nan"), float("inf"), float("-inf"), "12 kg"):
        floor.ctl.on_weight(bad, True)
        wv = floor.ctl.weight_view()
        assert wv.grams is None and not wv.usable
        r = floor.ctl.key("F8")
        assert r.outcome == Outcome.REFUSED and "steady weight" in r.feedback.en
    assert floor.ctl.session.weight is None and floor.core.events.last(EventType.WEIGHT_RECORDED) is None
    floor.weigh(301)  # a real reading again
    assert floor.ctl.key("F8").outcome == Outcome.DONE and floor.ctl.session.weight.grams == 301


def test_6b_the_tick_shows_only_inside_tolerance(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.to_step(Step.WEIGH)
    floor.weigh(900)  # expected 300 ± 20
    wv = floor.ctl.weight_view()
    assert wv.usable and not wv.in_tolerance


def test_7b_offline_the_order_opens_with_where_to_start_and_that_the_claim_is_provisional(floor):
    at_queue(floor)
    floor.oms.online = False
    floor.ctl.scan("SO-1001")
    en = floor.ctl.feedback.en
    assert en.startswith(f"Order {floor.ctl.session.picklist.order_no} is open: Pick. Start at bin ")
    assert en.endswith("claimed.")  # the stand-in OMS's word for a provisional claim follows


def test_7b2_an_order_scanned_while_a_slow_oms_answers_its_claim_is_said_at_once(floor):
    """A slow OMS (QA: every reply 8 s late through a proxy): the order's barcode scanned on the queue, and for the
    claim's 2-5 s the screen said nothing at all (the scan seemed lost, and was scanned again). Said at once; the
    order opens when the OMS answers."""
    at_queue(floor)
    pending = []
    floor.ctl.run_io = lambda fn, done: pending.append((fn, done))
    r = floor.ctl.scan("SO-1001")
    order_no = floor.cache.get("SO-1001").order_no
    assert r.outcome == Outcome.PENDING and floor.ctl.session is None
    assert floor.ctl.feedback.en == f"Opening order {order_no}: asking the OMS…"
    assert floor.ctl.feedback.text("zh_CN") == f"正在打开订单 {order_no}：正在询问 OMS…"
    assert floor.ctl.scan("SO-1002").feedback.en == "An order is being opened: one moment."
    fn, done = pending.pop()
    done(fn())
    assert floor.ctl.session.order_id == "SO-1001" and floor.ctl.feedback.en.startswith(f"Order {order_no} is open")


def test_7b3_an_item_scanned_before_a_slow_oms_answers_the_claim_counts_once_the_order_opens(floor):
    """The packer scans the order, then at once its first item; the OMS answers the claim a second later. The item
    read "No order is open: scan an order's barcode first", counted as the packer's error (no_order) and was lost.
    It is held, said, and counted once the order opens; when the claim is refused, nothing of it counts."""
    at_queue(floor)
    pending = []
    floor.ctl.run_io = lambda fn, done: pending.append((fn, done))
    floor.ctl.scan("SO-1001")
    order_no = floor.cache.get("SO-1001").order_no
    n = floor.core.events.count()
    r = floor.ctl.scan("ITEM-001")
    assert r.outcome == Outcome.PENDING and floor.ctl.feedback.level == Level.INFO
    assert floor.ctl.feedback.en == f"Opening order {order_no}: that scan counts once it is open."
    assert floor.ctl.feedback.text("zh_CN") == f"正在打开订单 {order_no}：订单打开后，这次扫描即计入。"
    assert floor.core.events.count() == n  # no no_order scan recorded against the packer
    fn, done = pending.pop()
    done(fn())
    s = floor.ctl.session
    assert s.order_id == "SO-1001" and s.progress["L1"].scanned == 1
    assert floor.core.events.last(EventType.SCAN).kind == "accepted"
    assert floor.ctl.feedback.level == Level.OK
    assert not [e for e in floor.core.events.events(types=[EventType.SCAN]) if e.kind == "no_order"]
    # refused: the held scans are said not counted, and none is recorded
    floor.ctl.key("Escape")
    floor.oms.cancelled.add("SO-1002")  # the OMS refuses its claim
    floor.ctl.scan("SO-1002")
    floor.ctl.scan("ITEM-002")
    floor.ctl.scan("ITEM-002")
    n = len(floor.core.events.events(types=[EventType.SCAN]))
    fn, done = pending.pop()
    done(fn())
    assert floor.ctl.session is None or floor.ctl.session.order_id != "SO-1002"
    assert floor.ctl.feedback.level == Level.ERROR and floor.ctl.feedback.en.endswith(
        "2 scans made meanwhile were not counted.")
    assert len(floor.core.events.events(types=[EventType.SCAN])) == n


def test_7b4_an_order_number_the_station_does_not_hold_is_said_as_such_not_as_no_order_open(floor):
    """On the queue, an order's barcode the station has not pulled (or a typo) read "No order is open: scan an
    order's barcode first (SO-9999)" — to a packer who had just scanned one. A product of the catalogue there still
    reads "no order is open"."""
    at_queue(floor)
    floor.station.catalog.build()  # indexed (the window builds it on a worker after the login screen shows)
    r = floor.ctl.scan("SO-9999")
    assert r.outcome == Outcome.REFUSED and floor.ctl.feedback.level == Level.ERROR
    assert floor.ctl.feedback.en == ("No order SO-9999 on this station's list: check the barcode. A new order comes "
                                     "with the next sync.")
    assert "SO-9999" in floor.ctl.feedback.text("zh_CN") and "同步" in floor.ctl.feedback.text("zh_CN")
    floor.ctl.scan("MUG-001")  # a product of the catalogue
    assert floor.ctl.feedback.en == "No order is open: scan an order's barcode first (MUG-001)."


def test_7c_a_provisional_claim_the_oms_confirms_is_said_in_place_of_provisional(floor):
    """Back online, the panel still said "OMS offline: claimed provisionally" minutes after the OMS had confirmed
    the claim. The confirmation replaces that message, and only that one (a verdict on screen stays)."""
    at_queue(floor)
    floor.oms.online = False
    floor.ctl.scan("SO-1001")
    order_no = floor.ctl.session.picklist.order_no
    floor.ctl.on_sync("claim_confirmed", {"order_id": "SO-1002"})  # another order: nothing changes
    assert floor.ctl.feedback.en.endswith("claimed.")
    floor.ctl.on_sync("claim_confirmed", {"order_id": "SO-1001"})
    assert floor.ctl.feedback.en == f"The OMS confirmed order {order_no} for this station."
    assert floor.ctl.feedback.text("zh_CN") == f"OMS 已确认订单 {order_no} 由本工作站处理。"
    floor.ctl.key("Escape")
    floor.ctl.scan("SO-1003")
    floor.ctl.scan("ITEM-001")  # a verdict on the panel is not replaced by a later confirmation
    said = floor.ctl.feedback
    floor.ctl.on_sync("claim_confirmed", {"order_id": "SO-1003"})
    assert floor.ctl.feedback is said


def test_7_a_finished_order_leaves_the_queue_at_once_online_or_offline(floor):
    at_queue(floor)
    for oid, online in (("SO-1003", True), ("SO-1001", False)):
        floor.oms.online = online
        floor.ctl.scan(oid)
        floor.to_step(Step.LABEL)
        floor.ctl.key("F9")
        assert floor.ctl.screen == Screen.QUEUE
        assert oid not in [p.id for p in floor.ctl.queue]
        r = floor.ctl.open_order(oid)  # Enter on it (were it still listed) does not reopen it
        assert r.outcome == Outcome.REFUSED and floor.ctl.screen == Screen.QUEUE
    # the OMS list refresh says "claimed" again before the events reached it: still not in the queue
    pl = floor.cache.get("SO-1003")
    import dataclasses

    floor.cache.upsert([(dataclasses.replace(pl, status="claimed"), None)])
    floor.ctl.refresh_queue()
    assert "SO-1003" not in [p.id for p in floor.ctl.queue]


def test_7d_an_order_of_which_nothing_was_found_is_handed_back_never_labelled_and_stays_out_of_the_queue(floor):
    """Seen on the demo: SO-1008 short picked whole (F2, 4 on each line) went on through Check and Pack to the scale,
    where the empty carton weighed in tolerance and F9 would have printed a carrier label for an empty box."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    order_no = floor.ctl.session.picklist.order_no
    floor.ctl.key("F2")
    floor.ctl.key("4")
    assert not floor.ctl.session.nothing_found and floor.ctl.feedback.level == Level.INFO
    floor.ctl.key("F2")
    floor.ctl.key("4")  # the second and last line: nothing of the order found
    fb = floor.ctl.feedback
    assert fb.level == Level.HINT
    assert fb.en.endswith(f"Nothing of order {order_no} was found: there is nothing to pack and no label to print. "
                          "Press Esc to hand it back to the OMS.")
    assert "订单" in fb.text("zh_CN") and "Esc" in fb.text("zh_CN")
    assert floor.ctl.next_key() == "Escape"  # the key drawn in the primary colour
    assert [b.en for b in floor.ctl.blockers()] == [
        "nothing of this order was found: nothing to pack, no label (Esc hands it back to the OMS)"]
    r = floor.ctl.key("F10")
    assert r.outcome == Outcome.BLOCKED and r.feedback.en.startswith(f"Nothing of order {order_no} was found")
    floor.ctl.key("F9")
    assert floor.ctl.session.step == Step.PICK and floor.ctl.screen == Screen.WORK
    floor.ctl.key("Escape")
    assert floor.ctl.screen == Screen.QUEUE
    assert floor.ctl.feedback.en == f"Order {order_no} handed back to the OMS: nothing of it was found, nothing was packed."
    assert "SO-1001" not in [p.id for p in floor.ctl.queue]
    released = floor.core.events.last(EventType.PICKLIST_RELEASED)
    assert released.order_id == "SO-1001" and released.kind == "nothing_found"
    assert floor.spool.jobs_ == [] and floor.core.events.last(EventType.ORDER_COMPLETED) is None
    r = floor.ctl.open_order("SO-1001")  # its barcode scanned again
    assert r.outcome == Outcome.REFUSED
    assert floor.ctl.feedback.en == f"Order {order_no} was handed back to the OMS: nothing of it was found."

    f2 = floor.restart()  # and after a restart: not back in the queue, not resumed at the login
    try:
        at_queue(f2)
        assert f2.ctl.session is None
        assert "SO-1001" not in [p.id for p in f2.ctl.queue] and "SO-1002" in [p.id for p in f2.ctl.queue]
        assert f2.ctl.open_order("SO-1001").outcome == Outcome.REFUSED
        assert "handed back" in f2.ctl.feedback.en
    finally:
        f2.close()


def test_7d2_items_short_picked_whole_hand_the_order_back_without_asking_for_its_gift(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1002")  # two item lines and a thank-you card
    for _ in range(2):
        floor.ctl.key("F2")
        floor.ctl.key("1")
    assert floor.ctl.session.current_line().gift  # the card is not picked...
    assert "Press Esc to hand it back to the OMS." in floor.ctl.feedback.en  # ...and not asked for: no parcel
    assert floor.ctl.next_key() == "Escape"
    floor.ctl.key("Escape")
    assert floor.core.events.last(EventType.PICKLIST_RELEASED).kind == "nothing_found"


def test_7e_the_label_goes_to_the_address_and_carrier_the_oms_has_when_it_prints(floor):
    """The order was opened with one address and carrier; the customer changed the address and the OMS the carrier
    before F9. The label and slip go to the new ones, the header shows them, the packer is told to put the parcel
    with the new carrier's, and the paperwork event says what changed. (Wrong address 2.1, wrong carrier 1.7 per
    thousand orders in the field notes.)"""
    import dataclasses

    from app.picklist import ShipTo

    at_queue(floor)
    floor.ctl.scan("SO-1003")
    opened = floor.ctl.session.picklist
    new_to = ShipTo(name="Li Lei", address_lines=("8 Century Avenue",), city="Shanghai", postcode="200120",
                    country="CN", warnings=("address changed after payment",))
    floor.oms.changed["SO-1003"] = dataclasses.replace(floor.cache.get("SO-1003"), ship_to=new_to, carrier="JD",
                                                       service="express")
    floor.to_step(Step.LABEL)
    floor.changes.clear()
    floor.ctl.key("F9")
    label, slip = (j["job_id"] for j in floor.spool.jobs_)
    for job in (label, slip):
        pl = floor.spool.printed[job]
        assert (pl.ship_to, pl.carrier, pl.service) == (new_to, "JD", "express")
        assert [(ln.sku, ln.qty) for ln in pl.lines] == [(ln.sku, ln.qty) for ln in opened.lines]  # as packed
    assert any(c & Change.ORDER for c in floor.changes)  # the header re-read the order
    fb = floor.ctl.feedback
    # another carrier: said first and in red (in amber after "packed" it went unseen, QA): the parcel goes elsewhere
    assert fb.level == Level.ERROR and fb.en == (
        f"The OMS changed the address of order "
        f"{opened.order_no} after it was opened: the label has the new one (Li Lei, 8 Century Avenue, Shanghai, "
        f"200120, CN). The OMS changed the carrier of order {opened.order_no} to JD express: put the parcel with "
        f"JD's parcels. Check the address: address changed after payment. Order {opened.order_no} is packed. Scan the "
        f"next order.")  # the OMS's warning on the new address, added since the order was opened, is said too
    assert "加急" in fb.text("zh_CN") and "JD" in fb.text("zh_CN")
    paperwork = floor.core.events.last(PAPERWORK)
    assert paperwork.payload["destination_changed"] == ["address", "carrier"]

    floor.ctl.scan("SO-1001")  # the next order, same address: nothing recorded of a destination
    floor.oms.changed["SO-1001"] = dataclasses.replace(floor.cache.get("SO-1001"), ship_to=dataclasses.replace(
        floor.cache.get("SO-1001").ship_to, warnings=("call before delivery",)))  # a warning alone: same address
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    # its new warning is said (amber), as the warning of an order opened with one is: QA, it was silent
    assert floor.ctl.feedback.level == Level.HINT and floor.ctl.feedback.en.startswith(
        "Check the address: call before delivery.") and floor.ctl.feedback.en.endswith("Scan the next order.")
    assert "destination_changed" not in floor.core.events.last(PAPERWORK).payload


def test_7e2_an_oms_reply_without_an_address_or_carrier_does_not_blank_the_label(floor, caplog):
    import dataclasses

    from app.picklist import ShipTo

    at_queue(floor)
    floor.ctl.scan("SO-1003")
    opened = floor.ctl.session.picklist
    floor.oms.changed["SO-1003"] = dataclasses.replace(floor.cache.get("SO-1003"), ship_to=ShipTo(country="CN"),
                                                       carrier="")
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    pl = floor.spool.printed[floor.spool.jobs_[0]["job_id"]]
    assert (pl.ship_to, pl.carrier) == (opened.ship_to, opened.carrier) and opened.ship_to.name
    assert floor.ctl.feedback.level == Level.OK
    assert "destination_changed" not in floor.core.events.last(PAPERWORK).payload
    said = [r.getMessage() for r in caplog.records if r.name == "floor.paperwork"]
    assert any("no name or no address" in m for m in said) and any("carrier is empty" in m for m in said)


def test_7f_an_order_whose_items_the_oms_changed_is_stopped_at_the_label_not_printed(floor):
    """The parcel holds what the order was when it was opened; the OMS has since changed its items (a line more, a
    quantity): no label and slip for the old content. Stopped as a held order is: what to put back, then Esc."""
    import dataclasses

    at_queue(floor)
    floor.ctl.scan("SO-1001")
    order_no = floor.ctl.session.picklist.order_no
    floor.to_step(Step.LABEL)
    cached = floor.cache.get("SO-1001")
    floor.oms.changed["SO-1001"] = dataclasses.replace(
        cached, lines=(dataclasses.replace(cached.lines[0], qty=1), *cached.lines[1:]))  # 2 of SKU-001 -> 1
    r = floor.ctl.key("F9")
    assert floor.spool.jobs_ == []
    assert r.outcome == Outcome.STOPPED and floor.ctl.feedback.level == Level.STOP
    assert floor.ctl.feedback.en.startswith(f"STOP: order {order_no} was changed by the OMS. Do not pack it. Put back: "
                                            "2 × SKU-001 Item 1")
    assert "已被 OMS 更改" in floor.ctl.feedback.text("zh_CN")
    ev = floor.core.events.last(EventType.ORDER_INTERCEPTED)
    assert ev.order_id == "SO-1001" and ev.kind == "changed"
    floor.ctl.key("Escape")
    assert floor.ctl.screen == Screen.QUEUE and "SO-1001" not in [p.id for p in floor.ctl.queue]
    floor.ctl.scan("SO-1001")  # given back at its STOP, not packed (it said "already packed")
    assert floor.ctl.feedback.en == "Order 1001 was stopped by the OMS and given back at its STOP: do not pick it."

    floor.ctl.scan("SO-1003")  # names, pictures, barcodes of the same lines are not a change
    floor.to_step(Step.LABEL)
    cached = floor.cache.get("SO-1003")
    floor.oms.changed["SO-1003"] = dataclasses.replace(
        cached, lines=tuple(dataclasses.replace(ln, name=ln.name + " (new photo)") for ln in cached.lines))
    floor.ctl.key("F9")
    assert floor.ctl.feedback.level == Level.OK and len(floor.spool.jobs_) == 2


def test_8_paper_out_at_the_label_step_keeps_the_packer_at_the_parcel(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.spool.paper = False
    r = floor.ctl.key("F9")
    assert r.outcome == Outcome.HELD and floor.ctl.screen == Screen.WORK
    assert "paper out" in r.feedback.en and floor.ctl.session.step == Step.LABEL
    assert r.feedback.en.startswith("Label printer: paper out. The label prints by itself")  # two sentences
    # the line of what is left said "print the label and the slip (F9)" and the F9 button was marked
    said = [b.text("en") for b in floor.ctl.blockers()]
    assert said == ["the label and the slip are with the printer: they come out by themselves when it is ready"]
    assert floor.ctl.next_key() is None and "F9" not in " ".join(b.text("zh_CN") for b in floor.ctl.blockers())
    assert floor.ctl.scan("@@COMPLETE").outcome != Outcome.DONE or floor.ctl.session.step == Step.LABEL
    r = floor.ctl.key("F12")  # reprint while held: a plain answer, no exception
    assert r.outcome == Outcome.ASKED
    r = floor.ctl.scan("@@REPRINT:DAMAGED")
    assert r.outcome == Outcome.REFUSED and "prints by itself" in r.feedback.en
    for job in floor.spool.load_paper():
        floor.ctl.on_print_update(job)
    assert floor.ctl.screen == Screen.QUEUE and floor.core.events.last(EventType.ORDER_COMPLETED)


def test_7g_the_short_pick_form_follows_the_scans_and_never_says_all_found(floor):
    """Found with the controller: F2 on a line of 2, then a unit found and scanned: the form still said "found 0 of
    2"; Up went to "2 of 2" and 1–4 recorded a short pick of nothing short (qty_found 2 of 2), the line left at 1/2."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.key("F2")
    assert (floor.ctl.prompt.found, floor.ctl.prompt.max_qty) == (0, 2)
    floor.ctl.scan("ITEM-001")  # one found after all, scanned while the form is up
    assert floor.ctl.prompt.found == 1
    for _ in range(3):
        floor.ctl.key("Up")
    assert floor.ctl.prompt.found == 1  # at most one less than ordered
    floor.ctl.key("F4")  # undone: the form follows
    assert floor.ctl.prompt.found == 0
    floor.ctl.key("Up")  # one found, not scanned (the check step will count it)
    floor.ctl.scan("ITEM-002")  # another line's unit: the form is left as it is
    assert floor.ctl.prompt.found == 1
    floor.ctl.key("Down")
    floor.ctl.scan("ITEM-001")
    floor.ctl.key("2")
    ev = floor.core.events.last(EventType.SHORT_PICK)
    assert (ev.payload["qty_found"], ev.payload["qty_required"]) == (1, 2)
    assert floor.ctl.session.progress["L1"].complete
    floor.ctl.key("Escape")

    floor.ctl.scan("SO-1003")
    floor.ctl.key("F2")
    floor.ctl.scan("ITEM-001")  # the only unit, found: nothing is short, the form closes
    assert floor.ctl.prompt is None and floor.ctl.session.progress["L1"].complete
    with pytest.raises(ValueError):
        floor.ctl.session.short_pick("L1", "damaged", qty_found=1)  # all of it: no short pick


def test_7h_a_gift_confirmed_at_pick_is_checked_again_at_the_check_step(floor):
    """Missing gifts are the floor's most common error (4.5 per thousand orders). F3 pressed at Pick confirmed the card
    for the check step too, so the checker was never asked for it; a scan counts for one step only, and so now does
    a confirmation. At Pack, a gift confirmed there (from the gift shelf) still counts for the whole parcel."""
    at_queue(floor)
    floor.ctl.scan("SO-1002")
    assert floor.ctl.key("F3").outcome == Outcome.DONE
    for code in ("ITEM-001", "ITEM-001", "ITEM-002"):
        floor.ctl.scan(code)
    floor.ctl.key("F10")
    assert floor.ctl.session.step == Step.VERIFY
    for code in ("ITEM-001", "ITEM-001", "ITEM-002"):
        floor.ctl.scan(code)
    r = floor.ctl.key("F10")
    assert r.outcome == Outcome.BLOCKED and "SKU-003 Thank-you card" in r.feedback.en
    assert floor.ctl.key("F3").outcome == Outcome.DONE  # the checker confirms it
    floor.ctl.key("F10")
    assert floor.ctl.session.step == Step.PACK
    assert not any("gift" in b.en for b in floor.ctl.blockers())


def _label_waits_for_paper(floor, order="SO-1003"):
    floor.ctl.scan(order)
    floor.to_step(Step.LABEL)
    floor.spool.paper = False
    assert floor.ctl.key("F9").outcome == Outcome.HELD


def _paper_back(floor):
    for job in floor.spool.load_paper():
        floor.ctl.on_print_update(job)


def test_7i_a_short_pick_keyed_by_mistake_is_undone_with_f4_and_the_parcel_is_whole(floor):
    """Found with the controller: F2 and a reason pressed on the wrong line could not be taken back. F4 undid only
    scans, the unit on the shelf was refused ("Too many ... Put this one back") and the parcel went out short, its
    slip listing a unit that was in reach. F4 now takes back the last short pick of the step too, last first."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")  # L1 x2, L2 x1
    floor.ctl.scan("ITEM-001")
    floor.ctl.key("F2")
    r = floor.ctl.key("4")  # L1: found 1 of 2, "not found" — keyed by mistake
    assert r.outcome == Outcome.DONE and r.feedback.text("en").endswith("F4 undoes it.")
    assert r.feedback.text("zh_CN").endswith("按 F4 可撤销。")
    short = floor.core.events.last(EventType.SHORT_PICK)
    r = floor.ctl.scan("ITEM-001")  # the shelf's unit: too many while the short pick stands, and said why
    assert r.outcome == Outcome.REFUSED
    assert r.feedback.text("en") == ("Too many: Item 1 was short picked (1 of 2 found), already 1. Found one more? Scan "
                                     "it again: it goes in the parcel. Else put it back.")
    r = floor.ctl.key("F4")
    assert r.outcome == Outcome.DONE and r.feedback.level == Level.INFO
    assert r.feedback.text("en") == "Undone: the short pick of Item 1 — count it again (1/2)"
    assert r.feedback.text("zh_CN") == "已撤销 Item 1 的缺货记录——请重新清点（1/2）"
    undo = floor.core.events.last(EventType.UNDO)
    assert undo.payload["undone_seq"] == short.seq and undo.payload["undone"] == "short_pick"
    lp = floor.ctl.session.progress["L1"]
    assert (lp.scanned, lp.short_qty, lp.complete) == (1, 0, False)
    assert floor.ctl.scan("ITEM-001").verdict.kind == "accepted"
    # last first: a scan made after a short pick is undone before it
    floor.ctl.key("F2")
    floor.ctl.key("2")  # L2: found 0 of 1
    floor.ctl.scan("ITEM-001")  # refused (L1 complete): nothing counted, nothing to undo
    assert floor.ctl.key("F4").feedback.text("en").startswith("Undone: the short pick of Item 2")
    assert floor.ctl.key("F4").feedback.text("en") == "Undone: Item 1 -1"
    floor.ctl.scan("ITEM-001")

    floor = floor.restart()  # replayed: the short pick and its undo
    floor.login()
    assert [floor.ctl.session.progress[x].short_qty for x in ("L1", "L2")] == [0, 0]
    assert floor.ctl.key("F4").feedback.text("en") == "Undone: Item 1 -1"  # the stack survives a restart
    floor.ctl.scan("ITEM-001")
    floor.ctl.scan("ITEM-002")
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    slip = next(j for j in floor.spool.jobs_ if j["kind"] == "slip")
    assert floor.spool.missing[slip["job_id"]] == []  # nothing said missing: the parcel is whole
    assert floor.core.events.last(PAPERWORK).payload["units"] == 3
    floor.close()


def test_7i2_all_short_picked_then_one_undone_is_no_longer_handed_back(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1003")  # L1 x1
    floor.ctl.key("F2")
    r = floor.ctl.key("3")
    assert floor.ctl.session.nothing_found and floor.ctl.next_key() == "Escape", r.feedback.text("en")
    floor.ctl.key("F4")
    assert not floor.ctl.session.nothing_found and floor.ctl.next_key() != "Escape"
    assert floor.ctl.scan("ITEM-001").verdict.kind == "accepted"
    assert floor.ctl.key("F10").outcome == Outcome.DONE


def test_8b_a_label_waiting_for_paper_is_withdrawn_when_the_packer_opens_another_order(floor):
    """Seen with the controller: the packer of SO-1003 (label held, paper out) scanned SO-1001 and began picking it;
    when the paper came back, 1003's label came out at the 1001 parcel in front of the packer, and the screen jumped
    from 1001's lines to the queue ("Order 1003 is packed"). The label waiting for paper is withdrawn instead."""
    at_queue(floor)
    _label_waits_for_paper(floor)
    floor.ctl.scan("SO-1001")
    fb = floor.ctl.feedback
    assert fb.level == Level.HINT and fb.en.endswith(
        "The label of order 1003 was still waiting for the printer: it is withdrawn, so it cannot come out at another "
        "parcel. Open the order again and press F9 to print it.")
    assert "1003" in fb.text("zh_CN") and "F9" in fb.text("zh_CN")
    floor.ctl.scan("ITEM-001")
    said = floor.ctl.feedback
    _paper_back(floor)
    assert [j["state"] for j in floor.spool.jobs_] == ["failed", "failed"]  # nothing came out
    assert floor.ctl.screen == Screen.WORK and floor.ctl.session.order_id == "SO-1001"
    assert floor.ctl.feedback is said  # not a word about another order's printer at this parcel
    assert floor.core.events.last(EventType.ORDER_COMPLETED) is None
    floor.ctl.scan("SO-1003")  # back to the 1003 parcel: F9 prints it now
    assert floor.ctl.session.step == Step.LABEL and floor.ctl.next_key() == "F9"
    floor.ctl.key("F9")
    assert floor.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert [(j["kind"], j["state"]) for j in floor.spool.jobs_][:3] == [("label", "failed"), ("slip", "failed"),
                                                                        ("label", "done")]


def test_8c_a_label_waiting_for_paper_is_withdrawn_at_esc_and_for_an_order_the_oms_stops(floor):
    at_queue(floor)
    _label_waits_for_paper(floor)
    floor.ctl.key("Escape")
    assert floor.ctl.screen == Screen.QUEUE and floor.ctl.feedback.level == Level.HINT
    assert "withdrawn" in floor.ctl.feedback.en and "SO-1003" in [p.id for p in floor.ctl.queue]
    _paper_back(floor)
    assert {j["state"] for j in floor.spool.jobs_} == {"failed"}
    floor.spool.jobs_.clear()
    _label_waits_for_paper(floor, "SO-1001")
    floor.ctl.on_sync("order_cancelled", {"order_id": "SO-1001"})  # cancelled while its label waits for paper
    assert floor.ctl.feedback.level == Level.STOP
    _paper_back(floor)
    assert {j["state"] for j in floor.spool.jobs_} == {"failed"}  # no label for a cancelled order


def test_8d_a_label_already_on_its_way_out_completes_its_order_without_moving_the_packer(floor):
    at_queue(floor)
    floor.spool.auto = False  # the jobs stay with the printer until finished here
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    for j in floor.spool.jobs_:
        j["state"] = "sending"  # coming out now
    floor.ctl.scan("SO-1001")
    assert "withdrawn" not in floor.ctl.feedback.en
    floor.ctl.scan("ITEM-001")
    said = floor.ctl.feedback
    for j in floor.spool.jobs_:
        floor.spool.auto, j["state"] = True, "queued"
        floor.ctl.on_print_update(floor.spool.job(j["job_id"]))  # it came out
    assert floor.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1003"
    assert floor.ctl.screen == Screen.WORK and floor.ctl.session.order_id == "SO-1001" and floor.ctl.feedback is said
    assert "SO-1003" not in [p.id for p in floor.ctl.queue] and "SO-1003" not in floor.station.sessions


def test_9_a_cancelled_order_says_stop_and_what_to_put_back_where(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    r = floor.ctl.on_sync("order_cancelled", {"order_id": "SO-1001", "reason": "order_cancelled"})
    assert r.outcome == Outcome.STOPPED and r.put_back[0].qty == 1 and r.put_back[0].bin == "A-01"
    fb = floor.ctl.feedback
    assert fb.level == Level.STOP and "1 × SKU-001" in fb.en and "bin A-01" in fb.en
    assert "order_cancelled" not in fb.en
    assert "order_cancelled" not in " ".join(b.text("en") for b in floor.ctl.blockers())
    zh = fb.text("zh_CN")
    assert "已取消" in zh and "库位 A-01" in zh and "SKU-001" in zh and "Put back" not in zh and "{" not in zh
    r = floor.ctl.scan("ITEM-001")
    assert r.verdict.kind == "intercepted" and floor.ctl.feedback.level == Level.STOP
    # a unit scanned after the STOP is in hand too: said with its bin (the put-back list named the counted ones only)
    assert floor.ctl.feedback.en.startswith("Put that one back too: SKU-001 Item 1 → bin A-01. STOP: order 1001")
    assert floor.ctl.feedback.text("zh_CN").startswith("这一件也要放回：SKU-001 Item 1 → 库位 A-01。")
    # the one key left is Esc, marked as the next one; the step's clock is not shown running on (the walkthrough
    # saw 2:14 → 2:19 on a stopped order, and no key marked)
    assert floor.ctl.next_key() == "Escape" and floor.ctl.time_on_step_s() is None
    floor.ctl.key("Escape")
    assert floor.ctl.screen == Screen.QUEUE and "SO-1001" not in [p.id for p in floor.ctl.queue]
    # scanned again: cancelled, as it was (it said "already packed": a supervisor went looking for the parcel)
    floor.cache.set_status("SO-1001", "cancelled")  # as the sync service marks it when the OMS says so
    r = floor.ctl.scan("SO-1001")
    assert r.outcome == Outcome.REFUSED and floor.ctl.feedback.en == "Order 1001 was cancelled by the OMS: do not pick it."


def test_an_order_cancelled_while_set_aside_is_said_at_once_with_what_to_put_back(floor):
    """QA: 1001 opened, one unit in the tote, 1002 switched to; the OMS cancels 1001. Nothing was said on 1002's screen,
    1001 left the queue without a word, and scanning it showed a blue "Switched to order 1001: Pick": the unit went
    on to another parcel. Said at once in red over the order at work; switching to it shows its STOP."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    floor.ctl.scan("SO-1002")
    assert floor.ctl.session.order_id == "SO-1002"
    assert floor.ctl.key("F2").outcome == Outcome.ASKED  # a short-pick form open on the order at work
    r = floor.ctl.on_sync("order_cancelled", {"order_id": "SO-1001", "reason": "order_cancelled"})
    assert r.outcome == Outcome.STOPPED and floor.ctl.session.order_id == "SO-1002"
    assert floor.ctl.prompt is not None and floor.ctl.prompt.kind == "short_pick"  # the other order's stop left it
    fb = r.feedback
    assert fb.level == Level.ERROR
    assert fb.en == ("STOP: order 1001, set aside, was cancelled. Do not pack it. Put back: 1 × SKU-001 Item 1 BLUE / M → bin "
                     "A-01. Then scan order 1001 and press Esc.")
    assert "已搁置的订单 1001" in fb.text("zh_CN") and "库位 A-01" in fb.text("zh_CN")
    floor.ctl.key("Escape")  # the form
    assert floor.ctl.scan("ITEM-001").verdict.kind == "accepted"  # the order at work goes on
    r = floor.ctl.scan("SO-1001")
    assert r.outcome == Outcome.STOPPED and floor.ctl.session.order_id == "SO-1001"
    assert floor.ctl.feedback.level == Level.STOP and "Put back: 1 × SKU-001" in floor.ctl.feedback.en
    floor.ctl.key("Escape")
    assert floor.ctl.screen == Screen.QUEUE and "SO-1001" not in [p.id for p in floor.ctl.queue]


def test_an_order_stopped_while_set_aside_stays_said_after_the_next_scan_and_in_the_queue(floor):
    """QA walkthrough J: #50013 (a unit in the tote) set aside for #50015, the OMS cancelled #50013. Its red STOP was
    acknowledged by the packer's very next scan (a scan already on its way), and then nothing anywhere said it: the
    work screen's line of what is left spoke of #50015 only, and the queue had dropped #50013. Its unit stayed in the
    tote. The line of what is left keeps saying it, and the queue lists it (as cancelled) until it is given back."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    floor.ctl.scan("SO-1002")
    floor.cache.set_status("SO-1001", "cancelled")  # as the sync service does before it says so
    floor.ctl.on_sync("order_cancelled", {"order_id": "SO-1001"})
    assert floor.ctl.scan("ITEM-001").verdict.kind == "accepted"  # the next scan acknowledges the red STOP
    assert floor.ctl.feedback.level != Level.ERROR
    said = [m.text("en") for m in floor.ctl.blockers()]
    assert any("1001" in t and "cancelled" in t and "Esc" in t for t in said), said
    assert any(t.startswith("已搁置的订单 1001 已取消：请放回") for t in (m.text("zh_CN") for m in floor.ctl.blockers()))
    floor.ctl.key("Escape")  # 1002 set aside too: to the queue
    assert floor.ctl.screen == Screen.QUEUE
    rows = {p.id: floor.ctl.queue_status(p) for p in floor.ctl.queue_items()}
    assert rows.get("SO-1001") == "cancelled" and floor.ctl.queue_items()[0].id == "SO-1001"  # first: act on it
    r = floor.ctl.open_order("SO-1001")  # chosen in the queue (Enter): its STOP with what to put back
    assert r.outcome == Outcome.STOPPED and floor.ctl.session.order_id == "SO-1001"
    assert "Put back: 1 × SKU-001" in floor.ctl.feedback.en
    floor.ctl.key("Escape")
    assert floor.ctl.screen == Screen.QUEUE and "SO-1001" not in [p.id for p in floor.ctl.queue_items()]
    assert not any("1001" in m.text("en") for m in floor.ctl.blockers())


def test_an_order_held_by_the_oms_does_not_read_as_one_paused_here_in_chinese():
    """The queue says "paused" (已暂停) for an order set aside here; the OMS's "held" read 已暂停 too, so a held order
    stopped while set aside looked like one the packer had merely paused."""
    from app.i18n import Msg

    assert Msg("held").text("zh_CN") not in ("held", Msg("paused").text("zh_CN"))


@pytest.mark.parametrize("aside", [False, True])
def test_an_order_stopped_when_its_packer_logs_out_comes_back_stopped_at_the_next_login(floor, aside):
    """The OMS cancels an order with a unit of it in the tote (at work, or set aside); the packer logs out (Ctrl+L, or
    the idle logout of a packer who walked away from the STOP) before pressing Esc. Its step was suspended as
    "intercepted", so no login brought it back: its put-back list was never shown again, it was never given back
    (no picklist_released) and scanning it said only "cancelled by the OMS: do not pick it". It comes back stopped at
    the next login, in red, with what to put back; Esc gives it back."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    if aside:
        floor.ctl.scan("SO-1002")
    floor.cache.set_status("SO-1001", "cancelled")  # as the sync service does before it says so
    floor.ctl.on_sync("order_cancelled", {"order_id": "SO-1001"})
    floor.ctl.logout()
    r = floor.login()
    fb = floor.ctl.feedback
    assert r.outcome == Outcome.DONE and fb is not None and fb.level in (Level.STOP, Level.ERROR)
    assert "Put back: 1 × SKU-001" in fb.en and "1001" in fb.en
    if aside:
        assert floor.ctl.session.order_id == "SO-1002"
        floor.ctl.scan("SO-1001")
    assert floor.ctl.session.order_id == "SO-1001" and floor.ctl.session.intercepted
    floor.ctl.key("Escape")
    assert floor.core.events.last(EventType.PICKLIST_RELEASED).order_id == "SO-1001"


def test_an_order_packed_here_and_given_to_another_station_is_said_in_red_on_any_screen(floor):
    """The sync service's `packed_elsewhere_too` (test_sync_service.py): said at once, in red, whatever is on the
    screen — the packer and a supervisor have a second parcel to stop."""
    from app.i18n import Msg

    at_queue(floor)
    msg = Msg("Order {order} was packed here offline, but the OMS had given it to station {station}: tell a "
              "supervisor, two parcels may ship.", order="SO-1001", station="ST-02")
    r = floor.ctl.on_sync("packed_elsewhere_too", {"order_id": "SO-1001", "claimed_by": "ST-02", "message": msg})
    assert r.feedback.level == Level.ERROR and "two parcels may ship" in r.feedback.en
    assert "两个包裹" in r.feedback.text("zh_CN")


def test_9b_cancelled_at_the_label_check_is_stopped_before_printing(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.oms.cancelled.add("SO-1003")
    r = floor.ctl.key("F9")
    assert r.outcome == Outcome.STOPPED and not floor.spool.jobs_
    assert len(floor.core.events.events(order_id="SO-1003", types=[EventType.ORDER_INTERCEPTED])) == 1


def test_10_f8_then_f9_prints_without_an_alarm(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.WEIGH)
    floor.weigh(100)
    assert floor.ctl.key("F8").feedback.level == Level.OK
    r = floor.ctl.key("F9")
    assert r.feedback.level not in (Level.ERROR, Level.STOP)
    assert floor.ctl.screen == Screen.QUEUE and floor.core.events.last(EventType.ORDER_COMPLETED)


def test_10b_a_blocked_step_is_a_hint_not_an_alarm(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    r = floor.ctl.key("F10")
    assert r.outcome == Outcome.BLOCKED and r.feedback.level == Level.HINT
    assert "scan 2 more × SKU-001" in r.feedback.en


def test_11_enter_on_the_station_check_starts_work(floor):
    floor.login()
    assert floor.ctl.screen == Screen.CHECK
    r = floor.ctl.key("Enter")
    assert r.outcome == Outcome.DONE and floor.ctl.screen == Screen.QUEUE and Change.SCREEN in r.changes


def test_12_an_order_cancelled_in_the_cache_never_opens(floor):
    floor.cache.set_status("SO-1002", "cancelled")
    assert floor.cache.get("SO-1002").status == "cancelled"  # the stored document says so too
    at_queue(floor)
    assert "SO-1002" not in [p.id for p in floor.ctl.queue]
    r = floor.ctl.scan("SO-1002")
    assert r.outcome == Outcome.REFUSED and floor.ctl.session is None and "cancelled" in r.feedback.en
    assert "SO-1002" not in floor.oms.claims


def test_13_another_open_orders_barcode_switches_to_it(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    r = floor.ctl.scan("SO-1003")
    assert r.outcome == Outcome.DONE and floor.ctl.session.order_id == "SO-1003"
    r = floor.ctl.scan("SO-1001")  # and back, at the same counts
    assert floor.ctl.session.order_id == "SO-1001" and floor.ctl.session.progress["L1"].scanned == 1
    # where it stands and where to go, as when it was opened: not only its number
    bin_ = floor.ctl.session.current_line().bin
    assert bin_ and r.feedback.en == f"Switched to order 1001: Pick. Next bin {bin_}.", r.feedback.en
    assert r.feedback.text("zh_CN").startswith("已切换到订单 1001：") and bin_ in r.feedback.text("zh_CN")


def test_14_complete_with_no_order_answers_plainly(floor):
    at_queue(floor)
    r = floor.ctl.scan("@@COMPLETE")
    assert r.outcome == Outcome.REFUSED and "No order is open" in r.feedback.en
    assert "action_" not in r.feedback.en and "action_" not in r.feedback.text("zh_CN")
    assert floor.core.events.last(EventType.SCAN).payload["code"] == "@@COMPLETE"


def test_the_latest_errors_say_whose_item_it_was_and_what_count_was_gone_over(floor):
    """The QA walkthrough: in the supervisor's latest errors "Other order's item" did not name the order it belongs
    to, and "Too many" said nothing of the count."""
    from app.stats import error_entry

    at_queue(floor)
    floor.ctl.scan("SO-1001")  # L1 ITEM-001 × 2, L2 ITEM-002 × 1
    floor.ctl.scan("SO-1003")  # L1 ITEM-001 × 1; SO-1001 stays open here
    floor.ctl.scan("ITEM-002")  # SO-1001's
    floor.ctl.scan("ITEM-001")
    floor.ctl.scan("ITEM-001")  # one too many
    scans = floor.core.events.events(types=[EventType.SCAN])
    said = [error_entry(e.ts_utc_ms, e.station_id, e.operator_id, e.order_id, e.type, e.kind, e.payload)
            for e in scans]
    other = next(x for x in said if x and x["error"] == "other_order")
    over = next(x for x in said if x and x["error"] == "over_scan")
    assert other["what"] == "ITEM-002 → 1001"
    assert over["expected"] == "SKU-001 1/1"


def test_the_queue_says_nothing_of_another_screen_and_names_the_paused_order_for_an_orders_key(floor):
    """The QA walkthrough: F2 on the station check ("Start work first (Enter).") then Enter: the queue still said
    "Start work first"; and an order left with Esc, F2-F11 on the queue said "No order is open" beside it, "paused"."""
    floor.login()
    assert floor.ctl.key("F2").feedback.en == "Start work first (Enter)."
    floor.ctl.key("Enter")
    assert floor.ctl.screen == Screen.QUEUE and floor.ctl.feedback is None
    floor.ctl.scan("SO-1001")
    floor.ctl.key("Escape")
    r = floor.ctl.key("F10")
    assert r.outcome == Outcome.REFUSED and r.feedback.en == (
        "No order is at work: 1001 paused — scan its barcode or choose it (Enter).")


def test_an_order_or_an_item_scanned_at_the_login_is_said_at_once_not_after_a_pin(floor):
    """The QA walkthrough: an order's barcode scanned on the login screen filled the badge's field, the PIN was asked,
    and only then "Badge or PIN not recognised". Said at once; a badge, or a code nobody knows, goes on as before
    (nothing tells which badges exist)."""
    r = floor.ctl.scan("SO-1001")
    assert r.outcome == Outcome.REFUSED and floor.ctl.pending_badge is None
    assert r.feedback.en == ("That is order 1001's barcode, not a badge: log in first — scan your badge, then type "
                             "your PIN.")
    r = floor.ctl.scan("MUG-001")  # a product of the catalogue
    assert r.outcome == Outcome.REFUSED and "an item's barcode (Mug)" in r.feedback.en
    assert floor.ctl.scan("K-001").outcome == Outcome.ASKED and floor.ctl.pending_badge == "K-001"
    assert floor.ctl.scan("NOBODY-7").outcome == Outcome.ASKED and floor.ctl.pending_badge == "NOBODY-7"


def test_14c_a_badge_scanned_while_someone_is_logged_in_is_said_as_a_badge(floor):
    """The next shift's packer scanned her badge at a station nobody had logged out of: "No order is open: scan an
    order's barcode first (P-001)." on the queue, "Unknown barcode" at an order — not what to do. Now who it is and
    how to change operator (amber: no alarm); each scan still stored as the verifier judged it."""
    at_queue(floor)
    r = floor.ctl.scan("P-001")
    assert r.outcome == Outcome.REFUSED and r.feedback.level == Level.HINT
    assert r.feedback.en == "P-001 is the badge of Picker. Packer is logged in here: log out first (Ctrl+L) to " \
                            "change operator.", r.feedback.en
    assert "P-001" in r.feedback.text("zh_CN") and "Ctrl+L" in r.feedback.text("zh_CN")
    assert floor.core.events.last(EventType.SCAN).kind == "no_order"
    assert floor.ctl.operator.badge == "K-001" and floor.ctl.screen == Screen.QUEUE  # nobody logged out or in
    assert floor.ctl.scan(" K-001").feedback.en == "K-001 is your badge: you are logged in."
    floor.ctl.scan("SO-1001")
    r = floor.ctl.scan("S-001")  # at an order: a supervisor come to help
    assert r.feedback.level == Level.HINT and "F11" in r.feedback.en and "Boss" in r.feedback.en, r.feedback.en
    assert floor.core.events.last(EventType.SCAN).kind == "unknown" and floor.ctl.session.order_id == "SO-1001"
    assert "is the badge" not in floor.ctl.scan("NOBODY-9").feedback.en  # not a badge: the verdict's own words
    assert floor.core.operators.deactivate("P-001")
    assert "is the badge" not in floor.ctl.scan("P-001").feedback.en  # nor one that cannot log in


@pytest.mark.parametrize("key", ["F2", "F3", "F4", "F8", "F9", "F10", "F11"])
def test_14b_an_orders_key_on_the_queue_answers_plainly(floor, key):
    """F9 (print) or F11 (supervisor) pressed on the queue used to do nothing at all: no order, no word."""
    at_queue(floor)
    r = floor.ctl.key(key)
    assert r.outcome == Outcome.REFUSED and r.changes & Change.FEEDBACK
    assert "No order is open" in r.feedback.en and floor.ctl.feedback is r.feedback
    assert floor.ctl.screen == Screen.QUEUE and floor.ctl.prompt is None


def test_action_barcodes_carton_gift_weigh_print_by_scanner_alone(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1002")
    r = floor.ctl.scan("@@CARTON:M")
    assert r.outcome == Outcome.REFUSED and "Pack step" in r.feedback.en  # plain answer at the pick step
    floor.to_step(Step.PACK)
    floor.ctl.scan("@@CARTON:M")
    floor.ctl.scan("@@GIFT")
    assert floor.ctl.session.carton == "M"
    floor.ctl.scan("@@COMPLETE")
    assert floor.ctl.session.step == Step.WEIGH
    floor.weigh(400)
    floor.ctl.scan("@@WEIGH")
    floor.ctl.scan("@@PRINT")
    assert floor.ctl.screen == Screen.QUEUE and floor.core.events.last(EventType.ORDER_COMPLETED).order_id == "SO-1002"


def test_override_and_audited_reprint_are_use_cases_with_typed_results(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.WEIGH)
    floor.weigh(900)
    assert floor.ctl.key("F8").feedback.level == Level.ERROR
    assert floor.ctl.key("F11").outcome == Outcome.ASKED
    bad = floor.ctl.override("K-001", "2222", "fine")
    assert bad.outcome == Outcome.REFUSED and bad.what is None
    ok = floor.ctl.override("S-001", "999999", "box is heavier")
    assert ok.outcome == Outcome.DONE and ok.what == "weight_mismatch" and ok.supervisor_id == "op-s1"
    # an error of the packer's parcel, approved by the supervisor: the figures count it against the packer (they
    # counted it against the supervisor, whose error list grew with every parcel they approved)
    ev = floor.core.events.last(EventType.OVERRIDE)
    assert (ev.operator_id, ev.payload["supervisor_id"]) == ("op-k1", "op-s1")
    from app.stats import figures_from_store

    day_ms = 86_400_000
    today = ev.ts_utc_ms // day_ms * day_ms
    fig = figures_from_store(floor.core.store, tz="UTC", start=today, end=today + day_ms, sla=floor.settings.sla)
    assert fig.by_type.get("weight_mismatch") == 1 and "op-s1" not in fig.by_operator and fig.by_operator["op-k1"]
    floor.ctl.key("F9")
    assert floor.ctl.screen == Screen.QUEUE
    floor.ctl.key("F12")
    r = floor.ctl.key("2")  # reason 2: unreadable
    assert r.outcome == Outcome.DONE and r.job_id
    ev = floor.core.events.last(EventType.REPRINT)
    assert ev.payload["reason"] == "unreadable" and ev.operator_id == "op-k1"


def test_wrong_pins_in_the_override_form_do_not_lock_the_supervisor_out_of_the_login(floor):
    """A packer at a parcel typed wrong PINs for the supervisor's badge in the F11 form (their own PIN, guesses):
    after five the badge was locked for five minutes everywhere — the supervisor, walking over, could not log in nor
    approve (the QA walkthrough). The form counts and locks on its own; each try is still recorded."""
    from app.operators import LOGIN_FAILED, OPERATOR_LOCKED

    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.WEIGH)
    floor.weigh(900)
    floor.ctl.key("F8")
    for _ in range(5):
        assert floor.ctl.override("S-001", "123456", "x").outcome == Outcome.REFUSED
    r = floor.ctl.override("S-001", "999999", "box is heavier")
    assert r.outcome == Outcome.REFUSED and r.feedback.en == (
        "Too many wrong PINs in this form: overrides with this badge are locked for 5 min. The supervisor can still "
        "log in.")
    fails = floor.core.events.events(types=[LOGIN_FAILED])
    assert len(fails) == 6 and {e.payload.get("where") for e in fails} == {"override"}
    assert floor.core.events.last(OPERATOR_LOCKED).payload["where"] == "override"
    floor.ctl.logout()
    floor.login("S-001", "999999")  # the supervisor's own login is not locked
    assert floor.ctl.operator is not None and floor.ctl.operator.badge == "S-001"


def test_f12_on_the_queue_names_the_order_it_reprints_and_what_1_to_4_mean(floor):
    """On the queue F12 reprints the last order packed, whichever row is chosen there, and no buttons name the
    reasons: the prompt said only "Reprint: why? Press 1–4…" (a wrong order's label on a parcel is a wrong address)."""
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    assert floor.ctl.screen == Screen.QUEUE and floor.ctl.queue[0].id != "SO-1003"
    r = floor.ctl.key("F12")
    assert r.outcome == Outcome.ASKED
    assert r.feedback.en == ("Reprint the label of order 1003: why? 1 Label damaged; 2 Label unreadable; 3 Label lost; "
                             "4 Wrong printer (or a reason barcode; recorded).")
    assert r.feedback.text("zh_CN") == ("重打订单 1003 的面单：原因？1 面单损坏；2 面单无法识别；3 面单丢失；4 打印机错误"
                                        "（或扫描原因条码；将记录）。")
    floor.ctl.key("Escape")
    floor.ctl.scan("SO-1001")  # at an order, before its label: nothing to reprint; after it, this order's
    floor.to_step(Step.LABEL)
    floor.spool.paper = False
    floor.ctl.key("F9")
    assert "order 1001:" in floor.ctl.key("F12").feedback.en


def test_f12_on_the_queue_reprints_the_parcel_just_packed_after_another_order_was_left(floor):
    """Packed 1003, then opened 1001 and left it (Esc): F12 on the queue said "Nothing printed yet for this order"
    (it meant 1001) and scanning 1003 said only "already packed": the parcel just packed could not get its label
    again. Now F12 means the last label printed here, and a packed order's barcode scanned on the queue names it."""
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    floor.ctl.scan("SO-1001")
    floor.ctl.key("Escape")
    assert floor.ctl.screen == Screen.QUEUE
    r = floor.ctl.key("F12")
    assert r.outcome == Outcome.ASKED and r.feedback.en.startswith("Reprint the label of order 1003: why?")
    r = floor.ctl.key("1")
    assert r.outcome == Outcome.DONE and r.job_id is not None
    assert floor.spool.job(r.job_id)["order_id"] == "SO-1003"

    floor.ctl.scan("SO-1002")  # another parcel packed since: F12 means it, until 1003 is scanned on the queue
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    assert floor.ctl.key("F12").feedback.en.startswith("Reprint the label of order 1002:")
    floor.ctl.key("Escape")
    r = floor.ctl.scan("SO-1003")
    assert r.feedback.en == "Order 1003 is already packed. F12 reprints its label."
    assert r.feedback.text("zh_CN") == "订单 1003 已包装完成。按 F12 重打其面单。"
    assert floor.ctl.key("F12").feedback.en.startswith("Reprint the label of order 1003:")


def test_f12_on_the_queue_before_any_label_says_what_it_reprints_not_this_order(floor):
    """QA at 960x540 in Chinese: F12 on the queue, nothing packed yet, said "Nothing printed yet for this order" (此订单
    尚未打印) under a chosen row no reprint is about. It says there is no label at this station yet and what F12 reprints
    there; at an order without a label it still says this order."""
    at_queue(floor)
    r = floor.ctl.key("F12")
    assert r.outcome == Outcome.REFUSED and floor.ctl.prompt is None
    assert r.feedback.en == "No label printed at this station yet: F12 here reprints the last order packed."
    assert "本工位尚未打印过面单" in r.feedback.text("zh_CN")
    floor.ctl.scan("SO-1001")
    assert floor.ctl.key("F12").feedback.en == "Nothing printed yet for this order."


def test_restart_mid_order_resumes_for_its_operator(floor, settings):
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    f2 = floor.restart()
    try:
        f2.login()
        assert f2.ctl.screen == Screen.WORK and f2.ctl.session.progress["L1"].scanned == 1
        # the packer is told which order came back and where it stands (the panel was empty)
        s = f2.ctl.session
        en, zh = f2.ctl.feedback.text("en"), f2.ctl.feedback.text("zh_CN")
        assert en.startswith(f"Order {s.picklist.order_no} resumed where it was left: Pick.")
        assert s.picklist.order_no in zh and "继续" in zh
    finally:
        f2.close()


def test_two_orders_left_open_both_come_back_and_the_packer_is_told_of_the_other(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("SO-1003")
    floor.ctl.logout()
    floor.login()
    assert floor.ctl.screen == Screen.WORK and set(floor.ctl.station.sessions) == {"SO-1001", "SO-1003"}
    other = next(s for s in floor.ctl.station.sessions.values() if s is not floor.ctl.session)
    assert f"Also open: {other.picklist.order_no}." in floor.ctl.feedback.text("en")


def test_events_from_another_thread_are_applied_on_the_controllers_thread(floor):
    import threading

    at_queue(floor)
    floor.ctl.scan("SO-1001")
    s = floor.ctl.session
    t = threading.Thread(target=lambda: floor.core.events.append(
        EventType.ORDER_INTERCEPTED, {"order_id": "SO-1001", "status": "cancelled", "reason": "x"},
        order_id="SO-1001"))
    t.start()
    t.join()
    assert s.intercepted is None  # not applied on the sync thread
    ch = floor.ctl.pump()
    assert s.intercepted is not None and Change.FEEDBACK in ch and floor.ctl.feedback.level == Level.STOP


def test_every_use_case_tells_subscribers_what_changed(floor):
    at_queue(floor)
    floor.changes.clear()
    floor.ctl.scan("SO-1001")
    assert any(Change.ORDER in c for c in floor.changes)
    floor.changes.clear()
    floor.ctl.scan("ITEM-001")
    assert floor.changes and Change.LINES in floor.changes[-1]


def test_a_supervisor_badge_scanned_into_the_override_prompt_is_a_credential_not_a_scan(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.WEIGH)
    floor.weigh(900)
    floor.ctl.key("F8")
    n = len(floor.core.events.events(types=[EventType.SCAN]))
    assert floor.ctl.scan("@@OVERRIDE").outcome == Outcome.ASKED and floor.ctl.prompt.kind == "override"
    # an item scanned into it is said at once, not taken for the badge (then "Not a supervisor badge/PIN" after the
    # PIN: the QA walkthrough); the form stays
    r = floor.ctl.scan("MUG-001")
    assert r.outcome == Outcome.REFUSED and r.feedback.en == (
        "That is the barcode of Mug, not a supervisor's badge: scan the supervisor's badge.")
    assert floor.ctl.pending_badge is None and floor.ctl.prompt is not None and floor.ctl.prompt.kind == "override"
    r = floor.ctl.scan("S-001")
    assert r.outcome == Outcome.ASKED and floor.ctl.pending_badge == "S-001"
    assert len(floor.core.events.events(types=[EventType.SCAN])) == n + 1  # only the @@OVERRIDE scan
    assert floor.ctl.override(floor.ctl.pending_badge, "999999", "ok").what == "weight_mismatch"
    assert floor.ctl.prompt is None


def test_escape_closes_a_prompt_before_it_leaves_the_order(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.key("F2")
    floor.ctl.key("Escape")
    assert floor.ctl.prompt is None and floor.ctl.screen == Screen.WORK
    floor.ctl.key("Escape")
    assert floor.ctl.screen == Screen.QUEUE
    assert floor.core.events.last(EventType.STEP_SUSPENDED).payload["reason"] == "left"
    floor.ctl.scan("SO-1001")  # reopened at the same step, said so, the prompt's words gone
    assert floor.ctl.session.step == Step.PICK
    assert floor.ctl.feedback.en == "Order 1001 resumed where it was left: Pick. Next bin A-01."
    assert floor.core.events.last(EventType.STEP_RESUMED).order_id == "SO-1001"


def test_products_pulled_after_start_are_known_without_a_restart(floor):
    """The OMS adds a product while the station runs: once the sync says so, its barcode is in the index."""
    from sync.cache import ProductCache

    at_queue(floor)
    floor.ctl.scan("SO-1001")
    assert floor.ctl.scan("NEW-0001").verdict.kind.value == "unknown"
    ProductCache(floor.core.store).upsert([{"sku": "NEW-1", "name": "New kettle", "barcodes": ["NEW-0001"]}])
    floor.ctl.on_sync("products_changed", {"count": 1})  # the controller's run_io is synchronous here
    assert floor.ctl.scan("NEW-0001").verdict.kind.value == "wrong_item"  # known now: a product, not this order's


def test_the_controller_speaks_in_messages_the_screen_renders_in_either_language(floor):
    """No language in the controller: what it says is a Msg, rendered by whoever shows it."""
    from app.i18n import Joined, Msg, translate

    at_queue(floor)
    floor.ctl.scan("SO-1001")
    assert floor.ctl.step_name() == Msg("Pick") and translate(floor.ctl.step_name(), "zh_CN") == "拣货"
    blockers = floor.ctl.blockers()
    assert blockers and all(isinstance(b, Msg) for b in blockers)
    assert [b.text("en") for b in blockers][0] == "scan 2 more × SKU-001 Item 1 BLUE / M"
    assert blockers[0].text("zh_CN") == "还需扫描 2 × SKU-001 Item 1 BLUE / M"
    r = floor.ctl.key("F10")
    assert r.outcome == Outcome.BLOCKED and isinstance(r.feedback.message, (Msg, Joined))
    en, zh = r.feedback.text("en"), r.feedback.text("zh_CN")
    assert en.startswith("Pick is not finished: scan 2 more × SKU-001") and "; " in en
    assert zh.startswith("拣货尚未完成：还需扫描 2 × SKU-001") and "；" in zh and "scan" not in zh
    r = floor.ctl.scan("ITEM-001")  # a verdict's message is the feedback's message
    assert r.feedback.message == r.verdict.message and r.feedback.text("zh_CN") == r.verdict.message("zh_CN")


def test_a_print_job_says_its_own_message_or_a_plain_one(floor):
    """The spool's job dicts carry "message" (a Msg, or its stored dict); without one the station says a generic
    message. (The real spool sends Msgs after its own change; floor_kit's stand-in already does.)"""
    from app.i18n import Msg
    from floor.controller import _job_message

    own = Msg("Label printer: paper out.")
    assert _job_message({"message": own}) == own
    assert _job_message({"message": own.to_dict()}) == own
    assert _job_message({"message_en": "old", "message_zh": "旧"}) is None and _job_message({"message": ""}) is None
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    r = floor.ctl.on_print_update({"job_id": "J-X", "order_id": "SO-OTHER", "state": "failed"})
    assert r.outcome == Outcome.HELD and r.feedback.en == "The printer needs attention."
    assert r.feedback.text("zh_CN") == "打印机需要处理。"
    r = floor.ctl.on_print_update({"job_id": "J-X", "order_id": "SO-OTHER", "state": "held", "message": own})
    assert r.feedback.message == own


def test_a_printer_error_is_said_in_the_packers_language(floor):
    """A PrintError raised while submitting carries its own message: the packer reads it in Chinese, not the
    exception's English text."""
    from app.i18n import Msg
    from hardware.printing.connections import PrintError

    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.LABEL)

    def refuse(pl, op, job_id=None):
        raise PrintError("offline", Msg("Printer is offline"))

    floor.spool.submit_label = refuse
    r = floor.ctl.key("F9")
    assert r.outcome == Outcome.REFUSED and floor.ctl.session.step == Step.LABEL
    assert r.feedback.en.startswith("Printing failed: Printer is offline")
    zh = r.feedback.text("zh_CN")
    assert "打印机离线" in zh and "Printer" not in zh and "Printing" not in zh


def test_14_the_key_of_what_the_order_needs_next(floor):
    """The screen marks the key that moves the order on: none while it needs scans, a carton or a steady
    weight; F10 once a step's lines are done; F9 on a steady weight (records, completes, prints) and at the
    Label step; none on a weight out of tolerance (the parcel is checked before a supervisor is called)."""
    at_queue(floor)
    floor.ctl.scan("SO-1002")
    s = floor.ctl.session
    assert floor.ctl.next_key() is None
    floor.work_counting()
    assert floor.ctl.next_key() == "F10"
    while s.step != Step.PACK:
        floor.ctl.key("F10")
        if s.step != Step.PACK:
            assert floor.ctl.next_key() is None
            floor.work_counting()
            assert floor.ctl.next_key() == "F10"
    assert floor.ctl.next_key() is None  # a carton first
    floor.ctl.key("2")
    assert floor.ctl.next_key() == "F10"  # the gift was scanned with the lines
    floor.ctl.key("F10")
    assert s.step == Step.WEIGH and floor.ctl.next_key() is None
    assert "put the parcel on the scale" in floor.ctl.blockers()[0].text("en")
    floor.weigh(s.expected_weight[0] * 5)
    assert floor.ctl.next_key() is None  # out of tolerance: check the parcel
    assert "outside" in floor.ctl.blockers()[0].text("en") and "check the parcel" in floor.ctl.blockers()[0].text("en")
    floor.ctl.key("F8")
    assert floor.ctl.next_key() is None
    floor.weigh(s.expected_weight[0])
    assert floor.ctl.next_key() == "F8"  # the parcel put right: its weight recorded again
    said = floor.ctl.blockers()[0]  # and the words say why F8, not the old weight alone
    assert said.text("en").startswith(f"the scale now reads {round(s.expected_weight[0])} g, within"), said.text("en")
    bad = round(s.expected_weight[0] * 5)
    assert said.text("en").endswith(f"F8 records it (the {bad} g recorded before was outside)")
    assert "按 F8 记录" in said.text("zh_CN")
    floor.ctl.key("F8")
    assert floor.ctl.next_key() == "F9"
    floor.ctl.key("F10")
    assert s.step == Step.LABEL and floor.ctl.next_key() == "F9"
    floor.ctl.key("Escape")
    assert floor.ctl.next_key() is None  # no order at work
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.WEIGH)
    floor.weigh(floor.ctl.session.expected_weight[0])
    assert floor.ctl.next_key() == "F9"  # nothing recorded yet: F9 records, completes and prints
    assert floor.ctl.blockers()[0].text("en").endswith(": F9 records it and prints the label (F8 records it only)")


def test_a_locked_badge_is_told_so_not_that_its_pin_is_wrong(floor):
    """Five wrong PINs lock a badge for five minutes, and then the right PIN was answered "Badge or PIN not
    recognised." too: the packer tried the PIN again and again. The lockout is said, with how long it lasts."""
    from app import operators

    for _ in range(operators.MAX_FAILED_ATTEMPTS - 1):
        assert floor.login("K-001", "0000").feedback.en == "Badge or PIN not recognised."
    r = floor.login("K-001", "0000")
    assert r.feedback.en == "Too many wrong PINs: this badge is locked. Try again in 5 min."
    assert r.feedback.text("zh_CN") == "密码错误次数过多：此工牌已锁定，请 5 分钟后再试。"
    r = floor.login("K-001", "2222")  # the right PIN: still locked, and said so
    assert floor.ctl.operator is None and "locked" in r.feedback.en


def test_a_supervisor_badge_locked_at_the_override_prompt_is_told_so(floor):
    from app import operators

    at_queue(floor)
    floor.ctl.scan("SO-1003")
    floor.to_step(Step.WEIGH)
    floor.weigh(900)  # expected 300 ± 20
    floor.ctl.key("F8")
    assert floor.ctl.key("F11").outcome == Outcome.ASKED
    for _ in range(operators.MAX_FAILED_ATTEMPTS - 1):
        r = floor.ctl.override("S-001", "000000", "checked")
        assert r.feedback.en == "Not a supervisor badge/PIN: nothing overridden."
    r = floor.ctl.override("S-001", "000000", "checked")
    assert r.feedback.en.startswith("Too many wrong PINs in this form: overrides with this badge are locked for 5 min.")
    assert floor.ctl.override("S-001", "999999", "checked").outcome == Outcome.REFUSED


def _fill_the_store(floor) -> None:
    """The store's file may not grow any more and the event log's pages are full: every event gets SQLITE_FULL
    ("database or disk is full"), as on a full disk (PRAGMA max_page_count on the writer's connection, then the
    smallest events until one does not fit: the real error from the real database)."""
    import sqlite3

    with floor.core.store.write_dbapi(counted=False) as con:
        con.execute(f"PRAGMA max_page_count = {con.execute('PRAGMA page_count').fetchone()[0]}")
    for _ in range(100_000):
        try:
            floor.core.events.append("x")
        except Exception as exc:
            assert isinstance(exc.orig, sqlite3.OperationalError) and exc.orig.sqlite_errorcode == sqlite3.SQLITE_FULL
            return
    raise AssertionError("the store never filled")


def test_a_full_disk_is_said_at_every_scan_and_key_and_nothing_half_happens(floor):
    """On a full disk a scan read "This scan could not be checked" (the cause only in the log), and Ctrl+L raised
    SQLite's error out of the controller into the Qt event loop: a traceback on stderr, the key did nothing, the
    screen said nothing. Now each says that nothing was recorded and why; the state stays as it was, and once
    there is room again the same keys work."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    _fill_the_store(floor)
    n = floor.core.events.count()
    r = floor.ctl.scan("ITEM-001")
    assert r.verdict.details["error"] == "not_recorded" and r.verdict.message("en") == (
        "NOT recorded: the station's disk is full — call a supervisor (nothing counts until space is freed)")
    assert "磁盘已满" in r.verdict.message("zh_CN")
    assert floor.core.events.count() == n and floor.ctl.session.progress["L1"].scanned == 0
    r = floor.ctl.key("Logout")
    assert r.outcome == Outcome.REFUSED and r.feedback.level == Level.ERROR
    assert r.feedback.en == "Not done: the station's disk is full, so nothing can be recorded. Call a supervisor."
    assert floor.ctl.operator is not None and floor.ctl.session is not None and floor.ctl.screen == Screen.WORK
    assert floor.core.events.count() == n and floor.ctl.session.progress["L1"].scanned == 0
    with floor.core.store.write_dbapi(counted=False) as con:  # room again
        con.execute("PRAGMA max_page_count = 1073741823")
    assert floor.ctl.scan("ITEM-001").verdict.kind.value == "accepted"
    assert floor.ctl.key("Logout").outcome == Outcome.DONE and floor.ctl.screen == Screen.LOGIN


def test_a_full_disk_met_when_the_oms_or_the_printer_answers_is_said_not_raised_into_qt(floor):
    """F9 and an order's claim go to the OMS off the GUI thread; their answer comes back later, through the window's
    task queue, and writes (the paperwork event, the order's opening). On a full disk that write raised out of the
    answer into the Qt event loop: "Something went wrong and was logged; the station keeps running: OperationalError:
    (sqlite3.OperationalError) database or disk is full [SQL: COMMIT] (Background on this error at: https://sqlalche.
    me/…)" over the work screen (seen in the demo on a full tmpfs). The answer is a use case like a key: said, not
    raised. (run_io deferred as the window's task runner does: the work first, its answer later.)"""
    later: list = []
    floor.ctl.run_io = lambda work, done: later.append((work, done))
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    work, done = later.pop()
    res = work()
    _fill_the_store(floor)
    done(res)  # the claim's answer: the order cannot be opened, said on the queue
    fb = floor.ctl.feedback
    assert fb.level == Level.ERROR
    assert fb.en == "Not done: the station's disk is full, so nothing can be recorded. Call a supervisor."
    # nothing half happened: the order is not left open at work with no step (opened again, it was switched to as
    # it was, and no key moved it on)
    assert floor.ctl.screen == Screen.QUEUE and floor.ctl.session is None and not floor.station.sessions
    with floor.core.store.write_dbapi(counted=False) as con:  # room again: the same order opens
        con.execute("PRAGMA max_page_count = 1073741823")
    later.clear()
    floor.ctl.scan("SO-1001")
    for work, done in later:
        done(work())
    assert floor.ctl.session is not None and floor.ctl.session.order_id == "SO-1001"
    assert floor.ctl.session.step == Step.PICK
    floor.ctl.run_io = lambda work, done: done(work())
    floor.to_step(Step.LABEL)
    floor.ctl.run_io = lambda work, done: later.append((work, done))
    floor.ctl.key("F9")
    work, done = later.pop()
    res = work()  # the label and the slip are with the spool
    _fill_the_store(floor)
    done(res)  # ... and their paperwork event cannot be written: said on the work screen
    fb = floor.ctl.feedback
    assert fb.level == Level.ERROR
    assert fb.en == "Not done: the station's disk is full, so nothing can be recorded. Call a supervisor."


def test_a_disk_gone_read_only_mid_shift_is_said_as_such_at_every_scan_and_key(floor):
    """ext4 switches itself to read-only after an I/O error (errors=remount-ro): every write then fails with SQLite's
    SQLITE_READONLY. A scan said "could not save this scan — scan again" and a key "Not done: OperationalError: attempt
    to write a readonly database. Try again": the packer scanned again and again. Now both say the disk cannot be
    written and to call a supervisor; nothing half happens, and once it can be written the same keys work. (The
    writer's connection set query_only: the real SQLite error of a read-only database.)"""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    with floor.core.store.write_dbapi(counted=False) as con:
        con.execute("PRAGMA query_only = ON")
    n = floor.core.events.count()
    r = floor.ctl.scan("ITEM-001")
    assert r.verdict.details["error"] == "not_recorded" and r.verdict.message("en") == (
        "NOT recorded: the station's disk cannot be written — call a supervisor (nothing counts until it is fixed)")
    assert "无法写入" in r.verdict.message("zh_CN")
    assert floor.core.events.count() == n and floor.ctl.session.progress["L1"].scanned == 0
    r = floor.ctl.key("Logout")
    assert r.outcome == Outcome.REFUSED and r.feedback.level == Level.ERROR
    assert r.feedback.en == ("Not done: the station's disk cannot be written, so nothing can be recorded. "
                             "Call a supervisor.")
    assert floor.ctl.operator is not None and floor.ctl.screen == Screen.WORK
    floor.core.store.writer_dbapi().execute("PRAGMA query_only = OFF")  # written again
    assert floor.ctl.scan("ITEM-001").verdict.kind.value == "accepted"
    assert floor.ctl.key("Logout").outcome == Outcome.DONE and floor.ctl.screen == Screen.LOGIN


def test_any_other_failure_of_a_use_case_is_said_not_raised(floor, monkeypatch):
    """Not only a full disk: whatever a use case meets (a bug, a database error) is answered on screen with its first
    line and what to do; the screens never receive an exception."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")

    def broken(*_a, **_k):
        raise RuntimeError("database is locked\n[SQL: COMMIT]")

    monkeypatch.setattr(floor.station, "close_order", broken)
    r = floor.ctl.key("Escape")
    assert r.outcome == Outcome.REFUSED and r.feedback.level == Level.ERROR
    assert r.feedback.en == ("Not done: RuntimeError: database is locked. Try again; if it happens again, "
                             "call a supervisor.")
    assert "请重试" in r.feedback.text("zh_CN")


def test_caps_lock_on_the_keyboard_does_not_lock_out_codes_with_letters(floor):
    """A wedge scanner types as the keyboard is set: with Caps Lock on every letter comes in the other case, and the
    badge "k-001", the order "so-1001" and the item "item-001" were refused or unknown, all shift long (digits-only
    EAN/UPC codes were not touched, so it looked random). The scan is tried once with its letters' case swapped; what
    counts that way says Caps Lock is on, and the event keeps what was scanned."""
    floor.login("k-001", "2222")
    assert floor.ctl.operator is not None and floor.ctl.operator.badge == "K-001"
    floor.ctl.key("Enter")
    floor.ctl.scan("so-1001")
    assert floor.ctl.session is not None and floor.ctl.session.order_id == "SO-1001"
    r = floor.ctl.scan("item-001")
    assert r.verdict.kind.value == "accepted" and floor.ctl.session.progress["L1"].scanned == 1
    assert r.feedback.en == "Item 1 BLUE / M +1 (1/2) — Caps Lock is on: turn it off"
    assert "大写锁定已开启" in r.feedback.text("zh_CN")
    ev = floor.core.events.last(EventType.SCAN)
    assert ev.payload["raw"] == "item-001" and ev.payload["verdict"]["details"]["caps_lock"] is True
    r = floor.ctl.scan("nothing-here")  # still unknown either way: said as scanned, no Caps Lock guess
    assert r.verdict.kind.value == "unknown" and "Caps Lock" not in r.feedback.en
    r = floor.ctl.scan("Item-001")  # a capital in it: not Caps Lock (codes are in capitals), not tried again
    assert r.verdict.kind.value == "unknown" and floor.ctl.session.progress["L1"].scanned == 1


@pytest.mark.parametrize("how", ["scan", "F3"])
def test_3b_a_gift_short_picked_whole_and_put_in_at_pack_is_on_the_label_slip_and_weight(floor, how):
    """Pack asks again for a gift short picked whole (missing gifts are the floor's most common error) and the packer
    takes one from the gift shelf: scanned or confirmed there, it is in the parcel. The slip said "not in this
    parcel", the label left it out and the expected weight was 100 g light, while the record said it was packed."""
    at_queue(floor)
    floor.ctl.scan("SO-1002")  # L1 x2, L2 x1, L3 the thank-you card (gift, 100 g)
    for code in ("ITEM-001", "ITEM-001", "ITEM-002"):
        floor.ctl.scan(code)
    s = floor.ctl.session
    assert s.current_line().id == "L3"
    assert floor.ctl.key("F2").outcome == Outcome.ASKED
    floor.ctl.key("Down")
    assert floor.ctl.scan("@@REASON:NOT_FOUND").qty_found == 0
    assert s.short_units("L3") == 1 and s.packed_qty("L3") == 0 and s.expected_weight[0] == 300
    while s.step != Step.PACK:
        floor.ctl.complete_step() if not s.blockers() else floor.work_counting()
    assert not s.gift_ok("L3") and s.current_line().id == "L3"  # pack asks for it
    r = floor.ctl.scan("ITEM-003") if how == "scan" else floor.ctl.key("F3")
    assert r.outcome == Outcome.DONE and s.gift_ok("L3")
    assert s.short_units("L3") == 0 and s.packed_qty("L3") == 1 and s.expected_weight[0] == 400
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    label = next(j for j in floor.spool.jobs_ if j["kind"] == "label")
    assert [(ln.sku, ln.qty) for ln in floor.spool.printed[label["job_id"]].lines] == [
        ("SKU-001", 2), ("SKU-002", 1), ("SKU-003", 1)]
    slip = next(j for j in floor.spool.jobs_ if j["kind"] == "slip")
    assert floor.spool.missing[slip["job_id"]] == []
    ev = floor.core.events.last(PAPERWORK)
    assert ev.payload["units"] == 4 and ev.payload["not_in_parcel"] == []


def _at_pack_without_the_gift(floor):
    """SO-1002 (L1 x2, L2 x1, L3 the thank-you card) picked with its gift short picked whole, at Pack: the session."""
    at_queue(floor)
    floor.ctl.scan("SO-1002")
    for code in ("ITEM-001", "ITEM-001", "ITEM-002"):
        floor.ctl.scan(code)
    floor.ctl.key("F2")
    floor.ctl.scan("@@REASON:NOT_FOUND")
    s = floor.ctl.session
    while s.step != Step.PACK:
        floor.ctl.complete_step() if not s.blockers() else floor.work_counting()
    return s


def test_3c_a_gift_not_on_the_gift_shelf_either_is_short_picked_at_pack_and_the_slip_says_so(floor):
    """Pack asks again for a gift short picked whole; the gift shelf is empty too. F2 was refused at Pack ("Short
    picks are for lines still being picked") and F10 blocked, so the only way on was F3: the gift the customer does
    not get went on the label, the slip and the OMS's record. F2 at Pack now records it missing (a short pick with
    `step: pack`, no kind: the figures counted it once at pick), the order goes on and the slip lists it as not in
    the parcel; after a restart too. Found after all, F3 still puts it in."""
    s = _at_pack_without_the_gift(floor)  # L1 x2, L2 x1, L3 the thank-you card (gift, 100 g)
    floor.ctl.key("2")
    assert floor.ctl.complete_step().outcome == Outcome.BLOCKED  # pack asks for the gift
    assert floor.ctl.key("F2").outcome == Outcome.ASKED
    r = floor.ctl.key("4")
    assert r.outcome == Outcome.DONE and "not in this parcel" in r.feedback.en
    ev = floor.core.events.last(EventType.SHORT_PICK)
    assert ev.kind is None and ev.payload["step"] == "pack" and ev.payload["line_id"] == "L3"
    assert s.gift_ok("L3") and s.packed_qty("L3") == 0 and s.expected_weight[0] == 300
    floor = floor.restart()
    floor.login()
    s = floor.ctl.session
    assert s is not None and s.step == Step.PACK and s.gift_ok("L3") and s.packed_qty("L3") == 0
    assert floor.ctl.complete_step().outcome == Outcome.DONE  # its carton was chosen before the restart
    floor.to_step(Step.LABEL)
    floor.ctl.key("F9")
    slip = next(j for j in floor.spool.jobs_ if j["kind"] == "slip")
    assert floor.spool.missing[slip["job_id"]] == [("SKU-003", 1)]
    assert floor.core.events.last(PAPERWORK).payload["units"] == 3


def test_3c_a_gift_found_after_all_at_pack_goes_in_after_its_short_pick_there(floor):
    s = _at_pack_without_the_gift(floor)
    floor.ctl.key("F2")
    floor.ctl.key("4")
    assert floor.ctl.key("F2").outcome == Outcome.REFUSED  # nothing left to ask for
    floor.ctl.key("F3")
    assert s.packed_qty("L3") == 1 and s.expected_weight[0] == 400


def test_f4_takes_back_a_gift_confirmed_by_mistake_at_pack_and_after_a_restart(floor):
    """A gift short picked whole, then F3 pressed at Pack by mistake: F4 said "Nothing to undo in this step", and the
    gift went on the label, the slip and the expected weight whether it was put in or not. F4 now takes the
    confirmation back (an `undo` event), also after a restart; then the next F4 has nothing of this step to undo."""
    at_queue(floor)
    floor.ctl.scan("SO-1002")  # L1 x2, L2 x1, L3 the thank-you card (gift, 100 g)
    for code in ("ITEM-001", "ITEM-001", "ITEM-002"):
        floor.ctl.scan(code)
    floor.ctl.key("F2")
    floor.ctl.key("Down")
    floor.ctl.scan("@@REASON:NOT_FOUND")
    s = floor.ctl.session
    while s.step != Step.PACK:
        floor.ctl.complete_step() if not s.blockers() else floor.work_counting()
    assert floor.ctl.key("F3").outcome == Outcome.DONE and s.gift_ok("L3") and s.expected_weight[0] == 400
    r = floor.ctl.key("F4")
    assert r.outcome == Outcome.DONE
    assert r.feedback.en == "Undone: Thank-you card is not confirmed — put it in and scan it, or confirm it (F3)"
    assert r.feedback.text("zh_CN") == "已撤销：Thank-you card 未确认——请放入包裹并扫描，或确认（F3）"
    assert not s.gift_ok("L3") and s.packed_qty("L3") == 0 and s.expected_weight[0] == 300
    assert any("gift" in b.en for b in floor.ctl.blockers())
    assert floor.ctl.key("F4").feedback.en == "Nothing to undo in this step."  # the pick's scans stay counted

    assert floor.ctl.scan("ITEM-003").outcome == Outcome.DONE and s.gift_ok("L3")  # scanned into the carton
    assert floor.ctl.key("F4").outcome == Outcome.DONE and not s.gift_ok("L3")  # ... and taken out again
    floor.ctl.key("F3")  # confirmed again, then the station restarts: F4 still takes it back
    f2 = floor.restart()
    try:
        f2.login()
        s2 = f2.ctl.session
        assert s2.step == Step.PACK and s2.gift_ok("L3")
        assert f2.ctl.key("F4").outcome == Outcome.DONE and not s2.gift_ok("L3") and s2.expected_weight[0] == 300
        f3 = f2.restart()
        try:  # the undo itself replayed: not confirmed after the next restart either
            f3.login()
            assert not f3.ctl.session.gift_ok("L3")
        finally:
            f3.close()
    finally:
        f2.close()


def test_f4_takes_back_a_gift_confirmed_at_pick_for_that_step_only(floor):
    at_queue(floor)
    floor.ctl.scan("SO-1002")
    floor.ctl.scan("ITEM-001")
    assert floor.ctl.key("F3").outcome == Outcome.DONE and floor.ctl.session.line_done("L3")
    assert floor.ctl.key("F4").outcome == Outcome.DONE and not floor.ctl.session.line_done("L3")
    r = floor.ctl.key("F4")  # then the scan before it
    assert r.outcome == Outcome.DONE and floor.ctl.session.progress["L1"].scanned == 0


def test_an_order_another_operator_left_open_is_taken_over_with_a_word(floor):
    """QA: K-001 logged out (idle) with 1001 open; P-001 scanned 1001 and carried on with K-001's counts, told only
    "Order 1001 resumed where it was left". Said, in amber: whose counts they are."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("ITEM-001")
    floor.ctl.logout()
    floor.login("P-001", "1111")
    floor.ctl.key("Enter")
    r = floor.ctl.scan("SO-1001")
    assert r.feedback.level == Level.HINT
    assert r.feedback.en.startswith("Order 1001 resumed where it was left: Pick.")
    assert "Packer left it open: you carry on with their counts." in r.feedback.en
    assert "Packer 未完成此订单" in r.feedback.text("zh_CN")
    assert floor.ctl.session.progress["L1"].scanned == 1
    floor.ctl.key("Escape")  # left by P-001 now: opened again by P-001, nobody else's counts to say
    r = floor.ctl.scan("SO-1001")
    assert r.feedback.en.startswith("Order 1001 resumed where it was left: Pick.") and "left it open" not in r.feedback.en


def test_caps_lock_is_said_at_login_and_when_an_order_opens_by_a_swapped_barcode(floor):
    """The badge "k-001" and the order "so-1001" are found with Caps Lock on, and nothing said it: the packer learnt
    of it only at the first item code with letters. Both now say it, in either language."""
    floor.login("k-001", "2222")
    assert floor.ctl.operator is not None
    assert floor.ctl.feedback is not None and floor.ctl.feedback.en == "Caps Lock is on: turn it off."
    assert floor.ctl.feedback.text("zh_CN") == "大写锁定已开启，请关闭。"
    floor.ctl.key("Enter")
    r = floor.ctl.scan("so-1001")
    assert r.outcome == Outcome.DONE and floor.ctl.session.order_id == "SO-1001"
    assert r.feedback.en == "Order 1001 is open: Pick. Start at bin A-01. Caps Lock is on: turn it off."
    assert r.feedback.level == Level.HINT
    floor.ctl.key("Esc")
    floor.ctl.logout()
    floor.login("K-001", "2222")  # Caps Lock off: nothing about it
    assert floor.ctl.feedback is None or "Caps Lock" not in floor.ctl.feedback.en
    floor.ctl.key("Enter")
    r = floor.ctl.scan("SO-1003")
    assert r.outcome == Outcome.DONE and "Caps Lock" not in r.feedback.en, r.feedback.en


def test_what_the_screen_reads_after_a_scan_walks_no_line_of_a_large_order(settings, monkeypatch):
    """After every scan the work screen asks for the lines still to do, how many, and the expected weight. On a
    10,000-line order, working those out from every line took 36 ms a scan at the median (60 on a slow machine):
    they are kept up to date instead, so a scan reads a handful of lines whatever the order's size."""
    from app.workflow import LineProgress, OrderSession

    big = make_order(7000, [line(i, 2) for i in range(1, 3001)])
    f = Floor(settings, [big])
    try:
        at_queue(f)
        f.ctl.scan("SO-7000")
        s = f.ctl.session
        before = (f.ctl.blockers(), f.ctl.weight_view())  # as the screen renders the order it opened
        looked = []
        complete, short_units = LineProgress.complete, OrderSession.short_units
        monkeypatch.setattr(LineProgress, "complete", property(lambda lp: looked.append(lp) or complete.fget(lp)))
        monkeypatch.setattr(OrderSession, "short_units", lambda o, lid: looked.append(lid) or short_units(o, lid))
        f.ctl.scan("ITEM-1500")  # a line far along the walk
        after = (f.ctl.blockers(), f.ctl.weight_view(), s.current_line())
        assert len(looked) < 50, len(looked)
        assert s.progress["L1500"].scanned == 1 and after[1] == before[1]
        assert [m.params["sku"] for m in after[0][:5]] == [f"SKU-{i:03d}" for i in range(1, 6)]
        assert after[0][5].params["count"] == 2995  # "… and 2,995 more lines"
    finally:
        f.close()


def test_the_order_at_work_at_logout_is_the_one_at_work_at_the_next_login(floor):
    """Two orders open; the packer went back to the first and logged out: the next login opens the first at work, the
    other waiting (its step clock stopped) and said as also open."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("SO-1003")
    floor.ctl.scan("SO-1001")
    floor.ctl.logout()
    floor.login()
    assert floor.ctl.session.order_id == "SO-1001" and not floor.ctl.session.suspended
    assert floor.station.sessions["SO-1003"].suspended
    assert "Also open: 1003." in floor.ctl.feedback.en


def test_the_queue_says_which_orders_are_open_at_this_station(floor):
    """An order switched away from stays open here, its clock stopped: the queue says "paused" for it, the
    OMS's status for the others. One left with Esc is "paused" too for the packer who left it (it said the OMS's
    "claimed", which read as someone else's order); for another operator it is what the OMS says."""
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    floor.ctl.scan("SO-1003")
    floor.ctl.key("Escape")
    assert floor.ctl.screen == Screen.QUEUE
    status = {p.id: floor.ctl.queue_status(p) for p in floor.ctl.queue_items()}
    assert status["SO-1001"] == "paused" and status["SO-1003"] == "paused", status
    assert status["SO-1002"] != "paused"
    floor.ctl.logout()
    at_queue(floor, "P-001", "1111")
    status = {p.id: floor.ctl.queue_status(p) for p in floor.ctl.queue_items()}
    assert status.get("SO-1003", "not listed") != "paused", status
    # the station restarted: the one left with Esc is "paused" for its packer still (the controller's memory is gone:
    # it said "claimed" again), the one switched away from is back at work
    f = floor.restart()
    f.login()
    assert f.ctl.session.order_id == "SO-1001"
    f.ctl.refresh_queue()
    status = {p.id: f.ctl.queue_status(p) for p in f.ctl.queue_items()}
    assert status["SO-1003"] == "paused" and status["SO-1002"] != "paused", status
    f.close()


def test_one_item_read_by_the_handheld_and_the_camera_counts_once(floor):
    """A webcam on the bench sees the item the packer scans with the handheld: two devices, one read each, one
    unit. On a line that wants two it completed the line with one unit in the parcel."""
    from app.scans import RawScan, ScanSource

    at_queue(floor)
    floor.ctl.scan("SO-1001")
    t = 5_000_000_000
    floor.ctl.scan(RawScan("ITEM-001", ScanSource.HID, mono_ns=t))
    r = floor.ctl.scan(RawScan("ITEM-001", ScanSource.CAMERA, mono_ns=t + 80_000_000))
    assert r.outcome == Outcome.REFUSED and r.changes == Change.NONE
    assert floor.ctl.session.progress["L1"].scanned == 1
    scans = [e for e in floor.core.events.events(types=[EventType.SCAN]) if e.payload.get("code") == "ITEM-001"]
    assert len(scans) == 1  # the dropped read is no event either
    floor.ctl.scan(RawScan("ITEM-001", ScanSource.CAMERA, mono_ns=t + 900_000_000))  # the second unit, shown later
    assert floor.ctl.session.progress["L1"].scanned == 2


def test_a_scan_with_a_lone_surrogate_is_nobodys_badge_and_no_python_error_reaches_the_packer(floor, caplog):
    """Fuzz (100,000 scans): a code with a lone surrogate in it (a broken decoder's) could not be bound by SQLite in the
    badge and order look-ups. At the login its badge read "Not done: UnicodeEncodeError: 'utf-8' codec can't encode
    …", and at work each such scan logged a traceback ("badge lookup failed", "pick list lookup failed")."""
    floor.ctl.scan("\udcffK-001")  # at the login screen: taken as a badge, the PIN asked
    r = floor.login("\udcffK-001", "2222")
    assert floor.ctl.operator is None and r.feedback.en == "Badge or PIN not recognised."
    failed = floor.core.events.events(types=["login_failed"])[-1]
    assert failed.payload["badge"] == "\\udcffK-001"  # recorded, escaped
    at_queue(floor)
    floor.ctl.scan("SO-1001")
    n = len(floor.core.events.events(types=[EventType.SCAN]))
    with caplog.at_level("ERROR"):
        for code in ("ITEM-001\udcff", "\ud83d\ud83dSO-1002", "\udcff"):
            r = floor.ctl.scan(code)
            assert "Error" not in r.feedback.en and "codec" not in r.feedback.en, r.feedback.en
    assert not [rec for rec in caplog.records if rec.levelname == "ERROR"], caplog.text
    assert len(floor.core.events.events(types=[EventType.SCAN])) == n + 3  # each one recorded


def test_no_order_open_shows_the_scanned_code_as_readable_text(floor):
    """The queue's "No order is open: scan an order's barcode first (…)" quoted the raw scan: a bidi override (U+202E)
    turned the rest of the message around on screen, control characters and lone surrogates went into the label
    (a string Qt cannot show). Now written as visible escapes, as the other scan messages do (`visible_text`)."""
    at_queue(floor)
    r = floor.ctl.scan("ab\u202ecd\x06\udcff")
    for language in ("en", "zh_CN"):
        text = r.feedback.text(language)
        text.encode("utf-8")  # no lone surrogate
        assert "\u202e" not in text and "\x06" not in text
        assert "ab\\u202ecd\\u0006\\udcff" in text
