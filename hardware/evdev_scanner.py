"""Linux: read a keyboard-wedge scanner directly from its input device with an exclusive grab (EVIOCGRAB), so its
keystrokes never reach any window (not even other applications). Optional: needs the `evdev` extra
(`pip install packstation[evdev]`) and read access to /dev/input/event* (udev rule or the `input` group).

When evdev is missing, the device is not found or the grab is not permitted, the driver reports status
"fallback" with the reason and the station keeps working through the application key filter (ui/wedge_filter.py).
Key codes are mapped with a US layout (scanners emit US key positions); a code ends at Enter or Tab.
"""

from __future__ import annotations

import logging
import threading

from app.i18n import Msg
from app.scans import RawScan, ScanSource
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


class KeyAssembler:
    """Turns (key name, down/up) into codes; Qt-free and evdev-free so it is testable on its own."""

    def __init__(self, prefix: str = "", suffix: str = ""):
        self.prefix, self.suffix = prefix, suffix
        self._shift = False
        self._buf: list[str] = []

    def key(self, name: str, down: bool) -> str | None:
        if name in _SHIFTS:
            self._shift = down
            return None
        if not down:
            return None
        if name in _TERMINATORS:
            code, self._buf = "".join(self._buf), []
            if self.prefix and code.startswith(self.prefix):
                code = code[len(self.prefix):]
            if self.suffix and code.endswith(self.suffix):
                code = code[: -len(self.suffix)]
            return code or None
        ch = _US.get(name)
        if ch is not None:
            self._buf.append(ch[1] if self._shift else ch[0])
        return None


class EvdevScanner:
    def __init__(self, device: str, prefix: str = "", suffix: str = ""):
        self.device = device
        self.name = f"evdev:{device}"
        self._asm = KeyAssembler(prefix, suffix)
        self._sink = CallbackSink()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._dev = None

    def start(self, on_scan, on_status) -> None:
        self._sink.on_value, self._sink.on_status = on_scan, on_status
        try:
            self._dev = self._open()
        except Exception as exc:
            self._sink.set_status(status(False, "fallback", Msg(
                "Cannot read scanner {device} directly ({error}); using the keyboard key filter instead",
                device=repr(self.device), error=str(exc))))
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        self._sink.set_status(status(True, "ready", Msg("Scanner {device} grabbed exclusively", device=repr(self.device))))

    def _open(self):
        try:
            import evdev
        except ImportError:
            raise RuntimeError("python package 'evdev' not installed (pip install packstation[evdev])") from None
        path = self.device
        if not path.startswith("/dev/"):
            matches = [p for p in evdev.list_devices() if evdev.InputDevice(p).name == self.device]
            if not matches:
                raise RuntimeError("no input device with that name")
            path = matches[0]
        dev = evdev.InputDevice(path)
        dev.grab()  # PermissionError / OSError(EBUSY) when not permitted
        return dev

    def _run(self) -> None:
        import evdev

        try:
            for ev in self._dev.read_loop():
                if self._stop.is_set():
                    break
                if ev.type != evdev.ecodes.EV_KEY or ev.value == 2:
                    continue
                name = evdev.ecodes.KEY.get(ev.code)
                if isinstance(name, list):
                    name = name[0]
                code = self._asm.key(name or "", ev.value == 1)
                if code:
                    self._sink.value(RawScan(code, source=ScanSource.HID))
        except OSError as exc:
            if not self._stop.is_set():
                self._sink.set_status(status(False, "disconnected", Msg(
                    "Scanner {device} unplugged: {error}", device=repr(self.device), error=str(exc))))

    def stop(self) -> None:
        self._stop.set()
        dev, self._dev = self._dev, None
        if dev is not None:
            try:
                dev.ungrab()
            except Exception:
                pass
            dev.close()
        self._sink.set_status(DeviceStatus(False, "stopped", Msg("Scanner stopped")))

    def status(self) -> DeviceStatus:
        return self._sink.current
