"""A station's database in a technician's hands: a damaged file, a write-ahead log deleted while the station was
stopped ("cleaning up" its folder), a look with `sync-status` beside the running station or on a file a release has
not migrated yet. Real SQLite files, a real process killed with SIGKILL, the real command line."""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from app import schema
from app.store import KV_LOG_LOST, KV_SESSION, open_store, upgrade_to, wal_path
from packstation.doctor import _database
from tests.conftest import ROOT, run_cli

# appends events, then dies as a power cut would: nothing closed, the last commits only in the -wal
_CRASH = """
import os, signal, sys
from app.events import EventLog
from app.store import open_store
store = open_store(sys.argv[1])
log = EventLog(store, "ST-01")
for i in range(int(sys.argv[2])):
    log.append("scan", {"code": f"X{i}"}, operator_id="K-001", order_id="SO-1")
os.kill(os.getpid(), signal.SIGKILL)
"""


def _station_run(db: Path, events: int, *, crash: bool) -> None:
    """A station's run on `db`: `events` scans, then a clean close or a SIGKILL."""
    if crash:
        p = subprocess.run([sys.executable, "-c", _CRASH, str(db), str(events)], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == -signal.SIGKILL, p.stderr
        return
    from app.events import EventLog

    store = open_store(db)
    try:
        log = EventLog(store, "ST-01")
        for i in range(events):
            log.append("scan", {"code": f"C{i}"}, operator_id="K-001", order_id="SO-1")
    finally:
        store.close()


def _count(db: Path) -> int:
    store = open_store(db)
    try:
        with store.read() as c:
            return c.exec_driver_sql("SELECT count(*) FROM events").scalar()
    finally:
        store.close()


def test_a_log_deleted_after_a_crash_is_named_before_the_start_in_the_log_at_the_start_and_after_it(tmp_path, caplog):
    """The station was killed mid-shift; a technician deleted station.sqlite3-wal and -shm "to clean up". SQLite
    opens the file as of its last checkpoint without a word: the doctor (run before every start) says the log is
    gone and to put it back if it can; the start says so in the log, CRITICAL, and goes on with what the file holds;
    the doctor says it afterwards too."""
    db = tmp_path / "station.sqlite3"
    _station_run(db, 40, crash=False)  # a clean day: all in the file
    _station_run(db, 25, crash=True)  # killed: these 25 are only in the log
    assert wal_path(db).stat().st_size > 0
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink()

    f = _database(db)
    assert f.level == "fail" and "not closed properly" in f.what and "station.sqlite3-wal is gone" in f.what
    assert "#40" in f.what and "put it back" in f.fix
    assert _database(db).level == "fail"  # the doctor's own look (it leaves an empty -wal) does not hide it

    with caplog.at_level(logging.CRITICAL, logger="app.store"):
        store = open_store(db)
    try:
        assert any("write-ahead log station.sqlite3-wal is gone" in r.getMessage() and "#40" in r.getMessage()
                   for r in caplog.records if r.levelno == logging.CRITICAL)
        assert store.get_kv(KV_LOG_LOST)["last_seq"] == 40
    finally:
        store.close()
    assert _count(db) == 40  # what the file held: the start went on with it
    after = _database(db)
    assert after.level == "warn" and "started without the write-ahead log" in after.what and "#40" in after.what


def test_a_crash_with_its_log_kept_is_no_alarm_even_after_the_doctor_looked(tmp_path, caplog):
    """The usual restart after a crash: the log is there, the doctor runs before the start (read-only: it neither
    copies the log into the file nor deletes it), the start replays it: every event is there and nothing is said."""
    db = tmp_path / "station.sqlite3"
    _station_run(db, 10, crash=False)
    _station_run(db, 15, crash=True)
    assert _database(db).level == "ok"
    assert wal_path(db).stat().st_size > 0  # the doctor left the log where it was
    with caplog.at_level(logging.WARNING, logger="app.store"):
        assert _count(db) == 25
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert _database(db).level == "ok"
    store = open_store(db)
    try:
        assert store.get_kv(KV_LOG_LOST) is None and store.get_kv(KV_SESSION)["open"]
    finally:
        store.close()


def test_a_damaged_database_fails_the_doctor_with_a_rescue_that_can_be_copied(tmp_path):
    """A page of an index overwritten (a disk's bad sector): the file still opens and its schema reads, and the
    station would fail mid-shift at the first scan that touches the page. The doctor runs SQLite's quick_check and
    says so, with a rescue command that works when copied from the screen."""
    db = tmp_path / "station.sqlite3"
    _station_run(db, 300, crash=False)
    assert _database(db).level == "ok" and "is whole" in _database(db).what
    import sqlite3

    con = sqlite3.connect(db)
    root, page_size = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ix_events_order'").fetchone()[0], \
        con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with open(db, "r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xab" * 16)
    f = _database(db)
    assert f.level == "fail" and " is damaged: SQLite's integrity check found " in f.what and "Page" in f.what
    assert "do not start the station" in f.fix and "docs/deploy.md (Repair)" in f.fix


def test_a_file_that_is_not_a_database_names_no_command_that_makes_a_new_one(tmp_path):
    """It said "sqlite3 FILE .recover" and printed "sqlite3 FILE.recover" (the space before the full stop was tidied
    away): copied from the screen, that made a new empty database of that name."""
    db = tmp_path / "station.sqlite3"
    db.write_bytes(b"garbage " * 2000)
    f = _database(db)
    assert f.level == "fail" and ".recover" not in f.fix and "docs/deploy.md, Repair" in f.fix
    assert f"{db}." not in f.fix


def _digest(*paths: Path) -> dict[str, str | None]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in paths}


def _config(tmp_path: Path) -> Path:
    cfg = tmp_path / "station.toml"
    cfg.write_text(f'[station]\nid = "ST-01"\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return cfg


def test_sync_status_on_a_database_a_release_has_not_migrated_changes_nothing(tmp_path):
    """A read-only look: `sync-status` on a stopped station's file of an older schema ran the migrations (a station
    rolled back afterwards could not start on it). It changes nothing now and says what to do."""
    cfg = _config(tmp_path)
    db = tmp_path / "data" / "station.sqlite3"
    db.parent.mkdir()
    upgrade_to(db, "0002_outbox_quarantine")
    before = _digest(db)
    r = run_cli("--config", str(cfg), "sync-status", env={"PACKSTATION_LOG_DIR": str(tmp_path / "logs")})
    assert r.returncode == 1 and "start the station once" in r.stderr, r.stdout + r.stderr
    assert _digest(db) == before and not wal_path(db).exists()
    from app.store import current_revision

    assert current_revision(db) == "0002_outbox_quarantine" != schema.SCHEMA_HEAD


def test_sync_status_beside_the_running_station_reads_its_latest_commits_and_writes_nothing(tmp_path):
    """The station runs (its store open in this process, its last commits in the log); the technician's look counts
    them and leaves the database, its log and the station's session mark as they were."""
    from app.events import EventLog

    cfg = _config(tmp_path)
    db = tmp_path / "data" / "station.sqlite3"
    db.parent.mkdir()
    store = open_store(db)
    try:
        log = EventLog(store, "ST-01")
        for i in range(7):
            log.append("scan", {"code": f"C{i}"}, operator_id="K-001", order_id="SO-1")
        files = (db, wal_path(db))
        before = _digest(*files)
        mark = store.get_kv(KV_SESSION)
        r = run_cli("--config", str(cfg), "sync-status", "--json", env={"PACKSTATION_LOG_DIR": str(tmp_path / "logs")})
        assert r.returncode == 0, r.stdout + r.stderr
        import json

        assert json.loads(r.stdout)["queue_depth"] == 7
        assert _digest(*files) == before and store.get_kv(KV_SESSION) == mark and mark["pid"] == os.getpid()
    finally:
        store.close()
    assert _count(db) == 7


def test_sync_status_without_a_database_says_so(tmp_path):
    r = run_cli("--config", str(_config(tmp_path)), "sync-status", env={"PACKSTATION_LOG_DIR": str(tmp_path / "l")})
    assert r.returncode == 1 and "no station database" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "data" / "station.sqlite3").exists()


def test_a_database_copied_from_another_station_fails_the_doctor_before_its_events_are_refused(tmp_path):
    """One id, one database (docs/deploy.md): station ST-01's file put under ST-02 (a disk cloned after set-up, a
    "restore" from the wrong backup). Its queue would go to the OMS under ST-02's token, be refused and quarantined
    one by one; the doctor says so before the start, with what to do. Once it is all sent, a warning."""
    db = tmp_path / "station.sqlite3"
    _station_run(db, 5, crash=False)  # ST-01's, 5 waiting for the OMS
    assert _database(db, station="ST-01").level == "ok"
    f = _database(db, station="ST-02")
    assert f.level == "fail" and "holds the events of station ST-01 (5 not sent yet)" in f.what
    assert "this station is ST-02" in f.what and "copied from another station" in f.fix
    import sqlite3

    con = sqlite3.connect(db)
    con.execute("UPDATE events SET sync_state = 'sent'")
    con.commit()
    con.close()
    assert _database(db, station="ST-02").level == "warn"


def test_a_backup_beside_the_running_station_holds_its_latest_commits_and_restores_without_an_alarm(tmp_path, caplog):
    """`cp station.sqlite3*` of a running station copies the file and its log at two moments, and a copy of the file
    alone reads, restored, as a station whose log was deleted. `packstation backup` reads one snapshot (the log's
    commits included), leaves the station's files as they were, and its copy restores cleanly."""
    from app.events import EventLog

    cfg = _config(tmp_path)
    db = tmp_path / "data" / "station.sqlite3"
    db.parent.mkdir()
    store = open_store(db)
    try:
        log = EventLog(store, "ST-01")
        for i in range(9):
            log.append("scan", {"code": f"C{i}"}, operator_id="K-001", order_id="SO-1")
        before = _digest(db, wal_path(db))
        env = {"PACKSTATION_LOG_DIR": str(tmp_path / "logs")}
        (tmp_path / "backups").mkdir()
        r = run_cli("--config", str(cfg), "backup", "--out", str(tmp_path / "backups"), env=env)
        assert r.returncode == 0 and "9 events, 9 not sent yet" in r.stdout and "checked whole" in r.stdout, r.stderr
        assert _digest(db, wal_path(db)) == before
        (copy,) = (tmp_path / "backups").iterdir()
        assert copy.name.startswith("station-ST-01-") and not wal_path(copy).exists()
        again = run_cli("--config", str(cfg), "backup", "--out", str(copy), env=env)
        assert again.returncode == 1 and "exists already" in again.stderr and "Traceback" not in again.stderr
    finally:
        store.close()
    restored = tmp_path / "restored" / "station.sqlite3"
    restored.parent.mkdir()
    restored.write_bytes(copy.read_bytes())
    with caplog.at_level(logging.WARNING, logger="app.store"):
        assert _count(restored) == 9
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert _database(restored, station="ST-01").level == "ok"


def test_a_backup_of_a_damaged_database_is_refused_and_leaves_nothing(tmp_path):
    import sqlite3

    db = tmp_path / "station.sqlite3"
    _station_run(db, 200, crash=False)
    con = sqlite3.connect(db)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ix_events_order'").fetchone()[0]
    page = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with open(db, "r+b") as fh:
        fh.seek((root - 1) * page)
        fh.write(b"\xab" * 16)
    from app.store import BackupFailed, backup

    dest = tmp_path / "copy.sqlite3"
    try:
        backup(db, dest)
    except BackupFailed as exc:
        assert "is damaged" in str(exc) and "docs/deploy.md, Repair" in str(exc)
    else:
        raise AssertionError("a damaged database was backed up as if whole")
    assert not dest.exists()


def test_a_mark_left_by_a_process_whose_number_is_now_another_s_is_taken_over_without_a_false_alarm(tmp_path, caplog):
    """After a power cut the station's old process number may belong to another process of the new boot. Taken for
    the station still running, its "open" mark stayed, the clean close that followed deleted the log, and the next
    start cried "log deleted, events lost" over a whole file. The mark names the process (boot and start time), not
    only its number."""
    import sqlite3

    db = tmp_path / "station.sqlite3"
    first = open_store(db)
    first.set_kv(KV_SESSION, {"open": True, "pid": 1, "process": "a-boot-before-the-power-cut/1"})  # pid 1 is alive
    hold = sqlite3.connect(db)  # a reader that keeps the log there, as the power cut did
    hold.execute("SELECT count(*) FROM kv").fetchone()
    first.close()
    assert wal_path(db).stat().st_size > 0
    second = open_store(db)
    try:
        assert second.get_kv(KV_SESSION)["pid"] == os.getpid() and second.log_lost is None
    finally:
        second.close()
        hold.close()
    with caplog.at_level(logging.WARNING, logger="app.store"):
        third = open_store(db)
        third.close()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING] and third.log_lost is None


def _damage(db: Path, index: str) -> None:
    """Overwrite the head of one B-tree's root page, as a bad sector does."""
    import sqlite3

    con = sqlite3.connect(db)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
    page = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with open(db, "r+b") as fh:
        fh.seek((root - 1) * page)
        fh.write(b"\xab" * 16)


def test_sync_status_on_a_damaged_database_says_to_run_the_doctor(tmp_path):
    """It said "DatabaseError: database disk image is malformed" (a type name, and no next step)."""
    cfg = _config(tmp_path)
    db = tmp_path / "data" / "station.sqlite3"
    db.parent.mkdir()
    _station_run(db, 30, crash=False)
    _damage(db, "ix_events_sync")
    r = run_cli("--config", str(cfg), "sync-status", env={"PACKSTATION_LOG_DIR": str(tmp_path / "logs")})
    assert r.returncode == 1 and "cannot be read (database disk image is malformed)" in r.stderr, r.stderr
    assert "run packstation doctor" in r.stderr and "DatabaseError" not in r.stderr


_NO_CLOSE = """
import sys
from app.events import EventLog
from app.store import open_store
store = open_store(sys.argv[1])
EventLog(store, "ST-01").append("scan", {"code": "X"}, operator_id="K-001", order_id="SO-1")
"""  # and the process ends without store.close(), as `packstation operators list` did


def test_a_process_that_ends_without_closing_the_store_is_no_false_alarm(tmp_path, caplog):
    """Its connections close at exit, the last one copies the log into the file and deletes it; its mark said "open",
    and the next start cried "log deleted, events lost" over a whole file."""
    db = tmp_path / "station.sqlite3"
    _station_run(db, 3, crash=False)
    p = subprocess.run([sys.executable, "-c", _NO_CLOSE, str(db)], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert not wal_path(db).exists()  # the log went into the file at exit
    assert _database(db).level == "ok"
    with caplog.at_level(logging.WARNING, logger="app.store"):
        assert _count(db) == 4
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    cfg = _config(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "station.sqlite3").write_bytes(db.read_bytes())
    for _ in range(2):  # the command that did it
        r = run_cli("--config", str(cfg), "operators", "list", env={"PACKSTATION_LOG_DIR": str(tmp_path / "logs")})
        assert r.returncode == 0 and "critical" not in r.stderr.lower(), r.stderr


def _file_size_limit() -> None:
    """A process that may not grow a file past 8 KB: SQLite cannot make the 32 KB -shm it needs to open a WAL database,
    as on a full disk (SQLITE_IOERR_SHMSIZE, "disk I/O error")."""
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))


_START = """
import sys
from app.config import load
from app.store import open_store
from ui.shell import cannot_start_text
settings = load(sys.argv[1])
try:
    open_store(settings.db_path)
except Exception as exc:
    print(cannot_start_text(settings, exc))
"""


def test_a_start_on_a_full_disk_says_the_disk_is_full_not_that_the_database_cannot_be_read(tmp_path):
    """A station stopped cleanly (no -shm left) on a disk that then filled up: SQLite cannot make the -shm and says
    "disk I/O error"; the schema read took that for "no schema", the migration failed on it, and the start said "the
    station's database cannot be read (disk I/O error)" — a technician looks for a damaged file. And sync-status
    said the file was at schema (none)."""
    cfg = _config(tmp_path)
    db = tmp_path / "data" / "station.sqlite3"
    db.parent.mkdir()
    _station_run(db, 3, crash=False)
    assert not wal_path(db).exists() and not db.with_name(db.name + "-shm").exists()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PACKSTATION_LOG_DIR=str(tmp_path / "logs"))
    p = subprocess.run([sys.executable, "-c", _START, str(cfg)], cwd=ROOT, capture_output=True, text=True, env=env,
                       preexec_fn=_file_size_limit, timeout=120)
    assert "The station's disk is full." in p.stdout and "cannot be read" not in p.stdout, (p.stdout, p.stderr)
    r = subprocess.run([sys.executable, "-m", "packstation", "--config", str(cfg), "sync-status"], cwd=ROOT,
                       capture_output=True, text=True, env=env, preexec_fn=_file_size_limit, timeout=120)
    assert r.returncode == 1 and "cannot be read (the disk is full): run packstation doctor" in r.stderr, r.stderr
    assert _count(db) == 3  # and with room again it opens as it was


def _tmpfs(at: Path):
    """A small filesystem of its own at `at` (root only; the test is skipped elsewhere)."""
    import pytest

    at.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(at)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a filesystem needs root")
    return at


def test_a_database_on_a_disk_that_went_read_only_can_still_be_checked_looked_at_and_backed_up(tmp_path):
    """ext4 remounts itself read-only after a disk fault: the moment to copy the station's database off it. SQLite
    cannot make the -shm a WAL database needs there, and doctor said "cannot be read (unable to open database file)",
    sync-status and backup the same: the file was fine."""
    fs = _tmpfs(tmp_path / "fs")
    try:
        cfg = tmp_path / "station.toml"
        cfg.write_text(f'[station]\nid = "ST-01"\ndata_dir = "{fs / "data"}"\n', encoding="utf-8")
        (fs / "data").mkdir()
        db = fs / "data" / "station.sqlite3"
        _station_run(db, 12, crash=False)
        assert subprocess.run(["mount", "-o", "remount,ro", str(fs)]).returncode == 0
        assert _database(db, station="ST-01").level == "ok"
        env = {"PACKSTATION_LOG_DIR": str(tmp_path / "logs")}
        r = run_cli("--config", str(cfg), "sync-status", "--json", env=env)
        assert r.returncode == 0 and '"queue_depth": 12' in r.stdout, r.stderr
        r = run_cli("--config", str(cfg), "backup", "--out", str(tmp_path / "copy.sqlite3"), env=env)
        assert r.returncode == 0 and "12 events" in r.stdout, r.stderr
    finally:
        subprocess.run(["umount", str(fs)])
    assert _count(tmp_path / "copy.sqlite3") == 12


def test_operators_add_with_an_empty_badge_is_said_plainly(tmp_path):
    """It said "packstation operators: ValueError: a badge code is required; details in …"."""
    r = run_cli("--config", str(_config(tmp_path)), "operators", "add", "--badge", "", "--name", "X", "--role", "packer",
                "--pin", "1234", env={"PACKSTATION_LOG_DIR": str(tmp_path / "logs")})
    assert r.returncode == 2 and "packstation operators: a badge code is required" in r.stderr, r.stderr
    assert "ValueError" not in r.stderr
