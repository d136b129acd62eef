"""Scans exactly as real scanners send them, through the real paths: real QKeyEvents at scanner speed through the
application's wedge filter into a real Station (SQLite event log). Each scan: one verdict, one event."""

from __future__ import annotations

import hashlib
import logging

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit

from app.config import ScannerSettings
from app.scans import RAW_KEEP, AcrossDevicesFilter, DoubleReadFilter, RawScan, ScanSource, bounded_raw
from app.verdicts import VerdictKind
from tests.test_verifier import BLUE_M, SERUM, TODAY, order
from ui.wedge_filter import WedgeFilter

GS = "\x1d"


class FakeClock:
    def __init__(self):
        self.ms = 5_000_000.0

    def __call__(self):
        return self.ms


class KeyLog(QLineEdit):
    """A focused field that also records which non-text keys reached it (F8 = record the weight)."""

    def __init__(self):
        super().__init__()
        self.keys = []

    def keyPressEvent(self, ev):  # noqa: N802 (Qt API)
        self.keys.append(ev.key())
        super().keyPressEvent(ev)


@pytest.fixture
def floor(qtbot, core):
    """A station with the serum order open, fed by the wedge filter; `make(**scanner settings)` builds the rig."""
    from app.workflow import Station

    rigs = []

    def make(**kw):
        clock = FakeClock()
        st = Station(core, today=TODAY)
        st.open_order(order())
        wf = WedgeFilter(ScannerSettings(**kw), clock=clock)
        verdicts, warnings = [], []
        wf.scanned.connect(lambda raw: verdicts.append(st.scan(raw)))
        wf.suspicious.connect(warnings.append)
        QApplication.instance().installEventFilter(wf)
        edit = KeyLog()
        qtbot.addWidget(edit)
        edit.show()
        edit.setFocus()
        qtbot.waitUntil(edit.hasFocus, timeout=2000)
        rigs.append(wf)
        return clock, wf, edit, verdicts, warnings

    yield make
    for wf in rigs:
        QApplication.instance().removeEventFilter(wf)


def scan_events(core):
    return core.events.events(types=["scan"])


def press(edit, key, mods=Qt.KeyboardModifier.NoModifier, text=""):
    for t in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(edit, QKeyEvent(t, key, mods, text))


def type_burst(edit, clock, parts, gap_ms=4, gs=None, terminator=True):
    """Type `parts` (strings, or None for the GS separator sent the way `gs` says) at scanner speed."""
    for part in parts:
        if part is None:
            clock.ms += gap_ms
            gs(edit)
            continue
        for ch in part:
            clock.ms += gap_ms
            QTest.keyClicks(edit, ch)
    if terminator:
        clock.ms += gap_ms
        QTest.keyClick(edit, Qt.Key.Key_Return)


GS_SENDERS = {
    # what the scanner sends for FNC1: ASCII GS typed as Ctrl+] (X11 gives the key text "\x1d")
    "ctrl+]": lambda e: press(e, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ControlModifier, GS),
    "f8": lambda e: press(e, Qt.Key.Key_F8),
    "~": lambda e: QTest.keyClicks(e, "~"),
}


@pytest.mark.parametrize("gs_key", list(GS_SENDERS))
def test_gs1_element_string_through_the_wedge_is_one_scan_and_the_lot_is_accepted(floor, core, gs_key):
    clock, wf, edit, verdicts, _ = floor(gs_key=gs_key)
    edit.setText("note")
    # (01) GTIN (10) lot D9T <GS> (17) expiry 2027-12-31: the lot is variable length, so a GS must end it
    type_burst(edit, clock, ["01" + SERUM, "10D9T", None, "17271231"], gs=GS_SENDERS[gs_key])
    assert edit.text() == "note"  # nothing leaked into the field, not even the part before the GS
    assert len(verdicts) == 1
    v = verdicts[0]
    assert v.kind == VerdictKind.ACCEPTED and v.lot == "D9T" and v.sku == "SERUM"
    evs = scan_events(core)
    assert len(evs) == 1 and evs[0].payload["raw"] == "01" + SERUM + "10D9T" + GS + "17271231"
    assert evs[0].payload["verdict"]["lot"] == "D9T"


def test_f8_pressed_on_its_own_still_reaches_the_screen_when_it_is_the_gs_key(floor):
    clock, wf, edit, verdicts, _ = floor(gs_key="f8")
    clock.ms += 500
    press(edit, Qt.Key.Key_F8)
    assert Qt.Key.Key_F8 in edit.keys and verdicts == []


def test_one_physical_scan_read_twice_counts_once_two_deliberate_scans_count_twice(floor, core):
    clock, wf, edit, verdicts, _ = floor(double_read_ms=150)
    type_burst(edit, clock, [BLUE_M])
    clock.ms += 15  # the scanner's double read: the same code again 15 ms after the Enter
    type_burst(edit, clock, [BLUE_M], gap_ms=2)
    assert len(verdicts) == 1 and len(scan_events(core)) == 1
    assert verdicts[0].kind == VerdictKind.ACCEPTED
    clock.ms += 800  # the packer scans the second unit
    type_burst(edit, clock, [BLUE_M])
    assert [v.kind for v in verdicts] == [VerdictKind.ACCEPTED, VerdictKind.ACCEPTED]
    assert len(scan_events(core)) == 2
    assert wf.doubles.dropped == 1


def test_double_read_window_is_per_source():
    f = DoubleReadFilter({ScanSource.HID: 150, ScanSource.SERIAL: 150})
    t = 1_000_000_000
    assert f.accept(RawScan("A1", ScanSource.HID, mono_ns=t))
    assert f.accept(RawScan("A1", ScanSource.SERIAL, mono_ns=t + 5_000_000))  # another device: its own scan
    assert not f.accept(RawScan("A1", ScanSource.HID, mono_ns=t + 12_000_000))
    assert f.accept(RawScan("B2", ScanSource.HID, mono_ns=t + 20_000_000))
    assert f.accept(RawScan("A1", ScanSource.HID, mono_ns=t + 40_000_000))  # not the last code: a new scan


def test_burst_without_terminator_ends_by_timeout_is_verified_and_logged(floor, core, caplog):
    clock, wf, edit, verdicts, _ = floor()
    caplog.set_level(logging.INFO, logger="ui.wedge_filter")
    type_burst(edit, clock, [BLUE_M], terminator=False)
    assert verdicts == []  # still held: more keys may come
    clock.ms += 100
    wf.flush()  # what the timer does: within a stall a burst survives (BurstDetector.stall_ms), its keys may go on
    assert verdicts == []
    clock.ms += 100
    wf.flush()
    assert len(verdicts) == 1 and verdicts[0].kind == VerdictKind.ACCEPTED
    evs = scan_events(core)
    assert len(evs) == 1 and evs[0].payload["ended_by"] == "timeout"
    assert edit.text() == ""
    assert any("ended by timeout" in r.getMessage() for r in caplog.records)


def test_full_width_digits_from_an_ime_are_understood_and_the_packer_is_told(floor, core):
    clock, wf, edit, verdicts, warnings = floor()
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in BLUE_M)  # ４００６３８１３３３９３１
    for ch in fullwidth:
        clock.ms += 4
        press(edit, Qt.Key.Key_0 + int(chr(ord(ch) - 0xFEE0)), text=ch)
    clock.ms += 4
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert len(verdicts) == 1 and verdicts[0].kind == VerdictKind.ACCEPTED
    assert verdicts[0].details.get("fullwidth") is True
    evs = scan_events(core)
    assert len(evs) == 1 and evs[0].payload["raw"] == fullwidth
    assert warnings and "input method" in warnings[0]  # in the station's language (English here)


def test_a_scan_an_input_method_commits_in_full_width_counts_and_the_packer_is_told(floor, core, qtbot):
    """A Chinese input method in full-width mode takes the scanner's keys and commits ４, ０, ０… one by one; only the
    Enter comes as a key. The commits were said ("switch the input method") and the scan was lost."""
    from PySide6.QtGui import QInputMethodEvent

    clock, wf, edit, verdicts, warnings = floor()

    def commit(text):
        ev = QInputMethodEvent("", [])
        ev.setCommitString(text)
        QApplication.sendEvent(edit, ev)

    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in BLUE_M)
    for ch in fullwidth:
        clock.ms += 4
        commit(ch)
    clock.ms += 4
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert len(verdicts) == 1 and verdicts[0].kind == VerdictKind.ACCEPTED and edit.text() == ""
    assert [e.payload["raw"] for e in scan_events(core)] == [fullwidth]
    assert warnings and "input method" in warnings[-1]
    # a person's full-width commits (slow) reach the widget as they were; not a scan
    for ch in "１２":
        clock.ms += 300
        commit(ch)
    clock.ms += 300
    wf.flush()
    qtbot.waitUntil(lambda: edit.text() == "１２", timeout=2000)
    assert len(verdicts) == 1


# -- the same rules straight into the station (serial scanners and the camera arrive here too) ---------------------

@pytest.fixture
def st(core):
    from app.workflow import Station

    s = Station(core, today=TODAY)
    s.open_order(order())
    return s


def one(core, st, raw: RawScan):
    before = len(scan_events(core))
    v = st.scan(raw)
    evs = scan_events(core)
    assert len(evs) == before + 1, "every scan is exactly one event"
    assert evs[-1].payload["verdict"]["kind"] == v.kind.value
    return v, evs[-1]


@pytest.mark.parametrize("text", [
    "]E3" + BLUE_M + "12", "]E3" + BLUE_M + " 12", "]E3" + BLUE_M + "52495", "]E3" + BLUE_M + " 52495",
    BLUE_M + " 12", BLUE_M + "+52495", "]E3" + BLUE_M + "+12"])  # "+": as Zint and zxing-cpp write an add-on
def test_ean_with_add_on_matches_the_base_item_and_keeps_the_add_on(core, st, text):
    v, ev = one(core, st, RawScan(text, ScanSource.SERIAL))
    assert v.kind == VerdictKind.ACCEPTED and v.sku == "TEE-BLUE-M"
    assert ev.payload["verdict"]["details"]["addon"] == text.replace(" ", "")[len("]E3" + BLUE_M):] or \
        ev.payload["verdict"]["details"]["addon"] == text.replace("+", " ").split(" ")[-1]


def test_upc_a_and_upc_e_with_add_on_normalise_to_the_base_gtin():
    from app.barcodes import normalise

    a = normalise(RawScan("]E3042100005264" + "12"))
    e = normalise(RawScan("]E304252614" + "52495"))
    assert a.code == e.code == "00042100005264"
    assert (a.addon, e.addon) == ("12", "52495")


def test_code39_check_character_validated_and_stripped(core, st):
    from app.barcodes import normalise

    body = "BIN-A01"
    check = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"[sum(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%".index(c) for c in body) % 43]
    v, ev = one(core, st, RawScan(body + check, ScanSource.SERIAL, "]A1"))
    assert v.kind == VerdictKind.BIN_CONFIRMED  # the bin label, once its check character is gone
    v, ev = one(core, st, RawScan("]A1" + body + ("X" if check != "X" else "Y"), ScanSource.HID))
    assert v.kind == VerdictKind.UNREADABLE and ev.payload["verdict"]["details"]["error"] == "check_digit"
    # a code printed without check character whose last character happens to fit keeps its full text as a key
    assert normalise(RawScan("]A1" + body + check)).keys()[:2] == (body, body + check)
    # ]A3: the scanner validated and removed it already; ]A0: no check character at all
    assert normalise(RawScan(body, symbology="]A3")).code == body
    assert normalise(RawScan(body + check, symbology="]A0")).code == body + check


@pytest.mark.parametrize("text", ["\udc80", "4006381333931\ud800", "ab\udfffcd\x1d\ud83d", "]C1\udc9f0104006381"])
def test_lone_surrogates_still_give_one_verdict_and_one_event(core, st, text):
    v, ev = one(core, st, RawScan(text, ScanSource.HID))
    assert v.message("en") and v.message("zh_CN")
    assert "\\u" in ev.payload["raw"] or "\\x" in ev.payload["raw"]
    ev.payload["raw"].encode("utf-8")  # storable


def test_a_64_kb_scan_is_one_bounded_event(core, st):
    text = ("0123456789ABCDEF" * 4096)  # 64 KB
    v, ev = one(core, st, RawScan(text, ScanSource.HID))
    assert v.kind == VerdictKind.UNREADABLE
    p = ev.payload
    assert len(p["raw"]) == RAW_KEEP and p["raw_len"] == 65536 and p["raw_truncated"] is True
    assert p["raw_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert len(str(p)) < 4096


def test_bounded_raw_keeps_short_texts_whole_and_says_no_more():
    """A text stored whole is its own length and hash: the event holds it alone. An escaped one (a lone surrogate)
    is not the text received, so its length and hash come with it."""
    assert bounded_raw("4006381333931") == {"raw": "4006381333931"}
    assert bounded_raw("条码 4006381333931") == {"raw": "条码 4006381333931"}
    b = bounded_raw("4006381333931\ud800")
    assert b["raw"] == "4006381333931\\ud800" and b["raw_len"] == 14 and "raw_truncated" not in b
    assert b["raw_sha256"] == hashlib.sha256(b["raw"].encode()).hexdigest()


def test_fuzzed_scans_with_surrogates_each_give_exactly_one_event(core, st):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as hs

    chars = hs.one_of(hs.integers(0xD800, 0xDFFF), hs.integers(0, 0x7F), hs.integers(0xFF01, 0xFF5E),
                      hs.integers(0x80, 0x2FFF)).map(chr)

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(text=hs.lists(chars, max_size=60).map("".join),
           sym=hs.one_of(hs.none(), hs.sampled_from(["]C1", "]E3", "]A1", "]d2", "\udc80"])))
    def check(text, sym):
        v, ev = one(core, st, RawScan(text, ScanSource.HID, sym))
        assert v.message("en") and v.message("zh_CN")
        p = ev.payload
        assert p["raw"] == text if "raw_len" not in p else (p["raw_len"] == len(text) and p["raw"] != text)

    check()


def test_the_same_code_from_two_kinds_of_device_at_once_is_one_read():
    f = AcrossDevicesFilter(300)
    t = 1_000_000_000
    assert f.accept(RawScan("]E06900000000168", ScanSource.HID, mono_ns=t))  # AIM identifier in the text
    assert not f.accept(RawScan("6900000000168", ScanSource.CAMERA, symbology="]E0", mono_ns=t + 120_000_000))
    assert f.accept(RawScan("6900000000168", ScanSource.HID, mono_ns=t + 200_000_000))  # one device: its own rule
    assert f.accept(RawScan("012345678905", ScanSource.CAMERA, mono_ns=t + 250_000_000))  # another code
    assert not f.accept(RawScan("0012345678905", ScanSource.SERIAL, mono_ns=t + 300_000_000))  # its EAN-13 form
    assert f.accept(RawScan("0012345678905", ScanSource.SERIAL, mono_ns=t + 900_000_000))  # a second unit
    assert f.accept(RawScan("0012345678905", ScanSource.KEYBOARD, mono_ns=t + 901_000_000))  # typed: never dropped
    assert f.dropped == 2
