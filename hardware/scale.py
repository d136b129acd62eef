"""Serial scales: continuous ASCII streams and Mettler-Toledo SICS, stable-weight detection, units, tare.

    scale = make_scale(settings.devices.scale)   # ScaleSettings(kind="serial", device="/dev/ttyUSB0",
                                                 #               protocol="continuous"|"sics", stable_readings=3)
    scale.start(on_reading, on_status)   # WeightReading(grams, stable, unit, raw) on the reader thread
    scale.tare(); scale.stop()

Protocols (parse_line):
- continuous: `ST,GS,+0001.234kg` / `US,GS,...` / `ST,NT,...` / `OL,GS,...` (ST stable, US unstable, OL overload;
  GS gross, NT net), as sent continuously by many Chinese/Ohaus-style indicators, or without the gross/net field
  (A&D: `ST,+00123.45  g`); STX/ETX framing around a line is taken off;
- sics: Mettler-Toledo MT-SICS `S S     1.234 kg` (stable), `S D     1.230 kg` (dynamic), `S I` (busy),
  `S +`/`S -` (over/underload); the driver polls with `SI` (immediate weight) and tares with `T`.
A reading is reported `stable` when the scale says so AND the last `stable_readings` values agree within 1 g
(or 0.1 % above 1 kg). Units kg, g, lb, oz are converted to grams. Tare: SICS sends `T`; continuous scales
(which usually have no tare command) get a software tare: the current gross is subtracted from later readings.
Errors: the port missing or unplugged -> status "disconnected" (retried every second); lines that parse as
nothing for 2 s -> status "garbage" (wrong baud rate or protocol), both with a message for the operator (app.i18n.Msg).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass

from app.i18n import Msg
from hardware.devices import CallbackSink, DeviceStatus, SerialDeviceThread, status

log = logging.getLogger(__name__)

UNIT_GRAMS = {"kg": 1000.0, "g": 1.0, "lb": 453.59237, "lbs": 453.59237, "oz": 28.349523125}

MAX_GRAMS = 10_000_000.0  # 10 t: a reading beyond it is line noise, not a parcel
# the gross/net field is optional: A&D's standard format is `ST,+00123.45  g` (header, data, unit), which read as
# garbage ("check the baud rate") on a scale the module names as understood
_CONT = re.compile(r"^\s*(ST|US|OL),\s*(?:(GS|NT|TR|G|N)\s*,\s*)?([+-]?\s*[\d.]+)\s*([a-zA-Z]+)\s*$")
_FRAMING = "\x02\x03\x00 \t"  # STX/ETX around a line (Toledo-style framing), NUL padding
_SICS = re.compile(r"^\s*S\s+([SD])\s+([+-]?\s*[\d.]+)\s*([a-zA-Z]+)\s*$")
_SICS_STATE = re.compile(r"^\s*(S|T|TA|Z)\s+([I+\-L])\s*$")


@dataclass(frozen=True)
class WeightReading:
    grams: float
    stable: bool
    unit: str
    raw: str


class ScaleError(ValueError):
    pass


class UnknownUnit(ScaleError):
    """A weight in a unit the station does not convert (t, ct, N, ...): the line is read, the unit is what to fix."""

    def __init__(self, unit: str, line: str) -> None:
        super().__init__(f"unknown unit {unit!r} in {line!r}")
        self.unit = unit


def parse_line(line: str, protocol: str) -> WeightReading | None:
    """One line -> a reading (scale's own stability flag, not yet the driver's), None for a known non-weight reply
    (e.g. a tare acknowledgement). Raises ScaleError for garbage or an over/underload."""
    line = line.strip().strip(_FRAMING)
    if not line:
        return None
    if protocol == "continuous":
        m = _CONT.match(line)
        if not m and line.startswith("OL,"):  # over capacity: what follows is no weight (A&D: +9999999E+19)
            raise ScaleError("overload")
        if not m:
            raise ScaleError(f"unrecognised scale line {line!r}")
        state, _kind, value, unit = m.groups()
        if state == "OL":
            raise ScaleError("overload")
        return WeightReading(_grams(value, unit, line), state == "ST", unit.lower(), line)
    if protocol == "sics":
        m = _SICS.match(line)
        if m:
            flag, value, unit = m.groups()
            return WeightReading(_grams(value, unit, line), flag == "S", unit.lower(), line)
        m = _SICS_STATE.match(line)
        if m:
            if m.group(2) in "+-":
                raise ScaleError("overload" if m.group(2) == "+" else "underload")
            return None  # busy (I) or a command acknowledgement (T A ...)
        if line.startswith(("T S", "T A", "Z A", "I4")):
            return None
        raise ScaleError(f"unrecognised SICS reply {line!r}")
    raise ScaleError(f"unknown scale protocol {protocol!r}")


def _grams(value: str, unit: str, line: str) -> float:
    factor = UNIT_GRAMS.get(unit.lower())
    if factor is None:
        raise UnknownUnit(unit, line)
    try:
        grams = float(value.replace(" ", "")) * factor
    except ValueError:
        raise ScaleError(f"bad number in {line!r}") from None
    # a line noise's run of digits reads as 1e400 = inf: delivered as a steady weight, and a tare taken on it made
    # every later reading inf or NaN until the next tare. No bench scale weighs 10 t.
    if not abs(grams) <= MAX_GRAMS:
        raise ScaleError(f"number out of range in {line[:40]!r}")
    return round(grams, 3)


class StableFilter:
    """A reading is stable when the scale flags it and the last n values agree within tolerance."""

    def __init__(self, n: int = 3):
        self.n = max(1, n)
        self._last: list[float] = []

    def feed(self, r: WeightReading) -> bool:
        if not r.stable:
            self._last.clear()
            return False
        self._last = (self._last + [r.grams])[-self.n:]
        if len(self._last) < self.n:
            return False
        tol = max(1.0, abs(r.grams) * 0.001)
        return max(self._last) - min(self._last) <= tol


class ScaleDevice:
    name = "scale"

    def start(self, on_reading, on_status) -> None: ...
    def stop(self) -> None: ...
    def tare(self) -> None: ...
    def status(self) -> DeviceStatus: ...


class SerialScale(SerialDeviceThread, ScaleDevice):
    STOPPED = DeviceStatus(False, "stopped", Msg("Scale stopped"))
    POLL_S = 0.2
    RETRY_S = 1.0
    GARBAGE_S = 2.0
    # a write that cannot go out within this (a SICS scale's input full: hung firmware, flow control held) is given
    # up: it blocked the reader thread for good, its status "ready" and its last reading standing for the shift
    WRITE_TIMEOUT_S = 1.0

    def __init__(self, port: str, baudrate: int = 9600, protocol: str = "continuous", stable_readings: int = 3):
        self.port, self.baudrate, self.protocol = port, baudrate, protocol
        self.name = f"scale:{protocol}:{port}"
        self._sink = CallbackSink()
        self._filter = StableFilter(stable_readings)
        self._tare_g = 0.0
        self._last_gross: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ser = None
        self._lock = threading.Lock()

    def tare(self) -> None:
        if self.protocol == "sics":
            self._write(b"T\r\n")
        with self._lock:
            self._tare_g = self._last_gross or 0.0
        self._filter._last.clear()
        log.info("scale tare: %.1f g", self._tare_g)

    def _write(self, data: bytes) -> None:
        ser = self._ser
        if ser is not None:
            try:
                ser.write(data)
            except Exception as exc:
                log.warning("scale write failed: %s", exc)

    def _open(self):
        import serial

        return serial.Serial(self.port, self.baudrate, timeout=self.POLL_S, write_timeout=self.WRITE_TIMEOUT_S)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._ser = self._open()
            except Exception as exc:
                self._sink.set_status(status(False, "disconnected", Msg(
                    "Scale not connected ({port}): {error}", port=self.port, error=str(exc))))
                self._stop.wait(self.RETRY_S)
                continue
            self._sink.set_status(status(True, "ready", Msg("Scale ready ({port})", port=self.port)))
            try:
                self._read_loop()
            except Exception as exc:  # unplugged: read raises SerialException / OSError
                log.warning("scale %s lost: %s", self.port, exc)
                self._sink.set_status(status(False, "disconnected", Msg(
                    "Scale disconnected ({port}): {error}", port=self.port, error=str(exc))))
            self._close()
            self._stop.wait(self.RETRY_S)

    def _read_loop(self) -> None:
        import serial

        buf = b""
        last_good = time.monotonic()
        unit: str | None = None  # a unit not converted, seen since the last weight: said instead of "baud rate"
        last_poll = 0.0
        while not self._stop.is_set():
            if self.protocol == "sics" and time.monotonic() - last_poll >= self.POLL_S:
                try:
                    self._ser.write(b"SI\r\n")
                except serial.SerialTimeoutException:  # not taken: no answer comes, said once as "sends nothing"
                    log.debug("scale %s: poll not taken within %.1f s", self.port, self.WRITE_TIMEOUT_S)
                last_poll = time.monotonic()
            chunk = self._ser.read(256)
            if chunk:
                buf += chunk
            else:  # a line is sent in one go (18 bytes: 19 ms at 9600 baud): half a line before POLL_S of quiet is
                buf = b""  # from before the scale stopped, never the start of the next line it sends
            *lines, buf = re.split(rb"\r\n|\r|\n", buf)
            if len(buf) > 4096:
                buf = b""
            for raw in lines:
                line = raw.decode("ascii", "replace")
                try:
                    r = parse_line(line, self.protocol)
                except ScaleError as exc:
                    log.debug("scale: %s", exc)
                    if isinstance(exc, UnknownUnit):
                        unit = exc.unit
                    if str(exc) in ("overload", "underload"):
                        last_good = time.monotonic()
                        self._sink.set_status(status(False, "overload", Msg("Scale overload") if str(exc) == "overload"
                                                     else Msg("Scale underload")))
                    continue
                if r is None:  # (a SICS "S I", busy, is no weight either: one that stays busy is said after 2 s)
                    continue
                last_good, unit = time.monotonic(), None
                if self._sink.current.state != "ready":
                    self._sink.set_status(status(True, "ready", Msg("Scale ready ({port})", port=self.port)))
                self._deliver(r)
            if time.monotonic() - last_good > self.GARBAGE_S and self._sink.current.state != "garbage":
                if unit is not None:  # the line reads well: the scale weighs in a unit not converted to grams
                    said = Msg("Scale weighs in {unit}, which the station does not convert: set the scale to kg, g, "
                               "lb or oz", unit=unit)
                else:
                    said = Msg("Scale sends nothing readable on {port}: check baud rate ({baudrate}) and protocol "
                               "({protocol})", port=self.port, baudrate=self.baudrate, protocol=self.protocol)
                self._sink.set_status(status(False, "garbage", said))

    def _deliver(self, r: WeightReading) -> None:
        with self._lock:
            self._last_gross = r.grams
            net = r.grams - (self._tare_g if self.protocol != "sics" else 0.0)
        stable = self._filter.feed(r)
        self._sink.value(WeightReading(round(net, 3), stable, r.unit, r.raw))


def make_scale(settings) -> ScaleDevice | None:
    kind = getattr(settings, "kind", "none")
    if kind == "serial":
        return SerialScale(settings.device, settings.baudrate, settings.protocol, settings.stable_readings)
    if kind == "simulated":
        from hardware.simulated import SimulatedScale

        return SimulatedScale(stable_readings=settings.stable_readings)
    return None
