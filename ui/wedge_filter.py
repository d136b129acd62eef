"""Application-level key event filter for USB-HID keyboard-wedge scanners.

    wf = WedgeFilter(settings.devices.scanner)
    QApplication.instance().installEventFilter(wf)
    wf.scanned.connect(on_scan)        # RawScan(text, source=HID), once per barcode, whatever widget has focus
    wf.suspicious.connect(show_banner) # keyboard-layout mismatch symptom, in the station's language

Key presses are held back while they may be the start of a scanner burst (see hardware.wedge.BurstDetector);
a scanner burst never reaches the focused widget; keys typed by a person are replayed to the widget they were aimed
at, in order, as soon as the gap shows they are human (next key or a short timer). `clock` (ms) is injectable so
tests can drive scanner-speed and human-speed typing deterministically.

- GS1 separator (FNC1): Ctrl+] (ASCII GS, key text "\x1d") is always a GS inside a scan; `gs_key` "f8" makes F8
  a GS while a burst is being held (an F8 pressed on its own still reaches the screen: it records the weight);
  a one-character `gs_key` (e.g. "~") is turned into GS in the scanned text.
- A burst without Enter/Tab ends by the timer and is a scan (logged "ended by timeout").
- Double reads: the same text again within `double_read_ms` (one physical scan read twice) is dropped and logged.
- Full-width characters in a scan (a Chinese input method left on) are reported through `suspicious`. An input
  method that takes the keys and commits full-width characters (U+FF16 U+FF19 U+FF10 …) feeds the burst as keys
  do: the scan counts, and is reported the same way.
- Auto-repeated keys (a key held down) are a person's and go through, unless a burst is being held: then the
  "repeat" is a scanner's same key twice within a millisecond.
- A scan typed while the packer holds Ctrl or Alt arrives as shortcuts (Ctrl+6, Ctrl+9, ...): not a scan, and
  nothing was said. `min_length` character keys with Ctrl/Alt at scanner speed are said through `suspicious` (scan
  again), and the scan's Enter after them is swallowed (it would clear what was said).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QInputMethodEvent, QKeyEvent
from PySide6.QtWidgets import QApplication

from app.scans import DoubleReadFilter, RawScan, ScanSource
from hardware.wedge import (
    FULLWIDTH,
    GS,
    HELD_MODIFIER,
    Action,
    BurstDetector,
    ime_suspicion,
    layout_suspicion,
)
from ui.translations import _

log = logging.getLogger(__name__)

_TERMINATOR_KEYS = {Qt.Key.Key_Return: "\r", Qt.Key.Key_Enter: "\r", Qt.Key.Key_Tab: "\t"}
_INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.Wheel}
_IGNORED_KEYS = {Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta, Qt.Key.Key_AltGr,
                 Qt.Key.Key_CapsLock, Qt.Key.Key_NumLock}


def _said(sus) -> str:
    """What hardware.wedge says (a message), in the station's language; an older (english, chinese) pair is shown
    whole, both lines."""
    if isinstance(sus, tuple):
        return "\n".join(str(x) for x in sus if x)
    return _(sus)


def typed_into(field, raw) -> None:
    """A burst the filter took for a scan that was typed into `field` (a quick typist; `xdotool type` sends a key
    every 12 ms): its text goes in, and its Enter is the field's own (a burst that ended without one, by the
    filter's timeout, leaves the text in the field). The screens decide which bursts are typing."""
    field.insert(raw.text.strip() if isinstance(raw.text, str) else "")
    if raw.ended_by != "timeout":
        field.returnPressed.emit()


def typed_char(event: QKeyEvent) -> str:
    """The one printable character a key press types (Shift and the keypad allowed), or "" for any other key: an arrow,
    a function key, a shortcut with Ctrl or Alt. What the filter holds as a possible scan, and what the screens take
    as a person's typing."""
    mods = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
    text = event.text()
    return text if len(text) == 1 and text.isprintable() and mods == Qt.KeyboardModifier.NoModifier else ""


def function_key(event: QKeyEvent) -> str | None:
    """"F1"…"F35" for a function key pressed without Ctrl or Alt (the screens hand the ones they bind no shortcut to
    the controller, which says they do nothing there), else None."""
    mods = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
    n = event.key() - Qt.Key.Key_F1.value
    return f"F{n + 1}" if 0 <= n < 35 and mods == Qt.KeyboardModifier.NoModifier else None


def _is_char_key(key) -> bool:
    """A key that types a character without modifiers (space to tilde: letters, digits, punctuation)."""
    return Qt.Key.Key_Space.value <= key <= Qt.Key.Key_AsciiTilde.value


def _monotonic_ms() -> float:
    return time.monotonic() * 1000.0


class WedgeFilter(QObject):
    scanned = Signal(object)  # RawScan
    suspicious = Signal(str)  # what to tell the packer, in the station's language

    def __init__(self, settings=None, clock: Callable[[], float] | None = None, parent: QObject | None = None,
                 enabled: bool = True):
        super().__init__(parent)
        gap = getattr(settings, "max_key_gap_ms", 35.0)
        self.detector = BurstDetector(max_key_gap_ms=gap, min_length=getattr(settings, "min_length", 4),
                                      prefix=getattr(settings, "prefix", ""), suffix=getattr(settings, "suffix", ""),
                                      no_terminator_min_length=getattr(settings, "no_terminator_min_length", 6))
        gs_key = str(getattr(settings, "gs_key", "ctrl+]")).strip()
        self._gs_fkey = None  # a function key standing for GS inside a burst
        self._gs_char = None  # a character standing for GS
        if gs_key.lower()[:1] == "f" and gs_key[1:].isdigit():
            self._gs_fkey = getattr(Qt.Key, f"Key_F{int(gs_key[1:])}", None)
        elif len(gs_key) == 1:
            self._gs_char = gs_key
        self.doubles = DoubleReadFilter({ScanSource.HID: float(getattr(settings, "double_read_ms", 150.0))})
        self.clock = clock or _monotonic_ms
        self.enabled = enabled
        self._replaying = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(int(gap) + 10)
        self._timer.timeout.connect(self._timed_out)
        # called for every key, click and touch the station's widgets get (`StationController.note_input`)
        self.on_input: Callable[[], None] | None = None
        self._chorded = (0, float("-inf"))  # (count, ms of the last) character keys with Ctrl/Alt at scanner speed
        self._chord_asked: int | None = None  # the key counted at its ShortcutOverride (its press may follow)
        self._offset: float | None = None  # local clock − the window system's key timestamps (least delay seen)
        self._last_ts = 0
        self.keys_seen = 0  # key presses and shortcut requests so far (`alone`)

    # -- Qt -------------------------------------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if self._replaying or not obj.isWidgetType():
            return False
        kind = event.type()
        if kind in _INPUT_EVENTS and self.on_input is not None:
            self.on_input()  # someone is at the station: the idle logout counts from now
        if kind in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            self.keys_seen += 1
        if not self.enabled:
            return False
        if kind == QEvent.Type.InputMethod:
            commit = event.commitString()
            if commit and not event.preeditString() and all(c in FULLWIDTH for c in commit):
                return self._feed_commit(obj, event, commit)
            self._check_ime(commit)
            return False
        if kind == QEvent.Type.ShortcutOverride:
            # asked before a key's press, and the only event of a key whose shortcut fires: counted here
            if not _is_char_key(event.key()) or typed_char(event) or event.isAutoRepeat():  # a held shortcut: a person
                return False
            self._chord(obj, event, event.modifiers())
            self._chord_asked = event.key()
            return False
        if kind != QEvent.Type.KeyPress:
            return False
        key = event.key()
        if key in _IGNORED_KEYS:
            return False
        if event.isAutoRepeat() and not self.detector.holding:
            # a key held down: a person. Inside a held burst it is not: Qt's xcb plugin flags a release and a press
            # of the same key stamped in the same millisecond as a repeat, and a fast scanner types "00" so (a
            # scan of 6900000000205 read as "0205", its head given back as typing). A held key's first repeat comes
            # 250-660 ms after its press, long after the hold timer gave the press back.
            return False
        mods = event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
        text = _TERMINATOR_KEYS.get(key)
        if text is not None and self._chorded[0] >= self.detector.min_length \
                and self._key_time(event) - self._chorded[1] <= self.detector.max_gap:
            self._chorded = (0, float("-inf"))  # the end of a scan that came as shortcuts (said): not a person's Enter
            return True
        if text is None and event.text() in ("\n", "\r"):
            # a scanner set to end its scans with LF (X's Linefeed key, or Ctrl+J) or CR as Ctrl+M: each whole scan
            # was given back as typing ("typed keys are not counted"), the scanner unusable until set up again
            text = "\r"
        if text is None and self._is_gs(event, key, mods):
            text = GS
        if text is None:
            text = typed_char(event)
            if not text:
                # navigation keys, shortcuts...: whatever was held is a person's, give it back first
                self._do_replay(self.detector._release())
                asked, self._chord_asked = self._chord_asked, None
                if asked != key:  # else counted at its ShortcutOverride
                    self._chord(obj, event, mods)
                return False
        self._chorded = (0, float("-inf"))
        held = (obj, QKeyEvent(event.type(), key, event.modifiers(), event.text(),
                                         event.isAutoRepeat(), event.count()))
        d = self.detector.feed(text, self._key_time(event), held)
        if d.action is Action.HOLD:
            self._timer.start()
            return True
        if d.action is Action.SCAN:
            self._timer.stop()
            self._emit_scan(d.text, d.ended_by)
            return True
        # REPLAY: if the current key is among the released ones it goes through now (last), others are re-sent
        current_released = bool(d.replay) and d.replay[-1] is held
        self._do_replay(d.replay[:-1] if current_released else d.replay)
        if self.detector.holding:
            self._timer.start()
        return not current_released

    # -- helpers ----------------------------------------------------------------------------------------------------
    def _feed_commit(self, obj: QObject, event: QInputMethodEvent, commit: str) -> bool:
        """A full-width input method (Chinese, its full-width mode on) takes the scanner's keys and commits each
        character full-width (U+FF16, U+FF19, U+FF10 …); only the Enter comes through as a key. Those commits were
        said ("switch the input method") and the scan was lost: now they join the burst like keys (timed when
        handled: a commit carries no stamp), and a person's full-width typing is given back to its widget as the
        commit it was."""
        now = self.clock()
        copy = QInputMethodEvent(event)
        for i, ch in enumerate(commit):
            d = self.detector.feed(ch, now, (obj, copy) if i == 0 else (None, None))
            if d.action is Action.SCAN:
                self._timer.stop()
                self._emit_scan(d.text, d.ended_by)
            elif d.action is Action.REPLAY:
                self._do_replay(d.replay)
        if self.detector.holding:
            self._timer.start()
        return True

    def _chord(self, obj: QObject, event: QKeyEvent, mods) -> None:
        """Counts character keys with Ctrl/Alt held, each within the scanner's key gap of the one before; at
        `min_length` of them a scan came as shortcuts: said. They still reach the screens: a person's shortcuts sent
        fast by a script (xdotool key a b c: 12 ms apart) must keep working. A key is counted where it is delivered
        first, the focus widget: Qt hands an unaccepted key on to each parent, through this filter again (one
        Ctrl+Shift+N on the queue counted five times and was said as a scan)."""
        focus = QApplication.focusWidget()
        if focus is not None and obj is not focus:
            return
        held = mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                       | Qt.KeyboardModifier.MetaModifier)
        if not held or not _is_char_key(event.key()):
            self._chorded = (0, float("-inf"))
            return
        t = self._key_time(event)
        n = self._chorded[0] + 1 if t - self._chorded[1] <= self.detector.max_gap else 1
        self._chorded = (n, t)
        if n == self.detector.min_length:
            log.warning("wedge: %d character keys with Ctrl/Alt held at scanner speed: a scan lost, said", n)
            self.suspicious.emit(_(HELD_MODIFIER))

    def alone(self, then: Callable[[], None]) -> None:
        """Call `then` if no other key comes within two of the scanner's key gaps (for a shortcut whose key may be a
        scan's first one, typed while the packer holds Ctrl: such a scan's keys follow at scanner speed)."""
        seen = self.keys_seen
        QTimer.singleShot(int(2 * self.detector.max_gap) + 5, lambda: self.keys_seen != seen or then())

    def _key_time(self, event: QKeyEvent) -> float:
        """When the key was pressed, on the filter's clock. A busy GUI thread (a commit, a repaint) handles the keys
        of one burst late and some of them together: judged by when they were *handled*, a 50 ms stall in the middle
        of a burst split one barcode into two keys for the screen and an "unknown barcode" (seen on a loaded 2-core
        machine). The window system stamps each key when it is pressed (X server time, ms): that stamp, moved onto
        the filter's clock by the smallest offset seen, is the key's time. Events without a stamp (0: synthesised,
        e.g. by QTest) are timed when handled."""
        now = self.clock()
        ts = event.timestamp()
        if not ts:
            return now
        off = now - ts
        if self._offset is None or ts < self._last_ts or off < self._offset or off - self._offset > 10_000:
            self._offset = off  # first key, the X clock wrapped or restarted, less delay than before, or a jump
        self._last_ts = ts
        return ts + self._offset

    def _timed_out(self) -> None:
        """The hold timer fired: let keys already queued behind a busy GUI thread in first (one turn of the event
        loop), then judge the held keys."""
        QTimer.singleShot(0, self.flush)

    def flush(self) -> None:
        """Replay keys held longer than the gap (a person typing). Called by the timer; tests may call it."""
        d = self.detector.flush(self.clock())
        if d is not None and d.action is Action.SCAN:
            self._emit_scan(d.text, d.ended_by)
        elif d is not None:
            self._do_replay(d.replay)
        elif self.detector.holding:
            self._timer.start()

    def _do_replay(self, items) -> None:
        if not items:
            return
        self._replaying = True
        try:
            for target, ev in items:
                if target is not None and shiboken6.isValid(target):
                    QCoreApplication.sendEvent(target, ev)
        finally:
            self._replaying = False

    def _is_gs(self, event: QKeyEvent, key, mods) -> bool:
        """Ctrl+] (or a key whose text is GS) always; the configured function key only inside a held burst; so is a
        key the keymap has no symbol for (key 0, no text): how X delivers a GS typed as a character (`xdotool type`
        with ASCII 29 in a GS1 code, a scanner's keyboard emulation that remaps a spare key). Such a key gave the held
        keys back as typing: the code's head was lost and its tail scanned alone ("Barcode 17281231 is misread").
        Only after an ASCII character, as a GS in a GS1 code is: after a full-width one (an input method's, typed
        so) it is another full-width character X could not map, not a GS."""
        if event.text() == GS:
            return True
        if key == 0 and not event.text() and self.detector.last_held.isascii() and self.detector.holding:
            return True
        ctrl = mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier)
        if key == Qt.Key.Key_BracketRight and ctrl:
            return True
        return self._gs_fkey is not None and key == self._gs_fkey and self.detector.holding

    def _check_ime(self, commit: str) -> None:
        sus = ime_suspicion(commit or "")
        if sus is not None:
            log.warning("wedge: input method committed full-width text (%d characters)", len(commit))
            self.suspicious.emit(_said(sus))

    def _emit_scan(self, text: str, ended_by: str = "terminator") -> None:
        if self._gs_char:
            text = text.replace(self._gs_char, GS)
        scan = RawScan(text, source=ScanSource.HID, mono_ns=int(self.clock() * 1_000_000), ended_by=ended_by)
        if not self.doubles.accept(scan):
            log.info("wedge: double read dropped (%d characters, same code within %.0f ms)", len(text),
                     self.doubles.windows[ScanSource.HID])
            return
        if ended_by == "timeout":
            log.info("wedge scan: %d characters, no terminator (ended by timeout)", len(text))
        else:
            log.info("wedge scan: %d characters", len(text))
        self.scanned.emit(scan)
        for sus in (layout_suspicion(text), ime_suspicion(text)):
            if sus is not None:
                log.warning("wedge: keyboard layout / input method suspected: %r", text[:40])
                self.suspicious.emit(_said(sus))
