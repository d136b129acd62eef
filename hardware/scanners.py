"""make_scanner(settings.devices.scanner) -> ScannerDevice (wedge, evdev, serial, simulated).

Every scanner: `name`, `start(on_scan(RawScan), on_status(DeviceStatus))`, `stop()`, `status()`.
The keyboard wedge's key filter is Qt and lives in ui/wedge_filter.py; the `WedgeScanner` here is its device-side
face: the UI connects `WedgeFilter.scanned` to `WedgeScanner.deliver` (or uses the filter directly).
For kind "evdev" the UI should keep the key filter installed too: when the grab fails the status says "fallback"
and the filter carries on.
"""

from __future__ import annotations

from typing import Protocol

from app.i18n import Msg
from app.scans import RawScan
from hardware.devices import CallbackSink, DeviceStatus


class ScannerDevice(Protocol):
    name: str

    def start(self, on_scan, on_status) -> None: ...
    def stop(self) -> None: ...
    def status(self) -> DeviceStatus: ...


class WedgeScanner:
    name = "wedge"

    def __init__(self) -> None:
        self._sink = CallbackSink()

    def start(self, on_scan, on_status) -> None:
        self._sink.on_value, self._sink.on_status = on_scan, on_status
        self._sink.set_status(DeviceStatus(True, "ready", Msg("Keyboard scanner ready (key filter)")))

    def deliver(self, scan: RawScan) -> None:
        self._sink.value(scan)

    def stop(self) -> None:
        self._sink.set_status(DeviceStatus(False, "stopped", Msg("Scanner stopped")))

    def status(self) -> DeviceStatus:
        return self._sink.current


class NoScanner(WedgeScanner):
    name = "none"

    def start(self, on_scan, on_status) -> None:
        self._sink.on_status = on_status
        self._sink.set_status(DeviceStatus(False, "no_device", Msg("No scanner configured")))


def make_scanner(settings) -> ScannerDevice:
    kind = getattr(settings, "kind", "wedge")
    if kind == "wedge":
        return WedgeScanner()
    if kind == "evdev":
        from hardware.evdev_scanner import EvdevScanner

        return EvdevScanner(settings.device, settings.prefix, settings.suffix,
                            double_read_ms=getattr(settings, "double_read_ms", 150.0))
    if kind == "serial":
        from hardware.serial_scanner import SerialScanner

        return SerialScanner(settings.device, settings.baudrate, settings.prefix, settings.suffix,
                             double_read_ms=getattr(settings, "double_read_ms", 150.0))
    if kind == "simulated":
        from hardware.simulated import SimulatedScanner

        return SimulatedScanner()
    return NoScanner()
