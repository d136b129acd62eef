"""The outbox worker's core: send pending events in seq order, in batches, at least once.

Crash safety: an event is marked sent only after the OMS answered for it; a kill between send and
mark re-sends it and the OMS answers `duplicate` (its de-duplication by event id makes the effect
exactly once). Rejected events stay in the log with their reason (sync_state='rejected').
"""

from __future__ import annotations

import logging
import time
from collections import deque
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

from sqlalchemy import select, update

from app import schema
from app.config import OmsSettings
from app.events import read_payload
from app.store import Store
from sync.client import MalformedReply

log = logging.getLogger(__name__)
E = schema.events


@dataclass
class DrainResult:
    sent: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)
    batches: int = 0
    clock_offset_ms: int | None = None


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def estimate_offset(t0_ms: int, server_ms: int, t1_ms: int) -> int:
    """NTP-style: server clock minus the midpoint of our send/receive (positive: our clock is behind)."""
    return int(round(server_ms - (t0_ms + t1_ms) / 2))


def queue_stats(store: Store) -> tuple[int, int | None, int]:
    """(pending count, oldest pending ts_utc_ms, rejected count), without counting the queue: the
    health check runs every second and a station offline for a shift has a million events pending.

    The outbox is sent in seq order and seq is gap-free, so every event after the highest seq that
    left the queue (sent, rejected, or any other state but pending) is still pending: the count is
    max(seq) - that high-water mark, plus the few pending events below it (a batch the OMS answered
    only in part). Every step is an index seek on the primary key or ix_events_sync(sync_state, seq);
    only the rejected events are counted one by one (there are few, and each one needs a person)."""
    with store.read() as c:
        raw = c.connection.dbapi_connection
        return _queue_stats(raw)


def _queue_stats(raw) -> tuple[int, int | None, int]:
    last = raw.execute("SELECT max(seq) FROM events").fetchone()[0]
    if last is None:
        return 0, None, 0
    hwm = 0
    for state in _states(raw):
        if state != "pending":
            hwm = max(hwm, raw.execute("SELECT max(seq) FROM events WHERE sync_state = ?", (state,)).fetchone()[0])
    below = raw.execute("SELECT count(*) FROM events WHERE sync_state = 'pending' AND seq < ?", (hwm,)).fetchone()[0]
    oldest = raw.execute("SELECT ts_utc_ms FROM events WHERE sync_state = 'pending' ORDER BY sync_state, seq "
                         "LIMIT 1").fetchone()
    rej = raw.execute("SELECT count(*) FROM events WHERE sync_state = 'rejected'").fetchone()[0]
    return (last - hwm) + below, oldest[0] if oldest else None, rej


def _states(raw) -> list[str]:
    """The distinct sync states, by skipping through ix_events_sync (one seek per state, no scan)."""
    out: list[str] = []
    cur = raw.execute("SELECT sync_state FROM events ORDER BY sync_state LIMIT 1").fetchone()
    while cur is not None:
        out.append(cur[0])
        cur = raw.execute("SELECT sync_state FROM events WHERE sync_state > ? ORDER BY sync_state LIMIT 1",
                          (cur[0],)).fetchone()
    return out


def rejected_events(store: Store) -> list[dict]:
    with store.read() as c:
        rows = c.execute(select(E.c.seq, E.c.id, E.c.type, E.c.order_id, E.c.reject_reason)
                         .where(E.c.sync_state == "rejected").order_by(E.c.seq)).all()
    return [dict(r._mapping) for r in rows]


IN_FLIGHT = 2  # batches on the wire at once: the OMS works on one while the station reads, encodes and books


def drain(client, store: Store, station_id: str, *, batch_size: int = OmsSettings.batch_size, max_batches: int | None = None,
          clock_offset_ms: int | None = None, pool: Executor | None = None, after: int = 0) -> DrainResult:
    """Send until the queue is empty (or max_batches). Raises OmsError when the OMS is unreachable, and
    MalformedReply when it answers a batch for none of its events (a success, it was sent again at once in a
    tight loop). `after`: the pending events after this seq only.

    Up to IN_FLIGHT batches are on the wire at once (worker threads wait for the HTTP replies) while the
    station reads the next batch and books the answers in the order the batches were sent: a backlog drains
    at the pace of the slower side, not of the two one after the other (with one batch on the wire the OMS
    waited while the station booked an answer and encoded the next batch, and the station while the OMS
    stored it: 100,000 events 8.9 s on a slow 2-core machine). Batches are disjoint and the OMS de-duplicates
    by event id, so their order on the wire does not matter. When a batch fails, the batches sent after it
    are still waited for and their answers booked (what the OMS took is not sent again), then the failure
    is raised. `pool`: the caller's executor of at least IN_FLIGHT workers, kept across drains (a station
    drains after nearly every scan: new threads each time are churn over a shift); without it, one for
    this drain."""
    res = DrainResult(clock_offset_ms=clock_offset_ms)
    marks = SentMarks(store)
    own = pool is None
    flying: deque[tuple[list[dict], int, Future]] = deque()
    with ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="outbox-send") if own \
            else nullcontext(pool) as pool:
        try:
            sent_batches = 0
            wire = pending_batch(store, batch_size, after)
            while True:
                while wire and len(flying) < IN_FLIGHT and (max_batches is None or sent_batches < max_batches):
                    flying.append((wire, now_ms(), pool.submit(client.send_batch, station_id, wire,
                                                               res.clock_offset_ms)))
                    sent_batches += 1
                    # batches follow each other by seq: an event left pending in this drain waits for the next
                    more = max_batches is None or sent_batches < max_batches
                    wire = pending_batch(store, batch_size, wire[-1]["seq"]) if more else []
                if not flying:
                    break
                marks.flush_if_due()  # here, with the OMS busy on the batches on the wire, not between them
                done, t0, reply = flying.popleft()
                if not _book(res, marks, store, done, t0, reply):  # (the OMS client says so itself, as malformed)
                    # nothing more sent in this drain; what is on the wire is still booked (finally)
                    raise MalformedReply(f"events batch: the reply answers none of the {len(done)} events sent")
        finally:
            _book_the_rest(res, marks, store, flying)
    return res


def _book_the_rest(res: DrainResult, marks: SentMarks, store: Store, flying: deque) -> None:
    """After a failure (or at the end): the batches still on the wire booked, their own failures left to the next
    drain (the first failure is the one raised); then the marks written."""
    try:
        while flying:
            try:
                _book(res, marks, store, *flying.popleft())
            except Exception as exc:  # noqa: BLE001
                log.info("outbox: a batch sent after a failed one failed too: %s", exc)
    finally:
        marks.flush_now()


def _book(res: DrainResult, marks: SentMarks, store: Store, wire: list[dict], t0: int, reply: Future) -> bool:
    """Wait for one batch's reply (raising what its send raised) and book it. A reply without a server time (None:
    `GuardedClient` found it implausible) leaves the clock offset as it was."""
    results, server_ms = reply.result()
    t1 = now_ms()
    if server_ms is not None:
        res.clock_offset_ms = estimate_offset(t0, server_ms, t1)
    if not _record_answer(res, marks, store, wire, results, t1):
        return False
    res.batches += 1
    return True


def _record_answer(res: DrainResult, marks: SentMarks, store: Store, wire: list[dict], results: list[dict],
                   t1: int) -> bool:
    """Book one batch's answer; False if the OMS answered for none of its events."""
    by_id = {r["id"]: r for r in results}
    sent_seqs, rejected = [], []
    for ev in wire:
        r = by_id.get(ev["id"])
        if r is None:
            continue  # partial answer: stays pending, sent again next time
        if r["status"] == "rejected":
            rejected.append((ev, str(r.get("reason") or "rejected by OMS")))
        else:
            sent_seqs.append(ev["seq"])
            if r["status"] == "duplicate":
                res.duplicates += 1
    marks.add(sent_seqs, t1, res.clock_offset_ms)
    if rejected:
        with store.write() as c:
            marks.flush(c)
            for ev, reason in rejected:
                c.execute(update(E).where(E.c.id == ev["id"]).values(sync_state="rejected", reject_reason=reason,
                                                                     sent_at_ms=t1))
    res.sent += len(sent_seqs)
    res.rejected += [{"seq": ev["seq"], "id": ev["id"], "type": ev["type"], "reason": reason}
                     for ev, reason in rejected]
    for ev, reason in rejected:
        log.warning("OMS rejected event #%s %s (%s): %s", ev["seq"], ev["type"], ev["id"], reason)
    return bool(sent_seqs or rejected)


_SQL_BATCH = ("SELECT seq, id, station_id, operator_id, ts_utc_ms, mono_ns, type, kind, order_id, payload "
              "FROM events WHERE sync_state = 'pending' AND seq > ? ORDER BY seq LIMIT ?")


def pending_batch(store: Store, batch_size: int, after: int = 0) -> list[dict]:
    """The next batch as the OMS contract sends it (`Event.to_wire()`): the oldest pending events after
    seq `after`, in seq order (a seek on ix_events_sync)."""
    with store.read() as c:
        rows = c.connection.dbapi_connection.execute(_SQL_BATCH, (after, batch_size)).fetchall()
    return [{"id": i, "station_id": st, "seq": seq, "operator_id": op, "ts_utc_ms": ts, "mono_ns": mono,
             "type": typ, "kind": kind, "order_id": order, "payload": read_payload(payload)}
            for seq, i, st, op, ts, mono, typ, kind, order, payload in rows]


# By primary key, one statement per run of consecutive seqs (a batch's answer is mostly one run): with
# `id IN (...) AND sync_state = 'pending'` SQLite planned the UPDATE on ix_events_sync and walked every pending row
# for each batch (a quadratic drain), and a seq range after ANALYZE became a skip-scan of that index. NOT INDEXED
# keeps it on the rowid range; the state test still applies to each row of the run, so an event rejected
# meanwhile stays rejected. A statement per run instead of per event: 8.6 -> 5.0 us an event marked
# (100,000 marks, 2026-12-05).
MARK_SENT_SQL = ("UPDATE events NOT INDEXED SET sync_state = 'sent', sent_at_ms = :t WHERE seq BETWEEN :lo AND :hi "
                 "AND sync_state = 'pending'")


def seq_runs(seqs: list[int]) -> list[tuple[int, int]]:
    """The seqs as runs of consecutive numbers, (first, last) each: [1, 2, 3, 7, 8] -> [(1, 3), (7, 8)]. Every
    number of a run is one of the seqs, whatever their order."""
    runs: list[list[int]] = []
    for s in seqs:
        if runs and s == runs[-1][1] + 1:
            runs[-1][1] = s
        else:
            runs.append([s, s])
    return [(first, last) for first, last in runs]


class SentMarks:
    """Sent marks of a drain, committed together every FLUSH_EVERY_S (and at the end of the drain, and
    before a rejection is written) instead of one synchronous commit per batch: a mark lost in a crash
    only means the event is sent again and the OMS answers `duplicate` (at least once, exactly-once
    effect), while a commit per 200 events spent most of a backlog drain waiting for fsync."""

    FLUSH_EVERY_S = 0.5

    def __init__(self, store: Store) -> None:
        self.store = store
        self.runs: list[tuple[int, int, int]] = []  # (t_ms, first seq, last seq)
        self.offset: int | None = None
        self.dirty = False
        self.last = time.monotonic()

    def add(self, seqs: list[int], t_ms: int, clock_offset_ms: int | None) -> None:
        self.runs += [(t_ms, first, last) for first, last in seq_runs(seqs)]
        self.offset = clock_offset_ms
        self.dirty = True

    def flush(self, conn) -> None:
        """Write the marks in the caller's transaction."""
        if self.runs:  # the DB-API cursor inside the caller's transaction: no per-row parameter compiling
            conn.connection.dbapi_connection.executemany(
                MARK_SENT_SQL, [{"t": t, "lo": lo, "hi": hi} for t, lo, hi in self.runs])
        if self.dirty:
            self.store.set_kv("sync.clock_offset_ms", self.offset, conn=conn)
        self.runs, self.dirty, self.last = [], False, time.monotonic()

    def flush_now(self) -> None:
        if self.dirty:
            with self.store.write() as c:
                self.flush(c)

    def flush_if_due(self) -> None:
        if time.monotonic() - self.last >= self.FLUSH_EVERY_S:
            self.flush_now()
