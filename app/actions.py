"""The station's action barcodes: one vocabulary for the verifier, the station controller, the screens and
the printable station sheet (every action, short-pick reason, reprint reason and carton as a barcode), so
that a packer can do everything with the scanner alone.

A barcode is ``@@NAME`` or ``@@NAME:ARG`` (Code 128 carries ``@`` and ``:``). ``parse_action`` never raises."""

from __future__ import annotations

from dataclasses import dataclass

from app.i18n import N_
from app.picklist import SHORT_REASONS

PREFIX = "@@"

#: barcode name -> action name (the use case a station controller runs)
ACTIONS: dict[str, str] = {
    "COMPLETE": "complete_step",
    "SHORT": "short_pick",
    "REPRINT": "reprint",
    "LOGOUT": "logout",
    "UNDO": "undo",
    "ACK": "ack",
    "GIFT": "gift_confirm",
    "WEIGH": "record_weight",
    "PRINT": "print",
    "OVERRIDE": "override",
    "BACK": "back",
    "CANCEL": "cancel",
}

#: actions that take an argument: barcode name -> (action name, allowed arguments)
REPRINT_REASONS: tuple[str, ...] = ("damaged", "unreadable", "lost", "wrong_printer")
#: what the packer chose from the F12 list (keys 1-4), by its name: the floor's prompt and the supervisor's latest errors
REPRINT_REASON_NAMES: dict[str, str] = {
    "damaged": N_("Label damaged"),
    "unreadable": N_("Label unreadable"),
    "lost": N_("Label lost"),
    "wrong_printer": N_("Wrong printer"),
}


@dataclass(frozen=True)
class Carton:
    code: str  # S, M, L, XL, BAG
    label: str  # what the packer reads


CARTONS: tuple[Carton, ...] = (
    Carton("S", "S (20×15×10)"),
    Carton("M", "M (30×20×15)"),
    Carton("L", "L (40×30×20)"),
    Carton("XL", "XL (60×40×30)"),
    Carton("BAG", "BAG"),
)

ARG_ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "CARTON": ("carton", tuple(c.code for c in CARTONS)),
    "REASON": ("short_reason", SHORT_REASONS),
    "REPRINT": ("reprint_reason", REPRINT_REASONS),
}


@dataclass(frozen=True)
class Action:
    name: str  # complete_step, short_pick, carton, short_reason, reprint_reason, ...
    arg: str | None = None


def parse_action(text: str) -> Action | None:
    """The action a scanned text names, or None when it is not a known action barcode."""
    if not isinstance(text, str) or not text.startswith(PREFIX):
        return None
    body = text[len(PREFIX):].strip()
    name, sep, arg = body.partition(":")
    name = name.upper()
    if not sep:
        action = ACTIONS.get(name)
        return Action(action) if action else None
    spec = ARG_ACTIONS.get(name)
    if spec is None:
        return None
    action, allowed = spec
    for a in allowed:
        if a.upper() == arg.strip().upper():
            return Action(action, a)
    return None


def barcode(action: str, arg: str | None = None) -> str:
    """The barcode text for an action (the inverse of parse_action)."""
    if arg is None:
        for name, a in ACTIONS.items():
            if a == action:
                return PREFIX + name
        raise KeyError(action)
    for name, (a, allowed) in ARG_ACTIONS.items():
        if a == action and arg in allowed:
            return f"{PREFIX}{name}:{arg.upper()}"
    raise KeyError((action, arg))
