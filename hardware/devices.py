"""Shared device vocabulary: DeviceStatus and its message.

Every driver reports its state through `on_status(DeviceStatus)` callbacks (called on the device thread) and
`status()`. The status carries a message (`app.i18n.Msg`, translated in resources/locale/*/devices.po), not a
language: the screen renders it with `status.text(language)`, the log gets `status.en`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from app.i18n import Msg

log = logging.getLogger(__name__)


NO_DETAIL = Msg.from_dict(None)  # the empty message: nothing more to say (Msg("") would be gettext's header)


@dataclass(frozen=True)
class DeviceStatus:
    ok: bool
    state: str  # "stopped", "ready", "no_device", "disconnected", "reconnecting", "fallback", "error", "garbage"
    detail: Msg = NO_DETAIL

    def text(self, language: str | None) -> str:
        """What the operator reads, in `language` (the screens call only this)."""
        return self.detail.text(language) if self.detail else self.state

    @property
    def en(self) -> str:
        """The English text (logs, technicians)."""
        return self.text("en")


STOPPED = DeviceStatus(False, "stopped", Msg("Device stopped"))


status = DeviceStatus  # the drivers' short name for a status; `CallbackSink.set_status` logs it when it changes


class CallbackSink:
    """Holds the callbacks a driver was started with; a callback raising never kills the device thread."""

    def __init__(self) -> None:
        self.on_value = None
        self.on_status = None
        self.current: DeviceStatus = STOPPED

    def value(self, v) -> None:
        if self.on_value is not None:
            try:
                self.on_value(v)
            except Exception:
                log.exception("device callback failed")

    def set_status(self, st: DeviceStatus) -> None:
        """The device's status; logged in English when it changes (operators see the message, technicians the log
        line). A serial scale or scanner left unplugged is retried every second with the same status: logged at each
        retry, that was a WARNING a second, 3,600 an hour, in the log and the journal."""
        if st == self.current:
            return
        self.current = st
        (log.info if st.ok or st.state == "stopped" else log.warning)("device %s: %s", st.state, st.en)  # a stop: no fault
        if self.on_status is not None:
            try:
                self.on_status(st)
            except Exception:
                log.exception("status callback failed")


class SerialDeviceThread:
    """start/stop/status for a serial device read by its own thread (scale, serial scanner).
    Subclasses set name, STOPPED, _sink, _stop, _thread, _ser and implement _run."""

    STOPPED: DeviceStatus

    def start(self, on_value, on_status) -> None:
        self._sink.on_value, self._sink.on_status = on_value, on_status
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=3)
        self._close()
        self._sink.set_status(self.STOPPED)

    def status(self) -> DeviceStatus:
        return self._sink.current

    def _close(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                ser.close()
            except Exception:
                pass
