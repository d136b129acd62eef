"""What the station says, in the packer's words: messages (`app.i18n.Msg`), never a raw code. The Chinese lives in
resources/locale/zh_CN/LC_MESSAGES/floor.po (and core.po for the step names, which the scan core says too)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app import actions, messages
from app.actions import CARTONS
from app.address import address_one_line, recipient
from app.i18n import N_, Joined, Msg, plural
from app.picklist import PickList, variant_beyond
from app.workflow import OrderSession, Step
from floor.changes import Feedback, Level, PutBack

SHORT_REASON_NAMES: dict[str, str] = {
    "insufficient_stock": N_("Insufficient stock"),
    "wrong_item_in_location": N_("Wrong item in location"),
    "damaged": N_("Damaged"),
    "not_found": N_("Not found"),
}

REPRINT_REASON_NAMES = actions.REPRINT_REASON_NAMES  # the F12 list's names (the supervisor's latest errors say them too)


def say(level: Level, message: Msg | Joined) -> Feedback:
    return Feedback(level, message)


def step_name(step: Step | None) -> Msg:
    """The step's name as a message (an empty message for no step)."""
    name = messages.step_word(step)
    return name if isinstance(name, Msg) else Msg(name)


def status_words(status: str) -> Msg:
    """The status's word (app.messages.STATUS_WORDS); one the station does not know reads "stopped"."""
    word = messages.status_word(status)
    return word if isinstance(word, Msg) else Msg(N_("stopped"))


def short_reason_name(reason: str) -> Msg:
    return Msg(SHORT_REASON_NAMES.get(reason, reason))


def put_back_list(session: OrderSession) -> tuple[PutBack, ...]:
    """Every unit taken for this order so far, with the bin it goes back to."""
    out = []
    for ln in session.picklist.walk:
        taken = max((session.step_progress(s)[ln.id].scanned for s in session.counting_steps), default=0)
        if taken > 0:
            out.append(PutBack(qty=taken, sku=ln.sku, name=ln.name, variant=ln.variant, bin=ln.bin or "-"))
    return tuple(out)


def _stopped(session: OrderSession) -> tuple[str, Msg, Joined | None]:
    """(order number, its status word, what to put back — None when nothing was taken) of a stopped order."""
    status = session.intercepted[0] if session.intercepted else "cancelled"
    word = status_words(status)
    if session.stop_reason:  # the OMS's own words: the packer is told why ("cancelled (customer changed mind)")
        word = Msg("{status} ({reason})", status=word, reason=session.stop_reason)
    back = put_back_list(session)
    items = Joined([Msg("{qty} × {sku} {name} {variant} → bin {bin}", qty=p.qty, sku=p.sku, name=p.name,
                        variant=variant_beyond(p.name, p.variant), bin=p.bin) for p in back]) if back else None
    return session.picklist.order_no, word, items


def stop_message(session: OrderSession) -> Feedback:
    no, word, items = _stopped(session)
    if items is not None:
        msg = Msg("STOP: order {order} was {status}. Do not pack it. Put back: {items}. Then press Esc.",
                  order=no, status=word, items=items)
    else:
        msg = Msg("STOP: order {order} was {status}. Nothing was taken yet: put the pick list aside and press Esc.",
                  order=no, status=word)
    return Feedback(Level.STOP, msg)


def set_aside_stop_message(session: OrderSession) -> Feedback:
    """The STOP of an order set aside (another one on screen): said in red over the order at work, with what to put
    back and how to release it."""
    no, word, items = _stopped(session)
    if items is not None:
        msg = Msg("STOP: order {order}, set aside, was {status}. Do not pack it. Put back: {items}. Then scan order "
                  "{order} and press Esc.", order=no, status=word, items=items)
    else:
        msg = Msg("STOP: order {order}, set aside, was {status}. Nothing was taken yet: scan order {order} and press "
                  "Esc.", order=no, status=word)
    return Feedback(Level.ERROR, msg)


def set_aside_stop_reminder(session: OrderSession) -> Msg:
    """The line of what is left, while an order set aside is stopped and not given back: its red STOP is gone at the
    packer's next scan, and its units are still in the tote."""
    no, word, items = _stopped(session)
    if items is not None:
        return Msg("order {order}, set aside, was {status}: put back {items}, then scan order {order} and press Esc",
                   order=no, status=word, items=items)
    return Msg("order {order}, set aside, was {status}: scan order {order} and press Esc", order=no, status=word)


def nothing_found_message(session: OrderSession) -> Msg:
    """What the packer reads when every item line was short picked with nothing found (`OrderSession.nothing_found`)."""
    return Msg("Nothing of order {order} was found: there is nothing to pack and no label to print. Press Esc to hand "
               "it back to the OMS.", order=session.picklist.order_no or session.order_id)


def destination_note(pl: PickList, changed: tuple[str, ...]) -> Msg | Joined:
    """What the packer is told when the OMS changed the order's address or carrier after it was opened (`pl`: the
    order as it is now): the label has the new address; a parcel for another carrier goes to that carrier's parcels."""
    st = pl.ship_to
    parts: list[Msg] = []
    if "address" in changed:
        address = ", ".join(x for x in (recipient(st), address_one_line(st)) if x)
        parts.append(Msg("The OMS changed the address of order {order} after it was opened: the label has the new "
                         "one ({address}).", order=pl.order_no, address=address))
    if "carrier" in changed:
        parts.append(Msg("The OMS changed the carrier of order {order} to {carrier} {service}: put the parcel with "
                         "{carrier}'s parcels.", order=pl.order_no, carrier=pl.carrier, service=service_name(pl.service)))
    return parts[0] if len(parts) == 1 else Joined(parts, " ")


def _override_fields(session: OrderSession, what: str, line_id: str | None) -> dict:
    """What an override is about: the line and how much of it was found (force_line, which always names its line:
    StationController._override_target), or the recorded weight."""
    if what == "force_line":
        ln, lp = session.picklist_lines[line_id], session.progress.get(line_id)
        return {"sku": ln.sku, "item": ln.name, "found": lp.scanned if lp else 0, "qty": ln.qty}
    w = session.weight
    return {"grams": round(w.grams) if w else 0, "expected": round((w.expected_g if w else None) or 0),
            "tolerance": round((w.tolerance_g if w else None) or 0)}


def override_question(session: OrderSession, what: str, line_id: str | None) -> Msg:
    """What a supervisor's override would do, asked before the badge and PIN: the form said "Supervisor approval" and
    nothing of what was approved. At a counting step it counts the line at hand as scanned in full — an item whose
    barcode will not scan, seen by the supervisor — and the parcel and its paperwork carry all of it; it read "as
    complete with 1 of 2", which a packer took for "ship 1" (units not found are a short pick, F2)."""
    fields = _override_fields(session, what, line_id)
    if what == "force_line":
        return Msg("Supervisor: count all {qty} of {sku} {item} as scanned ({found} scanned)? All {qty} go in the "
                   "parcel; for units not found: Esc, then F2. Badge, PIN and reason.", **fields)
    return Msg("Supervisor: accept the weight of {grams} g (expected {expected} ± {tolerance} g)? Badge, PIN and "
               "reason.", **fields)


def override_done(session: OrderSession, what: str, line_id: str | None, name: str, reason: str) -> Msg:
    """What the supervisor's override did, said once it is recorded."""
    fields = _override_fields(session, what, line_id)
    if what == "force_line":
        return Msg("Supervisor {name} counted all {qty} of {sku} as scanned ({found} scanned): {reason}.", name=name,
                   reason=reason, **fields)
    return Msg("Supervisor {name} accepted the weight of {grams} g ({reason}).", name=name, reason=reason, **fields)


CARTON_NAMES = {  # S/M/L/XL are sizes printed on the cartons; the bag is named
    "BAG": N_("bag"),
}


SERVICE_NAMES = {  # carrier service levels; a code not here is the carrier's own name for it, said as it is
    "standard": N_("standard"),
    "express": N_("express"),
    "economy": N_("economy"),
    "same_day": N_("same day"),
}


def service_name(code: str) -> Msg | str:
    return Msg(SERVICE_NAMES[code]) if code in SERVICE_NAMES else code


def carton_name(code: str) -> Msg | str:
    """A carton as the packer calls it: its size ("M"), or its name ("bag", in the operator's language)."""
    return Msg(CARTON_NAMES[code]) if code in CARTON_NAMES else code


def carton_chosen(code: str, label: str) -> Msg:
    """The answer to a carton chosen: a size with its measures ("Carton M (30×20×15)"), a named one by its name
    ("Chosen: bag"; it said "Carton BAG")."""
    if code in CARTON_NAMES:
        return Msg("Chosen: {carton}", carton=carton_name(code))
    return Msg("Carton {carton}", carton=label)


def carton_keys() -> Joined:
    """The cartons as their keys choose them, "[1] S  [2] M  …  [5] bag": the packer reads which key is which without
    opening the list (no mouse at the station)."""
    return Joined([Msg("[{key}] {carton}", key=i + 1, carton=carton_name(c.code)) for i, c in enumerate(CARTONS)],
                  sep="  ")


# What a missing line asks for. A line that needs its lot or serial number says so before the scan: its plain EAN was
# refused in red ("needs its lot: scan the GS1 barcode…") with nothing on the screen to tell the picker beforehand.
_SCAN_MORE = {
    (False, False): N_("scan {left} more × {sku} {name} {variant}"),
    (True, False): N_("scan {left} more × {sku} {name} {variant}: the GS1 barcode with the lot"),
    (False, True): N_("scan {left} more × {sku} {name} {variant}: each unit's GS1 barcode with its serial number"),
    (True, True): N_("scan {left} more × {sku} {name} {variant}: each unit's GS1 barcode with its lot and serial "
                     "number"),
}


# a station configured without a scale whose workflow weighs: its weigh step said "put the parcel on the scale" forever
NO_SCALE = Msg("no scale is configured at this station (devices.scale in its configuration)")


def resting_weight(grams: float) -> Msg:
    """F8 on a weight that was on the scale before this parcel's weighing began."""
    return Msg("The scale read {grams} g before this parcel's weighing began: take that off the scale, then put "
               "this order's parcel on it and press F8.", grams=round(grams))


def resting_line(grams: float) -> Msg:
    """The weigh step's line for that weight."""
    return Msg("the scale has read {grams} g since before this parcel's weighing began: take that off, then put "
               "this order's parcel on the scale", grams=round(grams))


def blockers(session: OrderSession, steady: float | None = None, inside: bool = False, *,
             label_sent: bool = False, scale_fault: Msg | None = None, resting: float | None = None,
             unsteady: float | None = None) -> list[Msg]:
    """What the current step still needs, as a packer reads it. `steady`: the scale's steady reading of this
    parcel (grams) and whether it is `inside` the tolerance, for the Weigh step's words. `label_sent`: the label
    and slip are with the printer (printing, or waiting for paper): nothing to press, they come out by themselves.
    `scale_fault`: the scale is not ready (its driver's message), said instead of "put the parcel on the scale".
    `resting`: a steady weight on the scale since before this parcel's weighing began (not recorded: taken off, put
    on again). `unsteady`: what the scale reads while it does not settle."""
    if session.intercepted:
        return [stop_message(session).message]  # type: ignore[list-item]
    step = session.step
    if step is None or step == Step.DONE:
        return []
    if session.nothing_found:
        return [Msg("nothing of this order was found: nothing to pack, no label (Esc hands it back to the OMS)")]
    out: list[Msg] = []
    if step in session.counting_steps:
        prog = session.step_progress(step)
        for ln in session.incomplete_lines(step, 5):  # after every scan: no walk of a large order's lines
            p = prog[ln.id]
            left = p.required - p.short_qty - p.scanned
            out.append(Msg(_SCAN_MORE[(ln.lot.required, ln.serial_required)], left=left, sku=ln.sku, name=ln.name,
                           variant=ln.variant_beyond_name))
        if session.incomplete(step) > 5:
            more = session.incomplete(step) - 5
            out.append(plural(more, "… and {count} more line", "… and {count} more lines", count=more))
    if step == Step.PACK:
        if not session.carton:
            out.append(Msg("choose a carton: {cartons}, or scan a carton barcode", cartons=carton_keys()))
        for ln in session.picklist.gift_lines:
            if not session.gift_ok(ln.id):
                out.append(Msg("put in the gift/insert {name}: scan it or press F3 (none left: F2)", name=ln.name or ln.sku))
    if step == Step.WEIGH:
        w = session.weight
        if scale_fault is not None and (w is None or not (w.ok or session.weight_overridden)):
            out.append(Msg("the scale is not ready: {problem}", problem=scale_fault))
        if w is None and steady is not None and inside:
            out.append(Msg("the scale reads {grams} g: F9 records it and prints the label (F8 records it only)",
                           grams=round(steady)))
        elif w is None and steady is not None:
            out.append(Msg("the scale reads {grams} g, outside {expected} ± {tolerance} g: check the parcel",
                           grams=round(steady), expected=round(session.expected_weight[0] or 0),
                           tolerance=round(session.expected_weight[1] or 0)))
        elif w is None:
            if resting is not None:  # packed on the scale ("put it on the scale" was nonsense), or the last one left
                out.append(resting_line(resting))
            elif unsteady is not None and scale_fault is None:
                out.append(Msg("the scale reads {grams} g but does not settle: keep the parcel still, nothing shaking "
                               "the table", grams=round(unsteady)))
            elif scale_fault is None:  # else the scale's own words say what is wrong
                out.append(Msg("put the parcel on the scale, wait for a steady weight, press F8"))
        elif not w.ok and not session.weight_overridden and steady is not None and inside:
            out.append(Msg("the scale now reads {grams} g, within {expected} ± {tolerance} g: F8 records it (the "
                           "{recorded} g recorded before was outside)", grams=round(steady), recorded=round(w.grams),
                           expected=round(w.expected_g or 0), tolerance=round(w.tolerance_g or 0)))
        elif not w.ok and not session.weight_overridden:
            out.append(Msg("the weight {grams} g is outside {expected} ± {tolerance} g: check the parcel, or a "
                           "supervisor accepts it (F11)", grams=round(w.grams), expected=round(w.expected_g or 0),
                           tolerance=round(w.tolerance_g or 0)))
        elif steady is not None and not inside and abs(steady - w.grams) > max(w.tolerance_g or 0.0, 1.0):
            # recorded (or accepted) on another weight than the parcel's now: F9 records this one, and refuses it
            exp, tol = session.expected_weight
            out.append(Msg("the scale now reads {grams} g, not the {recorded} g recorded, and is outside {expected} ± "
                           "{tolerance} g: check the parcel", grams=round(steady), recorded=round(w.grams),
                           expected=round(exp or 0), tolerance=round(tol or 0)))
    if step == Step.LABEL and label_sent:
        if session.label_printed:
            out.append(Msg("the packing slip is with the printer: it comes out by itself when the printer is ready"))
        elif session.slip_printed:  # the slip out, the label waiting (the label printer's paper)
            out.append(Msg("the label is with the printer: it comes out by itself when the printer is ready"))
        else:
            out.append(Msg("the label and the slip are with the printer: they come out by themselves when it is "
                           "ready"))
    elif step == Step.LABEL:  # the label out, the slip not: the parcel is not closed without its slip
        out.append(Msg("print the packing slip (F9)") if session.label_printed else
                   Msg("print the label and the slip (F9)"))
    return out


def urgent(pl: PickList) -> Msg | None:
    """The word "Urgent" for an order the OMS marks so (`priority` > 0), said above its ship time: the queue lists
    urgent orders before the late ones, and a packer who sees "12-07 01:30" above "40 min late" with no word why
    takes the list for wrong. None for the others."""
    return Msg("Urgent") if pl.priority > 0 else None


SOON_MS = 60 * 60_000  # an order due within the hour is said in amber in the queue


def ship_by(pl: PickList, now_ms: int, tz: str) -> tuple[Msg | str, Level | None]:
    """What the queue says of an order's latest ship time, and how loud: once past, how late ("40 min late",
    "3 h late", "2 d late", rounded down: red); within the hour, how soon ("in 25 min": amber); else its time in the
    warehouse zone ("21:05"; with the date when not today, "12-07 21:05"). ("", None) when the OMS set none. Short,
    as a queue column at 1024 px has room for: the time of a late order matters less than how late it is."""
    due = pl.ship_by_ms
    if due is None:
        return "", None
    if due <= now_ms:
        late = (now_ms - due) // 60_000  # whole minutes past
        span = Msg("{minutes} min", minutes=late) if late < 60 else \
            Msg("{hours} h", hours=late // 60) if late < 24 * 60 else Msg("{days} d", days=late // (24 * 60))
        return Msg("{late} late", late=span), Level.ERROR
    if due - now_ms <= SOON_MS:
        return Msg("in {minutes} min", minutes=max(1, -(-(due - now_ms) // 60_000))), Level.HINT
    try:
        zone = ZoneInfo(tz)
    except Exception:  # a zone this machine does not know: UTC, as the station's day does
        zone = ZoneInfo("UTC")
    at, now = datetime.fromtimestamp(due / 1000, zone), datetime.fromtimestamp(now_ms / 1000, zone)
    return (at.strftime("%H:%M") if at.date() == now.date() else at.strftime("%m-%d %H:%M")), None
