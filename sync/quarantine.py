"""Outbox quarantine: one event the OMS refuses for good must not stop the events behind it.

Three guards around the outbox worker (`sync.outbox.drain`, which is left as it is):
* `GuardedClient` checks each event of a batch against the OMS contract before it is sent (lengths;
  64-bit integers; strict JSON -- no NaN/Infinity, no lone surrogate -- found when the client encodes the
  whole batch once, and only then looked for event by event) and never sends
  an implausible clock offset (an absurd `/time` reply would have every batch refused with 422).
  Unsendable events raise `PoisonEvents`; the service quarantines them (source 'station').
* When the OMS refuses a whole batch for good (HTTP 400/413/422), `isolate_refused_batch` halves the
  batch until the refused event is alone at the head of the queue and quarantines it (source 'oms',
  with the OMS's reason) when that is the event's fault: the OMS's error names it, or the event after
  it passes alone. A refusal that names a batch-level field, that is not the OMS's error format (a
  proxy's HTML 400), or that comes for the event after it too is a station or network problem
  (`BlanketRefusal`): nothing is quarantined.
* Per-event `rejected` answers are already marked by `drain`; `quarantined_events` lists them too.

A quarantined event stays in the log (sync_state='rejected', reject_reason) with a row in
`outbox_quarantine` saying who refused it and why; the status bar and `packstation sync-status` show
the count and the reasons; `requeue` (`packstation sync-requeue`) puts it back in the queue.
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import schema
from app.config import STATION_ID_MAX
from app.logsetup import FILE_ONLY
from app.store import Store, now_ms
from sync.client import BatchRefused, OmsError
from sync.outbox import drain

log = logging.getLogger(__name__)
E = schema.events
Q = schema.outbox_quarantine

I64_MAX = 2**63 - 1
ID_MAX = 64  # WireEvent.id / type limits in the contract
# An OMS clock outside these years is a broken reply, not a skew (ms since the epoch).
SERVER_TIME_MIN_MS = 946_684_800_000  # 2000-01-01
SERVER_TIME_MAX_MS = 7_258_118_400_000  # 2200-01-01


class PoisonEvents(OmsError):
    """Events of a batch that can never be sent as they are: [(wire event, reason), ...]."""

    def __init__(self, items: list[tuple[dict, str]]) -> None:
        super().__init__(f"{len(items)} event(s) cannot be sent: {items[0][1]}")
        self.items = items


def plausible_server_time(ms: Any) -> bool:
    return isinstance(ms, int) and not isinstance(ms, bool) and SERVER_TIME_MIN_MS <= ms <= SERVER_TIME_MAX_MS


def plausible_offset(offset: Any) -> bool:
    """An offset between a plausible OMS clock and any station clock since 1970."""
    return isinstance(offset, int) and not isinstance(offset, bool) and abs(offset) <= SERVER_TIME_MAX_MS


def event_problem(ev: dict[str, Any], *, encoding: bool = True) -> str | None:
    """Why the OMS contract would refuse this wire event, or None. `encoding=False` leaves out the strict
    JSON encoding of the event (NaN, Infinity, lone surrogates), which the client's encoding of the whole
    batch finds."""
    for key, limit in (("id", ID_MAX), ("station_id", STATION_ID_MAX), ("type", ID_MAX)):
        v = ev.get(key)
        if not isinstance(v, str) or not 1 <= len(v) <= limit:
            return f"{key} must be a string of 1..{limit} characters"
    for key in ("seq", "ts_utc_ms", "mono_ns"):
        v = ev.get(key)
        if not isinstance(v, int) or isinstance(v, bool) or abs(v) > I64_MAX:
            return f"{key} must be a 64-bit integer"
    if not isinstance(ev.get("payload"), dict):
        return "payload must be an object"
    if not encoding:
        return None
    try:
        json.dumps(ev, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except ValueError as e:
        bad = _bad_number(ev.get("payload"))
        what = f"payload field {bad} is NaN or Infinity" if bad else f"not valid JSON ({type(e).__name__})"
        return f"{what}: not valid JSON, the OMS can never accept it"
    return None


def _bad_number(v: Any, path: str = "") -> str | None:
    if isinstance(v, float) and not math.isfinite(v):
        return path or "(value)"
    items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
    for k, x in items:
        if (r := _bad_number(x, f"{path}.{k}" if path else str(k))) is not None:
            return r
    return None


class GuardedClient:
    """The OMS client as `drain` sees it: nothing leaves that the contract refuses."""

    def __init__(self, client) -> None:
        self.client = client

    def send_batch(self, station_id: str, events: list[dict], clock_offset_ms: int | None):
        if not 1 <= len(station_id) <= STATION_ID_MAX:
            raise OmsError(f"station.id is {len(station_id)} characters; the OMS takes 1..{STATION_ID_MAX} "
                           "(fix the configuration: packstation config check)")
        bad = [(ev, why) for ev in events if (why := event_problem(ev, encoding=False)) is not None]
        if bad:
            raise PoisonEvents(bad)
        if clock_offset_ms is not None and not plausible_offset(clock_offset_ms):
            log.warning("clock offset %r is not plausible: sent without it", clock_offset_ms)
            clock_offset_ms = None
        try:  # the client encodes the batch strictly, once; only a batch it refuses is checked event by event
            results, server_ms = self.client.send_batch(station_id, events, clock_offset_ms)
        except ValueError:
            bad = [(ev, why) for ev in events if (why := event_problem(ev)) is not None]
            if bad:
                raise PoisonEvents(bad) from None
            raise
        if not plausible_server_time(server_ms):  # no clock offset from it: not stored, not sent with later batches
            log.warning("OMS batch reply carries server time %r, not a plausible time: ignored", server_ms)
            server_ms = None
        return results, server_ms

    def __getattr__(self, name: str):
        return getattr(self.client, name)


def quarantine(store: Store, items: list[tuple[dict, str]], *, source: str, http_status: int | None = None) -> int:
    """Take events out of the queue for good, with their reason. -> how many were still pending."""
    t = now_ms()
    n = 0
    with store.write() as c:
        for ev, reason in items:
            reason = reason[:1000]
            n += c.execute(update(E).where(E.c.id == ev["id"], E.c.sync_state == "pending")
                           .values(sync_state="rejected", reject_reason=reason, sent_at_ms=t)).rowcount
            c.execute(sqlite_insert(Q).values(seq=ev["seq"], event_id=ev["id"], source=source,
                                              http_status=http_status, reason=reason, quarantined_at_ms=t)
                      .on_conflict_do_nothing())
    for ev, reason in items:
        log.warning("event #%s %s (%s) quarantined (%s): %s", ev["seq"], ev["type"], ev["id"], source, reason)
    return n


def _oms_error(err: BatchRefused) -> dict | None:
    """The refusal's body when it is the OMS's own error format (a JSON object with an `error` string, the
    contract's ErrorReply); None for anything else (a proxy's HTML page, a framework's bare `detail`...)."""
    try:
        doc = json.loads(err.body)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("error"), str) else None


def _detail_locs(err: BatchRefused) -> list[list]:
    doc = _oms_error(err)
    detail = doc.get("detail") if doc else None
    if not isinstance(detail, list):
        return []
    return [d["loc"] for d in detail if isinstance(d, dict) and isinstance(d.get("loc"), list)]


def _batch_level_field(err: BatchRefused) -> str | None:
    """The batch-level field a FastAPI-style 422 names (station_id, clock_offset_ms...), if any."""
    for loc in _detail_locs(err):
        if len(loc) >= 2 and loc[0] == "body" and loc[1] != "events" and isinstance(loc[1], str):
            return loc[1]
    return None


def _names_event(err: BatchRefused, index: int) -> bool:
    """The OMS's own error body names the batch's event `index` (`loc` body.events.<index>...)."""
    return any(len(loc) >= 3 and loc[:2] == ["body", "events"] and str(loc[2]) == str(index)
               for loc in _detail_locs(err))


def reason_of(err: BatchRefused) -> str:
    try:
        detail = json.loads(err.body).get("detail")
        if isinstance(detail, list) and detail and isinstance(detail[0], dict):
            d = detail[0]
            loc = ".".join(str(x) for x in d.get("loc", [])[3:]) or "event"
            return f"HTTP {err.status}: {loc}: {d.get('msg', '')}"[:500]
        if detail:
            return f"HTTP {err.status}: {detail}"[:500]
    except (ValueError, AttributeError, RecursionError):
        pass
    text = " ".join(re.sub(r"<[^>]*>", " ", err.body).split())  # a proxy's HTML page: its words
    return f"HTTP {err.status}: {text[:300]}"


class BlanketRefusal(OmsError):
    """The OMS, or a proxy in front of it, refuses batches without saying which event: a station or network
    problem. Nothing is quarantined; the events stay queued and the outbox tries again after its back-off."""

    def __init__(self, err: BatchRefused, why: str) -> None:
        super().__init__(f"the OMS or a proxy in front of it refuses the events batch ({reason_of(err)}); {why}: "
                         "not an event's fault, the events stay queued (check the network and proxy, or ask the "
                         "OMS administrator)")
        self.status = err.status


def isolate_refused_batch(client, store: Store, station_id: str, batch_size: int, clock_offset_ms: int | None,
                          err: BatchRefused) -> int:
    """The OMS refused a batch for good: halve it until the head event alone is refused, then quarantine
    that event if it is its own fault: the OMS's error names it, or the event after it, sent alone, goes
    through. Events before it are sent on the way. -> events quarantined (0: progress was made and the
    caller drains again). At most log2(batch_size) + 1 requests.

    Raises OmsError when the refusal is not the event's fault: a batch-level field named, a refusal that is
    not the OMS's own error format (a proxy's HTML 400: nothing is halved), or one that names no event and
    comes for the event after it too. Nothing is quarantined then: a proxy answering every batch with
    "400 Request Header Or Cookie Too Large" had the whole queue quarantined one good event at a time."""
    _not_the_events(err)
    size = batch_size
    while size > 1:
        size //= 2
        try:
            drain(client, store, station_id, batch_size=size, max_batches=1, clock_offset_ms=clock_offset_ms)
        except BatchRefused as e:
            err = e
            _not_the_events(err)
            continue
        return 0  # the first `size` events went through: the caller drains again from the new head
    # the head event alone was refused (the last attempt, or the caller's batch of one)
    with store.read() as c:
        head = c.execute(select(E.c.seq, E.c.id, E.c.type).where(E.c.sync_state == "pending")
                         .order_by(E.c.seq).limit(1)).first()
    if head is None:
        return 0
    reason = reason_of(err)
    if not _names_event(err, 0):
        # the OMS did not say it is this event: the event after it, alone, tells (the OMS de-duplicates by id
        # and the order of events on the wire does not matter to it)
        try:
            res = drain(client, store, station_id, batch_size=1, max_batches=1, clock_offset_ms=clock_offset_ms,
                        after=head.seq)
        except BatchRefused as e:
            raise BlanketRefusal(e, "the event after the refused one is refused alone too") from None
        if not res.sent and not res.rejected:
            raise BlanketRefusal(err, "a single event, with no other to compare it with")
        reason += " (refused alone; the event after it was accepted)"
    quarantine(store, [(dict(head._mapping), reason)], source="oms", http_status=err.status)
    return 1


def _not_the_events(err: BatchRefused) -> None:
    field = _batch_level_field(err)
    if field is not None:
        raise OmsError(f"the OMS refuses every batch of this station ({reason_of(err)}; field {field})")
    # A body that is not the OMS's own says nothing about an event. 413 alone is still halved: smaller
    # batches may pass a proxy's body limit, and only an event refused while its neighbour passes is quarantined.
    if _oms_error(err) is None and err.status != 413:
        raise BlanketRefusal(err, "its answer is not the OMS's error format")


def requeue(store: Store, seqs: list[int] | None) -> list[dict[str, Any]]:
    """Put quarantined events back in the queue, all of them (`seqs` None) or those seqs, once the cause is
    fixed (the OMS, a proxy): they are sent at the next drain, before the events behind them. Logged, each with
    the reason it was quarantined for. -> the events put back (seq, id, type, reason)."""
    q = select(E.c.seq, E.c.id, E.c.type, E.c.reject_reason).where(E.c.sync_state == "rejected")
    back: list[dict[str, Any]] = []
    with store.write() as c:
        for part in [None] if seqs is None else [seqs[i:i + 500] for i in range(0, len(seqs), 500)]:
            rows = c.execute(q if part is None else q.where(E.c.seq.in_(part))).all()
            done = [r.seq for r in rows]
            for i in range(0, len(done), 500):
                chunk = done[i:i + 500]
                c.execute(update(E).where(E.c.seq.in_(chunk), E.c.sync_state == "rejected")
                          .values(sync_state="pending", reject_reason=None, sent_at_ms=None))
                c.execute(delete(Q).where(Q.c.seq.in_(chunk)))
            back += [{"seq": r.seq, "id": r.id, "type": r.type, "reason": r.reject_reason} for r in rows]
    back.sort(key=lambda e: e["seq"])
    for e in back:
        log.warning("event #%s %s (%s) put back in the outbox queue by hand; it was quarantined for: %s",
                    e["seq"], e["type"], e["id"], e["reason"], extra=FILE_ONLY)
    return back


def quarantined_events(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    """Events taken out of the queue for good, newest first, with who refused them and why."""
    q = (select(E.c.seq, E.c.id, E.c.type, E.c.order_id, E.c.reject_reason, Q.c.source, Q.c.http_status,
                func.coalesce(Q.c.quarantined_at_ms, E.c.sent_at_ms).label("at_ms"))
         .select_from(E.outerjoin(Q, Q.c.seq == E.c.seq))
         .where(E.c.sync_state == "rejected").order_by(E.c.seq.desc()).limit(limit))
    with store.read() as c:
        rows = c.execute(q).all()
    return [{"seq": r.seq, "id": r.id, "type": r.type, "order_id": r.order_id, "reason": r.reject_reason,
             "source": r.source or "oms", "http_status": r.http_status, "at_ms": r.at_ms} for r in rows]
