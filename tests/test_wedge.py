"""Keyboard-wedge scanner: real QKeyEvents through the real application filter into a real focused QLineEdit.
Timing is made deterministic with an injected clock: each key advances it by a chosen gap."""

from __future__ import annotations

import os
import threading

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit

from app.config import ScannerSettings
from app.scans import ScanSource
from hardware.wedge import Action, BurstDetector, ime_suspicion, layout_suspicion, qwertz_suspicion
from ui.wedge_filter import WedgeFilter


class FakeClock:
    def __init__(self):
        self.ms = 1_000_000.0

    def __call__(self):
        return self.ms


@pytest.fixture
def rig(qtbot):
    clock = FakeClock()
    wf = WedgeFilter(ScannerSettings(max_key_gap_ms=35, min_length=4), clock=clock)
    app = QApplication.instance()
    app.installEventFilter(wf)
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.show()
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=2000)
    scans, warnings = [], []
    wf.scanned.connect(scans.append)
    wf.suspicious.connect(warnings.append)
    yield clock, wf, edit, scans, warnings
    app.removeEventFilter(wf)


def send_char(edit, ch):
    if ch.isascii():
        QTest.keyClicks(edit, ch)
    else:  # QTest only maps ASCII; a Latin-1 key event is what an AZERTY keymap produces for é, è, ç, à, §
        for t in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(edit, QKeyEvent(t, ord(ch.upper()), Qt.KeyboardModifier.NoModifier, ch))


def type_keys(edit, clock, text, gap_ms, terminator=Qt.Key.Key_Return):
    for ch in text:
        clock.ms += gap_ms
        send_char(edit, ch)
    if terminator is not None:
        clock.ms += gap_ms
        QTest.keyClick(edit, terminator)


def test_scanner_burst_is_one_scan_and_never_reaches_the_line_edit(rig):
    clock, wf, edit, scans, _ = rig
    edit.setText("qty:")
    type_keys(edit, clock, "4006381333931", gap_ms=4)
    assert edit.text() == "qty:"
    assert [s.text for s in scans] == ["4006381333931"]
    assert scans[0].source is ScanSource.HID


def test_a_gs_the_keymap_has_no_symbol_for_inside_a_burst_is_gs(rig):
    """X delivers ASCII 29 typed as a character (`xdotool type` of a GS1 code with its GS, a scanner emulation that
    remaps a spare key) as a key with no symbol: key 0, no text. It gave the held keys back as typing (the code's
    head lost) and the tail was scanned alone: "Barcode 17281231 is misread"."""
    clock, wf, edit, scans, _ = rig
    type_keys(edit, clock, "0109506000134352" "10D9T", gap_ms=4, terminator=None)
    clock.ms += 4
    for t in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(edit, QKeyEvent(t, 0, Qt.KeyboardModifier.NoModifier, ""))
    type_keys(edit, clock, "17281231", gap_ms=4)
    assert [s.text for s in scans] == ["0109506000134352" "10D9T\x1d" "17281231"]
    assert edit.text() == ""
    scans.clear()
    type_keys(edit, clock, "\uff16\uff19", gap_ms=4, terminator=None)  # full-width, X failing to map the next one
    clock.ms += 4
    QApplication.sendEvent(edit, QKeyEvent(QEvent.Type.KeyPress, 0, Qt.KeyboardModifier.NoModifier, ""))
    assert all("\x1d" not in s.text for s in scans)


def test_a_burst_held_up_once_in_the_middle_is_one_scan(rig):
    """A scan's keys held up once for 50-150 ms (the scanner's reports, or `xdotool type` on a loaded machine): the
    burst was two — "6900" given back as typing and "000000168" scanned alone, an unknown barcode counted against
    the packer (seen in a walkthrough on the real X server)."""
    clock, wf, edit, scans, _ = rig
    type_keys(edit, clock, "6900", gap_ms=4, terminator=None)
    clock.ms += 60
    wf.flush()  # the timer fires inside the stall: nothing is given back yet
    assert edit.text() == "" and scans == []
    clock.ms += 40
    type_keys(edit, clock, "000000168", gap_ms=4)
    assert [s.text for s in scans] == ["6900000000168"]
    assert edit.text() == ""


def test_fast_keys_a_pause_and_enter_stay_typing(rig):
    """The stall a burst survives is for a scan's keys, not a person's: four keys rolled over, a pause and Enter (or
    slow keys after the pause) are typing, given back whole and in order; so is a burst held up twice."""
    clock, wf, edit, scans, _ = rig
    type_keys(edit, clock, "abcd", gap_ms=5, terminator=None)
    clock.ms += 100
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert edit.text() == "abcd" and scans == []
    edit.clear()
    type_keys(edit, clock, "wxyz", gap_ms=5, terminator=None)
    clock.ms += 80
    type_keys(edit, clock, "12", gap_ms=150, terminator=None)
    clock.ms += 500
    wf.flush()
    assert edit.text() == "wxyz12" and scans == []
    edit.clear()
    type_keys(edit, clock, "6900", gap_ms=4, terminator=None)
    clock.ms += 90
    type_keys(edit, clock, "0000", gap_ms=4, terminator=None)
    clock.ms += 90
    type_keys(edit, clock, "00168", gap_ms=4)
    assert "6900000000168" not in [s.text for s in scans]


def test_uppercase_code128_with_shift_is_delivered_whole(rig):
    clock, wf, edit, scans, _ = rig
    type_keys(edit, clock, "ABC-123/x", gap_ms=3, terminator=Qt.Key.Key_Tab)
    assert edit.text() == ""
    assert [s.text for s in scans] == ["ABC-123/x"]


def test_person_typing_slowly_reaches_the_widget_untouched(rig, qtbot):
    clock, wf, edit, scans, _ = rig
    type_keys(edit, clock, "12 box", gap_ms=180, terminator=None)
    clock.ms += 180
    wf.flush()  # what the timer does; the last key is given back once the gap shows it is human
    assert edit.text() == "12 box"
    assert scans == []


def test_short_fast_burst_below_min_length_is_given_back(rig):
    clock, wf, edit, scans, _ = rig
    type_keys(edit, clock, "ab", gap_ms=5)
    assert edit.text() == "ab"
    assert scans == []


def test_timer_gives_back_a_held_key_without_a_next_key(rig, qtbot):
    clock, wf, edit, scans, _ = rig
    clock.ms += 200
    QTest.keyClicks(edit, "7")
    assert edit.text() == ""  # held: it could be the start of a burst
    clock.ms += 200
    qtbot.waitUntil(lambda: edit.text() == "7", timeout=2000)


def test_azerty_layout_symptom_is_reported(rig):
    clock, wf, edit, scans, warnings = rig
    # "4006381333931" typed by a US-layout scanner on a French keymap
    type_keys(edit, clock, "'àà-(_&(((ç(&", gap_ms=4)
    assert len(scans) == 1 and edit.text() == ""
    assert warnings and "AZERTY" in warnings[0]  # in the station's language (English here)


def test_burst_detector_prefix_and_suffix():
    d = BurstDetector(max_key_gap_ms=30, min_length=4, prefix="]C", suffix="#")
    t = 0.0
    for ch in "]C1234#":
        t += 5
        assert d.feed(ch, t).action is Action.HOLD
    res = d.feed("\r", t + 5)
    assert res.action is Action.SCAN and res.text == "1234"
    # keys that diverge from the prefix are given back at once
    res = d.feed("x", t + 500)
    assert res.action is Action.REPLAY and res.replay == ["x"]


def test_layout_helpers():
    assert layout_suspicion("4006381333931") is None
    msg = layout_suspicion("'àà-(_&(((ç(&")
    assert msg is not None and "AZERTY" in msg.en and "àà" in msg.en
    assert "扫描枪" in msg.text("zh_CN") and "àà" in msg.text("zh_CN")  # the sample is in both languages
    # Shift held down on a US map: not AZERTY (its "(" and "&" are on both maps); what the code reads is said
    shift = layout_suspicion("^(" + ")" * 8 + "!^*")  # 6900000000168
    assert shift is not None and "Shift" in shift.en and "AZERTY" not in shift.en and "6900000000168" in shift.en
    assert "Shift" in shift.text("zh_CN") and "6900000000168" in shift.text("zh_CN")
    assert layout_suspicion("SO-1001") is None and layout_suspicion("A&B(1)") is None
    assert layout_suspicion("SO_!))!") is not None  # SO-1001 with Shift held
    ime = ime_suspicion("６９０１２３")
    assert ime is not None and "input method" in ime.en and "输入法" in ime.text("zh_CN")
    assert ime_suspicion("690123") is None
    assert qwertz_suspicion("ABZ-1", "ABY-1")
    assert not qwertz_suspicion("ABY-1", "ABY-1")


def test_evdev_falls_back_to_key_filter_with_a_clear_status():
    from hardware.evdev_scanner import EvdevScanner
    from hardware.scanners import make_scanner

    sc = make_scanner(ScannerSettings(kind="evdev", device="Honeywell Scanner Keyboard"))
    assert isinstance(sc, EvdevScanner)
    statuses = []
    sc.start(lambda s: None, statuses.append)
    assert statuses[-1].state == "fallback" and not statuses[-1].ok
    assert "key filter" in statuses[-1].en and "键盘" in statuses[-1].text("zh_CN")
    sc.stop()


def test_evdev_key_assembler_us_layout_with_shift():
    from hardware.evdev_scanner import KeyAssembler

    asm = KeyAssembler()
    out = []
    for name, down in [("KEY_LEFTSHIFT", True), ("KEY_A", True), ("KEY_A", False), ("KEY_LEFTSHIFT", False),
                       ("KEY_B", True), ("KEY_MINUS", True), ("KEY_1", True), ("KEY_KP2", True), ("KEY_ENTER", True)]:
        out.append(asm.key(name, down))
    assert out[-1] == "Ab-12" and out[:-1] == [None] * 8


def test_wedge_scanner_device_relays_filter_scans():
    from app.scans import RawScan
    from hardware.scanners import WedgeScanner, make_scanner

    sc = make_scanner(ScannerSettings(kind="wedge"))
    assert isinstance(sc, WedgeScanner)
    got, st = [], []
    sc.start(got.append, st.append)
    sc.deliver(RawScan("ABC123"))
    assert [s.text for s in got] == ["ABC123"] and st[-1].ok


def test_person_typing_then_scanner_burst(rig):
    clock, wf, edit, scans, _ = rig
    type_keys(edit, clock, "ab", gap_ms=150, terminator=None)
    clock.ms += 400
    type_keys(edit, clock, "X1234567", gap_ms=4)
    assert edit.text() == "ab"
    assert [s.text for s in scans] == ["X1234567"]


def test_burst_detector_never_loses_or_reorders_keys():
    """Property: whatever the timing, every key ends up exactly once, in order, either replayed or inside a scan."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    keys = st.lists(st.tuples(st.sampled_from(list("ab1-\r\t")), st.sampled_from([2.0, 10.0, 40.0, 200.0])),
                    max_size=40)

    @settings(max_examples=300, deadline=None)
    @given(keys)
    def check(seq):
        d = BurstDetector(max_key_gap_ms=35, min_length=3)
        t, out, fed = 0.0, [], []
        for i, (ch, gap) in enumerate(seq):
            t += gap
            fed.append((i, ch))
            r = d.feed(ch, t, (i, ch))
            if r.action is Action.REPLAY:
                out.extend(r.replay)
            elif r.action is Action.SCAN:
                assert len(r.text) >= 3 and "\r" not in r.text and "\t" not in r.text
                n = len(r.text)
                out.extend(("scan", c) for c in r.text)
                out.append(("term", ch))
                assert n
        r = d.flush(t + 1000)
        if r is not None and r.action is Action.SCAN:  # a fast burst without terminator: a scan ended by timeout
            assert r.ended_by == "timeout" and len(r.text) >= 6
            out.extend(("scan", c) for c in r.text)
        elif r is not None:
            out.extend(r.replay)
        assert "".join(c for _i, c in out) == "".join(ch for ch, _g in seq)
        replayed_ids = [k[0] for k in out if isinstance(k[0], int)]
        assert replayed_ids == sorted(replayed_ids)

    check()


def test_a_burst_handled_late_by_a_busy_gui_thread_is_still_one_scan(rig):
    """The window system stamps each key when it is pressed. Here the keys come 4 ms apart by their stamps, but
    the GUI thread handles the third one 80 ms after the second (a commit, a repaint): still one scan, nothing
    leaks into the field. Judged by handling time this split "6900000000311" into "69" typed and an unknown
    "00000000311" (seen on the bare-X key test under load)."""
    clock, wf, edit, scans, _ = rig
    code, stamp = "6900000000311", 5_000
    for i, ch in enumerate(code + "\r"):
        clock.ms += 80 if i == 2 else 1  # handled in a clump after a stall
        stamp += 4
        key = Qt.Key.Key_Return if ch == "\r" else ord(ch)
        for t in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            ev = QKeyEvent(t, key, Qt.KeyboardModifier.NoModifier, ch)
            ev.setTimestamp(stamp)
            QApplication.sendEvent(edit, ev)
    assert [s.text for s in scans] == [code]
    assert edit.text() == ""


def _stamped_keys(edit, clock, keys) -> None:
    """(char, X-server stamp in ms, auto-repeat flag, handling gap in ms) as the window system delivers each key."""
    for ch, stamp, repeat, gap in keys:
        clock.ms += gap
        key = Qt.Key.Key_Return if ch == "\r" else ord(ch.upper())
        for t in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            ev = QKeyEvent(t, key, Qt.KeyboardModifier.NoModifier, ch, repeat)
            ev.setTimestamp(stamp)
            QApplication.sendEvent(edit, ev)


def test_a_fast_scanners_repeated_digits_flagged_as_auto_repeat_stay_in_the_scan(rig):
    """Qt's xcb plugin flags a release and a press of the same key stamped in the same millisecond as auto-repeat;
    a fast scanner types the zeros of 6900000000205 so (xdotool --delay 0 on a bare X server). Taken as a person's
    held key, the held head was given back as typing and the tail "0205" became a scan of an unknown barcode."""
    clock, wf, edit, scans, _ = rig
    code, stamp, keys = "6900000000205", 7_000, []
    for i, ch in enumerate(code + "\r"):
        repeat = i > 0 and ch == code[i - 1]
        stamp += 0 if repeat else 1
        keys.append((ch, stamp, repeat, 0.5))
    _stamped_keys(edit, clock, keys)
    assert [s.text for s in scans] == [code]
    assert edit.text() == ""


def test_a_key_held_down_by_a_person_is_typing_not_a_scan(rig, qtbot):
    """A person holds "7": its press, then the window system's repeats 500 ms later, 33 ms apart (faster than the
    35 ms burst gap), each flagged auto-repeat: all of them typing in the field, no scan."""
    clock, wf, edit, scans, _ = rig
    _stamped_keys(edit, clock, [("7", 9_000, False, 1)])
    clock.ms += 50
    wf.flush()  # the hold timer: the press was a person's
    _stamped_keys(edit, clock, [("7", 9_500 + 33 * i, True, 33 if i else 450) for i in range(8)])
    clock.ms += 50
    wf.flush()
    assert scans == []
    assert edit.text() == "7" * 9


@pytest.mark.parametrize("key,mods,text", [(0x0A, Qt.KeyboardModifier.NoModifier, "\n"),  # X's Linefeed key
                                           (Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier, "\n"),  # Ctrl+J
                                           (Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier, "\r")])  # Ctrl+M
def test_a_scanner_ending_its_scans_with_lf_or_ctrl_m_scans(rig, key, mods, text):
    """A scanner set to end each scan with LF sends X's Linefeed key (xdotool's "\\n": key 0x0a, text "\\n") or
    Ctrl+J, and CR may come as Ctrl+M: the burst was given back as typing, every scan of such a scanner lost (QA,
    20 of 20). They end the scan as Enter does."""
    clock, wf, edit, scans, _ = rig
    type_keys(edit, clock, "6900000000274", gap_ms=4, terminator=None)
    clock.ms += 4
    for t in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(edit, QKeyEvent(t, key, mods, text))
    assert [s.text for s in scans] == ["6900000000274"] and edit.text() == ""


def test_a_scan_while_ctrl_is_held_is_said(rig, qtbot):
    """The packer's thumb on Ctrl while the scanner types: every character arrives as a shortcut (Ctrl+6, Ctrl+9...).
    Nothing was read and nothing was said. Now at min_length such keys at scanner speed the packer is told to let go
    and scan again, and the scan's Enter does not reach the screen (it would clear that). Shortcuts still fire:
    shortcuts sent by a script 12 ms apart are a person's, and are said only from the fourth."""
    from PySide6.QtGui import QKeySequence, QShortcut

    clock, wf, edit, scans, warnings = rig
    fired, entered = [], []
    edit.returnPressed.connect(lambda: entered.append(1))
    QShortcut(QKeySequence("Ctrl+L"), edit, context=Qt.ShortcutContext.WidgetShortcut).activated.connect(
        lambda: fired.append("Ctrl+L"))
    for ch in "6900000168":
        clock.ms += 4
        QTest.keyClick(edit, ch, Qt.KeyboardModifier.ControlModifier)
    clock.ms += 4
    QTest.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert scans == [] and entered == []
    assert len(warnings) == 1 and "Ctrl or Alt" in warnings[0]
    # a person's (or a script's) shortcuts, even fast, still work; three of them are not a scan
    for _ in range(3):
        clock.ms += 12
        QTest.keyClick(edit, "l", Qt.KeyboardModifier.ControlModifier)
    assert fired == ["Ctrl+L"] * 3 and len(warnings) == 1


class _FakeEvdev:
    """What the evdev driver uses of python-evdev (not installed here, and /dev/input needs a real keyboard): input
    devices by name, each a real pipe the test writes key events into; unplugging one fails its reads as the kernel
    does (ENODEV) and takes its name off the list until it is plugged in again."""

    class ecodes:  # noqa: N801 (python-evdev's name)
        EV_KEY = 1
        KEY = {1: "KEY_ESC", 28: "KEY_ENTER", 2: "KEY_1", 3: "KEY_2", 4: "KEY_3", 30: "KEY_A", 42: "KEY_LEFTSHIFT"}

    def __init__(self) -> None:
        import collections

        self.plugged = True
        self.opened: list = []
        self.codes = {v: k for k, v in self.ecodes.KEY.items()}
        self.Event = collections.namedtuple("Event", "type code value")

    def list_devices(self):
        return ["/dev/input/event7"] if self.plugged else []

    def InputDevice(self, path):  # noqa: N802 (python-evdev's name)
        fake = self
        if not self.plugged:
            raise FileNotFoundError(2, "No such file or directory", path)

        class Device:
            name = "Honeywell Scanner Keyboard"

            def __init__(self):
                self.r, self.w = os.pipe()
                self.fd, self.pending, self.gone, self.grabbed = self.r, [], False, False
                self.lock = threading.Lock()  # the test types while the driver's thread reads
                fake.opened.append(self)

            def grab(self):
                self.grabbed = True

            def ungrab(self):
                self.grabbed = False

            def close(self):
                for fd in (self.r, self.w):
                    try:
                        os.close(fd)
                    except OSError:
                        pass

            def read(self):
                if self.gone:
                    raise OSError(19, "No such device")
                os.read(self.r, 4096)
                with self.lock:
                    out, self.pending = self.pending, []
                return iter(out)

            def type(self, keys: str, enter: bool = True):
                events = []
                for k in keys:
                    c = fake.codes[{"1": "KEY_1", "2": "KEY_2", "3": "KEY_3", "a": "KEY_A"}[k]]
                    events += [fake.Event(1, c, 1), fake.Event(1, c, 0)]
                if enter:
                    events += [fake.Event(1, 28, 1), fake.Event(1, 28, 0)]
                with self.lock:
                    self.pending.extend(events)
                os.write(self.w, b"!")

            def unplug(self):
                self.gone = True
                os.write(self.w, b"!")

        return Device()


def test_an_evdev_scanner_unplugged_and_plugged_back_is_grabbed_again_and_one_without_enter_scans(monkeypatch):
    """Field: the grabbed scanner's cable pulled mid-shift. Its status stayed "disconnected" until a restart (the
    status bar says it in red now), and plugged back its keys went to the windows, not grabbed. A scanner set up
    without a terminator scanned nothing at all: grabbed, its keys reached no key filter, and no Enter came."""
    import queue
    import sys

    from hardware.evdev_scanner import EvdevScanner

    fake = _FakeEvdev()
    monkeypatch.setitem(sys.modules, "evdev", fake)
    monkeypatch.setattr(EvdevScanner, "RETRY_S", 0.05, raising=False)
    sc = EvdevScanner("Honeywell Scanner Keyboard")
    scans, statuses = queue.Queue(), queue.Queue()
    sc.start(scans.put, statuses.put)
    try:
        assert statuses.get(timeout=5).state == "ready"
        first = fake.opened[-1]
        first.type("123")
        first.type("123")  # one trigger pull read twice, back to back: one scan (it counted twice)
        assert scans.get(timeout=5).text == "123"
        first.type("321")
        assert scans.get(timeout=5).text == "321"
        fake.plugged = False
        first.unplug()
        st = statuses.get(timeout=5)
        assert st.state == "disconnected" and not st.ok and not first.grabbed
        fake.plugged = True  # plugged back in: looked for again, grabbed again
        assert statuses.get(timeout=5).state == "ready"
        again = fake.opened[-1]
        assert again is not first and again.grabbed
        again.type("a12", enter=False)  # no terminator: the code ends when its keys stop
        s = scans.get(timeout=5)
        assert (s.text, s.ended_by) == ("a12", "timeout")
    finally:
        sc.stop()
    assert sc.status().state == "stopped"


def _evdev_keys(text: str) -> list[tuple[str, bool]]:
    """`text` as a US-layout scanner types it to its input device: Shift for capitals, Ctrl+] for GS, Enter last."""
    from hardware.evdev_scanner import _US

    by_char = {}
    for name, (plain, shifted) in _US.items():
        by_char.setdefault(plain, (name, False))
        by_char.setdefault(shifted, (name, True))
    keys = []
    for ch in text:
        if ch == "\x1d":
            keys += [("KEY_LEFTCTRL", True), ("KEY_RIGHTBRACE", True), ("KEY_RIGHTBRACE", False),
                     ("KEY_LEFTCTRL", False)]
            continue
        name, shift = by_char[ch]
        keys += ([("KEY_LEFTSHIFT", True)] if shift else []) + [(name, True), (name, False)] \
            + ([("KEY_LEFTSHIFT", False)] if shift else [])
    return keys + [("KEY_ENTER", True), ("KEY_ENTER", False)]


def test_evdev_gs1_datamatrix_with_its_gs_typed_as_ctrl_bracket_keeps_lot_expiry_and_serial_apart():
    """A GS1 DataMatrix (01)(10)<GS>(17)(21): the scanner types the GS as Ctrl+]. The assembler ignored Ctrl and typed
    "]": the lot ran into the expiry and the code was refused as unreadable."""
    import datetime as dt

    from app.barcodes import normalise
    from app.scans import RawScan
    from hardware.evdev_scanner import KeyAssembler

    asm = KeyAssembler()
    out = [asm.key(n, d) for n, d in _evdev_keys("]d20109506000134352" "10D9t-7\x1d" "17281231" "21Ab9")]
    assert out[:-2] == [None] * (len(out) - 2) and out[-1] is None
    code = out[-2]
    assert code == "]d20109506000134352" "10D9t-7\x1d" "17281231" "21Ab9"
    nc = normalise(RawScan(code[3:], ScanSource.HID, code[:3]))
    assert nc.ok and (nc.gtin, nc.lot, nc.expiry, nc.serial) == ("09506000134352", "D9t-7", dt.date(2028, 12, 31),
                                                                 "Ab9")


def test_evdev_ctrl_m_and_ctrl_j_end_a_code_as_enter_does():
    from hardware.evdev_scanner import KeyAssembler

    asm = KeyAssembler()
    for end in ("KEY_M", "KEY_J"):
        keys = _evdev_keys("4006381333931")[:-2] + [("KEY_LEFTCTRL", True), (end, True)]
        out = [asm.key(n, d) for n, d in keys]
        assert out[-1] == "4006381333931" and asm.key("KEY_LEFTCTRL", False) is None and asm.flush() is None
