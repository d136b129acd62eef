"""`packstation doctor`: what a technician runs on a station that misbehaves. It checks the
configuration, the data and log folders, each device, each printer, the OMS (reachable, credentials,
clock offset) and prints every problem with what to do about it. Exit 0: nothing to fix; 1: problems.

Each check gives a `Finding` (ok / warn / fail, what was seen, the fix). Warnings (a simulated device,
no configuration file yet) do not fail the run; failures do. Findings are for the technician and stay in English
(commands, paths and keys to set); the closing verdict is said in English and in the station's language (Chinese
when the station is English), both from the same message (app.i18n, devices.po).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from app.i18n import Msg

CLOCK_LIMIT_MS = 5_000  # a station further off than this stamps steps at the wrong time of day
UDEV_FIX = ("install the udev rules: sudo cp deploy/udev/70-packstation.rules /etc/udev/rules.d/ && "
            "sudo udevadm control --reload && sudo udevadm trigger (then unplug and replug the device), "
            "or add the station user to the group that owns it")


@dataclass
class Finding:
    check: str  # config, data_dir, log_dir, scanner, scale, camera, label_printer, slip_printer, oms, credentials, clock
    level: str  # ok | warn | fail
    what: str
    fix: str = ""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check configuration, devices, printers, OMS, credentials, clock; say what to fix",
                       description="Check the station and print what to fix. Exit code 0: nothing to fix, "
                                   "1: at least one problem.")
    p.add_argument("--json", action="store_true", help="one JSON object: {ok, findings: [...]}")
    p.add_argument("--timeout", type=float, default=3.0, help="seconds per network check (default 3)")
    p.set_defaults(func=_doctor)


def _doctor(args) -> int:
    findings = run_checks(getattr(args, "config", None), timeout_s=args.timeout)
    failed = [f for f in findings if f.level == "fail"]
    if args.json:
        print(json.dumps({"ok": not failed, "findings": [asdict(f) for f in findings]}, ensure_ascii=False))
    else:
        marks = {"ok": "OK  ", "warn": "WARN", "fail": "FAIL"}
        for f in findings:
            print(f"{marks[f.level]} {f.check:13} {f.what}")
            if f.fix and f.level != "ok":
                print(f"     {'':13} fix: {f.fix}")
        verdict = (Msg("{count} problem(s) to fix", count=len(failed)) if failed else Msg("station ready"))
        other = verdict.text(_second_language(getattr(args, "config", None)))
        print(verdict.en + (f" / {other}" if other != verdict.en else ""))
    return 1 if failed else 0


def _second_language(config_path: str | None) -> str:
    """The station's language for the verdict line; Chinese beside English on an English (or unreadable) station."""
    from app.config import ConfigError, load

    try:
        lang = load(config_path).station.language or "en"
    except (ConfigError, OSError):
        lang = "en"
    return "zh_CN" if lang.startswith("en") else lang


def run_checks(config_path: str | None, *, timeout_s: float = 3.0) -> list[Finding]:
    from app.config import ConfigError, default_config_path, load

    out: list[Finding] = []
    try:
        settings = load(config_path)
    except ConfigError as exc:
        out.append(Finding("config", "fail", str(exc),
                           "correct that key in the file (packstation config init NEW.toml writes every key with "
                           "its default), then run packstation doctor again"))
        return out  # every other check reads the configuration
    if settings.source == "(defaults)":
        out.append(Finding("config", "warn", f"no configuration file at {default_config_path()}; using the defaults",
                           f"packstation config init {default_config_path()} and set the station id, OMS URL, "
                           "devices and printers"))
    else:
        out.append(Finding("config", "ok", f"{settings.source} (station {settings.station.id})"))
    out.append(_writable("data_dir", settings.data_dir, "station database, print spool and caches"))
    from app.logsetup import default_log_dir

    out.append(_writable("log_dir", default_log_dir(), "packstation.log"))
    out += _devices(settings)
    out += _printers(settings, timeout_s)
    out += _oms(settings, timeout_s)
    return out


# -- folders -----------------------------------------------------------------------------------------
def _writable(check: str, d: Path, what: str) -> Finding:
    try:
        d.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=d, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Finding(check, "fail", f"{d} cannot be written ({exc.strerror or exc})",
                       f"give the station user write access: sudo chown -R $(id -un) {d}")
    return Finding(check, "ok", f"{d} is writable ({what})")


# -- devices -----------------------------------------------------------------------------------------
def _device_node(check: str, path: str, what: str, *, write: bool = True) -> Finding:
    if not path:
        return Finding(check, "fail", f"{what}: no device configured", f"set devices.{check}.device in the configuration")
    p = Path(path)
    if not p.exists():
        return Finding(check, "fail", f"{what} {path} is not there (unplugged, or another name)",
                       f"plug it in; ls /dev/serial/by-id /dev/input/by-id shows the names; set devices.{check}.device")
    mode = os.R_OK | (os.W_OK if write else 0)
    if not os.access(p, mode):
        return Finding(check, "fail", f"{what} {path} is there but this user may not open it", UDEV_FIX)
    return Finding(check, "ok", f"{what} {path} can be opened")


def _devices(s) -> list[Finding]:
    d = s.devices
    out = []
    sc = d.scanner
    if sc.kind == "wedge":
        out.append(Finding("scanner", "ok", "keyboard-wedge scanner: scan into the login field to test it"))
    elif sc.kind == "evdev":
        out.append(_device_node("scanner", sc.device, "evdev scanner", write=False))
    elif sc.kind == "serial":
        out.append(_device_node("scanner", sc.device, "serial scanner"))
    elif sc.kind == "simulated":
        out.append(Finding("scanner", "warn", "simulated scanner (demo only)", "set devices.scanner.kind for a real station"))
    else:
        out.append(Finding("scanner", "warn", "no scanner configured", "set devices.scanner.kind (wedge, evdev, serial)"))
    sl = d.scale
    if sl.kind == "serial":
        out.append(_device_node("scale", sl.device, "serial scale"))
    elif sl.kind == "simulated":
        out.append(Finding("scale", "warn", "simulated scale (demo only)", "set devices.scale.kind = \"serial\" and its device"))
    else:
        out.append(Finding("scale", "warn", "no scale: parcels are not weighed", "set devices.scale if the workflow weighs"))
    cam = d.camera
    if cam.kind == "opencv":
        dev = f"/dev/video{cam.device}" if cam.device.isdigit() else cam.device
        out.append(_device_node("camera", dev, "camera"))
    elif cam.kind == "files":
        ok = Path(cam.device).exists()
        out.append(Finding("camera", "ok" if ok else "fail", f"camera images from {cam.device}",
                           "" if ok else "set devices.camera.device to an existing folder or video file"))
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
            out.append(Finding(name, "ok", f"{uri}: same printer as the {seen[uri]}"))
            continue
        seen[uri] = name
        if uri.startswith("none:"):
            out.append(Finding(name, "warn", "no printer configured", f"set devices.{name}.uri"))
            continue
        try:
            p = make_printer(ps, data_dir=s.data_dir)
        except ValueError as exc:
            out.append(Finding(name, "fail", str(exc), f"set devices.{name}.uri to tcp://, usb://, serial://, cups://..."))
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
            fix = "set a real printer URI for a station" if uri.startswith("simulated:") else (
                "" if st.state == "ready" else st.en)
            out.append(Finding(name, level, f"{uri}: {st.state} ({st.en})", fix))
            continue
        detail = st.en if st is not None else why
        out.append(Finding(name, "fail", f"{uri}: {st.state if st else 'error'} ({detail})", _printer_fix(uri, st)))
    return out


def _printer_fix(uri: str, st) -> str:
    state = getattr(st, "state", "")
    if state == "paper_out":
        return "load paper, then packstation print-test"
    if state == "cover_open":
        return "close the printer cover, then packstation print-test"
    if uri.startswith("tcp://"):
        return (f"switch the printer on and check its network cable; it must answer at {uri[6:]} "
                "(printer self-test page shows its IP); then packstation print-test")
    if uri.startswith("usb://"):
        return "plug the printer in and switch it on; if it is on: " + UDEV_FIX
    if uri.startswith("serial://"):
        return "check the cable and power; if it is on: " + UDEV_FIX
    if uri.startswith("cups://"):
        return "check the queue with lpstat -p; enable it with cupsenable QUEUE"
    return "check the printer, then packstation print-test"


# -- OMS ---------------------------------------------------------------------------------------------
def _oms(s, timeout_s: float) -> list[Finding]:
    from sync.client import API, OmsAuthError, OmsClient, OmsError
    from sync.outbox import estimate_offset

    o = s.oms
    out: list[Finding] = []
    token, cred = _token(o.token_file)
    client = OmsClient(o.url, token=token, connect_timeout_s=min(o.connect_timeout_s, timeout_s),
                       read_timeout_s=min(o.read_timeout_s, timeout_s), ca_bundle=o.ca_bundle, max_retries=0)
    try:
        try:
            t0, srv, t1 = client.server_time()
        except OmsAuthError as exc:  # the OMS is there, and it wants this station's own token
            where = cred.what if cred is not None else "no token"
            fix = (f"ask the OMS administrator for this station's token ({s.station.id}): packstation oms-server "
                   f"token issue --station {s.station.id} --out {o.token_file or 'FILE'}; chmod 600 it"
                   + ("" if o.token_file else " and set oms.token_file to that file"))
            out.append(Finding("oms", "ok", f"OMS at {o.url} answers"))
            out.append(Finding("credentials", "fail", f"OMS refused the station ({where}): {exc}", fix))
            out.append(Finding("clock", "warn", "clock offset not checked: the OMS answers only a known station",
                               "fix the credentials, then run packstation doctor again"))
            return out
        except OmsError as exc:
            out.append(Finding("oms", "fail", f"OMS at {o.url} does not answer: {exc}",
                               f"check the network and oms.url; curl {o.url}{API}/time must answer; "
                               "the station keeps working offline meanwhile"))
            if cred is not None:
                out.append(cred)
            return out
        rtt = t1 - t0
        out.append(Finding("oms", "ok", f"OMS at {o.url} answers ({rtt} ms)"))
        off = estimate_offset(t0, srv, t1)
        if abs(off) > CLOCK_LIMIT_MS:
            side = "behind" if off > 0 else "ahead of"
            out.append(Finding("clock", "fail", f"station clock is {abs(off) / 1000:.1f} s {side} the OMS",
                               "turn on time sync: sudo timedatectl set-ntp true (check: timedatectl status); "
                               "if the OMS clock is the wrong one, tell its administrator"))
        else:
            out.append(Finding("clock", "ok", f"station clock within {abs(off)} ms of the OMS"))
        if cred is not None and cred.level == "fail":
            out.append(cred)
            return out
        try:
            r = client.request("GET", f"{API}/picklists", params={"station_id": s.station.id, "limit": 1},
                               expect=(200, 401, 403))
        except OmsError as exc:
            out.append(Finding("credentials", "fail", f"cannot ask the OMS with this station's token: {exc}",
                               "run packstation doctor again when the OMS answers"))
            return out
        where = cred.what if cred is not None else "no token"
        if r.status_code in (401, 403):
            fix = (f"ask the OMS administrator for this station's token ({s.station.id}), write it to "
                   f"{o.token_file} and chmod 600 {o.token_file}" if o.token_file else
                   "the OMS wants a token: write it to a file, chmod 600 it, set oms.token_file to that file")
            out.append(Finding("credentials", "fail", f"OMS refused the station ({where}): HTTP {r.status_code}", fix))
        else:
            out.append(Finding("credentials", "ok", f"OMS accepts the station ({where})"))
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
        return tok, (Finding("credentials", "ok", "token from the OS keyring") if tok else None)
    p = Path(token_file).expanduser()
    try:
        st = p.stat()
    except OSError as exc:
        return None, Finding("credentials", "fail", f"token file {p} cannot be read ({exc.strerror})",
                             f"write the station token to {p} and run: chmod 600 {p}")
    if stat.S_IMODE(st.st_mode) & (stat.S_IRWXG | stat.S_IRWXO):
        return None, Finding("credentials", "fail",
                             f"token file {p} is readable by other users (mode {stat.S_IMODE(st.st_mode):o})",
                             f"chmod 600 {p}")
    try:
        tok = p.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return None, Finding("credentials", "fail", f"token file {p} cannot be read ({exc})",
                             f"write the station token to {p} and run: chmod 600 {p}")
    if not tok:
        return None, Finding("credentials", "fail", f"token file {p} is empty",
                             f"write the station token to {p} and run: chmod 600 {p}")
    return tok, Finding("credentials", "ok", f"token file {p} (mode 600)")


