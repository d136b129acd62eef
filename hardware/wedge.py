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
very fast person, or a scanner configured without terminator: see `suffix`/docs).

Keyboard-layout pitfall: a scanner that "types" US key positions on a station whose keyboard map is French (AZERTY)
or German (QWERTZ) produces `&é"'(-è_çà` instead of `1234567890` and swaps y/z. `layout_suspicion(text)` recognises
these symptoms and returns a bilingual message; the filter emits it as `suspicious`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

TERMINATORS = {"\r", "\n", "\t"}

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


class BurstDetector:
    def __init__(self, max_key_gap_ms: float = 35.0, min_length: int = 4, prefix: str = "", suffix: str = ""):
        self.max_gap = float(max_key_gap_ms)
        self.min_length = max(1, int(min_length))
        self.prefix = prefix
        self.suffix = suffix
        self._held: list[tuple[str, object]] = []
        self._last_ms: float | None = None

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def _release(self) -> list:
        keys = [k for _t, k in self._held]
        self._held = []
        return keys

    def feed(self, text: str, ts_ms: float, key: object = None) -> Decision:
        """Feed one key: its text ('\\r' for Enter, '\\t' for Tab), its timestamp in ms, and an opaque object the
        caller wants back when keys are replayed (e.g. a copy of the QKeyEvent)."""
        key = key if key is not None else text
        gap = None if self._last_ms is None else ts_ms - self._last_ms
        self._last_ms = ts_ms
        replay: list = []
        if self._held and (gap is None or gap > self.max_gap):
            replay = self._release()  # the previous candidate was a person
        if text in TERMINATORS:
            if self._held:
                body = "".join(t for t, _k in self._held)
                if self._is_scan(body):
                    self._held = []
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
        """Called periodically: held keys older than the gap with no terminator are a person's; replay them."""
        if self._held and self._last_ms is not None and now_ms - self._last_ms > self.max_gap:
            return Decision(Action.REPLAY, "", self._release())
        return None

    def _is_scan(self, body: str) -> bool:
        if self.prefix:
            if not body.startswith(self.prefix):
                return False
            body = body[len(self.prefix):]
        if self.suffix and body.endswith(self.suffix):
            body = body[: -len(self.suffix)]
        return len(body) >= self.min_length

    def _strip(self, body: str) -> str:
        if self.prefix and body.startswith(self.prefix):
            body = body[len(self.prefix):]
        if self.suffix and body.endswith(self.suffix):
            body = body[: -len(self.suffix)]
        return body


def layout_suspicion(text: str) -> tuple[str, str] | None:
    """(english, chinese) message when a scanned code shows the keyboard-layout mismatch symptom, else None."""
    az = sum(text.count(c) for c in set(AZERTY_DIGITS + AZERTY_BE_DIGITS))
    digits = sum(c.isdigit() for c in text)
    if az >= 3 and az > digits:
        return ("The scanner seems to type with a US layout on a French/Belgian (AZERTY) keyboard map: digits arrive "
                f"as symbols ({text[:20]!r}). Set the scanner's keyboard language to match the station, or switch "
                "the station keyboard to US.",
                "扫描枪似乎使用美式键盘布局，而本机为法语(AZERTY)布局：数字变成了符号。请将扫描枪的键盘语言设置为与本机一致，"
                "或将本机键盘切换为美式布局。")
    return None


def qwertz_suspicion(text: str, expected: str) -> bool:
    """True when `text` equals `expected` with y and z swapped (US scanner on a German QWERTZ map)."""
    swapped = text.translate(str.maketrans("yzYZ", "zyZY"))
    return text != expected and swapped == expected
