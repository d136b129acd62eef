"""The station sheet's content: every action barcode of app/actions.py with its label in English and Chinese.

Labels are message ids of the screens' catalog (resources/locale/zh_CN/LC_MESSAGES/ui.po, like every other visible
string); the sheet shows both languages whatever the station's, so each is rendered in both with app/i18n.py.
`packstation station-sheet --out FILE` writes the PDF (hardware/printing/station_sheet.py lays it out)."""

from __future__ import annotations

from pathlib import Path

from app.actions import ACTIONS, ARG_ACTIONS, CARTONS, barcode
from app.i18n import N_, Msg, translate

SHEET_LANGUAGES = ("en", "zh_CN")

ACTION_LABELS = {
    "complete_step": N_("Complete the step"),
    "short_pick": N_("Short pick"),
    "reprint": N_("Reprint the label"),
    "logout": N_("Log out"),
    "undo": N_("Undo the last scan"),
    "ack": N_("Acknowledge the error"),
    "gift_confirm": N_("Confirm the gift/insert"),
    "record_weight": N_("Record the weight"),
    "print": N_("Print label and slip"),
    "override": N_("Supervisor override"),
    "back": N_("Back"),
    "cancel": N_("Cancel"),
}
SHORT_REASON_LABELS = {
    "insufficient_stock": N_("Short: insufficient stock"),
    "wrong_item_in_location": N_("Short: wrong item in the bin"),
    "damaged": N_("Short: damaged"),
    "not_found": N_("Short: not found"),
}
REPRINT_REASON_LABELS = {
    "damaged": N_("Reprint: label damaged"),
    "unreadable": N_("Reprint: label unreadable"),
    "lost": N_("Reprint: label lost"),
    "wrong_printer": N_("Reprint: wrong printer"),
}
CARTON_WORD = N_("Carton {carton}")
TITLES = {
    "sheet": N_("Station sheet"),
    "actions": N_("Actions"),
    "cartons": N_("Cartons"),
    "short": N_("Short-pick reasons"),
    "reprint": N_("Reprint reasons"),
}


def sections() -> tuple[list, tuple[str, str]]:
    """The sheet's sections (hardware.printing.station_sheet.SheetSection) and its title, each text in (English,
    Chinese)."""
    from hardware.printing.station_sheet import (  # the PDF side only when a sheet is made
        SheetEntry,
        SheetSection,
    )

    def both(message_id: str, **params: str) -> tuple[str, str]:
        msg = Msg(message_id, **params)
        en, zh = (translate(msg, lang) for lang in SHEET_LANGUAGES)
        return en, zh

    def entry(code: str, message_id: str, **params: str) -> SheetEntry:
        return SheetEntry(code, *both(message_id, **params))

    actions = [entry(barcode(a), ACTION_LABELS[a]) for a in ACTIONS.values()]
    cartons = [entry(barcode("carton", c.code), CARTON_WORD, carton=c.label) for c in CARTONS]
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
