"""The pick -> verify -> pack -> weigh -> label workflow of one station (Qt-free).

`Station` is the facade the UI holds (one per process); `OrderSession` is one open order.

State is a fold over the event log. Every change is an `EventLog.append`; the Station listens to
the log (`EventLog.subscribe`) and applies each committed event of an open order to its session, so
the in-memory numbers can never say something the log does not. Opening an order replays its
events once (that is how a restart mid-pack resumes at the same counts); a scan never replays.

Steps come from `settings.workflow.steps` (or `Station(steps=...)`), in pick/verify/pack/weigh/label
order, then DONE. Counting: scans add to the line counts in PICK and VERIFY (VERIFY is a full
re-scan at the pack station; a short pick carries over). When neither is configured, PACK counts.
In the other steps an item scan only confirms a gift/insert line.

Blockers of `complete_step()` (raises `StepBlocked(reasons)`; `blockers()` lists them as `Msg`s):
  any step: order intercepted (cancelled/held) — also every scan gets INTERCEPTED;
  counting step: every line scanned + short >= required (or gift confirmed, or supervisor force_line);
  pack: a carton chosen, every gift/insert line scanned or confirmed;
  weigh: a weight recorded and within expected +- tolerance, or a supervisor `weight_mismatch` override
         after that weight. Expected: pick list's expected_weight_g, else the sum of line weights (found
         quantities); tolerance: pick list's weight_tolerance_g, else max(pct% of expected, min_g).
  label: nothing (printing appends label_printed itself; `label_allowed` tells the UI whether to print).

Events written here (payloads as in app.events): login, logout, step_started, step_completed,
step_suspended, step_resumed, scan, undo, short_pick, gift_confirmed, carton_chosen,
weight_recorded, override, order_intercepted, order_completed.

Action barcodes: @@COMPLETE (completes the step, or says why not), @@UNDO (undoes the last counted
scan of this step) are performed here; @@SHORT, @@REPRINT, @@LOGOUT, @@ACK come back as ACTION verdicts
with `verdict.action` set for the UI to handle.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from app import schema
from app.barcodes import code39_check_char, normalise
from app.catalog import Catalog, OrderIndex
from app.core import StationCore
from app.events import Event, EventType
from app.i18n import Joined, Msg, plural
from app.messages import status_word, step_word, text
from app.operators import Operator
from app.picklist import SHORT_REASONS, PickLine, PickList
from app.scans import RawScan, safe_text, scan_payload
from app.stats import step_duration_s
from app.store import disk_full, read_only
from app.verdicts import ScanVerdict, VerdictKind
from app.verifier import serial_key, unreadable, verdict, verify
from app.warehouse_day import day_bounds_ms

log = logging.getLogger(__name__)


class Step(StrEnum):
    PICK = "pick"
    VERIFY = "verify"
    PACK = "pack"
    WEIGH = "weigh"
    LABEL = "label"
    DONE = "done"


STEP_ORDER = (Step.PICK, Step.VERIFY, Step.PACK, Step.WEIGH, Step.LABEL)
_STEPS = {s.value: s for s in Step}  # a stored step by its value, for the scan's apply (Step(x) is a slow call)
OVERRIDES = ("weight_mismatch", "force_line")
# the reason (and kind) of the picklist_released event of an order handed back with nothing of it found
RELEASED_NOTHING_FOUND = "nothing_found"
# the reason of the step_suspended event of an order set aside for another one opened at the station (it stays open)
SWITCHED = "switched"
# ... of an order the packer left (Esc) to come back to later: not resumed at a login, "paused" in their queue
LEFT = "left"
# ... and of a step that was running when the station stopped (written at the restart, dated at its last event)
STATION_STOPPED = "station_stopped"


class StepBlocked(Exception):
    """The step cannot complete; `reasons` are messages (`str(exc)` is their English text, for logs)."""

    def __init__(self, reasons: list[Msg]) -> None:
        super().__init__("; ".join(str(r) for r in reasons))
        self.reasons = reasons

    @property
    def message(self) -> Joined:
        return Joined(self.reasons)


@dataclass(slots=True)  # a 10,000-line order makes one per line and counting step when it opens
class LineProgress:
    """Per pick line and counting step, derived from the event log."""

    line_id: str
    required: int
    scanned: int = 0
    short_qty: int = 0
    short_reason: str | None = None
    gift_confirmed: bool = False
    bin_confirmed: bool = False
    gift: bool = False
    forced: bool = False  # a supervisor's force_line override

    @property
    def complete(self) -> bool:
        return self.forced or self.scanned + self.short_qty >= self.required or (self.gift and self.gift_confirmed)


def _set_short(lp: LineProgress, qty: int, reason: str | None) -> None:
    lp.short_qty, lp.short_reason = qty, reason


def _empty(lp: LineProgress) -> bool:
    """A line done with none of it found: short picked to zero, not forced, no gift confirmed."""
    return lp.complete and not (lp.scanned or lp.forced or lp.gift_confirmed)


@dataclass(frozen=True)
class WeightCheck:
    ok: bool
    grams: float
    expected_g: float | None
    tolerance_g: float | None


@dataclass
class StepTimes:
    started_ms: int | None = None
    completed_ms: int | None = None
    started_by: str | None = None
    completed_by: str | None = None
    started_mono_ns: int | None = None  # durations come from the monotonic clock, never from UTC
    completed_mono_ns: int | None = None
    suspended_ms: int = 0  # time the step stood suspended (a logout, another order at work): not worked on
    suspended_at: tuple[int, int | None] | None = None  # (ts, mono) while it stands suspended

    def suspend(self, ts_ms: int, mono_ns: int | None) -> None:
        if self.suspended_at is None:
            self.suspended_at = (ts_ms, mono_ns)

    def resume(self, ts_ms: int, mono_ns: int | None) -> None:
        if self.suspended_at is not None:
            t0, m0 = self.suspended_at
            self.suspended_ms += round(1000 * step_duration_s(t0, ts_ms, m0, mono_ns))
            self.suspended_at = None

    def duration_s(self, now_mono_ns: int | None = None) -> float | None:
        """Time worked on the step, as the statistics count it (app.stats): by the monotonic clock (a wall-clock
        jump changes nothing), UTC only as a fallback when the readings come from different boots (monotonic went
        backwards); the time it stood suspended left out (standing suspended now: up to its suspension)."""
        end_mono = self.completed_mono_ns if self.completed_mono_ns is not None else now_mono_ns
        if self.completed_mono_ns is None and self.suspended_at is not None and self.suspended_at[1] is not None:
            end_mono = self.suspended_at[1]
        if self.started_mono_ns is not None and end_mono is not None and end_mono >= self.started_mono_ns:
            total = (end_mono - self.started_mono_ns) / 1e9
        elif self.started_ms is not None and self.completed_ms is not None:
            total = (self.completed_ms - self.started_ms) / 1000
        else:
            return None
        return max(0.0, total - self.suspended_ms / 1000)


class OrderSession:
    """One open order. Read `step`, `progress`, `blockers()`; act through the methods."""

    def __init__(self, station: Station, picklist: PickList, steps: list[Step]) -> None:
        self.station = station
        self.picklist = picklist
        self.order_id = picklist.id  # kept when the pick list is replaced by a newer copy of itself (same id)
        self.steps = steps  # configured steps, without DONE
        self.index = OrderIndex(picklist)
        self.picklist_lines: dict[str, PickLine] = {ln.id: ln for ln in picklist.lines}
        self._walk = picklist.walk
        self._walk_pos = {ln.id: i for i, ln in enumerate(self._walk)}
        self._cursor: dict[Step, int] = {}
        # the line whose bin the packer scanned out of the walk, and at which step: the line at hand until it is done
        self._at_bin: tuple[Step, str] | None = None
        # (step, line) whose unit scanned after its short pick was answered "found one more? scan it again": the next
        # event, if it is that line's scan again, puts the unit in the parcel (a unit scanned twice by mistake is
        # still refused once, as "too many")
        self.found_ask: tuple[Step, str] | None = None
        self.counting_steps = [s for s in steps if s in (Step.PICK, Step.VERIFY)] or (
            [Step.PACK] if Step.PACK in steps else [])
        self._progress: dict[Step, dict[str, LineProgress]] = {
            s: {ln.id: LineProgress(ln.id, ln.qty, gift=ln.gift) for ln in picklist.lines}
            for s in self.counting_steps}
        self._incomplete: dict[Step, int] = {
            s: sum(1 for lp in d.values() if not lp.complete) for s, d in self._progress.items()}
        self.step: Step | None = None
        self.times: dict[Step, StepTimes] = {}
        self.carton: str | None = None
        self.weight: WeightCheck | None = None
        self.weight_overridden = False
        self.overrides: list[dict] = []
        self._intercept: tuple[str, str] | None = None
        # why the OMS stopped it, in its own words ("cancelled by customer"), when it said: on the STOP, whichever way
        # the stop came (F9's check, the poll)
        self.stop_reason: str | None = None
        # what F4 undoes, last first: each counted scan, each short pick and each gift/insert confirmation
        self._undo: list[_Undoable] = []
        # serial numbers counted per step -> scan seq: one unit is counted once per step
        # (step, code, serial) -> seq of the scan that counted it: a GS1 serial is unique only with its GTIN (two
        # products' units may both be serial 0001), so a unit is the code and the serial together
        self.serials: dict[tuple[str, str, str], int] = {}
        self.suspended = False
        self.resumed = False  # opened again where it was left (Station.open_order resumed its step)
        self.last_seq = 0
        self.last_mono_ns: int | None = None  # the monotonic reading of its last event (an idle logout's floor)
        self.suspended_by: str | None = None  # whose logout, switch or leaving last suspended its step
        self.label_printed = False  # a label job of this order came out of the printer
        self.slip_printed = False  # a packing slip of this order came out of the printer
        self._gift_flag: dict[str, bool] = {}  # gift confirmations when no step counts
        # gifts/inserts pack asked for again (short picked whole) that are not on the gift shelf either: a short pick
        # recorded at Pack. Without it the only way on was F3, which put a gift that was not there on the label, the
        # slip and the OMS's record of the parcel (the field's most common error, recorded as done)
        self._gift_missing: set[str] = set()
        # expected_weight as last worked out, with the pick list and the short-units version it was worked out for:
        # the screen asks for it after every scan, and it is a walk of every line
        self._shorts_version = 0
        self._weight_memo: tuple[PickList, int, tuple[float | None, float | None]] | None = None

    # -- reading state -------------------------------------------------------------------------
    @property
    def intercepted(self) -> tuple[str, str] | None:
        if self._intercept:
            return self._intercept
        if self.picklist.status in ("cancelled", "held"):
            return (self.picklist.status, "OMS status")
        return None

    @property
    def stop_recorded(self) -> bool:
        """Its stop is in the log (`order_intercepted`). An order opened from a cached pick list the OMS cancelled or
        held reads as stopped (`intercepted`) without one: its stop is recorded then, or the figures and the OMS never
        hear of it."""
        return self._intercept is not None

    @property
    def counting_step(self) -> Step | None:
        return self.step if self.step in self._progress else None

    @property
    def progress(self) -> dict[str, LineProgress]:
        """Line progress of the current counting step (or the last one before the current step)."""
        if self.step in self._progress:
            return self._progress[self.step]  # type: ignore[index]
        view = None
        for s in self.counting_steps:
            if self.step is None or STEP_ORDER.index(s) <= _pos(self.step):
                view = s
        view = view or (self.counting_steps[0] if self.counting_steps else None)
        return self._progress[view] if view else {}

    def step_progress(self, step: Step) -> dict[str, LineProgress]:
        return self._progress[step]

    def incomplete(self, step: Step) -> int:
        return self._incomplete.get(step, 0)

    def incomplete_lines(self, step: Step, limit: int) -> list[PickLine]:
        """The first `limit` lines of a counting step still to do, in walking order, from the step's cursor (the
        lines before it are done): what the screen names after every scan, without a walk of a large order."""
        prog, walk = self._progress[step], self._walk
        i = self._cursor.get(step, 0)
        while i < len(walk) and prog[walk[i].id].complete:
            i += 1
        self._cursor[step] = i
        out: list[PickLine] = []
        while i < len(walk) and len(out) < limit:
            if not prog[walk[i].id].complete:
                out.append(walk[i])
            i += 1
        return out

    def line_done(self, line_id: str) -> bool:
        p = self.progress.get(line_id)
        return p.complete if p else True

    def gift_ok(self, line_id: str) -> bool:
        """A gift/insert line is satisfied when confirmed, forced by a supervisor, or scanned in some
        counting step (all of it, or what was found after a short pick). A short pick of the whole
        gift is not enough: missing gifts are the floor's most common error, so pack asks for it."""
        for d in self._progress.values():
            lp = d[line_id]
            if lp.gift_confirmed or lp.forced or lp.scanned >= lp.required or (
                    lp.scanned > 0 and lp.scanned + lp.short_qty >= lp.required):
                return True
        return self._gift_flag.get(line_id, False) or line_id in self._gift_missing

    def gift_missing(self, line_id: str) -> bool:
        """A gift/insert pack asked for and was told is not there (F2 at Pack), not found since: out of the parcel,
        and still taken in by its scan or F3."""
        return line_id in self._gift_missing and self.short_units(line_id) > 0

    def _counted(self, line_id: str) -> LineProgress | None:
        """The line's progress in the last counting step (what the parcel holds); None when no step counts."""
        return self._progress[self.counting_steps[-1]].get(line_id) if self.counting_steps else None

    def short_units(self, line_id: str) -> int:
        """Units of a line left out of the parcel by a short pick (the last counting step's). 0 when the
        gift/insert was confirmed or scanned after it: pack asks for a gift short picked whole, and the packer
        takes one from the gift shelf, so the label, the slip and the expected weight count it in."""
        lp = self._counted(line_id)
        if lp is None:  # no step counts here: a gift is left out only when pack said it is missing
            missing = line_id in self._gift_missing and not self._gift_flag.get(line_id, False)
            return self.picklist_lines[line_id].qty if missing else 0
        if lp.gift and lp.gift_confirmed:
            return 0
        return lp.short_qty

    def packed_qty(self, line_id: str) -> int:
        """Units of one line in the parcel: what was ordered less what was short picked (`short_units`), or what
        was scanned while the line is still open; all of it when no step counts at this station."""
        line = self.picklist_lines[line_id]
        lp = self._counted(line_id)
        if lp is None:
            return line.qty - self.short_units(line_id)
        if lp.complete:
            return max(0, line.qty - self.short_units(line_id))
        return min(line.qty, lp.scanned)

    def current_line(self) -> PickLine | None:
        """The next line to work: while counting, the line whose bin was scanned last (the packer went there, out of
        the walk) until it is done, else the first line not done in walking order; the next unconfirmed gift in
        pack."""
        step = self.counting_step
        if step is not None:
            at = self._at_bin
            if at is not None and at[0] == step:
                lp = self._progress[step].get(at[1])
                if lp is not None and not lp.complete:
                    return self.picklist_lines[at[1]]
            # amortised O(1): the cursor only moves back when a line becomes incomplete again (undo)
            first = self.incomplete_lines(step, 1)
            return first[0] if first else None
        if self.step == Step.PACK:
            return next((ln for ln in self.picklist.gift_lines if not self.gift_ok(ln.id)), None)
        return None

    @property
    def expected_weight(self) -> tuple[float | None, float | None]:
        """(expected grams, tolerance) of the parcel, less what was short picked; (None, None) when not known."""
        memo = self._weight_memo
        if memo is not None and memo[0] is self.picklist and memo[1] == self._shorts_version:
            return memo[2]
        got = self._expected_weight()
        self._weight_memo = (self.picklist, self._shorts_version, got)
        return got

    def _expected_weight(self) -> tuple[float | None, float | None]:
        short = {ln.id: self.short_units(ln.id) for ln in self.picklist.lines}
        exp = self.picklist.expected_weight_g
        if exp is not None:  # the OMS's weight of the whole order, less the short units whose weight is known
            exp = max(0.0, exp - sum(ln.weight_g * short.get(ln.id, 0) for ln in self.picklist.lines
                                     if ln.weight_g is not None))
        elif self.picklist.lines and all(ln.weight_g is not None for ln in self.picklist.lines):
            exp = sum(ln.weight_g * max(0, ln.qty - short.get(ln.id, 0))  # type: ignore[operator]
                      for ln in self.picklist.lines)
        if exp is None:
            return None, None
        wf = self.station.core.settings.workflow
        tol = self.picklist.weight_tolerance_g
        if tol is None:
            tol = max(exp * wf.weight_tolerance_pct / 100.0, wf.weight_tolerance_min_g)
        return exp, tol

    @property
    def nothing_found(self) -> bool:
        """Every item line of the current counting step is done with none of it found: short picked to zero, nothing
        scanned, not forced by a supervisor. Gifts and inserts do not count (a thank-you card alone is not what the
        customer bought), unless the order is nothing else. Its parcel would be an empty box: the step cannot complete,
        so no label is printed for it; the order is handed back (`RELEASED_NOTHING_FOUND`) and the OMS, which has the
        short picks, decides what becomes of it."""
        step = self.counting_step
        if step is None:
            return False
        prog = self._progress[step].values()
        items = False
        for lp in prog:  # mid-step the first item line still to pick, or found, ends it: no walk of a large order
            if not lp.gift:
                items = True
                if not _empty(lp):
                    return False
        return items or (bool(prog) and all(_empty(lp) for lp in prog))

    @property
    def label_allowed(self) -> bool:
        if self.intercepted:
            return False
        if Step.WEIGH not in self.steps:
            return True
        return self.weight is not None and (self.weight.ok or self.weight_overridden)

    def blockers(self) -> list[Msg]:
        """The reasons the current step cannot complete, as messages (rendered in the reader's language)."""
        if self.intercepted:
            st, reason = self.intercepted
            return [Msg("order intercepted ({status}): {reason}", status=status_word(st), reason=reason)]
        if self.step is None or self.step == Step.DONE:
            return [Msg("order is done")] if self.step == Step.DONE else [Msg("order not started")]
        if self.nothing_found:
            return [Msg("nothing of this order was found: there is nothing to pack")]
        out: list[Msg] = []
        if self.step in self._progress:
            prog = self._progress[self.step]
            for ln in self.incomplete_lines(self.step, 5):
                p = prog[ln.id]
                out.append(Msg("{sku} {name} {variant}: {scanned}/{required}", sku=ln.sku, name=ln.name,
                               variant=ln.variant_beyond_name, scanned=p.scanned, required=p.required - p.short_qty))
            if self._incomplete[self.step] > 5:
                more = self._incomplete[self.step] - 5
                out.append(plural(more, "... and {count} more line", "... and {count} more lines", count=more))
        if self.step == Step.PACK:
            if not self.carton:
                out.append(Msg("choose a carton"))
            for ln in self.picklist.gift_lines:
                if not self.gift_ok(ln.id):
                    out.append(Msg("gift/insert {sku} {name}: scan or confirm it", sku=ln.sku, name=ln.name))
        if self.step == Step.WEIGH:
            if self.weight is None:
                out.append(Msg("weigh the parcel"))
            elif not self.weight.ok and not self.weight_overridden:
                w = self.weight
                out.append(Msg("weight {grams} g is outside {expected} ± {tolerance} g: re-check the parcel or ask a "
                               "supervisor to override", grams=round(w.grams), expected=round(w.expected_g or 0),
                               tolerance=round(w.tolerance_g or 0)))
        if self.step == Step.LABEL and self.station.label_needs_print and not self.label_printed:
            out.append(Msg("print the label and slip"))
        return out

    def step_times(self) -> dict[str, StepTimes]:
        return {s.value: t for s, t in self.times.items()}

    # -- acting --------------------------------------------------------------------------------
    def scan(self, raw: RawScan) -> ScanVerdict:
        return self.station._scan(raw, self)

    def _append(self, type_: str, payload: dict, kind: str | None = None, operator: Operator | None = None,
                at: tuple[int, int] | None = None) -> Event:
        op = operator or self.station.operator
        return self.station.core.events.append(type_, {"order_id": self.order_id, **payload},
                                               operator_id=op.id if op else None, order_id=self.order_id, kind=kind,
                                               at=at)

    def _check_open(self) -> None:
        b = self.blockers() if self.intercepted else []
        if b:
            raise StepBlocked(b)

    def short_pick(self, line_id: str, reason: str, qty_found: int | None = None) -> None:
        """End a line with what was found. qty_found defaults to what was scanned in this step."""
        self._check_open()
        if reason not in SHORT_REASONS:
            raise ValueError(f"unknown short-pick reason {reason!r} (known: {', '.join(SHORT_REASONS)})")
        line = self.picklist_lines[line_id]
        if self.step == Step.PACK:
            self._gift_short_at_pack(line, reason)
            return
        prog = self.progress.get(line_id)
        found = prog.scanned if qty_found is None and prog else (qty_found or 0)
        if found < 0 or found >= line.qty:  # all of it found is no short pick: its event would say nothing is short
            raise ValueError(f"qty_found must be 0..{line.qty - 1}: a short pick is for units not found")
        if prog is not None and found < prog.scanned:  # the scanned units are in the parcel: the slip would list them
            raise ValueError(f"{prog.scanned} already scanned: undo a scan (F4) to take one back out first")
        self._append(EventType.SHORT_PICK, {"line_id": line_id, "sku": line.sku, "qty_required": line.qty,
                                            "qty_found": found, "reason": reason}, kind=reason)

    def _gift_short_at_pack(self, line: PickLine, reason: str) -> None:
        """Pack asks for a gift/insert short picked whole; none on the gift shelf either: it stays out of the parcel
        (the slip lists it as not in this parcel). Recorded as a short pick at Pack without a kind: the figures
        counted its short pick once already, the OMS reads the payload. Found after all: F3 or its scan puts it in."""
        if not line.gift or self.gift_ok(line.id):
            raise ValueError("at Pack only a gift/insert still asked for can be short picked")
        self._append(EventType.SHORT_PICK, {"line_id": line.id, "sku": line.sku, "qty_required": line.qty,
                                            "qty_found": 0, "reason": reason, "step": Step.PACK.value})

    def confirm_gift(self, line_id: str) -> None:
        self._check_open()
        line = self.picklist_lines[line_id]
        self._append(EventType.GIFT_CONFIRMED, {"line_id": line_id, "sku": line.sku, "how": "confirmed"},
                     kind="confirmed")

    def choose_carton(self, carton: str) -> None:
        self._check_open()
        carton = carton.strip()
        if not carton:
            raise ValueError("carton must not be empty")
        self._append(EventType.CARTON_CHOSEN, {"carton": carton})

    def record_weight(self, grams: float) -> WeightCheck:
        self._check_open()
        grams = float(grams)
        exp, tol = self.expected_weight
        ok = exp is None or abs(grams - exp) <= (tol or 0)
        self._append(EventType.WEIGHT_RECORDED, {"grams": grams, "expected_g": exp, "tolerance_g": tol, "ok": ok},
                     kind="ok" if ok else "mismatch")
        return WeightCheck(ok, grams, exp, tol)

    def override(self, supervisor: Operator, what: str, reason: str, *, line_id: str | None = None) -> None:
        """A supervisor's override (an event): weight_mismatch lets the label through after a
        mismatched weight; force_line (with line_id) counts a line as complete."""
        if supervisor is None or not supervisor.is_supervisor or not supervisor.active:
            raise PermissionError("only an active supervisor can override")
        if what not in OVERRIDES:
            raise ValueError(f"unknown override {what!r} (known: {', '.join(OVERRIDES)})")
        if not reason.strip():
            raise ValueError("an override needs a reason")
        payload: dict = {"supervisor_id": supervisor.id, "what": what, "reason": reason}
        # what was approved, for the figures' latest errors: the weight and what was expected, the line and its count
        if what == "force_line":
            if line_id not in self.picklist_lines:
                raise ValueError("force_line needs the line_id of a line of this order")
            lp = self.progress.get(line_id)
            payload.update(line_id=line_id, sku=self.picklist_lines[line_id].sku,
                           qty_required=self.picklist_lines[line_id].qty, qty_scanned=lp.scanned if lp else 0)
        elif self.weight is not None:
            payload.update(grams=self.weight.grams, expected_g=self.weight.expected_g,
                           tolerance_g=self.weight.tolerance_g)
        # the packer's event, the supervisor who approved it in `supervisor_id`: the figures count an error against
        # the operator whose parcel it was (they counted every weight that was off against the supervisor)
        self._append(EventType.OVERRIDE, payload, kind=what, operator=self.station.operator or supervisor)

    def last_undoable(self) -> int | None:
        """The sequence number of the event `undo_last` would take back now, or None: the last counted scan or short
        pick of this counting step, or a gift/insert confirmed in this step (at Pack too: F3 pressed by mistake put
        the gift on the label, the slip and the expected weight, and nothing took it back)."""
        if self.intercepted or not self._undo:
            return None
        top = self._undo[-1]
        step = self.step if top.gift is not None or top.missing else self.counting_step
        return top.seq if step is not None and top.step == step else None

    def undo_last(self) -> ScanVerdict | None:
        """Undo the last counted scan or short pick of this step with a compensating `undo` event. A short pick keyed
        on the wrong line, or with the wrong quantity found, is taken back so (the line is counted as before it);
        without it the parcel would ship without units that are on the shelf."""
        if self.last_undoable() is None:
            return None
        seq, step, line_id, qty, _serial, short, gift, missing = self._undo[-1]
        line = self.picklist_lines[line_id]
        name = line.name or line.sku
        if missing:  # F2 at Pack said the gift is not there: asked for again, as before it
            self._append(EventType.UNDO, {"undone_seq": seq, "line_id": line_id, "qty": 0, "step": step.value,
                                          "undone": EventType.SHORT_PICK})
            return verdict(VerdictKind.ACTION, "action_undo_gift", None, action="undo", line_id=line_id,
                           sku=line.sku, name=name, details={"undone_seq": seq, "undone": EventType.SHORT_PICK})
        if gift is not None:
            self._append(EventType.UNDO, {"undone_seq": seq, "line_id": line_id, "qty": 0, "step": step.value,
                                          "undone": EventType.GIFT_CONFIRMED})
            return verdict(VerdictKind.ACTION, "action_undo_gift", None, action="undo", line_id=line_id,
                           sku=line.sku, name=name, details={"undone_seq": seq, "undone": EventType.GIFT_CONFIRMED})
        if short is not None and not qty:
            self._append(EventType.UNDO, {"undone_seq": seq, "line_id": line_id, "qty": 0, "step": step.value,
                                          "undone": EventType.SHORT_PICK})
            lp = self.step_progress(step)[line_id]
            return verdict(VerdictKind.ACTION, "action_undo_short", None, action="undo", line_id=line_id,
                           sku=line.sku, name=name, scanned=lp.scanned, required=line.qty - lp.short_qty,
                           details={"undone_seq": seq, "undone": EventType.SHORT_PICK})
        self._append(EventType.UNDO, {"undone_seq": seq, "line_id": line_id, "qty": qty, "step": step.value})
        return verdict(VerdictKind.ACTION, "action_undo", None, action="undo", line_id=line_id, sku=line.sku,
                       qty_added=-qty, name=name, qty=qty, details={"undone_seq": seq})

    def complete_step(self) -> Step:
        reasons = self.blockers()
        if reasons:
            raise StepBlocked(reasons)
        cur = self.step
        assert cur is not None
        self._append(EventType.STEP_COMPLETED, {"step": cur.value}, kind=cur.value)
        nxt = self.next_step(cur)
        if nxt == Step.DONE:
            pl = self.picklist
            # units: as ordered; units_packed: in the parcel (a short pick's missing units left out)
            self._append(EventType.ORDER_COMPLETED, {"complexity": pl.complexity, "lines": len(pl.lines),
                                                     "units": pl.units,
                                                     "units_packed": sum(self.packed_qty(ln.id) for ln in pl.lines)},
                         kind=pl.complexity)
        else:
            self._append(EventType.STEP_STARTED, {"step": nxt.value}, kind=nxt.value)
        return nxt

    def next_step(self, cur: Step) -> Step:
        later = [s for s in self.steps if _pos(s) > _pos(cur)]
        return later[0] if later else Step.DONE

    def mark_intercepted(self, status: str, reason: str, oms_reason: str | None = None) -> None:
        """The order stops (`order_intercepted`): `reason` why, `oms_reason` the OMS's own words when it gave them
        (the event's reason then, as the label check records it; `stop_reason`)."""
        extra = {"oms_reason": oms_reason} if oms_reason else {}
        self._append(EventType.ORDER_INTERCEPTED, {"status": status, "reason": oms_reason or reason, **extra},
                     kind=status)

    def start(self, step: Step) -> None:
        self._append(EventType.STEP_STARTED, {"step": step.value}, kind=step.value)

    # -- applying committed events ---------------------------------------------------------------
    def apply(self, ev: Event) -> None:
        self.last_seq = ev.seq
        self.last_mono_ns = ev.mono_ns
        p = ev.payload
        t = ev.type
        self.found_ask = None  # asked by the event before this one only
        try:
            if t == EventType.SCAN:
                self._apply_scan(ev)
            elif t == EventType.UNDO:
                seq = p.get("undone_seq")
                for i in range(len(self._undo) - 1, -1, -1):
                    if self._undo[i].seq == seq:
                        _s, st, lid, qty, serial, short, gift, missing = self._undo.pop(i)
                        if missing:  # the gift pack was told is not there: asked for again
                            self._gift_missing.discard(lid)
                            self._shorts_version += 1
                        elif gift is not None:  # a gift confirmation taken back: the line as it was before it
                            was_steps, was_flag = gift
                            for gs, was in was_steps:
                                self._mutate([gs], lid, lambda lp, w=was: setattr(lp, "gift_confirmed", w))
                            if was_flag:
                                self._gift_flag[lid] = True
                            else:
                                self._gift_flag.pop(lid, None)
                        else:  # a counted scan, a short pick, or a unit found after its short pick (both)
                            if qty:
                                self.serials.pop(serial, None)
                                self._mutate([st], lid, lambda lp, q=qty: setattr(lp, "scanned",
                                                                                  max(0, lp.scanned - q)))
                            if short is not None:  # the line's short as it was before
                                self._mutate(self.counting_steps, lid, lambda lp, was=short: _set_short(lp, *was))
                        break
            elif t == EventType.STEP_STARTED:
                self.step = Step(p["step"])
                self.times.setdefault(self.step, StepTimes()).started_ms = ev.ts_utc_ms
                self.times[self.step].started_by = ev.operator_id
                self.times[self.step].started_mono_ns = ev.mono_ns
                self.suspended = False
            elif t == EventType.STEP_COMPLETED:
                st = self.times.setdefault(Step(p["step"]), StepTimes())
                st.resume(ev.ts_utc_ms, ev.mono_ns)  # ended while suspended: not worked since (as app.stats counts)
                st.completed_ms, st.completed_by = ev.ts_utc_ms, ev.operator_id
                st.completed_mono_ns = ev.mono_ns
            elif t == EventType.ORDER_COMPLETED:
                self.step = Step.DONE
            elif t == EventType.STEP_SUSPENDED:
                self.suspended = True
                self.suspended_by = ev.operator_id
                if (times := self.times.get(self.step)) is not None:
                    times.suspend(ev.ts_utc_ms, ev.mono_ns)
            elif t == EventType.STEP_RESUMED:
                self.suspended = False
                if (times := self.times.get(self.step)) is not None:
                    times.resume(ev.ts_utc_ms, ev.mono_ns)
            elif t == EventType.SHORT_PICK and p.get("step") == Step.PACK.value:
                self._gift_missing.add(p["line_id"])  # a gift pack asked for, not there: out of the parcel
                self._shorts_version += 1
                if self.step == Step.PACK and p["line_id"] in self.picklist_lines:  # F4 can take it back at Pack
                    self._undo.append(_Undoable(ev.seq, Step.PACK, p["line_id"], 0, missing=True))
            elif t == EventType.SHORT_PICK:
                short = max(0, int(p["qty_required"]) - int(p["qty_found"]))
                reason, lid = p.get("reason"), p["line_id"]
                before = self._counted(lid)
                if before is not None and self.step in self.counting_steps:  # F4 can take it back in this step
                    self._undo.append(_Undoable(ev.seq, self.step, lid, 0, None,
                                                (before.short_qty, before.short_reason)))
                self._mutate(self.counting_steps, lid, lambda lp: _set_short(lp, short, reason))
            elif t == EventType.GIFT_CONFIRMED:
                # confirmed while counting: for that step only (the check step confirms it again, as it scans again);
                # at pack (taken from the gift shelf): for every counting step, so the parcel counts it in
                steps = [self.step] if self.step in self._progress else self.counting_steps
                lid = p["line_id"]
                was = tuple((st, lp.gift_confirmed) for st in steps if (lp := self._progress[st].get(lid)) is not None)
                # F4 can take it back in this step (F3, or a gift scanned at Pack: a scan there counts nothing)
                if self.step is not None and lid in self.picklist_lines:
                    self._undo.append(_Undoable(ev.seq, self.step, lid, 0, None, None,
                                                (was, self._gift_flag.get(lid, False))))
                self._mutate(steps, lid, lambda lp: setattr(lp, "gift_confirmed", True))
                self._gift_flag[lid] = True
            elif t == EventType.CARTON_CHOSEN:
                self.carton = p.get("carton")
            elif t == EventType.WEIGHT_RECORDED:
                self.weight = WeightCheck(bool(p["ok"]), float(p["grams"]), p.get("expected_g"), p.get("tolerance_g"))
                self.weight_overridden = False
            elif t == EventType.OVERRIDE:
                self.overrides.append(dict(p, seq=ev.seq))
                if p.get("what") == "weight_mismatch":
                    self.weight_overridden = True
                elif p.get("what") == "force_line" and p.get("line_id") in self.picklist_lines:
                    self._mutate(self.counting_steps, p["line_id"], lambda lp: setattr(lp, "forced", True))
            elif t == EventType.LABEL_PRINTED:
                self.label_printed = True
            elif t == EventType.SLIP_PRINTED:
                self.slip_printed = True
            elif t == EventType.ORDER_INTERCEPTED:
                self._intercept = (str(p.get("status", "intercepted")), str(p.get("reason", "")))
                self.stop_reason = str(p["oms_reason"]) if p.get("oms_reason") else None
        except (KeyError, ValueError, TypeError):
            log.exception("order %s: cannot apply event #%s %s", self.order_id, ev.seq, ev.type)

    def _apply_scan(self, ev: Event) -> None:
        v = ev.payload.get("verdict") or {}
        kind = v.get("kind")
        lid = v.get("line_id")
        if lid not in self.picklist_lines:
            return
        if kind == VerdictKind.ACCEPTED and int(v.get("qty_added") or 0) > 0:
            step = _STEPS.get(ev.payload.get("step"))
            if step is None:
                raise ValueError(f"unknown step {ev.payload.get('step')!r}")
            if step not in self._progress:
                return
            qty = int(v["qty_added"])
            was = None
            if (found := int((v.get("details") or {}).get("found_after_short") or 0)) > 0:
                # found after its short pick (a counting step's scan): the short that much smaller here and after
                lp = self._progress[step][lid]
                was = (lp.short_qty, lp.short_reason)
                self._mutate(self.counting_steps[self.counting_steps.index(step):], lid,
                             lambda lp: _set_short(lp, max(0, lp.short_qty - found),
                                                   lp.short_reason if lp.short_qty > found else None))
            self._mutate([step], lid, lambda lp: setattr(lp, "scanned", lp.scanned + qty))
            serial = v.get("serial")
            key = serial_key(step, str(v.get("code") or ""), serial) if serial else None
            if key:
                self.serials[key] = ev.seq
            self._undo.append(_Undoable(ev.seq, step, lid, qty, key, was))
        elif kind == VerdictKind.OVER_SCAN and (v.get("details") or {}).get("found_ask"):
            step = _STEPS.get(ev.payload.get("step"))
            self.found_ask = (step, lid) if step is not None else None
        elif kind == VerdictKind.BIN_CONFIRMED:
            self._mutate(self.counting_steps, lid, lambda lp: setattr(lp, "bin_confirmed", True))
            step = _STEPS.get(ev.payload.get("step"))
            if step in self._progress:
                self._at_bin = (step, lid)

    def _mutate(self, steps: list[Step], line_id: str, fn: Callable[[LineProgress], None]) -> None:
        """Change one line's progress in the given steps, keeping the incomplete-line counters."""
        for s in steps:
            lp = self._progress[s].get(line_id)
            if lp is None:
                continue
            before, shorts = lp.complete, (lp.short_qty, lp.gift_confirmed)
            fn(lp)
            after = lp.complete
            if (lp.short_qty, lp.gift_confirmed) != shorts:  # what short_units reads: the expected weight moves
                self._shorts_version += 1
            if before != after:
                self._incomplete[s] += -1 if after else 1
                if not after:
                    self._cursor[s] = min(self._cursor.get(s, 0), self._walk_pos[line_id])


def _comes_back(ev: Event) -> bool:
    """An order's newest lifecycle event that brings it back at a login: a step running (the station stopped under
    it) or suspended by a logout, a switch to another order or a station stop — not one put aside on purpose."""
    return ev.type in (EventType.STEP_STARTED, EventType.STEP_RESUMED) or (
        ev.type == EventType.STEP_SUSPENDED and ev.payload.get("reason") in ("logout", SWITCHED, STATION_STOPPED))


def since_released(events: list[Event]) -> list[Event]:
    """An order's events since this station last gave it back to the OMS (`picklist_released`: at its STOP, the OMS
    changed or held it): the order the OMS offers again is a new parcel, claimed again and counted from nothing. Its
    old events came back with it: it resumed at its old step and stopped again at once (the old STOP), its put-back
    units counted as in the parcel, so the OMS's order was never packed here again."""
    last = max((i for i, ev in enumerate(events) if ev.type == EventType.PICKLIST_RELEASED), default=-1)
    return events[last + 1:]


class _Undoable(NamedTuple):
    """What F4 can take back: a counted scan (qty, serial; `short`: the line's short before it when it was found after
    its short pick), a short pick (qty 0; `short`: the line's (short_qty, short_reason) before it) or a gift/insert
    confirmation (`gift`: ((step, gift_confirmed before), ...) of the steps it was confirmed for, and whether it was
    confirmed with no step counting before) or a gift/insert recorded missing at Pack (`missing`: F2 there, keyed by
    mistake on a gift that is on the shelf)."""

    seq: int
    step: Step
    line_id: str
    qty: int
    serial: tuple[str, str, str] | None = None  # its `serial_key`
    short: tuple[int, str | None] | None = None
    gift: tuple[tuple[tuple[Step, bool], ...], bool] | None = None
    missing: bool = False


def _pos(step: Step) -> int:
    return len(STEP_ORDER) if step == Step.DONE else STEP_ORDER.index(step)


# verdicts a scan typed with Caps Lock on gets, which the same scan with its letters' case swapped may not get
_CAPS_LOCK_SUSPECTS = frozenset({VerdictKind.UNKNOWN, VerdictKind.NO_ORDER, VerdictKind.WRONG_LOT})


# verdicts a Code 39 bin label read with its check character (a scanner that does not check it sends it as data) gets
_CHECK_CHAR_SUSPECTS = frozenset({VerdictKind.UNKNOWN, VerdictKind.WRONG_BIN})


def _code39_checked(nc) -> str | None:
    """The text of a Code 39 read (no AIM id, or ]A0/]A4: check character not validated) without its last character,
    when that character is the mod-43 check character of the others; else None."""
    t = nc.text
    if nc.symbology not in (None, "]A0", "]A4") or nc.gs1 or len(t) < 3:
        return None
    return t[:-1] if code39_check_char(t[:-1]) == t[-1] else None


def _caps_locked(text) -> bool:
    """Letters, and not one capital among them: what a code in capitals looks like typed with Caps Lock on. An AIM
    symbology id in front is not judged: Caps Lock types GS1 DataMatrix's "]d2" as "]D2", whose capital hid the lot
    "l02a" behind it (an allowed lot said to be a wrong one)."""
    if isinstance(text, str) and text[:1] == "]" and len(text) > 3:
        text = text[3:]
    return isinstance(text, str) and text.lower() == text and text.upper() != text


class Station:
    """The station's core facade: one per process. Holds the open orders (several can be open: a
    scan of an item of another open order gets OTHER_ORDER), the logged-in operator and the
    product catalogue index."""

    def __init__(self, core: StationCore, *, steps: list[str] | None = None,
                 today: dt.date | Callable[[], dt.date] | None = None, catalog: Catalog | None = None) -> None:
        self.core = core
        names = steps if steps is not None else core.settings.workflow.steps
        self.steps = [s for s in STEP_ORDER if s.value in set(names)]
        self._today = today
        self._day: tuple[str, float, float, dt.date] | None = None  # today(): (zone, start, end, date)
        # the OMS's clock minus this station's (ms), as the sync estimates it; set by the screens from the sync's
        # health. "Today" (a lot's expiry is checked against it) is the OMS's day: a station clock a year behind (a
        # flat RTC battery, no NTP) took lots that had expired months before
        self.clock_offset_ms = 0
        self.operator: Operator | None = None
        # set by a station controller that prints: the label step completes only once the label came out
        self.label_needs_print = False
        self.sessions: dict[str, OrderSession] = {}
        self.active: OrderSession | None = None
        # orders the operator of the last `resume_open_orders` left (Esc, `LEFT`) and did not finish: not resumed
        self.left_open: list[str] = []
        self.catalog = catalog if catalog is not None else Catalog.from_store(core.store)
        # run once, when a product index is first in place (on the thread that built it); the station's entry
        # point sets it to app.heap.settle (a process-wide choice, so not made here: a test process keeps its
        # collector)
        self.when_indexed: Callable[[], None] | None = None
        self._indexed_told = False
        sc = core.settings.devices.scanner
        self._prefix, self._suffix = sc.prefix, sc.suffix
        self._bin_prefixes = tuple(core.settings.workflow.bin_label_prefixes)
        # One thread applies state: events committed on another thread (sync, printing) wait in the
        # inbox until the owner thread calls drain().
        self._owner = threading.get_ident()
        self.inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
        core.events.subscribe(self._on_event)

    # -- time, catalogue -----------------------------------------------------------------------
    def today(self) -> dt.date:
        if callable(self._today):
            return self._today()
        if isinstance(self._today, dt.date):
            return self._today
        # Kept for the day it is (every scan asks: a time-zone conversion each time cost more than the rest of a
        # scan's bookkeeping); a clock set back or forward past the day's bounds, or another zone, works it out again.
        tz_name = self.core.settings.station.warehouse_tz
        now = time.time() + self.clock_offset_ms / 1000
        day = self._day
        if day is not None and day[0] == tz_name and day[1] <= now < day[2]:
            return day[3]
        try:
            tz = ZoneInfo(tz_name)
        except Exception:  # a zone this machine does not know
            tz = ZoneInfo("UTC")
        today = dt.datetime.fromtimestamp(now, tz).date()
        start_ms, end_ms = day_bounds_ms(today.isoformat(), today.isoformat(), tz.key)  # the figures' warehouse day
        self._day = (tz_name, start_ms / 1000, end_ms / 1000, today)
        return today

    def warm_up(self) -> None:
        """Index the products on a background thread (no-op once done); then `when_indexed`, on that thread."""
        self.catalog.warm_up(then=self._indexed)
        if self.catalog.ready:  # already built, e.g. by the station controller after the first pull
            self._indexed()

    def use_catalog(self, catalog: Catalog) -> None:
        """A product index built elsewhere (the controller rebuilds it off the GUI thread when products change)."""
        self.catalog = catalog
        self._indexed()

    def _indexed(self) -> None:
        if self._indexed_told or self.when_indexed is None:
            return
        self._indexed_told = True  # two threads may both get here: the hook is harmless twice, never needed twice
        self.when_indexed()

    # -- operators -----------------------------------------------------------------------------
    def login(self, badge: str, pin: str) -> Operator | None:
        op = self.core.operators.authenticate(badge, pin)
        if op is None:
            log.warning("login refused")  # which badge and why: app.operators said it (never a PIN typed as one)
            return None
        self.core.events.append(EventType.LOGIN, {"badge": op.badge, "role": op.role.value}, operator_id=op.id)
        self.operator = op
        self.warm_up()  # index the products in the background while the operator gets going
        return op

    def logout(self, why: str | None = None) -> None:
        """The operator logs out (`why`: "idle" when the station logged them out; the event's kind and payload)."""
        op = self.operator
        if op is None:
            return
        payload = {"badge": op.badge, "role": op.role.value, **({"why": why} if why else {})}
        self.core.events.append(EventType.LOGOUT, payload, operator_id=op.id, kind=why)
        self.operator = None

    # -- orders --------------------------------------------------------------------------------
    def open_order(self, picklist: PickList, step: Step | None = None, *, activate: bool = True) -> OrderSession:
        """Open (or resume) an order; it becomes the active one (`activate`). Its events are replayed once. An order
        new here whose first step could not be recorded (a full disk) is not left open: it stayed in the station's
        open orders, at work, with no step — opened again, it was switched to as it was, and no key moved it on."""
        s = self.sessions.get(picklist.id)
        prev, created = self.active, s is None
        if s is None:
            s = OrderSession(self, picklist, self.steps)
            for ev in since_released(self.core.events.events(order_id=picklist.id)):
                s.apply(ev)
            self.sessions[picklist.id] = s
            s.resumed = s.suspended and s.step != Step.DONE  # left earlier: its step resumes as it becomes active
        try:
            if activate:
                self._switch_to(s)  # the order at work set aside before this one starts or resumes
            if s.step is None:
                first = Step(step) if step is not None else (self.steps[0] if self.steps else Step.DONE)
                if first != Step.DONE:
                    s.start(first)
        except BaseException:
            if created and s.step is None:
                self.sessions.pop(picklist.id, None)
                if self.active is s:
                    self.active = prev
            raise
        return s

    def activate(self, order_id: str) -> OrderSession:
        return self._switch_to(self.sessions[order_id])

    def _switch_to(self, s: OrderSession) -> OrderSession:
        """Make `s` the order at work. One step clock runs at a time: the order that was at work, still open, is
        suspended (`step_suspended`, reason `switched`: the packer works another order meanwhile) and `s`, suspended,
        resumes (`step_resumed`)."""
        prev = self.active
        if prev is not None and prev is not s and prev.order_id in self.sessions:
            self._set_aside(prev)
        if s.suspended and s.step not in (None, Step.DONE):
            s._append(EventType.STEP_RESUMED, {"step": s.step.value}, kind=s.step.value)
        self.active = s
        return s

    @staticmethod
    def _set_aside(s: OrderSession) -> None:
        if not s.suspended and s.step not in (None, Step.DONE):
            s._append(EventType.STEP_SUSPENDED, {"step": s.step.value, "reason": SWITCHED}, kind=s.step.value)

    def close_order(self, order_id: str, reason: str | None = None, *, idle_ns: int = 0) -> None:
        """Put an order aside (suspended if not done); it can be opened again later. `idle_ns`: nobody touched the
        station for that long before (an idle logout): the step is suspended from then, never before the order's last
        event (it counted the idle minutes as worked: 15 min more on a step at every idle logout)."""
        s = self.sessions.get(order_id)
        if s is None:
            return
        if s.step not in (None, Step.DONE) and not s.suspended:  # set aside already (switched): suspended once
            extra = {"reason": reason} if reason else {}
            at = None
            if idle_ns > 0:
                wall, mono = self.core.events.now()
                back = min(idle_ns, max(0, mono - s.last_mono_ns)) if s.last_mono_ns is not None else 0
                at = (wall - back // 1_000_000, mono - back) if back else None
            s._append(EventType.STEP_SUSPENDED, {"step": s.step.value, **extra}, kind=s.step.value, at=at)
        del self.sessions[order_id]
        if self.active is s:
            self.active = next(reversed(self.sessions.values()), None) if self.sessions else None

    def hand_back(self, order_id: str) -> None:
        """Put aside for good an open order of which nothing was found (`OrderSession.nothing_found`): its step is
        suspended and a picklist_released event (reason and kind RELEASED_NOTHING_FOUND) tells the OMS, which has its
        short picks; it is not resumed at a login. Raises ValueError for an order that is not open or has a parcel."""
        s = self.sessions.get(order_id)
        if s is None or not s.nothing_found:
            raise ValueError(f"order {order_id!r} is not open with nothing found: it cannot be handed back")
        self.close_order(order_id, reason=RELEASED_NOTHING_FOUND)
        s._append(EventType.PICKLIST_RELEASED, {"reason": RELEASED_NOTHING_FOUND}, kind=RELEASED_NOTHING_FOUND)

    def resume_open_orders(self, operator_id: str | None, picklist: Callable[[str], PickList | None],
                           begun: list[Event] | None = None) -> list[OrderSession]:
        """After a restart or at a login: open again every order this operator left open here — begun and
        not finished or released (one the OMS cancelled comes back stopped), and not put aside on purpose
        (suspended for any reason but their own logout). `picklist(order_id)` finds the cached pick list (None: leave the order be).
        Read per unfinished pick list through the order index, never along the whole history (`begun`: what
        `begun_orders` read for this login already)."""
        if begun is None:
            begun = self.begun_orders()
        out = []
        self.left_open = []
        for ev in (ev for ev in begun if ev.operator_id == operator_id):
            if ev.type == EventType.STEP_SUSPENDED and ev.payload.get("reason") == LEFT:
                self.left_open.append(ev.order_id)
            elif _comes_back(ev):
                pl = picklist(ev.order_id)
                if pl is not None and pl.status != "done":
                    o = self.open_order(pl, activate=False)
                    if ev.type != EventType.STEP_SUSPENDED:
                        self._stopped_with_the_station(o)
                    if pl.status in ("cancelled", "held") and not o.stop_recorded:  # while the station was down
                        o.mark_intercepted(pl.status, pl.status)
                    # cancelled, it comes back stopped (its put-back list, Esc): left out, a crash during its STOP
                    # lost what to put back where, and the order was never released
                    out.append(o)
        for s in out[:-1]:  # the last one at work is at work again; the others wait, suspended, for the packer
            self._set_aside(s)
        if out:
            self._switch_to(out[-1])
        return out

    def begun_orders(self) -> list[Event]:
        """For every cached pick list not done whose newest lifecycle event says it is begun here and neither finished
        nor given back (a step started, resumed or suspended), that event, whoever's it is: what a login reads once,
        for the operator's own orders (`resume_open_orders`) and the stopped ones others left (`stopped_left_by_others`).
        Read through the order index per unfinished pick list: ~0.1 s with 10,000 of them (read twice, and every row
        decoded, a login took 0.5 s)."""
        life = [EventType.STEP_STARTED, EventType.STEP_RESUMED, EventType.STEP_SUSPENDED,
                EventType.ORDER_COMPLETED, EventType.PICKLIST_RELEASED]
        return self.core.events.last_of_unfinished_orders(
            life, None, anyone=True, only=[EventType.STEP_STARTED, EventType.STEP_RESUMED, EventType.STEP_SUSPENDED])

    def stopped_left_by_others(self, operator_id: str, picklist: Callable[[str], PickList | None],
                               stopped: Callable[[str, str | None], bool],
                               begun: list[Event] | None = None) -> list[OrderSession]:
        """At a login: the orders another operator left open here (their logout, a restart), and those anyone left
        with Esc, that stopped since, or were stopped already — the OMS cancelled, held or changed them, or gave them
        to another station (`stopped(status, claimed_by)`, as the cache has them, or an `order_intercepted` since the
        order was claimed). Opened again, not at work, so that whoever logs in is told what to put back and gives the
        order back with Esc. They came back only at their own packer's next login (one left with Esc: never): a packer
        who had gone home left the units in the tote and the order claimed here, unsaid to anyone, and the OMS never
        heard it given back.

        On the GUI thread at every login: the cache's rows and the orders' stops are read for all the candidates in a
        few queries, and only a stopped order's pick list is read and opened (read and parsed for every order begun by
        someone else, 10,000 cached pick lists made a login take 0.5 s instead of 0.12)."""
        if begun is None:
            begun = self.begun_orders()
        cands = []
        for ev in begun:
            left = ev.type == EventType.STEP_SUSPENDED and ev.payload.get("reason") == LEFT
            if (ev.operator_id == operator_id and not left) or ev.order_id in self.sessions or not (
                    left or _comes_back(ev)):
                continue
            cands.append(ev)
        if not cands:
            return []
        rows, said = self._stop_facts([ev.order_id for ev in cands])
        out = []
        for ev in cands:
            row = rows.get(ev.order_id)
            if row is None or row[0] == "done":
                continue
            if ev.order_id not in said and not stopped(*row):
                continue  # theirs to carry on with: at their login, or opened from the queue
            pl = picklist(ev.order_id)
            if pl is None or pl.status == "done":
                continue
            o = self.open_order(pl, activate=False)
            if ev.type != EventType.STEP_SUSPENDED:
                self._stopped_with_the_station(o)
            if not o.stop_recorded:
                st = pl.status if pl.status in ("cancelled", "held") else "claimed_elsewhere"
                o.mark_intercepted(st, {"claimed_elsewhere": "claimed elsewhere"}.get(st, st))
            out.append(o)
        return out

    def _stop_facts(self, order_ids: list[str]) -> tuple[dict[str, tuple[str, str | None]], set[str]]:
        """For these orders: the cache's (status, claimed_by) by id, and those with a stop recorded since this station
        last gave them back (`order_intercepted` after their last `picklist_released`: `since_released`)."""
        t, e = schema.picklists, schema.events
        rows: dict[str, tuple[str, str | None]] = {}
        last: dict[str, tuple[int, int]] = {}  # order -> (seq of its last release, seq of its last stop)
        with self.core.store.read() as c:
            for i in range(0, len(order_ids), 500):  # SQLite's bound parameters: a page at a time
                ids = order_ids[i:i + 500]
                for r in c.execute(select(t.c.id, t.c.status, t.c.claimed_by).where(t.c.id.in_(ids))):
                    rows[r.id] = (r.status, r.claimed_by)
                q = select(e.c.order_id, e.c.type, e.c.seq).where(
                    e.c.order_id.in_(ids), e.c.type.in_([EventType.ORDER_INTERCEPTED, EventType.PICKLIST_RELEASED]))
                for r in c.execute(q):
                    rel, stop = last.get(r.order_id, (0, 0))
                    last[r.order_id] = ((max(rel, r.seq), stop) if r.type == EventType.PICKLIST_RELEASED
                                        else (rel, max(stop, r.seq)))
        return rows, {oid for oid, (rel, stop) in last.items() if stop > rel}

    def _stopped_with_the_station(self, o: OrderSession) -> None:
        """`o`'s step was running when the station stopped (a crash, a power cut: no logout suspended it): it stood
        from the station's last event before the restart (`EventLog.before_open`) to now, and is counted so — a
        `step_suspended` (reason `station_stopped`) dated then, resumed as the order comes back. Counted as worked,
        the hours a station stood switched off became one step's time in the figures."""
        stopped = self.core.events.before_open
        if stopped is None or o.suspended or o.step in (None, Step.DONE) or o.last_seq > stopped[0]:
            return  # suspended already, or running in this run of the station: nothing stood still unsaid
        o._append(EventType.STEP_SUSPENDED, {"step": o.step.value, "reason": STATION_STOPPED}, kind=o.step.value,
                  at=(stopped[1], stopped[2]))

    def not_a_badge(self, code: str) -> tuple[str, str] | None:
        """("order", its number) or ("item", its name) when `code` is an order's or a product's barcode and no one's
        badge: scanned where a badge is asked (the login), said at once — it filled the badge's field and "Badge or
        PIN not recognised" came only after a PIN. None for anything else: a badge, or a code nobody knows (so the
        answer tells no one which badges exist). The catalogue is asked only once it is indexed (never built here,
        on a login)."""
        code = (code or "").strip()
        if not code or self.core.operators.by_badge(code) is not None:
            return None
        if (oid := self._find_order(code)) is not None:  # its number alone: a point read, no pick list parsed
            row = self.core.store.point_read("SELECT order_no FROM picklists WHERE id = ?", (oid,))
            return "order", (row[0] if row and row[0] else oid)
        if self.catalog.ready:
            nc = normalise(code, prefix=self._prefix, suffix=self._suffix)
            prod = self.catalog.lookup(nc.keys()) if nc.error is None else None
            if prod is not None:
                return "item", prod.name or prod.sku
        return None

    def cached_picklist(self, code: str) -> PickList | None:
        """A cached pick list by id or order number (for ORDER_SELECTED)."""
        with self.core.store.read() as c:
            row = c.execute(select(schema.picklists.c.doc).where(
                or_(schema.picklists.c.id == code, schema.picklists.c.order_no == code)).limit(1)).first()
        if row is None:
            return None
        import json

        try:
            return PickList.from_dict(json.loads(row.doc))
        except Exception:
            log.exception("cached pick list %s is malformed", code)
            return None

    def _find_order(self, code: str) -> str | None:
        if not code or len(code) > 64:
            return None
        # an order number typed as printed without its "#" ("50002" for "#50002": the slip's barcode holds the "#")
        hashed = code if code.startswith("#") else "#" + code
        try:  # on every unknown scan: a point read (both columns indexed), not a pooled transaction
            row = self.core.store.point_read(
                "SELECT id FROM picklists WHERE id = ? OR order_no = ? OR order_no = ? LIMIT 1", (code, code, hashed))
        except Exception:
            log.exception("pick list lookup failed")
            return None
        return row[0] if row else None

    # -- scanning ------------------------------------------------------------------------------
    def scan(self, raw: RawScan) -> ScanVerdict:
        """Normalise + verify + durable event, for the active order. Never raises."""
        return self._scan(raw, self.active)

    def _scan(self, raw: RawScan, session: OrderSession | None) -> ScanVerdict:
        if session is not None and session.order_id in self.sessions:
            self._switch_to(session)
        nc = None
        try:
            nc = normalise(raw, prefix=self._prefix, suffix=self._suffix)
            others = [s for s in self.sessions.values() if s is not session]
            v = verify(nc, session, others=others, catalog=self.catalog, find_order=self._find_order,
                       today=self.today(), bin_prefixes=self._bin_prefixes)
            if v.kind in _CAPS_LOCK_SUSPECTS and (_caps_locked(raw.text) or v.kind == VerdictKind.WRONG_LOT
                                                  and isinstance(raw.text, str) and raw.text.upper() != raw.text):
                # a wrong lot with small letters in it: a GS1 Digital Link typed with Caps Lock on is
                # "HTTPS://ID.GS1.ORG/01/…/10/d9t", capitals and all, and its lot the wrong case
                nc, v = self._caps_lock(raw, nc, v, session, others)
            if v.kind in _CHECK_CHAR_SUSPECTS and _code39_checked(nc) \
                    and not any(nc.text in s.index.bins for s in self.sessions.values()):
                nc, v = self._code39_check_char(raw, nc, v, session, others)
            if v.kind == VerdictKind.ACTION and session is not None:
                v = self._perform(v, session)
        except Exception as exc:
            log.exception("scan failed: %r", raw)
            v = verdict(VerdictKind.UNREADABLE, "unreadable_internal", None,
                        details={"error": "internal", "detail": f"{type(exc).__name__}: {exc}"})
        try:
            self._record(raw, nc, v, session)
        except Exception as exc:
            log.exception("scan event could not be recorded: %r", raw)
            said = ("not_recorded_disk_full" if disk_full(exc) else "not_recorded_read_only" if read_only(exc)
                    else "not_recorded")
            return ScanVerdict(VerdictKind.UNREADABLE, text(said), code=nc.code if nc else "",
                               details={"error": "not_recorded", "detail": f"{type(exc).__name__}: {exc}"})
        if session is not None and v.kind == VerdictKind.ACCEPTED and v.details.get("gift") and v.line_id:
            try:
                session._append(EventType.GIFT_CONFIRMED, {"line_id": v.line_id, "sku": v.sku, "how": "scanned"},
                                kind="scanned")
            except Exception:
                log.exception("gift confirmation not recorded")
        return v

    def _caps_lock(self, raw: RawScan, nc, v: ScanVerdict, session, others) -> tuple:
        """A keyboard-wedge scanner types as the keyboard is set: with Caps Lock on, every letter comes in the other
        case ("so-1002", "bin-a01", a lot "l02a") and an order, a bin or an item was unknown. Such a scan (letters,
        none of them capitals: warehouse codes are written in capitals) is tried once with its letters' case swapped;
        when that one is known, it counts, said with "Caps Lock is on". An unknown code in capitals costs nothing
        more (no second lookup)."""
        flipped = normalise(dataclasses.replace(raw, text=raw.text.swapcase()), prefix=self._prefix,
                            suffix=self._suffix)
        w = verify(flipped, session, others=others, catalog=self.catalog, find_order=self._find_order,
                   today=self.today(), bin_prefixes=self._bin_prefixes)
        if w.kind in _CAPS_LOCK_SUSPECTS:
            return nc, v
        return flipped, dataclasses.replace(w, message=text("caps_lock", said=w.message),
                                            details={**w.details, "caps_lock": True})

    def _code39_check_char(self, raw: RawScan, nc, v: ScanVerdict, session, others) -> tuple:
        """A bin label printed in Code 39 with its mod-43 check character, read by a scanner that does not check it (a
        common default), arrives with the check character as data: "BIN-A01D" was "Wrong bin A01D: go to A-01" at bin
        A-01. When the text without it confirms a bin (and the whole text is no bin), that is the scan. Only a bin:
        order numbers and item codes run in sequence, so "SO-10" may be order SO-1 with its check character "0" or
        order SO-10 not yet on the station."""
        body = _code39_checked(nc)
        stripped = normalise(dataclasses.replace(raw, text=body, symbology=nc.symbology), prefix=self._prefix,
                             suffix=self._suffix)
        w = verify(stripped, session, others=others, catalog=self.catalog, find_order=self._find_order,
                   today=self.today(), bin_prefixes=self._bin_prefixes)
        if w.kind != VerdictKind.BIN_CONFIRMED:
            return nc, v
        log.info("scan %r read as Code 39 %r with its check character", nc.text, body)
        return stripped, dataclasses.replace(w, details={**w.details, "code39_check": nc.text[-1]})

    def _perform(self, v: ScanVerdict, session: OrderSession) -> ScanVerdict:
        if v.action == "undo":
            done = session.undo_last()
            if done is None:
                return ScanVerdict(VerdictKind.ACTION, text("action_undo_nothing"), code=v.code, action="undo")
            return done
        if v.action == "complete_step":
            cur = step_word(session.step) if session.step else "-"
            try:
                nxt = session.complete_step()
            except StepBlocked as b:
                return ScanVerdict(VerdictKind.ACTION, text("action_blocked", step=cur, reasons=b.message),
                                   code=v.code, action="complete_step", details={"blocked": [str(r) for r in b.reasons]})
            return ScanVerdict(VerdictKind.ACTION, text("action_complete", step=cur, next=step_word(nxt)),
                               code=v.code, action="complete_step",
                               order_complete=nxt == Step.DONE, details={"step": nxt.value})
        return v

    def _record(self, raw: RawScan, nc, v: ScanVerdict, session: OrderSession | None) -> None:
        op = self.operator
        oid = session.order_id if session is not None else None
        code = nc.code if nc is not None else ""
        if type(code) is not str or not code.isascii():  # nearly every code is plain ASCII: no call for it
            code = safe_text(code)
        payload = {
            "order_id": oid,
            "step": str(session.step) if session is not None and session.step else None,  # StrEnum: its value
            **scan_payload(raw),  # raw text bounded (first 1 KB, length, sha256) and surrogate-safe
            "code": code,
            "verdict": v.to_dict(),
        }
        self.core.events.append(EventType.SCAN, payload, operator_id=op.id if op else None, order_id=oid,
                                kind=str(v.kind))

    def _on_event(self, ev: Event) -> None:
        if threading.get_ident() != self._owner:
            self.inbox.put(ev)
            return
        self._apply(ev)

    def _apply(self, ev: Event) -> None:
        s = self.sessions.get(ev.order_id) if ev.order_id else None
        if s is not None and ev.seq > s.last_seq:
            s.apply(ev)

    def drain(self) -> list[Event]:
        """Apply the events other threads committed (call on the owner thread); returns them."""
        out = []
        while True:
            try:
                ev = self.inbox.get_nowait()
            except queue.Empty:
                return out
            self._apply(ev)
            out.append(ev)


__all__ = ["Station", "OrderSession", "Step", "LineProgress", "StepBlocked", "WeightCheck", "StepTimes",
           "unreadable"]
