"""`packstation doctor` against the demo set-up (reference OMS on loopback, simulated scale, a network
printer answering on loopback) and against broken ones: the printer unplugged, the OMS down, the clock
wrong, bad credentials. Each problem is named with its fix, and the exit code says whether to act."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from app.store import filesystem_of
from tests.conftest import run_cli
from tests.printer_listener import PrinterListener


@pytest.fixture(scope="module")
def oms(tmp_path_factory):
    from sync.oms_server import serve_in_thread

    srv = serve_in_thread(tmp_path_factory.mktemp("oms") / "oms.sqlite3", seed="demo")
    yield srv
    srv.stop()


@pytest.fixture
def printer():
    lst = PrinterListener()
    yield lst
    lst.close()


class StubOms:
    """A real HTTP server on loopback speaking the two calls doctor makes: GET /time (with a clock
    `offset_ms` off) and GET /picklists (401 unless the bearer token is `token`)."""

    def __init__(self, *, offset_ms: int = 0, token: str | None = None) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                now = time.time_ns() // 1_000_000
                if self.path.startswith("/api/v1/time"):
                    return self._reply(200, {"server_time_ms": now + stub.offset_ms})
                if self.path.startswith("/api/v1/picklists"):
                    if stub.token and self.headers.get("Authorization") != f"Bearer {stub.token}":
                        return self._reply(401, {"error": "unauthorized"})
                    return self._reply(200, {"items": [], "next_cursor": None, "server_time_ms": now})
                return self._reply(404, {"error": "not found"})

            def _reply(self, status, body):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *a):
                pass

        self.offset_ms = offset_ms
        self.token = token
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _config(tmp_path, *, oms_url: str, label: str, slip: str = "", token_file: str = "") -> str:
    cfg = tmp_path / "station.toml"
    cfg.write_text(
        f'[station]\nid = "ST-01"\ndata_dir = "{tmp_path / "data"}"\n'
        f'[oms]\nurl = "{oms_url}"\ntoken_file = "{token_file}"\nconnect_timeout_s = 1.0\nread_timeout_s = 2.0\n'
        f'[devices.scale]\nkind = "simulated"\n'
        f'[devices.label_printer]\nuri = "{label}"\n'
        f'[devices.slip_printer]\nuri = "{slip or "simulated:" + str(tmp_path / "printed")}"\n',
        encoding="utf-8")
    return str(cfg)


def _checks(cfg, monkeypatch, tmp_path):
    from packstation.doctor import run_checks

    monkeypatch.setenv("PACKSTATION_LOG_DIR", str(tmp_path / "logs"))
    return {f.check: f for f in run_checks(cfg, timeout_s=2.0)}


def test_demo_setup_is_ready(tmp_path, oms, printer):
    token = oms.write_token_file("ST-01", tmp_path / "oms-token")  # as the demo does for its own station
    cfg = _config(tmp_path, oms_url=oms.url, label=printer.uri, token_file=str(token))
    r = run_cli("--config", cfg, "doctor", env={"PACKSTATION_LOG_DIR": str(tmp_path / "logs")})
    assert r.returncode == 0, r.stdout + r.stderr
    lines = {ln.split()[1]: ln.split()[0] for ln in r.stdout.splitlines() if ln[:4] in ("OK  ", "WARN", "FAIL")}
    assert lines["config"] == lines["oms"] == lines["clock"] == lines["label_printer"] == lines["data_dir"] == "OK"
    assert lines["scale"] == "WARN"  # simulated: fine for the demo, said for a real station
    assert "FAIL" not in r.stdout and "station ready" in r.stdout
    assert (tmp_path / "logs" / "packstation.log").read_text(encoding="utf-8").count("doctor") >= 2


def test_printer_unplugged_is_named_with_its_fix(tmp_path, oms, printer, monkeypatch):
    printer.power_off()  # nothing listens on its port any more
    cfg = _config(tmp_path, oms_url=oms.url, label=printer.uri)
    r = run_cli("--config", cfg, "doctor", env={"PACKSTATION_LOG_DIR": str(tmp_path / "logs")})
    assert r.returncode == 1
    out = r.stdout.splitlines()
    i = next(i for i, ln in enumerate(out) if ln.startswith("FAIL label_printer"))
    assert printer.uri in out[i]
    assert "fix:" in out[i + 1] and "switch the printer on" in out[i + 1] and f"127.0.0.1:{printer.port}" in out[i + 1]
    assert "Traceback" not in r.stderr


def test_a_chinese_station_reads_the_findings_in_chinese_and_json_stays_english(tmp_path, oms, printer):
    printer.mode = "paper_out"
    cfg = _config(tmp_path, oms_url=oms.url, label=printer.uri)
    text = open(cfg, encoding="utf-8").read().replace('id = "ST-01"', 'id = "ST-01"\nlanguage = "zh_CN"')
    open(cfg, "w", encoding="utf-8").write(text)
    env = {"PACKSTATION_LOG_DIR": str(tmp_path / "logs")}
    r = run_cli("--config", cfg, "doctor", env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout.splitlines()
    i = next(i for i, ln in enumerate(out) if ln.startswith("FAIL label_printer"))
    # the printer's own status and the fix in the station's language; URIs and commands as they are
    assert printer.uri in out[i] and "打印机缺纸" in out[i] and "paper_out" in out[i]
    assert "处理：" in out[i + 1] and "装纸" in out[i + 1] and "packstation print-test" in out[i + 1]
    assert any(ln.startswith("WARN scale") and "模拟电子秤" in ln for ln in out)
    assert "problem(s) to fix" in out[-1] and "个问题" in out[-1]  # the verdict in both
    doc = json.loads(run_cli("--config", cfg, "doctor", "--json", env=env).stdout)
    lp = next(f for f in doc["findings"] if f["check"] == "label_printer")
    assert "out of paper" in lp["what"] and lp["fix"] == "load paper, then packstation print-test"


def test_printer_out_of_paper_says_load_paper(tmp_path, oms, printer, monkeypatch):
    printer.mode = "paper_out"
    f = _checks(_config(tmp_path, oms_url=oms.url, label=printer.uri), monkeypatch, tmp_path)
    assert f["label_printer"].level == "fail" and "load paper" in f["label_printer"].fix


@pytest.mark.skipif(filesystem_of("/dev/shm") != "tmpfs", reason="no tmpfs at /dev/shm on this machine")
def test_a_data_dir_in_memory_is_named_with_its_fix(tmp_path, printer, monkeypatch):
    """A data_dir on tmpfs (/dev/shm, or /tmp on Debian 13) opens, writes and commits like a disk; the event log
    and the outbox are gone at the next restart, with every event the OMS had not received."""
    import shutil
    import uuid

    ram = Path("/dev/shm") / f"packstation-doctor-{uuid.uuid4().hex}"
    cfg = _config(tmp_path, oms_url=f"http://127.0.0.1:{_closed_port()}", label=printer.uri)
    Path(cfg).write_text(Path(cfg).read_text(encoding="utf-8").replace(str(tmp_path / "data"), str(ram)),
                         encoding="utf-8")
    try:
        f = _checks(cfg, monkeypatch, tmp_path)
    finally:
        shutil.rmtree(ram, ignore_errors=True)
    assert f["disk"].level == "warn" and str(ram) in f["disk"].what and "tmpfs" in f["disk"].what
    assert "lost when the machine restarts" in f["disk"].what and "data_dir" in f["disk"].fix
    assert f["data_dir"].level == "ok"  # writable: only the disk check can tell
    if filesystem_of(tmp_path) not in ("tmpfs", "ramfs"):
        f = _checks(_config(tmp_path, oms_url=f"http://127.0.0.1:{_closed_port()}", label=printer.uri),
                    monkeypatch, tmp_path)
        assert "in memory" not in f["disk"].what


def test_oms_down_is_named_with_its_fix(tmp_path, printer, monkeypatch):
    url = f"http://127.0.0.1:{_closed_port()}"
    f = _checks(_config(tmp_path, oms_url=url, label=printer.uri), monkeypatch, tmp_path)
    assert f["oms"].level == "fail" and url in f["oms"].what
    assert "oms.url" in f["oms"].fix and f"curl {url}/api/v1/time" in f["oms"].fix
    assert f["label_printer"].level == "ok"  # the rest is still checked


def test_wrong_clock_is_named_with_its_fix(tmp_path, printer, monkeypatch):
    stub = StubOms(offset_ms=3_600_000)  # the OMS is an hour ahead: our clock is behind
    try:
        f = _checks(_config(tmp_path, oms_url=stub.url, label=printer.uri), monkeypatch, tmp_path)
    finally:
        stub.close()
    assert f["oms"].level == "ok"
    assert f["clock"].level == "fail" and "3600." in f["clock"].what and "behind" in f["clock"].what
    assert "timedatectl set-ntp true" in f["clock"].fix


def test_clock_within_limits_passes(tmp_path, printer, monkeypatch):
    stub = StubOms(offset_ms=800)
    try:
        f = _checks(_config(tmp_path, oms_url=stub.url, label=printer.uri), monkeypatch, tmp_path)
    finally:
        stub.close()
    assert f["clock"].level == "ok"


def _token_file(tmp_path, text: str, mode: int = 0o600):
    p = tmp_path / "oms.token"
    p.write_text(text + "\n", encoding="utf-8")
    p.chmod(mode)
    return p


def test_good_token_is_accepted(tmp_path, printer, monkeypatch):
    stub = StubOms(token="s3cret-ST-01")
    tok = _token_file(tmp_path, "s3cret-ST-01")
    try:
        f = _checks(_config(tmp_path, oms_url=stub.url, label=printer.uri, token_file=str(tok)), monkeypatch, tmp_path)
    finally:
        stub.close()
    assert f["credentials"].level == "ok" and str(tok) in f["credentials"].what


def test_bad_credentials_are_named_with_their_fix(tmp_path, printer, monkeypatch):
    stub = StubOms(token="s3cret-ST-01")
    tok = _token_file(tmp_path, "an-old-token")
    try:
        cfg = _config(tmp_path, oms_url=stub.url, label=printer.uri, token_file=str(tok))
        r = run_cli("--config", cfg, "doctor", "--json", env={"PACKSTATION_LOG_DIR": str(tmp_path / "logs")})
    finally:
        stub.close()
    assert r.returncode == 1, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    cred = next(f for f in doc["findings"] if f["check"] == "credentials")
    assert cred["level"] == "fail" and "HTTP 401" in cred["what"]
    assert f"write it to {tok}" in cred["fix"] and "ST-01" in cred["fix"]
    assert "an-old-token" not in r.stdout + r.stderr  # never the token itself
    assert not doc["ok"]


def test_no_token_where_the_oms_wants_one(tmp_path, printer, monkeypatch):
    stub = StubOms(token="s3cret-ST-01")
    try:
        f = _checks(_config(tmp_path, oms_url=stub.url, label=printer.uri), monkeypatch, tmp_path)
    finally:
        stub.close()
    assert f["credentials"].level == "fail" and "oms.token_file" in f["credentials"].fix


def test_token_file_readable_by_others_or_missing(tmp_path, printer, monkeypatch):
    stub = StubOms(token="s3cret-ST-01")
    tok = _token_file(tmp_path, "s3cret-ST-01", mode=0o644)
    try:
        f = _checks(_config(tmp_path, oms_url=stub.url, label=printer.uri, token_file=str(tok)), monkeypatch, tmp_path)
        assert f["credentials"].level == "fail" and f["credentials"].fix == f"chmod 600 {tok}"
        gone = tmp_path / "missing.token"
        f = _checks(_config(tmp_path, oms_url=stub.url, label=printer.uri, token_file=str(gone)), monkeypatch, tmp_path)
        assert f["credentials"].level == "fail" and f"chmod 600 {gone}" in f["credentials"].fix
    finally:
        stub.close()


def test_bad_configuration_is_named_with_its_key(tmp_path):
    cfg = tmp_path / "station.toml"
    cfg.write_text('[devices.scale]\nkind = "usb"\n', encoding="utf-8")
    r = run_cli("--config", str(cfg), "doctor", env={"PACKSTATION_LOG_DIR": str(tmp_path / "logs")})
    assert r.returncode == 1
    assert r.stdout.startswith("FAIL config") and "devices.scale.kind" in r.stdout and "fix:" in r.stdout


def test_a_configuration_file_that_is_not_there_is_to_be_written_not_corrected(tmp_path):
    """`doctor --config` naming a file that is not there said "fix: correct that key in the file"."""
    cfg = tmp_path / "station.toml"
    r = run_cli("--config", str(cfg), "doctor", env={"PACKSTATION_LOG_DIR": str(tmp_path / "logs")})
    assert r.returncode == 1 and "file not found" in r.stdout, r.stdout
    assert f"fix: write it with packstation config init {cfg}" in r.stdout and "correct that key" not in r.stdout


@pytest.mark.parametrize("value", ["-1", "0", "nan", "abc"])
def test_a_timeout_that_cannot_be_is_refused_by_the_command_line(tmp_path, value):
    r = run_cli("doctor", "--timeout", value, env={"PACKSTATION_LOG_DIR": str(tmp_path / "logs")})
    assert r.returncode == 2 and "argument --timeout" in r.stderr and "ValueError" not in r.stderr, r.stderr


def test_serial_scale_that_is_not_there(tmp_path, oms, printer, monkeypatch):
    cfg = _config(tmp_path, oms_url=oms.url, label=printer.uri)
    # the same station, now with a real scale configured on a port that does not exist
    text = open(cfg, encoding="utf-8").read().replace('[devices.scale]\nkind = "simulated"',
                                                       f'[devices.scale]\nkind = "serial"\ndevice = "{tmp_path}/ttyUSB9"')
    open(cfg, "w", encoding="utf-8").write(text)
    f = _checks(cfg, monkeypatch, tmp_path)
    assert f["scale"].level == "fail" and "not there" in f["scale"].what and "devices.scale.device" in f["scale"].fix


def test_a_scale_set_to_a_file_that_is_no_serial_port_fails_and_a_real_port_passes(tmp_path, oms, printer,
                                                                                    monkeypatch):
    """/dev/null (or a log file, a folder) "can be opened": doctor said OK and the station said "disconnected" all
    day. A serial port is a terminal: a pseudo-terminal passes, /dev/null does not."""
    import pty

    cfg = _config(tmp_path, oms_url=oms.url, label=printer.uri)
    base = open(cfg, encoding="utf-8").read()

    def scale_at(device: str):
        open(cfg, "w", encoding="utf-8").write(base.replace(
            '[devices.scale]\nkind = "simulated"', f'[devices.scale]\nkind = "serial"\ndevice = "{device}"'))
        return _checks(cfg, monkeypatch, tmp_path)["scale"]

    f = scale_at("/dev/null")
    assert f.level == "fail" and "is not a serial port" in f.what and "/dev/serial/by-id" in f.fix
    master, slave = pty.openpty()
    try:
        f = scale_at(os.ttyname(slave))
        assert f.level == "ok" and "can be opened" in f.what
    finally:
        os.close(master)
        os.close(slave)


def test_an_evdev_scanner_named_in_the_configuration_is_looked_up_by_name(tmp_path, oms, printer, monkeypatch):
    """devices.scanner.device may be the input device's name (docs/devices.md): doctor looked for a file of that name
    and failed "not there" with the scanner plugged in. Without the evdev package it says the key filter reads it."""
    import sys
    import types

    cfg = _config(tmp_path, oms_url=oms.url, label=printer.uri)
    open(cfg, "a", encoding="utf-8").write('[devices.scanner]\nkind = "evdev"\ndevice = "Honeywell Scanner"\n')
    monkeypatch.setitem(sys.modules, "evdev", None)  # not installed
    f = _checks(cfg, monkeypatch, tmp_path)["scanner"]
    assert f.level == "warn" and "key filter" in f.what and "packstation[evdev]" in f.fix
    plugged = ["Honeywell Scanner"]
    fake = types.SimpleNamespace(list_devices=lambda: [f"/dev/input/event{i}" for i in range(len(plugged))],
                                 InputDevice=lambda p: types.SimpleNamespace(name=plugged[int(p[-1])]))
    monkeypatch.setitem(sys.modules, "evdev", fake)  # python-evdev's list_devices and InputDevice(path).name
    f = _checks(cfg, monkeypatch, tmp_path)["scanner"]
    assert f.level == "ok" and "Honeywell Scanner" in f.what
    plugged[0] = "AT Translated Set 2 keyboard"  # the scanner unplugged: only the keyboard is there
    f = _checks(cfg, monkeypatch, tmp_path)["scanner"]
    assert f.level == "fail" and "no input device is named Honeywell Scanner" in f.what and "evtest" in f.fix


def test_no_scale_at_a_station_whose_workflow_weighs_is_a_failure_not_a_warning(tmp_path, oms, printer, monkeypatch):
    """kind = "none" with the default steps (weigh among them): doctor said WARN "parcels are not weighed", the
    station started, and every order stopped at its weigh step for good (F8 needs a scale, F11 a recorded weight)."""
    cfg = _config(tmp_path, oms_url=oms.url, label=printer.uri)
    text = open(cfg, encoding="utf-8").read().replace('[devices.scale]\nkind = "simulated"',
                                                       '[devices.scale]\nkind = "none"')
    open(cfg, "w", encoding="utf-8").write(text)
    f = _checks(cfg, monkeypatch, tmp_path)["scale"]
    assert f.level == "fail" and "no order can be finished" in f.what and "workflow.steps" in f.fix
    open(cfg, "a", encoding="utf-8").write('[workflow]\nsteps = ["pick", "verify", "pack", "label"]\n')
    f = _checks(cfg, monkeypatch, tmp_path)["scale"]
    assert f.level == "warn" and f.what == "no scale: parcels are not weighed"  # nothing is weighed: said, no fault


def test_the_reference_oms_without_this_stations_token_is_a_credentials_fix(tmp_path, oms, printer, monkeypatch):
    # the reference OMS answers nothing, not even its time, to an unknown station: doctor names the token
    f = _checks(_config(tmp_path, oms_url=oms.url, label=printer.uri), monkeypatch, tmp_path)
    assert f["oms"].level == "ok"
    assert f["credentials"].level == "fail" and "token issue --station ST-01" in f["credentials"].fix
    assert f["clock"].level == "warn"


def test_an_unreadable_database_fails_with_its_fix_and_the_disk_is_read(tmp_path, printer, monkeypatch):
    """The station cannot start on a file that is not a database: the doctor (run before every start) names it, and
    says to keep it; the disk's free space is read (a full disk stops every scan from being recorded)."""
    import app.store

    cfg = _config(tmp_path, oms_url=f"http://127.0.0.1:{_closed_port()}", label=printer.uri)
    monkeypatch.setattr(app.store, "LOW_DISK_MB", 0)  # whatever this machine's disk holds
    c = _checks(cfg, monkeypatch, tmp_path)
    assert c["database"].level == "ok" and c["disk"].level == "ok" and " GB free on the disk of " in c["disk"].what
    monkeypatch.setattr(app.store, "LOW_DISK_MB", 10**9)  # and below the line: a warning with its fix
    d = _checks(cfg, monkeypatch, tmp_path)["disk"]
    assert d.level == "warn" and "MB free on the disk of" in d.what and "never delete" in d.fix
    # a full disk (here: below a raised line) is a failure, exit code 1 before the kiosk starts: it was the same
    # warning as 400 MB free, and on a full tmpfs only "is on tmpfs" was said
    monkeypatch.setattr(app.store, "DISK_FULL_MB", 10**9)
    d = _checks(cfg, monkeypatch, tmp_path)["disk"]
    assert d.level == "fail" and " is full (" in d.what and "no scan can be recorded" in d.what
    assert "never delete" in d.fix
    monkeypatch.setattr(app.store, "DISK_FULL_MB", 20)
    (tmp_path / "data" / "station.sqlite3").write_bytes(b"garbage " * 2000)
    c = _checks(cfg, monkeypatch, tmp_path)
    assert c["database"].level == "fail" and "file is not a database" in c["database"].what
    assert c["database"].fix.startswith("keep the file") and "docs/deploy.md, Repair" in c["database"].fix
