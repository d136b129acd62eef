"""The station's local store: SQLite through SQLAlchemy 2, WAL journal, synchronous=FULL.

One `Store` per process. All writes go through `Store.write()` — one writer path guarded by a
lock — so the GUI, the outbox worker and the print spool never interleave half transactions. The
writer path keeps one connection for the store's life (writes never run side by side, so a pool
check-out, its reset ROLLBACK and check-in per write bought nothing but a tenth of a millisecond on
every scan); `Store.write_dbapi()` / `writer_dbapi()` are the same path on that connection's sqlite3 object,
for the event append. The WAL is checkpointed by the store's own thread (`WalCheckpointer`), not inside a
write. Readers use `Store.read()` (pooled); WAL lets them run while a write is in progress.
Migrations (Alembic) run in `open_store()` before anything else touches the file, so a station
upgraded in the field keeps the events it had queued. The whole upgrade is ONE SQLite transaction
(`BEGIN IMMEDIATE` ... `COMMIT`, DDL included): a station killed or powered off mid-migration finds
the file exactly as it was before, and the next start simply runs the upgrade again.
"""

from __future__ import annotations

import atexit
import errno
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool, QueuePool

from app import schema

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


# The station's disk: below this much free space the station check and the status bar say so, before a full disk
# stops every scan from being recorded (a million events take about 600 MB with their indexes).
LOW_DISK_MB = 500


def causes(exc: BaseException | None):
    """`exc`, then what it wraps or came from: SQLAlchemy's wrapper's `orig`, else its cause, else its context
    (each once)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__


# SQLite could not grow the -shm file it needs to open a WAL database at all ("disk I/O error"): what a full disk
# does to a station that stopped cleanly (its -shm deleted) and starts again; the start said "the database cannot be
# read (disk I/O error)", and a technician went looking for a damaged file. (sqlite3 has no name for it.)
SQLITE_IOERR_SHMSIZE = 4874


def disk_full(exc: BaseException | None) -> bool:
    """Did this write fail because the disk is full (SQLite's SQLITE_FULL or SQLITE_IOERR_SHMSIZE, or ENOSPC from the
    OS)? Looks through SQLAlchemy's wrapper (`orig`) and the exception's causes."""
    return any((isinstance(e, sqlite3.Error)
                and getattr(e, "sqlite_errorcode", None) in (sqlite3.SQLITE_FULL, SQLITE_IOERR_SHMSIZE))
               or (isinstance(e, OSError) and e.errno == errno.ENOSPC) for e in causes(exc))


# The errors of a write the disk refuses: a filesystem mounted read-only (ext4 switches itself to read-only after an
# I/O error, `errors=remount-ro`), a file or folder the station's user may not write.
_READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def read_only(exc: BaseException | None) -> bool:
    """Did this write fail because the database cannot be written (SQLite's SQLITE_READONLY and its extended codes,
    or EROFS/EACCES/EPERM from the OS, as `StoreNotWritable` says at the start)? Looks through wrappers and causes as
    `disk_full` does."""
    return any((isinstance(e, sqlite3.Error) and (getattr(e, "sqlite_errorcode", None) or 0) & 0xFF
                == sqlite3.SQLITE_READONLY) or (isinstance(e, OSError) and e.errno in _READ_ONLY_ERRNOS)
               for e in causes(exc))


class StoreNotWritable(PermissionError):
    """The station database, or the folder that holds it (where SQLite keeps its -wal and -shm files), cannot be
    written. SQLite opens such a file read-only without a word, and the first write failed later: the print spool's at
    the start, which took the window down (a kiosk restarting behind a blank screen), or else every scan 'NOT
    recorded'."""


def check_writable(path: Path) -> None:
    """Raise StoreNotWritable unless the database at `path` (or, not made yet, its folder) can be written. access(2),
    no write: it says EROFS on a read-only mount for every user, root included, and a file or folder this user may
    not write. (A full disk is not refused here: the station starts and says so at each write, until space is
    freed.)"""
    # and SQLite's -wal and -shm beside it: left by a command run as root (sudo packstation operators add) while the
    # station ran, they make the station's user open the database read-only
    beside = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
    for p in [path.parent, *(q for q in (path, *beside) if q.exists())]:
        if not os.access(p, os.W_OK):
            ro = _mounted_read_only(p)
            why = "the filesystem is mounted read-only" if ro else "this user may not write it"
            raise StoreNotWritable(errno.EROFS if ro else errno.EACCES, f"{p} cannot be written: {why}", str(p))


def _mounted_read_only(p: Path) -> bool:
    try:
        return bool(os.statvfs(p).f_flag & os.ST_RDONLY)
    except OSError:
        return False


# Below this much free space the disk counts as full: SQLite's log and pages have no room left to grow into.
DISK_FULL_MB = 20


def disk_nearly_full(free_mb: float | None) -> bool:
    """Is this free space below DISK_FULL_MB (the station records little or nothing more)?"""
    return free_mb is not None and free_mb < DISK_FULL_MB


def disk_low(free_mb: float | None) -> bool:
    """Is this free space (`free_disk_mb`) below LOW_DISK_MB? (Unknown free space is not low: it is said apart.)"""
    return free_mb is not None and free_mb < LOW_DISK_MB


def free_disk_mb(path: str | Path) -> float | None:
    """Free space (MB) on the filesystem holding `path` (its nearest existing parent); None when it cannot be read."""
    try:
        return shutil.disk_usage(_existing(path)).free / 2**20
    except OSError:
        return None


# Filesystems held in memory: a commit's fsync there costs nothing and the file is gone at the next restart.
RAM_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})


def filesystem_of(path: str | Path, mounts: str = "/proc/self/mounts") -> str | None:
    """The type of the filesystem holding `path` (its nearest existing parent), as the kernel names it ("ext4",
    "tmpfs", "overlay"): the mount point that is the longest prefix of the resolved path. None when the mount
    table cannot be read (not Linux)."""
    target = os.path.realpath(_existing(path))
    try:
        with open(mounts, encoding="utf-8", errors="replace") as f:
            table = [line.split() for line in f]
    except OSError:
        return None
    best, fs = -1, None
    for fields in table:
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")  # the table writes a space as \040
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= best:  # the later of two mounts on one point is the one in use
            best, fs = len(point), fields[2]
    return fs


def in_memory(path: str | Path) -> str | None:
    """The filesystem's name ("tmpfs") when `path` is held in memory, else None."""
    fs = filesystem_of(path)
    return fs if fs in RAM_FILESYSTEMS else None


def _existing(path: str | Path) -> Path:
    """`path`, or its nearest parent that exists (a data dir not made yet is on its parent's disk)."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")  # the event log must survive power loss
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    # Checkpoints are the WalCheckpointer's: a COMMIT runs one itself only past this backstop.
    cur.execute(f"PRAGMA wal_autocheckpoint={WalCheckpointer.BACKSTOP_PAGES}")
    cur.close()


def make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        poolclass=QueuePool,
        pool_size=4,
        max_overflow=8,
        connect_args={"check_same_thread": False, "timeout": 10},
    )
    event.listen(engine, "connect", _on_connect)
    return engine


class WalCheckpointer:
    """Copies the write-ahead log back into the database file on its own thread and connection, so that no
    write waits for it. SQLite's auto-checkpoint runs it inside whichever COMMIT takes the log past 1,000
    pages: with the events table's six B-trees that was one scan in about 140, on the GUI thread, for 1-4 ms
    on a good disk (the slowest scans of a 3,000-scan loop were those) and more on a slow one.

    Here the checkpoint runs after `AFTER_COMMITS` commits, or once the writes have paused for `IDLE_S`.
    It is PASSIVE: it neither waits for nor blocks a writer or a reader. SQLite starts the log over only when
    a write finds all of it copied, which writes without a pause never allow; such a log is restarted at
    `RESTART_PAGES`, holding this process's writers back for that moment. If this thread is gone, the
    store's connections still checkpoint themselves at `BACKSTOP_PAGES`. Checkpoints do not touch
    durability: a committed transaction is in the log, fsynced (synchronous=FULL), before its COMMIT returns.
    (`_commits` is counted without a lock: a count lost to a race only delays a checkpoint.)"""

    AFTER_COMMITS = 64
    IDLE_S = 2.0
    RESTART_PAGES = 4000
    BACKSTOP_PAGES = 10_000

    def __init__(self, path: Path, write_lock: threading.RLock) -> None:
        self.path = path
        self._write_lock = write_lock
        self.checkpoints = 0  # passive checkpoints run (for tests and logs)
        self.restarts = 0
        self._commits = 0
        self._last_commit = 0.0
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """A write committed (called by Store.write, on the writing thread: an increment, no I/O)."""
        self._commits += 1
        self._last_commit = time.monotonic()
        if self._commits >= self.AFTER_COMMITS:
            self._wake.set()

    def _due(self) -> bool:
        return self._commits >= self.AFTER_COMMITS or (
            self._commits > 0 and time.monotonic() - self._last_commit >= self.IDLE_S)

    def _run(self) -> None:
        con = None
        try:
            con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
            con.execute("PRAGMA busy_timeout=10000")
            while not self._stop:
                self._wake.wait(self.IDLE_S / 2)
                self._wake.clear()
                if self._stop or not self._due():
                    continue
                self._commits = 0
                try:
                    self.checkpoint(con)
                except sqlite3.Error as exc:  # busy or I/O: the next round tries again, the backstop remains
                    log.warning("WAL checkpoint failed: %s", exc)
        except Exception:
            log.exception("WAL checkpointer stopped; the store's connections checkpoint themselves from now on")
        finally:
            if con is not None:
                con.close()

    def checkpoint(self, con: sqlite3.Connection) -> None:
        _busy, pages, _copied = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.checkpoints += 1
        if pages >= self.RESTART_PAGES:
            # Under the store's write lock, so this process's writers wait on the lock (woken the moment it
            # is free) instead of sleeping in SQLite's busy handler (1 ms and up); without waiting, so a reader
            # or another process's write in progress leaves it a passive one, tried again next round.
            with self._write_lock:
                con.execute("PRAGMA busy_timeout=0")
                try:
                    busy = con.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()[0]
                finally:
                    con.execute("PRAGMA busy_timeout=10000")
            self.restarts += not busy

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=15)


class Store:
    def __init__(self, engine: Engine, path: Path, *, read_only: bool = False) -> None:
        self.engine = engine
        self.path = path
        self.read_only = read_only  # open_store_read_only: no writer, no checkpoints, nothing written to the file
        self._write_lock = threading.RLock()
        self.write_lock = self._write_lock  # (re-entrant) for a caller that must keep writes out across its COMMIT
        self.checkpointer = None if read_only else WalCheckpointer(path, self._write_lock)
        self._writer: Connection | None = None  # the writer path's connection, used under _write_lock
        self._dbapi: sqlite3.Connection | None = None  # its sqlite3 object (writer_dbapi), dropped with it
        self._after_commit: dict[Connection, list[Callable[[], None]]] = {}
        self._point_con: sqlite3.Connection | None = None  # point_read's, opened on first use
        self._point_lock = threading.Lock()
        self._session = False  # this process holds the session mark (begin_session)
        self.log_lost: dict | None = None  # what begin_session found lost at this start (KV_LOG_LOST), for the screen

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """The one writer path: a transaction committed when the block exits without error.
        Callbacks registered with `after_commit(conn, fn)` run once the COMMIT succeeded."""
        hooks: list[Callable[[], None]] = []
        with self._write_lock:
            conn = self._writer_connection()
            try:
                with conn.begin():
                    self._after_commit[conn] = hooks
                    try:
                        yield conn
                    finally:
                        del self._after_commit[conn]
            except BaseException:
                self._dbapi = None  # the failure may have invalidated the connection: writer_dbapi asks again
                raise
            self.checkpointer.committed()  # type: ignore[union-attr]  (a read-only store never gets here)
        for fn in hooks:
            try:
                fn()
            except Exception:  # a listener's bug must not undo a committed fact
                log.exception("after-commit callback failed")

    @contextmanager
    def write_dbapi(self, *, counted: bool = True) -> Iterator[sqlite3.Connection]:
        """The same writer path (lock, connection, COMMIT) without SQLAlchemy: the writer's own sqlite3
        connection, one transaction committed when the block exits without error, rolled back otherwise. It has
        no after-commit hooks. `counted=False`: the commit does not bring the next checkpoint nearer (a
        benchmark's reference commits, which are not the station's work). The event append, on the path of every
        scan, writes the same way without this block (`writer_dbapi`, `failed_dbapi`)."""
        with self._write_lock:
            dbapi = self.writer_dbapi()
            try:
                yield dbapi
                dbapi.commit()
            except BaseException as exc:
                self.failed_dbapi(dbapi, exc)
            if counted:
                self.checkpointer.committed()  # type: ignore[union-attr]

    def writer_dbapi(self) -> sqlite3.Connection:
        """The writer path's sqlite3 connection (call under the write lock; commit or `failed_dbapi` before
        letting go of it), kept between calls. The scan's event append writes on it directly: the way through
        SQLAlchemy's connection wrappers and a generator-based context manager was ~12 Python calls per scan,
        and after each fsync wait every call runs with cold caches (−14 us at the median of the scan in
        `verdict_p99_ms`'s loop, 2026-12-05). Dropped when the writer connection is re-opened or closed and when
        a write fails (SQLAlchemy may have invalidated the connection), so the next call goes through
        `_writer_connection()` again."""
        if self._after_commit:  # a write() block is open on this thread (the lock is ours): never commit it half
            self._writer_connection()  # raises, saying so
        con = self._dbapi
        if con is None:
            con = self._dbapi = self._writer_connection().connection.driver_connection
        return con

    def failed_dbapi(self, dbapi: sqlite3.Connection, exc: BaseException) -> NoReturn:
        """Roll back a failed write on `writer_dbapi()` and raise its error (a sqlite3 error as SQLAlchemy
        raises it on every other write)."""
        self._dbapi = None
        try:
            dbapi.rollback()
        except sqlite3.Error:
            log.exception("rollback after a failed write failed")
        if isinstance(exc, sqlite3.Error):
            raise DBAPIError.instance("COMMIT", (), exc, sqlite3.Error) from exc
        raise exc

    def _writer_connection(self) -> Connection:
        """The writer path's connection (call under the write lock), re-opened after it lost its link."""
        if self.read_only:
            raise StoreNotWritable(errno.EROFS, f"{self.path} was opened read-only (a look, not the station)",
                                   str(self.path))
        conn = self._writer
        if conn is None or conn.closed or conn.invalidated:  # first write, or the last one lost its link
            if conn is not None:
                conn.close()
            self._dbapi = None
            conn = self._writer = self.engine.connect()
        if conn in self._after_commit:
            raise RuntimeError("Store.write() inside Store.write() on the same thread: join the outer "
                               "transaction (pass its connection) instead")
        return conn

    def after_commit(self, conn: Connection, fn: Callable[[], None]) -> None:
        """Run fn after the `write()` transaction of `conn` committed (never if it rolls back)."""
        try:
            self._after_commit[conn].append(fn)
        except KeyError:
            raise ValueError("not a connection of an open Store.write() transaction") from None

    def holds_write(self, conn: Connection) -> bool:
        return conn in self._after_commit

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def point_read(self, sql: str, params: tuple = ()) -> tuple | None:
        """One row by an indexed key, on the store's one plain read-only sqlite3 connection, kept open: a few
        microseconds instead of the ~90 of a pool check-out, BEGIN and COMMIT — for look-ups on the scan path (is this
        unknown code an order's barcode, or someone's badge?). Shared by the threads that ask, one read at a time:
        a thread of a pool that comes and goes (the print worker's packer lookup runs on one) leaves no connection
        behind, where one per thread kept a connection for every thread that ever asked. Autocommit: each SELECT
        sees the latest committed data (WAL). A key that is no text SQLite can hold (a lone surrogate from a broken
        decoder: sqlite3 raises UnicodeEncodeError binding it) matches no row: None. The login screen said "Not done:
        UnicodeEncodeError: 'utf-8' codec can't encode …" to the packer for such a scan (the badge look-up), and each
        one at work logged a traceback (the badge and the order look-ups)."""
        if any(type(p) is str and not p.isascii() and not _encodes(p) for p in params):
            return None
        with self._point_lock:
            con = self._point_con
            if con is None:
                con = (_read_only(self.path, 10) if self.read_only else
                       sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10))
                con.execute("PRAGMA query_only = ON")
                self._point_con = con
            return con.execute(sql, params).fetchone()

    # -- key/value station facts -------------------------------------------------------------
    def get_kv(self, key: str, default: Any = None) -> Any:
        with self.read() as c:
            row = c.execute(select(schema.kv.c.value).where(schema.kv.c.key == key)).first()
        return json.loads(row[0]) if row else default

    def set_kv(self, key: str, value: Any, conn: Connection | None = None) -> None:
        from sqlalchemy.dialects.sqlite import insert

        stmt = insert(schema.kv).values(key=key, value=json.dumps(value), updated_at_ms=now_ms())
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"], set_={"value": stmt.excluded.value, "updated_at_ms": stmt.excluded.updated_at_ms}
        )
        if conn is not None:
            conn.execute(stmt)
        else:
            with self.write() as c:
                c.execute(stmt)

    # -- the session marker: was the last process's write-ahead log deleted? ---------------------------------------
    def begin_session(self, log_there: bool) -> None:
        """Mark the database open by this process, after checking the last mark: a process that did not close it and
        whose log (`-wal`) is gone lost what it committed after the last checkpoint (a technician "cleaning up" a
        stopped station's folder, a backup of the file alone, a file copied from a running station). That is said
        in the log, CRITICAL, and kept (`KV_LOG_LOST`) for `packstation doctor`; the station goes on with what the
        file holds — nothing can bring a deleted log back. `log_there`: the log existed before this process opened
        the file. The mark is checkpointed into the file itself. A process opening the file while another one has
        it open (a command beside the running station) leaves that one's mark alone. Never stops a start: a mark
        that cannot be written (a full disk) is only logged."""
        self._session = False
        try:
            with self.read() as c:
                con = c.connection.driver_connection
                prev = session_marker(con)
                seq, ts = last_event(con)
            if log_lost(prev, log_there):
                lost = {"detected_ms": now_ms(), "since_ms": prev.get("since_ms"), "pid": prev.get("pid"),
                        "last_seq": seq, "last_event_ms": ts}
                log.critical("%s: the station was not closed properly (process %s) and its write-ahead log %s is "
                             "gone: every event it recorded after the last one in the database (#%s, %s UTC) and "
                             "had not sent to the OMS is lost; never delete the database's -wal and -shm files",
                             self.path, prev.get("pid"), wal_path(self.path).name, seq, utc_text(ts))
                self.set_kv(KV_LOG_LOST, lost)
                self.log_lost = lost
            elif prev and prev.get("open") and _alive(prev):
                return  # the station (or another command) has it open now: its mark stays
            self.set_kv(KV_SESSION, {"open": True, "pid": os.getpid(), "process": _process_mark(os.getpid()),
                                     "since_ms": now_ms()})
            self._session = True
            # a process that ends without closing the store (a command returning, an exception) still closes its
            # connections at exit, and the last one copies the log into the file and deletes it: its mark must say
            # closed by then, or the next start reads "log deleted" (`packstation operators list` did that)
            atexit.register(self._end_session)
            # into the file now, so that the mark is not only in the log it watches (the checkpointer's round comes
            # after 2 s idle: a run that died sooner, its log then deleted, went unseen); a clean start's log holds
            # just the mark, a crashed run's at most the checkpointer's few MB, once
            with self._write_lock:
                self.writer_dbapi().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except (DBAPIError, sqlite3.Error) as exc:
            log.warning("%s: the store's session mark could not be read or written: %s", self.path, exc)

    def _end_session(self) -> None:
        """Mark the database closed by this process (if it holds the mark)."""
        if not getattr(self, "_session", False):
            return
        self._session = False
        atexit.unregister(self._end_session)
        try:
            with self.read() as c:
                mark = session_marker(c.connection.driver_connection)
            if mark and mark.get("pid") == os.getpid():
                self.set_kv(KV_SESSION, {"open": False, "pid": os.getpid(), "closed_ms": now_ms()})
        except Exception as exc:  # best effort, at exit too: a close never fails for its mark
            log.warning("%s: the store's session mark could not be written at close: %s", self.path, exc)

    def close(self) -> None:
        self._end_session()
        if self.checkpointer is not None:
            self.checkpointer.close()
        with self._point_lock:
            if self._point_con is not None:
                self._point_con.close()
                self._point_con = None
        with self._write_lock:
            self._dbapi = None
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self.engine.dispose()


def current_revision(path: Path, *, starting: bool = False) -> str | None:
    """The file's schema revision, read without writing: a read-write connection closing last copies the log into
    the file and deletes it (`packstation doctor` before a crashed station's restart took its -wal away, and with it
    the sign that the log is there: see `Store.begin_session`). `starting` (`open_store`, which writes next anyway):
    a file a read-only connection cannot read is read by a writer — a station killed inside a migration leaves a hot
    rollback journal that only a writer rolls back ("attempt to write a readonly database": the station did not
    start again)."""
    if not path.exists():
        return None
    try:
        con = _read_only(path)
    except sqlite3.OperationalError:
        if not starting:
            raise
        con = sqlite3.connect(path, timeout=10)
    try:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # a new file, or one from before the migrations
            return None
        raise  # a file that cannot be read (a full disk, I/O) is not one without a schema: the migration said so
    finally:
        con.close()


def _read_only(path: Path, timeout: float = 5.0) -> sqlite3.Connection:
    """A connection that cannot write the file, nor checkpoint or delete its log when it closes. On a filesystem
    mounted read-only (ext4 after a disk fault: the moment to copy the database off it) SQLite cannot make the -shm
    a WAL database needs ("unable to open database file"); there, a file with no log beside it is opened immutable
    (nothing can change it), so that doctor, sync-status and backup still read it."""
    con = sqlite3.connect(_read_only_uri(path), uri=True, timeout=timeout, check_same_thread=False)
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        con.close()
        if not (_mounted_read_only(path.parent) and not log_present(path)):
            raise
        return sqlite3.connect(_read_only_uri(path) + "&immutable=1", uri=True, timeout=timeout,
                               check_same_thread=False)
    return con


def read_only_connection(path: Path, timeout: float = 5.0) -> sqlite3.Connection:
    """`_read_only` for the doctor: the database's own look, never a write."""
    return _read_only(path, timeout)


def _read_only_uri(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"


class StoreNotReadable(RuntimeError):
    """A read-only look (`packstation sync-status`) cannot read the station's database as it is: none yet, or one
    whose schema this release does not read without migrating it (which a look must not do)."""


def open_store_read_only(path: str | Path) -> Store:
    """The station's database for a look that changes nothing: no migration, no session mark, no checkpoint, no
    write (SQLite's read-only mode and query_only). It reads beside a running station (WAL): the station's last
    commits included. A file at another schema than this release's is refused with what to do (a station not started
    since an upgrade, or made by a newer release)."""
    path = Path(path)
    if not path.exists():
        raise StoreNotReadable(f"there is no station database at {path} yet (the station makes it at its first start)")
    try:
        rev = current_revision(path)
    except sqlite3.Error as exc:
        why = "the disk is full" if disk_full(exc) else str(exc)
        raise StoreNotReadable(f"{path} cannot be read ({why}): run packstation doctor") from exc
    if rev != schema.SCHEMA_HEAD:
        if rev is not None and not known_revision(rev):
            raise StoreFromNewerRelease(path, rev)
        raise StoreNotReadable(f"{path} is at schema {rev or '(none)'}, this release reads {schema.SCHEMA_HEAD}: start "
                               "the station once (it upgrades the database), then look again")
    engine = create_engine("sqlite+pysqlite://", poolclass=NullPool, creator=lambda: _read_only(path, 10))

    @event.listens_for(engine, "connect")
    def _look_only(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA query_only=ON")
        dbapi_conn.execute("PRAGMA busy_timeout=10000")

    return Store(engine, path, read_only=True)


def _process_mark(pid: int) -> str | None:
    """Which process `pid` is, beyond its number: this boot's id and the process's start time (Linux's /proc), so
    that a number used again by another process after a reboot or a crash is not taken for it. None where it
    cannot be read."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            started = f.read().rsplit(")", 1)[1].split()[19]  # field 22, after the name in brackets
    except (OSError, IndexError):
        return None
    return f"{boot}/{started}"


def _alive(marker: dict) -> bool:
    """Is the process that wrote this session mark still running (another one than this process)?"""
    pid = marker.get("pid")
    if not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: it exists
        pass
    said, now = marker.get("process"), _process_mark(pid)
    return said is None or now is None or said == now


def utc_text(ms: Any) -> str:
    """A stored UTC time in milliseconds as text ("-" for none)."""
    if not isinstance(ms, int | float):
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000))


def _encodes(text: str) -> bool:
    """Can `text` be stored (UTF-8)? Not with a lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def wal_path(path: Path) -> Path:
    """SQLite's write-ahead log beside the database: the transactions committed since the last checkpoint."""
    return path.with_name(path.name + "-wal")


def log_present(path: Path) -> bool:
    """Is there a write-ahead log beside the database with anything in it? (A read-only connection makes an empty
    one where there was none: `packstation doctor` before a start did, and the next start took it for the log.)"""
    try:
        return wal_path(path).stat().st_size > 0
    except OSError:
        return False


# The store's session marker (kv): {"open": true, "pid", "since_ms"} while a process has the database open, `"open":
# false` once it closed it. Written and checkpointed into the database file itself, so that it cannot be deleted
# apart from the file.
KV_SESSION = "store_session"
# What a start found when the last session's log was missing (kept: `packstation doctor` says it after the start too).
KV_LOG_LOST = "store_log_lost"


def last_event(con: sqlite3.Connection) -> tuple[int | None, int | None]:
    """(seq, ts_utc_ms) of the newest event in the database, (None, None) without one."""
    try:
        row = con.execute("SELECT seq, ts_utc_ms FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.Error:
        return None, None
    return (row[0], row[1]) if row else (None, None)


def session_marker(con: sqlite3.Connection, key: str = KV_SESSION) -> dict | None:
    """The stored session marker (or another kv fact) as a dict, None when there is none or it does not read."""
    try:
        row = con.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        value = json.loads(row[0]) if row else None
    except (sqlite3.Error, ValueError):
        return None
    return value if isinstance(value, dict) else None


def log_lost(marker: dict | None, log_there: bool) -> bool:
    """Was the database left open by a process that did not close it (a crash, a kill, a power cut) and is its
    write-ahead log gone since? Then every transaction that process committed after the last checkpoint is gone
    with it: SQLite opens the file as of that checkpoint without a word. (A log copied in by another program
    before it was deleted reads the same; the message says what the file still holds, so it can be compared.)"""
    return bool(marker and marker.get("open")) and not log_there


class BackupFailed(RuntimeError):
    """A backup could not be made (no database, the destination not writable, a full disk, a damaged source); the
    message says which, in a technician's words. Nothing is left at the destination."""


def backup(path: Path, dest: Path) -> dict[str, Any]:
    """A consistent copy of the station's database at `path` into the new file `dest`, beside the running station
    too: SQLite's backup API on a read-only connection reads one snapshot — the -wal's commits included — where
    `cp station.sqlite3*` of a running station copies the file and its log at two different moments. The copy is
    checked (quick_check) and its session mark set closed: a copy of a running station's file says "open" and has no
    log beside it, and restored it would read as a station whose log was deleted (`log_lost`). Returns what it holds
    (events, of them waiting for the OMS, the newest, size); raises BackupFailed."""
    path, dest = Path(path), Path(dest)
    if not path.exists():
        raise BackupFailed(f"there is no station database at {path}")
    if dest.exists():
        raise BackupFailed(f"{dest} exists already: name a new file (a backup never overwrites one)")
    made = False
    try:
        src = _read_only(path, 30)
        try:
            out = sqlite3.connect(dest)
            made = True
            try:
                src.backup(out)  # one step: one read snapshot of the source
                problems = [r[0] for r in out.execute("PRAGMA quick_check(5)").fetchall()]
                if problems != ["ok"]:
                    raise BackupFailed(f"{path} is damaged ({' '.join(' '.join(problems).split())[:300]}): no backup "
                                       "made; copy its files by hand (docs/deploy.md, Repair)")
                out.execute("UPDATE kv SET value = ? WHERE key = ?",
                            (json.dumps({"open": False, "backup_ms": now_ms()}), KV_SESSION))
                out.commit()
                seq, ts = last_event(out)
                events, pending = out.execute("SELECT count(*), coalesce(sum(sync_state = 'pending'), 0) "
                                              "FROM events").fetchone()
                out.execute("PRAGMA journal_mode=DELETE")  # one file, whole: no -wal beside the copy
            finally:
                out.close()
        finally:
            src.close()
    except BackupFailed:
        _remove_partial(dest, made)
        raise
    except (sqlite3.Error, OSError) as exc:
        _remove_partial(dest, made)
        why = ("the disk is full" if disk_full(exc) else "it cannot be written" if read_only(exc) else str(exc))
        raise BackupFailed(f"no backup made at {dest}: {why}") from exc
    return {"file": str(dest), "events": events, "pending": pending, "last_seq": seq, "last_event_utc": utc_text(ts),
            "bytes": dest.stat().st_size}


def _remove_partial(dest: Path, made: bool) -> None:
    if made:
        for p in (dest, wal_path(dest), dest.with_name(dest.name + "-journal")):
            try:
                p.unlink()
            except OSError:
                pass


def migration_engine(url: str) -> Engine:
    """An engine whose transactions really contain DDL. Python's sqlite3 (3.11) commits implicitly
    before CREATE/DROP/ALTER; with its own transaction handling off and an explicit `BEGIN IMMEDIATE`
    (the write lock up front: a second process starting at the same moment waits, then finds the
    schema current) every statement of the upgrade, and the alembic_version row, commit together."""
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _no_implicit_tx(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA busy_timeout=30000")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# Tables a half-built schema can hold: a station migrated by a release without atomic migrations and
# killed during its first start has some of these and no alembic_version row.
_INITIAL_TABLES = ("events", "operators", "products", "picklists", "images", "print_jobs", "kv")


def _clear_half_built_schema(conn: Connection) -> None:
    """A file without alembic_version but with some of our tables was left by an interrupted first
    start of an older release: if those tables are empty, drop them so the upgrade runs from scratch.
    Data in them is never dropped: that is a file we do not understand, and the start stops."""
    names = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
    if "alembic_version" in names:
        if conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar():
            return
    found = [t for t in _INITIAL_TABLES if t in names]
    if not found:
        return
    full = [t for t in found if conn.exec_driver_sql(f'SELECT 1 FROM "{t}" LIMIT 1').first() is not None]
    if full:
        raise RuntimeError(f"{conn.engine.url.database}: tables {', '.join(full)} hold data but the file has no "
                           "schema version; not touching it (restore the station database from a backup)")
    log.warning("dropping a half-built schema left by an interrupted first start: %s", ", ".join(found))
    for t in found:
        conn.exec_driver_sql(f'DROP TABLE "{t}"')


# The page size of a new station database. Every commit writes each page it changed to the log, and a scan event
# changes six B-trees (the events table and its five indexes), each page a log frame. With 1 KiB pages a scan's
# commit writes ~7.6 KB before its fsync instead of ~22 KB (tests/test_store.py), where a small row's raw commit
# writes one frame either way. Measured (`verdict_p99_ms()` in alternating fresh processes, 16 runs each, 2026-12-06
# 01:00-01:10 UTC): the scan's p99 over the raw commit's 1.67-2.05 (mean 1.91) with 4 KiB pages, 1.43-1.92 (mean
# 1.65) with 1 KiB; the scan's p50 0.59-1.02 -> 0.50-0.69 ms. The price is disk: a scan event's row fills half a
# page or more, so the events table and its indexes take ~980 bytes an event instead of ~690. A station database made
# before keeps its page size (changing it takes a VACUUM of the whole file, not something to do at a start-up).
PAGE_SIZE = 1024


def _new_database(path: Path) -> None:
    """An empty database file with this release's page size, in WAL mode (the page size is fixed from then on)."""
    con = sqlite3.connect(path)
    try:
        con.execute(f"PRAGMA page_size={PAGE_SIZE}")
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()


def migrate(path: Path) -> None:
    """Bring the database at `path` to the newest schema with Alembic, all in one transaction. A new file is made
    with PAGE_SIZE first."""
    if not path.exists() or path.stat().st_size == 0:
        _new_database(path)
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", f"sqlite+pysqlite:///{path}")
    cfg.attributes["configure_logger"] = False
    engine = migration_engine(f"sqlite+pysqlite:///{path}")
    try:
        with engine.begin() as conn:
            _clear_half_built_schema(conn)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()


def upgrade_to(path: Path, revision: str) -> None:
    """Upgrade to a given revision (tests of upgrades from older releases)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["configure_logger"] = False
    engine = migration_engine(f"sqlite+pysqlite:///{path}")
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


class StoreFromNewerRelease(RuntimeError):
    """The database's schema was made by a newer release than this one (a station rolled back after an upgrade):
    Alembic said only "Can't locate revision identified by '0005_…'", and doctor that the database opens."""

    def __init__(self, path: Path, revision: str) -> None:
        super().__init__(f"{path} was made by a newer release of packstation (schema {revision}; this release knows "
                         f"up to {schema.SCHEMA_HEAD}): start that release again, or restore a backup; do not delete "
                         "the file")
        self.path, self.revision = path, revision


def known_revision(revision: str) -> bool:
    """Is this schema revision one of this release's migrations (`versions/<revision>.py`)?"""
    return revision == schema.SCHEMA_HEAD or (MIGRATIONS_DIR / "versions" / f"{revision}.py").is_file()


def open_store(path: str | Path) -> Store:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    check_writable(path)
    # before anything opens the file: the last connection to close copies a log into the file and deletes it
    log_there = log_present(path)
    rev = current_revision(path, starting=True)
    if rev is not None and not known_revision(rev):
        raise StoreFromNewerRelease(path, rev)
    if rev != schema.SCHEMA_HEAD:
        log.info("migrating %s from %s to %s", path, rev, schema.SCHEMA_HEAD)
        migrate(path)
    store = Store(make_engine(path), path)
    store.begin_session(log_there)
    return store
