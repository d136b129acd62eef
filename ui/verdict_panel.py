"""Verdict feedback: a short green flash for good scans; a full-width red panel for errors that names
what was scanned and what was expected, and stays until the operator acknowledges (scan or button)."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout


class VerdictPanel(QFrame):
    acknowledged = Signal()

    def __init__(self, language: str, sounds, parent=None) -> None:
        super().__init__(parent)
        self.language, self.sounds = language, sounds
        self.locked = False
        self.verdict = None
        lay = QVBoxLayout(self)
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setStyleSheet("font-size: 30px; font-weight: bold; color: white;")
        self.ack = QPushButton(self.tr("ACKNOWLEDGE (or scan again)"))
        self.ack.setObjectName("danger")
        self.ack.setMinimumHeight(72)
        self.ack.clicked.connect(self.acknowledge)
        lay.addWidget(self.text)
        lay.addWidget(self.ack)
        self._flash = QTimer(self)
        self._flash.setSingleShot(True)
        self._flash.timeout.connect(self._idle)
        self._idle()

    def _paint(self, color: str) -> None:
        """A new style sheet re-polishes the panel and its children: only when the colour changes (a run of
        good scans paints the same green)."""
        if color != getattr(self, "_color", None):
            self._color = color
            self.setStyleSheet(f"VerdictPanel {{ background: {color}; border-radius: 8px; }}")

    def _idle(self) -> None:
        if self.locked:
            return
        self._paint("#546e7a")
        self.ack.hide()

    def show_verdict(self, verdict) -> None:
        self.verdict = verdict
        self.text.setText(verdict.message(self.language))
        if verdict.ok:
            self.locked = False
            self.ack.hide()
            self._paint("#2e7d32")
            self.sounds.play("good")
            self._flash.start(600)
        else:
            self.locked = True
            self._paint("#c62828")
            self.ack.show()
            self.sounds.play("error")
        self.repaint()  # painted now, not at the next idle pass: feedback within one frame

    def show_message(self, text: str, error: bool = False) -> None:
        self.text.setText(text)
        if error:
            self.locked = True
            self._paint("#c62828")
            self.ack.show()
            self.sounds.play("error")
        else:
            self._paint("#1565c0")
            self._flash.start(1500)

    def acknowledge(self) -> None:
        if not self.locked:
            return
        self.locked = False
        self.text.setText(self.tr("Acknowledged — carry on."))
        self._idle()
        self.acknowledged.emit()
