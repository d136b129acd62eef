"""Order queue: the open pick lists from the local cache (works offline). Scan an order's barcode or
pick a row and press Enter."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.table_model import RowsModel


class PickListModel(RowsModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.headers = [self.tr("Order"), self.tr("Lines"), self.tr("Units"), self.tr("Carrier"),
                        self.tr("Ship to"), self.tr("Status")]

    @property
    def items(self) -> list:
        return self.rows

    def set_items(self, items) -> None:
        self.set_rows(items)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        pl = self.rows[index.row()]
        return [pl.order_no, len(pl.lines), pl.units, f"{pl.carrier} {pl.service}".strip(),
                f"{pl.ship_to.name}, {pl.ship_to.city}", pl.status][index.column()]


class QueueScreen(QWidget):
    open_requested = Signal(object)  # PickList
    supervisor_requested = Signal()

    def __init__(self, services, tasks, parent=None) -> None:
        super().__init__(parent)
        self.services, self.tasks = services, tasks
        lay = QVBoxLayout(self)
        title = QLabel(self.tr("Open orders — scan an order barcode or choose one"))
        title.setObjectName("title")
        lay.addWidget(title)
        self.model = PickListModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view.verticalHeader().setDefaultSectionSize(48)
        self.view.doubleClicked.connect(self._open_selected)
        lay.addWidget(self.view)
        self.open_btn = QPushButton(self.tr("Open order"))
        self.open_btn.setObjectName("primary")
        self.open_btn.clicked.connect(self._open_selected)
        self.message = QLabel("")
        lay.addWidget(self.message)
        lay.addWidget(self.open_btn)
        self.supervisor_btn = QPushButton(self.tr("Supervisor figures"))
        self.supervisor_btn.clicked.connect(self.supervisor_requested.emit)
        self.supervisor_btn.hide()  # shown to supervisors only
        lay.addWidget(self.supervisor_btn)

    def refresh(self) -> None:
        if self.services.sync is None:
            return
        self.tasks.run(self.services.sync.cache.open_picklists, self._loaded)

    def _loaded(self, items) -> None:
        if isinstance(items, Exception):
            self.message.setText(str(items))
            return
        self.model.set_items(sorted(items, key=lambda p: (-p.priority, p.order_no)))
        if self.model.rowCount() and not self.view.selectionModel().hasSelection():
            self.view.selectRow(0)

    def keyPressEvent(self, e) -> None:  # noqa: N802
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open_selected()
            return
        super().keyPressEvent(e)

    def _open_selected(self, *_a) -> None:
        rows = self.view.selectionModel().selectedRows()
        if rows:
            self.open_requested.emit(self.model.items[rows[0].row()])
