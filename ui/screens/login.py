"""Shift start: badge (scanned or typed) + PIN."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget


class LoginScreen(QWidget):
    logged_in = Signal(object)  # Operator

    def __init__(self, station, parent=None) -> None:
        super().__init__(parent)
        self.station = station
        lay = QVBoxLayout(self)
        lay.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel(self.tr("Scan your badge, then type your PIN"))
        title.setObjectName("title")
        self.badge = QLineEdit()
        self.badge.setPlaceholderText(self.tr("Badge"))
        self.pin = QLineEdit()
        self.pin.setPlaceholderText(self.tr("PIN"))
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.button = QPushButton(self.tr("Log in"))
        self.button.setObjectName("primary")
        self.message = QLabel("")
        self.message.setStyleSheet("color: #c62828; font-size: 22px;")
        for w in (title, self.badge, self.pin, self.button, self.message):
            w.setMinimumWidth(520)
            w.setMaximumWidth(760)
            lay.addWidget(w)
        self.badge.returnPressed.connect(self.pin.setFocus)
        self.pin.returnPressed.connect(self.try_login)
        self.button.clicked.connect(self.try_login)

    def reset(self) -> None:
        self.badge.clear()
        self.pin.clear()
        self.message.clear()
        self.badge.setFocus()

    def on_scan(self, raw) -> None:
        """A badge scanned with the wedge/serial scanner."""
        self.badge.setText(raw.text.strip())
        self.pin.clear()
        self.pin.setFocus()

    def try_login(self) -> None:
        badge, pin = self.badge.text().strip(), self.pin.text()
        if not badge or not pin:
            self.message.setText(self.tr("Badge and PIN are both needed."))
            return
        op = self.station.login(badge, pin)
        self.pin.clear()
        if op is None:
            self.message.setText(self.tr("Badge or PIN not recognised."))
            self.pin.setFocus()
            return
        self.message.clear()
        self.logged_in.emit(op)
