"""The order queue on a low display (960×540: 1920×1080 at twice the scale; 1024×600 panels): the packer picks the next
order from it by eye, late ones first. Its title on two lines, 66 px buttons and an empty message line left four rows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.layout import assert_fits, set_display
from tests.test_ui_floor import burst, login, station  # noqa: F401 (fixture)


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_a_low_display_shows_six_orders_and_still_says_what_a_scan_at_the_queue_did(qtbot, station, lang):  # noqa: F811
    win, svc = station(language=lang)
    set_display(win, (960, 540))
    login(qtbot, win)
    qtbot.waitUntil(lambda: len(win.check.results) == len(win.check.rows), timeout=10000)
    QTest.keyClick(win.check.start, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.queue.model.rowCount() >= 6, timeout=10000)
    qtbot.wait(50)
    view = win.queue.view
    whole_rows = view.viewport().height() // view.verticalHeader().defaultSectionSize()
    assert whole_rows >= 6, (whole_rows, view.viewport().height())
    assert_fits(win, (960, 540))
    burst(win, "SO-NO-SUCH-ORDER")  # an unknown code at the queue: said on the screen, not lost for want of a line
    qtbot.waitUntil(lambda: win.queue.message.isVisible() and bool(win.queue.message.text()), timeout=3000)
    assert win.queue.message.height() >= win.queue.message.fontMetrics().height()
    assert_fits(win, (960, 540))
