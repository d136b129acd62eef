"""The local store: migrations match the declared schema, durability pragmas are on."""

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import schema
from app.store import MIGRATIONS_DIR, current_revision, open_store


def test_migrations_produce_exactly_the_declared_schema(store):
    with store.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c), schema.metadata)
    assert diff == []


def test_schema_head_constant_is_alembics_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_current_head() == schema.SCHEMA_HEAD


def test_migrating_a_new_store_logs_one_line_per_migration(tmp_path, caplog):
    """Alembic logs each migration's first paragraph: a line-oriented log (the file, the journal) reads one line."""
    import logging

    with caplog.at_level(logging.INFO):
        open_store(tmp_path / "s.sqlite3").close()
    said = [r.getMessage() for r in caplog.records if r.name.startswith("alembic") and "Running upgrade" in
            r.getMessage()]
    assert len(said) == len(list(MIGRATIONS_DIR.glob("versions/0*.py"))), said
    assert not [m for m in said if "\n" in m], said


def test_wal_and_full_sync_on_every_connection(store):
    with store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_opening_an_existing_store_keeps_its_data_and_revision(tmp_path):
    p = tmp_path / "s.sqlite3"
    st = open_store(p)
    st.set_kv("sync.cursor", {"after": 41})
    st.close()
    assert current_revision(p) == schema.SCHEMA_HEAD
    st2 = open_store(p)
    assert st2.get_kv("sync.cursor") == {"after": 41}
    st2.close()


def test_a_station_db_from_before_migrations_is_upgraded_in_place(tmp_path):
    # a file exists but has no alembic_version: migrate must create the schema, not fail
    p = tmp_path / "old.sqlite3"
    sqlite3.connect(p).close()
    st = open_store(p)
    with st.read() as c:
        names = {r[0] for r in c.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"events", "operators", "picklists", "print_jobs", "kv"} <= names
    st.close()


def _files_open(path) -> int:
    """How many of this process's file descriptors are open on `path` (Linux /proc)."""
    import os

    n, target = 0, os.path.realpath(path)
    for fd in os.listdir("/proc/self/fd"):
        try:
            n += os.path.realpath(f"/proc/self/fd/{fd}") == target
        except OSError:  # closed meanwhile
            pass
    return n


def test_a_point_read_sees_what_was_committed_after_its_connection_opened(store):
    """The scan path's look-up keeps its connection open; each read still sees the latest commit (a pick list the
    OMS sent a moment ago is found by its barcode), it cannot write, and close() closes it. Threads share it: one per
    thread kept a connection for every thread of a pool that ever asked (the print worker's lookups run on one)."""
    import threading

    import pytest

    sql = "SELECT id FROM picklists WHERE id = ? OR order_no = ? LIMIT 1"
    assert store.point_read(sql, ("50042", "50042")) is None  # opens the connection
    with store.write() as c:
        c.execute(schema.picklists.insert().values(id="SO-42", order_no="50042", status="open", fetched_at_ms=1,
                                                   doc="{}"))
    assert store.point_read(sql, ("50042", "50042")) == ("SO-42",)
    con = store._point_con
    opened = _files_open(store.path)
    seen = []
    for _ in range(20):  # threads that come and go, as a pool's do
        t = threading.Thread(target=lambda: seen.append(store.point_read(sql, ("SO-42", "SO-42"))))
        t.start()
        t.join()
    assert seen == [("SO-42",)] * 20 and store._point_con is con
    assert _files_open(store.path) == opened  # no connection left behind by the threads (there were 20 before)
    with pytest.raises(sqlite3.OperationalError):
        store.point_read("DELETE FROM picklists")
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        con.execute("SELECT 1")


def test_writes_share_one_kept_connection_that_outlives_a_failed_transaction(store):
    from sqlalchemy import text

    with store.write() as c:
        first = c
        c.execute(text("INSERT INTO kv (key, value, updated_at_ms) VALUES ('a', '1', 0)"))
    try:
        with store.write() as c:
            assert c is first  # no pool check-out per write
            c.execute(text("INSERT INTO kv (key, value, updated_at_ms) VALUES ('b', '2', 0)"))
            raise ValueError("the caller fails mid-transaction")
    except ValueError:
        pass
    with store.write() as c:
        assert c is first
        c.execute(text("INSERT INTO kv (key, value, updated_at_ms) VALUES ('c', '3', 0)"))
    assert [k for (k,) in sqlite3.connect(store.path).execute("SELECT key FROM kv WHERE key IN ('a', 'b', 'c') ORDER BY key")] == ["a", "c"]


def test_a_write_inside_a_write_on_the_same_thread_fails_at_once_instead_of_waiting_on_itself(store):
    import pytest

    with store.write():
        with pytest.raises(RuntimeError, match="inside Store.write"):
            with store.write():
                pass


def _wal_salt(path) -> bytes:
    """Salt-1 of the WAL header: SQLite changes it each time the log starts over from its beginning."""
    with open(f"{path}-wal", "rb") as f:
        return f.read(32)[16:20]


def test_commits_leave_the_checkpoint_to_the_stores_own_thread(store):
    """A commit (a scan's, on the GUI thread) does not copy the log back into the database file: SQLite's
    auto-checkpoint is only a far backstop, and the store's checkpointer thread copies it after a run of commits
    (64 commits of ~8 pages: SQLite's own 1,000-page auto-checkpoint would not have run yet)."""
    import time

    from app.events import EventLog
    from app.store import WalCheckpointer

    with store.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == WalCheckpointer.BACKSTOP_PAGES
    log = EventLog(store, "ST-1")
    log.append("bench_warmup", {})
    size = store.path.stat().st_size
    for i in range(WalCheckpointer.AFTER_COMMITS):
        log.append("scan", {"i": i, "text": "x" * 2000})
    deadline = time.monotonic() + 30  # (the file grows during the checkpoint, the count once it returned)
    while (store.checkpointer.checkpoints == 0 or store.path.stat().st_size == size) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert store.checkpointer.checkpoints >= 1
    assert store.path.stat().st_size > size  # the events' pages are in the database file itself now
    assert store.checkpointer._thread.is_alive()
    store.close()
    assert not store.checkpointer._thread.is_alive()


def test_a_long_log_is_started_over_unless_another_write_is_in_progress(store, monkeypatch):
    """Writes without a pause never let SQLite start the log over (it does when a write finds all of it copied):
    past RESTART_PAGES the checkpointer restarts it, holding this process's writers on the store's lock; a write
    of another connection in progress makes it wait for nothing and try again next round."""
    from app.events import EventLog
    from app.store import WalCheckpointer

    monkeypatch.setattr(WalCheckpointer, "RESTART_PAGES", 1)
    ck = store.checkpointer
    ck.close()  # its thread stopped: this test alone runs its checkpoints, in this order
    log = EventLog(store, "ST-1")
    for i in range(20):
        log.append("scan", {"i": i})
    con = sqlite3.connect(store.path, isolation_level=None)
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    ck.checkpoint(con)
    assert ck.restarts == 0
    other.execute("ROLLBACK")
    salt = _wal_salt(store.path)
    ck.checkpoint(con)
    assert ck.restarts == 1
    log.append("scan", {"i": 20})
    assert _wal_salt(store.path) != salt  # the next write started the log from its beginning
    con.close()
    other.close()


def test_a_full_disk_is_known_by_its_error_however_it_is_wrapped(tmp_path):
    import errno
    import sqlite3

    import pytest
    from sqlalchemy.exc import DBAPIError

    from app.store import disk_full, free_disk_mb

    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL
    wrapped = DBAPIError.instance("COMMIT", (), full, sqlite3.Error)
    assert disk_full(full) and disk_full(wrapped)
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise RuntimeError("the print file could not be written") from exc
    except RuntimeError as exc:
        assert disk_full(exc)
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = sqlite3.SQLITE_BUSY
    assert not disk_full(locked) and not disk_full(ValueError("x")) and not disk_full(None)
    # the free space of a data folder not made yet is its nearest existing parent's
    assert free_disk_mb(tmp_path / "not" / "yet") == pytest.approx(free_disk_mb(tmp_path), rel=0.01)


def _log_bytes(path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_a_scan_event_commits_a_few_kilobytes_to_the_log_and_an_older_database_keeps_its_pages(tmp_path):
    """The scan's durable commit writes every page it changed to the log before its fsync: six B-trees. A new station
    database has 1 KiB pages, so a scan event's commit writes ~7.6 KB to the log (with 4 KiB pages ~22 KB: the scan's
    p99 over a raw commit's, docs/benchmarks.md). A database made by an older release with 4 KiB pages opens and records
    as before."""
    from app.events import EventLog
    from app.store import PAGE_SIZE

    payload = {"order_id": "SO-1002", "step": "pick", "raw": "6900000000076", "source": "hid", "symbology": "]E0",
               "code": "06900000000076", "verdict": {"kind": "accepted", "code": "06900000000076", "line_id": "L1",
                                                     "sku": "TEE-RED-M", "qty_added": 1, "details": {"step": "pick"},
                                                     "message": {"id": "{name} +{qty} ({scanned}/{required})",
                                                                 "params": {"name": "T-shirt 红色 M", "qty": 1,
                                                                            "scanned": 1, "required": 2}}}}
    old = tmp_path / "old.sqlite3"
    con = sqlite3.connect(old)
    con.execute("PRAGMA page_size=4096")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    per_scan = {}
    for name in ("new.sqlite3", "old.sqlite3"):
        st = open_store(tmp_path / name)
        try:
            st.checkpointer.close()  # nothing may start the log over while it is measured
            log = EventLog(st, "ST1")
            for i in range(40):  # the B-trees' pages exist
                log.append("scan", payload, order_id=f"SO-{i}", kind="accepted")
            before = _log_bytes(st.path)
            for _ in range(100):
                log.append("scan", payload, order_id="SO-1002", kind="accepted")
            per_scan[name] = (_log_bytes(st.path) - before) / 100
            with st.read() as c:
                page = c.exec_driver_sql("PRAGMA page_size").scalar()
            assert page == (PAGE_SIZE if name == "new.sqlite3" else 4096)
            assert len(log.events(order_id="SO-1002")) == 100
        finally:
            st.close()
    assert PAGE_SIZE == 1024 and per_scan["new.sqlite3"] < 10_000, per_scan
    assert per_scan["old.sqlite3"] > 2.5 * per_scan["new.sqlite3"], per_scan


def test_a_wal_file_the_station_s_user_may_not_write_is_named_at_the_start(tmp_path):
    """`sudo packstation operators add` while the station runs leaves station.sqlite3-wal and -shm owned by root: the
    station's user then opened the database read-only without a word, and its first write failed. open_store names the
    file it may not write. (As root: the check runs as `nobody` through setpriv; otherwise the -wal's write bit is
    taken off.)"""
    import os
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    import pytest

    from app.store import StoreNotWritable

    top = Path(tempfile.mkdtemp(prefix="packstation-wal-"))  # under /tmp: pytest's own folder is root's alone
    data = top / "data"
    db = data / "station.sqlite3"
    open_store(db).close()
    held = sqlite3.connect(db)  # the other process, still running: its -wal and -shm stay
    held.execute("PRAGMA journal_mode=WAL")
    held.execute("CREATE TABLE IF NOT EXISTS t (x)")
    held.execute("INSERT INTO t VALUES (1)")
    held.commit()
    wal = data / "station.sqlite3-wal"
    assert wal.exists()
    try:
        if os.geteuid() == 0:
            if shutil.which("setpriv") is None:
                pytest.skip("root without setpriv: no other user to open the file as")
            top.chmod(0o755)
            for p in (data, db):
                os.chown(p, 65534, 65534)  # nobody: the station's user, who owns the folder and the database
            r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c",
                                "import sys; from app.store import open_store, StoreNotWritable\n"
                                "try:\n open_store(sys.argv[1]).close(); print('opened')\n"
                                "except StoreNotWritable as e: print('refused', e)", str(db)],
                               capture_output=True, text=True, cwd=Path(__file__).parent.parent, timeout=60)
            assert r.stdout.startswith("refused") and "station.sqlite3-wal cannot be written" in r.stdout, (
                r.stdout, r.stderr)
        else:
            wal.chmod(0o444)
            with pytest.raises(StoreNotWritable, match="station.sqlite3-wal cannot be written"):
                open_store(db)
    finally:
        held.close()
        shutil.rmtree(top, ignore_errors=True)
