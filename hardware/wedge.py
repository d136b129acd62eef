"""Qt-free keyboard-wedge burst detector.

A USB-HID barcode scanner is a keyboard that types a whole code in a few milliseconds (2-15 ms a key) and ends it
with Enter or Tab; a person types 80-300 ms a key. `BurstDetector` is fed every printable key and terminator with the
event timestamp (ms) and decides, key by key:

- HOLD: the key may belong to a scanner burst; keep it back (the UI filter swallows it for now);
- REPLAY: the held keys turned out to be a person typing: give them (the returned keys) back to the widget in order;
- SCAN: a burst ended with a terminator: the returned text (prefix/suffix stripped) is one scan.

Rules: a key arriving more than `max_key_gap_ms` after the previous one ends any burst (the held keys are replayed,
the new key starts a fresh candidate); a terminator ends a burst that has at least `min_length` characters (after
the prefix) into a SCAN, otherwise the held keys are replayed followed by the terminator. A configured prefix must
match the start of the burst (keys that diverge from it are replayed); the configured suffix is stripped when
present. `flush(now_ms)` is called by a timer: a held burst older than the gap without terminator is replayed (a
very fast person) - unless it has at least `no_terminator_min_length` characters: then it is a scanner set up
without Enter/Tab and the burst is a SCAN ended by the timeout (`Decision.ended_by == "timeout"`). No person
types 6 keys each within 35 ms of the last (key rollover of a fast typist gives 2-4), so the default 6 keeps
typing safe and still takes every retail/logistics code.

One stall inside a burst: the keys of a scan can come late all the same — the scanner's USB reports or the program
that types them (`xdotool type` on a loaded machine) held up for 50-150 ms between two keys. Judged by the gap alone
such a burst was two: "6900" given back as typing (not counted) and "000000168" scanned alone, an unknown barcode
counted against the packer. A burst whose first `stall_min_keys` keys came at scanner speed therefore survives one
gap of up to `stall_ms`, provided at least `stall_min_keys` more keys follow it at scanner speed before its
terminator (or its timeout); anything else is given back whole, as before. No person types four keys in a row at
scanner speed, pauses, and types four more so: typing stays typing (it is only given back up to `stall_ms` later).

GS1 separators: scanners send the GS (FNC1) as Ctrl+] (ASCII 0x1D), or, when set up so, as a function key (F8) or a
chosen character. The UI filter turns whichever arrives into "\x1d" and feeds it like any key of the burst, so the
whole element string (GS included) is one scan.

Keyboard-layout pitfall: a scanner that "types" US key positions on a station whose keyboard map is French (AZERTY)
or German (QWERTZ) produces `&é"'(-è_çà` instead of `1234567890` and swaps y/z. `layout_suspicion(text)` recognises
these symptoms and returns a message (`app.i18n.Msg`); the filter emits it as `suspicious`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from app.i18n import Msg

TERMINATORS = {"\r", "\n", "\t"}
GS = "\x1d"

# Digits as they arrive when a US-layout scanner types on an AZERTY (French/Belgian) map.
AZERTY_DIGITS = '&é"\'(-è_çà'
AZERTY_BE_DIGITS = '&é"\'(§è!çà'


class Action(Enum):
    HOLD = "hold"
    REPLAY = "replay"
    SCAN = "scan"


@dataclass
class Decision:
    action: Action
    text: str = ""  # SCAN: the code; REPLAY: the keys to give back (may include the current key)
    replay: list = field(default_factory=list)  # REPLAY: the opaque key objects fed with feed(), in order
    ended_by: str = "terminator"  # SCAN: "terminator" (Enter/Tab) or "timeout" (scanner without terminator)


class BurstDetector:
    def __init__(self, max_key_gap_ms: float = 35.0, min_length: int = 4, prefix: str = "", suffix: str = "",
                 no_terminator_min_length: int = 6, stall_ms: float = 150.0, stall_min_keys: int = 4):
        self.max_gap = float(max_key_gap_ms)
        # one stall a burst survives (see the module's docstring); 0 = none
        self.stall_ms = max(float(stall_ms), self.max_gap) if stall_ms else 0.0
        self.stall_min_keys = max(1, int(stall_min_keys))
        self._stall_at: int | None = None  # how many keys were held when the burst's one stall came
        self.min_length = max(1, int(min_length))
        # 0 = a burst without terminator is always given back (the old behaviour)
        self.no_term_min = max(self.min_length, int(no_terminator_min_length)) if no_terminator_min_length else 0
        self.prefix = prefix
        self.suffix = suffix
        self._held: list[tuple[str, object]] = []
        self._last_ms: float | None = None

    @property
    def holding(self) -> bool:
        return bool(self._held)

    @property
    def last_held(self) -> str:
        """The text of the last key held ("" when none)."""
        return self._held[-1][0] if self._held else ""

    def _release(self) -> list:
        keys = [k for _t, k in self._held]
        self._held = []
        self._stall_at = None
        return keys

    def _may_stall(self, gap: float) -> bool:
        """A gap this burst survives: its first stall, short enough, after enough keys at scanner speed."""
        return bool(self.stall_ms) and self._stall_at is None and gap <= self.stall_ms \
            and len(self._held) >= self.stall_min_keys

    def _whole_after_stall(self) -> bool:
        """Enough keys came at scanner speed after the burst's stall (or it had none)."""
        return self._stall_at is None or len(self._held) - self._stall_at >= self.stall_min_keys

    def feed(self, text: str, ts_ms: float, key: object = None) -> Decision:
        """Feed one key: its text ('\\r' for Enter, '\\t' for Tab), its timestamp in ms, and an opaque object the
        caller wants back when keys are replayed (e.g. a copy of the QKeyEvent)."""
        key = key if key is not None else text
        gap = None if self._last_ms is None else ts_ms - self._last_ms
        self._last_ms = ts_ms
        replay: list = []
        if self._held and (gap is None or gap > self.max_gap):
            if gap is not None and text not in TERMINATORS and self._may_stall(gap):
                self._stall_at = len(self._held)  # the burst held up once: it goes on (see the module's docstring)
            else:
                replay = self._release()  # the previous candidate was a person
        if text in TERMINATORS:
            if self._held:
                body = "".join(t for t, _k in self._held)
                if self._is_scan(body) and self._whole_after_stall():
                    self._held = []
                    self._stall_at = None
                    return Decision(Action.SCAN, self._strip(body))
                replay += self._release()
            return Decision(Action.REPLAY, "", replay + [key])
        self._held.append((text, key))
        body = "".join(t for t, _k in self._held)
        if self.prefix and not (body.startswith(self.prefix) or self.prefix.startswith(body)):
            # cannot be a scan: a scan starts with the prefix
            return Decision(Action.REPLAY, "", replay + self._release())
        if replay:
            return Decision(Action.REPLAY, "", replay)
        return Decision(Action.HOLD)

    def flush(self, now_ms: float) -> Decision | None:
        """Called periodically: held keys older than the gap with no terminator end there. A long enough burst is
        a scan from a scanner set up without terminator (SCAN, ended_by "timeout"); anything shorter is a person's
        keys, replayed."""
        if self._held and self._last_ms is not None and now_ms - self._last_ms > self.max_gap:
            if self._may_stall(now_ms - self._last_ms):
                return None  # a burst at scanner speed may be held up once: its next key may still come
            body = "".join(t for t, _k in self._held)
            if self.no_term_min and self._is_scan(body, self.no_term_min) and self._whole_after_stall():
                self._held = []
                self._stall_at = None
                return Decision(Action.SCAN, self._strip(body), ended_by="timeout")
            return Decision(Action.REPLAY, "", self._release())
        return None

    def _is_scan(self, body: str, min_length: int | None = None) -> bool:
        if self.prefix:
            if not body.startswith(self.prefix):
                return False
            body = body[len(self.prefix):]
        if self.suffix and body.endswith(self.suffix):
            body = body[: -len(self.suffix)]
        return len(body) >= (min_length or self.min_length)

    def _strip(self, body: str) -> str:
        if self.prefix and body.startswith(self.prefix):
            body = body[len(self.prefix):]
        if self.suffix and body.endswith(self.suffix):
            body = body[: -len(self.suffix)]
        return body


US_SHIFTED_DIGITS = ")!@#$%^&*("  # Shift + 0…9 on a US map
_ONLY_SHIFTED = set("@#$%^*)")  # of those, the ones no AZERTY digit row types
_ONLY_AZERTY = set('é"\'-è_çà§')


def layout_suspicion(text: str) -> Msg | None:
    """The message for the operator when a scanned code shows the keyboard-layout mismatch symptom, else None. Digits
    arriving as US Shift symbols (6900000000168 as ^(()))))))!^*) are Shift held down while scanning, not AZERTY."""
    shifted = sum(c in US_SHIFTED_DIGITS for c in text)
    # Shift held turns every digit: none left, and the symbols are most of the code (A&B(1) is a code of its own)
    if shifted >= 3 and 2 * shifted >= len(text) and not any(c.isdigit() for c in text) \
            and _ONLY_SHIFTED & set(text) and not _ONLY_AZERTY & set(text):
        unshifted = "".join(str(US_SHIFTED_DIGITS.index(c)) if c in US_SHIFTED_DIGITS else c for c in text)
        return Msg("The scan arrived as symbols ({sample}): Shift seems to be held down. Let go of Shift and scan "
                   "again (it reads {code}).", sample=repr(text[:20]), code=unshifted[:40])
    az = sum(text.count(c) for c in set(AZERTY_DIGITS + AZERTY_BE_DIGITS))
    digits = sum(c.isdigit() for c in text)
    if az >= 3 and az > digits:
        return Msg("The scanner seems to type with a US layout on a French/Belgian (AZERTY) keyboard map: digits "
                   "arrive as symbols ({sample}). Set the scanner's keyboard language to match the station, or switch "
                   "the station keyboard to US.", sample=repr(text[:20]))
    return None


HELD_MODIFIER = Msg("A scan came in while Ctrl or Alt was held down: it was not read. Let go of the key and scan "
                    "again.")


FULLWIDTH = {chr(c) for c in range(0xFF01, 0xFF5F)} | {"\u3000"}


def ime_suspicion(text: str) -> Msg | None:
    """The message for the operator when a scan arrived in full-width characters: a Chinese input method is on (its
    full-width mode turns the scanner's 6901234567892 into the full-width digits U+FF16 U+FF19 U+FF10 ...), else
    None."""
    if not any(c in FULLWIDTH for c in text):
        return None
    return Msg("A Chinese input method seems to be on (the scan arrived in full-width characters). The scan was "
               "understood, but switch the input method to English (Shift or Ctrl+Space) so that scans and typing "
               "stay reliable.")


def qwertz_suspicion(text: str, expected: str) -> bool:
    """True when `text` equals `expected` with y and z swapped (US scanner on a German QWERTZ map)."""
    swapped = text.translate(str.maketrans("yzYZ", "zyZY"))
    return text != expected and swapped == expected
