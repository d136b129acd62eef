"""`packstation doctor`: what a technician runs on a station that misbehaves. It checks the
configuration, the data and log folders, each device, each printer, the OMS (reachable, credentials,
clock offset) and prints every problem with what to do about it. Exit 0: nothing to fix; 1: problems.

Each check gives a `Finding` (ok / warn / fail, what was seen, the fix), both messages (app.i18n, devices.po):
the lines are printed in the station's language (settings.station.language), the closing verdict in English and
that language (Chinese beside an English station), and `--json` gives the English texts. Commands, paths and
configuration keys are the same in every language. Warnings (a simulated device, no configuration file yet) do
not fail the run; failures do.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.i18n import N_, Msg, bilingual, second_language, translate

CLOCK_LIMIT_MS = 5_000  # a station further off than this stamps steps at the wrong time of day
UDEV_FIX = Msg("install the udev rules: sudo cp deploy/udev/70-packstation.rules /etc/udev/rules.d/ && "
               "sudo udevadm control --reload && sudo udevadm trigger (then unplug and replug the device), "
               "or add the station user to the group that owns it")


@dataclass
class Finding:
    check: str  # config, data_dir, disk, database, log_dir, scanner, scale, camera, label_printer, slip_printer, oms, credentials, clock
    level: str  # ok | warn | fail
    message: Msg | str  # what was seen (a plain str: an error text as the system gave it, a command)
    fix_message: Msg | str = ""

    @property
    def what(self) -> str:
        return translate(self.message, "en")

    @property
    def fix(self) -> str:
        return translate(self.fix_message, "en") if self.fix_message else ""

    def text(self, language: str | None) -> str:
        return translate(self.message, language)

    def fix_text(self, language: str | None) -> str:
        return translate(self.fix_message, language) if self.fix_message else ""

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "level": self.level, "what": self.what, "fix": self.fix}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check configuration, devices, printers, OMS, credentials, clock; say what to fix",
                       description="Check the station and print what to fix. Exit code 0: nothing to fix, "
                                   "1: at least one problem.")
    p.add_argument("--json", action="store_true", help="one JSON object: {ok, findings: [...]}")
    p.add_argument("--timeout", type=_seconds, default=3.0, help="seconds per network check (default 3)")
    p.add_argument("--db-check-s", type=_seconds_or_0, default=60.0,
                   help="seconds the database's integrity check may take (default 60; 0: no limit)")
    p.set_defaults(func=_doctor)


def _seconds(text: str) -> float:
    """A time out above 0 (`--timeout -1` reached requests: 'ValueError: Invalid timeout (-1.0, -1.0)')."""
    import argparse
    import math

    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"{text}: give a number of seconds above 0")
    return v


def _seconds_or_0(text: str) -> float:
    """As `_seconds`, and 0 (no limit)."""
    return 0.0 if text.strip() in ("0", "0.0") else _seconds(text)


def _doctor(args) -> int:
    findings = run_checks(getattr(args, "config", None), timeout_s=args.timeout, db_check_s=args.db_check_s)
    failed = [f for f in findings if f.level == "fail"]
    if args.json:
        print(json.dumps({"ok": not failed, "findings": [f.to_dict() for f in findings]}, ensure_ascii=False))
    else:
        lang = _station_language(getattr(args, "config", None))
        marks = {"ok": "OK  ", "warn": "WARN", "fail": "FAIL"}
        for f in findings:
            print(f"{marks[f.level]} {f.check:13} {f.text(lang)}")
            if f.fix_message and f.level != "ok":
                fix = Msg("fix: {fix}", fix=f.fix_message)
                print(f"     {'':13} {fix.text(lang)}")
        verdict = (Msg("{count} problem(s) to fix", count=len(failed)) if failed else Msg("station ready"))
        print(bilingual(verdict, second_language(lang)))
    return 1 if failed else 0


def _station_language(config_path: str | None) -> str:
    """The station's language (English when the configuration cannot be read)."""
    from app.config import ConfigError, load

    try:
        return load(config_path).station.language or "en"
    except (ConfigError, OSError):
        return "en"


def run_checks(config_path: str | None, *, timeout_s: float = 3.0, db_check_s: float = 60.0) -> list[Finding]:
    from app.config import ConfigError, default_config_path, load

    out: list[Finding] = []
    try:
        settings = load(config_path)
    except ConfigError as exc:
        from pathlib import Path

        if config_path and not Path(config_path).exists():  # "correct that key in the file": there is no file
            fix = Msg("write it with packstation config init {path} (or name the station's file with --config), then "
                      "run packstation doctor again", path=str(config_path))
        else:
            fix = Msg("correct that key in the file (packstation config init NEW.toml writes every key with its "
                      "default), then run packstation doctor again")
        out.append(Finding("config", "fail", str(exc), fix))
        return out  # every other check reads the configuration
    if settings.source == "(defaults)":
        path = str(default_config_path())
        out.append(Finding("config", "warn", Msg("no configuration file at {path}; using the defaults", path=path),
                           Msg("packstation config init {path} and set the station id, OMS URL, devices and "
                               "printers", path=path)))
    else:
        out.append(Finding("config", "ok", Msg("{source} (station {station})", source=str(settings.source),
                                               station=settings.station.id)))
    out.append(_writable("data_dir", settings.data_dir, Msg("station database, print spool and caches")))
    out.append(_disk(settings.data_dir))
    out.append(_database(settings.db_path, db_check_s, station=settings.station.id))
    from app.logsetup import default_log_dir

    out.append(_writable("log_dir", default_log_dir(), "packstation.log"))
    out += _devices(settings)
    out += _printers(settings, timeout_s)
    out += _oms(settings, timeout_s)
    return out


# -- folders -----------------------------------------------------------------------------------------
def _writable(check: str, d: Path, what: Msg | str) -> Finding:
    try:
        d.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=d, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Finding(check, "fail", Msg("{path} cannot be written ({error})", path=str(d),
                                          error=exc.strerror or str(exc)),
                       Msg("give the station user write access: sudo chown -R $(id -un) {path}", path=str(d)))
    return Finding(check, "ok", Msg("{path} is writable ({what})", path=str(d), what=what))


def _disk(d: Path) -> Finding:
    from app.store import disk_low, disk_nearly_full, free_disk_mb, in_memory

    free = free_disk_mb(d)
    # before the tmpfs warning: a station on a full tmpfs read only "is on tmpfs", and a full disk was a warning like
    # 400 MB free, with exit code 0 before the kiosk's start
    if free is not None and disk_nearly_full(free):
        return Finding("disk", "fail", Msg("the disk of {path} is full ({mb} MB free): no scan can be recorded",
                                           mb=int(free), path=str(d)),
                       Msg("free space on that disk (old files, other programs' logs); never delete the station's "
                           "database"))
    if fs := in_memory(d):
        return Finding("disk", "warn", Msg("{path} is on {fs}, in memory: every event the OMS has not received yet is "
                                           "lost when the machine restarts", path=str(d), fs=fs),
                       Msg("set data_dir in the station's configuration to a folder on the disk (the default is "
                           "~/.local/share/packstation)"))
    if free is None:
        return Finding("disk", "warn", Msg("the free space of {path} cannot be read", path=str(d)))
    if disk_low(free):
        return Finding("disk", "warn", Msg("only {mb} MB free on the disk of {path}: a full disk stops every scan "
                                           "from being recorded", mb=int(free), path=str(d)),
                       Msg("free space on that disk (old files, other programs' logs); never delete the station's "
                           "database"))
    return Finding("disk", "ok", Msg("{gb} GB free on the disk of {path}", gb=f"{free / 1024:.1f}", path=str(d)))


def _database(db: Path, check_s: float = 60.0, station: str | None = None) -> Finding:
    """The station's database opens, its schema reads, its pages are whole (SQLite's quick_check) and the log of its
    last run is there. Read-only throughout: the doctor runs before every start and beside a running station, and a
    connection that can write copies the log into the file and deletes it when it closes last."""
    import sqlite3

    from app.store import (
        KV_LOG_LOST,
        last_event,
        log_lost,
        log_present,
        read_only_connection,
        session_marker,
        utc_text,
        wal_path,
    )

    if not db.exists():
        return Finding("database", "ok", Msg("{path} is created at the first start", path=str(db)))
    # it said "sqlite3 {path} .recover", printed "sqlite3 FILE.recover" (a space before a full stop is tidied away:
    # app.i18n), which copied from the screen made a new empty database of that name; and Debian 12's sqlite3 (3.40.1)
    # answers .recover with "SQL logic error" on every file. The steps that work are in the guide
    keep = Msg("keep the file (it may hold events the OMS has not received) and call a technician: docs/deploy.md, "
               "Repair")
    log_there = log_present(db)  # before this connection looks at it
    try:
        con = read_only_connection(db, timeout=2)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            damage = _quick_check(con, check_s)
            marker, lost = session_marker(con), session_marker(con, KV_LOG_LOST)
            seq, ts = last_event(con)
            others = _other_stations(con, station)
        finally:
            con.close()
    except sqlite3.Error as exc:
        return Finding("database", "fail", Msg("{path} cannot be read ({error})", path=str(db), error=str(exc)), keep)
    if damage is None:
        return Finding("database", "warn", Msg("{path}: the integrity check did not finish in {s} s (a large "
                                               "database on a slow disk)", path=str(db), s=f"{check_s:g}"),
                       Msg("run packstation doctor --db-check-s 0 while the station is stopped (no time limit)"))
    if damage:
        return Finding("database", "fail", Msg("{path} is damaged: SQLite's integrity check found {count} problem(s), "
                                               "first: {problem}", path=str(db), count=len(damage),
                                               problem=" ".join(damage[0].split())[:200]),
                       Msg("do not start the station on it: stop it (systemctl --user stop packstation), copy the "
                           "database with its -wal and -shm files somewhere safe and rescue what it holds into a new "
                           "file as docs/deploy.md (Repair) says"))
    from app.store import current_revision, known_revision

    rev = current_revision(db)
    if rev is not None and not known_revision(rev):  # a station rolled back after an upgrade cannot start on it
        return Finding("database", "fail", Msg("{path} was made by a newer release of packstation (schema {revision})",
                                               path=str(db), revision=rev),
                       Msg("start that release again, or restore a backup; keep the file (it may hold events the OMS "
                           "has not received)"))
    wal = wal_path(db).name
    if log_lost(marker, log_there):
        return Finding("database", "fail", Msg("{path}: the station was not closed properly and its write-ahead log "
                                               "{wal} is gone: the events it recorded after the last one in the "
                                               "database (#{seq}, {time} UTC) are lost unless the OMS has them",
                                               path=str(db), wal=wal, seq=seq if seq is not None else "-",
                                               time=utc_text(ts)),
                       Msg("if {wal} was moved or deleted, put it back beside the database (the same name) before "
                           "the station starts; if it is gone, tell the OMS team which station and since when: a "
                           "start goes on with what the file holds", wal=wal))
    if others:
        other, pending = others
        level = "fail" if pending else "warn"  # nothing of it waiting: only its numbering and history are another's
        return Finding("database", level, Msg("{path} holds the events of station {other} ({pending} not sent yet); "
                                              "this station is {station}: the OMS refuses them from this station",
                                              path=str(db), other=other, pending=pending, station=station),
                       Msg("a database copied from another station: put it back on that station and start this one on "
                           "an empty data folder; a station id changed in the configuration: change it back until "
                           "packstation sync-status shows the queue empty (docs/deploy.md, section 2)"))
    if lost:
        return Finding("database", "warn", Msg("{path} opens; at {detected} UTC the station started without the "
                                               "write-ahead log of its last run: the events recorded after #{seq} "
                                               "({time} UTC) that the OMS had not received were lost",
                                               path=str(db), detected=utc_text(lost.get("detected_ms")),
                                               seq=lost.get("last_seq") if lost.get("last_seq") is not None else "-",
                                               time=utc_text(lost.get("last_event_ms"))),
                       Msg("never delete the database's -wal and -shm files: they hold the latest events"))
    return Finding("database", "ok", Msg("{path} opens and is whole", path=str(db)))


def _other_stations(con, station: str | None) -> tuple[str, int] | None:
    """(another station's id, its events not sent yet) when the newest event, or one waiting to be sent, was recorded
    under another station id than the configured one: a database copied from another station, or a station id
    changed under a full queue. The OMS refuses an event whose station is not its token's, and they would all end
    quarantined. None when all is this station's (two index look-ups; the queue is counted only when it is not)."""
    import sqlite3

    if not station:
        return None
    try:
        # the queue goes out in seq order: its head is the first another station's event would hold up
        head = con.execute("SELECT station_id FROM events WHERE sync_state = 'pending' ORDER BY sync_state, seq "
                           "LIMIT 1").fetchone()
        last = con.execute("SELECT station_id FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        other = next((r[0] for r in (head, last) if r and r[0] != station), None)
        if other is None:
            return None
        pending = con.execute("SELECT count(*) FROM events WHERE sync_state = 'pending' AND station_id = ?",
                              (other,)).fetchone()[0]
    except sqlite3.Error:
        return None
    return other, pending


def _quick_check(con, check_s: float) -> list[str] | None:
    """SQLite's quick_check on `con`: [] when the file is whole, else its problems; None when it did not finish in
    `check_s` seconds (0: no limit). It reads every page: about 1 s for a million events with the file in memory,
    7 s from a cold disk."""
    import sqlite3
    import time

    if check_s > 0:
        deadline = time.monotonic() + check_s
        con.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    try:
        rows = [r[0] for r in con.execute("PRAGMA quick_check(20)").fetchall()]
    except sqlite3.OperationalError as exc:
        if "interrupt" in str(exc):
            return None
        raise
    finally:
        con.set_progress_handler(None, 0)
    return [] if rows == ["ok"] else rows


# -- devices -----------------------------------------------------------------------------------------
DEVICE_NAMES = {"evdev": N_("evdev scanner"), "serial": N_("serial scanner"), "scale": N_("serial scale"),
                "camera": N_("camera")}


def _device_node(check: str, path: str, what: Msg, *, write: bool = True, serial: bool = False) -> Finding:
    """The device file is there and may be opened; `serial`: it is a serial port (a terminal). A scale set to a
    file that is no port (/dev/null, a folder, a log file) was "can be opened", and the station then said
    "disconnected" all day."""
    if not path:
        return Finding(check, "fail", Msg("{what}: no device configured", what=what),
                       Msg("set devices.{check}.device in the configuration", check=check))
    p = Path(path)
    if not p.exists():
        return Finding(check, "fail", Msg("{what} {path} is not there (unplugged, or another name)", what=what,
                                          path=path),
                       Msg("plug it in; ls /dev/serial/by-id /dev/input/by-id shows the names; set "
                           "devices.{check}.device", check=check))
    mode = os.R_OK | (os.W_OK if write else 0)
    if not os.access(p, mode):
        return Finding(check, "fail", Msg("{what} {path} is there but this user may not open it", what=what,
                                          path=path), UDEV_FIX)
    if serial and (why := _not_a_port(p)):
        return Finding(check, "fail", Msg("{what} {path} is not a serial port ({error})", what=what, path=path,
                                          error=why),
                       Msg("set devices.{check}.device to the port it is plugged into: ls /dev/serial/by-id shows "
                           "them", check=check))
    return Finding(check, "ok", Msg("{what} {path} can be opened", what=what, path=path))


def _not_a_port(p: Path) -> str:
    """Why `p` is no serial port ("" when it is one): a terminal answers tcgetattr; opened without waiting for a
    carrier and without becoming the controlling terminal, and closed at once."""
    import termios

    try:
        fd = os.open(p, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        termios.tcgetattr(fd)
    except termios.error as exc:
        return exc.args[1] if len(exc.args) > 1 else str(exc)
    finally:
        os.close(fd)
    return ""


def _evdev_scanner(device: str) -> Finding:
    """An evdev scanner: the package (without it the key filter reads the scanner, ungrabbed) and the device, by
    path or by name (the configuration may name it: a name was "not there", whatever was plugged in)."""
    what = Msg(DEVICE_NAMES["evdev"])
    try:
        import evdev
    except ImportError:
        return Finding("scanner", "warn", Msg("{what}: the evdev package is not installed: the keyboard key filter "
                                              "reads the scanner instead (not grabbed)", what=what),
                       Msg("pip install 'packstation[evdev]'"))
    if not device or device.startswith("/dev/"):
        return _device_node("scanner", device, what, write=False)
    try:
        names = {evdev.InputDevice(p).name for p in evdev.list_devices()}
    except Exception as exc:
        return Finding("scanner", "fail", Msg("{what} {path}: the input devices cannot be listed ({error})",
                                              what=what, path=device, error=str(exc)), UDEV_FIX)
    if device not in names:
        return Finding("scanner", "fail", Msg("{what}: no input device is named {path}", what=what, path=device),
                       Msg("plug it in; python -m evdev.evtest lists the names (or set devices.scanner.device to "
                           "its /dev/input/by-id path)"))
    return Finding("scanner", "ok", Msg("{what} {path} is there", what=what, path=device))


def _devices(s) -> list[Finding]:
    d = s.devices
    out = []
    sc = d.scanner
    if sc.kind == "wedge":
        out.append(Finding("scanner", "ok", Msg("keyboard-wedge scanner: scan into the login field to test it")))
    elif sc.kind == "evdev":
        out.append(_evdev_scanner(sc.device))
    elif sc.kind == "serial":
        out.append(_device_node("scanner", sc.device, Msg(DEVICE_NAMES["serial"]), serial=True))
    elif sc.kind == "simulated":
        out.append(Finding("scanner", "warn", Msg("simulated scanner (demo only)"),
                           Msg("set devices.scanner.kind for a real station")))
    else:
        out.append(Finding("scanner", "warn", Msg("no scanner configured"),
                           Msg("set devices.scanner.kind (wedge, evdev, serial)")))
    sl = d.scale
    if sl.kind == "serial":
        out.append(_device_node("scale", sl.device, Msg(DEVICE_NAMES["scale"]), serial=True))
    elif sl.kind == "simulated":
        out.append(Finding("scale", "warn", Msg("simulated scale (demo only)"),
                           Msg('set devices.scale.kind = "serial" and its device')))
    elif "weigh" in s.workflow.steps:  # its weigh step cannot be done: no order would ever be finished
        out.append(Finding("scale", "fail", Msg("no scale configured, but the workflow weighs every parcel: no order "
                                                "can be finished"),
                           Msg('set devices.scale (kind = "serial" and its device), or take "weigh" out of '
                               "workflow.steps")))
    else:
        out.append(Finding("scale", "warn", Msg("no scale: parcels are not weighed"),
                           Msg("set devices.scale if the workflow weighs")))
    cam = d.camera
    if cam.kind == "opencv":
        dev = f"/dev/video{cam.device}" if cam.device.isdigit() else cam.device
        out.append(_device_node("camera", dev, Msg(DEVICE_NAMES["camera"])))
    elif cam.kind == "files":
        ok = Path(cam.device).exists()
        out.append(Finding("camera", "ok" if ok else "fail", Msg("camera images from {path}", path=cam.device),
                           "" if ok else Msg("set devices.camera.device to an existing folder or video file")))
    return out


# -- printers ----------------------------------------------------------------------------------------
def _printers(s, timeout_s: float) -> list[Finding]:
    from hardware.printing.connections import make_printer

    out = []
    seen: dict[str, str] = {}
    for name in ("label_printer", "slip_printer"):
        ps = getattr(s.devices, name)
        uri = ps.uri
        if uri in seen and not uri.startswith(("none:", "simulated:")):
            out.append(Finding(name, "ok", Msg("{uri}: same printer as the {other}", uri=uri, other=seen[uri])))
            continue
        seen[uri] = name
        if uri.startswith("none:"):
            out.append(Finding(name, "warn", Msg("no printer configured"), Msg("set devices.{name}.uri", name=name)))
            continue
        try:
            p = make_printer(ps, data_dir=s.data_dir)
        except ValueError as exc:
            out.append(Finding(name, "fail", str(exc),
                               Msg("set devices.{name}.uri to tcp://, usb://, serial://, cups://...", name=name)))
            continue
        try:
            st = p.status(timeout_s=min(timeout_s, 3.0))
        except Exception as exc:  # a driver that cannot even ask
            st = None
            why = f"{type(exc).__name__}: {exc}"
        finally:
            try:
                p.close()
            except Exception:
                pass
        if st is not None and st.ok:
            level = "warn" if uri.startswith("simulated:") or st.state != "ready" else "ok"
            fix = Msg("set a real printer URI for a station") if uri.startswith("simulated:") else (
                "" if st.state == "ready" else st.detail)
            out.append(Finding(name, level, Msg("{uri}: {state} ({detail})", uri=uri, state=st.state,
                                                detail=st.detail), fix))
            continue
        detail = st.detail if st is not None else why
        out.append(Finding(name, "fail", Msg("{uri}: {state} ({detail})", uri=uri, state=st.state if st else "error",
                                             detail=detail), _printer_fix(uri, st)))
    return out


def _printer_fix(uri: str, st) -> Msg:
    state = getattr(st, "state", "")
    if state == "paper_out":
        return Msg("load paper, then packstation print-test")
    if state == "cover_open":
        return Msg("close the printer cover, then packstation print-test")
    if uri.startswith("tcp://"):
        return Msg("switch the printer on and check its network cable; it must answer at {address} (printer "
                   "self-test page shows its IP); then packstation print-test", address=uri[6:])
    if uri.startswith("usb://"):
        return Msg("plug the printer in and switch it on; if it is on: {udev}", udev=UDEV_FIX)
    if uri.startswith("serial://"):
        return Msg("check the cable and power; if it is on: {udev}", udev=UDEV_FIX)
    if uri.startswith("cups://"):
        return Msg("check the queue with lpstat -p; enable it with cupsenable QUEUE")
    return Msg("check the printer, then packstation print-test")


# -- OMS ---------------------------------------------------------------------------------------------
def _oms(s, timeout_s: float) -> list[Finding]:
    from sync.client import API, OmsAuthError, OmsClient, OmsError
    from sync.outbox import estimate_offset

    o = s.oms
    out: list[Finding] = []
    token, cred = _token(o.token_file)
    where = cred.message if cred is not None else Msg("no token")
    client = OmsClient(o.url, token=token, connect_timeout_s=min(o.connect_timeout_s, timeout_s),
                       read_timeout_s=min(o.read_timeout_s, timeout_s), ca_bundle=o.ca_bundle, max_retries=0)
    try:
        try:
            t0, srv, t1 = client.server_time()
        except OmsAuthError as exc:  # the OMS is there, and it wants this station's own token
            issue = (Msg("ask the OMS administrator for this station's token ({station}): packstation oms-server "
                         "token issue --station {station} --out {file}; chmod 600 it", station=s.station.id,
                         file=o.token_file) if o.token_file else
                     Msg("ask the OMS administrator for this station's token ({station}): packstation oms-server "
                         "token issue --station {station} --out FILE; chmod 600 it and set oms.token_file to that "
                         "file", station=s.station.id))
            out.append(Finding("oms", "ok", Msg("OMS at {url} answers", url=o.url)))
            out.append(Finding("credentials", "fail", Msg("OMS refused the station ({where}): {error}", where=where,
                                                          error=str(exc)), issue))
            out.append(Finding("clock", "warn", Msg("clock offset not checked: the OMS answers only a known station"),
                               Msg("fix the credentials, then run packstation doctor again")))
            return out
        except OmsError as exc:
            probe = f"{o.url}{API}/time"
            out.append(Finding("oms", "fail", Msg("OMS at {url} does not answer: {error}", url=o.url, error=str(exc)),
                               Msg("check the network and oms.url; curl {probe} must answer; the station keeps "
                                   "working offline meanwhile", probe=probe)))
            if cred is not None:
                out.append(cred)
            return out
        rtt = t1 - t0
        out.append(Finding("oms", "ok", Msg("OMS at {url} answers ({ms} ms)", url=o.url, ms=rtt)))
        off = estimate_offset(t0, srv, t1)
        if abs(off) > CLOCK_LIMIT_MS:
            seconds = f"{abs(off) / 1000:.1f}"
            what = (Msg("station clock is {seconds} s behind the OMS", seconds=seconds) if off > 0 else
                    Msg("station clock is {seconds} s ahead of the OMS", seconds=seconds))
            out.append(Finding("clock", "fail", what,
                               Msg("turn on time sync: sudo timedatectl set-ntp true (check: timedatectl status); "
                                   "if the OMS clock is the wrong one, tell its administrator")))
        else:
            out.append(Finding("clock", "ok", Msg("station clock within {ms} ms of the OMS", ms=abs(off))))
        if cred is not None and cred.level == "fail":
            out.append(cred)
            return out
        try:
            r = client.request("GET", f"{API}/picklists", params={"station_id": s.station.id, "limit": 1},
                               expect=(200, 401, 403))
        except OmsError as exc:
            out.append(Finding("credentials", "fail",
                               Msg("cannot ask the OMS with this station's token: {error}", error=str(exc)),
                               Msg("run packstation doctor again when the OMS answers")))
            return out
        if r.status_code in (401, 403):
            fix = (Msg("ask the OMS administrator for this station's token ({station}), write it to {file} and "
                       "chmod 600 {file}", station=s.station.id, file=o.token_file) if o.token_file else
                   Msg("the OMS wants a token: write it to a file, chmod 600 it, set oms.token_file to that file"))
            out.append(Finding("credentials", "fail", Msg("OMS refused the station ({where}): HTTP {status}",
                                                          where=where, status=r.status_code), fix))
        else:
            out.append(Finding("credentials", "ok", Msg("OMS accepts the station ({where})", where=where)))
    finally:
        client.close()
    return out


def _token(token_file: str) -> tuple[str | None, Finding | None]:
    """(token, finding about the token file). No file configured: the keyring, if any."""
    if not token_file:
        try:
            from sync.client import read_token

            tok = read_token("")
        except Exception:
            tok = None
        return tok, (Finding("credentials", "ok", Msg("token from the OS keyring")) if tok else None)
    p = Path(token_file).expanduser()
    write_it = Msg("write the station token to {path} and run: chmod 600 {path}", path=str(p))
    try:
        st = p.stat()
    except OSError as exc:
        return None, Finding("credentials", "fail", Msg("token file {path} cannot be read ({error})", path=str(p),
                                                        error=exc.strerror or str(exc)), write_it)
    if stat.S_IMODE(st.st_mode) & (stat.S_IRWXG | stat.S_IRWXO):
        mode = format(stat.S_IMODE(st.st_mode), "o")
        return None, Finding("credentials", "fail",
                             Msg("token file {path} is readable by other users (mode {mode})", path=str(p), mode=mode),
                             f"chmod 600 {p}")  # a command: the same in every language
    try:
        tok = p.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return None, Finding("credentials", "fail", Msg("token file {path} cannot be read ({error})", path=str(p),
                                                        error=str(exc)), write_it)
    if not tok:
        return None, Finding("credentials", "fail", Msg("token file {path} is empty", path=str(p)), write_it)
    return tok, Finding("credentials", "ok", Msg("token file {path} (mode 600)", path=str(p)))
