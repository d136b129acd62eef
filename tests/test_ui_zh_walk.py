"""In Simplified Chinese, the station check, the supervisor screen, the status bar and the demo panel show no
English except data (product names and codes, the station's configured name, paths and URLs, operator names) and a
few terms kept on purpose (OMS, SLA, P90, PIN, PDF, CSV, SKU). Qt's own standard buttons (OK/Cancel) are Chinese."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from PySide6.QtCharts import QBarCategoryAxis, QChartView
from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QWidget,
)

KEPT = {"OMS", "SLA", "P90", "PIN", "PDF", "CSV", "SKU", "GB", "MB",  # units Chinese software writes as they are
        "Esc", "Ctrl", "Shift", "Enter", "Tab", "Space"}  # key caps: what is printed on the keyboard
WORD = re.compile(r"[A-Za-z]{2,}")
PATHS_URLS = re.compile(r"\S*(?:/|\\|://)\S*")


def visible_texts(root: QWidget) -> list[str]:
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisibleTo(root) and w is not root:
            continue
        if isinstance(w, QLabel):
            out.append(w.text())
        elif isinstance(w, QAbstractButton):
            out += [w.text(), w.toolTip()]
        elif isinstance(w, QLineEdit):
            out.append(w.placeholderText())
        elif isinstance(w, QComboBox):
            out += [w.itemText(i) for i in range(w.count())]
        elif isinstance(w, QAbstractItemView) and w.model() is not None:
            m = w.model()
            out += [str(m.headerData(c, Qt.Orientation.Horizontal)) for c in range(m.columnCount())]
        elif isinstance(w, QChartView):
            ch = w.chart()
            out.append(ch.title())
            for ax in ch.axes():
                out.append(ax.titleText())
                if isinstance(ax, QBarCategoryAxis):
                    out += ax.categories()
            for s in ch.series():
                out.append(s.name())
                out += [b.label() for b in getattr(s, "barSets", lambda: [])()]
    return [t for t in out if t]


def english(texts: list[str], data: list[str]) -> list[str]:
    bad = []
    for t in texts:
        rest = t
        for d in sorted((d for d in data if d), key=len, reverse=True):
            rest = rest.replace(d, " ")
        rest = PATHS_URLS.sub(" ", rest)
        words = [w for w in WORD.findall(rest) if w not in KEPT and w not in KEYS]
        if words:
            bad.append(f"{t!r}: {words}")
    return bad


@pytest.fixture
def chinese():
    from ui.translations import install, uninstall

    app = QApplication.instance()
    assert install(app, "zh_CN") == "zh_CN"
    yield
    uninstall(app)


@pytest.fixture
def demo(qtbot, tmp_path):
    from ui.bridge import DeviceBridge
    from ui.services import build_services, demo_settings

    s = demo_settings(tmp_path / "demo")
    s.station.language = "zh_CN"
    svc = build_services(s, demo=True)
    bridge = DeviceBridge()
    svc.start(bridge)
    qtbot.waitUntil(lambda: svc.core.operators.by_badge("K-001") is not None, timeout=15000)
    qtbot.waitUntil(lambda: bool(svc.sync.cache.open_picklists()), timeout=15000)
    yield svc
    svc.close()
    bridge.deleteLater()


def test_qt_standard_buttons_are_chinese(qtbot, chinese):
    box = QMessageBox(QMessageBox.Icon.Question, "packstation", "?",
                      QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    assert box.button(QMessageBox.StandardButton.Ok).text().replace("&", "") .startswith("确定")
    assert box.button(QMessageBox.StandardButton.Cancel).text().replace("&", "").startswith("取消")


def test_station_check_status_bar_and_demo_panel_speak_chinese(qtbot, chinese, demo):
    from pathlib import Path

    from ui.demo_panel import DemoPanel
    from ui.screens.check import CheckScreen
    from ui.statusbar import StatusBar
    from ui.tasks import TaskRunner

    data = [demo.settings.station.name, demo.settings.station.id, Path(demo.settings.devices.camera.device).name]
    check = CheckScreen(demo, TaskRunner(), "zh_CN")
    qtbot.addWidget(check)
    check.show()
    check.refresh()
    qtbot.waitUntil(lambda: len(check.results) == len(check.rows), timeout=20000)
    bar = StatusBar(demo.settings)
    qtbot.addWidget(bar)
    op = demo.core.operators.by_badge("K-001")
    bar.set_operator(op)
    bar.set_health(demo.sync.health())
    bar.show()
    data.append(op.name)
    panel = DemoPanel(demo)
    qtbot.addWidget(panel)
    panel.show()
    pls = demo.sync.cache.open_picklists()
    assert pls
    panel.set_session(None, pls)
    for pl in pls:
        data.append(pl.order_no)
    session = demo.station.open_order(pls[0])
    panel.set_session(session)
    for ln in session.picklist.lines:
        data += [ln.name, ln.variant, ln.bin or "", ln.sku]
    for sib in session.picklist.siblings:
        data += [str(sib.get(k, "")) for k in ("name", "color", "size")]
    texts = visible_texts(check) + visible_texts(bar) + visible_texts(panel)
    assert any("打印机" in t for t in texts) and any("扬声器" in t for t in texts)
    assert not english(texts, data), english(texts, data)


def test_supervisor_screen_speaks_chinese(qtbot, chinese, core):
    from app.events import EventLog
    from ui.screens.supervisor import SupervisorScreen

    t = {"t": int(datetime(2026, 11, 16, 3, 0, tzinfo=UTC).timestamp() * 1000)}
    log = EventLog(core.store, "ST1", clock_ms=lambda: t["t"])
    for kind in ("wrong_item", "sibling_variant", "unknown", "over_scan", "accepted"):
        log.append("scan", {"code": "6900000000012"}, operator_id="op1", order_id="SO1", kind=kind)
    log.append("step_started", {"step": "pick"}, operator_id="op1", order_id="SO1", kind="pick")
    t["t"] += 90_000
    log.append("step_completed", {"step": "pick"}, operator_id="op1", order_id="SO1", kind="pick")
    w = SupervisorScreen(core)
    qtbot.addWidget(w)
    w.show()
    w.date_from.setDate(QDate(2026, 11, 16))
    w.date_to.setDate(QDate(2026, 11, 16))
    w.refresh()
    qtbot.waitUntil(lambda: not w.updating, timeout=10000)
    texts = visible_texts(w)
    m = w.errors_model
    texts += [m.data(m.index(r, 1)) for r in range(m.rowCount())]  # the error column is named, not data
    assert "错误类型" in texts and "颜色/尺码错误" in texts
    assert not english(texts, ["ST1", "op1", "SO1"]), english(texts, ["ST1", "op1", "SO1"])


KEYS = {"Esc", "Ctrl", "Enter", "kg"}  # key caps and the unit, as printed on the keyboard and the scale


def window_texts(win) -> list[str]:
    """What the packer reads: every visible widget's text, the tables' headers and cells, the status bar."""
    texts = visible_texts(win)
    for view in (win.queue.view, win.work.table):
        if view.isVisible():
            m = view.model()
            texts += [str(m.data(m.index(r, c)) or "") for r in range(m.rowCount()) for c in range(m.columnCount())]
    return texts


def product_data(svc, win) -> list[str]:
    """Data, not words: order numbers, products, codes, carriers, addresses, names of people and of the station."""
    from pathlib import Path

    s = svc.settings
    data = [s.station.name, s.station.id, Path(s.devices.camera.device).name]
    for badge in ("K-001", "S-001", "P-001"):
        op = svc.core.operators.by_badge(badge)
        if op is not None:
            data += [op.name, badge]
    pls = list(svc.sync.cache.open_picklists())
    if win.controller.session is not None:
        pls.append(win.controller.session.picklist)
    for pl in pls:
        st = pl.ship_to
        data += [pl.id, pl.order_no, pl.carrier, st.name, st.city, st.postcode, st.country, *st.address_lines,
                 *st.warnings]
        for ln in pl.lines:
            data += [ln.name, ln.variant, ln.bin or "", ln.sku, ln.bin_barcode or "", *(b.code for b in ln.barcodes)]
        for sib in pl.siblings:
            data += [str(sib.get(k, "")) for k in ("name", "color", "size", "code", "sku")]
    # why the OMS stopped an order, in its own words (the demo OMS writes English), as its address warnings are
    data += [s.stop_reason or "" for s in win.controller.station.sessions.values()]
    return [d for d in data if len(d) > 1]  # a one-letter size would eat the S of "SKU"


def test_every_screen_and_prompt_of_a_whole_order_speaks_chinese(qtbot, chinese, tmp_path):
    """Login, station check, queue (statuses, services), the work screen with a wrong colour, every inline prompt
    (short pick, override, reprint), every step of the order to its label (pack with its carton and gift, weigh,
    label, the queue after it) and an order cancelled while worked: no English but product data."""
    import sys

    from app.workflow import Step
    from tests.layout import misfits, set_display
    from tests.test_ui_floor import (
        FakeClock,
        burst,
        close,
        keys_only_order,
        press,
        press_digit,
        type_slowly,
        unit_code,
        work_counting_step,
    )
    from tests.test_ui_layout import columns_in_view
    from ui.services import demo_settings
    from ui.shell import build_window

    hooks = sys.excepthook
    s = demo_settings(tmp_path / "station")
    s.station.language = "zh_CN"
    _app, win, svc = build_window(s, demo=True)
    win.wedge.clock = FakeClock()
    win.show()
    win.activateWindow()  # on a display without a window manager (xvfb-run) nothing else makes it the active one
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)
    set_display(win, (1024, 768))  # the smallest display: the Chinese texts fit it too
    seen: dict[str, list[str]] = {}

    def look(where: str) -> None:
        qtbot.wait(30)
        seen[where] = english(window_texts(win), product_data(svc, win))
        assert not misfits(win, (1024, 768)), (where, misfits(win, (1024, 768))[:8])
        if win.stack.currentWidget() is win.work:  # the lines table's columns in view and no empty band beside them
            assert not columns_in_view(win), (where, columns_in_view(win))

    try:
        qtbot.waitUntil(lambda: svc.core.operators.by_badge("K-001") is not None, timeout=15000)
        qtbot.waitUntil(lambda: bool(svc.sync.cache.open_picklists()), timeout=15000)
        look("login")
        win.login.badge.setFocus()
        burst(win, "K-001")
        type_slowly(qtbot, win, win.login.pin, "2222")
        QTest.keyClick(win.login.pin, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: len(win.check.results) == len(win.check.rows), timeout=20000)
        look("station check")
        QTest.keyClick(win.check.start, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: win.queue.model.rowCount() > 0, timeout=10000)
        look("queue")
        pl = next(p for p in win.queue.model.items if keys_only_order(p))  # a wrong colour, a gift, several lines
        win.queue.view.setFocus()
        burst(win, pl.id)
        qtbot.waitUntil(lambda: win.stack.currentWidget() is win.work, timeout=10000)
        look("work")
        sess = win.controller.session
        line = sess.current_line()
        if line.bin_barcode:
            burst(win, line.bin_barcode)
        burst(win, pl.siblings[0]["code"])
        assert win.work.panel.locked
        look("work, wrong colour")
        burst(win, unit_code(line))  # scanning the right one acknowledges the error and counts
        cur = sess.current_line()
        if cur.id != line.id and cur.bin_barcode:
            burst(win, cur.bin_barcode)
        for key, kind in ((Qt.Key.Key_F2, "short_pick"), (Qt.Key.Key_F11, "override")):
            press(win, key)
            assert win.controller.prompt is not None and win.controller.prompt.kind == kind, win.controller.feedback
            look(f"{kind} prompt")
            press(win, Qt.Key.Key_Escape)
            assert win.controller.prompt is None and win.stack.currentWidget() is win.work
        for _ in range(3):  # the rest of the order, step by step, keys only
            if sess.step not in (Step.PICK, Step.VERIFY):
                break
            work_counting_step(win, sess)
            press(win, Qt.Key.Key_F10)
            look(f"work, {sess.step}")
        assert sess.step == Step.PACK, sess.blockers()
        for ln in sess.picklist.lines:
            if ln.gift and not sess.gift_ok(ln.id):
                press(win, Qt.Key.Key_F3)
        press_digit(qtbot, win, win.work, Qt.Key.Key_2)
        look("pack, carton chosen")
        press(win, Qt.Key.Key_F10)
        assert sess.step == Step.WEIGH, sess.blockers()
        look("weigh, before the parcel")
        qtbot.waitUntil(lambda: win.controller.weight_view().usable, timeout=5000)
        qtbot.wait(300)
        look("weigh, a steady weight")
        press(win, Qt.Key.Key_F8)
        press(win, Qt.Key.Key_F10)
        assert sess.step == Step.LABEL, sess.blockers()
        look("label")
        press(win, Qt.Key.Key_F9)
        qtbot.waitUntil(lambda: win.stack.currentWidget() is win.queue, timeout=15000)
        look("queue, an order done")
        QTest.keyClick(win.queue.view, Qt.Key.Key_F12)  # the label came out crumpled: the reprint prompt
        assert win.controller.prompt is not None and win.controller.prompt.kind == "reprint"
        look("reprint prompt")
        QTest.keyClick(win.queue.view, Qt.Key.Key_Escape)
        assert win.controller.prompt is None
        win.queue.view.setFocus()
        burst(win, "SO-1005")  # cancelled by the demo OMS 3 s after a station claims it
        qtbot.waitUntil(lambda: win.stack.currentWidget() is win.work, timeout=10000)
        cancelled = win.controller.session
        ln = cancelled.current_line()
        if ln.bin_barcode:
            burst(win, ln.bin_barcode)
        burst(win, unit_code(ln))
        qtbot.waitUntil(lambda: cancelled.intercepted is not None and win.work.panel.locked, timeout=20000)
        look("cancelled order")
    finally:
        close(win, svc)
        sys.excepthook = hooks
    bad = {k: v for k, v in seen.items() if v}
    assert not bad, bad


def test_an_urgent_orders_two_lines_fit_its_queue_row_in_chinese(qtbot, chinese, demo):
    """An urgent order's ship-by cell reads "加急" above its time. At the English size the CJK font's lines (24 px at
    16 px) did not both fit a 48 px row and the delegate drew "加急…": the size is chosen for the texts shown."""
    from PySide6.QtGui import QFont, QTextLayout

    from ui.screens.queue import QueueScreen
    from ui.shell import STYLE
    from ui.tasks import TaskRunner

    app = QApplication.instance()
    sheet = app.styleSheet()
    app.setStyleSheet(STYLE.read_text(encoding="utf-8"))
    try:
        screen = QueueScreen(demo, TaskRunner())
        qtbot.addWidget(screen)
        screen.resize(1024, 700)
        screen.show()
        m, view = screen.model, screen.view
        m.set_items(demo.sync.cache.open_picklists())
        screen._fit_columns()
        urgent = [r for r in range(m.rowCount()) if m.items[r].priority > 0]
        assert urgent
        for r in urgent:
            text = m.data(m.index(r, m.SHIP_BY))
            assert text.startswith("加急\n"), text
            font = m.data(m.index(r, m.SHIP_BY), Qt.ItemDataRole.FontRole).resolve(QFont(view.font()))
            layout = QTextLayout(text.replace("\n", "\u2028"), font)  # as the item delegate lays it out
            layout.beginLayout()
            heights = []
            while (line := layout.createLine()).isValid():
                line.setLineWidth(100000)
                heights.append(line.height())
            layout.endLayout()
            assert len(heights) == 2 and sum(heights) <= view.rowHeight(r) - 1, (text, heights, font.pixelSize())
    finally:
        app.setStyleSheet(sheet)
