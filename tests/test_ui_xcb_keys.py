"""A packer works an order on a bare X server (Xvfb, the xcb platform, NO window manager) with real X key events
only (xdotool, no mouse): login, the station check, the queue, a wrong colour, a short pick, a gift, a supervisor
override (badge scanned into the prompt, PIN and reason typed) and the label, then an audited reprint. Every key after
every prompt must still reach the station: the offscreen platform does not model X input focus, this does.

The station runs in a subprocess (tests/xdo_station.py) and writes what it shows to a JSON file; what happened is
read back from its SQLite event log."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

SUPERVISOR = ("S-001", "999999")  # the demo OMS's seed (sync/oms_server/seed.py)
LIMIT_S = 80  # the whole walk, start-up included


class Station:
    def __init__(self, tmp_path) -> None:
        if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
            pytest.skip("Xvfb and xdotool are not installed (scripts/setup.sh test installs them)")
        self.t0 = time.monotonic()
        rfd, wfd = os.pipe()
        self.xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(wfd), "-screen", "0", "1024x768x24",
                                      "-nolisten", "tcp"], pass_fds=(wfd,), stderr=subprocess.DEVNULL)
        os.close(wfd)
        self.rfd = rfd  # open while Xvfb runs (it may write to it again; a closed pipe would kill it)
        display = os.read(rfd, 16).decode().strip()
        self.env = dict(os.environ, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb",
                        PACKSTATION_LOG_DIR=str(tmp_path / "logs"))
        self.data = tmp_path / "station"
        self.state_file = tmp_path / "state.json"
        self.log = open(tmp_path / "station.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "xdo_station.py"), str(self.data),
                                      str(self.state_file)], env=self.env, cwd=ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.tmp_path = tmp_path

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.xvfb.terminate()
        self.xvfb.wait(10)
        os.close(self.rfd)
        self.log.close()

    def state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def wait(self, what: str, cond, timeout: float = 20) -> dict:
        end = min(time.monotonic() + timeout, self.t0 + LIMIT_S)
        while time.monotonic() < end:
            assert self.proc.poll() is None, (self.tmp_path / "station.log").read_text()[-3000:]
            st = self.state()
            if st and cond(st):
                return st
            time.sleep(0.05)
        raise AssertionError(f"waited for {what}; the station shows {json.dumps(self.state())[:1500]}")

    def xdo(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], env=self.env, check=True, timeout=20)

    def scan(self, code: str) -> None:
        """A scanner: a key every 5 ms, then Enter."""
        time.sleep(0.2)  # the next item comes up (the same code within 150 ms would be a double read)
        self.xdo("key", "--delay", "5", *map(keysym, code), "Return")  # in type, "\n" would be Linefeed

    def typed(self, text: str) -> None:
        """A person: 180 ms between keys."""
        self.xdo("type", "--delay", "180", text)

    def key(self, name: str) -> None:
        time.sleep(0.15)  # a person's key comes after the last one was handled
        self.xdo("key", name)

    def events(self) -> list[tuple]:
        con = sqlite3.connect(self.data / "station.sqlite3")
        try:
            return con.execute("SELECT type, kind, order_id, payload FROM events ORDER BY seq").fetchall()
        finally:
            con.close()


NAMES = {"-": "minus", "@": "at", ":": "colon", "_": "underscore", ".": "period", "/": "slash", " ": "space",
         "+": "plus", "#": "numbersign"}


def keysym(ch: str) -> str:
    return NAMES.get(ch, ch)


def line(st, lid):
    return next(x for x in st["lines"] if x["id"] == lid)


def test_an_order_from_login_to_label_with_x_key_events_only_on_a_bare_x_server(tmp_path):
    stn = Station(tmp_path)
    try:
        _walk(stn)
    finally:
        stn.close()
    ev = stn.events()
    types = [e[0] for e in ev]
    for t in ("short_pick", "gift_confirmed", "override", "label_printed", "order_completed", "reprint"):
        assert t in types, (t, sorted(set(types)))
    assert any(e[0] == "scan" and e[1] in ("sibling_variant", "wrong_item") for e in ev)
    override = next(json.loads(e[3]) for e in ev if e[0] == "override")
    assert "scale checked" in json.dumps(override)


def _walk(stn: Station) -> None:
    stn.wait("the login screen, OMS data in", lambda s: s.get("ready") and s["screen"] == "login", 40)
    stn.wait("the kiosk window active with the keyboard focus", lambda s: s["active"] and s["focus_in_window"])
    stn.scan("K-001")  # badge, then the PIN typed once the screen shows it took the badge (as a person looks)
    stn.wait("the badge taken, the PIN field focused",
             lambda s: s["login"][0] == "K-001" and s["focus_log"][-1:] == ["QLineEdit:PIN"])
    stn.typed("2222")
    stn.wait("the PIN typed", lambda s: s["login"][1] == 4)
    stn.key("Return")
    stn.wait("the station check", lambda s: s["screen"] == "check" and s["check_done"])
    stn.key("Return")  # Start work
    st = stn.wait("the queue", lambda s: s["screen"] == "queue" and s["queue"])
    order = next(p for p in st["queue"] if p["siblings"] and p["gift"] and p["simple"] and p["id"] != "SO-1005")
    stn.scan(order["id"])  # the order's slip barcode
    st = stn.wait("the work screen", lambda s: s["screen"] == "work" and s.get("order") == order["id"])
    lines = st["lines"]
    first = lines[0]
    if first["bin"]:
        stn.scan(first["bin"])
    stn.scan(order["siblings"][0])  # the wrong colour: red panel
    stn.wait("the red panel", lambda s: s["level"] == "error")
    stn.scan(first["unit"])  # scanning the right item acknowledges it and counts
    stn.wait("the line counted", lambda s: line(s, first["id"])["scanned"] == 1 and s["level"] != "error")
    for _ in range(first["qty"] - 1):
        stn.scan(first["unit"])
    for ln in lines[1:]:
        if ln["gift"]:  # the gift is not in its bin: short pick it, inline (found 0, reason 4: not found)
            stn.wait("the gift line current", lambda s, lid=ln["id"]: s["current"] == lid)
            stn.key("F2")
            stn.wait("the short-pick prompt", lambda s: s["prompt"] == "short_pick")
            stn.key("4")
            stn.wait("the short pick recorded",
                     lambda s, lid=ln["id"], q=ln["qty"]: s["prompt"] is None and line(s, lid)["short"] == q)
            continue
        if ln["bin"]:  # every key after a prompt still reaches the station: the scans count
            stn.scan(ln["bin"])
        for i in range(ln["qty"]):
            stn.scan(ln["unit"])
            stn.wait(f"{ln['id']} counted", lambda s, i=i, lid=ln["id"]: line(s, lid)["scanned"] == i + 1)
    stn.key("F10")
    st = stn.wait("the verify step", lambda s: s["step"] == "verify")
    for ln in st["lines"]:
        for i in range(ln["qty"] - ln["short"]):
            stn.scan(ln["unit"])
            stn.wait(f"{ln['id']} verified", lambda s, i=i, lid=ln["id"]: line(s, lid)["scanned"] == i + 1)
    stn.key("F10")
    st = stn.wait("the pack step", lambda s: s["step"] == "pack")
    for ln in st["lines"]:
        if ln["gift"]:  # short picked whole, so pack asks for it: the packer takes one from the gift shelf
            stn.key("F3")
            stn.wait("the gift confirmed", lambda s, lid=ln["id"]: line(s, lid)["gift_ok"])
    stn.key("2")  # carton M by its number
    stn.wait("carton M", lambda s: s["carton"] == "M")
    stn.key("F10")
    stn.wait("the weigh step, the parcel on the scale", lambda s: s["step"] == "weigh" and s["usable"])
    stn.key("F8")  # 20 % heavy: recorded, not accepted
    stn.wait("the weight recorded, off", lambda s: s["weight_recorded"] and not s["weight_ok"])
    stn.key("F11")  # supervisor override, inline
    stn.wait("the override prompt", lambda s: s["prompt"] == "override")
    stn.scan(SUPERVISOR[0])  # the badge scanned lands in the prompt, not on the screen behind it
    stn.wait("the badge in the prompt, the PIN field focused",
             lambda s: s["pending_badge"] == SUPERVISOR[0] and s["prompt_field"] == "pin" and s["screen"] == "work")
    stn.typed(SUPERVISOR[1])
    stn.key("Return")
    stn.typed("scale checked")
    stn.key("Return")
    stn.wait("the weight accepted", lambda s: s["prompt"] is None and s["weight_ok"])
    stn.wait("the keyboard back at the station", lambda s: s["focus_in_window"] and s["focus"] == "WorkScreen")
    stn.key("F9")  # after the prompt, F9 still reaches the station: label and slip, order done
    stn.wait("the order done, back at the queue", lambda s: s["screen"] == "queue", 30)
    stn.key("F12")  # the label came out crumpled: an audited reprint
    stn.wait("the reprint prompt", lambda s: s["prompt"] == "reprint")
    stn.key("1")
    stn.wait("the reprint done", lambda s: s["prompt"] is None)
    time.sleep(0.5)  # the reprint event is written before the prompt closes; the log is flushed
