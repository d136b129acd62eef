"""Logging for every command: a rotating log in the platform log directory, one line per event in
words a technician can read, plus warnings on stderr (everything with -v). Never logs PINs or tokens.

Where: `$PACKSTATION_LOG_DIR`, else the platform's user log dir (Linux: ~/.local/state/packstation/log).
The file `packstation.log` rotates at 5 MB and keeps 5 old files (packstation.log.1 ... .5).
A line reads: `2026-12-02 17:47:03 +0800 WARNING  printing.spool: label printer out of paper: load paper`.
Tracebacks go to the file only; stderr gets the one-line message.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "packstation"
LOG_DIR_ENV = "PACKSTATION_LOG_DIR"
LOG_NAME = "packstation.log"
MAX_BYTES = 5_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"
DATEFMT = "%Y-%m-%d %H:%M:%S %z"
_DEFAULT = object()
# `log.error(..., extra=FILE_ONLY)`: for the log file only, when the command prints its own one-line message
FILE_ONLY = {"file_only": True}


class OneLine(logging.Formatter):
    """No traceback, no stack: the message and, for an exception, its type and text on the same line."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            e = record.exc_info[1]
            line += f" ({type(e).__name__}: {e})"
        return line


class StationLogFile(logging.handlers.RotatingFileHandler):
    """The rotating log file, which says once that it cannot be written. On a full disk (the log beside the station's
    data) every line failed and logging printed "--- Logging error ---" with two tracebacks to stderr for each: 971 of
    them in a minute of scanning, the journal flooded and each scan paying for the stack's formatting. Now one line
    on stderr when the file stops taking lines and one when it takes them again; the lines between are lost (the
    disk has no room for them)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.failing: str | None = None  # why the file stopped taking lines, until one is written again
        self.lost = 0
        self._wrote = True

    def emit(self, record: logging.LogRecord) -> None:  # (called under the handler's lock)
        self._wrote = True
        super().emit(record)  # a failure comes back through handleError
        if self.failing is not None and self._wrote:
            sys.stderr.write(f"packstation: the log {self.baseFilename} takes lines again ({self.lost} lost: "
                             f"{self.failing})\n")
            self.failing, self.lost = None, 0

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's API)
        self._wrote = False
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)  # a bad format string: logging's own report, with the stack
            return
        self.lost += 1
        if self.failing is None:
            self.failing = exc.strerror or str(exc)
            sys.stderr.write(f"packstation: cannot write the log {self.baseFilename} ({self.failing}); its lines are "
                             "lost until it can\n")


def default_log_dir() -> Path:
    env = os.environ.get(LOG_DIR_ENV)
    return Path(env) if env else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def current_log_file() -> Path | None:
    """The file this process logs into (None: stderr only, or logging not set up yet)."""
    return getattr(logging.getLogger(), "_packstation_logfile", None)


def setup_logging(log_dir: Path | None | object = _DEFAULT, verbose: bool = False) -> Path | None:
    """Configure the root logger once per process; returns the log file (None when already configured
    or when `log_dir` is None: stderr only). A log dir that cannot be written leaves stderr only."""
    root = logging.getLogger()
    if getattr(root, "_packstation_configured", False):
        if verbose:
            root.setLevel(logging.DEBUG)
            for h in root.handlers:
                if getattr(h, "_packstation_stderr", False):
                    h.setLevel(logging.DEBUG)
        return getattr(root, "_packstation_logfile", None)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    err = logging.StreamHandler()
    err.setLevel(logging.DEBUG if verbose else logging.WARNING)
    err.setFormatter(logging.Formatter(FORMAT, DATEFMT) if verbose else OneLine())
    err.addFilter(lambda r: not getattr(r, "file_only", False))
    err._packstation_stderr = True  # type: ignore[attr-defined]
    root.addHandler(err)
    path = None
    if log_dir is not None:
        d = default_log_dir() if log_dir is _DEFAULT else Path(log_dir)  # type: ignore[arg-type]
        try:
            d.mkdir(parents=True, exist_ok=True)
            path = d / LOG_NAME
            fh = StationLogFile(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
        except OSError as exc:
            logging.getLogger(__name__).warning("cannot write the log in %s (%s); logging to stderr only",
                                                d, exc.strerror or exc)
            path = None
        else:
            fh.setFormatter(logging.Formatter(FORMAT, DATEFMT))
            root.addHandler(fh)
    for noisy in ("urllib3", "PIL", "asyncio", "multipart", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root._packstation_configured = True  # type: ignore[attr-defined]
    root._packstation_logfile = path  # type: ignore[attr-defined]
    return path
