"""Supervisor screen: this station's figures from its own log (offline), or all stations' from the OMS;
errors by hour, error types and step times against the SLA (QtCharts); the latest errors with what was
scanned vs what was expected; a report button writing the weekly PDF + CSV on a worker thread.

Every number comes from one `app.stats.Figures` (or the OMS's `Figures.to_dict()`), the same object the
CSV and PDF render, so the screen and the reports agree by construction. Supervisors only."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from app import schema
from app.stats import STEPS, Figures, StepFigure, day_bounds_ms, figures_from_store
from app.verdicts import ERROR_KINDS
from ui.table_model import RowsModel

LATEST = 200


class LatestErrorsModel(RowsModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.headers = [self.tr("Time"), self.tr("Station"), self.tr("Operator"), self.tr("Order"),
                        self.tr("Error"), self.tr("Scanned"), self.tr("Expected")]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            return self.rows[index.row()][index.column()]
        return None


def latest_errors(store, tz: str, start: int, end: int, station=None, operator=None, limit: int = LATEST):
    """Newest error scans first: (local time, station, operator, order, kind, scanned, expected)."""
    ev = schema.events
    q = (select(ev.c.ts_utc_ms, ev.c.station_id, ev.c.operator_id, ev.c.order_id, ev.c.kind, ev.c.payload)
         .where(ev.c.type == "scan", ev.c.kind.in_([k.value for k in ERROR_KINDS]),
                ev.c.ts_utc_ms >= start, ev.c.ts_utc_ms < end)
         .order_by(ev.c.seq.desc()).limit(limit))
    if station:
        q = q.where(ev.c.station_id == station)
    if operator:
        q = q.where(ev.c.operator_id == operator)
    z = ZoneInfo(tz)
    out = []
    with store.read() as c:
        for ts, st, op, order, kind, payload in c.execute(q):
            p = json.loads(payload)
            v = p.get("verdict") or {}
            scanned = " ".join(x for x in (str(p.get("code") or p.get("raw") or ""), v.get("scanned_variant", "")) if x)
            expected = " ".join(x for x in (v.get("expected_sku") or "", v.get("wanted_variant", "")) if x)
            local = datetime.fromtimestamp(ts / 1000, z).strftime("%m-%d %H:%M:%S")
            out.append((local, st, op or "-", order or "-", kind, scanned, expected))
    return out


def figures_from_dict(d: dict) -> Figures:
    f = Figures(**{k: v for k, v in d.items() if k in Figures.__dataclass_fields__ and k != "steps"})
    f.steps = {k: StepFigure(**v) for k, v in (d.get("steps") or {}).items()}
    return f


class SupervisorScreen(QWidget):
    back_requested = Signal()  # Back button / Esc (@@BACK and @@LOGOUT reach the station controller as scans)
    logout_requested = Signal()

    def _navigation(self) -> QHBoxLayout:
        nav = QHBoxLayout()
        self.back_btn = QPushButton(self.tr("Back to queue [Esc]"))
        self.logout_btn = QPushButton(self.tr("Log out [Ctrl+L]"))
        self.back_btn.clicked.connect(self.back_requested.emit)
        self.logout_btn.clicked.connect(self.logout_requested.emit)
        QShortcut(QKeySequence("Escape"), self, activated=self.back_requested.emit)
        nav.addWidget(self.back_btn)
        nav.addWidget(self.logout_btn)
        nav.addStretch(1)
        return nav

    def __init__(self, core, remote=None, parent=None, tasks=None, operator=None):
        super().__init__(parent)
        self.core, self.remote, self.figures = core, remote, None
        if tasks is None:
            from ui.tasks import TaskRunner

            tasks = TaskRunner(self)
        self.tasks = tasks
        today = QDate.currentDate()
        self.date_from, self.date_to = QDateEdit(today.addDays(-6)), QDateEdit(today)
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.station, self.operator = QLineEdit(), QLineEdit()
        self.station.setPlaceholderText(self.tr("station"))
        self.operator.setPlaceholderText(self.tr("operator"))
        self.source = QComboBox()
        self.source.addItem(self.tr("This station"), "local")
        self.source.addItem(self.tr("All stations (OMS)"), "remote")
        if remote is None:
            self.source.model().item(1).setEnabled(False)
        refresh = QPushButton(self.tr("Refresh"))
        refresh.clicked.connect(self.refresh)
        self.report_btn = QPushButton(self.tr("Report (PDF + CSV)"))
        self.report_btn.clicked.connect(self.write_report)
        self.summary = QLabel()
        self.summary.setObjectName("big")
        self.message = QLabel()
        self.message.setWordWrap(True)
        top = QHBoxLayout()
        for w in (self.date_from, self.date_to, self.station, self.operator, self.source, refresh, self.report_btn):
            top.addWidget(w)
        self.hour_chart, self.type_chart, self.step_chart = QChart(), QChart(), QChart()
        self.errors_model = LatestErrorsModel(self)
        table = QTableView()
        table.setModel(self.errors_model)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.errors_view = table
        grid = QGridLayout()
        grid.addWidget(QChartView(self.hour_chart), 0, 0)
        grid.addWidget(QChartView(self.type_chart), 0, 1)
        grid.addWidget(QChartView(self.step_chart), 1, 0)
        grid.addWidget(table, 1, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(self._navigation())
        self.denied = QLabel(self.tr("Supervisors only: log in with a supervisor badge to see the figures."))
        self.denied.setObjectName("title")
        self.denied.hide()
        lay.addWidget(self.denied)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.addLayout(top)
        body.addWidget(self.summary)
        body.addWidget(self.message)
        body.addLayout(grid, 1)
        lay.addWidget(self.body, 1)
        self.set_operator(operator)

    # -- access ---------------------------------------------------------------------------------
    def set_operator(self, op) -> None:
        """None = opened from code/tests by a trusted caller; an operator who is not a supervisor is refused."""
        allowed = op is None or op.is_supervisor
        self.denied.setVisible(not allowed)
        self.body.setVisible(allowed)
        if allowed:
            self.refresh()

    # -- figures --------------------------------------------------------------------------------
    def _range(self):
        s = self.core.settings
        d_from = self.date_from.date().toString("yyyy-MM-dd")
        d_to = self.date_to.date().toString("yyyy-MM-dd")
        a, b = day_bounds_ms(d_from, d_to, s.station.warehouse_tz)
        return d_from, d_to, a, b

    def refresh(self) -> None:
        s = self.core.settings
        d_from, d_to, a, b = self._range()
        st, op = self.station.text().strip() or None, self.operator.text().strip() or None
        self.errors_model.set_rows(latest_errors(self.core.store, s.station.warehouse_tz, a, b, st, op))
        if self.source.currentData() == "remote" and self.remote is not None:
            self.message.setText(self.tr("loading all stations' figures from the OMS…"))
            self.tasks.run(lambda: self.remote(d_from, d_to, st, op), self._remote_done)
            return
        self.show_figures(figures_from_store(self.core.store, tz=s.station.warehouse_tz, start=a, end=b,
                                             sla=s.sla, station=st, operator=op))
        self.message.setText(self.tr("This station's own log (works offline)."))

    def _remote_done(self, result) -> None:
        if isinstance(result, Exception) or not isinstance(result, dict):
            self.source.setCurrentIndex(0)
            self.refresh()
            self.message.setText(self.tr("OMS unreachable — showing this station only."))
            return
        self.show_figures(figures_from_dict(result))
        self.message.setText(self.tr("All stations, from the OMS. The latest-errors table shows this station only."))

    def show_figures(self, f: Figures) -> None:
        self.figures = f
        self.summary.setText(self.tr("scans {0} · orders {1} · errors {2}").replace("{0}", str(f.scans))
                             .replace("{1}", str(f.orders)).replace("{2}", str(f.errors)))
        self._bars(self.hour_chart, self.tr("Errors by hour"), [f"{h:02d}" for h in range(24)],
                   [("errors", f.by_hour)])
        self._bars(self.type_chart, self.tr("Error types"), list(f.by_type), [("errors", list(f.by_type.values()))])
        steps = [s for s in STEPS if s in f.steps]
        minutes = lambda attr: [round((getattr(f.steps[s], attr) or 0) / 60, 1) for s in steps]  # noqa: E731
        self._bars(self.step_chart, self.tr("Step time, minutes (median, p90, SLA)"), steps,
                   [(self.tr("median"), minutes("median_s")), (self.tr("p90"), minutes("p90_s")),
                    (self.tr("SLA"), minutes("sla_s"))])

    @staticmethod
    def _bars(chart, title, labels, sets):
        chart.removeAllSeries()
        for ax in chart.axes():
            chart.removeAxis(ax)
        chart.setTitle(title)
        series = QBarSeries()
        top = 0.0
        for name, values in sets:
            bs = QBarSet(name)
            bs.append([float(v) for v in values])
            series.append(bs)
            top = max([top, *[float(v) for v in values]])
        chart.addSeries(series)
        x, y = QBarCategoryAxis(), QValueAxis()
        x.append(labels)
        y.setRange(0, top or 1)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
        chart.legend().setVisible(len(sets) > 1)

    def hour_values(self):
        bs = self.hour_chart.series()[0].barSets()[0]
        return [int(bs.at(i)) for i in range(bs.count())]

    # -- report ---------------------------------------------------------------------------------
    def write_report(self) -> None:
        from app.reports import write_csv, write_pdf

        f = self.figures
        if f is None:
            return
        d_from, d_to, _a, _b = self._range()
        out = self.core.settings.data_dir / "reports"

        def work():
            out.mkdir(parents=True, exist_ok=True)
            stem = f"errors_{d_from}_{d_to}"
            return write_pdf(f, out / f"{stem}.pdf"), write_csv(f, out / f"{stem}.csv")

        self.report_btn.setEnabled(False)
        self.message.setText(self.tr("writing the report…"))
        self.tasks.run(work, self._report_done)

    def _report_done(self, result) -> None:
        self.report_btn.setEnabled(True)
        if isinstance(result, Exception):
            self.message.setText(self.tr("Report failed: {0}").replace("{0}", str(result)))
            return
        self.last_report = result
        self.message.setText(self.tr("Report written: {0}").replace("{0}", "  ".join(str(p) for p in result)))
