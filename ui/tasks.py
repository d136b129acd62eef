"""One way to run work off the GUI thread: a small task runner over QThreadPool whose success and
failure callbacks land back on the GUI thread (the pattern of Anki's taskman and Picard's thread pools)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object, object, object, object)  # job, callback, result, error


class _Job(QRunnable):
    def __init__(self, fn, relay: _Relay, on_done, on_error) -> None:
        super().__init__()
        self.fn, self.relay, self.on_done, self.on_error = fn, relay, on_done, on_error

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # reported to the GUI thread, never lost
            log.exception("background task failed")
            self.relay.done.emit(self, self.on_error, None, exc)
            return
        self.relay.done.emit(self, self.on_done, result, None)


class TaskRunner(QObject):
    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._relay = _Relay(self)  # lives on the GUI thread: its queued signal lands there
        self._relay.done.connect(self._deliver)
        # Python owns every job until its result is delivered: a Python-subclassed QRunnable that Qt
        # auto-deletes after run() can leave a dangling wrapper for the garbage collector to crash on.
        self._jobs: set[_Job] = set()

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[Exception], None] | None = None) -> None:
        """Run fn on a worker; on_done(result) on the GUI thread. Without on_error, a failure is handed to
        on_done as the exception object, so no failure is ever dropped silently."""
        job = _Job(fn, self._relay, on_done, on_error or on_done)
        job.setAutoDelete(False)
        self._jobs.add(job)
        self.pool.start(job)

    @Slot(object, object, object, object)
    def _deliver(self, job, callback, result, error) -> None:
        self._jobs.discard(job)
        if callback is None:
            return
        callback(error if error is not None else result)

    def wait(self, ms: int = 10000) -> bool:
        return self.pool.waitForDone(ms)
