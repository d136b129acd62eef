"""Barcode scanners that speak serial (RS-232 or USB-CDC/VCP, e.g. /dev/ttyACM0): one code per line.

Lines end with CR, LF or CRLF. An optional AIM symbology identifier at the start (']C1', ']E0', ']d2', ...: most
scanners can be configured to send it, and GS1 needs it) is split off into RawScan.symbology. The port missing or
unplugged mid-shift is reported (status "disconnected") and reopened every second.
A scanner set up to send no terminator (a common factory setting over RS-232) sends a code in one burst (13 bytes
take 14 ms at 9600 baud): the bytes are one scan when the line has then been quiet for QUIET_S (`RawScan.ended_by`
"timeout", as the keyboard wedge's). Such scans were kept waiting for a line end that never came: none reached the
station, and the bytes piled up in memory for the whole shift.
"""

from __future__ import annotations

import logging
import re
import threading

from app.i18n import Msg
from app.scans import DoubleReadFilter, RawScan, ScanSource
from hardware.devices import CallbackSink, DeviceStatus, SerialDeviceThread, status

log = logging.getLogger(__name__)
_AIM = re.compile(r"^\][A-Za-z][0-9A-Za-z]")


def split_aim(line: str) -> tuple[str, str | None]:
    if _AIM.match(line):
        return line[3:], line[:3]
    return line, None


class SerialScanner(SerialDeviceThread):
    STOPPED = DeviceStatus(False, "stopped", Msg("Scanner stopped"))

    RETRY_S = 1.0
    QUIET_S = 0.2  # no byte for this long after a burst: the scan without a terminator is over
    MAX_LINE = 8192  # bytes without a line end: no barcode (a runaway stream), handed on as one (too long) scan

    def __init__(self, port: str, baudrate: int = 9600, prefix: str = "", suffix: str = "",
                 double_read_ms: float = 150.0):
        self.port, self.baudrate, self.prefix, self.suffix = port, baudrate, prefix, suffix
        self._doubles = DoubleReadFilter({ScanSource.SERIAL: double_read_ms})  # one scan read twice counts once
        self.name = f"serial:{port}"
        self._sink = CallbackSink()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ser = None



    def _run(self) -> None:
        import serial

        while not self._stop.is_set():
            try:
                self._ser = serial.Serial(self.port, self.baudrate, timeout=self.QUIET_S)
            except Exception as exc:
                self._sink.set_status(status(False, "disconnected", Msg(
                    "Scanner not connected ({port}): {error}", port=self.port, error=str(exc))))
                self._stop.wait(self.RETRY_S)
                continue
            self._sink.set_status(status(True, "ready", Msg("Serial scanner ready ({port})", port=self.port)))
            try:
                buf = b""
                while not self._stop.is_set():
                    # the first byte as soon as it comes, then what else is there: read(256) waited QUIET_S for
                    # 256 bytes, every scan 0.2 s late
                    chunk = self._ser.read(1)
                    if not chunk:
                        if buf.strip(b"\r\n"):  # the line has been quiet: a code sent without a terminator
                            self._line(buf, ended_by="timeout")
                        buf = b""
                        continue
                    buf += chunk + self._ser.read(min(self._ser.in_waiting, self.MAX_LINE))
                    *lines, buf = re.split(rb"\r\n|\r|\n", buf)
                    for raw in lines:
                        self._line(raw)
                    if len(buf) > self.MAX_LINE:
                        log.warning("serial scanner: %d bytes without a line end", len(buf))
                        self._line(buf, ended_by="overflow")
                        buf = b""
            except Exception as exc:
                self._sink.set_status(status(False, "disconnected", Msg(
                    "Scanner disconnected ({port}): {error}", port=self.port, error=str(exc))))
            self._close()
            self._stop.wait(self.RETRY_S)

    def _line(self, raw: bytes, ended_by: str = "terminator") -> None:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line = raw.decode("latin-1")
            log.warning("serial scanner: non-UTF-8 bytes %r", raw[:40])
        if self.prefix and line.startswith(self.prefix):
            line = line[len(self.prefix):]
        if self.suffix and line.endswith(self.suffix):
            line = line[: -len(self.suffix)]
        if not line.strip():
            return
        text, aim = split_aim(line)
        scan = RawScan(text, source=ScanSource.SERIAL, symbology=aim, ended_by=ended_by)
        if ended_by != "terminator":
            log.info("serial scanner: scan of %d characters ended by %s", len(text), ended_by)
        if not self._doubles.accept(scan):
            log.info("serial scanner: double read dropped (%d characters)", len(text))
            return
        self._sink.value(scan)
