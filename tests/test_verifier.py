"""The verifier at the pack bench: every scan gets one verdict at once, with a message in en + zh,
and is in the event log before the verdict comes back."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import schema
from app.picklist import PickList
from app.scans import RawScan, ScanSource
from app.store import now_ms
from app.verdicts import ScanVerdict, VerdictKind
from app.workflow import Station

TODAY = dt.date(2026, 11, 23)
BLUE_M = "4006381333931"
RED_M = "5901234123457"
CASE_BLUE_M = "14006381333938"  # GTIN-14 of the case of 12
GIFT = "96385074"
SERUM = "09506000134352"


def order(pid="SO-1", **extra) -> PickList:
    d = {
        "id": pid, "order_no": "NO-" + pid, "carrier": "SF",
        "lines": [
            {"id": "L1", "sku": "TEE-BLUE-M", "name": "T-shirt", "qty": 24, "style": "TEE", "color": "BLUE",
             "size": "M", "bin": "A-01", "bin_barcode": "BIN-A01", "bin_order": 1,
             "barcodes": [{"code": BLUE_M}, {"code": CASE_BLUE_M, "qty_per_scan": 12, "kind": "case"}]},
            {"id": "L2", "sku": "SERUM", "name": "Serum", "qty": 1, "bin": "B-02", "bin_barcode": "BIN-B02",
             "bin_order": 2, "barcodes": [SERUM], "lot": {"required": True, "allowed": ["D9T", "10D9T"],
                                                          "min_days_to_expiry": 30}},
            {"id": "L3", "sku": "GIFT-CARD", "name": "Thank-you card", "qty": 1, "gift": True, "bin_order": 3,
             "barcodes": [GIFT]},
        ],
        "siblings": [{"code": RED_M, "sku": "TEE-RED-M", "style": "TEE", "color": "RED", "size": "M",
                      "name": "T-shirt"}],
    }
    d.update(extra)
    return PickList.from_dict(d)


def station(core, **kw) -> Station:
    return Station(core, today=TODAY, **kw)


def scan(st_or_s, text, sym=None) -> ScanVerdict:
    return st_or_s.scan(RawScan(text, ScanSource.HID, sym))


def test_wrong_colour_is_named_in_both_languages_and_the_line_is_unchanged(core):
    s = station(core)
    o = s.open_order(order())
    v = scan(s, RED_M, "]E0")
    assert v.kind == VerdictKind.SIBLING_VARIANT
    assert "RED / M" in v.message("en") and "BLUE / M" in v.message("en")
    assert "RED / M" in v.message("zh_CN") and "BLUE / M" in v.message("zh_CN")
    assert v.expected_sku == "TEE-BLUE-M" and v.sku == "TEE-RED-M"
    assert o.progress["L1"].scanned == 0


def test_wrong_colour_after_the_wanted_one_is_complete_says_it_is_complete_not_that_the_order_wants_it(core):
    """The BLUE / M line done (24 of 24), then a RED / M: it said "the order wants BLUE / M", sending the packer for
    another blue one (QA: #50009, the XL done and a hoodie next). Still a wrong colour/size, said as done."""
    s = station(core)
    o = s.open_order(order())
    scan(s, CASE_BLUE_M)
    scan(s, CASE_BLUE_M)
    assert o.line_done("L1")
    v = scan(s, RED_M, "]E0")
    assert v.kind == VerdictKind.SIBLING_VARIANT and v.expected_sku == "TEE-BLUE-M"
    assert v.message("en") == ("Wrong variant: you scanned RED / M; the order's BLUE / M (T-shirt) is already "
                               "complete: put it back")
    assert v.message("zh_CN") == "款式颜色/尺码错误：您扫描的是 RED / M；订单的 BLUE / M（T-shirt）已完成：请放回"
    assert o.progress["L1"].scanned == 24


def test_case_barcode_adds_twelve(core):
    s = station(core)
    o = s.open_order(order())
    v = scan(s, CASE_BLUE_M)
    assert v.kind == VerdictKind.ACCEPTED and v.qty_added == 12 and v.line_id == "L1"
    assert o.progress["L1"].scanned == 12


def test_gtin14_with_leading_zero_matches_stored_ean13(core):
    s = station(core)
    o = s.open_order(order())
    v = scan(s, "0" + BLUE_M)
    assert v.kind == VerdictKind.ACCEPTED and o.progress["L1"].scanned == 1


def test_over_scan_is_rejected_and_the_line_stays_as_it_was(core):
    s = station(core)
    o = s.open_order(order())
    scan(s, CASE_BLUE_M)
    scan(s, CASE_BLUE_M)
    assert o.progress["L1"].complete
    v = scan(s, BLUE_M)
    assert v.kind == VerdictKind.OVER_SCAN and "24" in v.message("en")
    assert o.progress["L1"].scanned == 24


def test_a_case_where_the_order_needs_fewer_units_says_to_scan_single_units(core):
    """QA walkthrough, order #50019: the case code of 12 scanned for socks the order needs 2 of said "Too many: Socks
    3-pack needs 2, already 0. Put this one back." — nothing was too many yet, and putting one back is no answer."""
    s = station(core)
    o = s.open_order(order(lines=[{"id": "S", "sku": "PACK-02", "name": "Socks 3-pack", "qty": 2, "barcodes": [
        BLUE_M, {"code": CASE_BLUE_M, "qty_per_scan": 12, "kind": "case"}, {"code": RED_M, "qty_per_scan": 6,
                                                                            "kind": "inner"}]}], siblings=[]))
    v = scan(s, CASE_BLUE_M)
    assert v.kind == VerdictKind.OVER_SCAN and v.line_id == "S" and o.progress["S"].scanned == 0
    assert v.message("en") == "That is a case of 12; the order needs 2 — scan single units."
    assert v.message("zh_CN") == "这是一箱 12 件；订单需要 2 件 — 请扫描单件。"
    assert v.details == {"qty_per_scan": 12, "barcode_kind": "case", "required": 2, "scanned": 0}
    assert scan(s, RED_M).message("en") == "That is a pack of 6; the order needs 2 — scan single units."
    scan(s, BLUE_M)
    assert scan(s, CASE_BLUE_M).message("en") == "That is a case of 12; the order needs 1 more — scan single units."
    assert scan(s, CASE_BLUE_M).message("zh_CN") == "这是一箱 12 件；订单还需要 1 件 — 请扫描单件。"
    scan(s, BLUE_M)
    v = scan(s, CASE_BLUE_M)  # the line is complete: too many, whatever was scanned
    assert v.message("en") == "Too many: Socks 3-pack needs 2, already 2. Put this one back."


def test_lot_label_10D9T_in_plain_code128_is_not_read_as_ai_10(core):
    s = station(core)
    s.open_order(order())
    v = scan(s, "10D9T", "]C0")
    assert v.kind == VerdictKind.UNKNOWN and v.code == "10D9T" and v.lot is None
    # the same characters behind a GS1-128 symbology id are AI 10 + lot D9T, on the GTIN's scan
    v2 = scan(s, "01" + SERUM + "10D9T\x1d17271231", "]C1")
    assert v2.kind == VerdictKind.ACCEPTED and v2.lot == "D9T" and v2.line_id == "L2"


def test_lot_rules_required_wrong_and_short_dated(core):
    s = station(core)
    o = s.open_order(order())
    assert scan(s, SERUM, "]E0").kind == VerdictKind.LOT_REQUIRED  # no lot on a plain EAN: missing, not wrong
    assert scan(s, "(01)" + SERUM + "(10)X1(17)271231").kind == VerdictKind.WRONG_LOT
    v = scan(s, "(01)" + SERUM + "(10)D9T(17)261201")  # 8 days left, rule wants 30
    assert v.kind == VerdictKind.EXPIRED_LOT and "2026-12-01" in v.message("en")
    assert v.message("en").endswith("too short-dated, take another")
    # a lot past its date is said to be expired, not short-dated
    v = scan(s, "(01)" + SERUM + "(10)D9T(17)261101")
    assert v.kind == VerdictKind.EXPIRED_LOT and v.message("en") == ("Lot D9T of Serum expired on 2026-11-01: "
                                                                     "take another")
    assert "已于 2026-11-01 过期" in v.message("zh_CN")
    assert o.progress["L2"].scanned == 0


def test_a_scanner_that_drops_the_gs_after_the_lot_does_not_hide_the_expiry(core):
    """A wedge scanner not set up to send GS (FNC1) types (01)(10)D9T(17)261101 as "0109506000134352" "10D9T17261101":
    read as the lot "D9T17261101" with no expiry, an expired lot was counted on a line that checks expiry, and an
    allowed lot was said to be a wrong one."""
    s = station(core)
    pl = order()
    serum = pl.to_dict()
    serum["lines"][1]["lot"] = {"required": True, "min_days_to_expiry": 30}  # any lot, at least 30 days to go
    o = s.open_order(PickList.from_dict(serum))
    v = scan(s, "01" + SERUM + "10D9T17261101")
    assert v.kind == VerdictKind.EXPIRED_LOT and v.lot == "D9T" and v.expiry == "2026-11-01"
    assert o.progress["L2"].scanned == 0
    s2 = station(core)
    o2 = s2.open_order(order("SO-2"))  # lots D9T and 10D9T allowed
    v = scan(s2, "01" + SERUM + "10D9T1728123121SN1")  # (01)(10)(17)(21): both GS lost
    assert v.kind == VerdictKind.ACCEPTED and (v.lot, v.expiry, v.serial) == ("D9T", "2028-12-31", "SN1")
    assert o2.progress["L2"].scanned == 1


def test_a_gs1_digital_link_qr_is_read_as_its_gtin_lot_and_expiry(core):
    """The QR on a product's pack is more and more a GS1 Digital Link (https://<brand or id.gs1.org>/01/<GTIN>/10/<lot>
    ?17=<expiry>): it read "Unknown barcode https://…", and a lot-required line could not be scanned from it. Its
    element strings are the same fields as the GS1-128 beside it; any other web address stays an unknown text."""
    s = station(core)
    o = s.open_order(order())
    v = scan(s, "https://brand.example.com/01/" + SERUM + "/10/X1?17=271231", "]Q1")
    assert v.kind == VerdictKind.WRONG_LOT and v.lot == "X1"  # read as the serum, its lot checked
    v = scan(s, "HTTPS://ID.GS1.ORG/01/" + SERUM + "/10/D9T?17=271231", "]Q1")
    assert v.kind == VerdictKind.ACCEPTED and v.lot == "D9T" and v.expiry == "2027-12-31"
    assert o.progress["L2"].scanned == 1
    ev = core.events.last("scan")
    assert ev.payload["code"] == SERUM and ev.payload["raw"].startswith("HTTPS://ID.GS1.ORG/")
    v = scan(s, "https://shop.example.com/orders/50002")
    assert v.kind == VerdictKind.UNKNOWN and "https://shop.example.com/orders/50002" in v.message("en")


def test_unknown_barcode_is_never_silent(core):
    s = station(core)
    s.open_order(order())
    v = scan(s, "ZZ-NOT-A-THING")
    assert v.kind == VerdictKind.UNKNOWN and "ZZ-NOT-A-THING" in v.message("en") and v.message("zh_CN")
    ev = core.events.last("scan")
    assert ev.kind == "unknown" and ev.payload["raw"] == "ZZ-NOT-A-THING"


def test_bad_check_digit_is_unreadable_with_a_message(core):
    s = station(core)
    s.open_order(order())
    v = scan(s, "4006381333932")
    assert v.kind == VerdictKind.UNREADABLE and "check digit" in v.message("en") and "校验位" in v.message("zh_CN")


def test_known_product_not_on_the_order_is_wrong_item_not_unknown(core):
    doc = {"sku": "MUG", "name": "Mug", "style": "MUG", "barcodes": [{"code": "4012345678901"}]}
    with core.store.write() as c:
        c.execute(schema.products.insert().values(sku="MUG", name="Mug", doc=json.dumps(doc),
                                                  updated_at_ms=now_ms()))
    s = station(core)
    s.open_order(order())
    v = scan(s, "4012345678901")
    assert v.kind == VerdictKind.WRONG_ITEM and v.sku == "MUG" and "MUG" in v.message("en")


def test_item_of_another_open_order_says_which(core):
    s = station(core)
    s.open_order(order("SO-2"))
    s.open_order(PickList.from_dict({"id": "SO-3", "lines": [{"id": "X", "sku": "CAP", "qty": 1,
                                                               "barcodes": ["5012345678900"]}]}))
    v = scan(s, BLUE_M)
    assert v.kind == VerdictKind.OTHER_ORDER and v.other_order_id == "SO-2"


def test_bins_confirmed_and_wrong_bin(core):
    s = station(core)
    o = s.open_order(order())
    v = scan(s, "BIN-A01")
    assert v.kind == VerdictKind.BIN_CONFIRMED and o.progress["L1"].bin_confirmed
    assert v.message("en") == "Bin A-01 confirmed"
    scan(s, "(01)" + SERUM + "(10)D9T(17)271231")  # the serum (bin B-02) is done
    v = scan(s, "BIN-B02")
    assert v.kind == VerdictKind.WRONG_BIN and v.line_id == "L1" and v.message("en") == "Bin B-02 is done: go to A-01"
    assert v.message("zh_CN") == "库位 B-02 已拣完：请前往 A-01"


def test_a_wrong_bins_event_says_the_bin_expected_not_only_the_sku(core):
    """QA walkthrough: the supervisor's latest errors said "Expected HOOD-BLACK-L" for a wrong bin, the SKU of the line
    at hand (the verdict's expected_sku); the bin the packer should have been at was nowhere in the event."""
    s = station(core)
    s.open_order(order())
    scan(s, "(01)" + SERUM + "(10)D9T(17)271231")
    scan(s, "BIN-B02")  # the serum's bin, done
    stored = core.events.last("scan").payload["verdict"]
    assert stored["kind"] == "wrong_bin" and stored["details"] == {"bin": "B-02", "expected_bin": "A-01"}
    scan(s, "BIN-A01-01")  # a bin of no line of the order
    ev = core.events.last("scan")
    assert ev.payload["verdict"]["details"] == {"bin": "A01-01", "expected_bin": "A-01"}
    from app.stats import error_entry  # the latest errors' "Expected": the bin

    entry = error_entry(ev.ts_utc_ms, ev.station_id, ev.operator_id, ev.order_id, ev.type, ev.kind, ev.payload)
    assert entry["expected"] == "A-01"


def test_a_bin_out_of_the_walk_takes_the_packer_to_its_line(core):
    """QA walkthrough, order #50009: the polo picked, the mug's bin (a later line) counted as a wrong bin, and the mug
    scanned next was accepted. The walk is a way through the bins, not a rule: the mug's bin confirms it and the mug
    is the line at hand (the screen's item, F2, F11) until it is done; then the walk goes on where it was."""
    pl = PickList.from_dict({"id": "SO-1009", "order_no": "#50009", "lines": [
        {"id": "polo", "sku": "POLO", "name": "Polo", "qty": 1, "bin": "A02-05", "bin_barcode": "BIN-A02-05",
         "bin_order": 14, "barcodes": ["6900000000151"]},
        {"id": "mug", "sku": "MUG", "name": "Mug", "qty": 2, "bin": "A02-10", "bin_barcode": "BIN-A02-10",
         "bin_order": 19, "barcodes": ["6900000000205"]},
        {"id": "hood", "sku": "HOOD", "name": "Hoodie", "qty": 1, "bin": "A02-07", "bin_barcode": "BIN-A02-07",
         "bin_order": 16, "barcodes": ["6900000000175"]}]})
    s = station(core)
    o = s.open_order(pl)
    assert scan(s, "6900000000151").kind == VerdictKind.ACCEPTED
    assert o.current_line().id == "hood"
    v = scan(s, "BIN-A02-10")
    assert v.kind == VerdictKind.BIN_CONFIRMED and v.line_id == "mug"
    assert v.message("en") == "Bin A02-10 confirmed: take Mug" and v.message("zh_CN") == "库位 A02-10 已确认：请拣 Mug"
    assert core.events.last("scan").kind == "bin_confirmed"
    assert o.current_line().id == "mug"
    assert scan(s, "6900000000205").kind == VerdictKind.ACCEPTED
    assert o.current_line().id == "mug"  # one of two: still the line at hand
    # the station restarted here: the order comes back at the mug
    again = station(core).open_order(pl)
    assert again.current_line().id == "mug"
    assert scan(s, "6900000000205").kind == VerdictKind.ACCEPTED
    assert o.current_line().id == "hood"  # the mug done, the walk goes on
    assert scan(s, "BIN-A02-10").message("en") == "Bin A02-10 is done: go to A02-07"


def test_a_bin_label_of_a_bin_the_order_does_not_go_to_is_a_wrong_bin_not_an_unknown_barcode(core):
    """QA walkthrough, order #50009: at Pick, its first line at bin A02-05, BIN-A01-01 was "Unknown barcode … not in
    this order or the catalogue" and counted as an unknown barcode."""
    s = station(core)
    o = s.open_order(order())
    v = scan(s, "BIN-A01-01")
    assert v.kind == VerdictKind.WRONG_BIN and v.line_id == "L1"
    assert v.message("en") == "Wrong bin A01-01: go to A-01"
    assert v.message("zh_CN") == "库位 A01-01 错误：请前往 A-01"
    assert core.events.last("scan").kind == "wrong_bin"
    assert o.progress["L1"].scanned == 0 and not o.progress["L1"].bin_confirmed
    # typed with Caps Lock on, it is still a bin (and said so)
    v = scan(s, "bin-a01-01")
    assert v.kind == VerdictKind.WRONG_BIN and v.details.get("caps_lock")
    # another open order's bin is named as that order names it, whatever its label looks like
    s.open_order(PickList.from_dict({"id": "SO-7", "lines": [{"id": "X", "sku": "CAP", "qty": 1, "bin": "Z-9",
                                                               "bin_barcode": "LOC/Z9", "barcodes": ["5012345678900"]}]}))
    s.open_order(o.picklist)  # back to the first order
    assert scan(s, "LOC/Z9").message("en") == "Wrong bin Z-9: go to A-01"
    # nothing left to go to: the bin is still a bin
    for _ in range(24):
        scan(s, BLUE_M)
    scan(s, "(01)" + SERUM + "(10)D9T(17)271231")
    scan(s, GIFT)
    assert o.current_line() is None
    v = scan(s, "BIN-A01-01")
    assert v.kind == VerdictKind.WRONG_BIN and v.message("en") == "Wrong bin A01-01: nothing of this order is there"


def test_bin_labels_begin_as_the_warehouse_prints_them(settings):
    from app.core import open_core

    settings.workflow.bin_label_prefixes = ["LOC:"]
    core = open_core(settings)
    try:
        s = station(core)
        s.open_order(order())
        assert scan(s, "LOC:C-12").message("en") == "Wrong bin C-12: go to A-01"
        assert scan(s, "BIN-A01-01").kind == VerdictKind.UNKNOWN  # not this warehouse's labels
    finally:
        core.close()


def test_no_order_open_and_order_barcode_selects(core):
    s = station(core)
    assert scan(s, BLUE_M).kind == VerdictKind.NO_ORDER
    pl = order("SO-9")
    with core.store.write() as c:
        c.execute(schema.picklists.insert().values(id="SO-9", order_no="NO-SO-9", status="open",
                                                   fetched_at_ms=now_ms(), doc=json.dumps(pl.to_dict())))
    v = scan(s, "NO-SO-9")
    assert v.kind == VerdictKind.ORDER_SELECTED and v.other_order_id == "SO-9"
    assert s.cached_picklist("NO-SO-9").id == "SO-9"


def test_an_ean13_with_its_add_on_run_together_is_the_item_and_a_long_order_number_is_still_its_order(core):
    """A scanner set to read add-ons sends an EAN-13 + 5 (a book's price) or + 2 (a magazine's issue) as one run of
    digits, with no AIM id or with ]E0: "Unknown barcode 400638133393151234", the item could not be packed. An order
    number of 18 digits that merely starts like an EAN-13 still opens its order."""
    s = station(core)
    o = s.open_order(order())
    v = scan(s, BLUE_M + "51234")
    assert v.kind == VerdictKind.ACCEPTED and v.line_id == "L1" and v.qty_added == 1
    assert v.details["addon"] == "51234"
    v = scan(s, BLUE_M + "07", "]E0")
    assert v.kind == VerdictKind.ACCEPTED and v.line_id == "L1" and v.qty_added == 1
    assert o.progress["L1"].scanned == 2
    assert scan(s, BLUE_M[:-1] + "2" + "07").kind == VerdictKind.UNKNOWN  # its base's check digit wrong: no EAN-13
    long_no = BLUE_M + "00042"
    pl = order("SO-9", order_no=long_no)
    with core.store.write() as c:
        c.execute(schema.picklists.insert().values(id="SO-9", order_no=long_no, status="open",
                                                   fetched_at_ms=now_ms(), doc=json.dumps(pl.to_dict())))
    v = scan(station(core), long_no)
    assert v.kind == VerdictKind.ORDER_SELECTED and v.other_order_id == "SO-9"


def test_a_gs1_code_typed_with_caps_lock_on_and_its_aim_id_in_the_other_case_counts(core):
    """Caps Lock on and the scanner sending AIM ids: GS1 DataMatrix's "]d2" comes as "]D2" and its lot "D9T" as "d9t",
    DataBar's "]e0" as "]E0". The capital D hid the Caps Lock (an allowed lot was a wrong one, or the code unknown) and
    "]E0" with 16 digits was an unknown barcode."""
    s = station(core)
    o = s.open_order(order())
    v = scan(s, "]D201" + SERUM + "17281231" "10d9t")
    assert v.kind == VerdictKind.ACCEPTED and v.line_id == "L2" and v.lot == "D9T" and v.details.get("caps_lock")
    v = scan(s, "]E001" + "0" + BLUE_M)
    assert v.kind == VerdictKind.ACCEPTED and v.line_id == "L1" and v.qty_added == 1
    assert (o.progress["L1"].scanned, o.progress["L2"].scanned) == (1, 1)


def test_a_shipping_label_s_sscc_is_said_to_be_one_and_its_content_counts_without_a_gs(core):
    """A pallet's or a parcel's label: (00) SSCC alone was "Unknown barcode 00106141411234567897", which sent the
    packer to a supervisor; with (02) content (37) count (all fixed length but the last: no GS) and no AIM id, as a
    wedge sends it, it was unknown too, where with ]C1 it counted its cases."""
    s = station(core)
    o = s.open_order(order())
    for text, sym in (("00106141411234567897", None), ("00106141411234567897", "]C1"), ("(00)106141411234567897", None)):
        v = scan(s, text, sym)
        assert v.kind == VerdictKind.UNKNOWN and v.details["sscc"] == "106141411234567897", (text, sym)
        assert "SSCC 106141411234567897" in v.message("en") and "物流标签" in v.message("zh_CN")
    assert scan(s, "00106141411234567898").kind == VerdictKind.UNKNOWN  # check digit wrong: just an unknown number
    assert "SSCC" not in scan(s, "00106141411234567898").message("en")
    v = scan(s, "00106141411234567897" "02" + CASE_BLUE_M + "371")
    assert v.kind == VerdictKind.ACCEPTED and v.line_id == "L1" and v.qty_added == 12
    assert o.progress["L1"].scanned == 12


def test_a_carton_label_naming_its_contents_without_their_count_is_not_counted_as_one_of_them(core):
    """AI 02 is the GTIN of what a carton or pallet holds; GS1 requires its count, AI 37, with it. Without the count
    the label was counted as one of its contents (12 for a case of 12, whatever the pallet held)."""
    s = station(core)
    o = s.open_order(order())
    for text, sym in (("02" + CASE_BLUE_M, "]C1"), ("02" + CASE_BLUE_M, None), ("(02)" + CASE_BLUE_M + "(10)D9T", None),
                      ("00106141411234567897" "02" + CASE_BLUE_M, None)):
        v = scan(s, text, sym)
        assert v.kind == VerdictKind.UNREADABLE and v.details["error"] == "gs1_count", (text, sym)
        assert "(37)" in v.message("en") and "数量" in v.message("zh_CN")
    for text in ("(02)" + CASE_BLUE_M + "(37)0", "(01)" + "0" + BLUE_M + "(30)00"):  # a count of nothing
        v = scan(s, text)
        assert v.kind == VerdictKind.UNREADABLE and v.qty_added == 0, text
    assert o.progress["L1"].scanned == 0
    assert scan(s, "(02)" + CASE_BLUE_M + "(37)1").qty_added == 12


def test_a_broken_gs1_code_is_said_in_the_packer_s_words_not_the_parser_s(core):
    """The parser's words ("Failed to match '17271341' with GS1 AI (17) pattern …") were the message, English on the
    Chinese screen too; they stay in the scan's details for the log."""
    s = station(core)
    s.open_order(order())
    v = scan(s, "(01)" + SERUM + "(17)271341")
    assert v.kind == VerdictKind.UNREADABLE and "pattern" in v.details["detail"]
    for lang in ("en", "zh_CN"):
        assert "Failed" not in v.message(lang) and "pattern" not in v.message(lang)
    assert "supervisor" in v.message("en") and "主管" in v.message("zh_CN")


def test_a_magazine_issue_stored_with_its_add_on_is_not_another_issue(core):
    """A magazine's issues share their EAN-13 and differ in the 2-digit add-on; an order for issue 07 stores
    "9771234567003 07". Keyed by the base alone, issue 08 scanned (run together, spaced or ]E3) counted as issue 07.
    A code stored without an add-on still matches the scan with one (a book by its ISBN, its price add-on read)."""
    from app.catalog import Catalog

    mag = "9771234567003"
    pl = PickList.from_dict({"id": "MAG", "lines": [
        {"id": "M7", "sku": "MAG-07", "name": "Magazine 07", "qty": 2, "barcodes": [mag + "07"]},
        {"id": "B", "sku": "BOOK", "name": "Book", "qty": 1, "barcodes": ["9780306406157"]}]})
    s = station(core, catalog=Catalog([{"sku": "MAG-08", "name": "Magazine 08", "barcodes": [mag + " 08"]}]))
    o = s.open_order(pl)
    for text, sym in ((mag + "08", None), (mag + " 08", None), (mag + "08", "]E3"), (mag, "]E0")):
        v = scan(s, text, sym)
        assert v.kind != VerdictKind.ACCEPTED, (text, sym)
    assert scan(s, mag + "08").kind == VerdictKind.WRONG_ITEM  # the catalogue's issue 08
    assert scan(s, mag + "07").kind == VerdictKind.ACCEPTED and scan(s, mag + "+07", "]E3").kind == VerdictKind.ACCEPTED
    assert scan(s, "978030640615790000").kind == VerdictKind.ACCEPTED
    assert (o.progress["M7"].scanned, o.progress["B"].scanned) == (2, 1)


def test_a_code_39_bin_label_read_with_its_check_character_confirms_its_bin(core):
    """Bin labels printed in Code 39 with their mod-43 check character ("BIN-A01" + "D"), read by a scanner that does
    not check it (no AIM id, or ]A0): "Wrong bin A01D: go to A-01", at bin A-01. Not for orders (sequential numbers:
    "NO-SO-10" may be order NO-SO-10 not yet on the station) nor for a character that is not the check."""
    s = station(core)
    s.open_order(order())
    for sym in (None, "]A0"):
        v = scan(s, "BIN-A01D", sym)
        assert v.kind == VerdictKind.BIN_CONFIRMED and v.line_id == "L1" and v.details["code39_check"] == "D", sym
    assert scan(s, "BIN-A01X").kind == VerdictKind.WRONG_BIN
    with core.store.write() as c:
        c.execute(schema.picklists.insert().values(id="SO-1", order_no="NO-SO-1", status="open",
                                                   fetched_at_ms=now_ms(), doc=json.dumps(order().to_dict())))
    s2 = station(core)
    assert scan(s2, "NO-SO-1").kind == VerdictKind.ORDER_SELECTED
    assert scan(s2, "NO-SO-10").kind != VerdictKind.ORDER_SELECTED  # NO-SO-1's check character is "0"


def test_a_barcode_the_catalogue_knows_as_the_order_s_own_sku_is_not_a_wrong_item(core):
    """The pick list lists one barcode of its line; the catalogue knows the product's second EAN and its case's ITF-14.
    Either was "Wrong item: TEE-BLUE-M T-shirt is not on this order" (or, with the product's style, "you scanned
    BLUE / M, the order wants BLUE / M"), of the order's own item. The second EAN is the item; the case is said to
    be one, not counted."""
    from app.catalog import Catalog

    other_ean = "4012345000016"
    cat = Catalog([{"sku": "TEE-BLUE-M", "name": "T-shirt", "style": "TEE", "color": "BLUE", "size": "M",
                    "barcodes": [BLUE_M, other_ean, {"code": CASE_BLUE_M, "qty_per_scan": 12, "kind": "case"}]}])
    s = station(core, catalog=cat)
    pl = order().to_dict()
    pl["lines"][0]["barcodes"] = [{"code": BLUE_M}]
    o = s.open_order(PickList.from_dict(pl))
    v = scan(s, other_ean)
    assert v.kind == VerdictKind.ACCEPTED and v.line_id == "L1" and v.qty_added == 1
    for text, sym in ((CASE_BLUE_M, "]I1"), ("(02)" + CASE_BLUE_M + "(37)2", None)):
        v = scan(s, text, sym)
        assert v.kind == VerdictKind.WRONG_ITEM and "pack of 12" in v.message("en") and "not on this order" not in \
            v.message("en") and "12 件装" in v.message("zh_CN"), text
    assert o.progress["L1"].scanned == 1


def test_a_digital_link_typed_with_caps_lock_on_is_its_allowed_lot(core):
    """A wedge with Caps Lock on types the QR's "https://id.gs1.org/01/…/10/D9T" as "HTTPS://ID.GS1.ORG/01/…/10/d9t":
    capitals in it, so Caps Lock was not suspected, and the allowed lot D9T was a wrong lot d9t."""
    s = station(core)
    o = s.open_order(order())
    v = scan(s, "HTTPS://ID.GS1.ORG/01/" + SERUM + "/10/d9t?17=281231")
    assert v.kind == VerdictKind.ACCEPTED and v.lot == "D9T" and v.details.get("caps_lock")
    assert "Caps Lock" in v.message("en") and o.progress["L2"].scanned == 1


def test_a_code_39_bin_label_whose_last_character_merely_fits_as_a_check_character_is_still_its_bin(core):
    """zxing-cpp (the webcam) says ]A1 whenever a Code 39's last character fits as its mod-43 check character (1 label
    in 43): bin label "BIN-A0C" was read as "BIN-A0" and said to be a wrong bin "A0". A bin's label is its whole text
    too (an order's is not: NO-SO-1 and its check character "0" is order NO-SO-10)."""
    pl = order().to_dict()
    pl["lines"][0]["bin_barcode"] = "BIN-A0C"  # C: the check character of BIN-A0
    s = station(core)
    s.open_order(PickList.from_dict(pl))
    v = scan(s, "BIN-A0C", "]A1")
    assert v.kind == VerdictKind.BIN_CONFIRMED and v.line_id == "L1"
    assert scan(s, "BIN-A0C").kind == VerdictKind.BIN_CONFIRMED


def test_intercepted_order_blocks_every_scan(core):
    s = station(core)
    o = s.open_order(order())
    o.mark_intercepted("cancelled", "customer cancelled")
    v = scan(s, BLUE_M)
    assert v.kind == VerdictKind.INTERCEPTED and "cancelled" in v.message("en") and "取消" in v.message("zh_CN")
    assert "已已" not in v.message("zh_CN")  # the status word brings its own 已
    assert o.progress["L1"].scanned == 0


def test_a_verdict_is_one_message_and_its_stored_form_is_the_message_itself(core):
    """`v.message` is a Msg (id + fields, no language); the scan event stores the message itself (id and fields), so
    it can be shown in English or Chinese later, and no rendered copy of it (no "message_en", no "message_zh")."""
    from app.i18n import Msg

    s = station(core)
    s.open_order(order())
    v = scan(s, RED_M, "]E0")
    assert isinstance(v.message, Msg) and v.message.id.startswith("Wrong variant")
    assert v.message.params == {"scanned_variant": "RED / M", "wanted_variant": "BLUE / M", "name": v.message.params["name"]}
    assert v.message("en") == v.message.text("en") == v.message.en and "RED / M" in v.message.text("zh_CN")
    stored = core.events.last("scan").payload["verdict"]
    assert "message_en" not in stored and "message_zh" not in stored
    again = Msg.from_dict(stored["message"])
    assert again == v.message and again.text("zh_CN") == v.message("zh_CN") != v.message("en")


def test_every_scan_is_an_event_before_the_verdict_returns(core):
    s = station(core)
    s.open_order(order())
    seen = []
    core.events.subscribe(lambda ev: seen.append(ev) if ev.type == "scan" else None)
    for text in (BLUE_M, RED_M, "junk\x00", "", "@@ACK"):
        n_before = len(seen)
        v = scan(s, text)
        assert len(seen) == n_before + 1
        assert seen[-1].payload["verdict"]["kind"] == v.kind.value == seen[-1].kind


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80), sym=st.one_of(st.none(), st.sampled_from(["]C0", "]C1", "]E0", "]d2", "]Q3", "x"])))
def test_arbitrary_scanner_text_always_gets_a_verdict(core, text, sym):
    s = _shared_station(core)
    v = scan(s, text, sym)
    assert isinstance(v, ScanVerdict) and v.kind in VerdictKind and v.message("en") and v.message("zh_CN")


_STATIONS: dict[int, Station] = {}


def _shared_station(core) -> Station:
    if id(core) not in _STATIONS:
        _STATIONS.clear()
        st_ = station(core)
        st_.open_order(order())
        _STATIONS[id(core)] = st_
    return _STATIONS[id(core)]


def test_serial_required_and_the_same_unit_counted_once_per_step(core):
    s = station(core, steps=["pick", "verify"])
    o = s.open_order(PickList.from_dict({"id": "SN", "lines": [
        {"id": "P", "sku": "PHONE", "name": "Phone", "qty": 2, "serial_required": True, "barcodes": [SERUM]}]}))
    v = scan(s, SERUM, "]E0")
    assert v.kind == VerdictKind.SERIAL_REQUIRED and "serial" in v.message("en") and "序列号" in v.message("zh_CN")
    unit1 = "(01)" + SERUM + "(21)SN001"
    assert scan(s, unit1).kind == VerdictKind.ACCEPTED
    again = scan(s, unit1)
    assert again.kind == VerdictKind.OVER_SCAN and again.details["duplicate_serial"] == "SN001"
    assert o.progress["P"].scanned == 1
    scan(s, "(01)" + SERUM + "(21)SN002")
    o.complete_step()
    assert scan(s, unit1).kind == VerdictKind.ACCEPTED  # verify re-scans the same units


def test_two_products_whose_units_carry_the_same_serial_are_both_counted(core):
    """A GS1 serial is unique with its GTIN only: a phone and its charger may both be serial 0001. The second was
    refused as the same unit scanned again; the same product's serial again still is (also after an undo and a
    restart, which rebuild the serials from the event log)."""
    charger = "04012345000016"
    s = station(core)
    o = s.open_order(PickList.from_dict({"id": "SN2", "lines": [
        {"id": "P", "sku": "PHONE", "name": "Phone", "qty": 1, "serial_required": True, "barcodes": [SERUM]},
        {"id": "C", "sku": "CHARGER", "name": "Charger", "qty": 2, "serial_required": True, "barcodes": [charger]}]}))
    assert scan(s, "(01)" + SERUM + "(21)0001").kind == VerdictKind.ACCEPTED
    v = scan(s, "(01)" + charger + "(21)0001")
    assert v.kind == VerdictKind.ACCEPTED and v.line_id == "C"
    again = scan(s, "(01)" + charger + "(21)0001")
    assert again.kind == VerdictKind.OVER_SCAN and again.details["duplicate_serial"] == "0001"
    assert (o.progress["P"].scanned, o.progress["C"].scanned) == (1, 1)
    o.undo_last()
    assert o.progress["C"].scanned == 0
    assert scan(s, "(01)" + charger + "(21)0001").kind == VerdictKind.ACCEPTED
    s2 = station(core)
    o2 = s2.open_order(o.picklist)  # the same order, its counts replayed from the event log
    assert (o2.progress["P"].scanned, o2.progress["C"].scanned) == (1, 1)
    assert scan(s2, "(01)" + charger + "(21)0001").kind == VerdictKind.OVER_SCAN
    assert scan(s2, "(01)" + charger + "(21)0002").kind == VerdictKind.ACCEPTED


def test_catalogue_variant_of_a_wanted_style_is_named_even_without_pick_list_siblings(core):
    doc = {"sku": "TEE-GREEN-M", "name": "T-shirt", "style": "TEE", "color": "GREEN", "size": "M",
           "barcodes": [{"code": "4012345678901", "qty_per_scan": 1, "kind": "unit"}]}
    with core.store.write() as c:
        c.execute(schema.products.insert().values(sku=doc["sku"], name="T-shirt", doc=json.dumps(doc),
                                                  updated_at_ms=now_ms()))
    s = station(core)
    s.open_order(order())
    v = scan(s, "4012345678901")
    assert v.kind == VerdictKind.SIBLING_VARIANT and v.scanned_variant == "GREEN / M"
    assert v.wanted_variant == "BLUE / M" and "GREEN / M" in v.message("zh_CN")


def test_upce_scan_matches_a_line_stored_as_upca(core):
    s = station(core)
    o = s.open_order(PickList.from_dict({"id": "U", "lines": [
        {"id": "A", "sku": "GUM", "qty": 2, "barcodes": ["042100005264"]}]}))
    assert scan(s, "04252614", "]E0").kind == VerdictKind.ACCEPTED
    assert scan(s, "]E00042100005264").kind == VerdictKind.ACCEPTED
    assert o.progress["A"].complete


def test_eight_digits_that_read_as_two_products_are_not_counted_as_the_order_s(core):
    """QA: "01500080" from a wedge (no symbology id) is a valid EAN-8 and a valid UPC-E. The catalogue knew it as an
    EAN-8 (screws), the order wanted the soda whose UPC-A is the UPC-E expanded: it was accepted as the soda. Two
    readings, two products: not counted, said. With the scanner's code type sent, each reading is what it says."""
    from app.catalog import Catalog

    cat = Catalog([{"sku": "X-SCREWS", "name": "Screws", "barcodes": ["01500080"]},
                   {"sku": "Y-SODA", "name": "Soda", "barcodes": ["015000000080"]}])
    s = station(core, catalog=cat)
    o = s.open_order(PickList.from_dict({"id": "S", "lines": [
        {"id": "L1", "sku": "Y-SODA", "name": "Soda", "qty": 5, "barcodes": ["015000000080"]}]}))
    v = scan(s, "01500080")
    assert v.kind == VerdictKind.WRONG_ITEM and o.progress["L1"].scanned == 0
    assert v.message("en") == ("Not counted: 01500080 reads as two products, the order's Y-SODA and X-SCREWS Screws. "
                               "Set the scanner to send its code type (AIM), or call a supervisor")
    assert "Y-SODA" in v.message("zh_CN") and v.details["readings"] == ["Y-SODA", "X-SCREWS"]
    assert scan(s, "01500080", "]E4").kind == VerdictKind.WRONG_ITEM  # an EAN-8: the screws
    assert scan(s, "01500080", "]E0").kind == VerdictKind.ACCEPTED  # a UPC-E: the soda
    assert scan(s, "015000000080").kind == VerdictKind.ACCEPTED and o.progress["L1"].scanned == 2
    s2 = station(core, catalog=Catalog([{"sku": "Y-SODA", "name": "Soda", "barcodes": ["015000000080"]}]))
    s2.open_order(PickList.from_dict({"id": "S2", "lines": [
        {"id": "L1", "sku": "Y-SODA", "name": "Soda", "qty": 5, "barcodes": ["015000000080"]}]}))
    assert scan(s2, "01500080").kind == VerdictKind.ACCEPTED  # one reading known: it counts, as before


def test_a_name_that_already_says_its_colour_and_size_is_not_followed_by_them_again(core):
    """Item names often carry their variant ('Phone case Y5 BLACK'): the green panel read "Phone case Y5 BLACK BLACK
    +1 (1/2)" in the demo. The variant follows the name only where the name does not say it."""
    from app.picklist import variant_beyond

    assert variant_beyond("Phone case Y5 BLACK", "BLACK") == ""
    assert variant_beyond("Cotton T-shirt 纯棉T恤 BLACK S", "BLACK / S") == ""
    assert variant_beyond("Hoodie black", "BLACK / M") == "M"
    assert variant_beyond("T-shirt", "BLUE / M") == "BLUE / M"
    assert variant_beyond("Blackberry jam", "BLACK") == "BLACK"  # whole words only
    s = station(core)
    s.open_order(order())
    assert scan(s, BLUE_M).message("en") == "T-shirt BLUE / M +1 (1/24)"
    s2 = station(core)
    d = json.loads(json.dumps(order("SO-2").to_dict()))
    d["lines"][0]["name"] = "T-shirt BLUE M"
    s2.open_order(PickList.from_dict(d))
    assert scan(s2, BLUE_M).message("en") == "T-shirt BLUE M +1 (1/24)"


def test_a_verdict_made_on_the_scan_path_is_the_dataclass_it_stands_for():
    """`ScanVerdict.made` (every scan) gives what `ScanVerdict(...)` gives: equal, its fields in the same order
    (the stored form follows them), a details dict of its own, and frozen."""
    import dataclasses

    import pytest

    from app.verdicts import VerdictMessage

    m = VerdictMessage("{name} +{qty}", name="Tee", qty=1)
    fields = {"sku": "S1", "line_id": "L1", "qty_added": 1, "code": "06900000000076", "lot": "L02A"}
    made, built = ScanVerdict.made(VerdictKind.ACCEPTED, m, dict(fields)), ScanVerdict(VerdictKind.ACCEPTED, m, **fields)
    assert made == built and made.to_dict() == built.to_dict()
    assert list(vars(made)) == [f.name for f in dataclasses.fields(ScanVerdict)]
    other = ScanVerdict.made(VerdictKind.UNKNOWN, m, {})
    assert other.details == {} and other.details is not made.details and other.qty_added == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.sku = "S2"  # type: ignore[misc]


def test_a_logistic_label_counts_its_cases_and_a_case_of_variable_count_its_own_units(core):
    """GS1 counts: (02) + (37) says how many of that GTIN's items a logistic unit holds — two cases of 12 are 24;
    (30) says how many units the item itself holds — a case labelled (30)10 holds 10, whatever its standard pack.
    A case's count was ignored: the two cases counted 12, the case of 10 counted 12 (two units short in the
    parcel)."""
    s = station(core)
    o = s.open_order(order())
    v = scan(s, "]C102" + CASE_BLUE_M + "372")
    assert v.kind == VerdictKind.ACCEPTED and v.qty_added == 24 and o.progress["L1"].scanned == 24
    o = s.open_order(order("SO-2"))
    v = scan(s, "]C101" + CASE_BLUE_M + "3010")
    assert v.kind == VerdictKind.ACCEPTED and v.qty_added == 10 and o.progress["L1"].scanned == 10
    v = scan(s, "]C1020" + BLUE_M + "375")  # five units on a unit's logistic label: as before
    assert v.kind == VerdictKind.ACCEPTED and v.qty_added == 5 and o.progress["L1"].scanned == 15
