"""A scan as it arrives from any device, before normalisation; what of it goes into the scan event; double reads.

- `RawScan`: the text a device read, its source and AIM symbology identifier when known.
- `safe_text(s)`: `s` with lone surrogates (from a broken decoder or a fuzzer) written as ``\\udcXX`` escapes, so it
  can be stored as UTF-8 (SQLite, JSON to the OMS). Every scan thus still gets its one event.
- `visible_text(s)`: `s` with control and bidi-override characters written as visible ``\\u202e`` escapes, for a
  text shown to a person (the supervisor's table, the reports) that came from elsewhere (an operator id from the OMS).
- `bounded_raw(text)`: the raw text as the scan event keeps it: the first `RAW_KEEP` characters (escaped), the full
  length and the SHA-256 of the full text. A 6 MB "scan" is one small event, and the hash still tells two apart.
- `DoubleReadFilter`: one physical scan read twice within a few ms by the same device counts once.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

RAW_KEEP = 1024  # characters of the raw text kept in the scan event


class ScanSource(StrEnum):
    HID = "hid"  # keyboard-wedge scanner (key filter or evdev)
    CAMERA = "camera"
    SERIAL = "serial"
    KEYBOARD = "keyboard"  # typed by a person into the manual entry box
    SIMULATED = "simulated"


@dataclass(frozen=True)
class RawScan:
    """What a device read. `symbology` is the AIM symbology identifier when known (']C1' = GS1-128,
    ']E0' = EAN-13, ']d2' = GS1 DataMatrix, ']Q3' = GS1 QR ...); None when the device did not say.
    `ended_by` says how a wedge burst ended: "terminator" (Enter/Tab) or "timeout" (a scanner set up without one)."""

    text: str
    source: ScanSource = ScanSource.HID
    symbology: str | None = None
    mono_ns: int = field(default_factory=time.monotonic_ns)
    ended_by: str | None = None


def safe_text(s: Any) -> str:
    """Any value as a str that encodes to UTF-8: lone surrogates become backslash escapes, bytes are decoded."""
    if type(s) is str and s.isascii():  # nearly every scan's text: nothing to escape (isascii reads a flag)
        return s
    if isinstance(s, bytes | bytearray):
        s = bytes(s).decode("utf-8", "backslashreplace")
    elif not isinstance(s, str):
        s = repr(s)
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "backslashreplace").decode("utf-8")


# Characters that change how the text around them is shown and are invisible themselves: the bidi overrides,
# embeddings, isolates and marks (U+202E turns "nimda" into "admin" on screen), and line/paragraph separators.
_HIDDEN = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")


def visible_text(s: Any) -> str:
    """`s` (`safe_text`) as a person may read it on a screen or a report: control characters (C0, DEL, C1: a tab, a
    carriage return, an escape) and the bidi controls that reorder what is shown are written as visible escapes
    ("\\u202e"), so an operator id from the OMS cannot show other text than it holds. Printable text, Chinese too, is
    unchanged."""
    s = safe_text(s)
    if s.isascii() and s.isprintable():  # nearly every id and name: nothing to escape
        return s
    return "".join(f"\\u{ord(c):04x}" if c in _HIDDEN or ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0 else c for c in s)


def bounded_raw(text: Any, keep: int = RAW_KEEP) -> dict[str, Any]:
    """{"raw": the text as received} for nearly every scan. When the stored text is not that text — cut to its first
    `keep` characters (`raw_truncated`: true) or with lone surrogates or bytes escaped — also "raw_len": characters in
    the whole text and "raw_sha256": hex digest of its UTF-8 bytes (surrogates escaped), which still tell two long
    inputs apart. (A whole text is its own length and hash: storing them with every scan only lengthened the event.)"""
    if type(text) is str and text.isascii() and len(text) <= keep:  # nearly every scan: no call for it
        return {"raw": text}
    s = safe_text(text)
    if s is text and len(s) <= keep:
        return {"raw": s}
    out: dict[str, Any] = {"raw": s[:keep], "raw_len": len(text) if isinstance(text, str) else len(s),
                           "raw_sha256": hashlib.sha256(s.encode("utf-8")).hexdigest()}
    if len(s) > keep:
        out["raw_truncated"] = True
    return out


def scan_payload(raw: RawScan) -> dict[str, Any]:
    """The raw part of a scan event's payload: bounded text, source, symbology, how a wedge burst ended."""
    out = bounded_raw(raw.text)
    source, sym = str(raw.source), raw.symbology
    out["source"] = source if source.isascii() else safe_text(source)
    out["symbology"] = None if sym is None else (sym if type(sym) is str and sym.isascii() else safe_text(sym))[:8]
    if raw.ended_by:
        out["ended_by"] = raw.ended_by
    return out


# One physical scan read twice: scanners in continuous/presentation mode, a trigger bounce, or a wedge whose USB
# report is repeated deliver the same text 10-20 ms apart. A person cannot present the same item twice in under
# ~300 ms (lift it out of the beam and back), and scanners' own "same code delay" defaults are 300-1000 ms.
# 150 ms is far above the double reads (10-20 ms, 40 ms seen on a loaded USB hub) and far below a deliberate rescan.
DOUBLE_READ_MS = {ScanSource.HID: 150.0, ScanSource.SERIAL: 150.0, ScanSource.SIMULATED: 0.0,
                  ScanSource.KEYBOARD: 0.0, ScanSource.CAMERA: 0.0}  # the camera has its own in-view rule


class DoubleReadFilter:
    """`accept(scan)` is False for the second read of one physical scan: the same text from the same source within
    that source's window of the previous read of it. Windows in ms per source; 0 = no filtering. Uses the scan's
    own monotonic timestamp, so the decision does not depend on when it is processed."""

    def __init__(self, windows_ms: dict | float | None = None) -> None:
        if windows_ms is None:
            windows_ms = DOUBLE_READ_MS
        if isinstance(windows_ms, int | float):
            windows_ms = {s: float(windows_ms) for s in ScanSource}
        self.windows = {ScanSource(k): float(v) for k, v in windows_ms.items()}
        self._last: dict[ScanSource, tuple[str, int]] = {}
        self.dropped = 0

    def accept(self, scan: RawScan) -> bool:
        src = ScanSource(scan.source)
        window_ns = self.windows.get(src, 0.0) * 1_000_000
        prev = self._last.get(src)
        self._last[src] = (scan.text, scan.mono_ns)
        if window_ns > 0 and prev is not None and prev[0] == scan.text and 0 <= scan.mono_ns - prev[1] <= window_ns:
            self.dropped += 1
            return False
        return True


# One item read by two of the station's devices: a handheld scanner and the webcam (or a presentation scanner)
# that also sees the item in the packer's hand. Each device drops its own double reads (above); across devices
# nothing did, and the item counted twice — on a line that wants two, one unit in the parcel completed it. To
# read the same code on a second device a person must move the item or fetch another unit, which takes longer
# than presenting one item again to one device (~300 ms). A device's reads (not hand-typed or simulated ones).
ACROSS_DEVICES_MS = 300.0
_DEVICE_SOURCES = frozenset({ScanSource.HID, ScanSource.SERIAL, ScanSource.CAMERA})


class AcrossDevicesFilter:
    """`accept(scan)` is False for the same code read by another kind of device within `window_ms` of the last
    read that was accepted (the scans' own monotonic stamps). Two devices of one kind (two wedge scanners) are one
    source: their reads are left to the per-device rule."""

    def __init__(self, window_ms: float = ACROSS_DEVICES_MS) -> None:
        self.window_ns = int(window_ms * 1_000_000)
        self._last: tuple[str, ScanSource, int] | None = None
        self.dropped = 0

    def accept(self, scan: RawScan) -> bool:
        try:
            src = ScanSource(scan.source)
        except ValueError:
            return True
        if src not in _DEVICE_SOURCES or type(scan.mono_ns) is not int:
            return True
        key, prev = _same_item_key(scan.text), self._last
        if prev is not None and prev[0] == key and prev[1] != src and 0 <= scan.mono_ns - prev[2] <= self.window_ns:
            self.dropped += 1
            return False
        self._last = (key, src, scan.mono_ns)
        return True


def _same_item_key(text: Any) -> str:
    """What two devices' reads of one barcode have in common: one device sends an AIM symbology identifier in the
    text (a wedge scanner set up to: "]E0" + the digits), another apart (the camera); one reads a UPC-A as 12
    digits, another as the EAN-13 with its leading 0."""
    t = text.strip() if isinstance(text, str) else ""
    if len(t) > 3 and t[0] == "]":
        t = t[3:]
    return t.lstrip("0") if t.isdigit() else t
