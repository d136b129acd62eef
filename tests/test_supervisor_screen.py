from datetime import UTC, datetime

from app.events import EventLog


def test_screen_charts_match_figures(qtbot, core, tmp_path):
    from PySide6.QtCore import QDate

    from ui.screens.supervisor import SupervisorScreen

    now = {"t": int(datetime(2026, 11, 16, 3, 0, tzinfo=UTC).timestamp() * 1000)}
    log = EventLog(core.store, "ST1", clock_ms=lambda: now["t"])
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
