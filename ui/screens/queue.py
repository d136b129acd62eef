"""Order queue: the open pick lists the station controller lists from the local cache (works offline).
Scan an order's barcode, pick a row and press Enter, or type the order's number (a slip whose barcode does not scan)
and press Enter: the typed text is shown, the row it names is chosen, and Enter hands it to the controller as a typed
scan (`ScanSource.KEYBOARD`). Renders the controller; decides nothing."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeySequence, QShortcut, QTextLayout
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.scans import RawScan, ScanSource, visible_text
from floor import Change, Level, Screen, words
from floor.controller import WORK_KEYS
from ui import names
from ui.screens import show_feedback
from ui.table_model import RowsModel, cell_pad
from ui.translations import _
from ui.wedge_filter import function_key, typed_char

# statuses of an order stopped by the OMS while set aside at this station (StationController.queue_status): red
STOPPED = frozenset({"cancelled", "held", "stopped"})


class PickListModel(RowsModel):
    ORDER, SHIP_BY, LINES, UNITS, CARRIER, SHIP_TO, STATUS = range(7)
    LEVEL_COLOURS = {Level.ERROR: QColor("#c62828"), Level.HINT: QColor("#bf5f00")}

    def __init__(self, parent=None, tz: str = "UTC", now_ms=None, status_of=None) -> None:
        super().__init__(parent)
        self.headers = [_("Order"), _("Ship by"), _("Lines"), _("Units"), _("Carrier"),
                        _("Ship to"), _("Status")]
        self.tz = tz  # the warehouse's zone: the latest ship time as the floor's clocks say it
        self.now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self.status_of = status_of or (lambda pl: pl.status)  # the station's word: StationController.queue_status
        self.BOLD = QFont()  # only its weight: Qt resolves the rest against the view's font
        self.BOLD.setBold(True)
        self.SMALL, self.SMALL_BOLD = QFont(), QFont()  # two-line cells; sized by set_small_px
        self.SMALL_BOLD.setBold(True)
        self.set_small_px(16)

    def set_small_px(self, px: int) -> None:
        for font in (self.SMALL, self.SMALL_BOLD):
            font.setPixelSize(px)

    @property
    def items(self) -> list:
        return self.rows

    def set_items(self, items) -> None:
        self.set_rows(items)

    def ship_by(self, pl) -> tuple[str, Level | None]:
        """The latest ship time's text and level (floor.words.ship_by), now; an urgent order's "Urgent" above it
        (floor.words.urgent, at least amber). Two lines in a smaller font rather than one wider column: at 1024 px
        "Urgent · 23 h late" on one line took the width the carrier and the address need whole."""
        said, level = words.ship_by(pl, self.now_ms(), self.tz)
        urgent = words.urgent(pl)
        if urgent is None:
            return _(said), level
        return "\n".join(t for t in (_(urgent), _(said)) if t), level or Level.HINT

    def ship_by_font(self, text: str, level: Level | None) -> QFont | None:
        """The ship-by cell's font: bold when late; smaller for two lines (QueueScreen._fit_columns sizes it so that
        both lines fit the row)."""
        if "\n" in text:
            return self.SMALL_BOLD if level == Level.ERROR else self.SMALL
        return self.BOLD if level == Level.ERROR else None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        pl, col = self.rows[index.row()], index.column()
        if col == self.SHIP_BY and role in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole):
            text, level = self.ship_by(pl)  # late: red and bold; within the hour or urgent: amber
            if role == Qt.ItemDataRole.ForegroundRole:
                return self.LEVEL_COLOURS.get(level)
            return self.ship_by_font(text, level)
        if col == self.STATUS and role == Qt.ItemDataRole.ForegroundRole and self.status_of(pl) in STOPPED:
            return self.LEVEL_COLOURS[Level.ERROR]  # stopped by the OMS while set aside here: its units go back
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        # only the asked column (Qt asks cell by cell: 6,800 times for 800 orders when the queue is shown)
        if col == self.ORDER:
            return pl.order_no
        if col == self.SHIP_BY:
            return self.ship_by(pl)[0]
        if col == self.LINES:
            return len(pl.lines)
        if col == self.UNITS:
            return pl.units
        if col == self.CARRIER:
            return f"{pl.carrier} {names.service(pl.service)}".strip()
        if col == self.SHIP_TO:
            return visible_text(f"{pl.ship_to.name}, {pl.ship_to.city}")  # a U+202E from the OMS turns nothing round
        return names.status(self.status_of(pl))


def _layout_height(text: str, font: QFont) -> float:
    """The height Qt's item delegate needs to draw `text` whole (lines split at newlines; a CJK fallback font's lines
    are taller than the font's own metrics say: 24 px against 19 at 16 px). Every line counts as tall as the tallest:
    Chinese "Urgent" over "23:45" at 16 px (24 + 19 = 43 px) was drawn "Urgent…" in a 47 px row, as if 2 x 24 (an
    urgent and late order, Chinese on both lines, made 15 px the size of every cell: the others were drawn whole
    only while it was in the queue)."""
    layout = QTextLayout(text.replace("\n", "\u2028"), font)
    layout.beginLayout()
    heights = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(100000)
        heights.append(line.height())
    layout.endLayout()
    return len(heights) * max(heights, default=0.0)


def two_line_px(view, cells, largest: int = 16, smallest: int = 11) -> int:
    """The largest pixel size, from `largest` down, at which every two-line ship-by text (`cells`: the model's
    (text, level) per order) fits its row (the delegate elides the second line of a cell too low for both, in
    Chinese at the English size: "Urgent…")."""
    room = view.verticalHeader().defaultSectionSize() - 1  # the grid line
    texts = {text for text, _level in cells if "\n" in text}
    for px in range(largest, smallest, -1):
        font = QFont(view.font())
        font.setPixelSize(px)
        font.setBold(True)
        if all(_layout_height(t, font) <= room for t in texts):
            return px
    return smallest


def ship_by_widths(view, m: PickListModel, cells) -> list[int]:
    """The widest line of each ship-by cell (`cells`: (text, level) per order) in the font it is drawn with (px): one
    font metrics per font."""
    base, metrics = view.font(), {}
    out = []
    for text, level in cells:
        cell = m.ship_by_font(text, level)
        if id(cell) not in metrics:
            metrics[id(cell)] = QFontMetrics(base if cell is None else cell.resolve(base))
        out.append(max(metrics[id(cell)].horizontalAdvance(line) for line in text.split("\n")))
    return out


class QueueScreen(QWidget):
    supervisor_requested = Signal()

    def __init__(self, services, tasks, parent=None, controller=None) -> None:
        super().__init__(parent)
        self.services, self.tasks, self.controller = services, tasks, controller
        lay = QVBoxLayout(self)
        self._lay = lay
        title = QLabel(_("Open orders — scan an order barcode or choose one"))
        title.setObjectName("title")
        # two lines where it is wider than the screen: on one line it held the window 963 px wide on a 960 px display
        # (1920x1080 at QT_SCALE_FACTOR=2), the window's right edge and the demo panel's handle off the screen
        title.setWordWrap(True)
        lay.addWidget(title)
        settings = getattr(services, "settings", None)
        # the OMS's clock as this station estimates it (`set_clock_offset`): latest ship times are the platforms'
        # deadlines, on their clock. A station clock a day behind (a flat RTC battery, no NTP) listed every late order
        # as due tomorrow, in black, under a red "CLOCK OFF BY 86400 s"
        self.clock_offset_ms = 0
        self.model = PickListModel(self, tz=settings.station.warehouse_tz if settings is not None else "UTC",
                                   now_ms=lambda: time.time_ns() // 1_000_000 + self.clock_offset_ms,
                                   status_of=controller.queue_status if controller is not None else None)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # the short columns as wide as their contents (_fit_columns), carrier and address share the rest (all six
        # stretched equally left "SF Express …" and "John Miller, …" cut at 1024 px beside two-digit counts in wide
        # columns; ResizeToContents asked Python for 6,800 cells and the style sheet for each one's size whenever the
        # queue came back, ~20 ms of GUI thread per order finished)
        head = self.view.horizontalHeader()
        for col in range(self.model.columnCount()):
            wide = col in (PickListModel.CARRIER, PickListModel.SHIP_TO)
            head.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch if wide else QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(48)
        self.view.verticalHeader().hide()  # an empty grey strip: the chosen row is drawn in blue across the table
        self.view.doubleClicked.connect(self._open_selected)
        lay.addWidget(self.view)
        self.open_btn = QPushButton(_("Open order") + "  [Enter]")
        self.open_btn.setObjectName("primary")
        self.open_btn.clicked.connect(self._open_selected)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.typed = ""  # an order number typed by a person (a scanner's keys never reach the screen)
        self.typed_label = QLabel("")
        self.typed_label.setObjectName("typed")
        self.typed_label.hide()
        lay.addWidget(self.typed_label)
        lay.addWidget(self.open_btn)
        self.supervisor_btn = QPushButton(_("Supervisor figures") + "  [F7]")
        self.supervisor_btn.clicked.connect(self.supervisor_requested.emit)
        QShortcut(QKeySequence("F7"), self, activated=self._supervisor_key)  # keyboard only: the figures
        self.supervisor_btn.hide()  # shown to supervisors only
        lay.addWidget(self.supervisor_btn)
        self.logout_btn = QPushButton(_("Log out [Ctrl+L]"))
        self.logout_btn.clicked.connect(lambda: self.controller.logout())
        lay.addWidget(self.logout_btn)
        for b in (self.open_btn, self.supervisor_btn, self.logout_btn):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        QShortcut(QKeySequence("F12"), self, activated=lambda: self.controller.key("F12"))  # reprint the last order
        for k in WORK_KEYS:  # an order's keys pressed here are answered ("No order is open…"), not swallowed
            QShortcut(QKeySequence(k), self, activated=lambda k=k: self.controller.key(k))
        self.view.installEventFilter(self)  # its reason by number (no digit shortcuts: they would catch scans)
        if controller is not None:
            controller.subscribe(self.render)
        # the latest ship times are said against the clock ("35 min late"): read again every half minute while shown
        self._clock = QTimer(self)
        self._clock.setInterval(30_000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()

    # (usual, compact) for a display less high than 740 px (`MainWindow.set_display`): at 960x540 the two-line title,
    # the 66 px buttons and an empty message line left the orders four rows of the window's 540 px
    COMPACT = ("", "QueueScreen QLabel#title { font-size: 22px; } "
                   "QueueScreen QPushButton { min-height: 34px; padding: 2px 12px; font-size: 17px; }")
    SPACING = (-1, 3)  # -1: the style's own
    MARGIN = (9, 4)
    compact = False

    def set_compact(self, compact: bool) -> None:
        """A one-line title, lower buttons and less room between them on a low display: the room goes to the rows."""
        if compact == self.compact:
            return
        self.compact = compact
        self.setStyleSheet(self.COMPACT[compact])
        self._lay.setSpacing(self.SPACING[compact])
        m = self.MARGIN[compact]
        self._lay.setContentsMargins(m, m, m, m)
        self.message.setVisible(not compact or bool(self.message.text()))

    def set_clock_offset(self, offset_ms) -> None:
        """The OMS's clock minus this station's (the sync's estimate; None or an implausible value: none)."""
        from sync.quarantine import plausible_offset

        offset = offset_ms if plausible_offset(offset_ms) else 0
        if abs(offset - self.clock_offset_ms) >= 30_000:  # said again at once, not at the next half minute
            self.clock_offset_ms = offset
            self._tick()
        else:
            self.clock_offset_ms = offset

    def _tick(self) -> None:
        if self.isVisible() and self.model.rows:
            self._fit_columns()
            self.view.viewport().update()

    def _supervisor_key(self) -> None:
        self.supervisor_requested.emit()  # the controller refuses a picker or packer, and says why

    def refresh(self) -> None:
        if self.controller is not None:
            self.controller.refresh_queue()

    def render(self, changes: Change) -> None:
        c = self.controller
        if changes & Change.SCREEN and self.typed:
            self._set_typed("")  # typed for the queue as it was: not carried to a later visit
        if changes & Change.QUEUE:
            keep = self._selected_id()
            self.model.set_items(c.queue_items())
            self._fit_columns()
            ids = [p.id for p in self.model.items]
            if ids:
                self.view.selectRow(ids.index(keep) if keep in ids else 0)
        if changes & (Change.FEEDBACK | Change.SCREEN) and c.screen == Screen.QUEUE:
            show_feedback(self.message, c.feedback)
            self.message.setVisible(not self.compact or bool(self.message.text()))  # a low display: no empty line
        if changes & Change.SESSION:
            op = c.operator
            self.supervisor_btn.setVisible(bool(op and op.is_supervisor))

    def _fit_columns(self) -> None:
        """Each short column (order, ship by, lines, units, status) as wide as its header and its widest text, measured
        with the font's metrics once per queue and every half minute (about 2 ms for 800 orders). A late order's
        time is bold: measured so."""
        view, head, m = self.view, self.view.horizontalHeader(), self.model
        view.ensurePolished()  # the style sheet's font, also before the first show
        fm = view.fontMetrics()
        pad = cell_pad(view) + 8  # a whole text with the margin the layout tests hold it to
        texts = {m.ORDER: {p.order_no for p in m.rows}, m.LINES: {str(len(p.lines)) for p in m.rows},
                 m.UNITS: {str(p.units) for p in m.rows}, m.STATUS: {names.status(s) for s in {m.status_of(p) for p in m.rows}}}
        for col, seen in texts.items():
            head.resizeSection(col, max(head.sectionSizeHint(col), pad + max(map(fm.horizontalAdvance, seen),
                                                                             default=0)))
        cells = [m.ship_by(p) for p in m.rows]  # (text, level) now
        m.set_small_px(two_line_px(view, cells))
        head.resizeSection(m.SHIP_BY, max(head.sectionSizeHint(m.SHIP_BY),
                                          pad + max(ship_by_widths(view, m, cells), default=0)))

    def _selected_id(self) -> str | None:
        rows = self.view.selectionModel().selectedRows() if self.view.selectionModel() else []
        return self.model.items[rows[0].row()].id if rows and rows[0].row() < len(self.model.items) else None

    def eventFilter(self, obj, e) -> bool:  # noqa: N802
        if obj is self.view and e.type() == QEvent.Type.KeyPress and self.controller is not None:
            if self.controller.prompt is not None:
                if e.text() in ("1", "2", "3", "4"):  # the reprint reason
                    self.controller.key(e.text())
                    return True
                if e.key() == Qt.Key.Key_Escape:  # no reprint after all
                    self.controller.key("Escape")
                    return True
            elif self._typing(e):
                return True
        return super().eventFilter(obj, e)

    def keyPressEvent(self, e) -> None:  # noqa: N802
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open_selected()
            return
        if self.controller is not None and self.controller.prompt is None and self._typing(e):
            return
        if self.controller is not None and (key := function_key(e)):  # F1, F5, F6…: said, not swallowed
            self.controller.key(key)
            return
        super().keyPressEvent(e)

    def _typing(self, e) -> bool:
        """A person's characters (the view's type-ahead swallowed them: nothing was shown, and Enter then opened the
        row that happened to be chosen — another order), Backspace, and Esc while something is typed."""
        text = typed_char(e)
        if e.key() == Qt.Key.Key_Backspace and self.typed:
            self._set_typed(self.typed[:-1])
        elif e.key() == Qt.Key.Key_Escape and self.typed:
            self._set_typed("")
        elif text and not text.isspace():
            self._set_typed((self.typed + text)[:64])
        else:
            return False
        return True

    def _set_typed(self, text: str) -> None:
        self.typed = text
        self.typed_label.setVisible(bool(text))
        if not text:
            return
        self.typed_label.setText(_("Typed: {text} — Enter opens it, Esc clears", text=text))
        want = text.casefold().removeprefix("#")  # "50002" names "#50002", as the controller reads it
        items = self.model.items
        row = next((i for i, p in enumerate(items)
                    if want in (p.order_no.casefold().removeprefix("#"), p.id.casefold())), None)
        if row is None:
            row = next((i for i, p in enumerate(items) if p.order_no.casefold().removeprefix("#").startswith(want)),
                       None)
        if row is not None:
            self.view.selectRow(row)

    def _open_selected(self, *_a) -> None:
        if self.typed:  # what the person typed, as a scan: the controller opens the order it names, or says why not
            text = self.typed
            self._set_typed("")
            self.controller.scan(RawScan(text, ScanSource.KEYBOARD))
            return
        oid = self._selected_id()
        if oid is not None:
            self.controller.open_order(oid)
