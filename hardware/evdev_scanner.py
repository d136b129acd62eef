"""Linux: read a keyboard-wedge scanner directly from its input device with an exclusive grab (EVIOCGRAB), so its
keystrokes never reach any window (not even other applications). Optional: needs the `evdev` extra
(`pip install packstation[evdev]`) and read access to /dev/input/event* (udev rule or the `input` group).

When evdev is missing, the device is not found or the grab is not permitted, the driver reports status
"fallback" with the reason and the station keeps working through the application key filter (ui/wedge_filter.py);
the device is looked for again every second (unless the package is missing) and grabbed once it is there.
Key codes are mapped with a US layout (scanners emit US key positions); a code ends at Enter or Tab (or Ctrl+M /
Ctrl+J: CR and LF as a scanner types them), or when the keys stop (a scanner set up without a terminator). A key typed
with Ctrl held is its ASCII control character, as a terminal makes it: Ctrl+] is GS, the GS1 separator (FNC1) a
scanner sends inside a GS1 DataMatrix or GS1-128 code; Ctrl+^ and Ctrl+D are the RS and EOT of an ISO 15434 envelope.
"""

from __future__ import annotations

import logging
import threading

from app.i18n import Msg
from app.scans import DoubleReadFilter, RawScan, ScanSource
from hardware.devices import CallbackSink, DeviceStatus, status

log = logging.getLogger(__name__)

_US = {  # evdev key name -> (plain, shifted)
    **{f"KEY_{c}": (c.lower(), c) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
    **{f"KEY_{d}": (d, s) for d, s in zip("1234567890", "!@#$%^&*()", strict=True)},
    "KEY_MINUS": ("-", "_"), "KEY_EQUAL": ("=", "+"), "KEY_LEFTBRACE": ("[", "{"), "KEY_RIGHTBRACE": ("]", "}"),
    "KEY_SEMICOLON": (";", ":"), "KEY_APOSTROPHE": ("'", '"'), "KEY_GRAVE": ("`", "~"),
    "KEY_BACKSLASH": ("\\", "|"), "KEY_COMMA": (",", "<"), "KEY_DOT": (".", ">"), "KEY_SLASH": ("/", "?"),
    "KEY_SPACE": (" ", " "),
    **{f"KEY_KP{d}": (d, d) for d in "0123456789"}, "KEY_KPMINUS": ("-", "-"), "KEY_KPPLUS": ("+", "+"),
    "KEY_KPDOT": (".", "."), "KEY_KPASTERISK": ("*", "*"), "KEY_KPSLASH": ("/", "/"),
}
_TERMINATORS = {"KEY_ENTER", "KEY_KPENTER", "KEY_TAB"}
_SHIFTS = {"KEY_LEFTSHIFT", "KEY_RIGHTSHIFT"}
_CTRLS = {"KEY_LEFTCTRL", "KEY_RIGHTCTRL"}


def _control(ch: str) -> str | None:
    """The ASCII control character Ctrl makes of a key's character ("]" -> GS, "^" -> RS, "d" -> EOT), or None."""
    c = ch.upper()
    return chr(ord(c) - 64) if "@" <= c <= "_" else None


class KeyAssembler:
    """Turns (key name, down/up) into codes; Qt-free and evdev-free so it is testable on its own."""

    def __init__(self, prefix: str = "", suffix: str = ""):
        self.prefix, self.suffix = prefix, suffix
        self._shift = False
        self._ctrl = False
        self._buf: list[str] = []

    def key(self, name: str, down: bool) -> str | None:
        if name in _SHIFTS:
            self._shift = down
            return None
        if name in _CTRLS:
            self._ctrl = down
            return None
        if not down:
            return None
        if name in _TERMINATORS:
            return self.flush()
        ch = _US.get(name)
        if ch is not None:
            ch = ch[1] if self._shift else ch[0]
            if self._ctrl:
                # Ctrl+]: the GS between a GS1 code's variable-length field and the next one. It was typed as "]",
                # and every such code (a lot before its expiry: most GS1 DataMatrix labels) was unknown or unreadable
                ch = _control(ch)
                if ch in ("\r", "\n"):  # Ctrl+M / Ctrl+J: a scanner's CR / LF
                    return self.flush()
            if ch:
                self._buf.append(ch)
        return None

    def flush(self) -> str | None:
        """The keys typed since the last code, as a code (prefix/suffix stripped), or None: a code without a
        terminator, once its keys have stopped."""
        code, self._buf = "".join(self._buf), []
        return self._strip(code)

    def _strip(self, code: str) -> str | None:
        if self.prefix and code.startswith(self.prefix):
            code = code[len(self.prefix):]
        if self.suffix and code.endswith(self.suffix):
            code = code[: -len(self.suffix)]
        return code or None


class EvdevScanner:
    """The scanner's input device, grabbed, read on its own thread. Unplugged mid-shift it is said ("disconnected")
    and looked for again every RETRY_S: it used to stay "disconnected" until a restart, its keys reaching the
    windows again once it was plugged back (the key filter read them, not grabbed). A code sent with no terminator
    (a scanner set up without Enter/Tab) ends when the keys have stopped for QUIET_S: it waited for an Enter that
    never came, and nothing was scanned at all (grabbed, the keys reached no key filter either)."""

    RETRY_S = 1.0
    QUIET_S = 0.1  # a scanner types a key every 2-15 ms: this long without one, its code is over

    def __init__(self, device: str, prefix: str = "", suffix: str = "", double_read_ms: float = 150.0):
        self.device = device
        self.name = f"evdev:{device}"
        self._asm = KeyAssembler(prefix, suffix)
        # one trigger pull read twice counts once, as from the key filter and a serial scanner (it counted twice)
        self._doubles = DoubleReadFilter({ScanSource.HID: double_read_ms})
        self._sink = CallbackSink()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._dev = None

    def start(self, on_scan, on_status) -> None:
        self._sink.on_value, self._sink.on_status = on_scan, on_status
        self._stop.clear()
        try:
            self._dev = self._open()
        except _NoEvdev as exc:  # the package is missing: nothing to look for again
            self._fallback(exc)
            return
        except Exception as exc:  # not there (yet), or not permitted: the key filter reads it; looked for again
            self._fallback(exc)
        else:
            self._ready()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _fallback(self, exc: Exception) -> None:
        self._sink.set_status(status(False, "fallback", Msg(
            "Cannot read scanner {device} directly ({error}); using the keyboard key filter instead",
            device=repr(self.device), error=str(exc))))

    def _ready(self) -> None:
        self._sink.set_status(status(True, "ready", Msg("Scanner {device} grabbed exclusively",
                                                        device=repr(self.device))))

    def _open(self):
        try:
            import evdev
        except ImportError:
            raise _NoEvdev("python package 'evdev' not installed (pip install packstation[evdev])") from None
        path = self.device
        if not path.startswith("/dev/"):
            matches = [p for p in evdev.list_devices() if evdev.InputDevice(p).name == self.device]
            if not matches:
                raise RuntimeError("no input device with that name")
            path = matches[0]
        dev = evdev.InputDevice(path)
        try:
            dev.grab()  # PermissionError / OSError(EBUSY) when not permitted
        except Exception:
            dev.close()
            raise
        return dev

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._dev is None:
                try:
                    self._dev = self._open()
                except Exception:  # still not there: its status stays what it was (fallback, disconnected)
                    self._stop.wait(self.RETRY_S)
                    continue
                self._ready()
            try:
                self._read(self._dev)
            except Exception as exc:  # unplugged (OSError: the device node is gone), or anything else: never a
                if self._stop.is_set():  # thread that ends in silence, the scanner said "ready" and read nothing
                    break
                if not isinstance(exc, OSError | ValueError):
                    log.exception("evdev scanner %s failed", self.device)
                self._sink.set_status(status(False, "disconnected", Msg(
                    "Scanner {device} unplugged: {error}", device=repr(self.device), error=str(exc))))
                self._release()
                self._asm = KeyAssembler(self._asm.prefix, self._asm.suffix)  # half a code is no code
                self._stop.wait(self.RETRY_S)
        self._release()

    def _read(self, dev) -> None:
        import select

        import evdev

        while not self._stop.is_set():
            ready, _w, _x = select.select([dev.fd], [], [], self.QUIET_S)
            if not ready:
                code = self._asm.flush()  # the keys stopped without Enter/Tab: a code sent with no terminator
                if code:
                    log.info("evdev scanner: scan of %d characters ended by timeout", len(code))
                    self._deliver(RawScan(code, source=ScanSource.HID, ended_by="timeout"))
                continue
            try:
                events = list(dev.read())
            except BlockingIOError:
                continue
            for ev in events:
                if ev.type != evdev.ecodes.EV_KEY or ev.value == 2:
                    continue
                name = evdev.ecodes.KEY.get(ev.code)
                if isinstance(name, list):
                    name = name[0]
                code = self._asm.key(name or "", ev.value == 1)
                if code:
                    self._deliver(RawScan(code, source=ScanSource.HID, ended_by="terminator"))

    def _deliver(self, scan: RawScan) -> None:
        if not self._doubles.accept(scan):
            log.info("evdev scanner: double read dropped (%d characters)", len(scan.text))
            return
        self._sink.value(scan)

    def _release(self) -> None:
        dev, self._dev = self._dev, None
        if dev is not None:
            try:
                dev.ungrab()
            except Exception:
                pass
            try:
                dev.close()
            except Exception:
                pass

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._thread is None or not self._thread.is_alive():
            self._release()
        self._sink.set_status(DeviceStatus(False, "stopped", Msg("Scanner stopped")))

    def status(self) -> DeviceStatus:
        return self._sink.current


class _NoEvdev(RuntimeError):
    """The evdev package is not installed."""
