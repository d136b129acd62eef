"""The station sheet's content: every action barcode of app/actions.py with its label in English and Chinese.

Labels are Qt Linguist strings (context "StationSheet", in resources/i18n/packstation_zh_CN.ts like every other
visible string); the Chinese is read from the compiled .qm with a QTranslator, so no QApplication is needed.
`packstation station-sheet --out FILE` writes the PDF (hardware/printing/station_sheet.py lays it out)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QTranslator

from app.actions import ACTIONS, ARG_ACTIONS, CARTONS, barcode

CTX = "StationSheet"

ACTION_LABELS = {
    "complete_step": QT_TRANSLATE_NOOP("StationSheet", "Complete the step"),
    "short_pick": QT_TRANSLATE_NOOP("StationSheet", "Short pick"),
    "reprint": QT_TRANSLATE_NOOP("StationSheet", "Reprint the label"),
    "logout": QT_TRANSLATE_NOOP("StationSheet", "Log out"),
    "undo": QT_TRANSLATE_NOOP("StationSheet", "Undo the last scan"),
    "ack": QT_TRANSLATE_NOOP("StationSheet", "Acknowledge the error"),
    "gift_confirm": QT_TRANSLATE_NOOP("StationSheet", "Confirm the gift/insert"),
    "record_weight": QT_TRANSLATE_NOOP("StationSheet", "Record the weight"),
    "print": QT_TRANSLATE_NOOP("StationSheet", "Print label and slip"),
    "override": QT_TRANSLATE_NOOP("StationSheet", "Supervisor override"),
    "back": QT_TRANSLATE_NOOP("StationSheet", "Back"),
    "cancel": QT_TRANSLATE_NOOP("StationSheet", "Cancel"),
}
SHORT_REASON_LABELS = {
    "insufficient_stock": QT_TRANSLATE_NOOP("StationSheet", "Short: insufficient stock"),
    "wrong_item_in_location": QT_TRANSLATE_NOOP("StationSheet", "Short: wrong item in the bin"),
    "damaged": QT_TRANSLATE_NOOP("StationSheet", "Short: damaged"),
    "not_found": QT_TRANSLATE_NOOP("StationSheet", "Short: not found"),
}
REPRINT_REASON_LABELS = {
    "damaged": QT_TRANSLATE_NOOP("StationSheet", "Reprint: label damaged"),
    "unreadable": QT_TRANSLATE_NOOP("StationSheet", "Reprint: label unreadable"),
    "lost": QT_TRANSLATE_NOOP("StationSheet", "Reprint: label lost"),
    "wrong_printer": QT_TRANSLATE_NOOP("StationSheet", "Reprint: wrong printer"),
}
CARTON_WORD = QT_TRANSLATE_NOOP("StationSheet", "Carton {0}")
TITLES = {
    "sheet": QT_TRANSLATE_NOOP("StationSheet", "Station sheet"),
    "actions": QT_TRANSLATE_NOOP("StationSheet", "Actions"),
    "cartons": QT_TRANSLATE_NOOP("StationSheet", "Cartons"),
    "short": QT_TRANSLATE_NOOP("StationSheet", "Short-pick reasons"),
    "reprint": QT_TRANSLATE_NOOP("StationSheet", "Reprint reasons"),
}


def chinese() -> QTranslator | None:
    from ui.translations import I18N, compile_all

    qm = I18N / "packstation_zh_CN.qm"
    if not qm.exists():
        compile_all()
    t = QTranslator()
    return t if t.load(str(qm)) else None


def sections(translator: QTranslator | None = None) -> tuple[list, tuple[str, str]]:
    """The sheet's sections (hardware.printing.station_sheet.SheetSection) and its title, each text in (English,
    Chinese)."""
    from hardware.printing.station_sheet import (  # the PDF side only when a sheet is made
        SheetEntry,
        SheetSection,
    )

    tr = translator if translator is not None else chinese()

    def both(en: str, *args: str) -> tuple[str, str]:
        zh = (tr.translate(CTX, en) if tr is not None else "") or en
        for i, a in enumerate(args):
            en, zh = en.replace(f"{{{i}}}", a), zh.replace(f"{{{i}}}", a)
        return en, zh

    def entry(code: str, en: str, *args: str) -> SheetEntry:
        return SheetEntry(code, *both(en, *args))

    actions = [entry(barcode(a), ACTION_LABELS[a]) for a in ACTIONS.values()]
    cartons = [entry(barcode("carton", c.code), CARTON_WORD, c.label) for c in CARTONS]
    short = [entry(barcode("short_reason", r), SHORT_REASON_LABELS[r]) for r in ARG_ACTIONS["REASON"][1]]
    reprint = [entry(barcode("reprint_reason", r), REPRINT_REASON_LABELS[r]) for r in ARG_ACTIONS["REPRINT"][1]]
    out = []
    for key, entries in (("actions", actions), ("cartons", cartons), ("short", short), ("reprint", reprint)):
        en, zh = both(TITLES[key])
        out.append(SheetSection(en, zh, tuple(entries)))
    return out, both(TITLES["sheet"])


def write_station_sheet(out: Path, station: str = "") -> Path:
    from hardware.printing.station_sheet import build_station_sheet_pdf

    secs, (title_en, title_zh) = sections()
    pdf = build_station_sheet_pdf(secs, title_en=title_en, title_zh=title_zh, subtitle=station)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    return out
