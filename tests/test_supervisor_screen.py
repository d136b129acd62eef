from datetime import UTC, datetime

from app.events import EventLog


def test_screen_charts_match_figures(qtbot, core, tmp_path):
    from PySide6.QtCore import QDate

    from ui.screens.supervisor import SupervisorScreen

    now = {"t": int(datetime(2026, 11, 16, 3, 0, tzinfo=UTC).timestamp() * 1000)}
    log = EventLog(core.store, "ST1", clock_ms=lambda: now["t"], mono_ns=lambda: now["t"] * 1_000_000)
    for kind in ("wrong_item", "over_scan", "accepted"):
        log.append("scan", {}, operator_id="op1", order_id="SO1", kind=kind)
    w = SupervisorScreen(core)
    qtbot.addWidget(w)
    w.date_from.setDate(QDate(2026, 11, 16))
    w.date_to.setDate(QDate(2026, 11, 16))
    w.refresh()
    assert w.figures.errors == 2 and w.figures.scans == 3
    assert w.hour_values() == w.figures.by_hour and w.hour_values()[11] == 2
    w.grab().save(str(tmp_path / "s.png"))


def _shift(core):
    from app.events import EventLog

    t = {"t": int(datetime(2026, 11, 16, 3, 0, tzinfo=UTC).timestamp() * 1000)}
    log = EventLog(core.store, "ST1", clock_ms=lambda: t["t"], mono_ns=lambda: t["t"] * 1_000_000)
    log.append("scan", {"code": "6900000000012", "verdict": {"kind": "sibling_variant", "scanned_variant": "RED / M",
                                                             "wanted_variant": "BLUE / M", "expected_sku": "TEE-BLUE-M"}},
               operator_id="op1", order_id="SO1", kind="sibling_variant")
    t["t"] += 60_000
    log.append("scan", {"code": "6900000000029", "verdict": {"kind": "accepted"}}, operator_id="op1",
               order_id="SO1", kind="accepted")
    log.append("step_started", {"step": "pick"}, operator_id="op1", order_id="SO1", kind="pick")
    t["t"] += 600_000
    log.append("step_completed", {"step": "pick"}, operator_id="op1", order_id="SO1", kind="pick")


def _screen(qtbot, core, **kw):
    from PySide6.QtCore import QDate

    from ui.screens.supervisor import SupervisorScreen

    w = SupervisorScreen(core, **kw)
    qtbot.addWidget(w)
    w.date_from.setDate(QDate(2026, 11, 16))
    w.date_to.setDate(QDate(2026, 11, 16))
    w.refresh()
    return w


def test_latest_errors_show_what_was_scanned_against_what_was_wanted(qtbot, core):
    _shift(core)
    w = _screen(qtbot, core)
    m = w.errors_model
    assert m.rowCount() == 1
    row = [m.data(m.index(0, c)) for c in range(m.columnCount())]
    assert row[4] == "sibling_variant" and "RED / M" in row[5] and "BLUE / M" in row[6] and "TEE-BLUE-M" in row[6]
    assert row[0].startswith("11-16 11:00")  # shown in warehouse time (UTC+8)
    assert w.figures.steps["pick"].median_s == 600


def test_report_button_writes_pdf_and_csv_with_the_screens_figures(qtbot, core):
    import csv

    _shift(core)
    w = _screen(qtbot, core)
    w.report_btn.click()
    qtbot.waitUntil(lambda: getattr(w, "last_report", None) is not None, timeout=20000)
    pdf, csv_path = w.last_report
    assert pdf.read_bytes().startswith(b"%PDF")
    text = csv_path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    flat = [",".join(r) for r in rows]
    assert any("sibling_variant" in r and str(w.figures.by_type["sibling_variant"]) in r for r in flat), flat[:20]


def test_all_stations_from_the_oms_and_a_clear_fallback_when_it_is_unreachable(qtbot, core):
    remote_fig = {"start": "a", "end": "b", "tz": "Asia/Shanghai", "scans": 500, "orders": 40, "errors": 7,
                  "by_type": {"wrong_item": 7}, "by_hour": [0] * 24, "steps": {}}
    w = _screen(qtbot, core, remote=lambda *a: remote_fig)
    w.source.setCurrentIndex(1)
    w.refresh()
    qtbot.waitUntil(lambda: w.figures is not None and w.figures.scans == 500, timeout=5000)
    assert "OMS" in w.message.text()

    def down(*a):
        raise ConnectionError("refused")

    w2 = _screen(qtbot, core, remote=down)
    w2.source.setCurrentIndex(1)
    w2.refresh()
    qtbot.waitUntil(lambda: "unreachable" in w2.message.text(), timeout=5000)
    assert w2.source.currentIndex() == 0 and w2.figures is not None


def test_a_picker_is_refused(qtbot, core):
    from app.operators import Operator, Role
    from ui.screens.supervisor import SupervisorScreen

    w = SupervisorScreen(core, operator=Operator("p1", "P-1", "Li", Role.PICKER))
    qtbot.addWidget(w)
    w.show()
    assert w.denied.isVisible() and not w.body.isVisible()
