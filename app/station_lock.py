"""One station process per data folder.

A second `packstation run` (a double-click on the kiosk's launcher while the unit runs, or the unit started by hand
beside a station started from a terminal) opened the same database and ran a second window, outbox, print spool and
device set on it: each process caches the next event sequence number, so the first one's next scan collided with the
second's ("NOT recorded: the station could not save this scan", UNIQUE constraint failed: events.seq), the two
windows showed different counts for the same order, and both spools could print the same label. The station holds
an exclusive `flock` on `<data_dir>/station.lock` for its whole life; the kernel lets go of it when the process ends,
however it ends (a SIGKILL or a power cut leaves no stale lock to clear by hand), and on the data folder itself (the
lock file deleted under a running station no longer lets a second one in). The commands that only read or
send (`sync-status`, `report`, `doctor`) do not take it.
"""

from __future__ import annotations

import fcntl
import io
import logging
import os
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

LOCK_NAME = "station.lock"


class StationAlreadyRunning(RuntimeError):
    """Another process holds the data folder: this one must not open its database."""

    def __init__(self, path: Path, pid: int | None) -> None:
        self.path, self.pid = path, pid
        super().__init__(f"another packstation process (pid {pid if pid else '?'}) is already running on "
                         f"{path.parent}: this one does not start")


class _Held(io.FileIO):
    """The lock file, held open, and the data folder's own descriptor, locked too, let go together."""

    folder_fd = -1

    def close(self) -> None:
        fd, self.folder_fd = self.folder_fd, -1
        try:
            if fd >= 0:
                os.close(fd)
        finally:
            super().close()


def _lock_folder(folder: Path, lock_path: Path) -> int:
    """flock the data folder itself (a directory's descriptor: never the database file, whose POSIX locks SQLite
    holds and any close of another descriptor of it would drop). The lock file alone was no lock once deleted: a
    technician "cleaning up" station.lock under a running station let a second one start on the same database (its
    scans collided on the event sequence). Returns the descriptor to keep open; -1 where folders cannot be locked."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        log.warning("cannot open %s to lock it (%s)", folder, exc.strerror or exc)
        return -1
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        try:
            text = lock_path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:  # deleted under the station that holds the folder
            text = ""
        raise StationAlreadyRunning(lock_path, int(text) if text.isdigit() else None) from None
    except OSError as exc:
        os.close(fd)
        log.warning("cannot lock %s (%s)", folder, exc.strerror or exc)
        return -1
    return fd


def hold_data_dir(data_dir: str | Path) -> IO[bytes] | None:
    """Take the data folder for this process; keep the returned file open as long as the station runs (closing it,
    or the process ending, lets go). Raises StationAlreadyRunning when another process holds it. A folder this user
    cannot create or write returns None: opening the database then says why (read-only, disk full) where every other
    cause of a failed start is said."""
    path = Path(data_dir) / LOCK_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("cannot take %s (%s); the database's own checks decide", path, exc.strerror or exc)
        return None
    folder_fd = _lock_folder(path.parent, path)
    try:
        # held open for the process's life; unbuffered, so that a full disk cannot fail its close at the end
        f = _Held(os.open(path, os.O_RDWR | os.O_CREAT, 0o644), "r+")
    except OSError as exc:
        if folder_fd >= 0:
            os.close(folder_fd)
        log.warning("cannot take %s (%s); the database's own checks decide", path, exc.strerror or exc)
        return None
    f.folder_fd = folder_fd
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        text = os.pread(f.fileno(), 32, 0).decode("ascii", "replace").strip()
        f.close()
        raise StationAlreadyRunning(path, int(text) if text.isdigit() else None) from None
    except OSError as exc:  # a filesystem without locks (some network mounts): run as before, said in the log
        log.warning("cannot lock %s (%s): a second station process on this folder would not be stopped",
                    path, exc.strerror or exc)
        return f
    try:  # whose it is, for the second process's message (the lock itself is the flock, not this text)
        os.ftruncate(f.fileno(), 0)
        os.pwrite(f.fileno(), f"{os.getpid()}\n".encode("ascii"), 0)
    except OSError:  # a full disk: the lock holds all the same, the message says process ?
        pass
    return f
