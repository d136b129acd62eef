"""A stack of screens whose size needs are those of the screen shown, not of the largest screen in the stack.

QStackedWidget asks every page for its minimum size, so one wide screen (the work screen's tables and buttons)
would force the login screen's window wider than a 1024×768 display. Pages not shown get the Ignored size policy,
which QStackedLayout leaves out of its size hints; the shown page gets its own policy back."""

from __future__ import annotations

from PySide6.QtWidgets import QSizePolicy, QStackedWidget


class CurrentPageStack(QStackedWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._policies: dict[int, QSizePolicy] = {}
        self.currentChanged.connect(self._only_current_counts)

    def addWidget(self, w) -> int:  # noqa: N802 (Qt API)
        i = super().addWidget(w)
        self._policies[id(w)] = w.sizePolicy()
        self._only_current_counts()
        return i

    def _only_current_counts(self, *_args) -> None:
        ignored = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        cur = self.currentWidget()
        for i in range(self.count()):
            w = self.widget(i)
            w.setSizePolicy(self._policies.get(id(w), w.sizePolicy()) if w is cur else ignored)
        self.updateGeometry()
