"""Prompts of the work screen, inline (no modal dialogs): short pick (reason + quantity found), audited
reprint (reason), supervisor override (badge, PIN, reason). Each only renders the controller's prompt and
hands the answer back; keyboard focus returns to the station when it closes. `authorise_supervisor` (a
dialog) stays for leaving the kiosk."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.actions import REPRINT_REASONS
from app.picklist import SHORT_REASONS
from floor import words
from ui.translations import _
from ui.verdict_panel import FitLabel
from ui.wedge_filter import typed_into


def reason_names() -> dict[str, str]:
    return {code: _(name) for code, name in words.SHORT_REASON_NAMES.items()}


def reprint_names() -> dict[str, str]:
    return {code: _(name) for code, name in words.REPRINT_REASON_NAMES.items()}


class FormField(QLineEdit):
    """A field of the override form. Its Enter moves on (or submits) and ends there: QLineEdit hands Enter on to its
    parent after `returnPressed`, and the work screen takes a bare Enter for "acknowledge", which silenced the
    refusal the same Enter had just caused (a wrong PIN's red panel replaced by "Acknowledged — carry on.")."""

    def keyPressEvent(self, e) -> None:  # noqa: N802 (Qt API)
        super().keyPressEvent(e)
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            e.accept()


class PromptPanel(QFrame):
    """The controller's open prompt, inline above the lines table."""

    short_reason = Signal(str)
    reprint_reason = Signal(str)
    found_delta = Signal(int)
    override = Signal(str, str, str)  # badge, pin, reason
    cancelled = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("prompt")
        lay = QVBoxLayout(self)
        self._lay = lay
        self.title = FitLabel("", largest=24, smallest=14, color="#37474f")
        lay.addWidget(self.title)
        # short pick: the quantity found, then the reason by number
        self.short_box = QWidget()
        sl = QVBoxLayout(self.short_box)
        sl.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.found = QLabel("")
        self.found.setObjectName("big")
        minus, plus = QPushButton("−  [↓]"), QPushButton("+  [↑]")
        minus.clicked.connect(lambda: self.found_delta.emit(-1))
        plus.clicked.connect(lambda: self.found_delta.emit(1))
        row.addWidget(QLabel(_("Quantity found")))
        for w in (minus, self.found, plus):
            row.addWidget(w)
        row.addStretch(1)
        sl.addLayout(row)
        reasons = QGridLayout()
        self.short_buttons = []
        for i, (code, name) in enumerate(reason_names().items()):
            b = QPushButton(f"[{i + 1}] {name}")
            b.clicked.connect(lambda _=False, c=code: self.short_reason.emit(c))
            reasons.addWidget(b, i // 2, i % 2)
            self.short_buttons.append(b)
        sl.addLayout(reasons)
        lay.addWidget(self.short_box)
        # reprint: the reason by number
        self.reprint_box = QWidget()
        rl = QGridLayout(self.reprint_box)
        rl.setContentsMargins(0, 0, 0, 0)
        self.reprint_buttons = []
        for i, (code, name) in enumerate(reprint_names().items()):
            b = QPushButton(f"[{i + 1}] {name}")
            b.clicked.connect(lambda _=False, c=code: self.reprint_reason.emit(c))
            rl.addWidget(b, i // 2, i % 2)
            self.reprint_buttons.append(b)
        lay.addWidget(self.reprint_box)
        # supervisor override: badge (scanned), PIN, reason
        self.override_box = QWidget()
        ol = QFormLayout(self.override_box)
        ol.setContentsMargins(0, 0, 0, 0)
        self.badge, self.pin, self.reason = FormField(), FormField(), FormField()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        ol.addRow(_("Supervisor badge"), self.badge)
        ol.addRow(_("PIN"), self.pin)
        ol.addRow(_("Reason"), self.reason)
        self.badge.returnPressed.connect(self.pin.setFocus)
        self.pin.returnPressed.connect(self._pin_entered)
        self.reason.returnPressed.connect(self._override)
        lay.addWidget(self.override_box)
        lay.addStretch(1)
        bottom = QHBoxLayout()
        self.ok = QPushButton(_("Accept [Enter]"))  # Enter in the last field; Enter in the others goes to the next
        self.ok.setObjectName("primary")
        self.ok.clicked.connect(self._override)
        cancel = QPushButton(_("Cancel [Esc]"))
        cancel.clicked.connect(self.cancelled.emit)
        bottom.addWidget(self.ok)
        bottom.addWidget(cancel)
        lay.addLayout(bottom)
        for b in (*self.short_buttons, *self.reprint_buttons, minus, plus, cancel, self.ok):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.kind = None
        self.compact: bool | None = None
        self.set_compact(False)
        for box in (self.short_box, self.reprint_box, self.override_box):
            box.hide()  # only the open prompt's part counts in the screen's size
        self.hide()

    # it takes the lines table's place on the work screen: (usual, compact) for a display less high than 740 px
    STYLE = "#prompt {{ background: #fff8e1; border: 2px solid #f9a825; border-radius: 8px; }}" \
            "#prompt QPushButton {{ min-height: {button}px; padding: 1px 8px; font-size: {font}px; }}" \
            "#prompt QLineEdit {{ min-height: {field}px; font-size: {field_font}px; }}"
    SIZES = {"title": (48, 32), "button": (40, 30), "font": (18, 16), "field": (36, 28), "field_font": (22, 18),
             "margin": (9, 4), "spacing": (6, 3)}

    def set_compact(self, compact: bool) -> None:
        """The usual boxes, or lower ones on a low display (`WorkScreen.set_compact`): on a 960x540 screen (1920x1080
        at QT_SCALE_FACTOR=2) the short pick's prompt needed 34 px more than the table's place and the window grew
        under the screen's bottom, the key buttons and the status bar with it."""
        if compact == self.compact:
            return
        self.compact = compact
        size = {k: v[1 if compact else 0] for k, v in self.SIZES.items()}
        self.setStyleSheet(self.STYLE.format(**size))
        self.title.setFixedHeight(size["title"])
        m = size["margin"]
        self._lay.setContentsMargins(m, m, m, m)
        for lay in (self._lay, self.short_box.layout(), self.reprint_box.layout(), self.override_box.layout()):
            lay.setSpacing(size["spacing"])

    def _override(self) -> None:
        self.override.emit(self.badge.text(), self.pin.text(), self.reason.text())

    def take_as_typed(self, raw, controller) -> bool:
        """A scan (a burst at scanner speed) into the supervisor form's PIN or reason field: typed fast (a quick
        typist, a script typing 12 ms a key), not the supervisor's badge, unless it is someone's badge. Taken as the
        badge, the PIN or the reason replaced the badge typed in. As the field's Enter would (a burst that ended
        without one is left in the field). False: a badge, or no such field has the focus."""
        code = raw.text.strip() if isinstance(raw.text, str) else ""
        if self.kind != "override" or not self.isVisible() or not code or code.startswith("@@"):
            return False
        field = self.pin if self.pin.hasFocus() and self.badge.text().strip() and controller.could_be_pin(code) else \
            self.reason if self.reason.hasFocus() and not controller.is_badge(code) else None
        if field is None:
            return False
        typed_into(field, raw)
        return True

    def _pin_entered(self) -> None:
        """Enter after the PIN: the reason next, or the form sent when the reason is already written (it took a second
        Enter)."""
        if self.reason.text().strip():
            self._override()
        else:
            self.reason.setFocus()

    def ask_again(self) -> None:
        """The override was refused. Without a reason (refused before the PIN was tried): the cursor in the reason's
        field, the PIN kept. Else (a wrong badge or PIN, or nothing to accept yet): the PIN is asked again, never left
        in its field; the badge and the reason stay."""
        if not self.reason.text().strip():
            self.reason.setFocus()
            return
        self.pin.clear()
        self._focus_badge_or_pin()

    def _focus_badge_or_pin(self) -> None:
        """The cursor in the badge field while it is empty, else in the PIN's."""
        (self.pin if self.badge.text() else self.badge).setFocus()

    def render(self, prompt, session, badge: str | None = None) -> None:
        """Show the controller's prompt (None hides the panel)."""
        kind = prompt.kind if prompt is not None else None
        opened = kind != self.kind
        self.kind = kind
        if prompt is None:
            self.hide()
            return
        self.short_box.setVisible(kind == "short_pick")
        self.reprint_box.setVisible(kind == "reprint")
        self.override_box.setVisible(kind == "override")
        self.ok.setVisible(kind == "override")
        if kind == "short_pick" and session is not None and prompt.line_id:
            ln = session.picklist_lines[prompt.line_id]
            self.title.setText(_("Short pick: {sku} {name} {variant}", sku=ln.sku, name=ln.name, variant=ln.variant_beyond_name))
            self.found.setText(f"{prompt.found} / {prompt.max_qty}")
        elif kind == "reprint":
            self.title.setText(_("Reprint: why? (recorded)"))
        elif kind == "override":
            self.title.setText(_("Supervisor approval"))
            if opened:
                for w in (self.badge, self.pin, self.reason):
                    w.clear()
            if badge:
                self.badge.setText(badge)
        self.show()
        if kind == "override":  # once shown: a hidden field takes no focus, and the cursor stayed where it was
            self._focus_badge_or_pin()


assert len(SHORT_REASONS) == 4 and len(REPRINT_REASONS) == 4  # keys 1-4


class SupervisorDialog(QDialog):
    """A supervisor authorises with badge + PIN and gives a reason (leaving the kiosk). As the override form: a scanned
    badge fills the badge field (`take_scan`), Enter in a field goes to the next one and in the last one submits, Esc
    cancels. Before, the badge's scan went past the dialog to the screen behind it (an "S-001 is the badge of …" at
    the work screen) and the field stayed empty; the Enter after a typed badge sent the dialog with no PIN: refused."""

    def __init__(self, what: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Supervisor approval"))
        form = QFormLayout(self)
        form.addRow(QLabel(what))
        self.badge, self.pin, self.reason = FormField(), FormField(), FormField()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(_("Supervisor badge"), self.badge)
        form.addRow(_("PIN"), self.pin)
        form.addRow(_("Reason"), self.reason)
        self.badge.returnPressed.connect(self.pin.setFocus)
        self.pin.returnPressed.connect(self.reason.setFocus)
        self.reason.returnPressed.connect(self.accept)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)
        self.badge.setFocus()

    def take_scan(self, raw) -> None:
        """A scan while the dialog is open (the key filter keeps a scanner's keys from every field): the badge; in
        the PIN's or the reason's field once a badge is in, what was typed there fast (a quick typist, a script),
        as that field's Enter would take it (a burst that ended without one is left in the field)."""
        text = raw.text.strip() if isinstance(raw.text, str) else ""
        field = next((f for f in (self.pin, self.reason) if f.hasFocus()), None)
        if field is None or not self.badge.text().strip():
            self.badge.setText(text)
            self.pin.setFocus()
            return
        typed_into(field, raw)


def authorise_supervisor(parent, operators, what: str):
    """Ask for a supervisor; return (Operator, reason) or None."""
    dlg = SupervisorDialog(what, parent)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return None
    op = operators.authenticate(dlg.badge.text(), dlg.pin.text())
    if op is None or not op.is_supervisor:
        return None
    return op, dlg.reason.text().strip() or "-"
