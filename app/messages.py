"""Operator messages of the scan core. One key per situation; `text(key, **kw)` returns an `app.i18n.Msg` (the
English template, marked for the catalogs, and the fields it uses), rendered in the reader's language at the
edge; the Chinese lives in resources/locale/zh_CN/LC_MESSAGES/core.po. Keep them short: they are read at arm's
length on a pack-station screen."""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from typing import TypeVar

from app.i18n import N_, Msg

M = TypeVar("M", bound=Msg)

log = logging.getLogger(__name__)

MESSAGES: dict[str, str] = {
    "accepted": N_("{name} {variant} +{qty} ({scanned}/{required})"),
    "accepted_line_done": N_("{name} {variant}: line complete ({scanned}/{required})"),
    "accepted_order_done": N_("{name}: all lines complete — finish the step (F10)"),
    "accepted_found_after_short": N_("{name} {variant} found after its short pick: it goes in the parcel "
                                     "({scanned}/{required})"),
    "gift_scanned": N_("Gift/insert {name} confirmed"),
    "over_scan": N_("Too many: {name} needs {required}, already {scanned}. Put this one back."),
    "over_scan_short": N_("Too many: {name} was short picked ({required} of {qty} found), already {scanned}. Put this "
                          "one back."),
    "over_scan_short_found": N_("Too many: {name} was short picked ({required} of {qty} found), already {scanned}. "
                                "Found one more? Scan it again: it goes in the parcel. Else put it back."),
    "over_scan_pack": N_("{name} is already fully counted"),
    "over_scan_case": N_("That is a case of {pack}; the order needs {left} — scan single units."),
    "over_scan_case_more": N_("That is a case of {pack}; the order needs {left} more — scan single units."),
    "over_scan_inner": N_("That is a pack of {pack}; the order needs {left} — scan single units."),
    "over_scan_inner_more": N_("That is a pack of {pack}; the order needs {left} more — scan single units."),
    "wrong_item": N_("Wrong item: {sku} {name} is not on this order"),
    "pack_not_counted": N_("That is a pack of {pack} × {name}: this order counts single units — scan the units"),
    "ambiguous_8": N_("Not counted: {code} reads as two products, the order's {expected_sku} and {sku} {name}. Set "
                      "the scanner to send its code type (AIM), or call a supervisor"),
    "sibling_variant": N_("Wrong variant: you scanned {scanned_variant}, the order wants {wanted_variant} ({name})"),
    "sibling_variant_done": N_("Wrong variant: you scanned {scanned_variant}; the order's {wanted_variant} ({name}) is "
                               "already complete: put it back"),
    "other_order": N_("This item belongs to another open order: {other}"),
    "unknown": N_("Unknown barcode {code}: not in this order or the catalogue"),
    "sscc_label": N_("That is a shipping label (SSCC {sscc}), not an item: scan the item's own barcode"),
    "unreadable_empty": N_("Nothing readable was scanned — scan again"),
    "unreadable_check": N_("Barcode {code} is misread (check digit wrong) — scan again"),
    # the parser's own words ("Failed to match '17271341' with GS1 AI (17) pattern '^17(\d{2}…") stay in the scan's
    # details and the log: on the screen they said nothing a packer could act on, and English in the Chinese one
    "unreadable_gs1": N_("GS1 barcode {code} does not hold valid GS1 data — scan again; if it fails again, call a "
                         "supervisor"),
    "unreadable_gs1_count": N_("This label names what the carton holds (02) but not how many (37): scan the items "
                               "themselves"),
    "unreadable_long": N_("Scan too long to be a barcode — scan again"),
    "unreadable_internal": N_("This scan could not be checked — scan again or call a supervisor"),
    "caps_lock": N_("{said} — Caps Lock is on: turn it off"),
    "not_recorded": N_("NOT recorded: the station could not save this scan — scan again; if it happens again, call a "
                       "supervisor"),
    "not_recorded_disk_full": N_("NOT recorded: the station's disk is full — call a supervisor (nothing counts until "
                                 "space is freed)"),
    "not_recorded_read_only": N_("NOT recorded: the station's disk cannot be written — call a supervisor (nothing "
                                 "counts until it is fixed)"),
    "lot_required": N_("{name} needs its lot: scan the GS1 barcode with the lot number"),
    "wrong_lot": N_("Wrong lot {lot} for {name} (allowed: {allowed})"),
    "expired_lot": N_("Lot {lot} of {name} expires {expiry}: too short-dated, take another"),
    "expired_lot_past": N_("Lot {lot} of {name} expired on {expiry}: take another"),
    "serial_required": N_("{name} needs its serial number: scan the barcode with the serial (S/N)"),
    "duplicate_serial": N_("Serial {serial} of {name} was already scanned: this is the same unit"),
    "no_order": N_("No order is open — scan the order barcode first"),
    "intercepted": N_("STOP: order {order} is {status}: {reason}. Do not ship."),
    "order_selected": N_("Order {order} selected"),
    "bin_confirmed": N_("Bin {bin} confirmed"),
    "bin_confirmed_line": N_("Bin {bin} confirmed: take {name}"),
    "bin_done": N_("Bin {bin} is done: go to {wanted}"),
    "wrong_bin": N_("Wrong bin {bin}: go to {wanted}"),
    "bin_not_on_order": N_("Wrong bin {bin}: nothing of this order is there"),
    "action_undo": N_("Undone: {name} -{qty}"),
    "action_undo_nothing": N_("Nothing to undo"),
    "action_undo_short": N_("Undone: the short pick of {name} — count it again ({scanned}/{required})"),
    "action_undo_gift": N_("Undone: {name} is not confirmed — put it in and scan it, or confirm it (F3)"),
    "action_complete": N_("Step {step} complete, next: {next}"),
    "action_blocked": N_("Cannot complete {step}: {reasons}"),
    "action_short": N_("Short pick: choose a reason"),
    "action_reprint": N_("Reprint requested"),
    "action_logout": N_("Logging out"),
    "action_ack": N_("Error acknowledged"),
    "action_unknown": N_("Unknown action barcode {code}"),
    "action_complete_request": N_("Complete the step"),
    "action_gift": N_("Confirm the gift/insert"),
    "action_record": N_("Record the weight"),
    "action_print": N_("Print label and slip"),
    "action_override": N_("Supervisor override: scan a supervisor badge"),
    "action_back": N_("Back"),
    "action_cancel": N_("Cancelled"),
    "action_carton": N_("Carton chosen"),
    "step_not_scanning": N_("Scans are not counted in step {step}"),

}

#: an order's OMS status as the packer reads it, the one table of the station (nested into "STOP: order {order}
#: is {status}…" by sync/, "…order {order} was {status}…" by floor/)
STATUS_WORDS: dict[str, str] = {
    "cancelled": N_("cancelled"),
    "held": N_("held"),
    "intercepted": N_("intercepted"),
    "claimed_elsewhere": N_("given to another station"),
    "packed_elsewhere": N_("already packed at another station"),  # done at the OMS, not finished here
    "changed": N_("changed by the OMS"),  # its items, after it was opened here (floor.paperwork.items_changed)
}

#: the station's devices by name (the check screen's list; a printer fault's printer, `printer_fault.printer`)
DEVICE_NAMES: dict[str, str] = {
    "label_printer": N_("Label printer"),
    "slip_printer": N_("Slip printer"),
    "scanner": N_("Scanner"),
    "camera": N_("Camera"),
    "scale": N_("Scale"),
    "oms": N_("OMS connection"),
    "disk": N_("Station disk"),
    "speaker": N_("Speaker"),
}

#: the steps' names (app.workflow.Step values) as the packer reads them
STEP_NAMES: dict[str, str] = {
    "pick": N_("Pick"),
    "verify": N_("Check"),
    "pack": N_("Pack"),
    "weigh": N_("Weigh"),
    "label": N_("Label"),
    "done": N_("Done"),
}


def status_word(status: object) -> Msg | str:
    """An OMS status as a message ("cancelled"); an unknown status stays as it came."""
    st = "" if status is None else str(status)
    return Msg(STATUS_WORDS[st]) if st in STATUS_WORDS else st


def step_word(step: object) -> Msg | str:
    """A step (a `Step` or its value) by its name ("Pick", "Check", …); an unknown step stays as it came."""
    value = getattr(step, "value", step)
    value = "" if value is None else str(value)
    return Msg(STEP_NAMES[value]) if value in STEP_NAMES else value


def _fields(template: str) -> frozenset[str]:
    return frozenset(f for _lit, f, _spec, _conv in string.Formatter().parse(template) if f)


_FIELDS = {key: _fields(t) for key, t in MESSAGES.items()}


def text(key: str, **kw: object) -> Msg:
    """The message for `key` with the fields its template uses (others are dropped: a verdict's message keeps
    only what it says). A status is said in words. A missing key or field never raises: an unknown key is shown
    as itself and logged; a missing field stays visible as {field} (logged when rendered)."""
    return message_as(Msg, key, kw)


def message_as(cls: type[M], key: str, values: Mapping[str, object]) -> M:
    """`text(key, **values)` as an instance of `cls` (a `Msg` class: the verifier makes its `VerdictMessage` here,
    on every scan, rather than a `Msg` it then copies)."""
    template = MESSAGES.get(key)
    if template is None:
        log.error("message %s: no such message", key)
        return cls.made(key, {})
    want = _FIELDS[key]
    params = {k: v for k, v in values.items() if k in want}
    if "status" in params and isinstance(params["status"], str):
        params["status"] = status_word(params["status"])
    return cls.made(template, params)
