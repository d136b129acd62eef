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
            fh = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                      encoding="utf-8")
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
