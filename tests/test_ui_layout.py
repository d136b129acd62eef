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
    login(qtbot, win, "S-001", "9999")
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
