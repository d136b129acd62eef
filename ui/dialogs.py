"""Exception dialogs: short pick with a reason code, supervisor override (badge + PIN), reason prompt."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QSpinBox

from app.picklist import SHORT_REASONS


def reason_names(widget) -> dict[str, str]:
    return {
        "insufficient_stock": widget.tr("Insufficient stock"),
        "wrong_item_in_location": widget.tr("Wrong item in location"),
        "damaged": widget.tr("Damaged"),
        "not_found": widget.tr("Not found"),
    }


class ShortPickDialog(QDialog):
    def __init__(self, line, found: int, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Short pick"))
        form = QFormLayout(self)
        form.addRow(QLabel(f"{line.sku}  {line.name}  {line.variant}"))
        self.reason = QComboBox()
        for key, name in reason_names(self).items():
            self.reason.addItem(name, key)
        self.qty = QSpinBox()
        self.qty.setRange(0, line.qty)
        self.qty.setValue(found)
        form.addRow(self.tr("Reason"), self.reason)
        form.addRow(self.tr("Quantity found"), self.qty)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)

    @property
    def reason_code(self) -> str:
        code = self.reason.currentData()
        assert code in SHORT_REASONS
        return code


class SupervisorDialog(QDialog):
    """A supervisor authorises with badge + PIN and gives a reason (audited as an event)."""

    def __init__(self, what: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Supervisor approval"))
        form = QFormLayout(self)
        form.addRow(QLabel(what))
        self.badge = QLineEdit()
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.reason = QLineEdit()
        form.addRow(self.tr("Supervisor badge"), self.badge)
        form.addRow(self.tr("PIN"), self.pin)
        form.addRow(self.tr("Reason"), self.reason)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)


def authorise_supervisor(parent, operators, what: str):
    """Ask for a supervisor; return (Operator, reason) or None."""
    dlg = SupervisorDialog(what, parent)
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return None
    op = operators.authenticate(dlg.badge.text(), dlg.pin.text())
    if op is None or not op.is_supervisor:
        return None
    return op, dlg.reason.text().strip() or "-"
