"""Label and slip content from what was packed, not from what was ordered.

`packed_picklist(session)` is the pick list as it leaves the station: each line's quantity is what went
into the parcel (ordered minus short-picked, or what was scanned if the line is still open), lines packed
at 0 are left out, so the label's and slip's totals are packed totals; `missing_lines(session)` is the rest
(ordered, not in the parcel), which the slip lists as "not in this parcel". The printers' builders take it
unchanged (hardware/printing/label.py and slip.py print what they are given)."""

from __future__ import annotations

import dataclasses

from app.picklist import PickLine, PickList
from app.workflow import OrderSession


def packed_qty(session: OrderSession, line_id: str) -> int:
    """Units of one line in the parcel, from the last counting step's progress."""
    line = session.picklist_lines[line_id]
    steps = session.counting_steps
    if not steps:  # nothing is counted at this station: the parcel holds what was ordered
        return line.qty
    lp = session.step_progress(steps[-1])[line_id]
    if lp.complete:
        return max(0, line.qty - lp.short_qty)
    return min(line.qty, lp.scanned)


def packed_picklist(session: OrderSession) -> PickList:
    pl = session.picklist
    lines = []
    for ln in pl.lines:
        q = packed_qty(session, ln.id)
        if q > 0:
            lines.append(dataclasses.replace(ln, qty=q))
    return dataclasses.replace(pl, lines=tuple(lines))


def missing_lines(session: OrderSession) -> list[tuple[PickLine, int]]:
    """What was ordered but is not in the parcel (a short pick), per line: the slip lists it as
    "not in this parcel" and the paperwork event records it."""
    out = []
    for ln in session.picklist.lines:
        q = ln.qty - packed_qty(session, ln.id)
        if q > 0:
            out.append((ln, q))
    return out


def content(picklist: PickList) -> list[dict]:
    """What a label/slip says per line (recorded in the paperwork event)."""
    return [{"line_id": ln.id, "sku": ln.sku, "qty": ln.qty} for ln in picklist.lines]


def missing_content(missing: list[tuple[PickLine, int]]) -> list[dict]:
    """What the slip lists as not in the parcel (recorded in the paperwork event)."""
    return [{"line_id": ln.id, "sku": ln.sku, "qty": q} for ln, q in missing]
