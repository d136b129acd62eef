"""Barcode normalisation as the floor meets it: scanners with and without AIM ids, GTIN lengths,
GS1 labels, lot labels that look like AIs, garbage."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.barcodes import normalise
from app.scans import RawScan, ScanSource
from hardware.benchmarks import CORPUS


def n(text, sym=None, **kw):
    return normalise(RawScan(text, ScanSource.HID, sym), **kw)


def test_ean13_and_gtin14_with_leading_zero_are_the_same_code():
    assert n("4006381333931").code == n("04006381333931").code == "04006381333931"
    assert n("]E04006381333931").code == "04006381333931"


def test_upca_upce_and_gtin14_all_match_on_gtin14():
    upca = n("042100005264", "]E0")
    upce = n("04252614", "]E0")
    assert upca.code == upce.code == "00042100005264"


def test_ean8_without_symbology_keeps_the_upce_reading_as_alternate():
    code = n("96385074")  # valid EAN-8
    assert code.code == "00000096385074"
    assert code.ok


def test_bad_check_digit_is_an_error_naming_the_code():
    c = n("4006381333932")
    assert c.error == "check_digit"
    assert "4006381333932" in c.error_detail


def test_numeric_code128_with_gtin_length_but_bad_check_is_plain_text():
    c = n("12345678", "]C0")
    assert c.ok and c.code == "12345678"


def test_plain_code128_lot_label_10D9T_is_text_not_ai_10():
    c = n("10D9T", "]C0")
    assert c.ok and not c.gs1 and c.code == "10D9T" and c.lot is None
    c2 = n("10D9T")  # no symbology at all: still text
    assert not c2.gs1 and c2.lot is None and c2.code == "10D9T"


def test_gs1_128_with_fnc1_separator_gives_gtin_lot_expiry_serial_count():
    c = n("]C1010950600013435210LOT42\x1d17261231" + "21SER9\x1d3012")
    assert c.gs1 and c.code == "09506000134352"
    assert c.lot == "LOT42" and c.expiry == dt.date(2026, 12, 31) and c.serial == "SER9" and c.count == 12


def test_gs1_from_symbology_field_and_from_leading_gs():
    a = n("010950600013435210ABC", "]d2")
    b = n("\x1d010950600013435210ABC")
    assert a.gtin == b.gtin == "09506000134352" and a.lot == b.lot == "ABC"


def test_gs1_128_from_a_wedge_without_aim_id_or_leading_fnc1_is_gs1():
    """A keyboard-wedge scanner's default: no AIM id, no FNC1 in first position, a GS only after a variable-length
    field. "(01)…(17)…(10)LOT" then arrives as plain text; it read "Unknown barcode 0106900000000342172712311 0L02A"
    in the demo, and a lot-required item could not be scanned at all."""
    c = n("01069000000003421727123110L02A")
    assert c.ok and c.gs1 and c.code == c.gtin == "06900000000342" and c.lot == "L02A"
    assert c.expiry == dt.date(2027, 12, 31) and c.text == "01069000000003421727123110L02A"
    assert c.keys()[-1] == c.text  # still found by its text (an internal code, an order number)
    g = n("0109506000134352")  # AI 01 alone
    assert g.gs1 and g.code == "09506000134352"
    with_gs = n("010950600013435210LOT42\x1d17261231")  # the GS after the lot, as the scanner sends it
    assert with_gs.lot == "LOT42" and with_gs.expiry == dt.date(2026, 12, 31)
    # anything else that starts like it stays text, without an error: a wrong check digit, a tail that is no
    # element string, a symbology that says it is plain Code 128
    for text, sym in (("01095060001343531727123110L02A", None), ("0109506000134352XYZ", None),
                      ("01095060001343521727123110L02A", "]C0"), ("0195060001343521", None)):
        c = n(text, sym)
        assert c.ok and not c.gs1 and c.code == text and c.lot is None, text


def test_gs1_digital_link_uri_is_gs1_and_any_other_address_is_text():
    c = n("https://id.gs1.org/01/09506000134352/10/ABC/21/S9?17=271231", "]Q1")
    assert c.ok and c.gs1 and c.code == c.gtin == "09506000134352" and (c.lot, c.serial) == ("ABC", "S9")
    assert c.expiry == dt.date(2027, 12, 31) and c.keys() == ("09506000134352", c.text)
    assert n("https://example.com/01/9506000134352").code == "09506000134352"  # any domain; a GTIN-13 too
    bad = n("https://id.gs1.org/01/09506000134353")
    assert bad.error == "check_digit" and "check digit" in bad.error_detail
    for text in ("https://example.com/orders/50002", "http://", "https://id.gs1.org/01/09506000134352/10/" + "L" * 21):
        c = n(text)
        assert c.ok and not c.gs1 and c.code == text, text


def test_gs_written_as_its_control_picture_or_as_angle_bracket_gs_is_gs():
    """Where GS cannot be typed (GS1 documents, scanner set-up tools, files of test scans) it is written "␝" or
    "<GS>": the lot ran on into the next field ("L02A<GS>17271231", a wrong lot for an allowed one) or the whole
    scan was an unknown text. A scanner told to send GS as text, or a terminal, writes it "^]" or "\\x1d": such a GS1
    DataMatrix was "GS1 barcode could not be read" (with "]d2") or an unknown barcode."""
    for gs in ("\u241d", "<GS>", "^]", "\\x1d", "\\x1D"):
        c = n(f"010950600013435210LOT42{gs}17261231")
        assert c.ok and c.gs1 and c.gtin == "09506000134352", gs
        assert c.lot == "LOT42" and c.expiry == dt.date(2026, 12, 31), gs
        c = n(f"0109506000134352172612311010-A{gs}21S/7", "]d2")
        assert c.ok and (c.lot, c.serial) == ("10-A", "S/7"), gs


def test_a_lot_or_serial_that_runs_into_a_date_is_read_with_the_gs_the_scanner_dropped():
    """No GS between a variable-length field and the next (a scanner not set up to send FNC1): the lot ran on into the
    expiry. A date element string (11/13/15/16/17 and a valid date) after which the rest parses whole ends the lot;
    nothing else does, so a lot with "21" or an invalid date in it stays whole."""
    c = n("0109506000134352" "10D9T17261231")
    assert c.ok and (c.lot, c.expiry) == ("D9T", dt.date(2026, 12, 31))
    c = n("0109506000134352" "21SN-1" "15270131" "10L7", sym="]d2")
    assert c.ok and (c.serial, c.expiry, c.lot) == ("SN-1", dt.date(2027, 1, 31), "L7")
    for text, lot in (("10D9T21SN1", "D9T21SN1"), ("10L17281399", "L17281399"), ("10D9T1726123", "D9T1726123")):
        c = n("0109506000134352" + text)
        assert c.ok and c.lot == lot and c.expiry is None, text
    c = n("0109506000134352" "17261231" "21" "123417250301109876")  # a numeric serial, last: no GS needed
    assert (c.expiry, c.serial, c.lot) == (dt.date(2026, 12, 31), "123417250301109876", None)
    c = n("0109506000134352" "10D9T\x1d17261231")  # the GS sent: as it says
    assert (c.lot, c.expiry) == ("D9T", dt.date(2026, 12, 31))


def test_human_readable_gs1():
    c = n("(01)09506000134352(10)D9T(17)270101")
    assert c.code == "09506000134352" and c.lot == "D9T" and c.expiry == dt.date(2027, 1, 1)


def test_gs1_with_bad_gtin_check_digit_is_unreadable():
    assert n("]C10109506000134353").error == "check_digit"


def test_prefix_suffix_and_control_characters_are_stripped():
    c = n("STX4006381333931\x00\r\n", prefix="STX")
    assert c.code == "04006381333931" and c.text == "4006381333931"
    assert n("40063\x0781333931").code == "04006381333931"


def test_empty_and_whitespace_scans_are_errors_not_exceptions():
    assert n("").error == "empty"
    assert n(" \x00\x01\r\n").error == "empty"


@pytest.mark.skipif(not (CORPUS / "manifest.csv").exists(), reason="barcode corpus not present")
def test_corpus_ean_upc_texts_normalise_to_valid_gtins():
    rows = list(csv.DictReader((CORPUS / "manifest.csv").open(encoding="utf-8")))
    checked = 0
    for r in rows:
        if r["format"] in ("EAN13", "EAN8", "UPCA") and r["expected_text"].isdigit():
            c = n(r["expected_text"], r["symbology_id"] or None)
            assert c.ok and c.gtin and len(c.gtin) == 14, r
            checked += 1
    assert checked > 100


@settings(max_examples=400, deadline=None)
@given(st.text(), st.one_of(st.none(), st.text(max_size=4)), st.text(max_size=3), st.text(max_size=3))
def test_normalise_never_raises(text, sym, prefix, suffix):
    c = normalise(RawScan(text, ScanSource.HID, sym), prefix=prefix, suffix=suffix)
    assert isinstance(c.code, str)
    assert c.ok or c.error


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60))
def test_bytes_ish_scanner_noise_never_raises(b):
    c = normalise(RawScan(b.decode("latin-1"), ScanSource.SERIAL))
    assert all(ch.isprintable() or ch == "\x1d" for ch in c.text)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0123456789", min_size=12, max_size=14), st.booleans())
def test_the_fast_gtin_check_gives_biips_answer(digits, fix_check):
    """GTIN-12/13/14 are checked without biip on the scan path: the same key, or the same refusal."""
    from biip import ParseError
    from biip.checksums import gs1_standard_check_digit
    from biip.gtin import Gtin

    from app.barcodes import _gtin14

    if fix_check:  # half of the cases with a right check digit (random digits get it right 1 time in 10)
        digits = digits[:-1] + str(gs1_standard_check_digit(digits[:-1]))
    try:
        want = Gtin.parse(digits).as_gtin_14()
    except (ParseError, ValueError):
        want = None
    assert _gtin14(digits) == want


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789", min_size=12, max_size=14), st.booleans(), st.sampled_from([None, "]E0"]),
       st.sampled_from(["", "0", "69"]))
def test_a_plain_gtin_scan_normalises_as_it_does_with_whitespace_round_it(digits, fix_check, sym, prefix):
    """A GTIN-12/13/14 from a wedge or a camera (no AIM id, or ]E0) takes a short path on the scan path; the same
    digits with a space and a tab round them take every step of the long one: the two must agree (key, error,
    symbology, the configured prefix stripped when the scan starts with it)."""
    from biip.checksums import gs1_standard_check_digit

    if fix_check:
        digits = digits[:-1] + str(gs1_standard_check_digit(digits[:-1]))
    short = n(digits, sym, prefix=prefix)
    long = n(f" {digits}\t", sym, prefix=prefix)
    assert short == long
