"""Simulated devices for the demo and tests, behind the same interfaces as the real drivers.

    sc = SimulatedScanner(); sc.start(on_scan, on_status); sc.emit("4006381333931")   # RawScan(source=SIMULATED)
    sl = SimulatedScale(); sl.start(on_reading, on_status); sl.settle_to(1234.5)        # unstable..., then stable
The simulated camera is hardware.camera.CameraScanner with a video file or a folder of images as its source.
"""

from __future__ import annotations

import threading

from app.i18n import Msg
from app.scans import RawScan, ScanSource
from hardware.devices import CallbackSink, DeviceStatus
from hardware.scale import ScaleDevice, StableFilter, WeightReading


class SimulatedScanner:
    name = "simulated-scanner"

    def __init__(self) -> None:
        self._sink = CallbackSink()

    def start(self, on_scan, on_status) -> None:
        self._sink.on_value, self._sink.on_status = on_scan, on_status
        self._sink.set_status(DeviceStatus(True, "ready", Msg("Simulated scanner ready")))

    def stop(self) -> None:
        self._sink.set_status(DeviceStatus(False, "stopped", Msg("Simulated scanner stopped")))
        self._sink.on_value = None

    def status(self) -> DeviceStatus:
        return self._sink.current

    def emit(self, code: str, symbology: str | None = None) -> RawScan:
        scan = RawScan(code, source=ScanSource.SIMULATED, symbology=symbology)
        self._sink.value(scan)
        return scan


class SimulatedScale(ScaleDevice):
    """settle_to(grams) emits `unstable_steps` wobbling readings approaching the target, then `stable_readings`
    + 1 steady ones (the last ones stable), on a small thread spaced `interval_s` apart (0 = synchronously)."""

    name = "simulated-scale"

    def __init__(self, stable_readings: int = 3, unstable_steps: int = 4, interval_s: float = 0.05):
        self._sink = CallbackSink()
        self._filter = StableFilter(stable_readings)
        self.stable_readings = stable_readings
        self.unstable_steps = unstable_steps
        self.interval_s = interval_s
        self._gross = 0.0
        self._tare = 0.0
        self._unplugged = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_reading, on_status) -> None:
        self._sink.on_value, self._sink.on_status = on_reading, on_status
        self._stop.clear()
        self._sink.set_status(DeviceStatus(True, "ready", Msg("Simulated scale ready")))

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        self._sink.set_status(DeviceStatus(False, "stopped", Msg("Simulated scale stopped")))

    def status(self) -> DeviceStatus:
        return self._sink.current

    def unplug(self, out: bool = True) -> None:
        """The demo's cable pulled (`out`) or put back: a real driver's "disconnected" status, no readings meanwhile;
        back, "ready" and the last weight again (a driver reads the scale again once it answers)."""
        self._unplugged = out
        if out:
            self._sink.set_status(DeviceStatus(False, "disconnected", Msg("Scale disconnected (demo): its cable is "
                                                                           "out")))
            return
        self._sink.set_status(DeviceStatus(True, "ready", Msg("Simulated scale ready")))
        self._filter._last.clear()
        for _ in range(self.stable_readings + 1):
            self._emit(self._gross, True)

    def tare(self) -> None:
        self._tare = self._gross
        self._filter._last.clear()

    def settle_to(self, grams: float) -> None:
        start = self._gross
        steps = [start + (grams - start) * (i + 1) / (self.unstable_steps + 1) + (7.0 if i % 2 else -7.0)
                 for i in range(self.unstable_steps)]
        seq = [(g, False) for g in steps] + [(grams, True)] * (self.stable_readings + 1)

        def run():
            for g, st in seq:
                if self._stop.is_set():
                    return
                self._emit(g, st)
                if self.interval_s:
                    self._stop.wait(self.interval_s)

        if self.interval_s <= 0:
            run()
            return
        if self._thread and self._thread.is_alive():
            self._stop.set()
            self._thread.join(timeout=2)
            self._stop.clear()
        self._thread = threading.Thread(target=run, name="simulated-scale", daemon=True)
        self._thread.start()

    def _emit(self, gross: float, scale_stable: bool) -> None:
        self._gross = gross
        if self._unplugged:  # the parcel's weight changes; nothing reaches the station
            return
        r = WeightReading(round(gross, 3), scale_stable, "g", f"SIM {gross:.1f} g")
        stable = self._filter.feed(r)
        self._sink.value(WeightReading(round(gross - self._tare, 3), stable, "g", r.raw))
