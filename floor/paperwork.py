"""Label and slip content from what was packed, not from what was ordered.

`packed_picklist(session)` is the pick list as it leaves the station: each line's quantity is what went
into the parcel (`OrderSession.packed_qty`: ordered minus short-picked, or what was scanned if the line is still
open; a gift taken from the gift shelf at pack after a short pick is in), lines packed
at 0 are left out, so the label's and slip's totals are packed totals; it comes with the rest (ordered, not in
the parcel), which the slip lists as "not in this parcel". The printers' builders take it
unchanged (hardware/printing/label.py and slip.py print what they are given).

The destination goes on them as the OMS has it when F9 is pressed, not as it was when the order was opened: an
address or a carrier changed meanwhile (`destination_changes`) is taken (`with_destination`) and said. An order
whose items the OMS changed meanwhile (`items_changed`) is stopped instead: the parcel is not that order any more."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from app.picklist import PickLine, PickList
from app.workflow import OrderSession

log = logging.getLogger(__name__)


def packed_picklist(session: OrderSession) -> tuple[PickList, tuple[PickLine, ...]]:
    """(packed, missing): the pick list as it leaves the station (each line at its packed quantity, lines packed
    at 0 left out), and the lines ordered but not wholly in the parcel, each at the quantity it lacks."""
    pl = session.picklist
    packed, missing = [], []
    for ln in pl.lines:
        q = session.packed_qty(ln.id)
        if q > 0:
            packed.append(dataclasses.replace(ln, qty=q))
        if q < ln.qty:
            missing.append(dataclasses.replace(ln, qty=ln.qty - q))
    return dataclasses.replace(pl, lines=tuple(packed)), tuple(missing)


def content(lines: Iterable[PickLine]) -> list[dict]:
    """What a label/slip says per line (recorded in the paperwork event)."""
    return [{"line_id": ln.id, "sku": ln.sku, "qty": ln.qty} for ln in lines]


def missing_destination(pl: PickList) -> tuple[str, ...]:
    """What a label cannot go without that `pl` lacks: "address" (no name, or neither a street nor a city) and
    "carrier". A label with an empty "SHIP TO" block and carrier "-" was printed, and the order marked packed (QA)."""
    to = pl.ship_to
    out = []
    if not to.name.strip() or not (any(x.strip() for x in to.address_lines) or to.city.strip()):
        out.append("address")
    if not pl.carrier.strip():
        out.append("carrier")
    return tuple(out)


def destination_changes(opened: PickList, current: PickList | None) -> tuple[str, ...]:
    """What of the order's destination the OMS changed since `opened` was read: "address" (the ship-to, its warnings
    aside) and "carrier" (carrier or service). () when `current` is None or another order. A ship-to without a name
    or without a street or city, or no carrier, is not taken for a change (logged): an OMS reply that lost them must
    not blank the label."""
    if current is None or current.id != opened.id:
        return ()
    out = []
    lacking = missing_destination(current)
    to = current.ship_to
    if dataclasses.replace(to, warnings=()) != dataclasses.replace(opened.ship_to, warnings=()):
        if "address" not in lacking:
            out.append("address")
        else:
            log.warning("order %s: the OMS's ship-to has no name or no address; the label keeps the one it opened with",
                        opened.id)
    if (current.carrier, current.service) != (opened.carrier, opened.service):
        if "carrier" not in lacking:
            out.append("carrier")
        else:
            log.warning("order %s: the OMS's carrier is empty; the label keeps the one it opened with", opened.id)
    return tuple(out)


def with_destination(pl: PickList, current: PickList, changed: tuple[str, ...]) -> PickList:
    """`pl` (its lines, as packed) going to `current`'s address (with its warnings) and by `current`'s carrier, as far
    as `changed` (from `destination_changes`) says they are to be taken."""
    if "address" in changed:
        pl = dataclasses.replace(pl, ship_to=current.ship_to)
    if "carrier" in changed:
        pl = dataclasses.replace(pl, carrier=current.carrier, service=current.service)
    return pl


def new_address_warnings(opened: PickList, current: PickList | None) -> tuple[str, ...]:
    """The OMS's warnings on the ship-to ("address changed after payment") that `current` has and `opened` had not:
    flagged by the OMS after the order was opened. `destination_changes` leaves warnings out (a warning is not a new
    address), so a warning the OMS added mid-pack was never shown: the header kept the opened order's ship-to."""
    if current is None or current.id != opened.id:
        return ()
    had = set(opened.ship_to.warnings)
    return tuple(w for w in current.ship_to.warnings if w not in had)


def with_warnings(pl: PickList, warnings: tuple[str, ...]) -> PickList:
    """`pl` with these ship-to warnings added (the header shows them)."""
    return dataclasses.replace(pl, ship_to=dataclasses.replace(pl.ship_to, warnings=pl.ship_to.warnings + warnings))


def items_changed(opened: PickList, current: PickList | None) -> bool:
    """The OMS changed what the order is made of since `opened` was read: a line added or taken away, another SKU or
    quantity on a line. (Names, pictures, barcodes of the same lines are not a change.)"""
    if current is None or current.id != opened.id:
        return False

    def made_of(pl: PickList) -> list[tuple[str, str, int]]:
        return sorted((ln.id, ln.sku, ln.qty) for ln in pl.lines)

    return made_of(current) != made_of(opened)
