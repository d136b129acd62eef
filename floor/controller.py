"""The station controller: the whole floor flow, Qt-free.

It owns who is logged in, which screen the station shows, which order is open (through the
`app.workflow.Station` step machine), the weight of the parcel on the scale, the label and slip of the
order, the inline prompt and the message on screen. Screens render it and forward key presses
(`key("F10")`) and scans (`scan(raw)`); each use case returns one typed `Result` naming what changed, and
the same `Change` flags go to every subscriber.

Threads: every method runs on the controller's thread. Network and printing run through `run_io(work,
done)` (synchronous by default; the Qt window passes its TaskRunner so `done` lands back on the GUI
thread). Events appended on other threads wait in `Station.inbox` until `pump()` applies them here.

Decisions (docs/floor.md): logging out suspends the open orders and keeps them claimed by this station;
the same operator's next login resumes them at the same counts; another operator sees them in the queue.
A finished order leaves the queue at once (it is marked done in the cache and remembered from the log).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from app import address
from app.actions import CARTONS, REPRINT_REASONS, parse_action
from app.barcodes import load_parsers
from app.events import EventType
from app.i18n import Joined, Msg
from app.operators import LOGIN, MAX_PIN, MIN_PIN, OVERRIDE, Operator
from app.picklist import SHORT_REASONS, PickList
from app.scans import AcrossDevicesFilter, RawScan, ScanSource, visible_text
from app.store import disk_full, read_only
from app.verdicts import ScanVerdict, VerdictKind
from app.workflow import (
    LEFT,
    RELEASED_NOTHING_FOUND,
    OrderSession,
    Station,
    Step,
    StepBlocked,
    since_released,
)
from floor import words
from floor.changes import (
    Change,
    Feedback,
    GiftResult,
    InterceptResult,
    Level,
    Outcome,
    OverrideResult,
    PrintResult,
    Prompt,
    ReprintResult,
    Result,
    Screen,
    ShortPickResult,
)
from floor.paperwork import (
    content,
    destination_changes,
    items_changed,
    missing_destination,
    new_address_warnings,
    packed_picklist,
    with_destination,
    with_warnings,
)
from floor.words import say

log = logging.getLogger(__name__)

PAPERWORK = "paperwork"  # event: the label and slip content submitted for an order (packed quantities)
# A wedge scanner types as the keyboard is set: a badge or an order barcode read with its letters' case swapped
# is found all the same (app.operators, app.workflow), and the person is told why the next codes may fail.
CAPS_LOCK = Msg("Caps Lock is on: turn it off.")
EMPTY_SCALE_G = 5.0  # at or below this the scale is empty
WORK_KEYS = ("F2", "F3", "F4", "F8", "F9", "F10", "F11")  # an open order's keys (F12 reprints from the queue too)


def _job_message(job: dict) -> Msg | None:
    """A print job's own message (the spool's "message": a `Msg`, or its persisted dict), if it has one."""
    m = job.get("message")
    if isinstance(m, Msg):
        return m
    if isinstance(m, dict) and isinstance(m.get("id"), str) and m["id"]:
        return Msg.from_dict(m)
    return None


# a print job's state in which its paper came out, is coming out or waits for the printer (hardware.printing.spool);
# `unconfirmed` (sent in full just before the station stopped) most likely printed: a slip in it is not sent again; a
# label in it is looked for at the printer (`_unconfirmed_label`): F9 again once found, F12 if not
LABEL_OUT = frozenset({"queued", "held", "sending", "sent", "done"})
SLIP_OUT = LABEL_OUT | {"unconfirmed"}
SLIP_DONE = frozenset({"done", "unconfirmed"})  # of those, a slip that came out: its parcel may be closed


def _paperwork_named(events, order_id: str) -> list[tuple[str, str | None]]:
    """The print jobs the order's `paperwork` and `reprint` events name, oldest first: (job id, "label"/"slip", None
    for a reprint's), since the order was last given back at a STOP (the order offered again is a new parcel:
    app.workflow)."""
    named: list[tuple[str, str | None]] = []
    for ev in since_released(events.events(order_id=order_id,
                                           types=[PAPERWORK, EventType.REPRINT, EventType.PICKLIST_RELEASED])):
        p = ev.payload
        pairs = [(p.get("label_job"), "label"), (p.get("slip_job"), "slip")] if ev.type == PAPERWORK else [
            (p.get("job_id"), None)]
        named += [(jid, kind) for jid, kind in pairs if isinstance(jid, str)]
    return named


def _paperwork_jobs(events, spool, order_id: str,
                    named: list[tuple[str, str | None]] | None = None) -> list[dict]:
    """The order's print jobs its `paperwork` and `reprint` events name (`named`, when read already), oldest first, as
    the spool has them now (the log and the spool table survive a restart; the controller's memory of them does not).
    Read once per F9."""
    if named is None:
        named = _paperwork_named(events, order_id)
    jobs = (spool.job(jid) for jid in dict.fromkeys(jid for jid, _kind in named))
    return [j for j in jobs if j and j.get("kind") in ("label", "slip")]


def _paperwork_out(jobs: list[dict]) -> dict[str, dict]:
    """Of `_paperwork_jobs`, the label and slip that came out, are coming out or wait for a printer: kind -> the newest
    such job. A job withdrawn or failed is not among them: F9 prints it again, and only it."""
    return {j["kind"]: j for j in jobs if j.get("state") in (LABEL_OUT if j["kind"] == "label" else SLIP_OUT)}


def _record_paperwork(events, order_id: str, op: Operator | None, packed: PickList, missing: tuple,
                      res: tuple) -> None:
    """The `paperwork` event of F9's label and slip, written before they are queued (F9's work, off the GUI thread):
    what they say (packed lines, what is not in the parcel), what was out already, the failed label a new one replaces
    (which, and what went wrong) and a destination the OMS changed."""
    _, label, slip, _current, changed, already_out, replaced = res
    extra: dict[str, Any] = {"already_out": already_out} if already_out else {}
    if replaced is not None:
        extra["replaces"] = {"job_id": replaced["job_id"], "error": replaced.get("error_state") or "failed"}
    if changed:
        extra["destination_changed"] = list(changed)
    events.append(PAPERWORK, {"order_id": order_id, "label_job": label, "slip_job": slip, "lines": content(packed.lines),
                              "units": packed.units, "not_in_parcel": content(missing), **extra},
                  operator_id=op.id if op else None, order_id=order_id)


def _newest_label(jobs: list[dict]) -> dict:
    """Of `_paperwork_jobs`, the newest label job ({} when there is none)."""
    return next((j for j in reversed(jobs) if j["kind"] == "label"), {})


def _cut_off_label(jobs: list[dict]) -> dict | None:
    """Of `_paperwork_jobs`, the newest label job when the station stopped while sending it (`failed`, error
    `crashed`): part of it may have printed, so it is never sent again blindly (hardware.printing.spool); F12 prints
    it again, recorded."""
    job = _newest_label(jobs)
    return job if job.get("state") == "failed" and job.get("error_state") == "crashed" else None


def _unconfirmed_label(jobs: list[dict]) -> dict | None:
    """Of `_paperwork_jobs`, the newest label job when it was sent in full just before the station stopped
    (`unconfirmed`): it most likely printed. F9 sent a second label without a word (two labels of one parcel, no
    reprint recorded); it now says to look for it: found, F9 again goes on with it (`PrintSpool.confirm_seen`, the
    packer named); not there, F12 prints it again, recorded."""
    job = _newest_label(jobs)
    return job if job.get("state") == "unconfirmed" else None


def _failed_label(jobs: list[dict]) -> dict | None:
    """Of `_paperwork_jobs`, the newest label job when it failed (not withdrawn): F9's new label replaces it, and
    the paperwork event says which and why (it was sent again with nothing recorded)."""
    job = _newest_label(jobs)
    return job if job.get("state") == "failed" and job.get("error_state") != "cancelled" else None


def _sync_io(work: Callable[[], Any], done: Callable[[Any], None]) -> None:
    try:
        res = work()
    except Exception as exc:  # noqa: BLE001 - handed to done like the Qt TaskRunner does
        res = exc
    done(res)


@dataclass(frozen=True)
class WeightView:
    """What the weight area shows: the live reading for this parcel and whether it may be recorded."""

    grams: float | None
    stable: bool
    usable: bool  # a fresh stable reading taken after this parcel was placed
    in_tolerance: bool  # show the tick
    expected_g: float | None
    tolerance_g: float | None
    recorded_g: float | None
    scale_fault: Msg | None = None  # the scale is not ready (unplugged, silent, overloaded): what its driver says
    resting: bool = False  # steady since before this parcel's weighing began: not recorded (taken off, put on again)


def _answers(cls: type[Result] = Result) -> Callable:
    """A use case the screens call. Whatever fails inside it (a full disk, a database that cannot be written, a bug)
    is logged and said on screen, never raised into the Qt event loop (where it was a traceback on stderr and a key
    that did nothing: Ctrl+L on a full disk). Only the outermost use case answers: one that another calls (login's
    logout) still fails the caller, so nothing goes on after a step that did not happen."""
    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def run(self: StationController, *a: Any, **kw: Any) -> Any:
            if self._answering:
                return method(self, *a, **kw)
            self._answering = True
            try:
                return method(self, *a, **kw)
            except Exception as exc:
                log.exception("%s failed", method.__name__)
                return self._failed(exc, cls)
            finally:
                self._answering = False
        return run
    return wrap


HELD_SCANS_MAX = 50  # scans held while an order's claim is answered (a scanner left firing: not held for ever)
IDLE_WARN_S = 60  # the idle logout is counted down on screen for its last minute (StationController.idle_check)


def _minutes(seconds: float) -> str:
    """A duration in minutes as people say it: "15", "1.5", "0.5"."""
    return f"{seconds / 60:.1f}".removesuffix(".0")


# A person's character keys (the digits that choose a carton or a reason, any other character) closer together than
# this are someone keying a code by hand, not a choice: the wedge filter passes a person's keys one by one (a scanner's
# burst is a scan), so "6900000000151" typed at the pack step chose cartons and at the short-pick form a reason.
TYPING_GAP_NS = 700 * 10**6
CHAR_KEYS = frozenset(("1", "2", "3", "4", "5", "typed"))
TYPED_KEYS = Msg("Typed keys are not counted: scan the item. If its barcode will not scan, a supervisor can count it "
                 "(F11).")


class _Keyed(NamedTuple):
    """The last character key a person pressed (`StationController._keyed_run`)."""
    name: str
    at_ns: int
    place: int  # its place in a run of keys less than TYPING_GAP_NS apart (1: the first)
    short_seq: int | None = None  # the short pick it recorded (taken back if a code follows)

LOGIN_WAIT_NS = 60 * 10**9  # how long a login held for a new station's first operators is tried when they come


class StationController:
    def __init__(self, station: Station, *, cache=None, sync=None, spool=None,
                 run_io: Callable[[Callable[[], Any], Callable[[Any], None]], None] | None = None,
                 mono_ns: Callable[[], int] = time.monotonic_ns, language: str = "en",
                 idle_logout_s: float = 0.0) -> None:
        self.station = station
        self.core = station.core
        self.sync = sync
        self.cache = cache if cache is not None else (getattr(sync, "cache", None) if sync is not None else None)
        self.spool = spool
        self.run_io = run_io or _sync_io
        self.mono_ns = mono_ns
        self.across_devices = AcrossDevicesFilter()  # one item read by two devices counts once (app.scans)
        # The controller speaks in messages (`app.i18n.Msg`) and never picks a language: the screens render what
        # it says. `language` is still accepted and kept for the screens that read it from here (ui/), unused.
        self.language = language
        station.label_needs_print = True
        self.screen = Screen.LOGIN
        self.feedback: Feedback | None = None
        self.prompt: Prompt | None = None
        self.queue: list[PickList] = []
        self.pending_badge: str | None = None
        # a login tried before this station knew any operator: (badge, PIN, when), tried again when they come
        self._login_waiting: tuple[str, str, int] | None = None
        self.last_order_id: str | None = None  # for a reprint after the order left the screen
        self.last_order_no: str | None = None  # its number, as the packer reads it on the label
        self._listeners: list[Callable[[Change], None]] = []
        self._answering = False  # inside a use case the screens called (see _answers)
        # completed orders and orders handed back with nothing found (never back in the queue): read on first use, or
        # by warm_up() on a worker thread once the login screen shows -- 100,000 of them in a warehouse log took 0.3 s
        # of every start-up
        self._finished_ids: set[str] | None = None
        self._handed_back: set[str] = set()  # of those, the orders handed back with nothing found
        # orders given back at their STOP (the OMS cancelled, held or changed them) -> their version (`updated_at`) in
        # the cache then: kept out until the OMS lists them again (a changed or released hold is a parcel to pack)
        self._stopped: dict[str, str | None] = {}
        self._finished_lock = threading.Lock()
        self._opening: str | None = None
        # scans made while the OMS answers that order's claim: counted once it opens (the packer scans the order, then
        # at once the first item: it read "No order is open", an error counted against them, and was lost)
        self._held: list[RawScan] = []
        self._jobs: dict[str, tuple[str, str | None]] = {}  # order -> (label job, slip job)
        # order -> what the OMS changed of its address or carrier, and whether the carrier is among it
        self._destination: dict[str, tuple[Msg | Joined, bool]] = {}
        self._withdrawn: set[str] = set()  # print jobs taken back before they came out (_withdraw_paperwork)
        self._print_again: set[str] = set()  # orders whose label was withdrawn: F9 not pressed for them since
        self._look_for_label: set[str] = set()  # orders told their label most likely printed: F9 again = found it
        self._left: dict[str, str] = {}  # order left with Esc -> its operator: "paused" on their queue, not "claimed"
        self._printing: str | None = None  # order whose paperwork is being checked/submitted
        self._provisional_fb: Feedback | None = None  # "… claimed provisionally" while it is still on screen
        # the scale, per parcel
        self._reading: tuple[float, bool, int] | None = None  # grams, stable, mono ns
        self._epoch = 0  # mono ns when this parcel's weighing began
        self._placed_at: int | None = None  # a change seen on the scale after the epoch (parcel placed)
        self._scale_fault: Msg | None = None  # the scale's driver says it is not ready (`on_scale_status`)
        # the idle logout (`idle_check`): seconds without a key, a click or a scan (0: never), and the last of those
        self.idle_logout_s = idle_logout_s if idle_logout_s > 0 else 0.0
        self._input_ns = mono_ns()
        self._char: _Keyed | None = None  # a person keying a code (TYPING_GAP_NS)
        self.idle_notice: Msg | None = None  # "… logged out in 42 s", shown over every screen until a key or a scan

    @property
    def _finished(self) -> set[str]:
        """Ids of the orders completed or handed back on this station (the ids alone: whole events took 2 s at
        100,000)."""
        ids = self._finished_ids
        if ids is None:
            with self._finished_lock:  # a warm-up under way: wait for it rather than read twice
                if self._finished_ids is None:
                    with self.core.store.read() as c:
                        rows = c.connection.dbapi_connection.execute(  # two seeks on ix_events_type_kind
                            "SELECT order_id, type FROM events WHERE type = ? AND order_id IS NOT NULL UNION ALL "
                            "SELECT order_id, type FROM events WHERE type = ? AND kind = ? AND order_id IS NOT NULL",
                            (EventType.ORDER_COMPLETED, EventType.PICKLIST_RELEASED, RELEASED_NOTHING_FOUND)).fetchall()
                    self._handed_back.update(oid for oid, t in rows if t == EventType.PICKLIST_RELEASED)
                    self._finished_ids = {oid for oid, _t in rows}
                ids = self._finished_ids
        return ids

    def warm_up(self) -> None:
        """What start-up leaves for later, done now (any thread): the completed orders' ids, the GS1 parser."""
        self._finished  # noqa: B018
        load_parsers()

    # == reading state ===================================================================================
    @property
    def operator(self) -> Operator | None:
        return self.station.operator

    @property
    def session(self) -> OrderSession | None:
        return self.station.active

    def subscribe(self, fn: Callable[[Change], None]) -> None:
        self._listeners.append(fn)

    def blockers(self) -> list[Msg]:
        """What the current step still needs, as messages (the screen renders them)."""
        s = self.session
        if s is None:
            return []
        wv = self.weight_view()
        # an order set aside that the OMS stopped: its red STOP went at the packer's next scan, its units are in the tote
        aside = [words.set_aside_stop_reminder(o) for o in self.stopped_aside()]
        return aside + words.blockers(s, wv.grams if wv.usable else None, wv.in_tolerance, label_sent=self._label_sent(s),
                              scale_fault=wv.scale_fault, resting=self._resting_weight(),
                              unsteady=self._unsteady_weight())

    def next_key(self) -> str | None:
        """The key that does what the open order needs next, for the screen to mark: F10 once the step's
        lines (and carton, gifts) are done; F9 at the Label step until the label is with the printer, and at
        the Weigh step once a weight within tolerance is recorded or steady on the scale (F9 records it,
        completes the step and prints; F8 when a weight out of tolerance was recorded before). None while the
        order needs scans, a carton, a steady weight or a look at a parcel whose weight is out of tolerance
        (checked before anyone reaches for F11), while the label prints or waits for paper, and with no order
        at work. Esc for an order the OMS stopped, and for one of which nothing was found."""
        s = self.session
        if s is None or self.screen != Screen.WORK or s.step in (None, Step.DONE):
            return None
        if s.intercepted:  # stopped by the OMS: the items go back, and Esc leaves it
            return "Escape"
        if s.step == Step.LABEL:  # nothing to press while the paperwork is with the printer (printing, waiting for
            return None if self._label_sent(s) else "F9"  # paper); F9 until it is, the slip alone after the label
        if s.step == Step.WEIGH:
            w = s.weight
            if w is not None and (w.ok or s.weight_overridden):
                # the parcel weighs something else now: F9 records that weight, and prints only inside tolerance (F9
                # was marked after a supervisor's F11 with another parcel on the scale, and F9 refused)
                return "F9" if self._moved_weight(s) is None or self.weight_view().in_tolerance else None
            if self.weight_view().in_tolerance:  # F9 records a weight only when none is recorded yet
                return "F9" if w is None else "F8"
            return None
        if s.nothing_found:  # no parcel: the order goes back (a gift still to pick is not asked for)
            return "Escape"
        if s.step in s.counting_steps and s.incomplete(s.step):  # mid-step, on every scan: no walk of the lines
            return None
        return None if s.blockers() else "F10"

    def _withdraw_paperwork(self, s: OrderSession | None, why: str) -> Msg | None:
        """The packer leaves an order (Esc, another order, log out) or the OMS stops it before its label came out: its
        label and slip still waiting for a printer (paper out, cover open) are taken out of the queue, so that they
        cannot come out later, at another parcel, or for an order that must not ship. F9 prints them again when the
        order is open again. A job being sent goes on: it comes out now, at this parcel. -> what to say, or None."""
        jobs = self._jobs.get(s.order_id) if s is not None else None
        if jobs is None or self.spool is None:
            return None
        states = {jid: (self.spool.job(jid) or {}).get("state") for jid in jobs if jid is not None}  # by job id
        waiting = [jid for jid, st in states.items() if st in ("queued", "held")]
        if not waiting or (not s.label_printed and jobs[0] not in waiting):
            return None  # the label is on its way out, or out with its slip on its way: nothing to withdraw
        if not self._cancel_jobs(waiting, why):
            return None  # it may still come out: said as before, by the printer's state
        self._jobs.pop(s.order_id, None)
        self._print_again.add(s.order_id)
        log.info("order %s: %s withdrawn before it came out (%s)", s.order_id,
                 "slip" if s.label_printed else "label and slip", why)
        if s.label_printed:  # the label is out: its slip goes inside this parcel, not the next one
            return Msg("The packing slip of order {order} was still waiting for the printer: it is withdrawn, so it "
                       "cannot come out at another parcel. Open the order again and press F9 to print it.",
                       order=s.picklist.order_no)
        return Msg("The label of order {order} was still waiting for the printer: it is withdrawn, so it cannot come "
                   "out at another parcel. Open the order again and press F9 to print it.", order=s.picklist.order_no)

    def _cancel_jobs(self, job_ids: list[str], why: str) -> bool:
        """Take print jobs out of the spool's queue; their updates (failed: cancelled) are then not said at the order
        at work. False when one could not be taken out."""
        for jid in job_ids:
            try:
                self.spool.cancel(jid, why)  # type: ignore[union-attr]
            except Exception:
                log.exception("print job %s not withdrawn", jid)
                return False
            self._withdrawn.add(jid)
        return True

    def _print_again_note(self, s: OrderSession) -> list[Msg]:
        """What an order whose label was withdrawn (left, logged out) says when it is back at work: F9 prints it."""
        if s.order_id not in self._print_again or s.step != Step.LABEL or self._label_sent(s):
            return []
        if s.label_printed:
            return [Msg("Its packing slip did not print: press F9 to print it.")]
        return [Msg("Its label did not print: press F9 to print it.")]

    def _label_sent(self, s: OrderSession) -> bool:
        """F9 was pressed for this order: its paperwork is being checked with the OMS or is with the printer."""
        return self._printing == s.order_id or s.order_id in self._jobs

    def step_name(self) -> Msg:
        """The current step's name, a message (empty when no order is open)."""
        s = self.session
        return words.step_name(s.step if s is not None else None)

    def time_on_step_s(self) -> float | None:
        s = self.session
        if s is None or s.step is None or s.step not in s.times or s.intercepted:  # stopped: no step goes on
            return None
        return s.times[s.step].duration_s(self.mono_ns())

    def weight_view(self) -> WeightView:
        s = self.session
        exp, tol = s.expected_weight if s is not None else (None, None)
        usable = self._usable_weight()
        r = self._reading
        rec = s.weight.grams if s is not None and s.weight is not None else None
        inside = usable is not None and (exp is None or abs(usable - exp) <= (tol or 0))
        return WeightView(r[0] if r else None, bool(r and r[1]), usable is not None, inside, exp, tol, rec,
                          self._scale_fault, self._resting_weight() is not None)

    def stopped_aside(self) -> list[OrderSession]:
        """Orders open at this station, not at work, that the OMS stopped and nobody has given back yet (scan it, Esc):
        what was taken for them is still in the tote. At the queue, the order last at work is one of them too (Esc left
        it for the queue, and the station keeps the last open one as its order at hand)."""
        at_work = self.session if self.screen == Screen.WORK else None
        return [o for o in self.station.sessions.values() if o is not at_work and o.intercepted]

    def queue_items(self) -> list[PickList]:
        """The queue's rows: first the orders stopped while set aside (they left the OMS's list, and their STOP went at
        the next scan: nothing else showed that their units wait to go back), then the open orders."""
        stopped = [o.picklist for o in self.stopped_aside()]
        ids = {p.id for p in stopped}
        return stopped + [p for p in self.queue if p.id not in ids]

    def queue_status(self, pl: PickList) -> str:
        """A queue row's status: "paused" for an order open at this station (switched away from: its step clock
        stopped), the stop's status ("cancelled", "held", else "stopped") for one of those the OMS stopped, else the
        OMS's. A short word: at 1024 px the address beside it keeps its width."""
        s = self.station.sessions.get(pl.id)
        if s is not None and s.intercepted:
            return s.intercepted[0] if s.intercepted[0] in ("cancelled", "held") else "stopped"
        mine = self.operator is not None and self._left.get(pl.id) == self.operator.id
        return "paused" if s is not None or mine else pl.status

    # == notifications ===================================================================================
    def _done(self, outcome: Outcome, changes: Change, feedback: Feedback | None | bool = False, *,
              cls: type[Result] = Result, verdict: ScanVerdict | None = None, **kw: Any) -> Result:
        """Finish a use case: set the feedback (False: leave it), tell the subscribers, return the result."""
        if feedback is not False:
            self.feedback = feedback  # type: ignore[assignment]
            changes |= Change.FEEDBACK
        res = cls(outcome=outcome, changes=changes, feedback=self.feedback, verdict=verdict, **kw)
        self._emit(changes)
        return res

    def _emit(self, changes: Change) -> None:
        if not changes:
            return
        for fn in list(self._listeners):
            try:
                fn(changes)
            except Exception:
                log.exception("controller listener failed")

    def _failed(self, exc: Exception, cls: type[Result]) -> Result:
        """What a use case that failed says: a full disk by name (nothing can be recorded until someone frees
        space), anything else by its first line, with what to do."""
        if disk_full(exc):
            return self._done(Outcome.REFUSED, Change.ALL, say(Level.ERROR, Msg(
                "Not done: the station's disk is full, so nothing can be recorded. Call a supervisor.")), cls=cls)
        if read_only(exc):  # a disk switched to read-only mid-shift: trying again cannot help
            return self._done(Outcome.REFUSED, Change.ALL, say(Level.ERROR, Msg(
                "Not done: the station's disk cannot be written, so nothing can be recorded. Call a supervisor.")),
                cls=cls)
        error = _said(exc)  # its own message, else its type and first line (SQLAlchemy's SQL follows on more lines)
        if not isinstance(error, Msg):
            first = (error.strip().splitlines() or [""])[0][:160]
            error = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        msg = Msg("Not done: {error}. Try again; if it happens again, call a supervisor.", error=error)
        return self._done(Outcome.REFUSED, Change.ALL, say(Level.ERROR, msg), cls=cls)

    def _refuse(self, message: Msg | Joined, level: Level = Level.HINT, changes: Change = Change.NONE,
                cls: type[Result] = Result, **kw: Any) -> Result:
        return self._done(Outcome.REFUSED, changes, say(level, message), cls=cls, **kw)

    def _state(self) -> tuple[str | None, Step | None]:
        s = self.session
        return (s.order_id if s else None, s.step if s else None)

    def _after(self, before: tuple[str | None, Step | None]) -> Change:
        """Changes implied by a move of order or step; a new parcel context clears the scale."""
        now = self._state()
        ch = Change.NONE
        if now[0] != before[0]:
            ch |= Change.ORDER | Change.STEP | Change.LINES | Change.WEIGHT
            self._new_parcel()
        elif now[1] != before[1]:
            ch |= Change.STEP | Change.LINES
            if now[1] == Step.WEIGH:
                self._new_parcel()
                ch |= Change.WEIGHT
        return ch

    # == session =========================================================================================
    def badge_scanned(self, code: str) -> Result:
        what = self.station.not_a_badge(code)
        if what is not None:  # an order or an item at the login: said now, not as a wrong PIN later
            kind, name = what
            return self._refuse(Msg("That is order {order}'s barcode, not a badge: log in first — scan your badge, "
                                    "then type your PIN.", order=name) if kind == "order" else
                                Msg("That is an item's barcode ({item}), not a badge: log in first — scan your "
                                    "badge, then type your PIN.", item=name), Level.ERROR)
        self.pending_badge = code.strip()
        return self._done(Outcome.ASKED, Change.SESSION, None)

    def could_be_pin(self, code: str) -> bool:
        """A scanner-speed burst the login form's PIN field got, with a badge in: the PIN typed fast (a quick typist,
        a script typing 12 ms a key) when it reads as a PIN and is nobody's badge (badges of digits exist). Taken as
        a badge, it replaced the badge already in and logged nobody in."""
        code = code.strip() if isinstance(code, str) else ""
        return code.isascii() and code.isdigit() and MIN_PIN <= len(code) <= MAX_PIN and not self.is_badge(code)

    def is_badge(self, code: str) -> bool:
        """Someone's badge (True too when the operators cannot be read: a badge is the safe reading of a scan)."""
        code = code.strip() if isinstance(code, str) else ""
        try:
            return self.core.operators.by_badge(code) is not None
        except Exception:
            log.exception("badge lookup failed")
            return True

    @_answers()
    def login(self, badge: str, pin: str) -> Result:
        self.note_input()
        badge = (badge or "").strip()
        if self.operator is not None:
            self.logout()
        if not badge or not pin:
            return self._refuse(Msg("Badge and PIN are both needed."), Level.ERROR)
        op = self.station.login(badge, pin)
        self.pending_badge = None
        self._login_waiting = None
        if op is None:
            if self.sync is not None and not self.core.operators.known():
                # a new station learns its operators at its first OMS pull: the login is tried again when they come
                self._login_waiting = (badge, pin, self.mono_ns())
                return self._refuse(Msg("This station has no operators yet: it is getting them from the OMS. You are "
                                        "logged in as soon as they are here."), Level.HINT)
            return self._refuse(self._locked(badge) or Msg("Badge or PIN not recognised."), Level.ERROR)
        self.prompt = None
        before = self._state()
        resumed = self._resume_for(op)
        packed = self._packed_while_away(resumed)
        resumed = [o for o in resumed if o.order_id in self.station.sessions]
        if packed is not None and resumed:  # the one packed was at work: the last other one is, its clock going again
            self.station.activate(resumed[-1].order_id)
        self.screen = Screen.WORK if resumed else Screen.CHECK
        ch = Change.SESSION | Change.SCREEN | Change.PROMPT | Change.QUEUE | self._after(before)
        fb = say(Level.INFO, packed) if packed is not None else None
        caps = [CAPS_LOCK] if op.badge != badge and op.badge == badge.swapcase() else []  # "k-001" for "K-001"
        stopped_aside = [o for o in resumed if o is not self.session and o.intercepted]
        if self.session is not None and self.session.intercepted:  # stopped before the packer pressed Esc (a crash)
            fb = words.stop_message(self.session)
        elif stopped_aside:  # set aside and stopped before the logout: said in red, not as a blue "Also open"
            fb = words.set_aside_stop_message(stopped_aside[-1])
        elif self.session is not None:  # an order left open (a restart, a logout): say which and where it stands
            others = [o.picklist.order_no or o.order_id for o in resumed if o is not self.session]
            again = self._print_again_note(self.session)
            fb = self._where(self.session, said="resumed", hint=bool(again),
                             more=([packed] if packed is not None else []) + again
                             + ([Msg("Also open: {orders}.", orders=", ".join(others))] if others else []) + caps)
        elif caps:
            fb = say(Level.HINT, CAPS_LOCK)
        return self._done(Outcome.DONE, ch, fb)

    def _packed_while_away(self, resumed: list[OrderSession]) -> Msg | Joined | None:
        """Orders back at a login whose label came out meanwhile — held for paper when the station stopped, printed by
        itself once the paper was back after the restart, before anyone logged in: packed now, said. They came back
        at their Label step with nothing marked to press and nothing left to do (only a guessed F9 finished them)."""
        done: dict[tuple[bool, bool], list[str]] = {}  # (label, slip) out since the restart -> order numbers
        before = self.core.events.before_open
        for o in resumed:
            if o.step == Step.LABEL and o.label_printed and not o.intercepted and self._slip_out_or_none(o):
                try:
                    o.complete_step()
                except StepBlocked:
                    continue
                log.info("order %s packed at login: its paperwork came out while nobody was logged in", o.order_id)
                self._finish(o, at_work=False)
                out = {e.type for e in self.core.events.events(
                    order_id=o.order_id, types=[EventType.LABEL_PRINTED, EventType.SLIP_PRINTED],
                    since_seq=before[0] if before else 0)}
                which = (EventType.LABEL_PRINTED in out, EventType.SLIP_PRINTED in out)
                done.setdefault(which if any(which) else (True, False), []).append(o.picklist.order_no or o.order_id)
        if not done:
            return None
        # what came out since the restart: the label (held for paper), the slip (the label out before the crash), both
        said = {(True, False): "The label of order {orders} came out while the station was restarting: packed.",
                (False, True): "The packing slip of order {orders} came out while the station was restarting: packed.",
                (True, True): "The label and the packing slip of order {orders} came out while the station was "
                              "restarting: packed."}
        return Joined([Msg(said[w], orders=", ".join(nos)) for w, nos in done.items()], sep=" ")

    def _slip_out_or_none(self, s: OrderSession) -> bool:
        """The order's slip came out (or it had none). One that failed or still waits for its printer is F9's, with
        the order at work: F9 prints it again, or waits for it (`_paperwork_out`), and the parcel is packed when it
        is out."""
        if self.spool is None:
            return True
        named_jobs = _paperwork_named(self.core.events, s.order_id)  # read once for both
        jobs = _paperwork_jobs(self.core.events, self.spool, s.order_id, named_jobs)
        if any(j["kind"] == "slip" and j.get("state") in SLIP_DONE for j in jobs):
            return True
        # A slip F9's paperwork named is not out when the spool never had it: the station stopped between queuing the
        # label and the slip (the paperwork event is written first). That read as "no slip" and the order was packed
        # at the login, its parcel closed without a slip (the chaos run: 6 orders in 500 kills). A slip pruned from the
        # spool after its days (`done`, DONE_JOBS_KEPT_DAYS) says so by its `slip_printed` event.
        named = {jid for jid, kind in named_jobs if kind == "slip"}
        if not named and not any(j["kind"] == "slip" for j in jobs):
            return True  # no slip: a station whose slip printer is `none:`
        return any(ev.payload.get("job_id") in named
                   for ev in self.core.events.events(order_id=s.order_id, types=[EventType.SLIP_PRINTED]))

    def _locked(self, badge: str, where: str = LOGIN) -> Msg | None:
        """After too many wrong PINs even the right one is refused: said, with how long, or the person thinks the PIN
        is wrong and keeps trying (an unknown badge locks alike, so this tells no one which badges exist)."""
        left_ms = self.core.operators.locked_for_ms((badge or "").strip(), where)
        if left_ms <= 0:
            return None
        if where == OVERRIDE:  # the form's own lock: the supervisor still logs in (a packer's guesses locked both)
            return Msg("Too many wrong PINs in this form: overrides with this badge are locked for {minutes} min. The "
                       "supervisor can still log in.", minutes=math.ceil(left_ms / 60_000))
        return Msg("Too many wrong PINs: this badge is locked. Try again in {minutes} min.",
                   minutes=math.ceil(left_ms / 60_000))

    def _resume_for(self, op: Operator) -> list[OrderSession]:
        """Orders this operator left open: interrupted by a restart, or suspended by their own logout. Those they left
        with Esc stay in the queue, "paused" for them (after a restart too: it read "claimed" again)."""
        # stopped orders another operator left open here first: set aside behind this operator's own, said in red
        begun = self.station.begun_orders()  # read once for both
        theirs = self.station.stopped_left_by_others(
            op.id, self._picklist, lambda status, holder: status in ("cancelled", "held") or self._elsewhere(holder),
            begun)
        resumed = self.station.resume_open_orders(op.id, self._picklist, begun)  # a finished order's last event ends it
        if theirs and not resumed:  # none of their own: the last stopped one is at work, its STOP on screen
            self.station.activate(theirs[-1].order_id)
        resumed = theirs + resumed
        self._left.update(dict.fromkeys(self.station.left_open, op.id))
        for o in resumed:  # given to another station while its packer was away: back stopped, with what to put back
            if o.intercepted is None and (holder := self._held_elsewhere(o.order_id)) is not None:
                log.warning("order %s, left open here by %s, is held by station %s: it comes back stopped",
                            o.order_id, op.id, holder)
                o.mark_intercepted("claimed_elsewhere", "claimed elsewhere")
        return resumed

    def _held_elsewhere(self, order_id: str) -> str | None:
        """The station that holds this order at the OMS when it is not this one (as the last poll or claim heard it).
        The claim lost while nobody was at the order (its packer logged out) was said to no one: the order came back
        at their login "resumed where it was left" and was packed and labelled here too."""
        try:
            row = self.cache.row(order_id) if self.cache is not None and hasattr(self.cache, "row") else None
        except Exception:
            log.exception("cache lookup of %r failed", order_id)
            return None
        holder = row.get("claimed_by") if row else None
        return holder if self._elsewhere(holder) else None

    def _elsewhere(self, holder: str | None) -> bool:
        """A pick list's holder (its cached `claimed_by`) is another station."""
        return bool(holder) and holder != self.core.settings.station.id

    @_answers()
    def logout(self, why: str | None = None) -> Result:
        """Ctrl+L, @@LOGOUT, the logout button; `why` "idle" from `idle_check`."""
        if self.operator is None and self.screen == Screen.LOGIN:
            return self._done(Outcome.REFUSED, Change.NONE, None)
        at_work = self.station.active  # suspended last: the order at work again at the next login
        withdrawn: list[Msg] = []  # said on the login screen: which label did not print, and what to do
        for s in sorted(self.station.sessions.values(), key=lambda o: o is at_work):
            if (said := self._withdraw_paperwork(s, "logged out before the label came out")) is not None:
                withdrawn.append(said)
            # a stopped order too: it comes back stopped at the next login, its put-back list and Esc with it (closed
            # as "intercepted" it was never resumed nor given back, its units left in the tote unsaid)
            self.station.close_order(s.order_id, reason="logout",
                                     idle_ns=max(0, self.mono_ns() - self._input_ns) if why == "idle" else 0)
        self.station.logout(why)
        self.screen = Screen.LOGIN
        self.prompt = None
        self.pending_badge = None
        self._printing = None
        self.idle_notice = None
        self._new_parcel()
        return self._done(Outcome.DONE, Change.ALL, say(Level.HINT, Joined(withdrawn, " ")) if withdrawn else None)

    # == idle logout =====================================================================================
    def note_input(self) -> None:
        """A key, a click or a scan at the station (the window's key filter calls this for every key, click and touch;
        the controller at every scan, key and login): someone is here, and the idle logout counts from now. Its
        countdown goes."""
        self._input_ns = self.mono_ns()
        if self.idle_notice is not None:
            self.idle_notice = None
            self._emit(Change.IDLE)

    @_answers()
    def idle_check(self) -> Result:
        """Called about once a second (the window's timer). A station left logged in is worked under the wrong name:
        the next person's scans, errors and orders count as the first one's, and per-operator error figures are only
        as true as who was logged in. After `idle_logout_s` with no key, click or scan the operator is logged out as by
        Ctrl+L: open orders are suspended and come back at their next login. The last IDLE_WARN_S seconds are counted
        down over every screen (`idle_notice`); any key stays. Never while a label F9 sent has not come out (paper
        out: the packer is at the printer, and a logout would withdraw the label)."""
        op = self.operator
        if not self.idle_logout_s or op is None:
            return Result(outcome=Outcome.DONE, changes=Change.NONE)
        now = self.mono_ns()
        if any(self._label_sent(s) for s in self.station.sessions.values()):
            self._input_ns = now
        left_s = self.idle_logout_s - (now - self._input_ns) / 1e9
        minutes = _minutes(self.idle_logout_s)
        if left_s > min(IDLE_WARN_S, self.idle_logout_s / 2):  # a limit of a minute or less: its last half
            return Result(outcome=Outcome.DONE, changes=Change.NONE)
        if left_s > 0:
            # the limit said as the limit: "No scan or key for 15 min" read as 15 minutes gone, with 14 gone
            notice = Msg("{name} is logged out in {seconds} s: {minutes} min without a scan or a key. Press any key to "
                         "stay logged in.", minutes=minutes, name=op.name or op.badge, seconds=math.ceil(left_s))
            if notice == self.idle_notice:
                return Result(outcome=Outcome.DONE, changes=Change.NONE)
            self.idle_notice = notice
            return self._done(Outcome.DONE, Change.IDLE)
        kept = [s.picklist.order_no or s.order_id for s in self.station.sessions.values()
                if not s.intercepted and s.step != Step.DONE]
        log.info("operator %s logged out after %s min without a key or a scan (orders kept: %s)", op.id, minutes,
                 ", ".join(kept) or "none")
        res = self.logout("idle")
        if not res.ok:
            return res
        said = [Msg("{name} was logged out: no scan or key for {minutes} min.", name=op.name or op.badge,
                    minutes=minutes)]
        if kept:
            said.append(Msg("Open orders kept for their next login: {orders}.", orders=", ".join(kept)))
        return self._done(Outcome.DONE, Change.FEEDBACK, say(Level.HINT, Joined(said, " ") if len(said) > 1
                                                               else said[0]))

    def _still_allowed(self, op: Operator) -> Result:
        """The OMS's operator list changed: the person logged in here may have been withdrawn (left the company, a
        lost badge). They went on working, and recording under their name, until they logged out themselves; now
        they are logged out as by Ctrl+L, their open orders suspended for another packer to carry on, said."""
        try:
            now = self.core.operators.by_id(op.id)  # one row
        except Exception:
            log.exception("operator %s not read after the OMS's list changed", op.id)
            return Result(outcome=Outcome.DONE, changes=Change.NONE)
        if now is not None and now.active:
            return Result(outcome=Outcome.DONE, changes=Change.NONE)
        kept = [s.picklist.order_no or s.order_id for s in self.station.sessions.values()
                if not s.intercepted and s.step != Step.DONE]
        log.warning("operator %s withdrawn at the OMS while logged in here: logged out (orders kept: %s)", op.id,
                    ", ".join(kept) or "none")
        res = self.logout("withdrawn")
        if not res.ok:
            return res
        said = [Msg("{name} can no longer work at this station (withdrawn at the OMS): logged out.",
                    name=op.name or op.badge)]
        if kept:
            said.append(Msg("Open orders kept: {orders}. Another packer carries on with them from the queue.",
                            orders=", ".join(kept)))
        return self._done(Outcome.DONE, Change.FEEDBACK, say(Level.HINT, Joined(said, " ")))

    def start_work(self) -> Result:
        if self.operator is None:
            return self._refuse(Msg("Log in first: scan your badge, then type your PIN."))
        return self.show_queue()

    @_answers()
    def show_queue(self) -> Result:
        if self.operator is None:
            return self._refuse(Msg("Log in first: scan your badge, then type your PIN."))
        came = self.screen != Screen.QUEUE
        self.screen = Screen.QUEUE
        self.prompt = None
        self.refresh_queue()
        # what another screen said is not the queue's (F2 on the check: "Start work first (Enter)." stayed over it)
        return self._done(Outcome.DONE, Change.SCREEN | Change.PROMPT | Change.QUEUE, None if came else False)

    @_answers()
    def show_supervisor(self) -> Result:
        op = self.operator
        if op is None or not op.is_supervisor:
            return self._refuse(Msg("Supervisors only: the figures need a supervisor badge."))
        if self.screen == Screen.WORK and self.session is not None:  # F7 at an open order: said, not swallowed
            return self._refuse(Msg("The figures open from the order list: Esc leaves this order (its work is kept), "
                                    "then F7."))
        self.screen = Screen.SUPERVISOR
        return self._done(Outcome.DONE, Change.SCREEN, None)

    def back(self) -> Result:
        """Esc / @@BACK: close a prompt, leave an order, or go from the supervisor figures to the queue."""
        if self.prompt is not None:
            return self.cancel_prompt()
        if self.screen == Screen.WORK:
            return self.leave_order()
        if self.screen == Screen.SUPERVISOR:
            return self.show_queue()
        return self._refuse(Msg("Nothing to go back to here."))

    # == queue and orders ================================================================================
    def refresh_queue(self) -> None:
        if self.cache is None:
            return

        def done(items: Any) -> None:
            if isinstance(items, Exception):
                log.error("queue not readable: %s", items)
                return
            self._set_queue(items)

        cache = self.cache

        def read() -> list[PickList]:
            items = cache.open_picklists()
            address.warm_up(pl.ship_to.country for pl in items)  # their countries' address layouts, off the GUI thread
            return items

        self.run_io(read, done)

    def _set_queue(self, items: list[PickList]) -> None:
        # the OMS's urgent ones first, then by the latest ship time (the earliest first; none: after those that have one)
        self.queue = sorted((p for p in items if p.id not in self._finished and p.status not in ("cancelled", "done")
                             and not self._still_stopped(p)),
                            key=lambda p: (-p.priority, p.ship_by_ms is None, p.ship_by_ms or 0, p.order_no))
        self._emit(Change.QUEUE)

    def _still_stopped(self, pl: PickList) -> bool:
        """Given back at its STOP here and not listed by the OMS since (the same version in the cache)."""
        return pl.id in self._stopped and self._stopped[pl.id] == pl.updated_at

    def _cached_version(self, s: OrderSession) -> str | None:
        return (self._cached(s.order_id) or s.picklist).updated_at

    def _cached(self, order_id: str) -> PickList | None:
        """The pick list as the cache has it now (by id); None when it has none or cannot be read (logged)."""
        if self.cache is None:
            return None
        try:
            return self.cache.get(order_id)
        except Exception:
            log.exception("cache lookup of %s failed", order_id)
            return None

    def _picklist(self, code: str) -> PickList | None:
        if self.cache is not None:
            try:
                pl = self.cache.find_by_code(code) if hasattr(self.cache, "find_by_code") else self.cache.get(code)
            except Exception:
                log.exception("cache lookup of %r failed", code)
                pl = None
            if pl is not None:
                return pl
        return self.station.cached_picklist(code)

    @_answers()
    def open_order(self, code: str, *, caps_lock: bool = False) -> Result:
        """Open the order with this id / order number (queue Enter, an order barcode): claim, then work.
        `caps_lock`: its barcode was read with Caps Lock on (said with where to start)."""
        if self.operator is None:
            return self._refuse(Msg("Log in first: scan your badge, then type your PIN."))
        code = (code or "").strip()
        s = self.session
        if s is not None and self.screen == Screen.WORK and code in (s.order_id, s.picklist.order_no):
            return self._refuse(Msg("Order {order} is already open.", order=s.picklist.order_no))
        if code in self.station.sessions:  # open on this station: switch to it
            return self._activate(self.station.sessions[code])
        pl = self._picklist(code)
        if pl is None:
            return self._refuse(Msg("No open order with barcode {code}.", code=code), Level.ERROR)
        if pl.id in self.station.sessions:
            return self._activate(self.station.sessions[pl.id])
        if pl.status in ("cancelled", "held"):  # before "packed": a cancelled order left at its STOP is among those
            self._set_queue([p for p in self.queue if p.id != pl.id])
            return self._refuse(Msg("Order {order} was {status} by the OMS: do not pick it.", order=pl.order_no,
                                    status=words.status_words(pl.status)), Level.ERROR, Change.QUEUE)
        if self._still_stopped(pl):  # a cancelled one said "already packed", sending people to look for a parcel
            return self._refuse(Msg("Order {order} was stopped by the OMS and given back at its STOP: do not pick it.",
                                    order=pl.order_no), Level.ERROR, Change.QUEUE)
        if pl.id in self._finished or pl.status == "done":
            if pl.id in self._handed_back:
                said = Msg("Order {order} was handed back to the OMS: nothing of it was found.", order=pl.order_no)
            elif self._has_label(pl.id):  # its parcel may need its label again: F12 now means this order
                self.last_order_id, self.last_order_no = pl.id, pl.order_no
                said = Msg("Order {order} is already packed. F12 reprints its label.", order=pl.order_no)
            else:
                said = Msg("Order {order} is already packed.", order=pl.order_no)
            return self._refuse(said, Level.ERROR, Change.QUEUE)
        if self._opening is not None:
            return self._refuse(Msg("An order is being opened: one moment."))
        if self.sync is None:
            return self._opened(pl, None, caps_lock)
        op = self.operator
        self._opening = pl.id
        self.run_io(lambda: self.sync.claim(pl.id, op.id), lambda res: self._claimed(pl, op, res, caps_lock))
        if self._opening is None:  # the claim answered synchronously
            return Result(outcome=Outcome.DONE, changes=Change.ORDER, feedback=self.feedback)
        # said at once: a slow OMS took seconds to answer the claim, with nothing on the screen (the scan seemed lost)
        return self._done(Outcome.PENDING, Change.NONE, say(Level.INFO, Msg("Opening order {order}: asking the OMS…",
                                                                          order=pl.order_no or pl.id)))

    @_answers()  # the OMS's answer, later, from the window's task queue: a failure here is said, as at a key
    def _claimed(self, pl: PickList, op: Operator, res: Any, caps_lock: bool = False) -> None:
        self._opening = None
        held, self._held = self._held, []
        if self.operator is None or self.operator.id != op.id:
            if held:
                log.info("%d scans held while order %s opened dropped: its operator logged out", len(held), pl.id)
            return  # logged out meanwhile: nothing opens without its operator
        if isinstance(res, Exception):
            self._refuse(self._not_counted(Msg("The order could not be claimed: {error}", error=_said(res)), held),
                         Level.ERROR)
            return
        if not res.ok:
            self.refresh_queue()
            self._done(Outcome.REFUSED, Change.QUEUE, say(Level.ERROR, self._not_counted(res.message, held)))
            return
        self._opened(pl, res, caps_lock)
        for raw in held:  # in the order they were made, each answered as it would have been with the order open
            if self.screen != Screen.WORK or self.session is None or self.session.order_id != pl.id:
                break
            self._work_scan(raw)

    @staticmethod
    def _not_counted(said: Msg, held: list[RawScan]) -> Msg | Joined:
        """Why the order did not open, and how many scans held for it were not counted (when any were)."""
        if not held:
            return said
        log.info("%d scans held while an order opened not counted: the order did not open", len(held))
        return Joined([said, Msg("{count} scans made meanwhile were not counted.", count=len(held))], " ")

    def _hold(self, raw: RawScan) -> Result:
        """A scan made while the OMS answers the claim of the order just scanned: held, and counted once the order
        opens (not an error of scanning with no order open: the packer was quicker than the OMS)."""
        if len(self._held) >= HELD_SCANS_MAX:
            return self._refuse(Msg("An order is being opened: one moment."))
        self._held.append(raw)
        pl = self._cached(self._opening or "")
        return self._done(Outcome.PENDING, Change.NONE, say(Level.INFO, Msg(
            "Opening order {order}: that scan counts once it is open.",
            order=(pl.order_no if pl is not None else None) or self._opening)))

    def _opened(self, pl: PickList, claim: Any, caps_lock: bool = False) -> Result:
        before = self._state()
        prev = self.session if self.screen == Screen.WORK else None
        first = Step.PICK if self.station.steps and self.station.steps[0] == Step.PICK else None
        s = self.station.open_order(pl, first)
        self.screen = Screen.WORK
        self.prompt = None
        # where to start, instead of an empty panel above the lines; offline, that the claim is provisional too
        provisional = claim is not None and claim.provisional
        again = self._print_again_note(s)
        self._left.pop(s.order_id, None)
        more = again + ([claim.message] if provisional else []) + ([CAPS_LOCK] if caps_lock else [])
        withdrawn = self._withdraw_paperwork(prev if prev is not s else None, "another order opened")
        more += [withdrawn] if withdrawn is not None else []
        # another operator's order, left open at their logout: taken over with their counts, said (it went on
        # without a word, and the next packer could not tell the counts were not theirs)
        theirs = s.resumed and s.suspended_by and self.operator is not None and s.suspended_by != self.operator.id
        if theirs:
            who = self.core.operators.by_id(s.suspended_by)
            more.append(Msg("{name} left it open: you carry on with their counts.",
                            name=(who.name or who.badge) if who else s.suspended_by))
        fb = self._where(s, said="resumed" if s.resumed else "open", more=more,
                         hint=caps_lock or withdrawn is not None or bool(again) or bool(theirs))  # amber: to be read
        self._provisional_fb = fb if provisional else None
        ch = Change.SCREEN | Change.PROMPT | Change.ORDER | self._after(before)
        return self._done(Outcome.DONE, ch, fb)

    @staticmethod
    def _where(s: OrderSession, *, said: str, more: list[Msg] | None = None, hint: bool = False) -> Feedback:
        """Which order is at work (`said`: "open" when new, "resumed" when reopened, "switched" when the packer came
        back to it), its step and, while picking, the bin to go to; an OMS warning on the address comes with it
        (amber: the packer checks the address before the label goes on), as `hint` asks."""
        where = dict(order=s.picklist.order_no or s.order_id, step=words.step_name(s.step))
        if said == "open":
            parts = [Msg("Order {order} is open: {step}.", **where)]
        elif said == "resumed":
            parts = [Msg("Order {order} resumed where it was left: {step}.", **where)]
        else:
            parts = [Msg("Switched to order {order}: {step}.", **where)]
        line = s.current_line() if s.step == Step.PICK else None
        if line is not None and line.bin:
            parts.append(Msg("Start at bin {bin}.", bin=line.bin) if said == "open"
                         else Msg("Next bin {bin}.", bin=line.bin))
        parts += more or []
        warnings = s.picklist.ship_to.warnings
        if warnings:
            parts.append(Msg("Check the address: {warning}.", warning="; ".join(warnings)))
        return say(Level.HINT if warnings or hint else Level.INFO, Joined(parts, " ") if len(parts) > 1 else parts[0])

    def _activate(self, s: OrderSession) -> Result:
        before = self._state()
        prev = self.session if self.screen == Screen.WORK else None
        self.station.activate(s.order_id)
        self.screen = Screen.WORK
        self.prompt = None
        ch = Change.SCREEN | Change.PROMPT | Change.ORDER | self._after(before)
        withdrawn = self._withdraw_paperwork(prev if prev is not s else None, "another order opened")
        if s.intercepted:  # stopped while set aside: its STOP, not a blue "switched to order …: Pick"
            return self._done(Outcome.STOPPED, ch, words.stop_message(s))
        more = self._print_again_note(s) + ([withdrawn] if withdrawn is not None else [])
        return self._done(Outcome.DONE, ch, self._where(s, said="switched", more=more, hint=bool(more)))

    def leave_order(self) -> Result:
        s = self.session
        if s is None:
            return self._refuse(Msg("No order is open."))
        said = None
        withdrawn = self._withdraw_paperwork(s, "order left before its label came out")
        if s.intercepted:
            self.station.close_order(s.order_id, reason="intercepted")
            s._append(EventType.PICKLIST_RELEASED, {"reason": "intercepted"})
            self._stopped[s.order_id] = self._cached_version(s)  # not back in the queue until the OMS offers it again
        elif s.nothing_found:
            self.station.hand_back(s.order_id)
            self._finished.add(s.order_id)  # nor an order of which nothing was found (after a restart too)
            self._handed_back.add(s.order_id)
            said = say(Level.INFO, Msg("Order {order} handed back to the OMS: nothing of it was found, nothing was "
                                       "packed.", order=s.picklist.order_no))
        else:
            self.station.close_order(s.order_id, reason=LEFT)
            if self.operator is not None:
                self._left[s.order_id] = self.operator.id
            said = say(Level.HINT, withdrawn) if withdrawn is not None else None
        self.last_order_id, self.last_order_no = s.order_id, s.picklist.order_no
        self._printing = None
        self.screen = Screen.QUEUE
        self.prompt = None
        self._new_parcel()
        self.refresh_queue()
        return self._done(Outcome.DONE, Change.SCREEN | Change.ORDER | Change.PROMPT | Change.QUEUE, said)

    def _finish(self, s: OrderSession, *, at_work: bool = True) -> Change:
        """The order is packed: out of the queue for good. `at_work=False`: it was not the order at work (its label
        came out after the packer moved on), so the screen, the prompt and the message are not this order's to change."""
        oid = s.order_id
        self._finished.add(oid)
        self._print_again.discard(oid)
        self._left.pop(oid, None)
        self.station.close_order(oid)
        self.last_order_id, self.last_order_no = oid, s.picklist.order_no
        if self._printing == oid or at_work:
            self._printing = None
        if self.cache is not None:
            try:
                self.cache.set_status(oid, "done", claimed_by=self.core.settings.station.id)
            except Exception:
                log.exception("cache: order %s not marked done", oid)
        self._set_queue([p for p in self.queue if p.id != oid])
        self.refresh_queue()
        if not at_work:
            self._destination.pop(oid, None)
            return Change.ORDER | Change.QUEUE
        self.screen = Screen.QUEUE
        self.prompt = None
        self._new_parcel()
        packed = Msg("Order {order} is packed. Scan the next order.", order=s.picklist.order_no)
        note = self._destination.pop(oid, None)  # an address or carrier the OMS changed: said with the parcel done
        if note is None:
            self.feedback = say(Level.OK, packed)
        else:  # another carrier: the parcel goes elsewhere, said in red (in amber, beside "packed", it went unseen)
            self.feedback = say(Level.ERROR if note[1] else Level.HINT, Joined([note[0], packed], " "))
        return Change.SCREEN | Change.ORDER | Change.STEP | Change.QUEUE | Change.FEEDBACK | Change.PROMPT

    # == scans ===========================================================================================
    @_answers()
    def scan(self, raw: RawScan | str) -> Result:
        """Every scan is evaluated, also while an error is shown (the scan acknowledges it)."""
        self.note_input()
        if not isinstance(raw, RawScan):
            raw = RawScan(str(raw), ScanSource.HID, None)
        if not self.across_devices.accept(raw):  # the read before it, by another device, counted it
            log.info("scan %r from %s dropped: the same code was read by another device just before",
                     str(raw.text)[:80], raw.source)
            return self._done(Outcome.REFUSED, Change.NONE)
        text = raw.text.strip() if isinstance(raw.text, str) else ""
        if self.screen == Screen.LOGIN or self.operator is None:
            if text.startswith("@@"):
                return self._refuse(Msg("Log in first: scan your badge, then type your PIN."))
            return self.badge_scanned(text)
        if self.prompt is not None and self.prompt.kind == "override" and not text.startswith("@@"):
            if (what := self.station.not_a_badge(text)) is not None:  # an item, not the supervisor's badge: said now
                return self._refuse(Msg("That is the barcode of {what}, not a supervisor's badge: scan the "
                                        "supervisor's badge.", what=what[1]), Level.ERROR)
            self.pending_badge = text  # the supervisor's badge for the open override prompt (a credential)
            return self._done(Outcome.ASKED, Change.PROMPT, False)
        if self.screen == Screen.WORK and self.session is not None:
            return self._work_scan(raw)
        return self._other_scan(raw, text)

    def _not_here(self) -> Msg:
        """What an order's action (a barcode or a key) gets on a screen with no order at work."""
        if self.screen == Screen.QUEUE and (paused := self._paused_here()):
            # one listed "paused" is open here: it read "No order is open" beside it
            return Msg("No order is at work: {orders} paused — scan its barcode or choose it (Enter).",
                       orders=", ".join(paused))
        return {Screen.CHECK: Msg("Start work first (Enter)."),
                Screen.SUPERVISOR: Msg("Back to the queue first (Esc).")}.get(
            self.screen, Msg("No order is open: scan an order's barcode first."))

    def _paused_here(self) -> list[str]:
        """The numbers of the queue's orders that read "paused" for the operator (`queue_status`), at most three."""
        return [p.order_no or p.id for p in self.queue if self.queue_status(p) == "paused"][:3]

    def _other_scan(self, raw: RawScan, text: str) -> Result:
        """Check, queue and supervisor screens: order barcodes open, action barcodes act or answer."""
        if self._opening is not None and self.screen == Screen.QUEUE and not text.startswith("@@") \
                and self._picklist(text) is None:
            return self._hold(raw)  # an item or a bin of the order being opened, scanned before the OMS answered
        v = self.station._scan(raw, None)  # one scan, one event, one verdict
        if v.kind == VerdictKind.ACTION or text.startswith("@@"):
            act = parse_action(text)
            name = act.name if act else ""
            if name == "logout":
                return self.logout()
            if name == "back":
                return self.back()
            if name == "ack":
                return self.acknowledge()
            if name in ("reprint", "reprint_reason") and self.screen == Screen.QUEUE:
                return self.reprint(act.arg) if act.arg else self.open_prompt("reprint")
            return self._done(Outcome.REFUSED, Change.NONE, say(Level.HINT, self._not_here()), verdict=v)
        if v.kind == VerdictKind.ORDER_SELECTED:
            oid = v.other_order_id or v.details.get("order_id") or text
            return self.open_order(oid, caps_lock=bool(v.details.get("caps_lock")))
        if v.kind == VerdictKind.NO_ORDER and (note := self._badge_note(text)) is not None:
            return self._done(Outcome.REFUSED, Change.NONE, note, verdict=v)
        if v.kind == VerdictKind.NO_ORDER and self._unknown_here(text):
            # an order number the station has not pulled (yet), a typo: it read "No order is open: scan an order's
            # barcode first (SO-9999)" to a packer who had just scanned one
            return self._done(Outcome.REFUSED, Change.NONE, say(Level.ERROR, Msg(
                "No order {code} on this station's list: check the barcode. A new order comes with the next sync.",
                code=visible_text(text))), verdict=v)
        if v.kind == VerdictKind.NO_ORDER or v.kind == VerdictKind.OTHER_ORDER:
            return self._done(Outcome.REFUSED, Change.NONE,
                              say(Level.ERROR, Msg("No order is open: scan an order's barcode first ({code}).",
                                                   code=visible_text(text))), verdict=v)
        return self._done(Outcome.REFUSED, Change.NONE, Feedback(Level.ERROR, v.message, v), verdict=v)

    def _work_scan(self, raw: RawScan) -> Result:
        s = self.session
        assert s is not None
        before = self._state()
        v = self.station.scan(raw)  # durable event committed before anything is shown
        if v.kind == VerdictKind.ACTION:
            return self._work_action(v, before)
        if v.kind == VerdictKind.ORDER_SELECTED:
            oid = v.other_order_id or v.details.get("order_id")
            if oid == s.order_id:
                return self._done(Outcome.REFUSED, Change.NONE,
                                  say(Level.HINT, Msg("Order {order} is already open.", order=s.picklist.order_no)),
                                  verdict=v)
            return self.open_order(oid or "", caps_lock=bool(v.details.get("caps_lock")))
        if v.kind == VerdictKind.INTERCEPTED:
            act = parse_action(v.code or "")
            if act is not None and act.name in ("back", "cancel"):  # leaving a stopped order is allowed
                return self.back()
            fb = words.stop_message(s)
            if v.line_id in s.picklist_lines:  # one more unit in hand: the put-back list named only those counted
                ln = s.picklist_lines[v.line_id]
                fb = Feedback(fb.level, Joined([Msg("Put that one back too: {sku} {name} → bin {bin}.", sku=ln.sku,
                                                    name=ln.name, bin=ln.bin or "-"), fb.message], " "))
            return self._done(Outcome.REFUSED, Change.ORDER, fb, verdict=v)
        if v.kind == VerdictKind.UNKNOWN and (note := self._badge_note(raw.text)) is not None:
            return self._done(Outcome.REFUSED, Change.NONE, note, verdict=v)
        ch = Change.LINES | self._after(before) | self._follow_scans(s, v.line_id)
        level = Level.OK if v.ok else Level.ERROR
        return self._done(Outcome.DONE if v.ok else Outcome.REFUSED, ch, Feedback(level, v.message, v), verdict=v)

    def _follow_scans(self, s: OrderSession, line_id: str | None) -> Change:
        """An open short-pick prompt follows its line's scans (`line_id`: the line a scan or an undo was about; one
        found and scanned while the prompt was up, or undone): its "found" is what is scanned; the line complete after
        all, it closes (nothing is short). Another line's scan leaves it as it is."""
        p = self.prompt
        if p is None or p.kind != "short_pick" or line_id is None or line_id != p.line_id:
            return Change.NONE
        lp = s.progress.get(p.line_id or "")
        if lp is None or lp.complete:
            self.prompt = None
            return Change.PROMPT
        found = min(lp.scanned, max(0, p.max_qty - 1))
        if found == p.found:
            return Change.NONE
        self.prompt = Prompt(p.kind, p.line_id, p.max_qty, found)
        return Change.PROMPT

    def _unknown_here(self, text: str) -> bool:
        """Neither an order this station holds nor a product of its catalogue (once indexed: until then nothing is
        called unknown), nor anyone's badge."""
        try:
            return bool(text) and self.station.catalog.ready and self.station.not_a_badge(text) is None \
                and self.station.core.operators.by_badge(text) is None
        except Exception:  # the store unreadable: the verdict's own message stands
            log.exception("lookup of %r failed", text[:80])
            return False

    def _badge_note(self, text: object) -> Feedback | None:
        """A badge scanned while someone is logged in — the next shift's packer at a station nobody logged out of, a
        supervisor come to help — said as such (amber), instead of "no order open" or "unknown barcode". Its scan
        event is stored as the verifier judged it. None when the text is nobody's badge."""
        badge = text.strip() if isinstance(text, str) else ""
        if not badge or len(badge) > 128 or self.operator is None:
            return None
        try:
            who = self.station.core.operators.by_badge(badge)
        except Exception:  # the store unreadable: the verdict's own message stands
            log.exception("badge lookup failed")
            return None
        if who is None or not who.active:  # a badge that cannot log in is no help to name
            return None
        if who.id == self.operator.id:
            return say(Level.HINT, Msg("{badge} is your badge: you are logged in.", badge=badge))
        if who.is_supervisor and self.session is not None and self.screen == Screen.WORK:
            return say(Level.HINT, Msg("{badge} is the badge of {name}, a supervisor: F11 asks for an override. To "
                                       "change operator, log out first (Ctrl+L).", badge=badge, name=who.known_as))
        return say(Level.HINT, Msg("{badge} is the badge of {name}. {current} is logged in here: log out first "
                                   "(Ctrl+L) to change operator.", badge=badge, name=who.known_as,
                                   current=self.operator.known_as))

    def _work_action(self, v: ScanVerdict, before: tuple[str | None, Step | None]) -> Result:
        s = self.session
        assert s is not None
        a = v.action
        act = parse_action(v.code) if v.code else None
        arg = act.arg if act else None
        if a == "complete_step":
            if v.details.get("blocked"):
                if s.step == Step.LABEL or (s.step == Step.WEIGH and self._weigh_then_print_possible()):
                    return self.print_paperwork()
                return self._blocked(v)
            return self._stepped(before, v)
        if a == "undo":
            return self._done(Outcome.DONE, Change.LINES, Feedback(Level.INFO, v.message, v), verdict=v)
        handlers: dict[str, Callable[[], Result]] = {
            "short_pick": lambda: self.open_prompt("short_pick"),
            "short_reason": lambda: self._short_by_code(arg),
            "carton": lambda: self.choose_carton(arg or ""),
            "reprint": lambda: self.open_prompt("reprint"),
            "reprint_reason": lambda: self.reprint(arg),
            "gift_confirm": self.confirm_gift,
            "record_weight": self.record_weight,
            "print": self.print_paperwork,
            "override": lambda: self.open_prompt("override"),
            "back": self.back,
            "cancel": self.cancel_prompt,
            "logout": self.logout,
            "ack": self.acknowledge,
        }
        fn = handlers.get(a or "")
        if fn is None:
            return self._refuse(Msg("That barcode does nothing here."))
        return fn()

    def _blocked(self, v: ScanVerdict | None = None) -> Result:
        s = self.session
        assert s is not None
        left = words.blockers(s, scale_fault=self._scale_fault)
        return self._done(Outcome.BLOCKED, Change.NONE,
                          say(Level.HINT, Msg("{step} is not finished: {blockers}", step=words.step_name(s.step),
                                              blockers=Joined(left))), verdict=v)

    def _stepped(self, before: tuple[str | None, Step | None], v: ScanVerdict | None = None) -> Result:
        s = self.session
        assert s is not None
        ch = Change.STEP | Change.LINES | self._after(before)
        if s.step == Step.DONE:
            ch |= self._finish(s)
            return self._done(Outcome.DONE, ch, False, verdict=v)
        if s.step == Step.LABEL and self._printing is None and not s.label_printed:
            hint = say(Level.INFO, Msg("Weight done. Now: Label — press F9 to print the label and slip.")) \
                if before[1] == Step.WEIGH else None
            if hint is not None:
                return self._done(Outcome.DONE, ch, hint, verdict=v)
        return self._done(Outcome.DONE, ch, say(Level.OK, Msg("{step} done. Now: {next}.", step=words.step_name(before[1]),
                                                              next=words.step_name(s.step))), verdict=v)

    # == keys ============================================================================================
    @_answers()
    def key(self, name: str, *, at_ns: int | None = None) -> Result:
        """A key press on the station (F2…F12, Enter, Escape, 1…5, Up, Down, "typed": a person's other character).
        `at_ns`: when a person pressed it (monotonic), given by the screens for character keys: a run of them is a code
        keyed by hand (`_keyed_run`)."""
        self.note_input()
        if name == "Logout":
            return self.logout()
        if self.operator is None:
            return self._done(Outcome.REFUSED, Change.NONE, False)
        if name == "Escape":
            self._char = None
            return self.back()
        if (typing := self._keyed_run(name, at_ns)) is not None:
            return typing
        if self.screen == Screen.CHECK and name == "Enter":
            return self.start_work()
        if self.prompt is not None and self.prompt.kind == "short_pick":
            if name in ("1", "2", "3", "4"):
                res = self.short_pick(SHORT_REASONS[int(name) - 1])
                if res.outcome == Outcome.DONE and self._char is not None:  # taken back if a code follows
                    self._char = self._char._replace(short_seq=self.core.events.last(EventType.SHORT_PICK).seq)
                return res
            if name in ("Up", "Down"):
                return self.adjust_found(1 if name == "Up" else -1)
        if self.prompt is not None and self.prompt.kind == "reprint" and name in ("1", "2", "3", "4"):
            return self.reprint(REPRINT_REASONS[int(name) - 1])
        if self.screen == Screen.QUEUE and name == "F12":
            return self.open_prompt("reprint")
        if self.screen != Screen.WORK or self.session is None:
            if name in (*WORK_KEYS, "F12"):  # an order's key with no order at work: said as its barcode would be
                return self._refuse(self._not_here())
            return self._other_key(name)
        if name in ("1", "2", "3", "4", "5"):
            return self.choose_carton(CARTONS[int(name) - 1].code)
        keys: dict[str, Callable[[], Result]] = {
            "F2": lambda: self.open_prompt("short_pick"),
            "F3": self.confirm_gift,
            "F4": self.undo,
            "F8": self.record_weight,
            "F9": self.print_paperwork,
            "F10": self.complete_step,
            "F11": lambda: self.open_prompt("override"),
            "F12": lambda: self.open_prompt("reprint"),
            "Enter": self.acknowledge,  # a person's Enter (a scanner's ends its scan) acknowledges a red panel
            "F7": self.show_supervisor,  # the queue's key for the figures: at an order, says where they open
            # a person's other characters (a barcode keyed by hand): answered, not swallowed, and not counted — the
            # check is of the item in hand, so an item that will not scan is a supervisor's (F11)
            "typed": lambda: self._refuse(TYPED_KEYS),
        }
        fn = keys.get(name)
        return fn() if fn else self._other_key(name)

    def _other_key(self, name: str) -> Result:
        """A function key the station has no use for (F1, F5, F6 at an order): said, not swallowed — the packer pressed
        it for something and saw nothing happen. Other names (arrows outside a prompt) stay unanswered."""
        if name[:1] == "F" and name[1:].isdigit():
            return self._refuse(Msg("{key} does nothing here. The station's keys are written on its buttons.", key=name))
        return self._done(Outcome.REFUSED, Change.NONE, False)

    def _keyed_run(self, name: str, now: int | None) -> Result | None:
        """A character key that follows another within TYPING_GAP_NS is a code keyed by hand: not a carton, not a
        reason — answered as typed keys are. One key twice is a key pressed twice (its choice again). A short
        pick the run's first key recorded is taken back (F4's undo): a code that began with 1–4 keyed at the form
        recorded one unseen, its message replaced by the next key's. A carton the first key chose stays, said."""
        last = self._char
        if name not in CHAR_KEYS or now is None:
            self._char = None
            return None
        if last is None or now - last.at_ns > TYPING_GAP_NS or (last.place == 1 and name == last.name != "typed"):
            self._char = _Keyed(name, now, 1, last.short_seq if last is not None and name == last.name else None)
            return None
        self._char = _Keyed(name, now, last.place + 1)
        if last.place > 1:  # said at the run's second key: what that said stays on the screen
            return self._done(Outcome.REFUSED, Change.NONE, False)
        said: list[Msg] = [TYPED_KEYS]
        s = self.session
        if last.short_seq is not None and s is not None and self.screen == Screen.WORK:
            v = s.undo_last() if s.last_undoable() == last.short_seq else None
            if v is not None:
                said.append(Msg("The short pick the first of them recorded is taken back."))
                return self._done(Outcome.REFUSED, Change.LINES | self._follow_scans(s, v.line_id),
                                  say(Level.HINT, Joined(said, " ")), verdict=v)
        if s is not None and self.screen == Screen.WORK and s.step == Step.PACK and s.carton and last.name != "typed":
            label = next((c.label for c in CARTONS if c.code == s.carton), s.carton)
            said.append(Msg("The carton is {carton}: press 1–5 to change it.", carton=label))
        return self._refuse(Joined(said, " "))

    # == steps and exceptions ============================================================================
    def _need_work(self) -> Result | None:
        if self.operator is None:
            return self._refuse(Msg("Log in first."))
        s = self.session
        if s is None or self.screen != Screen.WORK:
            return self._refuse(Msg("No order is open: scan an order's barcode first."))
        if s.intercepted:
            return self._done(Outcome.STOPPED, Change.NONE, words.stop_message(s))
        return None

    def complete_step(self) -> Result:
        if (r := self._need_work()) is not None:
            return r
        s = self.session
        assert s is not None
        if s.step == Step.LABEL:
            return self.print_paperwork()
        if s.nothing_found:
            return self._done(Outcome.BLOCKED, Change.NONE, say(Level.HINT, words.nothing_found_message(s)))
        before = self._state()
        if s.step == Step.WEIGH and self._moved_weight(s) is not None:  # as F9: the weight on the scale is checked
            rec = self.record_weight()  # (F10 completed the step on the weight recorded before something went in)
            if rec.outcome != Outcome.DONE:
                return rec
        try:
            s.complete_step()
        except StepBlocked:
            return self._blocked()
        return self._stepped(before)

    def undo(self) -> Result:
        if (r := self._need_work()) is not None:
            return r
        s = self.session
        assert s is not None
        v = s.undo_last()
        if v is None:
            return self._refuse(Msg("Nothing to undo in this step."))
        return self._done(Outcome.DONE, Change.LINES | self._follow_scans(s, v.line_id),
                          Feedback(Level.INFO, v.message, v), verdict=v)

    def open_prompt(self, kind: str) -> Result:
        if kind == "reprint":
            target = self._reprint_order()
            if target is None:
                return self._refuse(self._nothing_to_reprint(), cls=ReprintResult)
            if (stop := self._stopped_here(*target)) is not None:
                return self._refuse(stop, Level.STOP, cls=ReprintResult)
            self.prompt = Prompt("reprint")
            # which order, and what 1–4 mean: on the queue no buttons show them, and the order reprinted is the last
            # one packed, not the row that is chosen there
            order = target[1]
            reasons = Joined([Joined([str(i), Msg(name)], sep=" ")
                              for i, name in enumerate(words.REPRINT_REASON_NAMES.values(), 1)])
            return self._done(Outcome.ASKED, Change.PROMPT,
                              say(Level.HINT, Msg("Reprint the label of order {order}: why? {reasons} (or a reason "
                                                  "barcode; recorded).", order=order, reasons=reasons)))
        if (r := self._need_work()) is not None:
            return r
        s = self.session
        assert s is not None
        if kind == "short_pick":
            cur = s.current_line() if s.counting_step is not None or s.step == Step.PACK else None
            if cur is None:
                return self._refuse(Msg("Short picks are for lines still being picked."),
                                    cls=ShortPickResult)
            lp = s.progress.get(cur.id)  # none at Pack where no step counts
            self.prompt = Prompt("short_pick", cur.id, cur.qty, lp.scanned if lp is not None else 0)
            return self._done(Outcome.ASKED, Change.PROMPT, self._short_question(s, self.prompt),
                              cls=ShortPickResult, line_id=cur.id)
        if kind == "override":
            if s.step == Step.WEIGH and self._moved_weight(s) is not None:  # the question names the parcel on the
                rec = self.record_weight()  # scale, not the weight recorded before it changed; inside: none needed
                if rec.outcome == Outcome.DONE:
                    return rec
            target = self._override_target(s)
            if isinstance(target, Msg):  # said at once, not after a badge and a PIN were given for nothing
                return self._refuse(target, cls=OverrideResult)
            what, line_id = target
            self.prompt = Prompt("override", line_id)
            self.pending_badge = None  # a badge scanned for an earlier form never fills this one
            return self._done(Outcome.ASKED, Change.PROMPT,
                              say(Level.HINT, words.override_question(s, what, line_id)), cls=OverrideResult)
        return self._refuse(Msg("Nothing to ask here."))

    @_answers()
    def cancel_prompt(self) -> Result:
        if self.prompt is None:
            return self._refuse(Msg("Nothing to cancel."))
        self.prompt = None
        # said, not an empty panel: Esc also ends a red panel the form had raised (a wrong PIN)
        return self._done(Outcome.DONE, Change.PROMPT, say(Level.INFO, Msg("Cancelled: nothing recorded.")))

    @_answers()
    def adjust_found(self, delta: int) -> Result:
        p = self.prompt
        if p is None or p.kind != "short_pick":
            return self._done(Outcome.REFUSED, Change.NONE, False)
        s = self.session
        if s is None or p.line_id not in s.progress:
            return self._done(Outcome.REFUSED, Change.NONE, False)
        # at most one less than ordered (a short pick is for units not found), at least what was scanned: a unit
        # scanned is in the parcel (F4 takes the last one back out first)
        least = s.progress[p.line_id].scanned
        self.prompt = Prompt(p.kind, p.line_id, p.max_qty, max(least, min(p.max_qty - 1, p.found + delta)))
        return self._done(Outcome.ASKED, Change.PROMPT, self._short_question(s, self.prompt))

    @staticmethod
    def _short_question(s: OrderSession, p: Prompt) -> Feedback:
        """The short-pick form's question, with the quantity found as it stands (↑/↓ change it)."""
        ln = s.picklist_lines[p.line_id]
        return say(Level.HINT, Msg("Short pick {sku}: found {found} of {qty}. Reason? Press 1–4 or scan a reason "
                                   "barcode.", sku=ln.sku, found=p.found, qty=ln.qty))

    def _short_by_code(self, reason: str | None) -> Result:
        if self.prompt is None or self.prompt.kind != "short_pick":
            return self._refuse(Msg("Press F2 (or scan @@SHORT) first, then the reason."),
                                cls=ShortPickResult)
        return self.short_pick(reason or "")

    @_answers(ShortPickResult)
    def short_pick(self, reason: str, qty_found: int | None = None) -> ShortPickResult:
        if (r := self._need_work()) is not None:
            return r  # type: ignore[return-value]
        s = self.session
        assert s is not None
        p = self.prompt if self.prompt is not None and self.prompt.kind == "short_pick" else None
        line_id = p.line_id if p else None
        if line_id is None:
            cur = s.current_line() if s.counting_step is not None or s.step == Step.PACK else None
            line_id = cur.id if cur else None
        if line_id is None:
            return self._refuse(Msg("Short picks are for lines still being picked."),
                                cls=ShortPickResult)  # type: ignore[return-value]
        if reason not in SHORT_REASONS:
            return self._refuse(Msg("Choose a reason: 1–4 or a reason barcode."),
                                cls=ShortPickResult)  # type: ignore[return-value]
        lp = s.progress.get(line_id)
        found = qty_found if qty_found is not None else (p.found if p else lp.scanned if lp is not None else 0)
        try:
            s.short_pick(line_id, reason, found)
        except (ValueError, StepBlocked) as exc:
            why = exc.message if isinstance(exc, StepBlocked) else str(exc)
            return self._refuse(Msg("Short pick not recorded: {error}", error=why), Level.ERROR,
                                cls=ShortPickResult)  # type: ignore[return-value]
        self.prompt = None
        ln = s.picklist_lines[line_id]
        if s.step == Step.PACK:  # a gift pack asked for again, not on the gift shelf either
            return self._done(Outcome.DONE, Change.LINES | Change.PROMPT | Change.WEIGHT, say(Level.HINT, Msg(
                "Gift/insert {sku} {name} is not in this parcel ({reason}): the packing slip says so. Found one "
                "after all? Scan it or press F3.", sku=ln.sku, name=ln.name, reason=words.short_reason_name(reason))),
                cls=ShortPickResult, line_id=line_id, qty_found=0, reason=reason)  # type: ignore[return-value]
        recorded = Msg("Short pick recorded: {sku} found {found} of {qty} ({reason}). F4 undoes it.", sku=ln.sku,
                       found=found, qty=ln.qty, reason=words.short_reason_name(reason))
        return self._done(Outcome.DONE, Change.LINES | Change.PROMPT | Change.WEIGHT,
                          say(Level.HINT, Joined([recorded, words.nothing_found_message(s)], " "))
                          if s.nothing_found else say(Level.INFO, recorded),
                          cls=ShortPickResult, line_id=line_id, qty_found=found, reason=reason)  # type: ignore[return-value]

    def confirm_gift(self) -> GiftResult:
        if (r := self._need_work()) is not None:
            return r  # type: ignore[return-value]
        s = self.session
        assert s is not None
        step = s.counting_step  # while counting: the gift not yet done in this step (the check step asks again)
        waiting = (lambda x: not s.step_progress(step)[x.id].complete) if step is not None else \
            (lambda x: not s.gift_ok(x.id) or s.gift_missing(x.id))
        ln = next((x for x in s.picklist.gift_lines if waiting(x)), None)
        if ln is None:
            return self._refuse(Msg("No gift or insert is waiting."), cls=GiftResult)  # type: ignore[return-value]
        s.confirm_gift(ln.id)
        return self._done(Outcome.DONE, Change.LINES,
                          say(Level.OK, Msg("Gift/insert confirmed: {name}", name=ln.name or ln.sku)),
                          cls=GiftResult, line_id=ln.id)  # type: ignore[return-value]

    @_answers()
    def choose_carton(self, code: str) -> Result:
        if (r := self._need_work()) is not None:
            return r
        s = self.session
        assert s is not None
        carton = next((c for c in CARTONS if c.code == code), None)
        if carton is None:
            return self._refuse(Msg("Unknown carton."))
        if s.step != Step.PACK:
            return self._refuse(Msg("Cartons are chosen at the Pack step (now: {step}).",
                                    step=words.step_name(s.step)))
        s.choose_carton(carton.code)
        return self._done(Outcome.DONE, Change.LINES, say(Level.OK, words.carton_chosen(carton.code,
                                                                                           carton.label)))

    # -- weighing --------------------------------------------------------------------------------------
    def _new_parcel(self) -> None:
        """A new parcel context (order opened/switched/left, weigh step entered): old readings never count."""
        self._reading = None
        self._epoch = self.mono_ns()
        self._placed_at = None

    @_answers()
    def on_scale_status(self, ok: bool, message: Msg | None = None) -> Result:
        """The scale driver's status (`hardware.devices.DeviceStatus`: ok, and its message). A scale unplugged,
        silent (no readable line for 2 s: a hung indicator, a wrong baud rate) or overloaded sends no new readings:
        its last steady one was still shown with its tick, and F8/F9 recorded it, the parcel long gone or another
        on the scale. While the scale is not ready there is no reading at all, and the weigh step says why."""
        fault = None if ok else (message or Msg("The scale does not answer."))
        if fault == self._scale_fault:
            return self._done(Outcome.DONE, Change.NONE, False)
        self._scale_fault = fault
        if fault is not None:
            self._reading = None
        return self._done(Outcome.DONE, Change.WEIGHT, False)

    @_answers()
    def on_weight(self, grams: float, stable: bool) -> Result:
        if self._scale_fault is not None:  # a driver says "ready" before its first reading after a fault
            return self._done(Outcome.REFUSED, Change.NONE, False)
        try:
            grams = float(grams)
        except (TypeError, ValueError):
            grams = math.nan
        if not math.isfinite(grams):  # NaN/infinite from a driver: no weight at all, never recorded
            if self._reading is not None:
                log.warning("scale reading %r is not a weight: ignored", grams)
                self._reading = None
                return self._done(Outcome.REFUSED, Change.WEIGHT, False)
            return self._done(Outcome.REFUSED, Change.NONE, False)
        t = self.mono_ns()
        prev = self._reading
        # a change beyond what a steady scale's last digit flickers (the driver's StableFilter band: 1 g, 0.1 % above
        # 1 kg): a 5 kg parcel left on a scale of 2 g divisions reads 5000, 5002, 5000 ... and that 2 g counted as
        # the next parcel put down: the old parcel's weight was recorded for the next order
        moved = prev is not None and abs(prev[0] - grams) > max(1.0, abs(grams) * 0.001)
        if self._placed_at is None and t >= self._epoch and (not stable or grams <= EMPTY_SCALE_G or moved):
            self._placed_at = t  # the scale moved after this parcel's weighing began: it was placed
        self._reading = (float(grams), bool(stable), t)
        return self._done(Outcome.DONE, Change.WEIGHT, False)

    def _usable_weight(self) -> float | None:
        r = self._reading
        if r is None or self._placed_at is None:
            return None
        grams, stable, t = r
        if not stable or grams <= EMPTY_SCALE_G or t < self._placed_at:
            return None
        return grams

    def _resting_weight(self) -> float | None:
        """A steady weight that has not moved since this parcel's weighing began (a parcel packed on the scale, or
        the last one left there): it is not recorded, and the packer is told to take it off and put this order's
        parcel on."""
        r = self._reading
        if r is None or self._placed_at is not None or not r[1] or r[0] <= EMPTY_SCALE_G:
            return None
        return r[0]

    def _unsteady_weight(self) -> float | None:
        """A parcel on the scale whose reading does not settle (a conveyor shaking the table, a draught, the parcel
        still held): said as such; "put the parcel on the scale" was all the packer read, the parcel on it."""
        r = self._reading
        if r is None or r[1] or r[0] <= EMPTY_SCALE_G:
            return None
        return r[0]

    def _weigh_then_print_possible(self) -> bool:
        s = self.session
        return s is not None and s.step == Step.WEIGH and (
            (s.weight is not None and (s.weight.ok or s.weight_overridden)) or self._usable_weight() is not None)

    def record_weight(self) -> Result:
        if (r := self._need_work()) is not None:
            return r
        s = self.session
        assert s is not None
        if s.step != Step.WEIGH:
            return self._refuse(Msg("The parcel is weighed at the Weigh step (now: {step}).",
                                    step=words.step_name(s.step)))
        g = self._usable_weight()
        if g is None and self._scale_fault is not None:
            return self._refuse(Msg("No weight recorded: the scale is not ready ({problem}).",
                                    problem=self._scale_fault), Level.ERROR, changes=Change.WEIGHT)
        if g is None and (resting := self._resting_weight()) is not None:
            return self._refuse(words.resting_weight(resting), changes=Change.WEIGHT)
        if g is None and (moving := self._unsteady_weight()) is not None:
            return self._refuse(Msg("The scale reads {grams} g but is not steady yet: keep the parcel still (hands "
                                    "off, nothing shaking the table); F8 records it once it settles.",
                                    grams=round(moving)), changes=Change.WEIGHT)
        if g is None:
            return self._refuse(Msg("Put the parcel on the scale and wait for a steady weight."),
                                changes=Change.WEIGHT)
        chk = s.record_weight(g)
        if chk.ok:
            return self._done(Outcome.DONE, Change.WEIGHT, say(
                Level.OK, Msg("Weight OK: {grams} g. F9 prints the label (F10 goes on).", grams=round(g))))
        return self._done(Outcome.REFUSED, Change.WEIGHT, say(
            Level.ERROR, Msg("Weight {grams} g is outside {expected} ± {tolerance} g: check the parcel, or a supervisor "
                             "accepts it (F11).", grams=round(g), expected=round(chk.expected_g or 0),
                             tolerance=round(chk.tolerance_g or 0))))

    @_answers(OverrideResult)
    def override(self, badge: str, pin: str, reason: str) -> OverrideResult:
        if (r := self._need_work()) is not None:
            return r  # type: ignore[return-value]
        s = self.session
        assert s is not None
        reason = (reason or "").strip()
        if not reason:  # asked before the PIN is tried: an override is recorded with why, and a try is not spent
            return self._refuse(Msg("Type the reason as well: an override is recorded with why it was given."),
                                cls=OverrideResult)  # type: ignore[return-value]
        sup = self.core.operators.authenticate((badge or "").strip(), pin or "", OVERRIDE)
        if sup is None or not sup.is_supervisor:
            return self._refuse(self._locked(badge, OVERRIDE) or Msg("Not a supervisor badge/PIN: nothing overridden."),
                                Level.ERROR, cls=OverrideResult)  # type: ignore[return-value]
        if s.step == Step.WEIGH and (now := self._moved_weight(s)) is not None:
            # the parcel on the scale is what the supervisor accepts, not a weight recorded before it changed (F9 then
            # recorded the new weight and refused: their F11 was spent on the old parcel)
            if s.record_weight(now).ok:
                self.prompt = None
                return self._done(Outcome.DONE, Change.WEIGHT | Change.PROMPT, say(Level.OK, Msg(
                    "Weight OK: {grams} g. F9 prints the label (F10 goes on).", grams=round(now))),
                    cls=OverrideResult)  # type: ignore[return-value]
        target = self._override_target(s)
        if isinstance(target, Msg):
            return self._refuse(target, cls=OverrideResult)  # type: ignore[return-value]
        what, line_id = target
        asked = self.prompt.line_id if self.prompt is not None and self.prompt.kind == "override" else None
        if what == "force_line" and asked in s.picklist_lines and not s.line_done(asked):
            line_id = asked  # the line the form named, which the supervisor approved
        s.override(sup, what, reason, line_id=line_id)
        self.prompt = None
        return self._done(Outcome.DONE, Change.LINES | Change.WEIGHT | Change.PROMPT,
                          say(Level.OK, words.override_done(s, what, line_id, sup.name, reason)),
                          cls=OverrideResult, what=what, supervisor_id=sup.id)  # type: ignore[return-value]

    def _moved_weight(self, s: OrderSession) -> float | None:
        """The steady weight on the scale when it differs from the one recorded (or accepted by a supervisor) by more
        than the tolerance: something went in or came out of the parcel since. F9 and F10 at the Weigh step record it
        anew; None when nothing is recorded or the parcel weighs what was recorded."""
        w, now = s.weight, self._usable_weight()
        if w is None or now is None or abs(now - w.grams) <= max(w.tolerance_g or 0.0, 1.0):
            return None
        return now

    @staticmethod
    def _override_target(s: OrderSession) -> tuple[str, str | None] | Msg:
        """What a supervisor's override does at this point of the order, (what, line), or why there is none: the
        weight recorded at the Weigh step, else the line at hand of a counting step."""
        if s.step == Step.WEIGH:
            if s.weight is None:
                return Msg("Record the weight first (F8): the override accepts a recorded weight.")
            return "weight_mismatch", None
        line = s.current_line() if s.counting_step is not None else None
        if line is not None:
            return "force_line", line.id
        return Msg("Nothing to override at this step.")

    # -- paperwork -------------------------------------------------------------------------------------
    def print_paperwork(self) -> PrintResult:
        """F9: the label and slip from packed quantities, after the OMS said the order still ships.
        At the Weigh step it records a steady weight and completes the step first."""
        if (r := self._need_work()) is not None:
            return r  # type: ignore[return-value]
        s = self.session
        assert s is not None
        before = self._state()
        if s.step == Step.WEIGH:
            now = self._usable_weight()
            # the parcel weighs something else now than what was recorded (or a supervisor accepted): something went
            # in or came out since, so the weight on the scale is the one checked. The label went out on the old one
            # (a supervisor's 5000 g printed a 9000 g parcel)
            if now is not None and (s.weight is None or self._moved_weight(s) is not None):
                rec = self.record_weight()
                if rec.outcome != Outcome.DONE:
                    return rec  # type: ignore[return-value]
            if s.blockers():
                return self._blocked()  # type: ignore[return-value]
            s.complete_step()
            self._emit(self._after(before))
        if s.step != Step.LABEL:
            missing = self.blockers()  # as the screen's line of what is left says them
            if not missing:  # this step is done but not completed: said, not "first:" and nothing
                return self._refuse(Msg("Labels print at the Label step; first complete {step} (F10).",
                                        step=words.step_name(s.step)), cls=PrintResult)  # type: ignore[return-value]
            return self._refuse(Msg("Labels print at the Label step; first: {blockers}",
                                    blockers=Joined(missing)), cls=PrintResult)  # type: ignore[return-value]
        if self._printing == s.order_id:
            return self._refuse(Msg("Printing… the label comes out in a moment."),
                                cls=PrintResult)  # type: ignore[return-value]
        if not s.label_allowed:
            return self._blocked()  # type: ignore[return-value]
        if s.order_id in self._jobs:  # already submitted: the spool owns it now
            return self._job_state(s, self._jobs[s.order_id][0])  # type: ignore[return-value]
        packed, missing = packed_picklist(s)
        op = self.operator
        sync, spool, events = self.sync, self.spool, self.core.events
        self._printing = s.order_id
        opened = s.picklist

        def work() -> tuple:
            jobs = _paperwork_jobs(events, spool, s.order_id) if spool is not None else []
            out = _paperwork_out(jobs)
            if "label" in out and "slip" in out:  # both out or with the printer (a restart): nothing to send again
                return ("out", out["label"]["job_id"], out["slip"]["job_id"])
            if "label" not in out and (cut := _cut_off_label(jobs)):
                return ("cut_off", cut["job_id"])
            if "label" not in out and (sent := _unconfirmed_label(jobs)):
                if not found:  # looked for first: found, F9 again; not there, F12
                    return ("unconfirmed", sent)
                spool.confirm_seen(sent["job_id"], op.id if op else "")
                out["label"] = spool.job(sent["job_id"]) or sent
                if "slip" in out or not spool.prints_slips:
                    return ("out", sent["job_id"], out["slip"]["job_id"] if "slip" in out else None)
            replaced = _failed_label(jobs) if "label" not in out else None
            ship = sync.check_shippable(packed.id, op.id if op else None) if sync is not None else None
            if ship is not None and not ship.ok:
                return ("stopped", ship)
            current = ship.picklist if ship is not None else None
            if items_changed(opened, current):  # the parcel holds what the order was: stopped like a held order
                return ("stopped", dataclasses.replace(ship, ok=False, status="changed",
                                                       reason="the OMS changed the items after the order was opened"))
            changed = destination_changes(opened, current)  # the address and carrier as the OMS has them now
            if spool is None:
                res = ("queued", None, None, current, changed, [], None)
                _record_paperwork(events, s.order_id, op, packed, missing, res)
                return res
            paper = with_destination(packed, current, changed) if changed else packed
            if "label" not in out and (lacking := missing_destination(paper)):
                return ("no_destination", lacking)
            # what came out once is not sent again: a second copy is a reprint (F12, who and why)
            new_label = None if "label" in out else spool.new_job_id()
            new_slip = None if "slip" in out or not spool.prints_slips else spool.new_job_id()  # `none:`: no slip
            res = ("queued", out["label"]["job_id"] if "label" in out else new_label,
                   out["slip"]["job_id"] if "slip" in out else new_slip, current, changed, sorted(out), replaced)
            # recorded before its jobs are queued: a label printed at once (the spool's worker, a fast printer) had its
            # `label_printed` in the log before the `paperwork` it belongs to, which the GUI thread wrote later
            _record_paperwork(events, s.order_id, op, packed, missing, res)
            if new_label is not None:
                spool.submit_label(paper, op.id if op else None, job_id=new_label)
            if new_slip is not None:
                spool.submit_slip(paper, op.id if op else None, missing=missing, job_id=new_slip)
            return res

        found = s.order_id in self._look_for_label  # said to look for its label at the printer: F9 again = found
        result: list[PrintResult] = []
        self.run_io(work, lambda res: result.append(self._submitted(s, packed, missing, res)))
        if result:
            return result[0]
        return self._done(Outcome.PENDING, Change.PRINTING,
                          say(Level.INFO, Msg("Checking the order with the OMS, then printing…")), cls=PrintResult)  # type: ignore[return-value]

    @_answers(PrintResult)  # as _claimed: on a full disk its paperwork event raised into the Qt event loop
    def _submitted(self, s: OrderSession, packed: PickList, missing: tuple, res: Any) -> PrintResult:
        self._printing = None
        self.pump()
        if self.session is not s or self.screen != Screen.WORK:  # left (Esc, another order) while the OMS answered
            if not isinstance(res, Exception) and res[0] == "queued" and res[1] is not None:
                self._left_while_submitted(s, packed, missing, res)
            return PrintResult(outcome=Outcome.REFUSED, changes=Change.NONE)
        if isinstance(res, Exception):
            return self._refuse(Msg("Printing failed: {error}. Press F9 to try again.", error=_said(res)), Level.ERROR,
                                cls=PrintResult)  # type: ignore[return-value]
        if res[0] == "stopped":
            ship = res[1]
            if s.intercepted is None:  # (the sync service recorded its stop already: applied by the pump above)
                s.mark_intercepted(ship.status, ship.reason or "",
                                   ship.reason if ship.status in ("cancelled", "held") else None)
            return self.intercepted(s.order_id)  # type: ignore[return-value]
        if res[0] == "cut_off":  # a label cut off by a crash is looked for, then reprinted on purpose (F12)
            return self._refuse(Msg("The station stopped while the label of order {order} was being sent: part of it "
                                    "may have printed. Look for it at the printer; F12 prints it again (recorded).",
                                    order=s.picklist.order_no), Level.ERROR, cls=PrintResult)  # type: ignore[return-value]
        if res[0] == "no_destination":  # nothing printed: F9 asks the OMS again
            what = {("address",): Msg("ship-to address"), ("carrier",): Msg("carrier")}.get(
                res[1], Msg("ship-to address and carrier"))
            return self._refuse(Msg("Order {order} has no {what} from the OMS: its label cannot be printed. Set the "
                                    "parcel aside and tell a supervisor; F9 asks the OMS again.",
                                    order=s.picklist.order_no, what=what), Level.ERROR,
                                cls=PrintResult)  # type: ignore[return-value]
        if res[0] == "unconfirmed":
            self._look_for_label.add(s.order_id)
            return self._refuse(Msg("The label of order {order} was sent in full just before the station stopped: it "
                                    "most likely printed. Look for it at the printer. Found it: press F9 again to go "
                                    "on with it. Not there: F12 prints it again (recorded).", order=s.picklist.order_no),
                                Level.ERROR, Change.PRINTING, cls=PrintResult)  # type: ignore[return-value]
        if res[0] == "queued" and s.intercepted:
            # stopped while F9's work was in flight (the poll heard the cancellation after F9's check said it ships):
            # what waits for a printer is withdrawn and the STOP stays on screen. It was overwritten by "paper out:
            # the label prints by itself, stay with this parcel", and the label came out for the cancelled order
            self._jobs[s.order_id] = (res[1], res[2])
            return self.intercepted(s.order_id)  # type: ignore[return-value]
        self._look_for_label.discard(s.order_id)
        self._print_again.discard(s.order_id)
        if res[0] == "out":  # F9 before found this order's paperwork out or with the printer: it is waited for again
            self._jobs[s.order_id] = (res[1], res[2])
            return self._job_state(s, res[1])  # type: ignore[return-value]
        _, label, slip, current, changed, _out, _replaced = res
        flagged = new_address_warnings(s.picklist, current)  # before `changed` takes the new ship-to, warnings too
        if changed:  # the screen's header and the packed message say the order as it now ships
            s.picklist = with_destination(s.picklist, current, changed)
            self._emit(Change.ORDER)
            self._destination[s.order_id] = (words.destination_note(s.picklist, changed), "carrier" in changed)
        if flagged:  # an address warning the OMS added since the order was opened: said with the parcel, in amber
            if "address" not in changed:
                s.picklist = with_warnings(s.picklist, flagged)
                self._emit(Change.ORDER)
            warn = Msg("Check the address: {warning}.", warning="; ".join(flagged))
            note = self._destination.get(s.order_id)
            self._destination[s.order_id] = (Joined([note[0], warn], " "), note[1]) if note else (warn, False)
        if label is None:  # no printers at this station: the step ends here
            s.label_printed = True
            return self._complete_label(s, None, None)  # type: ignore[return-value]
        self._jobs[s.order_id] = (label, slip)
        return self._job_state(s, label)  # type: ignore[return-value]

    def _left_while_submitted(self, s: OrderSession, packed: PickList, missing: tuple, res: tuple) -> None:
        """F9's paperwork was submitted after the packer moved on (scanned the next order at once, Esc): it is the
        order's all the same — recorded (its `paperwork` event) and followed — and what still waits for a printer is
        withdrawn, so that it cannot come out at another parcel. They were withdrawn unrecorded: a label already out
        was unknown to the order, and F9 back at it printed a second label, its slip withdrawn with the words "order
        left before its label came out" (QA, F9 then the next order's barcode at once)."""
        label, slip, current, changed = res[1:5]
        if changed:  # the order as it now ships, when the packer comes back to it
            s.picklist = with_destination(s.picklist, current, changed)
        self._jobs[s.order_id] = (label, slip)
        job = self.spool.job(label) if self.spool is not None else None
        if job is not None and job.get("state") == "done":
            s.label_printed = True
        slip_job = self.spool.job(slip) if slip is not None and self.spool is not None else None
        if s.label_printed and (slip is None or (slip_job or {}).get("state") in SLIP_DONE):
            self._complete_label(s, label, slip)  # out, both: the order is packed (it stays off the screen)
            return
        if self._withdraw_paperwork(s, "order left before its label came out") is not None:
            log.info("order %s: left while its paperwork was submitted; what waited for a printer is withdrawn",
                     s.order_id)

    def _job_state(self, s: OrderSession, label_job: str) -> Result:
        job = self.spool.job(label_job) if self.spool is not None else None
        return self.on_print_update(job) if job else self._done(Outcome.PENDING, Change.PRINTING, False,
                                                                cls=PrintResult)

    @_answers()
    def on_print_update(self, job: dict | None) -> Result:
        """A print job changed state (spool callback, delivered on this thread)."""
        self.pump()
        if not job:
            return Result(outcome=Outcome.DONE, changes=Change.NONE)
        if job.get("job_id") in self._withdrawn:  # taken back on purpose: nothing to say at the order at work
            return Result(outcome=Outcome.DONE, changes=Change.NONE)
        oid = job.get("order_id")
        s = self.station.sessions.get(oid) if oid else None
        jobs = self._jobs.get(oid or "")
        if s is None or jobs is None or job.get("job_id") not in jobs:
            if job.get("state") in ("held", "failed") and self.screen == Screen.WORK:
                msg = _job_message(job) or Msg("The printer needs attention.")
                return self._done(Outcome.HELD, Change.PRINTING, say(Level.ERROR, msg))
            return Result(outcome=Outcome.DONE, changes=Change.NONE)
        return self._paperwork_update(s, jobs, job)

    def _paperwork_update(self, s: OrderSession, jobs: tuple[str, str | None], job: dict) -> PrintResult:
        """The label or the slip of `s` changed state. The Label step completes when both are out: the slip goes
        inside the parcel, so a parcel whose slip waits for its printer (paper out) is not packed on its label alone
        — it was, and the slip came out later, at the next parcel. A job that failed gives F9 back (it prints what
        did not come out); one waiting for its printer keeps the packer at the parcel."""
        label_id, slip_id = jobs
        label = job if job["job_id"] == label_id else (self.spool.job(label_id) if self.spool else None) or {}
        slip = None if slip_id is None else (
            job if job["job_id"] == slip_id else (self.spool.job(slip_id) if self.spool else None) or {})
        if label.get("state") == "done":
            s.label_printed = True  # the spool's label_printed event follows this notification
        if s.label_printed and (slip is None or slip.get("state") in SLIP_DONE):
            return self._complete_label(s, label_id, slip_id)
        kept = dict(cls=PrintResult, label_job=label_id, slip_job=slip_id)
        for state in ("failed", "held"):  # a failed job first: F9 is what the packer must press
            j = next((j for j in (label, slip) if j and j.get("state") == state), None)
            if j is None:
                continue
            if state == "failed":
                self._jobs.pop(s.order_id, None)  # F9 submits again what did not come out, and only it
            problem = _job_message(j) or Msg("The printer needs attention.")
            if j is label:
                msg = Msg("{problem:sentence} Press F9 to print again.", problem=problem) if state == "failed" else \
                    Msg("{problem:sentence} The label prints by itself when the printer is ready: stay with this "
                        "parcel.", problem=problem)
            else:
                msg = Msg("{problem:sentence} The packing slip did not print: press F9 to print it.",
                          problem=problem) if state == "failed" else \
                    Msg("{problem:sentence} The packing slip prints by itself when the slip printer is ready: stay "
                        "with this parcel, the slip goes inside it.", problem=problem)
            return self._done(Outcome.HELD, Change.PRINTING, say(Level.ERROR, msg), **kept)
        if self.session is not s or self.screen != Screen.WORK:  # on its way out after the packer moved on: the
            return PrintResult(outcome=Outcome.PENDING, changes=Change.NONE, feedback=self.feedback)  # screen stays
        if s.label_printed:
            return self._done(Outcome.PENDING, Change.PRINTING,
                              say(Level.INFO, Msg("The label is out; printing the packing slip…")), **kept)
        return self._done(Outcome.PENDING, Change.PRINTING, say(Level.INFO, Msg("Printing the label and slip…")),
                          **kept)

    def _complete_label(self, s: OrderSession, label: str | None, slip: str | None) -> PrintResult:
        if self.session is not s or self.screen != Screen.WORK:
            # the label came out (it was being sent) after the packer moved on: the order is done, and the screen,
            # the order at work and what it says stay as they are
            try:
                s.complete_step()
            except StepBlocked:
                return PrintResult(outcome=Outcome.BLOCKED, changes=Change.NONE, feedback=self.feedback)
            self._jobs.pop(s.order_id, None)
            log.info("order %s packed: its label came out while another order was at work", s.order_id)
            ch = self._finish(s, at_work=False)
            self._emit(ch)
            return PrintResult(outcome=Outcome.DONE, changes=ch, feedback=self.feedback, label_job=label, slip_job=slip)
        before = (s.order_id, s.step)
        try:
            s.complete_step()
        except StepBlocked:
            return self._blocked()  # type: ignore[return-value]
        self._jobs.pop(s.order_id, None)
        res = self._stepped(before)
        return PrintResult(outcome=res.outcome, changes=res.changes, feedback=res.feedback, label_job=label,
                           slip_job=slip)

    def _reprint_order(self) -> tuple[str, str] | None:
        """(id, number) of the order whose label F12 reprints: the one at work (None when it has no label yet); on
        the queue the last one this station left or packed, or whose packed barcode was scanned there, when it has a
        label, else the order of the last label this station printed (the packer left another order after packing
        one: F12 said "nothing printed yet" and the parcel just packed could not get its label again)."""
        s = self.session
        if self.spool is None:
            return None
        if s is not None and self.screen == Screen.WORK:
            return (s.order_id, s.picklist.order_no or s.order_id) if self._has_label(s.order_id) else None
        oid, number = self.last_order_id, self.last_order_no
        if oid is not None and self._has_label(oid):
            return oid, number or oid
        oid = self.spool.last_label_order_id()
        if oid is None:
            return None
        pl = self.station.cached_picklist(oid)
        return oid, (pl.order_no if pl is not None and pl.order_no else oid)

    def _nothing_to_reprint(self) -> Msg:
        """At an order: it has no label yet. On the queue "this order" named none (the chosen row is not what F12
        reprints): what F12 reprints there, and that there is none yet."""
        if self.session is not None and self.screen == Screen.WORK:
            return Msg("Nothing printed yet for this order.")
        return Msg("No label printed at this station yet: F12 here reprints the last order packed.")

    def _stopped_here(self, order_id: str, number: str) -> Msg | None:
        """F12's refusal for an order open here that stopped (given to another station, packed there, its items
        changed, cancelled): its label was reprinted — a second label of a parcel that must not ship — when the cache's
        status was not cancelled or held. None for any other order."""
        s = self.station.sessions.get(order_id)
        if s is None or not s.intercepted:
            return None
        return Msg("STOP: order {order} is {status}. Do not ship: no label reprinted.", order=number,
                   status=words.status_words(s.intercepted[0]))

    def _has_label(self, order_id: str) -> bool:
        return self.spool is not None and self.spool.has_label(order_id)

    @_answers(ReprintResult)
    def reprint(self, reason: str | None) -> ReprintResult:
        """An audited reprint of the order's last label (who, why); a held job answers plainly."""
        if self.operator is None:
            return self._refuse(Msg("Log in first."), cls=ReprintResult)  # type: ignore[return-value]
        target = self._reprint_order()
        if target is None:
            return self._refuse(self._nothing_to_reprint(), cls=ReprintResult)  # type: ignore[return-value]
        oid = target[0]
        reason = (reason or "").strip()
        if not reason:
            return self._refuse(Msg("A reprint needs a reason (1–4 or a reason barcode)."),
                                cls=ReprintResult)  # type: ignore[return-value]
        labels = [j for j in self.spool.jobs(order_id=oid) if j.get("kind") == "label"]  # type: ignore[union-attr]
        if not labels:  # deleted a moment ago with the spool's printed jobs over 30 days old
            return self._refuse(Msg("Nothing printed yet for this order."),
                                cls=ReprintResult)  # type: ignore[return-value]
        label = labels[-1]
        self.prompt = None
        number = target[1]
        if label.get("state") == "failed" and label.get("error_state") == "cancelled":
            # withdrawn before it printed (the order was left): a "reprint" came out away from its parcel, the order
            # still paused
            return self._refuse(Msg("The label of order {order} was withdrawn before it printed: scan the order and "
                                    "press F9 at its parcel.", order=number),
                                Level.HINT, Change.PROMPT, cls=ReprintResult)  # type: ignore[return-value]
        if (stop := self._stopped_here(oid, number)) is not None:
            return self._refuse(stop, Level.STOP, Change.PROMPT, cls=ReprintResult)  # type: ignore[return-value]
        pl = self.station.cached_picklist(oid)
        if pl is not None and pl.status in ("cancelled", "held"):  # as the last poll has it: no label for it
            return self._refuse(Msg("STOP: order {order} is {status}. Do not ship: no label reprinted.", order=number,
                                    status=words.status_words(pl.status)),
                                Level.STOP, Change.PROMPT, cls=ReprintResult)  # type: ignore[return-value]
        if label.get("state") in ("queued", "sending", "held"):
            return self._refuse(Msg("The label has not come out yet: it prints by itself when the printer is ready "
                                    "(paper, cover). No reprint needed."),
                                Level.HINT, Change.PROMPT, cls=ReprintResult)  # type: ignore[return-value]
        try:
            new = self.spool.reprint(label["job_id"], self.operator.id, reason)  # type: ignore[union-attr]
        except (ValueError, KeyError) as exc:
            log.info("reprint refused: %s", exc)
            return self._refuse(Msg("The label cannot be reprinted right now: it prints when the printer is ready."),
                                Level.HINT, Change.PROMPT,
                                cls=ReprintResult)  # type: ignore[return-value]
        return self._done(Outcome.DONE, Change.PROMPT | Change.PRINTING,
                          say(Level.OK, Msg("Reprint queued (recorded with your name and reason).")), cls=ReprintResult, job_id=new)  # type: ignore[return-value]

    # -- news from other threads -----------------------------------------------------------------------
    def pump(self) -> Change:
        """Apply events other threads committed (sync, printing); stop an order the OMS intercepted."""
        evs = self.station.drain()
        ch = Change.NONE
        s = self.session
        for ev in evs:
            if s is not None and ev.order_id == s.order_id:
                ch |= Change.LINES | Change.ORDER
                if ev.type == EventType.ORDER_INTERCEPTED:
                    self.feedback = words.stop_message(s)
                    self.prompt = None
                    ch |= Change.FEEDBACK | Change.PROMPT
        self._emit(ch)
        return ch

    def intercepted(self, order_id: str, status: str = "cancelled", reason: str = "",
                    oms_reason: str | None = None) -> InterceptResult:
        """The OMS cancelled or held an order (or gave it to another station); `oms_reason`: why, in its words."""
        self.pump()
        s = self.station.sessions.get(order_id) or self._left_here(order_id)
        if s is None:
            self._set_queue([p for p in self.queue if p.id != order_id])
            self.refresh_queue()
            return InterceptResult(outcome=Outcome.DONE, changes=Change.QUEUE, order_id=order_id, status=status)
        if not s.stop_recorded:  # (one opened from a cancelled pick list reads as stopped before its stop is recorded)
            st = s.intercepted[0] if s.intercepted else status
            s.mark_intercepted(st, reason or st, oms_reason)
        self._set_queue([p for p in self.queue if p.id != order_id])  # its barcode opens its STOP
        self._withdraw_paperwork(s, f"order {status}")  # a label waiting for paper must not come out for it
        self._jobs.pop(s.order_id, None)  # what came out already is not followed: it packs no stopped order
        if self.session is s:  # an order set aside: the prompt and the printing at hand are the order at work's
            self.prompt = None
        if self._printing == s.order_id:
            self._printing = None
        # an order set aside (another one switched to) is said at once, in red, on whatever screen is up: its units
        # in the tote went on to another parcel while it left the queue without a word
        fb = words.stop_message(s) if self.session is s else words.set_aside_stop_message(s)
        return self._done(Outcome.STOPPED, Change.ORDER | Change.LINES | Change.PROMPT | Change.QUEUE, fb,
                          cls=InterceptResult, order_id=order_id, status=s.intercepted[0] if s.intercepted else status,
                          put_back=words.put_back_list(s))  # type: ignore[return-value]

    def _left_here(self, order_id: str) -> OrderSession | None:
        """An order begun here and left open (Esc: "paused" in the queue), not finished nor given back, opened again
        set aside — not at work — for its STOP, with the packer logged in. It left the queue without a word when the
        OMS stopped it: its units stayed in the tote, its barcode said only "do not pick it", and it was never given
        back. None for any other order (and with nobody logged in: the next login brings it back stopped)."""
        if self.operator is None or order_id in self._finished or order_id in self._handed_back:
            return None
        life = [EventType.STEP_STARTED, EventType.STEP_RESUMED, EventType.STEP_SUSPENDED, EventType.ORDER_COMPLETED,
                EventType.PICKLIST_RELEASED]
        begun = since_released(self.core.events.events(order_id=order_id, types=life))
        pl = self._cached(order_id) if begun and begun[-1].type != EventType.ORDER_COMPLETED else None
        if pl is None:
            return None
        return self.station.open_order(pl, activate=False)

    @_answers()
    def on_sync(self, kind: str, data: dict | None) -> Result:
        data = data or {}
        if kind == "picklists_changed":
            why = data.get("oms_reasons")
            if (stopped := self._items_changed_by_poll(data.get("ids") or (),
                                                       why if isinstance(why, dict) else {})) is not None:
                return stopped
            if self.screen == Screen.QUEUE:
                self.refresh_queue()
            return Result(outcome=Outcome.DONE, changes=Change.QUEUE)
        if kind == "operators_changed" and self._login_waiting is not None and self.operator is None:
            badge, pin, when = self._login_waiting
            self._login_waiting = None
            if self.mono_ns() - when <= LOGIN_WAIT_NS:  # later, the person may have gone: nobody is logged in unseen
                return self.login(badge, pin)
        if kind == "operators_changed" and self.operator is not None:
            return self._still_allowed(self.operator)
        if kind == "products_changed":  # new or changed products: a new index, built off this thread
            self.run_io(self._build_catalog, self._catalog_built)
            return Result(outcome=Outcome.DONE, changes=Change.NONE)
        if kind == "claim_confirmed":  # an offline claim the OMS now confirmed: the panel no longer says "provisional"
            s = self.session
            if self.feedback is not None and self.feedback is self._provisional_fb and s is not None \
                    and s.order_id == data.get("order_id"):
                self._provisional_fb = None
                return self._done(Outcome.DONE, Change.NONE, say(Level.INFO, Msg(
                    "The OMS confirmed order {order} for this station.", order=s.picklist.order_no or s.order_id)))
            return Result(outcome=Outcome.DONE, changes=Change.NONE)
        if kind == "packed_elsewhere_too" and isinstance(data.get("message"), Msg):  # said on whatever screen is up
            return self._done(Outcome.DONE, Change.NONE, say(Level.ERROR, data["message"]))
        if kind == "order_cancelled" and (said := self._cancelled_after_label(data)) is not None:
            return said
        if kind in _STOPPED_BY_SYNC:  # the order at hand (or set aside) stops, with what to put back
            status, reason = _STOPPED_BY_SYNC[kind]
            why = _said_reason(data.get("oms_reason")) if kind == "order_cancelled" else None
            return self.intercepted(data.get("order_id", ""), status, reason, why)
        return Result(outcome=Outcome.DONE, changes=Change.NONE)

    def _items_changed_by_poll(self, ids, oms_reasons: dict) -> Result | None:
        """An order open here that the OMS held, or whose items it changed (a poll brought it): stopped now, as F9's
        check would stop it, with what to put back. It was packed, weighed and only stopped at F9: the packer's work on it was lost,
        and the units taken for the new lines stayed in the tote the whole time. A few cached rows, by key."""
        stopped = None
        for oid in [i for i in ids if i in self.station.sessions or i in self._left]:
            if oid not in self.station.sessions:  # left with Esc: held since, it stops as one set aside does
                current = self._cached(oid)
                if current is not None and current.status == "held" and self._left_here(oid) is not None:
                    stopped = self.intercepted(oid, "held", "held by the OMS", _said_reason(oms_reasons.get(oid)))
                continue
            s = self.station.sessions[oid]
            if s.intercepted or (current := self._cached(oid)) is None:
                continue
            if current.status == "held":  # as F9's check stops it, before the work is done (why, when the OMS said)
                s.mark_intercepted("held", "held by the OMS", _said_reason(oms_reasons.get(oid)))
                stopped = self.intercepted(oid, "held")
            elif items_changed(s.picklist, current):
                s.mark_intercepted("changed", "the OMS changed the items after the order was opened")
                stopped = self.intercepted(oid, "changed")
            elif new := new_address_warnings(s.picklist, current):  # flagged since it was opened: the header says it
                s.picklist = with_warnings(s.picklist, new)
                self._emit(Change.ORDER)
                if s is self.session and self.screen == Screen.WORK and stopped is None:
                    stopped = self._done(Outcome.DONE, Change.ORDER, say(Level.HINT, Msg(
                        "The OMS flagged the address of order {order}: {warning}. Check it before the label goes on.",
                        order=s.picklist.order_no or oid, warning="; ".join(new))))
        return stopped

    def _cancelled_after_label(self, data: dict) -> Result | None:
        """The OMS cancelled an order whose parcel was packed and labelled here (offline, so F9's check could not stop
        it, or cancelled at the OMS after it was packed): the parcel is in the carrier pile. It was taken out of the queue
        without a word (a cache flag nobody reads), and the cancelled order shipped. Said in red on whatever screen is
        up, and recorded (`order_intercepted`: the OMS hears the station knows of its parcel). None: not such an order."""
        oid = str(data.get("order_id") or "")
        if not oid or oid in self.station.sessions or oid not in self._finished or oid in self._handed_back:
            return None
        pl = self._picklist(oid)
        no = pl.order_no if pl is not None and pl.order_no else oid
        op = self.operator
        offline = bool(data.get("printed_offline"))
        self.core.events.append(EventType.ORDER_INTERCEPTED, {
            "order_id": oid, "status": "cancelled",
            "reason": "cancelled after its parcel was labelled" + (" offline" if offline else "")},
            order_id=oid, operator_id=op.id if op is not None else None, kind="cancelled")
        return self._done(Outcome.STOPPED, Change.QUEUE, say(Level.ERROR, Msg(
            "STOP: order {order} was cancelled by the OMS after its parcel was packed and labelled here. Take the "
            "parcel out of the carrier's pile, do not ship it, and tell a supervisor.", order=no)),
            cls=InterceptResult, order_id=oid, status="cancelled")

    def _build_catalog(self):
        from app.catalog import Catalog

        cat = Catalog.from_store(self.core.store)
        cat.build()
        return cat

    def _catalog_built(self, cat) -> None:
        if isinstance(cat, Exception):
            log.warning("product index not rebuilt: %s", cat)
            return
        self.station.use_catalog(cat)

    @_answers()
    def acknowledge(self) -> Result:
        fb = self.feedback
        if fb is None or not fb.locked:
            return self._done(Outcome.DONE, Change.NONE, False)
        s = self.session
        if fb.level == Level.STOP and s is not None and s.intercepted:
            return self._done(Outcome.DONE, Change.FEEDBACK, False)  # a stopped order stays stopped on screen
        # said the same way however it was acknowledged (Enter, a scan's "ack", the panel's button)
        return self._done(Outcome.DONE, Change.FEEDBACK, say(Level.INFO, Msg("Acknowledged — carry on.")))


# the sync service's news that stop an order: kind -> (the stop's status, app.messages.STATUS_WORDS; its reason)
_STOPPED_BY_SYNC: dict[str, tuple[str, str]] = {
    "order_cancelled": ("cancelled", "cancelled by the OMS"),
    "claim_lost": ("claimed_elsewhere", "claimed elsewhere"),
    # done at the OMS, not finished here: another station packed it (SyncService._packed_elsewhere)
    "packed_elsewhere": ("packed_elsewhere", "packed at another station"),
}


def _said_reason(why: Any) -> str | None:
    """The OMS's reason for a stop as the sync service passed it (text), or None."""
    return why.strip() or None if isinstance(why, str) else None


def _said(exc: BaseException) -> Msg | str:
    """What an error says, in the reader's language when it carries a message (PrintError, LabelError), else its
    own text (an OS error, a library's exception: English, as the technician's log has it)."""
    msg = getattr(exc, "message", None)
    return msg if isinstance(msg, Msg) else str(exc)
