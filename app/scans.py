"""A scan as it arrives from any device, before normalisation."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum


class ScanSource(StrEnum):
    HID = "hid"  # keyboard-wedge scanner (key filter or evdev)
    CAMERA = "camera"
    SERIAL = "serial"
    KEYBOARD = "keyboard"  # typed by a person into the manual entry box
    SIMULATED = "simulated"


@dataclass(frozen=True)
class RawScan:
    """What a device read. `symbology` is the AIM symbology identifier when known (']C1' = GS1-128,
    ']E0' = EAN-13, ']d2' = GS1 DataMatrix, ']Q3' = GS1 QR ...); None when the device did not say."""

    text: str
    source: ScanSource = ScanSource.HID
    symbology: str | None = None
    mono_ns: int = field(default_factory=time.monotonic_ns)
