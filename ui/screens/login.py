"""Shift start: badge (scanned or typed) + PIN. Takes badges only: the station controller refuses any
order action while nobody is logged in."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from ui.screens import show_feedback
from ui.translations import _
from ui.wedge_filter import typed_into


class LoginScreen(QWidget):
    def __init__(self, parent=None, controller=None) -> None:
        """`controller` may come later (`attach`): the login screen shows before the station's services are open;
        the PIN of an Enter meanwhile is held, and tried by `try_held()` once they are."""
        super().__init__(parent)
        self.controller = controller
        self._held_pin: str | None = None
        lay = QVBoxLayout(self)
        lay.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel(_("Scan your badge, then type your PIN"))
        title.setObjectName("title")
        self.badge = QLineEdit()
        self.badge.setPlaceholderText(_("Badge"))
        self.pin = QLineEdit()
        self.pin.setPlaceholderText(_("PIN"))
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.button = QPushButton(_("Log in"))
        self.button.setObjectName("primary")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828; font-size: 22px;")
        for w in (title, self.badge, self.pin, self.button, self.message):
            w.setMinimumWidth(520)
            w.setMaximumWidth(760)
            lay.addWidget(w)
        self.badge.returnPressed.connect(self.pin.setFocus)
        self.pin.returnPressed.connect(self.try_login)
        self.button.clicked.connect(self.try_login)

    def attach(self, controller) -> None:
        self.controller = controller

    def try_held(self) -> None:
        """The login of an Enter before `attach`, with the PIN as it was then (a badge scanned before it, handed on
        since, has cleared the field)."""
        if self._held_pin is not None:
            pin, self._held_pin = self._held_pin, None
            self.pin.setText(pin)
            self.try_login()

    def reset(self) -> None:
        self.badge.clear()
        self.pin.clear()
        self.message.clear()
        self.badge.setFocus()

    def render(self, _changes=None) -> None:
        c = self.controller
        if c.pending_badge and c.operator is None:  # a badge scanned with the wedge/serial scanner
            self.badge.setText(c.pending_badge)
            c.pending_badge = None
            self.pin.clear()
            self.pin.setFocus()
        show_feedback(self.message, c.feedback)  # red for a wrong PIN, amber for a word (logged out when idle)

    def take_as_pin(self, raw) -> bool:
        """A scan (a burst at scanner speed) while the PIN field has the focus and a badge is in: the PIN typed fast
        when the controller says it reads as one (`could_be_pin`); then the login is tried with it, as its Enter
        would (a burst that ended without one is left in the field). False: a badge."""
        c, code = self.controller, raw.text
        if c is None or not self.pin.hasFocus() or not self.badge.text().strip() or not c.could_be_pin(code):
            return False
        typed_into(self.pin, raw)
        return True

    def try_login(self) -> None:
        if self.controller is None:  # the services are being opened: the login is tried once they are
            self._held_pin = self.pin.text()
            return
        badge, pin = self.badge.text().strip(), self.pin.text()
        self.pin.clear()
        res = self.controller.login(badge, pin)
        if not res.ok:
            from app.operators import said_badge  # here: the login screen shows before the core is loaded

            if badge and said_badge(badge, known=False) != badge:
                # it could be a PIN typed where the badge goes: not left on the screen for whoever comes by next
                # (decided by the text alone, so it tells nobody whether such a badge exists)
                self.badge.clear()
                self.badge.setFocus()
                return
            (self.pin if badge else self.badge).setFocus()
