"""Names of the core's codes in the operator's language (Qt Linguist, context "Names"): order statuses, carrier
service levels, roles, short-pick and reprint reasons. Codes the table does not know are shown as they are (they
are data, e.g. a carrier's own service name)."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

STATUS = {
    "open": QT_TRANSLATE_NOOP("Names", "open"),
    "claimed": QT_TRANSLATE_NOOP("Names", "claimed"),
    "in_progress": QT_TRANSLATE_NOOP("Names", "in progress"),
    "done": QT_TRANSLATE_NOOP("Names", "done"),
    "cancelled": QT_TRANSLATE_NOOP("Names", "cancelled"),
    "held": QT_TRANSLATE_NOOP("Names", "held"),
}
SERVICE = {
    "standard": QT_TRANSLATE_NOOP("Names", "standard"),
    "express": QT_TRANSLATE_NOOP("Names", "express"),
    "economy": QT_TRANSLATE_NOOP("Names", "economy"),
    "same_day": QT_TRANSLATE_NOOP("Names", "same day"),
}
ROLE = {
    "picker": QT_TRANSLATE_NOOP("Names", "picker"),
    "packer": QT_TRANSLATE_NOOP("Names", "packer"),
    "supervisor": QT_TRANSLATE_NOOP("Names", "supervisor"),
}
SHORT_REASON = {
    "insufficient_stock": QT_TRANSLATE_NOOP("Names", "Insufficient stock"),
    "wrong_item_in_location": QT_TRANSLATE_NOOP("Names", "Wrong item in location"),
    "damaged": QT_TRANSLATE_NOOP("Names", "Damaged"),
    "not_found": QT_TRANSLATE_NOOP("Names", "Not found"),
}
REPRINT_REASON = {
    "damaged": QT_TRANSLATE_NOOP("Names", "label damaged"),
    "unreadable": QT_TRANSLATE_NOOP("Names", "label unreadable"),
    "lost": QT_TRANSLATE_NOOP("Names", "label lost"),
    "wrong_printer": QT_TRANSLATE_NOOP("Names", "wrong printer"),
}

CARTON = {  # S/M/L/XL are sizes printed on the cartons; the bag is named
    "BAG": QT_TRANSLATE_NOOP("Names", "bag"),
}


def _name(table: dict[str, str], code: str) -> str:
    src = table.get(code)
    return QCoreApplication.translate("Names", src) if src else code


def status(code: str) -> str:
    return _name(STATUS, code)


def service(code: str) -> str:
    return _name(SERVICE, code)


def role(code: str) -> str:
    return _name(ROLE, code)


def short_reason(code: str) -> str:
    return _name(SHORT_REASON, code)


def reprint_reason(code: str) -> str:
    return _name(REPRINT_REASON, code)


def carton(code: str, label: str) -> str:
    src = CARTON.get(code)
    return QCoreApplication.translate("Names", src) if src else label
