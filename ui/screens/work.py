"""The work screen for one order: pick (walking order, bin then item), verify (re-scan every item),
pack (gifts/inserts, carton), weigh (live weight vs expected), label (intercept check, label + slip).

It renders the station controller (`floor.StationController`) and hands it key presses; it decides nothing.
What to redraw comes from the controller's `Change` flags. Everything can be done with the scanner and the
keyboard; the mouse is optional."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QImage, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.actions import CARTONS
from app.address import address_one_line, recipient
from app.i18n import plural
from app.workflow import Step
from floor import Change, Level, Outcome, Screen, StationController
from floor.controller import EMPTY_SCALE_G
from ui import names
from ui.dialogs import PromptPanel
from ui.table_model import RowsModel, cell_pad
from ui.tasks import TaskRunner
from ui.translations import _
from ui.translations import language as ui_language
from ui.verdict_panel import FitLabel, VerdictPanel
from ui.wedge_filter import function_key, typed_char

log = logging.getLogger(__name__)

NBSP = "\u00a0"  # a number and its unit wrap as one ("0.034 kg)", never "0.034" / "kg)" on a short screen)


def _kg(grams: float) -> str:
    return f"{grams / 1000:.3f}{NBSP}kg"


class LinesModel(RowsModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.session = None
        # the item name last: it takes the room left and gives way on a narrow screen (it is also shown whole,
        # large, beside the table); the notes (GIFT, FRAGILE) stay in view
        self.headers = [_("Bin"), _("SKU"), _("Colour / size"), _("Qty"), _("Notes"), _("Item")]

    def set_session(self, session) -> None:
        self.session = session
        self.set_rows(session.picklist.walking_order() if session else [])

    QTY, NOTES, ITEM = 3, 4, 5

    def widest_texts(self, col: int) -> list[str]:
        """Every text column `col` can show while this order is worked: the counts and notes at their widest
        (a line fully scanned, short-picked), so that a scan never has to widen a column."""
        if self.session is None:
            return []
        if col == self.QTY:
            return [f"{ln.qty} / {ln.qty}" for ln in self.rows] + [self.confirmed(ln) for ln in self.rows if ln.gift]
        if col == self.NOTES:
            return [n for ln in self.rows for n in (self.notes(ln, short=ln.qty), self.notes(ln, 0, approved=True))]
        return [str(v) for v in ((ln.bin, ln.sku, ln.variant)[col] if col < self.QTY else ln.name for ln in self.rows)]

    @staticmethod
    def confirmed(ln) -> str:
        """A gift or insert confirmed with F3 in a counting step, not scanned: its count said "0 / 2" on a green row.
        "✓ 2" (no wider than "2 / 2": a word there pushed the notes past the table's edge at 1024 px)."""
        return f"✓ {ln.qty}"

    @staticmethod
    def notes(ln, short: int, approved: bool = False) -> str:
        """GIFT, FRAGILE, and SHORT while units are short picked and not made up (a gift taken from the gift shelf
        at pack is no longer short); how many the Qty column says once the counting is over. "F11" for a line a
        supervisor counted in full (F11: its barcode would not scan), which read "0 / 1" on green with no note."""
        return " ".join(n for n, on in ((_("GIFT"), ln.gift), (_("FRAGILE"), ln.fragile), (_("SHORT"), short),
                                        (_("F11"), approved)) if on)

    def refresh(self) -> None:
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(self.headers) - 1))

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.session is None:
            return None
        ln = self.rows[index.row()]
        lp = self.session.progress.get(ln.id)
        if role == Qt.ItemDataRole.DisplayRole:
            s, col = self.session, index.column()
            if col == self.QTY:
                if s.counting_step is not None or s.step is None:
                    if lp is None:
                        return f"0 / {ln.qty}"
                    if (lp.gift and lp.gift_confirmed or lp.forced) and lp.scanned < lp.required:
                        return self.confirmed(ln)
                    if lp.short_qty and lp.complete and not lp.forced:
                        # short and done: found of ordered, as after the counting ("0 / 0" said nothing)
                        return f"{lp.scanned} / {ln.qty}"
                    # after a short pick the count to reach is what was found (verify checks 1 of a short 2, not 2)
                    return f"{lp.scanned} / {lp.required - lp.short_qty}"
                # the counting is over: what goes into the parcel of what was ordered ("0 / 0" said nothing)
                return f"{s.packed_qty(ln.id)} / {ln.qty}"
            if col == self.NOTES:
                return self.notes(ln, s.short_units(ln.id), bool(lp and lp.forced))
            return (ln.bin, ln.sku, ln.variant, None, None, ln.name)[col]
        if role == Qt.ItemDataRole.BackgroundRole:
            cur = self.session.current_line()
            if cur is not None and cur.id == ln.id:  # at pack too: a gift short picked whole is asked for again
                return QColor("#fff59d")
            if lp and lp.complete:  # amber while units of it are short: done, not all of it (green read as all)
                return QColor("#ffe0b2") if self.session.short_units(ln.id) else QColor("#c8e6c9")
        return None


class ProductImage(QLabel):
    """The current item's picture, scaled to the room the side column has (300 px at most, 72 at least); several
    pictures (what goes into the parcel) side by side in as many rows as make them largest."""

    def __init__(self) -> None:
        super().__init__()
        self._pixes: list[QPixmap] = []
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background: white; border: 1px solid #b0bec5;")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(72, 72)
        self.setMaximumSize(300, 300)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(300, 300)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSize()  # 72 px, 48 on a compact screen (WorkScreen.set_compact)

    def set_image(self, pix: QPixmap) -> None:
        self.set_images([pix])

    def set_images(self, pixes: list[QPixmap]) -> None:
        self._pixes = [p for p in pixes if not p.isNull()]
        self._scale()

    def count(self) -> int:
        """How many pictures the box has to show."""
        return len(self._pixes)

    def shown(self) -> int:
        """How many pictures the box shows (0: blank or "no image")."""
        pm = self.pixmap()
        return len(self._pixes) if pm is not None and not pm.isNull() else 0

    def clear(self) -> None:
        self._pixes = []
        super().clear()

    def resizeEvent(self, e) -> None:  # noqa: N802
        super().resizeEvent(e)
        self._scale()

    def _scale(self) -> None:
        if not self._pixes:
            return
        w, h = max(8, self.width() - 10), max(8, self.height() - 10)
        if len(self._pixes) == 1:
            side = min(w, h)
            self.setPixmap(self._pixes[0].scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation))
        else:
            self.setPixmap(contact_sheet(self._pixes, w, h))


def sheet_grid(n: int, width: int, height: int) -> tuple[int, int]:
    """(columns, cell side) of a grid of n equal square cells inside width × height with as many columns as make the
    cells largest (one row in a wide, low box; 3 × 3 in a square one for nine; one picture: the box's smaller side)."""
    n = max(n, 1)
    cols = max(range(1, n + 1), key=lambda c: min(width // c, height // -(-n // c)))
    return cols, max(0, min(width // cols, height // -(-n // cols)))


def contact_sheet(pixes: list[QPixmap], width: int, height: int) -> QPixmap:
    """Several pictures in a grid of equal square cells inside width × height (`sheet_grid`)."""
    cols, cell = sheet_grid(len(pixes), width, height)
    rows = -(-len(pixes) // cols)
    cell = max(4, cell)
    sheet = QPixmap(cols * cell, rows * cell)
    sheet.fill(QColor("white"))
    p = QPainter(sheet)
    for i, pix in enumerate(pixes):
        small = pix.scaled(cell - 4, cell - 4, Qt.AspectRatioMode.KeepAspectRatio,
                           Qt.TransformationMode.SmoothTransformation)
        p.drawPixmap((i % cols) * cell + (cell - small.width()) // 2, (i // cols) * cell + (cell - small.height()) // 2,
                     small)
    p.end()
    return sheet


class LinesTable(QTableView):
    """Every column as wide as its header and cells (headers read whole); the item name, last, takes the room left
    (cut at its end), and where less than ITEM_MIN px is left it is not shown at all rather than as a sliver
    behind a scroll bar nobody can reach without a mouse: the current item's name is shown whole beside the table,
    and every open line's in the "scan N more ×" hint below it."""

    ITEM = LinesModel.ITEM
    ITEM_MIN = 120
    too_narrow = Signal()  # the columns but the item name do not fit the view (WorkScreen._fit_side)

    def __init__(self) -> None:
        super().__init__()
        self._widths: dict[int, int] = {}  # column -> width for its widest text (fit_columns, once per order)
        hh = self.horizontalHeader()
        hh.setStretchLastSection(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        # one line a cell, cut at its end ("Cotton T-shirt 纯棉…"): with word wrap a name in a narrow column was cut
        # twice, as two lines in one ("Cotto…irt …"); its variant has a column of its own
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)

    def setModel(self, model) -> None:  # noqa: N802
        super().setModel(model)
        model.modelReset.connect(self.fit_columns)  # a new order; a scan changes no width (widest_texts)

    def fit_columns(self) -> None:
        """Measured once per order with the font's metrics over the widest texts each column can show (a few ms
        for 1,000 lines). resizeColumnToContents on every scan asked Python for every cell: 200+ ms a scan on a
        1,000-line order (scan_to_screen_p99_ms)."""
        m = self.model()
        if m is None:
            return
        self.ensurePolished()  # the style sheet's font, also before the first show
        fm = QFontMetrics(self.font())
        # what the item delegate adds around a text (as resizeColumnToContents measures it), and the grid line
        pad = cell_pad(self) + 4
        self._widths = {c: max((fm.horizontalAdvance(t) for t in m.widest_texts(c)), default=0) + pad
                        for c in range(m.columnCount()) if c != self.ITEM}
        self._apply_widths()

    def _apply_widths(self) -> None:
        m, hh = self.model(), self.horizontalHeader()
        if m is None:
            return
        for c, w in self._widths.items():
            hh.resizeSection(c, max(hh.sectionSizeHint(c), w))
        others = sum(hh.sectionSize(c) for c in range(m.columnCount()) if c != self.ITEM)
        room = self.viewport().width() - others
        self.setColumnHidden(self.ITEM, room < self.ITEM_MIN)
        if room >= self.ITEM_MIN:
            self.setColumnWidth(self.ITEM, room)
        elif room > 0:  # no name column: the notes (gift, fragile, short) take what is left, no empty band
            notes = LinesModel.NOTES
            hh.resizeSection(notes, hh.sectionSize(notes) + room)
        elif room < 0:  # the notes (GIFT, FRAGILE) past the view's edge: the side column gives up its width
            self.too_narrow.emit()

    def resizeEvent(self, e) -> None:  # noqa: N802
        super().resizeEvent(e)
        self._apply_widths()

    def columns_width(self) -> int:
        """The width (px) the table needs to show every column but the item name whole, its frame and a vertical
        scroll bar included (`WorkScreen._fit_side`)."""
        m, hh = self.model(), self.horizontalHeader()
        if m is None or not self._widths:
            return 0
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        return sum(max(hh.sectionSizeHint(c), w) for c, w in self._widths.items()) + 2 * self.frameWidth() + bar


class WorkScreen(QWidget):
    def __init__(self, services, tasks, sounds, language: str | None = None, parent=None,
                 controller: StationController | None = None) -> None:
        super().__init__(parent)
        self.services, self.tasks, self.sounds = services, tasks, sounds  # the language: ui.translations
        # the pictures on workers of their own: never queued behind the OMS calls on `tasks` (four of them waiting
        # out a timeout on a network that drops packets would hold the current item's picture back); two, so that
        # one slow look-up (a rendition made for a photo cached before them) does not hold back the next line's
        self.picture_tasks = TaskRunner(self, max_threads=2)
        self.station = services.station
        if controller is None:  # a work screen on its own (benchmarks): its own controller
            controller = StationController(services.station, sync=services.sync, spool=services.spool,
                                           run_io=tasks.run, language=language or ui_language())
        self.controller = controller
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        root = QVBoxLayout(self)
        self._root = root
        self.panel = VerdictPanel(language, sounds)
        self.panel.acknowledged.connect(self._acknowledged)
        root.addWidget(self.panel)
        head = QHBoxLayout()
        self.order_label = FitLabel("", largest=30, smallest=16, color="#263238")
        self.order_label.setObjectName("title")
        self.step_label = FitLabel("", largest=24, smallest=14, color="#263238")
        self.step_label.setObjectName("big")
        head.addWidget(self.order_label, 2)
        head.addWidget(self.step_label, 1)
        root.addLayout(head)
        self.ship_label = FitLabel("", largest=18, smallest=11, bold=False, color="#263238")
        root.addWidget(self.ship_label)
        self.prompt = PromptPanel()  # in the lines table's place while it is open
        self.prompt.short_reason.connect(lambda r: self.controller.short_pick(r))
        self.prompt.reprint_reason.connect(lambda r: self.controller.reprint(r))
        self.prompt.found_delta.connect(lambda d: self.controller.adjust_found(d))
        self.prompt.override.connect(self._override)
        self.prompt.cancelled.connect(lambda: self.controller.cancel_prompt())
        body = QHBoxLayout()
        self.model = LinesModel(self)
        self.table = LinesTable()
        self.table.setModel(self.model)
        self.table.verticalHeader().setDefaultSectionSize(44)
        self.table.verticalHeader().hide()  # an empty grey strip (no row numbers): its ~14 px go to the columns
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setMinimumSize(200, 120)
        self.left = QStackedWidget()  # the lines table, or the open prompt in its place
        self.left.addWidget(self.table)
        self.left.addWidget(self.prompt)
        body.addWidget(self.left, 2)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        self.side = side
        self.image = ProductImage()
        self._image_wanted: tuple[str, ...] = ()  # the pictures asked for, and how often looked up
        self._image_loading: tuple[str, ...] | None = None  # the pictures being looked up and decoded on a worker
        self.pictures_shown: tuple[str, ...] = ()  # the URLs whose pictures the box shows
        self._image_tries = 0
        self._image_retry = QTimer(self)
        self._image_retry.setSingleShot(True)
        self._image_retry.setInterval(1500)
        self._image_retry.timeout.connect(self._retry_images)
        # fixed boxes whose text is set smaller when it is long: never clipped, never pushing the window
        self.cur_name = FitLabel("", largest=24, smallest=12, color="#263238")
        self.cur_variant = FitLabel("", largest=34, smallest=14, color="#0d47a1")
        self.cur_bin = FitLabel("", largest=24, smallest=12, color="#263238")
        self.weight_label = FitLabel("", largest=22, smallest=12, color="#263238")
        self.carton = QComboBox()
        self.carton.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.carton.addItem(_("— choose carton —"), "")
        for i, c in enumerate(CARTONS):
            self.carton.addItem(f"[{i + 1}] {names.carton(c.code, c.label)}", c.code)
        self.carton.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.carton.setMinimumContentsLength(8)
        self.carton.activated.connect(self._carton_chosen)
        # the item's picture, and beside it the camera preview where the column is short (see _place_camera)
        self.media = QHBoxLayout()
        self.media.setContentsMargins(0, 0, 0, 0)
        self.media.addWidget(self.image, 1, Qt.AlignmentFlag.AlignHCenter)
        side.addLayout(self.media, 5)  # before the camera preview's 3 (under the texts): the item first
        self._side_texts = (self.cur_name, self.cur_variant, self.cur_bin, self.weight_label, self.carton)
        for w in self._side_texts:
            side.addWidget(w)
        self._side_end = side.count()
        side.addStretch(1)  # taken by the camera preview when there is one
        self.camera_view: QWidget | None = None
        self.camera_beside = False  # the preview beside the picture (True) or under the texts
        side_box = QWidget()
        side_box.setLayout(side)
        side_box.installEventFilter(self)  # its resizes place the camera preview
        side_box.setMinimumWidth(self.SIDE_MIN)
        side_box.setMaximumWidth(self.SIDE_MAX)
        side_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.side_box = side_box
        self.ship_label.installEventFilter(self)  # its width sets the lines a long address needs (_fit_ship)
        body.addWidget(side_box, 1)
        root.addLayout(body, 1)
        self.body = body
        self.model.modelReset.connect(self._fit_side)  # after the table's fit_columns (connected first)
        self.table.too_narrow.connect(self._fit_side)  # measured by the table as the layout places it
        self.blockers = FitLabel("", largest=20, smallest=12, bold=False, color="#6d4c41")
        root.addWidget(self.blockers)
        btns = QGridLayout()
        self.buttons = {}
        self._by_key: dict[str, QPushButton] = {}  # shortcut -> its button (the next key is marked)
        for i, (key, text, shortcut) in enumerate((
            ("short", _("Short pick [F2]"), "F2"),
            ("gift", _("Confirm gift [F3]"), "F3"),
            ("undo", _("Undo last [F4]"), "F4"),  # the last counted scan or short pick
            ("weigh", _("Record weight [F8]"), "F8"),
            ("print", _("Print label + slip [F9]"), "F9"),
            ("complete", _("Complete step [F10]"), "F10"),
            ("override", _("Supervisor [F11]"), "F11"),
            ("reprint", _("Reprint [F12]"), "F12"),
            ("back", _("Back to queue [Esc]"), "Escape"),
            ("logout", _("Log out [Ctrl+L]"), None),
        )):
            b = QPushButton(text.replace(" [", "\n["))  # the key under the name: five buttons fit 1024 px
            b.setMinimumWidth(1)
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            b.clicked.connect(lambda _=False, k=shortcut or "Logout": self.press(k))
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            if shortcut:
                QShortcut(QKeySequence(shortcut), self, activated=lambda k=shortcut: self.press(k))
                self._by_key[shortcut] = b
            btns.addWidget(b, i // 5, i % 5)
            self.buttons[key] = b
        QShortcut(QKeySequence("F7"), self, activated=lambda: self.press("F7"))  # the queue's key: answered here too
        root.addLayout(btns)
        self.compact: bool | None = None
        self.set_compact(False)
        self.controller.subscribe(self.render)
        self._clock = QTimer(self)  # time on step, from the monotonic clock (a wall-clock jump changes nothing)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._show_step)
        self._clock.start()

    # The boxes' heights in px, (usual, compact): a display less high than 740 px (1280x720, 1024x600) gets the compact
    # ones (`MainWindow.set_display`), whose texts FitLabel sets smaller; at the usual sizes the screen needed
    # 691 px and the window 729, and the key hints and the status bar were under the bottom of a 720 px screen.
    SIZES = {"panel": (VerdictPanel.HEIGHT, 72), "head": (44, 34), "ship": (28, 22), "name": (52, 40), "variant": (42, 34),
             "bin": (32, 26), "weight": (50, 40), "blockers": (44, 36), "picture": (72, 48), "margin": (9, 4),
             "spacing": (6, 3)}
    BUTTONS = ("WorkScreen QPushButton { min-height: 46px; max-height: 56px; padding: 2px 4px; font-size: 17px; }",
               "WorkScreen QPushButton { min-height: 36px; max-height: 40px; padding: 1px 4px; font-size: 14px; }")

    def set_compact(self, compact: bool) -> None:
        """The usual boxes, or the compact ones for a display less high than 740 px (see SIZES)."""
        if compact == self.compact:
            return
        self.compact = compact
        size = {k: v[1 if compact else 0] for k, v in self.SIZES.items()}
        self.panel.set_height(size["panel"])
        self.prompt.set_compact(compact)
        for w in (self.order_label, self.step_label):
            w.setFixedHeight(size["head"])
        for w, k in ((self.ship_label, "ship"), (self.cur_name, "name"), (self.cur_variant, "variant"),
                     (self.cur_bin, "bin"), (self.weight_label, "weight"), (self.blockers, "blockers")):
            w.setFixedHeight(size[k])
        self._fit_ship()  # a long address keeps the lines it needs
        self.image.setMinimumSize(size["picture"], size["picture"])
        m = size["margin"]
        self._root.setContentsMargins(m, m, m, m)
        self._root.setSpacing(size["spacing"])
        self.side.setSpacing(size["spacing"])
        self.setStyleSheet(self.BUTTONS[compact])

    def _show_step(self) -> None:
        if self.controller.session is None:
            return
        t = self.controller.time_on_step_s()
        name = _(self.controller.step_name())
        self.step_label.setText(f"{name}  {int(t // 60)}:{int(t % 60):02d}" if t is not None else name)

    SIDE_MIN, SIDE_MAX = 220, 420  # the side column's width (px)

    def _fit_side(self) -> None:
        """The side column no wider than leaves the lines table room for every column but the item name (down to the
        column's least width): on a 960 px wide screen (1920x1080 at QT_SCALE_FACTOR=2) the notes column (GIFT) ended
        20 px beyond the table's view, behind a sideways scroll bar nobody reaches without a mouse. Computed from the
        body's width and the order's columns (once per order and on a resize), never from what the layout did last."""
        total = self.left.width() + self.body.spacing() + self.side_box.width()  # as placed now
        need = self.table.columns_width()
        if total <= 0 or need <= 0:
            return
        side = max(self.SIDE_MIN, min(self.SIDE_MAX, total - self.body.spacing() - need))
        if side != self.side_box.maximumWidth():
            self.side_box.setMaximumWidth(side)

    def resizeEvent(self, e) -> None:  # noqa: N802
        super().resizeEvent(e)  # the layouts have placed the children by now
        self._fit_side()

    def _show_line(self, line) -> None:
        """The line to work scrolled into the table's view: the table takes no keyboard focus (the keys are the
        station's), and on a 40-line order at 1280x1024 it stayed on its first 13 lines, all picked, the yellow line
        with its count and its GIFT or FRAGILE note under the view where no key could bring it."""
        row = next((i for i, ln in enumerate(self.model.rows) if ln.id == line.id), None)
        if row is not None:
            self.table.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.EnsureVisible)

    def add_side_widget(self, w) -> None:
        """The camera preview (ui/camera_view.py): in the side column, taking the room left (`_place_camera`)."""
        w.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.camera_view = w
        self.side.insertWidget(self._side_end, w, 3)
        self.side.setStretch(self.side.count() - 1, 0)
        self._place_camera()

    def eventFilter(self, obj, e) -> bool:  # noqa: N802 (Qt API)
        if obj is self.side_box and e.type() == QEvent.Type.Resize:
            self._place_camera()
        elif obj is self.ship_label and e.type() == QEvent.Type.Resize and e.size().width() != e.oldSize().width():
            self._fit_ship()
        return False

    # The ship-to is what the packer checks the label against (a wrong address: 2.1 per thousand orders): drawn at no
    # less than SHIP_READ_PX (usual boxes, compact ones), on as many lines as it needs up to SHIP_LINES, the room taken
    # from the lines table under it. Its one-line box set a 110-character Chinese address (a building, a room, when to
    # deliver) at 11 px and cut it off in the middle at 1024x768 and 960x540; no mouse, so no tooltip either.
    SHIP_READ_PX = (17, 14)
    SHIP_LINES = 3

    def _fit_ship(self) -> None:
        """The ship-to's box as high as its text needs at SHIP_READ_PX (its usual height for a short one). Set when
        an order is shown and when the box's width changes: never while the packer scans."""
        label = self.ship_label
        height = base = self.SIZES["ship"][self.compact]
        if label.text():
            px = self.SHIP_READ_PX[self.compact]
            most = QFontMetrics(label.font_at(px)).lineSpacing() * self.SHIP_LINES + 2
            need = label.text_height(px)
            height = base if need <= base else min(need + 2, most)
        if label.height() != height or label.minimumHeight() != height:
            label.setFixedHeight(height)

    def _place_camera(self) -> None:
        """The camera preview goes where it and the item's pictures are both larger: under the item's texts (a tall
        column: 1920x1080; the pack step's several pictures) or beside the picture (a short column: at 1024x768 under
        the texts the preview had 77 px of height, its video ~100 px wide, the picture 126; beside, both ~150). The
        packer aims the item at the camera by the preview and checks it against the picture."""
        w = self.camera_view
        if w is None:
            return
        width, spacing, n = self.side_box.width(), self.side.spacing(), max(1, self.image.count())
        texts = sum(x.height() + spacing for x in self._side_texts if not x.isHidden())
        room = max(0, self.side_box.height() - texts)  # for the pictures and the preview
        cap_w, cap_h, pic_cap = w.maximumWidth(), w.maximumHeight(), self.image.maximumHeight()
        pad = 10  # the picture box's frame and margin (ProductImage._scale)
        # the video is 4:3; under the texts the preview has 3/8 of the room (the pictures 5/8, at most 300 px)
        under_h = min(cap_h, max(room * 3 // 8, room - pic_cap))
        under = min(min(width, cap_w, under_h * 4 // 3),
                    sheet_grid(n, min(width, pic_cap) - pad, min(pic_cap, room - under_h) - pad)[1])
        half, beside_h = (width - spacing) // 2, min(room * 5 // 6, pic_cap)
        beside = min(min(half, cap_w, min(cap_h, beside_h) * 4 // 3), sheet_grid(n, half - pad, beside_h - pad)[1])
        want = beside > under if not self.camera_beside else beside >= under  # a tie: it stays where it is
        if want == self.camera_beside:
            return
        self.camera_beside = want
        self.side.removeWidget(w)
        self.media.removeWidget(w)
        if want:
            self.media.addWidget(w, 1)
            self.side.setStretch(self.side.count() - 1, 1)
        else:
            self.side.insertWidget(self._side_end, w, 3)
            self.side.setStretch(self.side.count() - 1, 0)

    # -- compatibility with callers that hold a session (benchmarks, screenshots) ---------------------
    @property
    def session(self):
        return self.controller.session

    def set_session(self, session) -> None:
        if session is not None:
            self.controller.open_order(session.order_id)
        self.render(Change.ALL)

    @property
    def last_weight(self):
        return self.controller.weight_view()

    def on_scan(self, raw) -> None:
        self.controller.scan(raw)

    def refresh(self) -> None:
        self.render(Change.ALL & ~Change.FEEDBACK)

    # -- input ----------------------------------------------------------------------------------------
    def press(self, key: str) -> None:
        self.controller.key(key)
        self._refocus()

    def keyPressEvent(self, e) -> None:  # noqa: N802 - digits choose a carton/reason, arrows the quantity found
        names = {Qt.Key.Key_Up: "Up", Qt.Key.Key_Down: "Down", Qt.Key.Key_Return: "Enter", Qt.Key.Key_Enter: "Enter"}
        text = typed_char(e)
        name = names.get(e.key()) or (text if text in ("1", "2", "3", "4", "5") else None) or function_key(e)
        if name is None and text and not text.isspace():
            name = "typed"  # a person keying a code: the controller says why it does not count
        if name is not None:  # when: a run of characters is a code keyed by hand, not choices (TYPING_GAP_NS)
            self.controller.key(name, at_ns=time.monotonic_ns())
            return
        super().keyPressEvent(e)

    def _carton_chosen(self, _i) -> None:
        code = self.carton.currentData()
        if code:
            self.controller.choose_carton(code)
        self._refocus()

    def _override(self, badge: str, pin: str, reason: str) -> None:
        res = self.controller.override(badge, pin, reason)
        if res.outcome != Outcome.DONE and self.controller.prompt is not None:
            self.prompt.ask_again()

    def _acknowledged(self) -> None:
        self.controller.acknowledge()
        self._refocus()

    def _refocus(self) -> None:
        """Keyboard focus back to the station after a prompt or a click (not inside the override form)."""
        if self.controller.prompt is None or self.controller.prompt.kind != "override":
            if self.isVisible():
                self.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- rendering ------------------------------------------------------------------------------------
    def render(self, changes: Change) -> None:
        c = self.controller
        if c.screen != Screen.WORK and not (changes & Change.FEEDBACK):
            return
        s = c.session
        if changes & Change.ORDER:
            self.model.set_session(s)
        if changes & Change.FEEDBACK and c.screen == Screen.WORK:
            self._show_feedback(c.feedback)
        if changes & Change.PROMPT:
            self.prompt.render(c.prompt, s, c.pending_badge)
            shown = self.table if c.prompt is None else self.prompt
            self.left.setCurrentWidget(shown)
            shown.setGeometry(self.left.rect())  # QStackedLayout sizes a page only at the next layout pass
            self._refocus()
        if s is None:
            return
        if changes & (Change.ORDER | Change.STEP | Change.LINES):
            self._show_order(s)
        if changes & (Change.ORDER | Change.STEP | Change.LINES | Change.WEIGHT | Change.PRINTING):
            self._show_weight()
            self.blockers.setText("  •  ".join(_(b) for b in c.blockers()))
            self._mark_next(c.next_key())

    def _mark_next(self, key: str | None) -> None:
        """The button of what the order needs next in the primary colour (none while it needs scans)."""
        for k, b in self._by_key.items():
            name = "primary" if k == key else ""
            if b.objectName() != name:
                b.setObjectName(name)
                b.style().unpolish(b)
                b.style().polish(b)

    def _show_feedback(self, fb) -> None:
        p = self.panel
        if fb is None:
            p.locked = False
            p.verdict = None
            p.text.setText("")
            p._idle()
            return
        text = _(fb)
        if fb.verdict is not None and fb.level in (Level.OK, Level.ERROR):
            p.show_verdict(fb.verdict, text)  # painted at once
        else:
            p.show_message(text, fb.level)
            p.repaint()

    def _show_order(self, s) -> None:
        pl = s.picklist
        t_order = _("Order")
        self.order_label.setText(f"{t_order} {pl.order_no}   {pl.carrier} {names.service(pl.service)}")
        self._show_step()
        st = pl.ship_to
        t_ship = _("Ship to")
        ship = f"{t_ship}: {recipient(st)}  {address_one_line(st)}"
        if st.warnings:
            ship += "   ⚠ " + "; ".join(st.warnings)
        self.ship_label.setText(ship)
        self.ship_label.set_color("#c62828" if st.warnings else "#263238", bold=bool(st.warnings))
        self._fit_ship()
        self.model.refresh()
        idx = self.carton.findData(s.carton or "")
        self.carton.setCurrentIndex(max(0, idx))
        # the carton from the pack step on, the weight at weigh and label: before, their room goes to the picture
        # (at 1024x768 it was 70 px high beside an empty weight line and "— choose carton —" while picking)
        self.carton.setVisible(s.step in (Step.PACK, Step.WEIGH, Step.LABEL))
        self.weight_label.setVisible(s.step in (Step.WEIGH, Step.LABEL))
        cur = s.current_line()
        if s.intercepted:  # stopped by the OMS: nothing goes into a parcel
            self._show_item("", "", "")
            self.image.clear()
            self._image_wanted, self.pictures_shown = (), ()
            self._image_retry.stop()
        elif cur is not None:
            self._show_item(cur.name, cur.variant, f"{_('Bin')} {cur.bin}")
            self._show_images([cur.image_url])
            self._show_line(cur)
        else:
            # No line to work: every line counted, the pack step without a gift to confirm, weigh and label. The
            # box showed nothing from here to the end of the order; it shows what goes into the parcel instead.
            going = [(ln, ln.qty - s.short_units(ln.id)) for ln in s.picklist.walk]
            lines = [ln for ln, q in going if q > 0]
            units = sum(q for _ln, q in going if q > 0)
            in_parcel = _(plural(units, "{units} unit", "{units} units", units=units)) if lines else ""
            self._show_item(_("In the parcel"), in_parcel, "")
            self._show_images([ln.image_url for ln in lines])

    def _show_item(self, name: str, variant: str, where: str) -> None:
        self.cur_name.setText(name)
        self.cur_variant.setText(variant)
        self.cur_bin.setText(where)
        self.cur_bin.setVisible(bool(where))  # no empty line from the pack step on: its room goes to the picture

    MAX_PICTURES = 9  # the parcel's items, at most 3 × 3 in the box

    def _show_images(self, urls: list[str]) -> None:
        """The current line's picture, or the parcel's items side by side. Looked up and decoded on a worker
        (`services.image_for(url, screen=True)`: a store read and a file of at most SCREEN_PX a side; a platform's
        2000-3000 px photo took 70-150 ms to decode on the GUI thread, nine at the pack step most of a second) and
        shown when it is ready, if the screen still wants it; until then the box is blank, never the last item's picture. Redrawn
        after every scan: pictures shown, or on their way, are not looked up again."""
        urls = list(dict.fromkeys(u for u in urls if u))[:self.MAX_PICTURES]
        key = tuple(urls)
        if key and key == self.pictures_shown:  # all of them shown (one missing: looked up again)
            return
        if key != self._image_wanted or not key:
            self._image_wanted, self._image_tries = key, 0
            self.pictures_shown = ()
            self.image.clear()  # not another item's picture while this one is on its way
            if not key:
                self.image.setText(_("no image"))
                return
        elif key == self._image_loading:
            return
        self._image_loading = key
        self.picture_tasks.run(lambda: self._decode(key), on_done=lambda got: self._images_ready(key, got))

    def _decode(self, key: tuple[str, ...]) -> list[QImage]:
        """On a worker: the pictures of `key` that are cached and decode, in order (a QImage, not a QPixmap:
        only a QImage may be made off the GUI thread). Nothing when the screen has moved on before it starts."""
        out: list[QImage] = []
        for url in key:
            if key != self._image_wanted:  # a tuple read whole: the packer scanned on while this one waited
                return out
            path = self.services.image_for(url, screen=True)
            img = QImage(str(path)) if path is not None else QImage()
            out.append(img)
        return out

    def _images_ready(self, key: tuple[str, ...], got) -> None:
        if self._image_loading == key:
            self._image_loading = None
        if key != self._image_wanted:  # the screen moved on while they were decoded
            return
        images = got if isinstance(got, list) else []  # a failed look-up (logged by the task runner): none
        found = [(url, img) for url, img in zip(key, images, strict=False) if not img.isNull()]
        whole = len(found) == len(key)
        if found:
            self.image.set_images([QPixmap.fromImage(img) for _url, img in found])  # scaled to the room it has
            self._place_camera()  # several pictures (the pack step) may want the column's width
        else:
            self.image.clear()
            self.image.setText(_("no image"))
        self.pictures_shown = tuple(url for url, _img in found)
        if not whole and self._image_tries < self.IMAGE_TRIES:
            self._image_tries += 1
            self._image_retry.start()

    IMAGE_TRIES = 20  # 30 s: the OMS sends the pictures after the pick lists

    def _retry_images(self) -> None:
        """A picture not yet in the cache when the line came up: looked up again a moment later, not only at the
        next scan."""
        if self.controller.session is not None and self._image_wanted and self.pictures_shown != self._image_wanted:
            self._show_images(list(self._image_wanted))

    def _show_weight(self) -> None:
        w = self.controller.weight_view()
        s = self.controller.session
        if s is None or s.step not in (Step.WEIGH, Step.LABEL):
            self.weight_label.setText("")
            return
        if w.recorded_g is not None:
            ok, overridden = bool(s.weight and s.weight.ok), bool(s.weight and s.weight_overridden)
            # a supervisor's acceptance is not a weight inside the tolerance: the tick says who let it through
            mark = "✓" if ok else _("✓ accepted by a supervisor") if overridden else "✗"
            txt = f"{_kg(w.recorded_g)} {mark}"
            if not ok and not overridden and w.usable and w.grams is not None and abs(w.grams - w.recorded_g) >= 1:
                # the parcel was put right (an item added, the carton changed): what the scale reads now, beside
                # what was recorded, so the ✗ is not read as the parcel on the scale
                now = f"{_kg(w.grams)} {'✓' if w.in_tolerance else '✗'}"
                txt += " → " + _("now {weight}", weight=now)
        elif w.scale_fault is not None:  # unplugged, silent, overloaded: no reading (the tick was shown); the step's
            txt = _("The scale is not ready")  # line below says why, in its driver's words (a path, an error: long)
        elif w.resting:  # packed on the scale, or the last parcel left there: taken off and put on again, it counts
            txt = _("Take it off the scale, then put this order's parcel on") + f"  ({_kg(w.grams or 0)})"
        elif w.grams is not None and not w.stable and w.grams > EMPTY_SCALE_G:  # on the scale, not settling
            txt = _("Not steady yet") + f"  ({_kg(w.grams)} …)"
        elif w.grams is None or not w.usable:
            txt = _("Put the parcel on the scale")
            if w.grams is not None:
                txt += f"  ({_kg(w.grams)} {'…' if not w.stable else ''})"
        else:
            txt = f"{_kg(w.grams)} {'✓' if w.in_tolerance else '✗'}"
        if w.expected_g:
            t_exp = _("expected")
            txt += f"   ({t_exp} {w.expected_g / 1000:.3f}{NBSP}±{NBSP}{_kg(w.tolerance_g or 0)})"
        self.weight_label.set_color("#c62828" if w.scale_fault is not None and w.recorded_g is None else "#263238")
        self.weight_label.setText(txt)
