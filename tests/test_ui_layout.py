"""The station on the four common displays (1024×768, 1280×800, 1366×768, 1920×1080): on the login, station check,
order queue and supervisor screens every visible widget lies inside the screen and the window keeps its size.
The demo station is used, with its side panel, as in the README's "Try it"."""

from __future__ import annotations

import pytest

from tests.layout import SIZES, assert_fits, set_display
from tests.test_ui_floor import login, station  # noqa: F401 (fixture)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_screen_fits_the_display_and_the_window_does_not_grow(qtbot, station, size, tmp_path):  # noqa: F811
    win, svc = station()
    set_display(win, size)
    assert_fits(win, size)  # login
    from sync.oms_server.seed import OPERATORS

    login(qtbot, win, "S-001", next(pin for _i, badge, _n, _r, pin in OPERATORS if badge == "S-001"))
    if win.stack.currentWidget() is win.check:
        qtbot.waitUntil(lambda: len(win.check.results) == len(win.check.rows), timeout=15000)
    win.stack.setCurrentWidget(win.check)
    qtbot.wait(20)
    assert_fits(win, size)  # station check, every row answered
    win.check.start.click()
    qtbot.waitUntil(lambda: win.queue.model.rowCount() > 0, timeout=10000)
    assert_fits(win, size)  # order queue
    win.show_supervisor()
    qtbot.waitUntil(lambda: win.supervisor is not None and not win.supervisor.updating, timeout=10000)
    qtbot.wait(20)
    assert_fits(win, size)  # supervisor figures
    win.demo_panel.set_collapsed(False)  # the demo panel open: docked on a wide screen, a drawer on a narrow one
    qtbot.wait(20)
    assert win.demo_panel.is_open()
    assert_fits(win, size)
    win.demo_panel.offline.click()  # long status texts (OFFLINE, printer faults) must not widen the window
    win.status.labels["printer"].setText("PRINTER: label printer — paper out, the job is held until it is reloaded " * 3)
    win.status.set_health(None)
    qtbot.wait(20)
    assert_fits(win, size)
    win.grab().save(str(tmp_path / f"supervisor_{size[0]}x{size[1]}.png"))


def test_kiosk_mode_takes_the_whole_screen_without_a_window_manager(qtbot):
    from PySide6.QtWidgets import QApplication, QWidget

    from ui.shell import place_window

    w = QWidget()
    qtbot.addWidget(w)
    place_window(w, kiosk=True)
    screen = QApplication.primaryScreen()
    assert w.geometry() == screen.geometry() and w.isFullScreen()


KIOSK_SCRIPT = r"""
import sys
from app.config import Settings
from ui.shell import build_window, place_window
s = Settings()
s.station.data_dir = sys.argv[1]
s.station.kiosk = True
s.oms.url = "http://127.0.0.1:9"
app, win, svc = build_window(s)
place_window(win, kiosk=True)
for _ in range(50):
    app.processEvents()
g, scr = win.geometry(), win.screen().geometry()
print(f"{g.x()} {g.y()} {g.width()} {g.height()} {scr.width()} {scr.height()}", flush=True)
win._allow_close = True
win.close()
svc.close()
"""


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)], ids=["1024x768", "1920x1080"])
def test_kiosk_window_covers_a_bare_x_screen_with_no_window_manager(tmp_path, size):
    """Xvfb with no window manager and the xcb platform: showFullScreen alone left a 1009×777 window on a
    1920×1080 screen; the kiosk window must cover the screen exactly."""
    import os
    import shutil
    import subprocess
    import sys

    from tests.conftest import ROOT

    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (scripts/setup.sh installs it)")
    w, h = size
    rfd, wfd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(wfd), "-screen", "0", f"{w}x{h}x24", "-nolisten", "tcp"],
                            pass_fds=(wfd,), stderr=subprocess.DEVNULL)
    os.close(wfd)
    try:
        display = os.read(rfd, 16).decode().strip()
        env = dict(os.environ, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb")
        r = subprocess.run([sys.executable, "-c", KIOSK_SCRIPT, str(tmp_path / "data")], capture_output=True,
                           text=True, env=env, cwd=ROOT, timeout=120)
    finally:
        os.close(rfd)
        xvfb.terminate()
        xvfb.wait(10)
    assert r.returncode == 0, r.stderr[-2000:]
    x, y, gw, gh, sw, sh = map(int, r.stdout.split()[-6:])
    assert (sw, sh) == (w, h)
    assert (x, y, gw, gh) == (0, 0, w, h), r.stdout
