"""The work screen for one order: pick (walking order, bin then item), verify (re-scan every item),
pack (gifts/inserts, carton), weigh (live weight vs expected), label (intercept check, label + slip).

It renders the station controller (`floor.StationController`) and hands it key presses; it decides nothing.
What to redraw comes from the controller's `Change` flags. Everything can be done with the scanner and the
keyboard; the mouse is optional."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.actions import CARTONS
from app.workflow import Step
from floor import Change, Level, Screen, StationController
from ui.dialogs import PromptPanel
from ui.statusbar import restyle
from ui.table_model import RowsModel
from ui.verdict_panel import VerdictPanel

log = logging.getLogger(__name__)
KEYS = ("F2", "F3", "F4", "F8", "F9", "F10", "F11", "F12")


class LinesModel(RowsModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.session = None
        self.headers = [self.tr("Bin"), self.tr("SKU"), self.tr("Item"), self.tr("Colour / size"),
                        self.tr("Qty"), self.tr("Notes")]

    def set_session(self, session) -> None:
        self.session = session
        self.set_rows(session.picklist.walking_order() if session else [])

    def refresh(self) -> None:
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(self.headers) - 1))

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.session is None:
            return None
        ln = self.rows[index.row()]
        lp = self.session.progress.get(ln.id)
        if role == Qt.ItemDataRole.DisplayRole:
            notes = []
            if ln.gift:
                notes.append(self.tr("GIFT"))
            if ln.fragile:
                notes.append(self.tr("FRAGILE"))
            if lp and lp.short_qty:
                notes.append(self.tr("SHORT"))
            done = f"{lp.scanned if lp else 0} / {ln.qty}"
            return [ln.bin, ln.sku, ln.name, ln.variant, done, " ".join(notes)][index.column()]
        if role == Qt.ItemDataRole.BackgroundRole:
            cur = self.session.current_line()
            if lp and lp.complete:
                return QColor("#c8e6c9")
            if cur is not None and cur.id == ln.id:
                return QColor("#fff59d")
        return None


class WorkScreen(QWidget):
    def __init__(self, services, tasks, sounds, language: str, parent=None,
                 controller: StationController | None = None) -> None:
        super().__init__(parent)
        self.services, self.tasks, self.sounds, self.language = services, tasks, sounds, language
        self.station = services.station
        if controller is None:  # a work screen on its own (benchmarks): its own controller
            controller = StationController(services.station, sync=services.sync, spool=services.spool,
                                           run_io=tasks.run, language=language)
        self.controller = controller
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        root = QVBoxLayout(self)
        self.panel = VerdictPanel(language, sounds)
        self.panel.acknowledged.connect(self._acknowledged)
        root.addWidget(self.panel)
        head = QHBoxLayout()
        self.order_label = QLabel("")
        self.order_label.setObjectName("title")
        self.step_label = QLabel("")
        self.step_label.setObjectName("big")
        head.addWidget(self.order_label, 2)
        head.addWidget(self.step_label, 1)
        root.addLayout(head)
        self.ship_label = QLabel("")
        self.ship_label.setWordWrap(True)
        root.addWidget(self.ship_label)
        self.prompt = PromptPanel()
        self.prompt.short_reason.connect(lambda r: self.controller.short_pick(r))
        self.prompt.reprint_reason.connect(lambda r: self.controller.reprint(r))
        self.prompt.found_delta.connect(lambda d: self.controller.adjust_found(d))
        self.prompt.override.connect(lambda b, p, r: self.controller.override(b, p, r))
        self.prompt.cancelled.connect(lambda: self.controller.cancel_prompt())
        root.addWidget(self.prompt)
        body = QHBoxLayout()
        self.model = LinesModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(44)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body.addWidget(self.table, 3)
        side = QVBoxLayout()
        self.image = QLabel()
        self.image.setFixedSize(220, 220)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setStyleSheet("background: white; border: 1px solid #b0bec5;")
        self.cur_name = QLabel("")
        self.cur_name.setObjectName("big")
        self.cur_name.setWordWrap(True)
        self.cur_variant = QLabel("")
        self.cur_variant.setObjectName("variant")
        self.cur_bin = QLabel("")
        self.cur_bin.setObjectName("big")
        self.weight_label = QLabel("")
        self.weight_label.setObjectName("big")
        self.carton = QComboBox()
        self.carton.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.carton.addItem(self.tr("— choose carton —"), "")
        for i, c in enumerate(CARTONS):
            self.carton.addItem(f"[{i + 1}] {c.label}", c.code)
        self.carton.activated.connect(self._carton_chosen)
        for w in (self.image, self.cur_name, self.cur_variant, self.cur_bin, self.weight_label, self.carton):
            side.addWidget(w)
        side.addStretch(1)
        self.weight_label.setWordWrap(True)
        side_box = QWidget()
        side_box.setLayout(side)
        side_box.setMaximumWidth(420)
        body.addWidget(side_box, 2)
        root.addLayout(body, 1)
        self.blockers = QLabel("")
        self.blockers.setStyleSheet("color: #6d4c41; font-size: 20px;")
        self.blockers.setWordWrap(True)
        root.addWidget(self.blockers)
        btns = QGridLayout()
        self.buttons = {}
        for i, (key, text, shortcut) in enumerate((
            ("short", self.tr("Short pick [F2]"), "F2"),
            ("gift", self.tr("Confirm gift [F3]"), "F3"),
            ("undo", self.tr("Undo last scan [F4]"), "F4"),
            ("weigh", self.tr("Record weight [F8]"), "F8"),
            ("print", self.tr("Print label + slip [F9]"), "F9"),
            ("complete", self.tr("Complete step [F10]"), "F10"),
            ("override", self.tr("Supervisor [F11]"), "F11"),
            ("reprint", self.tr("Reprint [F12]"), "F12"),
            ("back", self.tr("Back to queue [Esc]"), "Escape"),
            ("logout", self.tr("Log out [Ctrl+L]"), None),
        )):
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, k=shortcut or "Logout": self.press(k))
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            if shortcut:
                QShortcut(QKeySequence(shortcut), self, activated=lambda k=shortcut: self.press(k))
            btns.addWidget(b, i // 5, i % 5)
            self.buttons[key] = b
        self.buttons["print"].setObjectName("primary")
        root.addLayout(btns)
        self.controller.subscribe(self.render)
        self._clock = QTimer(self)  # time on step, from the monotonic clock (a wall-clock jump changes nothing)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._show_step)
        self._clock.start()

    def _show_step(self) -> None:
        if self.controller.session is None:
            return
        t = self.controller.time_on_step_s()
        name = self.controller.step_name()
        self.step_label.setText(f"{name}  {int(t // 60)}:{int(t % 60):02d}" if t is not None else name)

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
        name = names.get(e.key()) or (e.text() if e.text() in ("1", "2", "3", "4", "5") else None)
        if name is not None:
            self.controller.key(name)
            return
        super().keyPressEvent(e)

    def _carton_chosen(self, _i) -> None:
        code = self.carton.currentData()
        if code:
            self.controller.choose_carton(code)
        self._refocus()

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
            self._refocus()
        if s is None:
            return
        if changes & (Change.ORDER | Change.STEP | Change.LINES):
            self._show_order(s)
        if changes & (Change.ORDER | Change.STEP | Change.LINES | Change.WEIGHT):
            self._show_weight()
            self.blockers.setText("  •  ".join(c.blockers()))

    def _show_feedback(self, fb) -> None:
        p = self.panel
        if fb is None:
            p.locked = False
            p.verdict = None
            p.text.setText("")
            p._idle()
            return
        text = fb.text(self.language)
        if fb.verdict is not None and fb.level in (Level.OK, Level.ERROR):
            p.show_verdict(fb.verdict)
            p.text.setText(text)
        elif fb.level in (Level.ERROR, Level.STOP):
            p.show_message(text, error=True)
        else:
            p.locked = False
            p.show_message(text)
            if fb.level == Level.HINT:  # what to do next: amber, no alarm
                p._paint("#f9a825")
            elif fb.level == Level.OK:
                p._paint("#2e7d32")
                self.sounds.play("good")
        p.repaint()

    def _show_order(self, s) -> None:
        pl = s.picklist
        t_order = self.tr("Order")
        self.order_label.setText(f"{t_order} {pl.order_no}   {pl.carrier} {pl.service}")
        self._show_step()
        st = pl.ship_to
        t_ship = self.tr("Ship to")
        ship = f"{t_ship}: {st.name}  {' '.join(st.address_lines)} {st.city} {st.postcode} {st.country}"
        if st.warnings:
            ship += "   ⚠ " + "; ".join(st.warnings)
        self.ship_label.setText(ship)
        restyle(self.ship_label, "color: #c62828; font-weight: bold;" if st.warnings else "")
        self.model.refresh()
        idx = self.carton.findData(s.carton or "")
        self.carton.setCurrentIndex(max(0, idx))
        cur = s.current_line()
        if cur is not None and not s.intercepted:
            self.cur_name.setText(cur.name)
            self.cur_variant.setText(cur.variant)
            t_bin = self.tr("Bin")
            self.cur_bin.setText(f"{t_bin} {cur.bin}")
            self._show_image(cur.image_url)
        else:
            self.cur_name.setText("")
            self.cur_variant.setText("")
            self.cur_bin.setText("")
            self.image.clear()
            self._image_url = None

    def _show_image(self, url: str) -> None:
        """The current line's picture. Redrawn after every scan: the same picture already shown is not looked
        up, loaded and scaled again on the GUI thread (a store read, a file and a smooth scale per scan)."""
        if url and url == getattr(self, "_image_url", None):
            return
        path = self.services.image_for(url)
        pix = QPixmap(str(path)) if path else QPixmap()
        if pix.isNull():
            self.image.setText(self.tr("no image"))
            self._image_url = None  # looked up again next time: the picture may have arrived meanwhile
        else:
            self.image.setPixmap(pix.scaled(210, 210, Qt.AspectRatioMode.KeepAspectRatio,
                                            Qt.TransformationMode.SmoothTransformation))
            self._image_url = url

    def _show_weight(self) -> None:
        w = self.controller.weight_view()
        s = self.controller.session
        if s is None or s.step not in (Step.WEIGH, Step.LABEL):
            self.weight_label.setText("")
            return
        if w.recorded_g is not None:
            txt = f"{w.recorded_g / 1000:.3f} kg " + ("✓" if s.weight and (s.weight.ok or s.weight_overridden) else "✗")
        elif w.grams is None or not w.usable:
            txt = self.tr("Put the parcel on the scale")
            if w.grams is not None:
                txt += f"  ({w.grams / 1000:.3f} kg {'…' if not w.stable else ''})"
        else:
            txt = f"{w.grams / 1000:.3f} kg {'✓' if w.in_tolerance else '✗'}"
        if w.expected_g:
            t_exp = self.tr("expected")
            txt += f"   ({t_exp} {w.expected_g / 1000:.3f} ± {(w.tolerance_g or 0) / 1000:.3f} kg)"
        self.weight_label.setText(txt)
