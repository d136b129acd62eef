"""One way to run work off the GUI thread: a small task runner over QThreadPool whose success and
failure callbacks land back on the GUI thread (the pattern of Anki's taskman and Picard's thread pools).

Results cross threads through a queue.Queue, not as Python objects inside queued signals: the worker
only emits an argument-less `ready` signal, and the GUI thread drains the queue. That keeps every
Python object's lifetime on the Python side, away from PySide's cross-thread argument wrapping."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class MainThreadQueue(QObject):
    """Call functions on the GUI thread from any thread: post(fn, *args)."""

    ready = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._q: queue.SimpleQueue = queue.SimpleQueue()
        self.ready.connect(self.drain)

    def post(self, fn: Callable, *args: Any) -> None:
        self._q.put((fn, args))
        self.ready.emit()  # queued to the GUI thread when emitted elsewhere

    @Slot()
    def drain(self) -> None:
        while True:
            try:
                fn, args = self._q.get_nowait()
            except queue.Empty:
                return
            try:
                fn(*args)
            except Exception:
                log.exception("GUI callback failed")
                raise


class TaskRunner(QObject):
    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._main = MainThreadQueue(self)  # lives on the GUI thread
        self._pending = 0
        self._lock = threading.Lock()

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[Exception], None] | None = None) -> None:
        """Run fn on a worker; on_done(result) on the GUI thread. Without on_error, a failure is handed to
        on_done as the exception object, so no failure is ever dropped silently."""
        on_error = on_error or on_done

        def job() -> None:
            try:
                result, cb = fn(), on_done
            except Exception as exc:  # reported to the GUI thread, never lost
                if _expected(exc):  # the OMS or a device is offline: one line, no traceback
                    log.warning("background task: %s", exc)
                else:
                    log.exception("background task failed")
                result, cb = exc, on_error
            if cb is not None:
                self._main.post(cb, result)

        self.pool.start(job)

    def wait(self, ms: int = 10000) -> bool:
        return self.pool.waitForDone(ms)


def _expected(exc: BaseException) -> bool:
    """Failures a station meets every day (OMS unreachable, printer offline): not bugs."""
    from hardware.printing.connections import PrintError
    from sync.client import OmsUnavailable

    return isinstance(exc, OmsUnavailable | PrintError | ConnectionError | TimeoutError)
