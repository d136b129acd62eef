"""The one entry point."""

import os
import signal
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli


def test_help_lists_the_subcommands():
    r = run_cli("--help")
    assert r.returncode == 0
    for cmd in ("operators", "config", "bench", "run", "demo"):
        assert cmd in r.stdout


def test_bench_lists_its_figures():
    r = run_cli("bench", "--list")
    assert r.returncode == 0
    names = r.stdout.split()
    for n in ("event_append_per_s", "sqlite_raw_commit_per_s", "cold_start_s"):
        assert n in names


def test_full_runs_the_long_figures_but_not_the_half_hour_soak_which_has_its_own_switch():
    from packstation.bench import selected

    short, full, soak = selected(), selected(full=True), selected(full=True, soak=True)
    assert "verdict_p99_ms" in short and "sync_drain_100k_s" not in short and "soak" not in short
    assert "sync_drain_100k_s" in full and "stats_5m_events_s" in full and "soak" not in full
    assert "soak" in soak and set(full) <= set(soak)
    assert list(selected(["soak"])) == ["soak"]


def test_station_window_starts_offscreen_and_quits(tmp_path):
    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    r = run_cli("--config", str(cfg), "run", "--exit-when-shown", env={"QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 0, r.stderr
    assert "shown" in r.stdout
    assert (tmp_path / "data" / "station.sqlite3").exists()


def test_the_demo_takes_the_stations_settings_from_config_and_keeps_its_own_devices(tmp_path):
    """`packstation demo --config FILE` was accepted and ignored (the demo built its settings from nothing): an idle
    logout of 1.5 min set there to try it out had no effect. The file's settings count; the demo's own data folder,
    simulated devices and printers stay (its OMS is its own), and a file that is not there is an error."""
    from app.config import load
    from ui.services import demo_settings

    cfg = tmp_path / "st.toml"
    cfg.write_text('[station]\nidle_logout_min = 1.5\nlanguage = "zh_CN"\n[devices.scale]\nkind = "serial"\n',
                   encoding="utf-8")
    s = demo_settings(tmp_path / "demo", load(cfg))
    assert s.station.idle_logout_min == 1.5 and s.station.language == "zh_CN"
    assert s.devices.scale.kind == "simulated" and s.station.data_dir == str(tmp_path / "demo")
    assert s.devices.label_printer.uri.startswith("simulated:")
    r = run_cli("--config", str(tmp_path / "missing.toml"), "demo", "--data-dir", str(tmp_path / "d"),
                "--exit-when-shown", env={"QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode != 0 and "missing.toml: file not found" in r.stderr, (r.returncode, r.stderr[-500:])


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="no /dev/shm")
def test_a_station_whose_data_dir_is_in_memory_says_so_in_its_log_at_start(tmp_path):
    import shutil
    import uuid

    from app.store import filesystem_of

    ram = Path("/dev/shm") / f"packstation-run-{uuid.uuid4().hex}"
    if filesystem_of("/dev/shm") != "tmpfs":
        pytest.skip("/dev/shm is not tmpfs here")
    for data, in_memory in ((ram, True), (tmp_path / "data", filesystem_of(tmp_path) in ("tmpfs", "ramfs"))):
        cfg = tmp_path / "st.toml"
        cfg.write_text(f'[station]\ndata_dir = "{data}"\n', encoding="utf-8")
        logs = tmp_path / f"logs-{in_memory}-{data.name}"
        try:
            r = run_cli("--config", str(cfg), "run", "--exit-when-shown",
                        env={"QT_QPA_PLATFORM": "offscreen", "PACKSTATION_LOG_DIR": str(logs)})
        finally:
            shutil.rmtree(ram, ignore_errors=True)
        assert r.returncode == 0 and "shown" in r.stdout, r.stderr
        said = (logs / "packstation.log").read_text(encoding="utf-8")
        assert (f"data_dir {data} is on tmpfs, in memory" in said) is in_memory, said
        assert "lost at the next restart" in said or not in_memory


def test_bench_runs_each_figure_in_a_fresh_process_and_merges_their_figures(tmp_path):
    """Figures, not assertions on time: only that both come back as numbers from their own processes, and say the
    disk they were measured on."""
    import json

    from app.store import filesystem_of

    r = run_cli("bench", "--json", "--only", "label_bytes_ms,sqlite_raw_commit_per_s", "--dir", str(tmp_path / "b"))
    assert r.returncode == 0, r.stderr
    figures = json.loads(r.stdout.strip().splitlines()[-1])
    assert isinstance(figures["label_bytes_ms"], float) and isinstance(figures["sqlite_raw_commit_per_s"], float)
    assert not [k for k in figures if k.endswith("_error")]
    assert figures["bench_dir"] == str(tmp_path / "b") and figures["bench_fs"] == filesystem_of(tmp_path)
    assert not (tmp_path / "b").exists()  # each figure's folder removed after it, then the bench's own


def test_bench_figures_are_measured_on_the_stations_disk_not_in_the_systems_temporary_folder(tmp_path, monkeypatch):
    """On Debian 13, Fedora or Arch /tmp is tmpfs (memory): a raw durable commit cost 0.06 ms there against 0.35 on
    the disk, and verdict_p99_over_raw_p99 read 3.1-4.7 for a station whose figure on its disk is 1.5-1.7. A figure's
    folder is under --dir, by default the configured station's data dir; a folder in memory is said."""
    from app.store import filesystem_of
    from packstation import bench

    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    assert bench.default_dir(str(cfg)) == tmp_path / "data" / "bench"
    seen = []
    monkeypatch.setattr(bench, "all_figures", lambda: {"x_ms": lambda d: seen.append(d) or 1.0})
    assert bench.run(["x_ms"], in_process=True, root=tmp_path / "data" / "bench") == {"x_ms": 1.0}
    assert seen[0].parent == tmp_path / "data" / "bench" and not seen[0].exists()
    ro = tmp_path / "read-only"
    ro.write_text("a file where the folder would go", encoding="utf-8")  # cannot be made a folder, even by root
    assert bench._default_writable(ro / "bench").parent == Path(tempfile.gettempdir())  # figures still come
    assert bench._default_writable(tmp_path / "data" / "bench") == tmp_path / "data" / "bench"
    if filesystem_of("/dev/shm") == "tmpfs":  # a folder in memory is said as such
        assert bench.disk_figures(Path("/dev/shm")) == {"bench_dir": "/dev/shm", "bench_fs": "tmpfs",
                                                         "bench_fs_in_memory": True}


def test_the_warehouse_scale_data_is_cached_in_the_users_cache_dir_not_in_tmp(tmp_path, monkeypatch):
    """2.3 GB kept between runs: in a tmpfs /tmp it held that much memory and was built again after each restart."""
    from app.bench_data import cache_dir

    monkeypatch.delenv("PACKSTATION_BENCH_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache" / "packstation" / "bench" and cache_dir().is_dir()
    monkeypatch.setenv("PACKSTATION_BENCH_CACHE", str(tmp_path / "elsewhere"))
    assert cache_dir() == tmp_path / "elsewhere"


def test_the_filesystem_of_a_path_is_that_of_its_longest_mount_point(tmp_path):
    from app.store import filesystem_of

    ram = Path(os.path.realpath(tmp_path)) / "ram disk"
    (ram / "x").mkdir(parents=True)
    (ram.parent / "ram diskette").mkdir()
    esc = str(ram).replace(" ", "\\040")  # the table writes a space as \040
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/vda / ext4 rw 0 0\ntmpfs {esc} tmpfs rw 0 0\noverlay {esc} overlay rw 0 0\n",
                      encoding="utf-8")
    assert filesystem_of(ram / "x" / "not yet", str(mounts)) == "overlay"  # the later mount on one point is in use
    assert filesystem_of(ram.parent / "ram diskette", str(mounts)) == "ext4"  # a prefix of the name, not of the path
    assert filesystem_of("/", str(mounts)) == "ext4"
    assert filesystem_of("/proc/self") == "proc"  # the real table
    assert filesystem_of("/x", str(tmp_path / "none")) is None


def test_figures_measured_by_one_function_come_from_one_run_of_it(monkeypatch, tmp_path):
    """event_append_per_s and sqlite_raw_commit_per_s are measured side by side in one loop: named together, the loop
    runs once and both figures come from it."""
    from packstation import bench

    calls = []

    def side_by_side(_workdir):
        calls.append(1)
        return {"a_per_s": 1.0, "b_per_s": 2.0}

    monkeypatch.setattr(bench, "all_figures", lambda: {"a_per_s": side_by_side, "b_per_s": side_by_side})
    assert bench.run(["a_per_s", "b_per_s"], in_process=True, root=tmp_path) == {"a_per_s": 1.0, "b_per_s": 2.0}
    assert calls == [1]


def test_a_station_that_cannot_start_says_why_on_its_screen(tmp_path):
    """A database that is not one (a disk fault, a file copied over it): the kiosk stayed blank while its service
    restarted the station every 3 s, the reason only on stderr. Now a full-screen window says why and what to do."""
    from app.config import Settings
    from ui.shell import cannot_start_text

    data = tmp_path / "data"
    data.mkdir()
    (data / "station.sqlite3").write_bytes(b"not a database " * 1000)
    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\ndata_dir = "{data}"\n', encoding="utf-8")
    r = run_cli("--config", str(cfg), "run", "--exit-when-shown", env={"QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 1 and "cannot start" in r.stdout and "Traceback" not in r.stderr, (r.stdout, r.stderr)
    assert (data / "station.sqlite3").read_bytes().startswith(b"not a database")  # left as it was, for a technician
    import sqlite3

    s = Settings()
    s.station.data_dir = str(data)
    said = cannot_start_text(s, sqlite3.DatabaseError("file is not a database"))
    assert said.startswith("The station cannot start.") and str(data / "station.sqlite3") in said
    assert "Do not delete it" in said and said.endswith("F5: try again.")
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL
    assert "The station's disk is full." in cannot_start_text(s, full)


@pytest.fixture
def read_only_data_dir(tmp_path):
    """A station's data folder holding its database, then made read-only as a disk that failed is: as root (whom file
    modes do not stop) a tmpfs mounted there and remounted read-only; otherwise the folder's and file's write bits
    taken off. Skipped where neither can be done."""
    import subprocess

    from app.store import open_store

    data = tmp_path / "data"
    data.mkdir()
    mounted = False
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(data)],
                          capture_output=True).returncode != 0:
            pytest.skip("no read-only folder here: root, and mount is not allowed")
        mounted = True
    try:
        open_store(data / "station.sqlite3").close()
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(data)], check=True, capture_output=True)
        else:
            (data / "station.sqlite3").chmod(0o444)
            data.chmod(0o555)
        assert not os.access(data / "station.sqlite3", os.W_OK)
        yield data
    finally:
        if mounted:
            subprocess.run(["umount", str(data)], capture_output=True)
        else:
            data.chmod(0o755)


def test_a_station_whose_database_cannot_be_written_says_so_on_its_screen(tmp_path, read_only_data_dir):
    """A data folder on a disk switched to read-only (ext4 does so after an I/O error) or not writable by the station's
    user: SQLite opened the database read-only without a word, the login screen came up, and the print spool's first
    write ended the process with "attempt to write a readonly database" on stderr: in a kiosk a blank screen restarted
    every 3 s. Now the start stops at the store and the red screen says the database cannot be written, and why."""
    from app.config import Settings
    from app.store import StoreNotWritable, open_store
    from ui.shell import cannot_start_text

    data = read_only_data_dir
    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\ndata_dir = "{data}"\n[oms]\nurl = "http://127.0.0.1:9"\n', encoding="utf-8")
    r = run_cli("--config", str(cfg), "run", "--exit-when-shown", env={"QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 1 and "cannot start" in r.stdout and "ready" not in r.stdout, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "cannot be written" in r.stderr, r.stderr
    with pytest.raises(StoreNotWritable) as e:
        open_store(data / "station.sqlite3")
    s = Settings()
    s.station.data_dir = str(data)
    said = cannot_start_text(s, e.value)
    assert f"The station's database {data / 'station.sqlite3'} cannot be written" in said and "Do not delete" in said


def test_a_service_that_fails_to_start_is_said_on_the_red_screen(tmp_path):
    """A worker whose start fails (the print spool's recovery write refused) ended the process with one line on
    stderr after the login screen had shown: a kiosk restarted behind a blank screen. It is said on the red screen,
    and the window lets go of the services without asking for a supervisor. (Services.start made to fail in the
    child process: any start failure takes this way.)"""
    import subprocess

    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n[oms]\nurl = "http://127.0.0.1:9"\n',
                   encoding="utf-8")
    child = ("import sys\nfrom ui import services\n"
             "def start(self, bridge):\n    raise RuntimeError('the print spool could not start')\n"
             "services.Services.start = start\n"
             "from packstation.cli import main\n"
             "sys.exit(main(['--config', sys.argv[1], 'run', '--exit-when-shown']))")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PACKSTATION_LOG_DIR=str(tmp_path / "logs"))
    r = subprocess.run([sys.executable, "-c", child, str(cfg)], capture_output=True, text=True, cwd=ROOT, env=env,
                       timeout=90)
    assert r.returncode == 1 and "cannot start" in r.stdout and "ready" not in r.stdout, (r.stdout, r.stderr)
    assert "the print spool could not start" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_database_from_a_newer_release_is_named_and_left_as_it_is(tmp_path):
    """A station rolled back to an older release after an upgrade: the red screen read "CommandError: Can't locate
    revision identified by '0009_…'" and doctor (run before every start) said the database opens. Now both say the
    database was made by a newer release and what to do; the file is left as it was."""
    import sqlite3

    from app.store import open_store

    data = tmp_path / "data"
    db = data / "station.sqlite3"
    store = open_store(db)
    store.close()
    con = sqlite3.connect(db)
    con.execute("UPDATE alembic_version SET version_num = '0009_from_a_newer_release'")
    con.commit()
    con.close()
    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\ndata_dir = "{data}"\n[oms]\nurl = "http://127.0.0.1:9"\n', encoding="utf-8")
    r = run_cli("--config", str(cfg), "doctor", "--timeout", "0.5")
    line = next(ln for ln in r.stdout.splitlines() if ln.split()[1:2] == ["database"])
    assert line.startswith("FAIL") and "made by a newer release of packstation (schema 0009_from_a_newer_release)" \
        in line, r.stdout
    r = run_cli("--config", str(cfg), "run", "--exit-when-shown", env={"QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 1 and "cannot start" in r.stdout and "Traceback" not in r.stderr, (r.stdout, r.stderr)
    from app.config import Settings
    from app.store import StoreFromNewerRelease
    from ui.shell import cannot_start_text

    with pytest.raises(StoreFromNewerRelease) as e:
        open_store(db)
    s = Settings()
    s.station.data_dir = str(data)
    said = cannot_start_text(s, e.value)
    assert "was made by a newer release of packstation (schema 0009_from_a_newer_release)" in said
    assert "Do not delete the file" in said
    con = sqlite3.connect(db)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0009_from_a_newer_release"
    con.close()


def test_a_configuration_mistake_is_said_on_the_kiosk_screen_too(tmp_path):
    """A kiosk whose configuration has a mistake was restarted every 3 s behind a blank screen (the reason only in
    the journal): it says so on its screen, and the command line still gets its one line and exit code 2."""
    cfg = tmp_path / "st.toml"
    cfg.write_text('[station]\nid = 5\n', encoding="utf-8")
    r = run_cli("--config", str(cfg), "run", "--exit-when-shown", env={"QT_QPA_PLATFORM": "offscreen"})
    assert r.returncode == 2 and "cannot start" in r.stdout, (r.stdout, r.stderr)
    assert "station.id: expected a string; got 5" in r.stderr and "Traceback" not in r.stderr


def _started(tmp_path, config: str, display: str | None = None):
    """`packstation run` as a terminal or systemd starts it (SIGINT not ignored), logging into tmp_path/logs, on the
    X display `display` (else offscreen); with what it has logged so far."""
    import subprocess

    cfg = tmp_path / "st.toml"
    cfg.write_text(config, encoding="utf-8")
    logs = tmp_path / "logs"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PACKSTATION_LOG_DIR=str(logs))
    if display:
        env.update(QT_QPA_PLATFORM="xcb", DISPLAY=display)
    # `python -m packstation` with Python's own Ctrl+C handler, even where this test runs with SIGINT ignored (a
    # background job of a script): set in the child itself, not by a preexec_fn (unsafe with threads in the parent)
    as_started = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                  "sys.argv[0] = 'packstation'; runpy.run_module('packstation', run_name='__main__', alter_sys=True)")
    p = subprocess.Popen([sys.executable, "-c", as_started, "--config", str(cfg), "run"], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def logged() -> str:
        return "".join(f.read_text(encoding="utf-8", errors="replace") for f in logs.glob("*.log*"))
    return p, logged


def _signalled(p, logged, sig, when: str) -> tuple[str, str]:
    import time

    try:
        deadline = time.monotonic() + 60
        while when not in logged():
            assert p.poll() is None and time.monotonic() < deadline, logged()
            time.sleep(0.1)
        p.send_signal(sig)
        return p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_systemctl_stop_and_ctrl_c_close_the_station_as_leaving_it_does(tmp_path, sig):
    """SIGTERM (systemctl stop, a shutdown) killed the station on the spot: the database left open with its log beside
    it, the devices and the printer spool never stopped. Ctrl+C at a terminal printed "KeyboardInterrupt" from inside
    a Qt event filter and the station ran on. Both now close it the way a supervisor leaving it does."""
    data = tmp_path / "data"
    p, logged = _started(tmp_path, f'[station]\ndata_dir = "{data}"\n[oms]\nurl = "http://127.0.0.1:9"\n')
    out, err = _signalled(p, logged, sig, "the station window is up")
    assert p.returncode == 0, (out, err)
    assert f"{sig.name} received: the station closes" in logged() and "the station closed" in logged()
    assert "KeyboardInterrupt" not in err and "Traceback" not in err, err
    assert (data / "station.sqlite3").exists() and not (data / "station.sqlite3-wal").exists()  # closed, not killed


def test_a_signal_ends_the_cannot_start_screen_too(tmp_path):
    """A configuration mistake shows the red "cannot start" screen; at a terminal Ctrl+C did nothing there and only F5
    (try again) left it. A signal ends it with the command line's own line and exit code."""
    import shutil
    import subprocess

    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (scripts/setup.sh installs it)")
    rfd, wfd = os.pipe()  # the screen is shown only on a display someone could read (offscreen: the CLI's line)
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(wfd), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            pass_fds=(wfd,), stderr=subprocess.DEVNULL)
    os.close(wfd)
    try:
        display = ":" + os.read(rfd, 16).decode().strip()
        p, logged = _started(tmp_path, '[station]\nid = 5\n', display)
        out, err = _signalled(p, logged, signal.SIGINT, "the station cannot start; its screen says why")
    finally:
        os.close(rfd)
        xvfb.terminate()
        xvfb.wait(10)
    assert p.returncode == 2 and "station.id: expected a string; got 5" in err and "Traceback" not in err, (out, err)


def test_a_second_station_process_on_the_same_data_folder_does_not_start(tmp_path):
    """A double-click on the kiosk's launcher while the station runs started a second station on the same database
    (seen on Xvfb): its scans took the event sequence numbers the first one had cached, whose next scan then said
    "NOT recorded: the station could not save this scan" (UNIQUE constraint failed: events.seq), and both ran an
    outbox and a print spool. The second start says the station is already running, opens nothing and exits 4 (the
    unit does not restart it); the first station runs on, and a start after it closed works."""
    import time

    data = tmp_path / "data"
    config = f'[station]\ndata_dir = "{data}"\n[oms]\nurl = "http://127.0.0.1:9"\n'
    p, logged = _started(tmp_path, config)
    try:
        deadline = time.monotonic() + 60
        while "the station window is up" not in logged():
            assert p.poll() is None and time.monotonic() < deadline, logged()
            time.sleep(0.1)
        r = run_cli("--config", str(tmp_path / "st.toml"), "run", "--exit-when-shown",
                    env={"QT_QPA_PLATFORM": "offscreen", "PACKSTATION_LOG_DIR": str(tmp_path / "logs2")})
        assert r.returncode == 4, (r.stdout, r.stderr)
        assert f"another packstation process (pid {p.pid}) is already running on {data}" in r.stderr, r.stderr
        assert "already running" in r.stdout and "shown" not in r.stdout and "Traceback" not in r.stderr
        assert p.poll() is None  # the first station runs on
    finally:
        out, err = _signalled(p, logged, signal.SIGTERM, "the station window is up")
    assert p.returncode == 0, (out, err)
    r = run_cli("--config", str(tmp_path / "st.toml"), "run", "--exit-when-shown",
                env={"QT_QPA_PLATFORM": "offscreen", "PACKSTATION_LOG_DIR": str(tmp_path / "logs2")})
    assert r.returncode == 0 and "ready" in r.stdout, (r.stdout, r.stderr)


def test_the_data_folder_lock_is_let_go_when_its_holder_ends_however_it_ends(tmp_path):
    """The lock is the kernel's (flock): a station SIGKILLed or powered off leaves nothing to clear by hand."""
    import subprocess

    from app.station_lock import StationAlreadyRunning, hold_data_dir

    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from app.station_lock import hold_data_dir; "
                               "f = hold_data_dir(sys.argv[1]); print('held', flush=True); time.sleep(600)",
                               str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StationAlreadyRunning) as e:
            hold_data_dir(tmp_path)
        assert e.value.pid == holder.pid
    finally:
        holder.kill()
        holder.wait(30)
    f = hold_data_dir(tmp_path)
    assert f is not None
    f.close()


def test_the_data_folder_stays_held_when_its_lock_file_is_deleted_under_the_running_station(tmp_path):
    """A technician "cleaning up" deleted station.lock under a running station; a second start created a new one,
    locked it and ran on the same database (the two collided on the event sequence). The folder itself is locked."""
    import subprocess

    from app.station_lock import LOCK_NAME, StationAlreadyRunning, hold_data_dir

    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from app.station_lock import hold_data_dir; "
                               "f = hold_data_dir(sys.argv[1]); print('held', flush=True); time.sleep(600)",
                               str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        (tmp_path / LOCK_NAME).unlink()
        with pytest.raises(StationAlreadyRunning):
            hold_data_dir(tmp_path)
    finally:
        holder.kill()
        holder.wait(30)
    f = hold_data_dir(tmp_path)
    assert f is not None and (tmp_path / LOCK_NAME).read_text().strip() == str(os.getpid())
    f.close()
    again = hold_data_dir(tmp_path)  # closing let go of both
    assert again is not None
    again.close()


def test_screenshots_into_a_folder_that_cannot_be_made_is_one_line_not_two_tracebacks(tmp_path):
    (tmp_path / "a_file").write_text("x")
    r = run_cli("screenshots", "--out", str(tmp_path / "a_file" / "shots"))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "packstation screenshots: NotADirectoryError" in r.stderr and str(tmp_path / "a_file") in r.stderr


def test_a_command_whose_reader_leaves_early_is_no_error(tmp_path):
    """`packstation doctor | head -2`: the pipe closed under doctor's last lines; it logged a critical error with a
    traceback and said 'packstation doctor: BrokenPipeError' on stderr."""
    import subprocess

    logs = tmp_path / "logs"
    env = dict(os.environ, PACKSTATION_LOG_DIR=str(logs), QT_QPA_PLATFORM="offscreen")
    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n[oms]\nurl = "http://127.0.0.1:9"\n', encoding="utf-8")
    rfd, wfd = os.pipe()
    os.close(rfd)  # the reader gone before doctor writes its first line (`head` may leave at any of them)
    try:
        p = subprocess.run([sys.executable, "-m", "packstation", "--config", str(cfg), "doctor", "--timeout", "0.5"],
                           stdout=wfd, stderr=subprocess.PIPE, env=env, cwd=ROOT, timeout=60)
    finally:
        os.close(wfd)
    err = p.stderr.decode()
    assert p.returncode == 141 and "BrokenPipe" not in err and "Traceback" not in err, err
    logged = (logs / "packstation.log").read_text(encoding="utf-8")
    assert "its output was closed before the end" in logged and "CRITICAL" not in logged, logged


@pytest.mark.parametrize("args,said", [(["--port", "99999"], "99999 is not a port (1 to 65535)"),
                                       (["--port", "http"], "'http' is not a port number"),
                                       (["--workers", "0"], "0: at least 1")])
def test_the_reference_oms_refuses_a_port_or_worker_count_that_cannot_be(tmp_path, args, said):
    """`oms-server --port 99999` printed "reference OMS on http://127.0.0.1:99999" and then hung, listening nowhere,
    saying nothing; `--workers 0` said "0 worker(s)". Refused by the command line with its usage (exit 2)."""
    r = run_cli("oms-server", "--db", str(tmp_path / "oms.sqlite3"), *args, timeout=30)
    assert r.returncode == 2 and said in r.stderr and "reference OMS on" not in r.stdout, (r.stdout, r.stderr)
