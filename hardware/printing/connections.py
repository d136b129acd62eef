"""Printer connections: one `Printer` per configured printer, made by `make_printer()` from its URI.

  tcp://HOST:PORT        network printer (raw port 9100); persistent socket, short timeouts
  usb://VID:PID          USB printer through python-escpos/pyusb (hex ids: usb://04b8:0202)
  serial:///dev/ttyUSB0  serial printer (pyserial; ?baud=19200, default 9600)
  file:PATH              a file or device node (/dev/usb/lp0); write-only, status unknown
  cups://QUEUE           a CUPS queue: ESC/POS bytes sent raw, PDFs as documents
  simulated:DIR          writes each job and a PNG preview to DIR (see simulated.py)
  none:                  no printer: status "not_configured", every job is held

Any URI takes ``?status=off`` for printers that do not implement DLE EOT (status then "unknown").
A stream printer (tcp, usb, serial) takes ``?counter=cuts`` when it implements Epson's maintenance
counter query GS g 2 (cumulative autocutter operations, counter 178; TM-series and most clones): the
spool then reads the counter before each job and, after a crash, tells from it whether the job's final
cut happened -- a label cut is a label printed in full. Off by default: a printer that does not know
the command may print its bytes.

The traps of python-escpos 3.1 this layer exists for (its Network printer blocks 60 s; `is_online()`
/ `paper_status()` raise TimeoutError on a silent printer or read a stale byte or an empty reply as
"paper OK"; a job to a printer powered off mid-job vanishes; CupsPrinter drops jobs unless opened):
every socket operation has a short timeout; stale input is drained before each DLE EOT query; only a
byte that has the status-reply bit pattern counts; no reply is "no_answer", never "ok"; after each
job the printer must answer a status query again (if it did before) or the job is reported failed;
CUPS jobs go through an opened connection (or `lp`), never a lazily opened one.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from app.config import PrinterSettings
from app.i18n import Msg
from hardware.printing.status import DLE_EOT, QUERIES, PrinterStatus, decode, make_status, valid_reply

log = logging.getLogger(__name__)

CUT_COUNTER_QUERY = b"\x1dg2\x00\xb2\x00"  # GS g 2 m=0 nL=178 nH=0: cumulative autocutter operations


class PrintError(Exception):
    """A job could not be delivered; `state` is a PrinterStatus state, `message` what the operator reads
    (`text(language)`); str(error) is the English text."""

    def __init__(self, state: str, message: Msg) -> None:
        super().__init__(message.en)
        self.state = state
        self.message = message

    def text(self, language: str | None) -> str:
        return self.message.text(language)

    @property
    def en(self) -> str:
        return self.message.en


class _Closed(Exception):
    """The peer closed the connection."""


def _split_query(uri: str) -> tuple[str, dict[str, str]]:
    base, _, q = uri.partition("?")
    return base, {k: v[-1] for k, v in parse_qs(q).items()}


class Printer:
    """Base class. `status()` and `send()` are safe to call from any thread (one lock per printer)."""

    accepts_pdf = False  # True: slips are sent as PDF documents (CUPS, simulated)
    can_query = False
    counts_cuts = False  # answers GS g 2 (the autocutter counter): see cut_count()

    def __init__(self, uri: str, settings: PrinterSettings | None = None) -> None:
        self.uri = uri
        self.settings = settings or PrinterSettings(uri=uri)
        self._lock = threading.RLock()
        # learned: None until the first query; True once the printer answered DLE EOT
        self.answers_status: bool | None = None

    @property
    def name(self) -> str:
        return self.uri

    def status(self, timeout_s: float = 1.0) -> PrinterStatus:
        return make_status("unknown")

    def send(self, data: bytes, content_type: str = "escpos", *, job_name: str = "job",
             timeout_s: float = 10.0) -> None:
        raise NotImplementedError

    def after_job(self, timeout_s: float = 1.5) -> PrinterStatus:
        """Status after a job was written: a printer that answered before and is silent now lost the job."""
        st = self.status(timeout_s)
        return st

    def cut_count(self, timeout_s: float = 1.0) -> int | None:
        """The printer's cumulative autocutter count, or None when it cannot tell."""
        return None

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.uri}>"


class StreamPrinter(Printer):
    """A byte stream that can be read back (TCP, serial, USB): DLE EOT status with a hard deadline."""

    can_query = True

    def __init__(self, uri: str, settings: PrinterSettings | None = None, query: bool = True) -> None:
        super().__init__(uri, settings)
        self.can_query = query
        self.counts_cuts = _split_query(uri)[1].get("counter", "").lower() == "cuts"
        # what the last status query got wrong ("silent", "garbled"): said in the log when it starts, not at every
        # poll (a printer switched off over lunch was a line every 6 s, 600 an hour)
        self._unanswered: str | None = None

    def _said_once(self, why: str, level, text: str, *args) -> None:
        if self._unanswered != why:
            level(text, *args)
        self._unanswered = why

    # -- transport, implemented by subclasses ------------------------------------------------------
    def _open(self, timeout_s: float) -> None:
        raise NotImplementedError

    def _is_open(self) -> bool:
        raise NotImplementedError

    def _write(self, data: bytes, timeout_s: float) -> None:
        raise NotImplementedError

    def _read1(self, timeout_s: float) -> bytes:
        """One byte, b"" on timeout; raises _Closed when the peer closed the connection."""
        raise NotImplementedError

    def _drain(self) -> int:
        """Discard whatever is waiting in the input; returns the number of bytes dropped."""
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    # -- shared logic --------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            try:
                self._close()
            except Exception:  # closing a dead connection
                pass

    def _ensure_open(self, timeout_s: float) -> None:
        if not self._is_open():
            self._open(timeout_s)

    def status(self, timeout_s: float = 1.0) -> PrinterStatus:
        with self._lock:
            try:
                self._ensure_open(timeout_s)
            except OSError as exc:
                self.close()
                return make_status("offline", extra=Msg("cannot connect to {uri}: {error}", uri=self.uri,
                                                        error=_why(exc)))
            if not self.can_query:
                return make_status("unknown", extra=Msg("status queries are off for this printer"))
            deadline = time.monotonic() + timeout_s
            try:
                dropped = self._drain()
                if dropped:
                    log.info("%s: dropped %d stale byte(s) before the status query", self.uri, dropped)
                replies: dict[int, int] = {}
                for n in QUERIES:
                    self._write(DLE_EOT + bytes((n,)), max(0.05, deadline - time.monotonic()))
                    b = self._read1(max(0.0, deadline - time.monotonic()))
                    if not b:
                        # expected when a printer is off: the spool logs the state change once
                        self._said_once("silent", log.info, "%s: no reply to DLE EOT %d within %.1f s", self.uri, n,
                                        timeout_s)
                        seconds = f"{timeout_s:.1f}"
                        return make_status("no_answer", extra=Msg("no reply within {seconds} s", seconds=seconds))
                    if not valid_reply(b[0]):
                        self._said_once("garbled", log.warning, "%s: reply 0x%02x to DLE EOT %d is not a status byte",
                                        self.uri, b[0], n)
                        self._drain()
                        byte = f"0x{b[0]:02x}"
                        return make_status("no_answer", extra=Msg("garbled reply {byte}", byte=byte))
                    replies[n] = b[0]
            except _Closed:
                self.close()
                return make_status("offline", extra=Msg("the printer closed the connection"))
            except OSError as exc:
                self.close()
                return make_status("offline", extra=_why(exc))
            self.answers_status = True
            if self._unanswered is not None:
                log.info("%s: answers status queries again", self.uri)
                self._unanswered = None
            return decode(replies)

    def cut_count(self, timeout_s: float = 1.0) -> int | None:
        """GS g 2 m=0 n=178: reply 0x5F, the count in ASCII digits, NUL. The printer answers once the data
        before the query is processed, so the count includes every job already cut."""
        if not self.counts_cuts:
            return None
        with self._lock:
            try:
                self._ensure_open(timeout_s)
                self._drain()
                self._write(CUT_COUNTER_QUERY, timeout_s)
                deadline = time.monotonic() + timeout_s
                reply = b""
                while len(reply) < 12:
                    b = self._read1(max(0.0, deadline - time.monotonic()))
                    if not b:
                        break
                    reply += b
                    if b == b"\x00":
                        break
            except (OSError, _Closed) as exc:
                self.close()
                log.info("%s: cut counter not read: %s", self.uri, _why(exc))
                return None
        if len(reply) >= 3 and reply[:1] == b"_" and reply[-1:] == b"\x00" and reply[1:-1].isdigit():
            return int(reply[1:-1])
        log.info("%s: no valid cut counter reply (%r)", self.uri, reply[:12])
        return None

    def send(self, data: bytes, content_type: str = "escpos", *, job_name: str = "job",
             timeout_s: float = 10.0) -> None:
        if content_type != "escpos":
            raise PrintError("error", Msg("{uri} takes ESC/POS bytes, not {content_type}", uri=self.uri,
                                          content_type=content_type))
        with self._lock:
            try:
                self._ensure_open(min(timeout_s, 3.0))
                self._write(data, timeout_s)
            except (OSError, _Closed) as exc:
                self.close()
                raise PrintError("offline", Msg("sending to {uri} failed: {error}", uri=self.uri,
                                                error=_why(exc))) from exc

    def after_job(self, timeout_s: float = 1.5) -> PrinterStatus:
        if not self.can_query:
            return make_status("unknown", extra=Msg("job sent; delivery not confirmed"))
        return self.status(timeout_s)


def _why(exc: BaseException) -> str:
    if isinstance(exc, _Closed):
        return "connection closed by the printer"
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


class TcpPrinter(StreamPrinter):
    def __init__(self, uri: str, settings: PrinterSettings | None = None, query: bool = True) -> None:
        super().__init__(uri, settings, query)
        parts = urlsplit(uri.split("?")[0])
        if not parts.hostname:
            raise ValueError(f"printer URI {uri!r}: expected tcp://HOST:PORT")
        self.host = parts.hostname
        self.port = parts.port or 9100
        self._sock: socket.socket | None = None

    def _open(self, timeout_s: float) -> None:
        self._sock = socket.create_connection((self.host, self.port), timeout=timeout_s)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    def _is_open(self) -> bool:
        return self._sock is not None

    def _write(self, data: bytes, timeout_s: float) -> None:
        assert self._sock is not None
        self._sock.settimeout(timeout_s)
        self._sock.sendall(data)

    def _read1(self, timeout_s: float) -> bytes:
        assert self._sock is not None
        if timeout_s <= 0:
            return b""
        self._sock.settimeout(timeout_s)
        try:
            b = self._sock.recv(1)
        except TimeoutError:
            return b""
        if b == b"":
            raise _Closed()
        return b

    def _drain(self) -> int:
        assert self._sock is not None
        n = 0
        self._sock.setblocking(False)
        try:
            while True:
                chunk = self._sock.recv(4096)
                if not chunk:
                    raise _Closed()
                n += len(chunk)
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            if self._sock is not None:
                self._sock.setblocking(True)
        return n

    def _close(self) -> None:
        s, self._sock = self._sock, None
        if s is not None:
            s.close()


class SerialPrinter(StreamPrinter):
    def __init__(self, uri: str, settings: PrinterSettings | None = None, query: bool = True,
                 baudrate: int = 9600) -> None:
        super().__init__(uri, settings, query)
        self.port = uri.split("?")[0][len("serial://"):]
        self.baudrate = baudrate
        self._ser = None

    def _open(self, timeout_s: float) -> None:
        import serial

        try:
            self._ser = serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=timeout_s,
                                              write_timeout=10.0)
        except serial.SerialException as exc:
            raise OSError(str(exc)) from exc

    def _is_open(self) -> bool:
        return self._ser is not None

    def _write(self, data: bytes, timeout_s: float) -> None:
        import serial

        self._ser.write_timeout = timeout_s
        try:
            self._ser.write(data)
            self._ser.flush()
        except serial.SerialException as exc:
            raise OSError(str(exc)) from exc

    def _read1(self, timeout_s: float) -> bytes:
        if timeout_s <= 0:
            return b""
        self._ser.timeout = timeout_s
        return self._ser.read(1)

    def _drain(self) -> int:
        n = self._ser.in_waiting
        self._ser.reset_input_buffer()
        return n

    def _close(self) -> None:
        s, self._ser = self._ser, None
        if s is not None:
            s.close()


class UsbPrinter(StreamPrinter):
    """USB through python-escpos' Usb class (pyusb); every transfer has a timeout."""

    def __init__(self, uri: str, settings: PrinterSettings | None = None, query: bool = True) -> None:
        super().__init__(uri, settings, query)
        ids = uri.split("?")[0][len("usb://"):]
        try:
            vid, pid = (int(x, 16) for x in ids.split(":"))
        except ValueError:
            raise ValueError(f"printer URI {uri!r}: expected usb://VID:PID in hex, e.g. usb://04b8:0202") from None
        self.vid, self.pid = vid, pid
        self._dev = None

    def _open(self, timeout_s: float) -> None:
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import Usb

        p = Usb(self.vid, self.pid, timeout=int(timeout_s * 1000), profile=self.settings.profile)
        try:
            p.open(raise_not_found=True)
        except (DeviceNotFoundError, Exception) as exc:  # pyusb raises several kinds
            raise OSError(f"USB printer {self.vid:04x}:{self.pid:04x} not found or not accessible: {exc}") from exc
        self._dev = p

    def _is_open(self) -> bool:
        return self._dev is not None

    def _write(self, data: bytes, timeout_s: float) -> None:
        try:
            self._dev.device.write(self._dev.out_ep, data, int(timeout_s * 1000))
        except Exception as exc:  # usb.core.USBError / USBTimeoutError
            raise OSError(str(exc)) from exc

    def _read1(self, timeout_s: float) -> bytes:
        if timeout_s <= 0:
            return b""
        try:
            data = self._dev.device.read(self._dev.in_ep, 16, max(1, int(timeout_s * 1000)))
        except Exception as exc:
            if "timeout" in str(exc).lower() or type(exc).__name__ == "USBTimeoutError":
                return b""
            raise OSError(str(exc)) from exc
        return bytes(data[-1:])

    def _drain(self) -> int:
        n = 0
        for _ in range(16):
            try:
                n += len(self._dev.device.read(self._dev.in_ep, 64, 5))
            except Exception:
                break
        return n

    def _close(self) -> None:
        d, self._dev = self._dev, None
        if d is not None:
            d.close()


class FilePrinter(Printer):
    """A file or device node: write-only, so status is "unknown" (or offline if the path cannot exist)."""

    def __init__(self, uri: str, settings: PrinterSettings | None = None) -> None:
        super().__init__(uri, settings)
        self.path = Path(uri.split("?")[0][len("file:"):].removeprefix("//"))

    def status(self, timeout_s: float = 1.0) -> PrinterStatus:
        if str(self.path).startswith("/dev/") and not self.path.exists():
            return make_status("offline", extra=Msg("{path} does not exist", path=str(self.path)))
        if not self.path.parent.is_dir():
            return make_status("offline", extra=Msg("folder {path} does not exist", path=str(self.path.parent)))
        return make_status("unknown", extra=Msg("file connection"))

    def send(self, data: bytes, content_type: str = "escpos", *, job_name: str = "job",
             timeout_s: float = 10.0) -> None:
        with self._lock:
            try:
                with open(self.path, "ab") as f:
                    f.write(data)
                    f.flush()
                    if self.path.is_file():
                        os.fsync(f.fileno())
            except OSError as exc:
                raise PrintError("offline", Msg("writing to {path} failed: {error}", path=str(self.path),
                                                error=_why(exc))) from exc


class CupsPrinter(Printer):
    """A CUPS queue. ESC/POS bytes go raw; PDFs go as documents. Uses pycups (through python-escpos'
    CupsPrinter, opened before every job: it silently drops jobs otherwise) or the `lp` command."""

    accepts_pdf = True

    def __init__(self, uri: str, settings: PrinterSettings | None = None) -> None:
        super().__init__(uri, settings)
        self.queue = uri.split("?")[0][len("cups://"):].strip("/")

    @staticmethod
    def _pycups():
        try:
            import cups  # noqa: F401

            return True
        except ImportError:
            return False

    def status(self, timeout_s: float = 1.0) -> PrinterStatus:
        if self._pycups():
            try:
                import cups

                conn = cups.Connection()
                attrs = conn.getPrinters().get(self.queue)
            except Exception as exc:
                return make_status("offline", extra=f"CUPS: {exc}")
            if attrs is None:
                return make_status("offline", extra=Msg("no CUPS queue {queue}", queue=repr(self.queue)))
            if attrs.get("printer-state") == 5:
                return make_status("offline", extra=Msg("CUPS queue {queue} is stopped", queue=self.queue))
            return make_status("unknown", extra=Msg("CUPS queue accepting jobs"))
        if not shutil.which("lpstat"):
            return make_status("offline", extra=Msg("CUPS client not installed (apt-get install cups-client)"))
        try:
            r = subprocess.run(["lpstat", "-p", self.queue], capture_output=True, text=True, timeout=timeout_s + 2)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return make_status("offline", extra=f"lpstat: {exc}")
        out = (r.stdout + r.stderr).strip()
        if r.returncode != 0 or "disabled" in out:
            return make_status("offline", extra=out or Msg("CUPS queue {queue} unavailable", queue=self.queue))
        return make_status("unknown", extra=Msg("CUPS queue accepting jobs"))

    def send(self, data: bytes, content_type: str = "escpos", *, job_name: str = "job",
             timeout_s: float = 10.0) -> None:
        with self._lock:
            if self._pycups():
                self._send_pycups(data, content_type, job_name)
            else:
                self._send_lp(data, content_type, job_name, timeout_s)

    def _send_pycups(self, data: bytes, content_type: str, job_name: str) -> None:
        try:
            if content_type == "escpos":
                from escpos.printer import CupsPrinter as EscposCups

                p = EscposCups(self.queue, profile=self.settings.profile)
                p.open(job_name=job_name)  # without open() the job is silently dropped
                p._raw(data)
                p.send()
                p.close()
            else:
                import cups

                with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
                    f.write(data)
                    f.flush()
                    cups.Connection().printFile(self.queue, f.name, job_name, {})
        except Exception as exc:
            raise PrintError("offline", Msg("CUPS {queue}: {error}", queue=self.queue, error=str(exc))) from exc

    def _send_lp(self, data: bytes, content_type: str, job_name: str, timeout_s: float) -> None:
        if not shutil.which("lp"):
            raise PrintError("offline", Msg("CUPS client not installed (apt-get install cups-client)"))
        cmd = ["lp", "-d", self.queue, "-t", job_name]
        if content_type == "escpos":
            cmd += ["-o", "raw"]
        try:
            r = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout_s + 5)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrintError("offline", Msg("lp: {error}", error=str(exc))) from exc
        if r.returncode != 0:
            msg = r.stderr.decode(errors="replace").strip()
            raise PrintError("offline", Msg("lp: {error}", error=msg))


class NullPrinter(Printer):
    def status(self, timeout_s: float = 1.0) -> PrinterStatus:
        return make_status("not_configured", online=False)

    def send(self, data: bytes, content_type: str = "escpos", *, job_name: str = "job",
             timeout_s: float = 10.0) -> None:
        raise PrintError("not_configured", Msg("No printer configured"))


def make_printer(settings: PrinterSettings | str, *, data_dir: Path | None = None) -> Printer:
    """The printer for a configured `PrinterSettings` (or a bare URI)."""
    if isinstance(settings, str):
        settings = PrinterSettings(uri=settings)
    uri = settings.uri.strip()
    base, q = _split_query(uri)
    query = q.get("status", "on").lower() not in ("off", "0", "no", "false")
    if base.startswith("tcp://"):
        return TcpPrinter(uri, settings, query=query)
    if base.startswith("usb://"):
        return UsbPrinter(uri, settings, query=query)
    if base.startswith("serial://"):
        return SerialPrinter(uri, settings, query=query, baudrate=int(q.get("baud", "9600")))
    if base.startswith("file:"):
        return FilePrinter(uri, settings)
    if base.startswith("cups://"):
        return CupsPrinter(uri, settings)
    if base.startswith("simulated:"):
        from hardware.printing.simulated import SimulatedPrinter

        d = base[len("simulated:"):]
        folder = Path(d) if d else (data_dir or Path(tempfile.gettempdir())) / "printed"
        return SimulatedPrinter(uri, settings, folder)
    if base.startswith("none:") or not base:
        return NullPrinter(uri or "none:", settings)
    raise ValueError(f"unsupported printer URI {uri!r} (tcp://, usb://, serial://, file:, cups://, simulated:, none:)")
