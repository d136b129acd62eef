"""Supervisor screen (first cut): errors by hour and by type (QtCharts), filters, report button.

Renders the same `app.stats.Figures` as the CSV/PDF. remote: optional callable(from, to, station, operator)
returning the all-stations figures dict from the OMS (not wired yet).
"""

from __future__ import annotations

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.stats import day_bounds_ms, figures_from_store


class SupervisorScreen(QWidget):
    def __init__(self, core, remote=None, parent=None):
        super().__init__(parent)
        self.core, self.remote, self.figures = core, remote, None
        today = QDate.currentDate()
        self.date_from, self.date_to = QDateEdit(today.addDays(-6)), QDateEdit(today)
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.station, self.operator = QLineEdit(), QLineEdit()
        self.station.setPlaceholderText("工位 / station")
        self.operator.setPlaceholderText("操作员 / operator")
        refresh = QPushButton("刷新 / Refresh")
        refresh.clicked.connect(self.refresh)
        self.report_btn = QPushButton("报告 / Report (PDF)")
        self.summary = QLabel()
        top = QHBoxLayout()
        for w in (self.date_from, self.date_to, self.station, self.operator, refresh, self.report_btn):
            top.addWidget(w)
        self.hour_chart, self.type_chart = QChart(), QChart()
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.summary)
        for c in (self.hour_chart, self.type_chart):
            lay.addWidget(QChartView(c))
        self.refresh()

    def refresh(self):
        s = self.core.settings
        a, b = day_bounds_ms(self.date_from.date().toString("yyyy-MM-dd"),
                             self.date_to.date().toString("yyyy-MM-dd"), s.station.warehouse_tz)
        f = self.figures = figures_from_store(self.core.store, tz=s.station.warehouse_tz, start=a, end=b,
                                              sla=s.sla, station=self.station.text() or None,
                                              operator=self.operator.text() or None)
        self.summary.setText(f"扫描 scans {f.scans} | 订单 orders {f.orders} | 错误 errors {f.errors}")
        self._bars(self.hour_chart, "按小时错误 / Errors by hour", [f"{h:02d}" for h in range(24)], f.by_hour)
        self._bars(self.type_chart, "错误类型 / Error types", list(f.by_type), list(f.by_type.values()))

    @staticmethod
    def _bars(chart, title, labels, values):
        chart.removeAllSeries()
        for ax in chart.axes():
            chart.removeAxis(ax)
        chart.setTitle(title)
        bs = QBarSet("errors")
        bs.append([float(v) for v in values])
        series = QBarSeries()
        series.append(bs)
        chart.addSeries(series)
        x, y = QBarCategoryAxis(), QValueAxis()
        x.append(labels)
        y.setRange(0, max(values or [0]) or 1)
        chart.addAxis(x, Qt.AlignBottom)
        chart.addAxis(y, Qt.AlignLeft)
        series.attachAxis(x)
        series.attachAxis(y)
        chart.legend().hide()

    def hour_values(self):
        bs = self.hour_chart.series()[0].barSets()[0]
        return [int(bs.at(i)) for i in range(bs.count())]
