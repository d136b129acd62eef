"""Supervisor screen: this station's figures from its own log (offline), or all stations' from the OMS;
errors by hour, error types and step times against the SLA (QtCharts); the latest errors with what was
scanned vs what was expected; a report button writing the weekly PDF + CSV on a worker thread.

Every number comes from one `app.stats.Figures` (or the OMS's `Figures.to_dict()`), the same object the
CSV and PDF render, so the screen and the reports agree by construction. Supervisors only."""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QMargins, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QKeySequence, QPen, QShortcut
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

from app.i18n import Msg
from app.messages import STEP_NAMES
from app.operators import Operator, operators_matching
from app.reports import ReportScope
from app.scans import visible_text
from app.stats import (
    ERROR_NAMES,
    STEPS,
    Figures,
    day_bounds_ms,
    error_rows,
    figures_from_store,
    latest_errors,
    order_numbers,
    warehouse_today,
)
from app.warehouse_day import FIRST_DAY, BadDays, checked_days
from ui import names
from ui.table_model import RowsModel, cell_pad
from ui.translations import _

log = logging.getLogger(__name__)

TOP_TYPES = 8  # the error types' chart names at most this many, and fewer where its plot is too low for them
TYPE_LABEL_PX = 13  # its names' font: each type's row at least this font's line high, else QtCharts draws "…"


def _nice_series() -> Iterator[int]:
    """1, 2, 5, 10, 20, 50, 100 …: the tick intervals the charts use."""
    step = 1
    while True:
        for m in (2, 5 / 2, 2):
            yield step
            step = int(step * m)


def nice_step(top: float, most: int = 6) -> int:
    """A whole-number tick interval (1, 2, 5, 10, 20, 50…) giving at most about `most` ticks up to `top`."""
    return next(s for s in _nice_series() if top / s <= max(1, most))


LABEL_PX = 22  # a value axis label's height and a little air: QtCharts hides labels that would overlap


def fixed_axis_step(end: float, fit: int) -> int:
    """A tick interval for an axis from 0 to `end` whose plot has room for `fit` intervals: the finest that labels
    `end` itself, else the finest that fits, never one above `end` (the axis would read "0" alone)."""
    steps = [1, *itertools.takewhile(lambda s: s <= end, itertools.islice(_nice_series(), 1, None))]
    ending = [s for s in steps if end % s == 0 and end / s <= fit]
    return ending[0] if ending else next((s for s in steps if end / s <= fit), steps[-1])


def count_axis_top(top: float, step: int) -> int:
    """A count axis's end: the first multiple of `step` at or above `top` (at least one step)."""
    return step * max(1, -(-int(top) // step))


def ticks_that_fit(chart) -> int:
    """How many tick intervals the chart's plot is tall enough to label, all of them (at 1024×768 a chart's plot is
    ~50 px tall: six intervals there made QtCharts drop labels, e.g. 150, 50, 0 without the 100)."""
    h = chart.plotArea().height()
    return 6 if h <= 0 else max(1, min(6, int(h // LABEL_PX)))


def types_that_fit(plot_height: float, line_px: int) -> int:
    """How many error types the type chart's plot is tall enough to name, each on a row at least a line of its names'
    font high (QtCharts draws a name in a lower row as "…" and leaves out every other one)."""
    if plot_height <= 0:
        return TOP_TYPES
    return max(1, min(TOP_TYPES, int(plot_height // (line_px + 2))))


def type_rows(by_type: dict[str, int], name, rows: int) -> list[tuple[str, int]]:
    """(name, count) of the most frequent error types, at most `rows` of them, the most frequent first: types with
    one name (`name`: the operator's language) counted together, and those left out summed on a last row of their
    own ("3 other types")."""
    counted: dict[str, int] = {}
    for key, n in by_type.items():
        if n:
            counted[name(key)] = counted.get(name(key), 0) + n
    items = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(items) <= rows:
        return items
    kept, rest = items[:max(0, rows - 1)], items[max(0, rows - 1):]
    return [*kept, (_("{count} other types", count=len(rest)), sum(n for _k, n in rest))]


def fit_widths(widths: list[int], room: int, least: list[int], cut: tuple[int, ...]) -> list[int]:
    """Column widths that add up to at most `room`: only the columns in `cut` (free texts: what happened, what was
    expected; and the ids and names, each already at most `ID_MOST_CHARS` wide) are narrowed, the widest of them to
    one cap, as little as it takes, none below its `least`; the others (a time, an error's name) keep their whole
    text."""
    if sum(widths) <= room:
        return list(widths)
    rest = room - sum(w for c, w in enumerate(widths) if c not in cut)
    texts = sorted(widths[c] for c in cut)
    cap = 0
    for i, w in enumerate(texts):
        n = len(texts) - i
        if w * n >= rest:
            cap = max(rest, 0) // n
            break
        rest -= w
    return [max(min(w, cap), lo) if c in cut else w for c, (w, lo) in enumerate(zip(widths, least, strict=True))]


TIME, WHAT, EXPECTED, ORDER, OPERATOR, STATION = 0, 2, 3, 4, 5, 6  # LatestErrorsModel's columns that fitting wraps,
# narrows or leaves out
IDS = (ORDER, OPERATOR, STATION)  # ids and names, from the OMS too: each at most ID_MOST_CHARS digits wide
ID_MOST_CHARS = 24  # a 500-character operator id widened its column past the screen (its header out of sight) and
# narrowed what and expected to "RRRR…"; one held longer ends in "…" (its whole text in the cell's tooltip)
TEXT_LEAST = 96  # px: what a narrowed text column keeps at least (its header may end in "…" too)


class LatestErrorsModel(RowsModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.headers = [_("Time"), _("Error"), _("Scanned / what happened"), _("Expected"),
                        _("Order"), _("Operator"), _("Station")]
        self.two_line_time = False  # the all-columns view (F8): "12-07" over "14:30:48", its room to the codes

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and index.isValid():
            v = self.rows[index.row()][index.column()]
            return self.time_lines(v) if index.column() == TIME and self.two_line_time else v
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid():  # a text cut to its column's width, whole
            return self.rows[index.row()][index.column()]
        return None

    @staticmethod
    def time_lines(t) -> str:
        return str(t).replace(" ", "\n", 1)


_FIGURES = TypeAdapter(Figures)
COUNT_MOST = 10 ** 9  # a count above it is no warehouse's (a thousand million errors): a malformed reply
SECONDS_MOST = 86_400.0  # a step time or SLA above a day is no packing step's
RATE_MOST = 1000.0 * COUNT_MOST  # per 1,000 scans or orders
NAMED_MOST = 500  # error types, stations, operators, steps, complexities, hours: the largest this many are taken
DAYS_MOST = 10_500  # days: the date fields' whole span (2000-01-01 to a year ahead)


def _said(x: Any) -> str:
    """A value as a reason says it: short, and never the digits of a huge number (repr of 10**5000 raises)."""
    return f"a {x.bit_length()}-bit number" if isinstance(x, int) and abs(x) > 10 ** 12 else repr(x)[:40]


def _count(x: Any, where: str) -> int:
    if type(x) is not int or not 0 <= x <= COUNT_MOST:
        raise ValueError(f"{where}: {_said(x)} is not a count (a whole number, 0 to {COUNT_MOST:,})")
    return x


def _amount(x: Any, where: str, most: float) -> float:
    """A finite number from 0 to `most` (an int too big for a float is refused before it meets math)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or \
            not (0 <= x <= most if isinstance(x, int) else math.isfinite(x) and 0 <= x <= most):
        raise ValueError(f"{where}: {_said(x)} is not a number from 0 to {most:g}")
    return x


def _named(d: dict, key: str, value, cut: dict[str, int], most: int = NAMED_MOST) -> dict:
    """d[key] as a dict of text -> checked value, the `most` largest where it holds more (how many left out: cut)."""
    m = d.get(key, {})
    if not isinstance(m, dict) or not all(isinstance(k, str) for k in m):
        raise ValueError(f"{key} is not a table of names")
    items = [(k, value(v, f"{key}[{k[:40]!r}]")) for k, v in m.items()]
    if len(items) > most:
        cut[key] = len(items) - most
        items = sorted(items, key=lambda kv: -kv[1] if isinstance(kv[1], (int, float)) else 0)[:most]
    return dict(items)


def _step(v: Any, where: str) -> dict:
    if not isinstance(v, dict):
        raise ValueError(f"{where} is not a step's figures")
    out = dict(v)
    if "n" in v:
        out["n"] = _count(v["n"], f"{where}.n")
    for k in ("median_s", "p90_s", "sla_s"):
        if v.get(k) is not None:
            out[k] = _amount(v[k], f"{where}.{k}", SECONDS_MOST)
    if v.get("late_share") is not None:
        out["late_share"] = _amount(v["late_share"], f"{where}.late_share", 1.0)
    return out


def figures_from_dict(d: Any, cut: dict[str, int] | None = None) -> Figures:
    """The OMS's reply as Figures, every field checked (a chart must never meet a text where a count belongs):
    ValueError for a reply that is not one — a count that is negative, not a whole number or above `COUNT_MOST`, a
    time negative, not finite or above a day (`SECONDS_MOST`): "errors -5" was shown, 10**400 in by_hour stopped the
    charts (OverflowError) and the PDF, 1e300 s drew an axis "0 0 0 0". A table of more than `NAMED_MOST` names (10,000
    error types took F6 over 20 s) is taken as its largest rows; `cut` gets how many each table left out."""
    if not isinstance(d, dict):
        raise ValueError("the reply is not a JSON object")
    cut = {} if cut is None else cut
    d = {k: v for k, v in d.items() if k in Figures.__dataclass_fields__}
    for k in ("scans", "orders", "errors"):
        if k in d:
            d[k] = _count(d[k], k)
    hours = d.get("by_hour", [0] * 24)
    if not isinstance(hours, list) or len(hours) != 24:
        raise ValueError(f"by_hour has {len(hours) if isinstance(hours, list) else 'no'} hours, not 24")
    d["by_hour"] = [_count(v, f"by_hour[{h}]") for h, v in enumerate(hours)]
    for k in ("by_type", "by_station", "by_operator"):
        d[k] = _named(d, k, _count, cut)
    d["by_day"] = _named(d, "by_day", _count, cut, DAYS_MOST)
    for k in ("per_1000_scans", "per_1000_orders"):  # the rates of the error types taken, no others
        rates = _named(d, k, lambda v, w: _amount(v, w, RATE_MOST), {}, COUNT_MOST)
        d[k] = {t: r for t, r in rates.items() if t in d["by_type"]}
    d["steps"] = _named(d, "steps", _step, cut)
    d["throughput"] = _named(d, "throughput", lambda v, w: _named({w: v}, w, _count, cut), cut)
    return _FIGURES.validate_python(d)


class SupervisorScreen(QWidget):
    back_requested = Signal()  # Back button / Esc (@@BACK and @@LOGOUT reach the station controller as scans)
    logout_requested = Signal()

    def set_compact(self, compact: bool) -> None:
        """A low display (`MainWindow.set_display`): lower buttons and fields, and charts with the least room around
        their plots and no "hour" under the hours (00 03 … 21 say it). At 1024x600 each chart is ~160 px high, and
        with the usual margins and titles the hours' plot was ~45 px: QtCharts drew the hour labels as "…"."""
        self.setStyleSheet("SupervisorScreen QPushButton { min-height: 38px; padding: 2px 12px; }"
                           " SupervisorScreen QLineEdit { min-height: 34px; font-size: 20px; }" if compact else "")
        if compact == self.compact:
            return
        self.compact = compact
        for chart, (margins, inner, font) in self._chart_room.items():
            chart.setMargins(QMargins(4, 0, 4, 0) if compact else margins)
            chart.layout().setContentsMargins(*((2, 2, 2, 2) if compact else inner))
            title = QFont(font)
            if compact:
                title.setPixelSize(12)
            chart.setTitleFont(title)
        if self.figures is not None:
            self.show_figures(self.figures)

    def _navigation(self) -> QHBoxLayout:
        nav = QHBoxLayout()
        self.back_btn = QPushButton(_("Back to queue [Esc]"))
        self.logout_btn = QPushButton(_("Log out [Ctrl+L]"))
        self.back_btn.clicked.connect(self.back_requested.emit)
        self.logout_btn.clicked.connect(self.logout_requested.emit)
        QShortcut(QKeySequence("Escape"), self, activated=self.back_requested.emit)
        nav.addWidget(self.back_btn)
        nav.addWidget(self.logout_btn)
        nav.addStretch(1)
        # the latest errors over the whole body: seven columns scroll sideways in a quarter of a 1024x768 screen
        # (who made the error, the operator, was out of sight); F8 again brings the charts back
        self.wide_btn = QPushButton()
        self.wide_btn.clicked.connect(self.toggle_wide_errors)
        QShortcut(QKeySequence("F8"), self, activated=self.toggle_wide_errors)
        nav.addWidget(self.wide_btn)
        return nav

    def __init__(self, core, remote=None, parent=None, tasks=None, operator=None):
        super().__init__(parent)
        self.core, self.remote, self.figures = core, remote, None
        self._generation, self.updating = 0, False
        if tasks is None:
            from ui.tasks import TaskRunner

            tasks = TaskRunner(self)
        self.tasks = tasks
        self.date_from, self.date_to = QDateEdit(), QDateEdit()
        self._default_range: tuple[QDate, QDate] | None = None
        self._follow_today()
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.station, self.operator = QLineEdit(), QLineEdit()
        # what the figures on screen are (their days, source, filter: F6 writes them by it), and what was last asked:
        # date fields or filters changed since are said (self.changed), never shown as if they were the figures'
        self.shown_scope: ReportScope | None = None
        self._asked: tuple | None = None
        self.changed = QLabel()
        self.changed.setWordWrap(True)
        self.changed.setStyleSheet("color: #b26a00; font-weight: bold;")
        self.changed.hide()
        for d in (self.date_from, self.date_to):
            d.dateChanged.connect(lambda _d: self._say_changed())
        for line in (self.station, self.operator):
            line.textChanged.connect(lambda _t: self._say_changed())
        self.station.setPlaceholderText(_("station"))
        self.operator.setPlaceholderText(_("operator"))
        self.source = QComboBox()
        self.source.addItem(_("This station"), "local")
        self.source.addItem(_("All stations (OMS)"), "remote")
        if remote is None:
            self.source.model().item(1).setEnabled(False)
        self.refresh_btn = refresh = QPushButton(_("Refresh") + "  [F5]")
        refresh.clicked.connect(self.refresh)
        # by keyboard alone: F5, Enter in a filter, or another source chosen (arrow keys on the list) refreshes
        QShortcut(QKeySequence("F5"), self, activated=self.refresh)
        for line in (self.station, self.operator):
            line.returnPressed.connect(self.refresh)
        self.source.currentIndexChanged.connect(lambda _i: self.refresh())
        self.report_btn = QPushButton(_("Report (PDF + CSV)") + "  [F6]")
        self.report_btn.clicked.connect(self.write_report)
        # its own key: by Tab it is behind the filters and both dates, whose year, month and day Tab walks too
        QShortcut(QKeySequence("F6"), self, activated=self.write_report)
        self.summary = QLabel()
        self.summary.setObjectName("big")
        self.message = QLabel()
        self.message.setWordWrap(True)
        top = QGridLayout()  # two rows: fits a 1024-wide screen with the large kiosk fonts
        for i, w in enumerate((self.date_from, self.date_to, self.station, self.operator)):
            top.addWidget(w, 0, i)
        top.addWidget(self.source, 1, 0, 1, 2)
        top.addWidget(refresh, 1, 2)
        top.addWidget(self.report_btn, 1, 3)
        for w in (self.station, self.operator, self.source):
            w.setMinimumWidth(120)
        self.hour_chart, self.type_chart, self.step_chart = QChart(), QChart(), QChart()
        self.compact = False  # set_compact
        self._chart_room = {c: (c.margins(), c.layout().getContentsMargins(), c.titleFont())  # as Qt makes them
                            for c in (self.hour_chart, self.type_chart, self.step_chart)}
        self._types_shown = 0  # rows of the type chart as built (_type_chart); _fit_types builds it anew for its plot
        self.type_chart.plotAreaChanged.connect(lambda _r: QTimer.singleShot(0, self, self._fit_types))
        self._value_tops: dict[int, tuple[float, bool]] = {}  # chart -> (its data's top, a count axis?)
        self.sla_marks: list[tuple[str, float]] = []  # the step chart's SLA markers: (step, level)
        self.operator_names: dict[str, str] = {}  # operator id -> "name (badge)", for the report
        for chart in (self.hour_chart, self.step_chart):  # ticks re-spaced when the plot's height changes
            # once QtCharts' layout is over: a range set from inside it laid the chart out again within itself, and
            # QtCharts crashed (the hours' count axis at 1024x600 with the charts' closer margins)
            chart.plotAreaChanged.connect(lambda _r, c=chart: QTimer.singleShot(0, self, lambda: self._fit_ticks(c)))
        self.errors_model = LatestErrorsModel(self)
        table = QTableView()
        table.setModel(self.errors_model)
        # columns as wide as their contents (never "…", see _fit_columns), the last one takes the rest; a narrow
        # screen scrolls
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.horizontalHeader().setStretchLastSection(True)
        table.setTabKeyNavigation(False)  # Tab leaves the table (arrows walk it): no keyboard trap
        table.verticalHeader().hide()  # an empty grey strip: its px go to the columns
        table.horizontalHeader().setTextElideMode(Qt.TextElideMode.ElideRight)  # a narrowed header keeps its start
        self.errors_view = table
        self.grid = grid = QGridLayout()
        self.chart_views = [QChartView(c) for c in (self.hour_chart, self.type_chart, self.step_chart)]
        grid.addWidget(self.chart_views[0], 0, 0)
        grid.addWidget(self.chart_views[1], 0, 1)
        grid.addWidget(self.chart_views[2], 1, 0)
        grid.addWidget(table, 1, 1)
        for i in (0, 1):  # four equal quarters, before and after F8 (else the size hints share the room anew)
            grid.setColumnStretch(i, 1)
            grid.setRowStretch(i, 1)
        self.wide_errors = False
        lay = QVBoxLayout(self)
        lay.addLayout(self._navigation())
        self._name_wide_button()
        self.denied = QLabel(_("Supervisors only: log in with a supervisor badge to see the figures."))
        self.denied.setObjectName("title")
        self.denied.hide()
        lay.addWidget(self.denied)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.addLayout(top)
        body.addWidget(self.summary)
        body.addWidget(self.changed)
        body.addWidget(self.message)
        body.addLayout(grid, 1)
        lay.addWidget(self.body, 1)
        # the screen opens with the source list in focus (Down: all stations), then Tab: the filters, the dates
        # (Tab also walks a date's year, month and day), Refresh and Report, then the latest errors, whose columns
        # the arrow keys bring into view on a narrow screen (they scroll sideways there)
        self.setFocusProxy(self.source)
        chain = (self.source, self.station, self.operator, self.date_from, self.date_to, refresh, self.report_btn,
                 table)
        for a, b in itertools.pairwise(chain):
            QWidget.setTabOrder(a, b)
        self.set_operator(operator)

    def toggle_wide_errors(self) -> None:
        """The latest errors over the charts' room too (every column in view at 1024x768), or back beside them."""
        self.wide_errors = wide = not self.wide_errors
        for v in self.chart_views:
            v.setVisible(not wide)
        self.grid.removeWidget(self.errors_view)
        if wide:
            self.grid.addWidget(self.errors_view, 0, 0, 2, 2)
        else:
            self.grid.addWidget(self.errors_view, 1, 1)
        self._name_wide_button()
        QTimer.singleShot(0, self._fit_columns)  # once the table has its new width
        if wide:
            self.errors_view.setFocus()

    def _name_wide_button(self) -> None:
        self.wide_btn.setText(_("Charts [F8]") if self.wide_errors else _("Latest errors, all columns [F8]"))

    def _follow_today(self) -> None:
        """The last seven days up to today in the warehouse zone (not the machine's date: a kiosk on UTC in a UTC+8
        warehouse would leave out everything since midnight), moved on when the screen is shown again after
        midnight — unless someone chose other dates."""
        d = warehouse_today(self.core.settings.station.warehouse_tz)
        today = QDate(d.year, d.month, d.day)
        # days a report can be: 9999-12-31 overflowed the day bounds (an OverflowError on the GUI thread)
        for field in (self.date_from, self.date_to):
            field.setDateRange(QDate(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day), today.addYears(1))
        if self._default_range is None or self._default_range == (self.date_from.date(), self.date_to.date()):
            self._default_range = (today.addDays(-6), today)
            self.date_from.setDate(self._default_range[0])
            self.date_to.setDate(self._default_range[1])

    # -- access ---------------------------------------------------------------------------------
    def set_operator(self, op) -> None:
        """None = opened from code/tests by a trusted caller; an operator who is not a supervisor is refused."""
        allowed = op is None or op.is_supervisor
        self._follow_today()
        self.denied.setVisible(not allowed)
        self.body.setVisible(allowed)
        self.wide_btn.setVisible(allowed)
        if allowed:
            self.refresh()

    # -- figures --------------------------------------------------------------------------------
    def _range(self):
        """The days in the date fields and their bounds (UTC ms); BadDays for a first day after the last."""
        tz = self.core.settings.station.warehouse_tz
        d_from = self.date_from.date().toString("yyyy-MM-dd")
        d_to = self.date_to.date().toString("yyyy-MM-dd")
        checked_days(d_from, d_to, tz, warehouse_today(tz))
        a, b = day_bounds_ms(d_from, d_to, tz)
        return d_from, d_to, a, b

    def _fields(self) -> tuple:
        """What the fields ask for: the days, the source, the filters as typed."""
        return (self.date_from.date(), self.date_to.date(), self.source.currentData(), self.station.text().strip(),
                self.operator.text().strip())

    def _say_changed(self) -> None:
        """Figures under date fields or filters that are not theirs are said to be so, with the key that shows the
        new ones (old figures under new dates read as the new dates' figures)."""
        stale = self.shown_scope is not None and (self._asked is None or self._fields() != self._asked)
        if stale:
            self.changed.setText(_("The figures below are still {days}: the dates or filters were changed. F5 "
                                   "shows them.", days=self.shown_scope.days()))
        self.changed.setVisible(stale)

    def refresh(self) -> None:
        """Figures and the latest errors are computed on a worker (1M events take seconds); the screen says
        "updating…" meanwhile, and a result that a newer refresh has overtaken is dropped. A range that followed
        today moves on first (a screen left open over midnight kept yesterday's days after F5)."""
        s = self.core.settings
        self._follow_today()
        try:
            d_from, d_to, a, b = self._range()
        except (BadDays, ValueError, OverflowError) as exc:  # said, the figures on screen kept (and said to be)
            self.message.setText(_(exc.msg) if isinstance(exc, BadDays) else str(exc))
            self._asked = None  # nothing asked that the figures on screen are
            self._say_changed()
            return
        st, op = self.station.text().strip() or None, self.operator.text().strip() or None
        self._asked = self._fields()
        self._say_changed()
        self._generation += 1
        gen = self._generation
        self.updating = True
        self.summary.setText(_("updating…"))
        store, tz, sla = self.core.store, s.station.warehouse_tz, s.sla
        remote = self.remote if self.source.currentData() == "remote" and self.remote is not None else None
        if remote is not None:
            self.message.setText(_("loading all stations' figures from the OMS…"))
        directory = self.core.operators

        def work():
            # operators as a supervisor knows them: a badge or a name in the filter, names in the table (the log
            # keeps ids: "OP-K1" was neither what the badge says nor who it is)
            known = directory.all()
            meant = operators_matching(known, op) if op else []
            op_id = meant[0].id if len(meant) == 1 else op  # not known here: as typed (another station's id)

            cut: dict[str, int] = {}  # what an OMS reply's longest tables left out (figures_from_dict)

            def done(source: str, figures, rows) -> tuple:
                scope = ReportScope(d_from, d_to, tz, "oms" if source.startswith("remote") else "station", st, op_id)
                return source, figures, rows, known, meant, scope, sum(cut.values())

            def ours():  # this station's latest errors: read only when the table shows them
                return latest_errors(store, tz, a, b, st, op_id)

            if remote is not None:
                try:
                    result = remote(d_from, d_to, st, op_id)
                    theirs = figures_from_dict(result, cut)
                except Exception as exc:  # shown as a fallback, not a failure
                    log.warning("all stations' figures not shown: %s: %s", type(exc).__name__, exc)
                    source = "unreadable" if isinstance(exc, ValueError) else "fallback"  # bad JSON is one too
                else:
                    their_rows = result.get("latest_errors")
                    if isinstance(their_rows, list):  # every station's (an OMS that does not send them: ours)
                        # orders by number: the OMS's, else the pick lists held here (an OMS that sends ids only)
                        held = order_numbers(store, (e.get("order_id") for e in their_rows if isinstance(e, dict)))
                        return done("remote", theirs, error_rows(their_rows, tz, numbers=held))
                    return done("remote_figures", theirs, ours())
            else:
                source = "local"
            # the station's aggregate, extended by the events since the last refresh (app.stats)
            f = figures_from_store(store, tz=tz, start=a, end=b, sla=sla, station=st, operator=op_id)
            return done(source, f, ours())

        self.tasks.run(work, lambda res: self._figures_done(gen, res, op))

    def _figures_done(self, gen: int, result, typed: str | None = None) -> None:
        if gen != self._generation:
            return  # overtaken by a newer refresh: stale
        self.updating = not isinstance(result, Exception)  # until the charts are shown (_show_charts)
        if isinstance(result, Exception):
            self.summary.setText("")
            self.message.setText(_("The figures could not be computed: {error}", error=str(result)))
            return
        source, figures, rows, known, meant, scope, left_out = result
        who = {o.id: o.known_as for o in known}
        names = {o.id: o.name_and_badge for o in known}
        # what went wrong first (time, error, what, expected), then where and who: on a 1024-wide screen the table
        # shows about four columns without scrolling
        # every text as it is (visible_text): an operator id from the OMS with a right-to-left override showed other
        # text than it holds
        self.errors_model.set_rows([tuple(visible_text(c) if isinstance(c, str) else c for c in (
            t, self.error_name(e), self.what_name(e, what), _(exp) if isinstance(exp, Msg) else exp, order,
            who.get(op, op) if op else op, st)) for t, st, op, order, e, what, exp in rows])
        self._fit_columns()
        QTimer.singleShot(0, lambda: self._show_charts(gen, figures, scope, names))
        if source == "remote":
            self.message.setText(_("All stations, from the OMS."))
        elif source == "remote_figures":
            self.message.setText(_("All stations, from the OMS. The latest-errors table shows this station "
                                         "only."))
        elif source == "fallback":
            self._show_source_local()
            self.message.setText(_("OMS unreachable — showing this station only."))
        elif source == "unreadable":
            self._show_source_local()
            self.message.setText(_("The OMS sent figures this station cannot read — showing this station only."))
        else:
            self.message.setText(_("This station's own log (works offline)."))
        if left_out:  # an OMS reply's tables taken as their largest rows (figures_from_dict): said
            self.message.setText(f"{self.message.text()} " + _(
                "The OMS sent longer tables than this screen takes: the largest {most} rows of each are shown, "
                "{count} left out.", most=NAMED_MOST, count=left_out))
        note = operator_note(typed, meant)
        if note:  # an operator filter that is nobody here, or several people: said beside the source
            self.message.setText(f"{self.message.text()} {note}")

    def _show_source_local(self) -> None:
        """The source list back on "This station" after a fallback, without the refresh a choice starts."""
        self.source.blockSignals(True)
        self.source.setCurrentIndex(0)
        self.source.blockSignals(False)
        if self._asked is not None:  # what was asked is what is shown: this station's
            self._asked = (*self._asked[:2], self.source.currentData(), *self._asked[3:])

    def _show_charts(self, gen: int, figures: Figures, scope: ReportScope | None = None,
                     names: dict[str, str] | None = None) -> None:
        """The charts a turn of the event loop after the table: the table's first paint and the charts' build
        and paint together kept the GUI thread ~70 ms; apart, each is a short stall. What the figures are (`scope`)
        and the operators' names for the report are kept with them, at once: F6 writes these figures by these."""
        if gen != self._generation:
            return  # a newer refresh was asked meanwhile
        self.shown_scope, self.operator_names = scope, dict(names or {})
        self.show_figures(figures)
        self.updating = False
        self._say_changed()

    def _fit_columns(self) -> None:
        """Each latest-errors column as wide as its widest text over all rows, measured with the font's
        metrics (a few ms). The header's ResizeToContents asked the model for every cell's size hint through
        Python: ~100 ms of GUI thread for 200 rows at the first paint after a refresh. Beside the charts a narrow
        screen scrolls sideways; over the whole body (F8) every column is in view."""
        view, head = self.errors_view, self.errors_view.horizontalHeader()
        fm = view.fontMetrics()
        pad = cell_pad(view) + 2
        rows = self.errors_model.rows
        # F8: the time on two lines, the date over the time of day (a scan's 13-digit code was cut to "6900000000…"
        # while the time kept 160 px at 1024x768)
        self.errors_model.two_line_time = self.wide_errors

        def text_width(c: int, r) -> int:
            if c == TIME and self.wide_errors:
                return max(fm.horizontalAdvance(t) for t in self.errors_model.time_lines(r[c]).split("\n"))
            return fm.horizontalAdvance(str(r[c]))

        widths = [max(head.sectionSizeHint(c), pad + max((text_width(c, r) for r in rows), default=0))
                  for c in range(self.errors_model.columnCount())]
        id_most = pad + fm.horizontalAdvance("0" * ID_MOST_CHARS)
        for c in IDS:  # an id or a name at most ID_MOST_CHARS digits wide, its header whole
            widths[c] = min(widths[c], max(id_most, head.sectionSizeHint(c)))
        # one station's rows (this station's own log) need no Station column: its width goes to the others
        head.setSectionHidden(STATION, self.wide_errors and len({r[STATION] for r in rows}) <= 1)
        if not self.wide_errors:
            view.verticalHeader().resetDefaultSectionSize()
        else:  # every column in view: the longest texts (a printer's whole fault) wrap, then end in "…"
            # two lines a row, so that a narrowed text wraps ("6900000000083" / "BLACK / M") before it is cut: one
            # height for every row (sizing each row to its contents asks every cell through Python)
            # Each line as high as the highest the texts take: a Chinese text's line (the fallback font's) is higher
            # than the Latin font's lineSpacing, and two such lines did not fit: "面单打印机：打印…" on one line.
            said = " ".join(str(r[c]) for r in rows for c in (WHAT, EXPECTED))
            line = max(fm.lineSpacing(), math.ceil(QFontMetricsF(view.font()).boundingRect(said).height()))
            row_h = 2 * line + pad
            view.verticalHeader().setDefaultSectionSize(row_h)
            shown = [c for c in range(len(widths)) if not head.isSectionHidden(c)]
            room, bar = view.viewport().width(), view.verticalScrollBar()
            if not bar.isVisible() and len(rows) * row_h > view.viewport().height():
                room -= bar.sizeHint().width()  # the rows, two lines high now, will want the scroll bar's room too
            fitted = fit_widths([widths[c] for c in shown], room,
                                [min(head.sectionSizeHint(c), TEXT_LEAST) for c in shown],
                                cut=tuple(shown.index(c) for c in (WHAT, EXPECTED, *IDS) if c in shown))
            for c, w in zip(shown, fitted, strict=True):
                widths[c] = w
        for c, w in enumerate(widths):
            head.resizeSection(c, w)

    def error_name(self, key: str) -> str:
        """An error type (stats key or verdict kind) in the operator's language."""
        return _(ERROR_NAMES[key]) if key in ERROR_NAMES else visible_text(key)

    @staticmethod
    def what_name(error: str, what: Msg | str) -> str:
        """What happened in the operator's language (`app.stats` says it as a message: a reprint's reason as the F12
        list names it, a weight in grams as the work screen says them); a plain text from an OMS that sends text only,
        with a printer fault's device named ("Label printer: …", not the code "label_printer: …")."""
        if isinstance(what, Msg):
            return _(what)
        code, sep, rest = what.partition(": ")
        if error == "printer_fault" and sep and code in names.DEVICE:
            return f"{names.device(code)}: {rest}"
        return what

    def step_name(self, step: str) -> str:
        """The step as the work screen names it (the chart said "Verify" for the step the packer knows as Check)."""
        return _(STEP_NAMES[step]) if step in STEP_NAMES else step

    def show_figures(self, f: Figures) -> None:
        self.figures = f
        self.summary.setText(_("scans {scans} · orders {orders} · errors {errors}", scans=f.scans, orders=f.orders,
                               errors=f.errors))
        self._hour_chart(f)
        self._type_chart(f)
        self._step_chart(f)

    @staticmethod
    def _clear(chart, title: str) -> None:
        chart.removeAllSeries()
        for ax in chart.axes():
            chart.removeAxis(ax)
        chart.setTitle(title)

    def _fit_ticks(self, chart) -> None:
        """Space the vertical value axis's ticks so that the plot's height labels every one of them: once the chart
        is built, and whenever the plot's area changes (the first layout, a resize, another screen)."""
        kept = self._value_tops.get(id(chart))
        y = next((a for a in chart.axes(Qt.Orientation.Vertical) if isinstance(a, QValueAxis)), None)
        if kept is None or y is None:
            return
        top, count = kept
        fit = ticks_that_fit(chart)
        if count:  # counts: the axis ends on the first tick at or above the data
            step = nice_step(top, fit)
            if y.max() != count_axis_top(top, step):
                y.setRange(0, count_axis_top(top, step))
        else:  # the range stays as it was built (the step chart's): ticks that label its end where they can
            step = fixed_axis_step(y.max(), fit)
        if y.tickInterval() != step:
            y.setTickInterval(step)

    @staticmethod
    def _count_axis(top: float) -> QValueAxis:
        """A count axis with whole-number ticks only (0, 1, 2… or 0, 5, 10…)."""
        step = nice_step(top)
        ax = QValueAxis()
        ax.setLabelFormat("%d")
        ax.setRange(0, count_axis_top(top, step))
        ax.setTickType(QValueAxis.TickType.TicksDynamic)
        ax.setTickAnchor(0)
        ax.setTickInterval(step)
        ax.setMinorTickCount(0)
        return ax

    def _hour_chart(self, f: Figures) -> None:
        """Bars at x = 0..23 on a value axis labelled every 3 hours: never elided to "…"."""
        chart = self.hour_chart
        self._clear(chart, _("Errors by hour"))
        series = QBarSeries()
        bs = QBarSet(_("errors"))
        bs.append([float(v) for v in f.by_hour])
        series.append(bs)
        series.setBarWidth(0.8)
        chart.addSeries(series)
        x = QValueAxis()
        x.setRange(-0.5, 23.5)
        x.setLabelFormat("%02d")
        x.setTickType(QValueAxis.TickType.TicksDynamic)
        x.setTickAnchor(0)
        x.setTickInterval(3)
        x.setTitleText("" if self.compact else _("hour"))
        most = max(f.by_hour, default=0)
        y = self._count_axis(most)
        self._value_tops[id(chart)] = (most, True)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        self._fit_ticks(chart)
        series.attachAxis(x)
        series.attachAxis(y)
        chart.legend().setVisible(False)

    def _type_rows_fit(self, by_type: dict[str, int]) -> int:
        """Rows for the type chart's plot, each as high as the highest of the names it may show (a Chinese name's
        line is 19 px at 13 px, a Latin one's 16: the font's own metrics say 15 for both)."""
        font = QFont(self.font())
        font.setPixelSize(TYPE_LABEL_PX)
        fm = QFontMetricsF(font)
        names = [self.error_name(k) for k, n in by_type.items() if n] + [_("{count} other types", count=8)]
        line = max(math.ceil(fm.boundingRect(t).height()) for t in names)
        return types_that_fit(self.type_chart.plotArea().height(), line)

    def _fit_types(self) -> None:
        """The type chart built anew when its plot's height names more or fewer types than it shows."""
        if self.figures is None:
            return
        by_type = self.figures.by_type
        wanted = len(type_rows(by_type, self.error_name, self._type_rows_fit(by_type)))
        if wanted != self._types_shown:
            self._type_chart(self.figures)

    def _type_chart(self, f: Figures) -> None:
        """Horizontal bars, the most frequent error type on top, each named whole at the left in the operator's
        language; as many types as the plot has rows for (the rest summed on the last row). At 1024x768 eight
        types' rows were lower than their names: QtCharts drew every other name, and each as "…"."""
        chart = self.type_chart
        self._clear(chart, _("Error types"))
        items = type_rows(f.by_type, self.error_name, self._type_rows_fit(f.by_type))
        self._types_shown = len(items)
        items.reverse()  # a horizontal bar chart draws its first category at the bottom
        series = QHorizontalBarSeries()
        bs = QBarSet(_("errors"))
        bs.append([float(n) for _k, n in items])
        series.append(bs)
        chart.addSeries(series)
        y = QBarCategoryAxis()
        y.append([k for k, _n in items] or [_("no errors")])
        font = y.labelsFont()
        font.setPixelSize(TYPE_LABEL_PX)
        y.setLabelsFont(font)
        y.setTruncateLabels(False)  # the names whole: the plot is narrower instead
        x = self._count_axis(max((n for _k, n in items), default=0))
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(y)
        series.attachAxis(x)
        chart.legend().setVisible(False)

    def _step_chart(self, f: Figures) -> None:
        """Median and p90 as bars; the SLA as a short line over each step's bars. The axis is scaled to the
        measured times and ends on a labelled tick, spaced for the plot's height (at 1024x768 there is room for two
        labels: an axis ending at 16 s with a tick every 20 s read "0" alone); an SLA above its end is not drawn:
        its step's label gets an arrow, and the title says what the arrow means."""
        chart = self.step_chart
        steps = [s for s in STEPS if s in f.steps]
        measured = [getattr(f.steps[s], a) or 0 for s in steps for a in ("median_s", "p90_s")]
        measured_any = max(measured, default=0) > 0
        # the axis is scaled to the measured times; with nothing measured yet, to the targets themselves
        basis = measured if measured_any else [f.steps[s].sla_s for s in steps]
        minutes = max(basis, default=0) >= 120
        unit = 60.0 if minutes else 1.0
        title = _("Step time, minutes (median, p90; SLA line)") if minutes else \
            _("Step time, seconds (median, p90; SLA line)")
        self._clear(chart, title)
        series = QBarSeries()
        for name, attr in ((_("median"), "median_s"), (_("p90"), "p90_s")):
            bs = QBarSet(name)
            bs.append([round((getattr(f.steps[s], attr) or 0) / unit, 1) for s in steps])
            series.append(bs)
        chart.addSeries(series)
        top = max(basis, default=0) / unit * 1.25 or 1.0
        y = QValueAxis()
        y.setTickType(QValueAxis.TickType.TicksDynamic)
        y.setTickAnchor(0)  # ticks on round values: every label is the exact value of its grid line
        if top >= 6:  # whole numbers, up to a tick above the data
            y.setLabelFormat("%d")
            # the end on a tick of the coarsest spacing a kiosk's chart needs (two labels: its plot is ~65 px tall at
            # 1024x768); finer spacings, where there is room (_fit_ticks, once the plot's height is known), mostly
            # divide it. The plot's height is not known here on the screen's first showing.
            top = count_axis_top(top, nice_step(top, 2))
            self._value_tops[id(chart)] = (top, False)  # the ticks: _fit_ticks (below, and on every layout)
        else:
            self._value_tops.pop(id(chart), None)
            y.setLabelFormat("%.1f")
            y.setTickInterval(1.0 if top >= 3 else 0.5 if top >= 1 else 0.2)
        y.setRange(0, top)
        x = QBarCategoryAxis()
        # a step whose SLA lies above the axis gets an arrow: its marker is pinned at the top
        x.append([self.step_name(s) + (" ↑" if measured_any and f.steps[s].sla_s / unit > top else "")
                  for s in steps] or ["-"])
        small = x.labelsFont()
        small.setPixelSize(12)
        x.setLabelsFont(small)
        # QtCharts cuts a label well short of its category's width: at 1024x768 "Verify ↑" (48 px) became
        # "Verify..." in a 75-px category. Five steps' names with their arrow fit whole (the widest, "Weigh ↑",
        # 51 px; a test checks each against its category)
        x.setTruncateLabels(False)
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        self._fit_ticks(chart)
        series.attachAxis(x)
        series.attachAxis(y)
        # the SLA as a red line over a step's bars where it lies on the axis; one above it is not drawn (pinned at the
        # top edge, five marks read as a target of the axis's end — 100 s — for every step: the QA walkthrough), its
        # step's label has the arrow and the title says what the arrow means
        self.sla_marks = []
        above = measured_any and any(f.steps[s].sla_s / unit > top for s in steps)
        if above:  # what the arrow means, in the title (in the legend it took the steps' names' room at 1024 px)
            chart.setTitle(_("Step time, minutes (median, p90; SLA line, ↑ above the axis)") if minutes else
                           _("Step time, seconds (median, p90; SLA line, ↑ above the axis)"))
        legend_shown = False
        for i, s in enumerate(steps):
            level = f.steps[s].sla_s / unit
            if level > top and (legend_shown or i < len(steps) - 1):
                continue  # the last step's empty series carries the legend's entry when no mark is drawn
            mark = QLineSeries()
            mark.setName(_("SLA"))
            if level <= top:
                mark.append(i - 0.4, level)
                mark.append(i + 0.4, level)
                self.sla_marks.append((s, level))
            pen = QPen(QColor("#c62828"))
            pen.setWidth(4)
            mark.setPen(pen)
            chart.addSeries(mark)
            mark.attachAxis(x)
            mark.attachAxis(y)
            if legend_shown:
                for m in chart.legend().markers(mark):
                    m.setVisible(False)
            legend_shown = True
        # the legend beside the plot, not above it: in Chinese, whose lines are higher, the plot was 47 px at 1024x768
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
        chart.legend().setVisible(True)

    def hour_values(self):
        bs = self.hour_chart.series()[0].barSets()[0]
        return [int(bs.at(i)) for i in range(bs.count())]

    # -- report ---------------------------------------------------------------------------------
    def write_report(self) -> None:
        from app.reports import report_paths, write_csv, write_pdf

        f, scope = self.figures, self.shown_scope
        if f is None or scope is None:
            return
        # the figures on screen, named and titled by their own days, source and filter: by the date fields, a from-day
        # changed without F5 (or F6 during "updating…") named the old figures' files after the new days
        out = self.core.settings.data_dir / "reports"
        names = dict(self.operator_names)
        tz = self.core.settings.station.warehouse_tz

        def work():
            out.mkdir(parents=True, exist_ok=True)
            # each export its own files, named by the warehouse time it was written: F6 twice on the same days wrote
            # over the first export silently
            pdf_path, csv_path = report_paths(out, scope.d_from, scope.d_to, datetime.now(ZoneInfo(tz)))
            pdf = write_pdf(f, pdf_path, operators=names, scope=scope)
            return pdf, write_csv(f, csv_path, operators=names, scope=scope)

        self.report_btn.setEnabled(False)
        self.message.setText(_("writing the report…"))
        self.tasks.run(work, self._report_done)

    def _report_done(self, result) -> None:
        self.report_btn.setEnabled(True)
        if isinstance(result, Exception):
            self.message.setText(_("Report failed: {error}", error=str(result)))
            return
        self.last_report = result
        pdf, csv_file = result  # the files by name, and the folder they are in
        self.message.setText(_("Report written: {pdf} and {csv} in {folder}", pdf=pdf.name, csv=csv_file.name,
                               folder=str(pdf.parent)))


def operator_note(typed: str | None, meant: list[Operator]) -> str:
    """What a supervisor is told of an operator filter that is not one operator of this station: several people (whom:
    type more), or nobody here (the figures are filtered by the text as typed: another station's operator id)."""
    if not typed or len(meant) == 1:
        return ""
    if meant:
        return _("“{text}” is {count} operators: {names}. Type more of the name, or the badge.", text=typed,
                 count=len(meant), names=", ".join(o.known_as for o in meant[:4]) + (" …" if len(meant) > 4 else ""))
    return _("No operator here is “{text}”: the figures are filtered by it as an operator id.", text=typed)
