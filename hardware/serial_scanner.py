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
_IN_CODES = frozenset("\x04\x09\x1d\x1e")  # EOT, TAB, GS, RS: inside GS1 / ISO 15434 codes, not noise


def line_noise(raw: bytes) -> bool:
    """Bytes as a scanner at another baud rate makes them (a bit read as several, or several as one): mostly NUL,
    0x80-0xFF and control bytes, not UTF-8 text. Each was a scan, "Unknown barcode ø€þ" in red with the error sound
    and an error in the packer's figures, and nothing said to check the baud rate. A code in UTF-8 (Chinese in a
    QR code included) is never noise; nor is one odd byte in a Latin-1 code."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    bad = sum(1 for ch in text if (ch < " " and ch not in _IN_CODES) or "\x7f" <= ch <= "\x9f")
    if not text.isascii() and text == raw.decode("latin-1"):  # not UTF-8: the high bytes are noise as well
        bad += sum(1 for ch in text if ch >= "\xa0")
    return len(text) >= 2 and 2 * bad >= len(text)


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
        if line_noise(raw):  # no scan: said once, with what to check (the status bar shows it)
            log.debug("serial scanner: line noise %r", raw[:40])
            self._sink.set_status(status(False, "garbage", Msg(
                "Scanner sends unreadable bytes on {port}: check its baud rate ({baudrate})", port=self.port,
                baudrate=self.baudrate)))
            return
        if self._sink.current.state == "garbage":
            self._sink.set_status(status(True, "ready", Msg("Serial scanner ready ({port})", port=self.port)))
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
