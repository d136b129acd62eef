"""A demo station whose scale and scanner are real serial drivers on pseudo-terminals (the test plays both devices on
the master sides): what the packer sees when a device goes away mid-shift and comes back."""

from __future__ import annotations

import os
import pty
import sys
import tty
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from test_ui_floor import FakeClock, close, login, open_order, press
from test_ui_floor_defects import simple, to_weigh

from app.events import EventType
from app.workflow import Step


class Pty:
    """One serial device on a pseudo-terminal behind a fixed name (a symlink, as /dev/serial/by-id has): unplugged,
    the name goes; plugged in again, it names a new terminal."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master = self.slave = None
        self.plug()

    def plug(self) -> None:
        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        tty.setraw(self.master)
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(os.ttyname(self.slave))

    def unplug(self) -> None:
        self.link.unlink(missing_ok=True)
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None

    def send(self, data: bytes) -> None:
        os.write(self.master, data)


@pytest.fixture
def station_with(qtbot, tmp_path):
    """A demo station whose settings `change(settings)` alters first -> (window, services)."""
    from ui.services import demo_settings
    from ui.shell import build_window

    hooks = sys.excepthook
    started = []

    def start(change):
        s = demo_settings(tmp_path / "station")
        change(s)
        app, win, svc = build_window(s, demo=True)
        started.append((win, svc))
        win.wedge.clock = FakeClock()
        win.resize(1440, 860)
        win.show()
        win.activateWindow()
        qtbot.waitUntil(lambda: svc.core.operators.by_badge("K-001") is not None, timeout=15000)
        return win, svc

    yield start
    for win, svc in started:
        close(win, svc)
    sys.excepthook = hooks
    from ui.translations import uninstall

    uninstall(QApplication.instance())


@pytest.fixture
def serial_station(station_with, tmp_path):
    scale, scanner = Pty(tmp_path / "ttyScale"), Pty(tmp_path / "ttyScanner")

    def serial(s):
        s.devices.scale.kind, s.devices.scale.device, s.devices.scale.protocol = "serial", str(scale.link), "continuous"
        s.devices.scanner.kind, s.devices.scanner.device = "serial", str(scanner.link)

    win, svc = station_with(serial)
    yield win, svc, scale, scanner
    scale.unplug()
    scanner.unplug()


def test_the_scale_unplugged_at_the_weigh_step_is_said_and_its_last_weight_is_not_recorded(qtbot, serial_station):
    """Field: the parcel weighed steady (✓, F9 in blue), then the scale's USB cable was pulled. The screen kept
    "0.100 kg ✓" and F8 recorded it; the driver's "disconnected" went to the log alone. Now the weight area and the
    status bar say the scale is not there, F8 records nothing; plugged back in, the scale weighs again."""
    win, svc, scale, _scanner = serial_station
    svc.scale.GARBAGE_S = 3600.0  # the test's scale speaks only when spoken for: its silence is not what is tested
    login(qtbot, win)
    open_order(qtbot, win, svc, simple)
    s = win.controller.session
    to_weigh(qtbot, win)
    exp = s.expected_weight[0]
    scale.send(f"US,GS,+{exp * 0.0006:09.3f}kg\r\n".encode())  # being put down: not steady yet
    qtbot.waitUntil(lambda: win.work.weight_label.text().startswith("Not steady yet"), timeout=5000)
    scale.send(f"ST,GS,+{exp / 1000:09.3f}kg\r\n".encode() * 3)
    qtbot.waitUntil(lambda: "✓" in win.work.weight_label.text(), timeout=5000)
    scale.unplug()
    qtbot.waitUntil(lambda: "✓" not in win.work.weight_label.text(), timeout=5000)
    assert win.work.weight_label.text().startswith("The scale is not ready")
    assert "the scale is not ready: Scale " in win.work.blockers.text()  # its driver's words: (not) connected …
    bar = win.status.labels["device"]
    assert bar.isVisible() and bar.text().startswith("Scale ") and "ttyScale" in bar.text()
    press(win, Qt.Key.Key_F8)
    press(win, Qt.Key.Key_F9)
    assert s.weight is None and s.step == Step.WEIGH
    assert svc.core.events.last(EventType.WEIGHT_RECORDED) is None
    assert "the scale is not ready" in win.work.panel.text.text() or "not ready" in win.work.blockers.text()
    scale.plug()  # the same name again: the driver finds it within a second
    qtbot.waitUntil(lambda: svc.scale.status().state == "ready", timeout=10000)
    scale.send(f"ST,GS,+{exp / 1000:09.3f}kg\r\n".encode() * 3)
    qtbot.waitUntil(lambda: "✓" in win.work.weight_label.text(), timeout=10000)
    assert win.status.labels["device"].text() == ""
    press(win, Qt.Key.Key_F8)
    assert s.weight is not None and s.weight.ok


def test_a_serial_scanner_unplugged_mid_shift_is_said_until_it_is_back(qtbot, serial_station):
    """A serial scanner unplugged: its scans simply stopped coming, and nothing on the screen said why."""
    win, svc, _scale, scanner = serial_station
    login(qtbot, win)
    bar = win.status.labels["device"]
    qtbot.waitUntil(lambda: svc.scanner.status().state == "ready", timeout=10000)
    assert "Scanner" not in bar.text()  # (the scale, which sends nothing here, is said after 2 s)
    scanner.unplug()
    qtbot.waitUntil(lambda: "Scanner disconnected (" in bar.text() or "Scanner not connected (" in bar.text(),
                    timeout=10000)
    assert bar.isVisible() and "ttyScanner" in bar.text()
    scanner.plug()
    qtbot.waitUntil(lambda: "Scanner" not in bar.text(), timeout=10000)
    scanner.send(b"SO-1001\r\n")  # and it scans again
    qtbot.waitUntil(lambda: win.controller.feedback is not None and "SO-1001" in win.controller.feedback.en
                    or win.controller.session is not None, timeout=10000)


def test_a_station_without_a_scale_whose_workflow_weighs_says_so_at_the_check_and_the_weigh_step(qtbot, station_with):
    """devices.scale.kind = "none" and the default steps: the check showed the scale grey, "not used at this
    station", and each order's weigh step said "put the parcel on the scale" for good."""
    def no_scale(s):
        s.devices.scale.kind = "none"

    win, svc = station_with(no_scale)
    assert svc.scale is None
    login(qtbot, win)
    qtbot.waitUntil(lambda: len(win.check.results) == len(win.check.rows), timeout=10000)
    ok, text = win.check.results["scale"]
    assert ok is False and "workflow weighs every parcel" in text
    open_order(qtbot, win, svc, simple)
    to_weigh(qtbot, win)
    said = win.work.blockers.text()
    assert "no scale is configured at this station" in said and "put the parcel on the scale" not in said
    press(win, Qt.Key.Key_F8)
    assert "no scale is configured" in win.work.panel.text.text()
