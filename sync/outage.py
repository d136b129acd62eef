"""What the sync workers say in the log while the OMS cannot be reached: the first failure of an outage, a reminder
now and then, and the end of it — not one warning per attempt.

The outbox retries every few seconds while events wait (`sync.service.OUTBOX_RETRY_MAX_S`: a station must drain
within seconds of the network's return) and the pull every few seconds to minutes; each failed attempt was a
WARNING line in the log file and on stderr (the journal), some 1,700 an hour in the demo with the network cut
(2026-12-06). A two-hour outage buried the lines a technician looks for (a printer fault, a rejected event) under
thousands of identical ones. Now, per worker:

* the first failure of a streak: WARNING, with its error;
* the same error again: DEBUG (`packstation -v` shows every attempt), and a WARNING reminder every REMIND_S with
  how long it has lasted and how many attempts failed;
* another error during the streak (the network came back but the OMS answers 503): WARNING at once;
* the first success after a streak: INFO, with how long it lasted and how many attempts failed.
"""

from __future__ import annotations

import logging
import threading
import time

REMIND_S = 600.0  # a still-failing worker says so again every ten minutes


def _took(seconds: float) -> str:
    s = int(seconds)
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


class OutageLog:
    """One worker's failures, said once per streak (see the module). `clock`: monotonic seconds (tests)."""

    def __init__(self, log: logging.Logger, worker: str, clock=time.monotonic, remind_s: float = REMIND_S) -> None:
        self.log, self.worker, self.clock, self.remind_s = log, worker, clock, remind_s
        self._lock = threading.Lock()
        self._since: float | None = None  # the streak's first failure
        self._said_at = 0.0  # when the streak was last said at WARNING
        self._error = ""
        self._failures = 0

    def failed(self, error: object) -> None:
        msg = str(error)
        now = self.clock()
        with self._lock:
            self._failures += 1
            if self._since is None:
                self._since, self._said_at, self._error = now, now, msg
                level, text = logging.WARNING, f"{self.worker}: {msg}"
            elif msg != self._error:
                self._said_at, self._error = now, msg
                level, text = logging.WARNING, f"{self.worker}: {msg} (failing for {_took(now - self._since)})"
            elif now - self._said_at >= self.remind_s:
                self._said_at = now
                level, text = logging.WARNING, (f"{self.worker}: still failing after {_took(now - self._since)}, "
                                                f"{self._failures} attempts: {msg}")
            else:
                level, text = logging.DEBUG, f"{self.worker}: {msg} (attempt {self._failures} of this outage)"
        self.log.log(level, text)

    def ok(self) -> None:
        with self._lock:
            if self._since is None:
                return
            took, n = self.clock() - self._since, self._failures
            self._since, self._error, self._failures = None, "", 0
        self.log.info("%s: working again after %s (%d failed attempts)", self.worker, _took(took), n)
