"""Logging for every command: `-v` anywhere on the command line, a rotating log in the log directory in
plain lines, tracebacks in the file and never on the operator's terminal."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT, run_cli


def _env(tmp_path) -> dict:
    return {"PACKSTATION_LOG_DIR": str(tmp_path / "logs")}


def test_verbose_works_before_and_after_any_subcommand(tmp_path):
    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    for args in (["-v", "--config", str(cfg), "config", "check"], ["--config", str(cfg), "config", "check", "-v"],
                 ["--config", str(cfg), "operators", "list", "-v"]):
        r = run_cli(*args, env=_env(tmp_path))
        assert r.returncode == 0, r.stderr
        assert "DEBUG" in r.stderr or "INFO" in r.stderr, args
        assert "started" in r.stderr, args
    quiet = run_cli("--config", str(cfg), "config", "check", env=_env(tmp_path))
    assert quiet.returncode == 0 and quiet.stderr.strip() == ""


def test_every_command_writes_the_log_in_plain_lines(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[devices.scale]\nkind = "usb"\n', encoding="utf-8")
    r = run_cli("--config", str(bad), "config", "check", env=_env(tmp_path))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1  # the operator's one line, not the log's
    log = (tmp_path / "logs" / "packstation.log").read_text(encoding="utf-8")
    lines = log.strip().splitlines()
    assert "packstation 0.1.0 started: --config" in lines[0]
    assert any("ERROR" in ln and "configuration problem" in ln and "devices.scale.kind" in ln for ln in lines)
    assert "finished with exit code 2" in lines[-1]
    # 2026-12-02 17:47:03 +0800 INFO     packstation: ...
    assert all(ln[:4].isdigit() and ln[10] == " " and ln[19:21] in (" +", " -") for ln in lines), lines


def test_a_crash_is_one_line_for_the_operator_and_a_traceback_in_the_log(tmp_path):
    code = ("import app.commands as c\n"
            "def boom(args):\n    raise RuntimeError('printer driver exploded')\n"
            "c._config_check = boom\n"
            "from packstation.cli import main\nraise SystemExit(main(['config', 'check']))\n")
    env = dict(os.environ, **_env(tmp_path))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [
        f"packstation config: RuntimeError: printer driver exploded; details in {tmp_path / 'logs' / 'packstation.log'}"]
    log = (tmp_path / "logs" / "packstation.log").read_text(encoding="utf-8")
    assert "CRITICAL packstation: config failed" in log and "Traceback" in log and "printer driver exploded" in log


def test_the_log_rotates_and_keeps_five_old_files(tmp_path):
    code = ("import logging, sys\nimport app.logsetup as L\nL.MAX_BYTES = 2000\n"
            f"L.setup_logging({str(tmp_path)!r})\n"
            "for i in range(1000): logging.getLogger('t').info('line %05d ' + 'x' * 40, i)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["packstation.log"] + [f"packstation.log.{i}" for i in range(1, 6)]
    assert all((tmp_path / n).stat().st_size <= 2000 for n in names)
    assert "line 00999" in (tmp_path / "packstation.log").read_text(encoding="utf-8")


def test_an_unwritable_log_dir_leaves_stderr_only(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = run_cli("config", "check", env={"PACKSTATION_LOG_DIR": str(blocker / "logs"),
                                        "PACKSTATION_CONFIG": str(tmp_path / "none.toml")})
    assert r.returncode == 0, r.stderr
    assert "cannot write the log" in r.stderr and "Traceback" not in r.stderr


def test_a_log_on_a_full_disk_is_said_once_not_a_traceback_a_line(tmp_path):
    """The log is on the station's disk: when it is full every line failed, and logging printed "--- Logging
    error ---" with two tracebacks to stderr for each (971 in a minute of scanning, into the journal, each scan paying
    for the stack). Now one line says the log cannot be written. (The log file here is /dev/full: every write to it
    fails with ENOSPC, as on a full disk.)"""
    import pytest

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "packstation.log").symlink_to("/dev/full")
    cfg = tmp_path / "st.toml"
    cfg.write_text(f'[station]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    r = run_cli("--config", str(cfg), "operators", "list", env=_env(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "Logging error" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    said = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(said) == 1 and said[0].startswith("packstation: cannot write the log ") and "No space left" in said[0]
