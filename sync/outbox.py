"""The outbox worker's core: send pending events in seq order, in batches, at least once.

Crash safety: an event is marked sent only after the OMS answered for it; a kill between send and
mark re-sends it and the OMS answers `duplicate` (its de-duplication by event id makes the effect
exactly once). Rejected events stay in the log with their reason (sync_state='rejected').
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from app import schema
from app.events import row_to_event
from app.store import Store

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
    """(pending count, oldest pending ts_utc_ms, rejected count)."""
    with store.read() as c:
        n, oldest = c.execute(select(func.count(), func.min(E.c.ts_utc_ms)).where(E.c.sync_state == "pending")).one()
        rej = c.execute(select(func.count()).where(E.c.sync_state == "rejected")).scalar() or 0
    return n or 0, oldest, rej


def rejected_events(store: Store) -> list[dict]:
    with store.read() as c:
        rows = c.execute(select(E.c.seq, E.c.id, E.c.type, E.c.order_id, E.c.reject_reason)
                         .where(E.c.sync_state == "rejected").order_by(E.c.seq)).all()
    return [dict(r._mapping) for r in rows]


def drain(client, store: Store, station_id: str, *, batch_size: int = 200, max_batches: int | None = None,
          clock_offset_ms: int | None = None) -> DrainResult:
    """Send until the queue is empty (or max_batches). Raises OmsError when the OMS is unreachable."""
    res = DrainResult(clock_offset_ms=clock_offset_ms)
    while max_batches is None or res.batches < max_batches:
        with store.read() as c:
            rows = c.execute(select(E).where(E.c.sync_state == "pending").order_by(E.c.seq).limit(batch_size)).all()
        if not rows:
            break
        wire = [row_to_event(r).to_wire() for r in rows]
        t0 = now_ms()
        results, server_ms = client.send_batch(station_id, wire, res.clock_offset_ms)
        t1 = now_ms()
        res.clock_offset_ms = estimate_offset(t0, server_ms, t1)
        by_id = {r["id"]: r for r in results}
        sent_ids, rejected = [], []
        for ev in wire:
            r = by_id.get(ev["id"])
            if r is None:
                continue  # partial answer: stays pending, sent again next time
            if r["status"] == "rejected":
                rejected.append((ev, str(r.get("reason") or "rejected by OMS")))
            else:
                sent_ids.append(ev["id"])
                if r["status"] == "duplicate":
                    res.duplicates += 1
        with store.write() as c:
            if sent_ids:
                for i in range(0, len(sent_ids), 500):
                    c.execute(update(E).where(E.c.id.in_(sent_ids[i:i + 500]), E.c.sync_state == "pending")
                              .values(sync_state="sent", sent_at_ms=t1))
            for ev, reason in rejected:
                c.execute(update(E).where(E.c.id == ev["id"]).values(sync_state="rejected", reject_reason=reason,
                                                                     sent_at_ms=t1))
            store.set_kv("sync.clock_offset_ms", res.clock_offset_ms, conn=c)
        res.sent += len(sent_ids)
        res.rejected += [{"seq": ev["seq"], "id": ev["id"], "type": ev["type"], "reason": reason}
                         for ev, reason in rejected]
        for ev, reason in rejected:
            log.warning("OMS rejected event #%s %s (%s): %s", ev["seq"], ev["type"], ev["id"], reason)
        res.batches += 1
        if not sent_ids and not rejected:
            log.error("OMS answered a batch without results for any of its events; will retry later")
            break
    return res


