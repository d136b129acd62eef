"""The work screen for one order: pick (walking order, bin then item), verify (re-scan every item),
pack (gifts/inserts, carton), weigh (live weight vs expected), label (intercept check, label + slip).
Everything can be done with the scanner and the keyboard; the mouse is optional."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.workflow import Step, StepBlocked
from ui.dialogs import ShortPickDialog, authorise_supervisor
from ui.table_model import RowsModel
from ui.verdict_panel import VerdictPanel

log = logging.getLogger(__name__)
CARTONS = ("S (20×15×10)", "M (30×20×15)", "L (40×30×20)", "XL (60×40×30)", "BAG")


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
    order_finished = Signal(str)
    back_to_queue = Signal()
    logout_requested = Signal()

    def __init__(self, services, tasks, sounds, language: str, parent=None) -> None:
        super().__init__(parent)
        self.services, self.tasks, self.sounds, self.language = services, tasks, sounds, language
        self.station = services.station
        self.session = None
        self.last_weight = None
        root = QVBoxLayout(self)
        self.panel = VerdictPanel(language, sounds)
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
        self.carton.addItem(self.tr("— choose carton —"), "")
        for c in CARTONS:
            self.carton.addItem(c, c)
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
        self.blockers.setStyleSheet("color: #c62828; font-size: 20px;")
        self.blockers.setWordWrap(True)
        root.addWidget(self.blockers)
        btns = QGridLayout()
        self.buttons = {}
        for i, (key, text, shortcut, slot) in enumerate((
            ("short", self.tr("Short pick [F2]"), "F2", self.short_pick),
            ("gift", self.tr("Confirm gift [F3]"), "F3", self.confirm_gift),
            ("undo", self.tr("Undo last scan [F4]"), "F4", self.undo),
            ("weigh", self.tr("Record weight [F8]"), "F8", self.record_weight),
            ("print", self.tr("Print label + slip [F9]"), "F9", self.print_label),
            ("complete", self.tr("Complete step [F10]"), "F10", self.complete_step),
            ("override", self.tr("Supervisor [F11]"), "F11", self.supervisor_override),
            ("reprint", self.tr("Reprint [F12]"), "F12", self.reprint),
        )):
            b = QPushButton(text)
            b.clicked.connect(slot)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            QShortcut(QKeySequence(shortcut), self, activated=slot)
            btns.addWidget(b, i // 4, i % 4)
            self.buttons[key] = b
        self.buttons["print"].setObjectName("primary")
        root.addLayout(btns)
        QShortcut(QKeySequence("Escape"), self, activated=self.back_to_queue.emit)
        self.last_label_job: str | None = None

    # -- order ----------------------------------------------------------------------------------
    def set_session(self, session) -> None:
        self.session = session
        self.model.set_session(session)
        self.carton.setCurrentIndex(0)
        self.refresh()

    def refresh(self) -> None:
        s = self.session
        if s is None:
            return
        pl = s.picklist
        t_order = self.tr("Order")
        self.order_label.setText(f"{t_order} {pl.order_no}   {pl.carrier} {pl.service}")
        self.step_label.setText(self._step_name(s.step))
        st = pl.ship_to
        t_ship = self.tr("Ship to")
        ship = f"{t_ship}: {st.name}  {' '.join(st.address_lines)} {st.city} {st.postcode} {st.country}"
        if st.warnings:
            ship += "   ⚠ " + "; ".join(st.warnings)
        self.ship_label.setText(ship)
        self.ship_label.setStyleSheet("color: #c62828; font-weight: bold;" if st.warnings else "")
        if s.intercepted:
            status, reason = s.intercepted
            self.panel.show_message(self.tr("ORDER STOPPED by the OMS ({0}): {1} — do not ship.")
                                    .replace("{0}", status).replace("{1}", reason or ""), error=True)
        self.model.refresh()
        cur = s.current_line()
        if cur is not None:
            self.cur_name.setText(cur.name)
            self.cur_variant.setText(cur.variant)
            t_bin = self.tr("Bin")
            self.cur_bin.setText(f"{t_bin} {cur.bin}")
            path = self.services.image_for(cur.image_url)
            pix = QPixmap(str(path)) if path else QPixmap()
            if pix.isNull():
                self.image.setText(self.tr("no image"))
            else:
                self.image.setPixmap(pix.scaled(210, 210, Qt.AspectRatioMode.KeepAspectRatio,
                                                Qt.TransformationMode.SmoothTransformation))
        else:
            self.cur_name.setText(self.tr("All lines done: complete the step [F10]") if s.step != Step.DONE else "")
            self.cur_variant.setText("")
            self.cur_bin.setText("")
            self.image.clear()
        self._show_weight()
        self.blockers.setText("  •  ".join(s.blockers(self.language)) if s.step != Step.DONE else "")

    def _step_name(self, step) -> str:
        return {
            Step.PICK: self.tr("PICK"), Step.VERIFY: self.tr("VERIFY"), Step.PACK: self.tr("PACK"),
            Step.WEIGH: self.tr("WEIGH"), Step.LABEL: self.tr("LABEL"), Step.DONE: self.tr("DONE"),
        }.get(step, str(step))

    # -- scans ----------------------------------------------------------------------------------
    def on_scan(self, raw) -> None:
        if self.panel.locked:  # the error must be seen: this scan acknowledges it, nothing else
            self.panel.acknowledge()
            return
        v = self.station.scan(raw)  # durable event committed before we paint anything
        self.panel.show_verdict(v)
        if v.action == "short":
            self.short_pick()
        elif v.action == "reprint":
            self.reprint()
        elif v.action == "logout":
            self.logout_requested.emit()
        elif v.action == "ack":
            self.panel.acknowledge()
        if self.station.active is not None and self.station.active is not self.session:
            self.set_session(self.station.active)
        self.refresh()
        self._maybe_finished()

    def _maybe_finished(self) -> None:
        if self.session is not None and self.session.step == Step.DONE:
            oid = self.session.order_id
            self.station.close_order(oid)
            self.order_finished.emit(oid)

    # -- actions --------------------------------------------------------------------------------
    def short_pick(self) -> None:
        s = self.session
        cur = s.current_line() if s else None
        if cur is None:
            return
        lp = s.progress.get(cur.id)
        dlg = ShortPickDialog(cur, lp.scanned if lp else 0, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            s.short_pick(cur.id, dlg.reason_code, dlg.qty.value())
            self.panel.show_message(self.tr("Short pick recorded: {0}").replace("{0}", cur.sku))
            self.refresh()

    def confirm_gift(self) -> None:
        s = self.session
        if s is None:
            return
        for ln in s.picklist.lines:
            if ln.gift and not s.gift_ok(ln.id):
                s.confirm_gift(ln.id)
                self.panel.show_message(self.tr("Gift/insert confirmed: {0}").replace("{0}", ln.name))
                break
        self.refresh()

    def undo(self) -> None:
        if self.session is None:
            return
        v = self.session.undo_last()
        if v is not None:
            self.panel.show_verdict(v)
        self.refresh()

    def _carton_chosen(self, _i) -> None:
        c = self.carton.currentData()
        if c and self.session is not None:
            self.session.choose_carton(c)
            self.refresh()

    def on_weight(self, reading) -> None:
        self.last_weight = reading
        self._show_weight()

    def _show_weight(self) -> None:
        if self.session is None:
            return
        exp, tol = self.session.expected_weight
        w = self.last_weight
        txt = f"{w.grams / 1000:.3f} kg {'✓' if w.stable else '…'}" if w else self.tr("scale: no reading")
        t_exp = self.tr("expected")
        if exp:
            txt += f"   ({t_exp} {exp / 1000:.3f} ± {(tol or 0) / 1000:.3f} kg)"
        self.weight_label.setText(txt)

    def record_weight(self) -> None:
        s, w = self.session, self.last_weight
        if s is None:
            return
        if w is None or not w.stable:
            self.panel.show_message(self.tr("Wait for a stable weight on the scale."), error=True)
            return
        chk = s.record_weight(w.grams)
        if chk.ok:
            self.panel.show_message(self.tr("Weight OK"))
        else:
            self.panel.show_message(self.tr("Weight {0} g is outside {1} ± {2} g: check the parcel or ask a supervisor.")
                                    .replace("{0}", f"{chk.grams:.0f}").replace("{1}", f"{chk.expected_g or 0:.0f}")
                                    .replace("{2}", f"{chk.tolerance_g or 0:.0f}"), error=True)
        self.refresh()

    def complete_step(self) -> None:
        s = self.session
        if s is None:
            return
        if s.step == Step.LABEL:
            self.print_label()
            return
        try:
            s.complete_step()
        except StepBlocked as exc:
            self.panel.show_message("; ".join(s.blockers(self.language)) or str(exc), error=True)
        self.refresh()
        self._maybe_finished()

    def supervisor_override(self) -> None:
        s = self.session
        if s is None:
            return
        got = authorise_supervisor(self, self.services.core.operators, self.tr("Override weight mismatch / force line"))
        if got is None:
            self.panel.show_message(self.tr("Not a supervisor badge/PIN: nothing overridden."), error=True)
            return
        sup, reason = got
        if s.step == Step.WEIGH or not s.label_allowed:
            s.override(sup, "weight_mismatch", reason)
        else:
            cur = s.current_line()
            s.override(sup, "force_line", reason, line_id=cur.id if cur else None)
        self.panel.show_message(self.tr("Supervisor override recorded."))
        self.refresh()

    def print_label(self) -> None:
        s = self.session
        if s is None:
            return
        if s.step != Step.LABEL:
            self.panel.show_message(self.tr("Labels print at the LABEL step."), error=True)
            return
        if not s.label_allowed:
            self.panel.show_message("; ".join(s.blockers(self.language)) or self.tr("Label blocked"), error=True)
            return
        pl, op = s.picklist, self.station.operator
        sync, spool = self.services.sync, self.services.spool

        def work():  # network + printing: never on the GUI thread
            ship = sync.check_shippable(pl.id) if sync is not None else None
            if ship is not None and not ship.ok:
                return ("stopped", ship)
            job = spool.submit_label(pl, op.id if op else None)
            spool.submit_slip(pl, op.id if op else None)
            return ("queued", job)

        self.buttons["print"].setEnabled(False)
        self.tasks.run(work, self._printed)

    def _printed(self, result) -> None:
        self.buttons["print"].setEnabled(True)
        s = self.session
        if isinstance(result, Exception):
            self.panel.show_message(self.tr("Printing failed: {0}").replace("{0}", str(result)), error=True)
            return
        kind, obj = result
        if kind == "stopped":
            # check_shippable already recorded order_intercepted; the session hears it through the log
            if s.intercepted is None:
                s.mark_intercepted(obj.status, obj.reason or "")
            msg = obj.message_zh if self.language.startswith("zh") else obj.message_en
            self.refresh()
            if msg:
                self.panel.show_message(msg, error=True)
            return
        self.last_label_job = obj
        try:
            s.complete_step()
        except StepBlocked as exc:
            self.panel.show_message(str(exc), error=True)
        self.panel.show_message(self.tr("Label and slip sent to the printers."))
        self.refresh()
        self._maybe_finished()

    def reprint(self) -> None:
        spool = self.services.spool
        jobs = spool.jobs(order_id=self.session.order_id) if (spool and self.session) else []
        labels = [j for j in jobs if j.get("kind") == "label"]
        if not labels:
            self.panel.show_message(self.tr("Nothing printed yet for this order."), error=True)
            return
        reason, ok = QInputDialog.getText(self, self.tr("Reprint"), self.tr("Why reprint? (recorded)"))
        if not ok or not reason.strip():
            return
        op = self.station.operator
        spool.reprint(labels[-1]["job_id"], op.id if op else "-", reason.strip())
        self.panel.show_message(self.tr("Reprint queued (audited)."))
