"""The event log: every fact the station learns or does, committed before the screen reports it.

An event has an id (UUIDv7, made here: no network, no lock service), the station id, a per-station
sequence number (gap-free, survives restarts: it is assigned inside the committing transaction and
only advanced after the commit succeeded), the operator, UTC time in milliseconds, a monotonic
clock reading, a type and a JSON payload. `EventLog.append` is the only way to record a step.

The events table is also the outbox: `sync/` reads pending events in sequence order and marks them
sent or rejected; nothing else is ever updated and nothing is deleted.

Event types and their payloads (all ids are strings; quantities integers; weights grams):

  login / logout            {badge, role}
  picklist_claimed          {order_id, provisional: bool}
  picklist_released         {order_id, reason}
  step_started              {order_id, step}                       step in pick|verify|pack|weigh|label
  step_completed            {order_id, step}
  step_suspended/resumed    {order_id, step}
  scan                      {order_id, step, raw, source, symbology, code, verdict: {kind, ...ScanVerdict.to_dict()}}
  undo                      {order_id, undone_seq, line_id, qty, step}   compensating event, never a deletion; a
                            short pick taken back (F4): qty 0 and undone: "short_pick" (undone_seq is its seq)
  short_pick                {order_id, line_id, sku, qty_required, qty_found, reason}
                            reason in insufficient_stock|wrong_item_in_location|damaged|not_found
  gift_confirmed            {order_id, line_id, sku, how: scanned|confirmed}
  carton_chosen             {order_id, carton}
  weight_recorded           {order_id, grams, expected_g, tolerance_g, ok}
  override                  {order_id, supervisor_id, what, reason}       e.g. what=weight_mismatch|force_line;
                            + grams, expected_g, tolerance_g (weight) or line_id, sku, qty_required, qty_scanned
  order_intercepted         {order_id, status, reason}
  label_printed / slip_printed {order_id, job_id}
  reprint                   {order_id, job_id, reprint_of, reason}
  printer_fault             {printer, state, detail, job_id}
  order_completed           {order_id, complexity: single_item|single_sku_multi|mixed, lines, units}
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from dataclasses import dataclass, field, fields
from typing import Any

import uuid_utils
from pydantic_core import from_json, to_json
from sqlalchemy import Connection, TextClause, bindparam, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app import schema
from app.store import Store

log = logging.getLogger(__name__)

# Sent straight to the driver, on the writer transaction's own connection: SQLAlchemy's execution
# context around one INSERT cost more than the INSERT (a tenth of a millisecond on every scan).
INSERT_COLUMNS = ("seq", "id", "station_id", "operator_id", "ts_utc_ms", "mono_ns", "type", "kind", "order_id",
                  "payload")  # what an append writes, in this order (the rest of a row are the outbox's columns)
_INSERT_SQL = (f"INSERT INTO {schema.events.name} ({', '.join(INSERT_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(INSERT_COLUMNS))})")
assert set(INSERT_COLUMNS) <= set(schema.events.c.keys()), "the event INSERT names a column the schema lacks"


class EventPayloadError(ValueError):
    """An event payload that is not strict JSON: refused before it reaches the log (and the outbox)."""


# The strict encoder (json.dumps with these options builds a new one per call: ~1 us a scan): the one that decides.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False)
_NON_JSON = (b"NaN", b"Infinity")  # pydantic-core writes these for NaN/Infinity in inf_nan_mode="constants"


def encode_payload(type: str, payload: dict[str, Any]) -> str:
    """The payload as stored and sent: strict JSON (RFC 8259 has no NaN or Infinity), valid UTF-8.

    Written by pydantic-core's encoder (Rust; 1.4 us for a scan's payload against the standard library's 5.2, warm):
    for JSON values the same values as the standard encoder writes (a few floats spelt otherwise: 1e-7 for 1e-07);
    values of other types as pydantic-core writes them (a datetime in ISO 8601), str() of the rest. It has no strict
    mode: a payload it refuses (a lone surrogate) or whose JSON holds a NaN/Infinity token (or those letters inside a
    string) goes to the standard library's strict encoder, which refuses what is not strict JSON and writes the rest."""
    out = _fast_strict(payload, str)
    if out is not None:
        return out.decode("utf-8")
    try:
        body = _ENCODER.encode(payload)
        body.encode("utf-8")
    except ValueError as e:  # NaN/Infinity (ValueError) or a lone surrogate (UnicodeEncodeError)
        bad = _first_bad(payload)
        raise EventPayloadError(f"event {type}: payload field {bad or '?'} is not valid JSON "
                                f"({'NaN/Infinity' if not isinstance(e, UnicodeError) else 'invalid text'}); "
                                "refused so it cannot block the outbox") from None
    return body


def _fast_strict(doc: Any, fallback=None) -> bytes | None:
    """`doc` as pydantic-core writes it, when that is strict JSON; None when it is not or pydantic-core refuses it
    (a lone surrogate): then the standard library's strict encoder decides."""
    try:
        out = to_json(doc, inf_nan_mode="constants", fallback=fallback)
    except Exception:  # PydanticSerializationError and anything else it raises
        return None
    return out if _NON_JSON[0] not in out and _NON_JSON[1] not in out else None


def strict_json(doc: Any) -> bytes:
    """`doc` (JSON values only) as compact strict JSON in UTF-8, as the outbox sends a batch: pydantic-core's encoder
    (a 200-event batch of the bench mix 0.34 ms against the standard library's 1.16, measured on the slow 2-core
    machine), or the standard library's strict encoder for what pydantic-core cannot write strictly, which raises
    ValueError (UnicodeEncodeError for a lone surrogate) for what is not strict JSON."""
    out = _fast_strict(doc)
    return out if out is not None else json.dumps(doc, allow_nan=False, ensure_ascii=False,
                                                  separators=(",", ":")).encode("utf-8")


def read_payload(body: str) -> Any:
    """A stored payload read back (the event log's reader and the outbox's): pydantic-core's parser (a scan's
    payload 3.6 µs against the standard library's 9.8, same machine), or the standard library's for what it refuses
    (a lone surrogate's escape, a NaN token: the outbox's guard then names such an event), so a stored payload reads
    as it always did."""
    try:
        return from_json(body)
    except ValueError:
        return json.loads(body)


def _first_bad(v: Any, path: str = "") -> str | None:
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return path or "(value)"
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            return path or "(value)"
    if isinstance(v, dict):
        for k, x in v.items():
            if (r := _first_bad(x, f"{path}.{k}" if path else str(k))) is not None:
                return r
    if isinstance(v, list | tuple):
        for i, x in enumerate(v):
            if (r := _first_bad(x, f"{path}[{i}]")) is not None:
                return r
    return None


class EventType:
    LOGIN = "login"
    LOGOUT = "logout"
    PICKLIST_CLAIMED = "picklist_claimed"
    PICKLIST_RELEASED = "picklist_released"
    STEP_STARTED = "step_started"
    STEP_COMPLETED = "step_completed"
    STEP_SUSPENDED = "step_suspended"
    STEP_RESUMED = "step_resumed"
    SCAN = "scan"
    UNDO = "undo"
    SHORT_PICK = "short_pick"
    GIFT_CONFIRMED = "gift_confirmed"
    CARTON_CHOSEN = "carton_chosen"
    WEIGHT_RECORDED = "weight_recorded"
    OVERRIDE = "override"
    ORDER_INTERCEPTED = "order_intercepted"
    LABEL_PRINTED = "label_printed"
    SLIP_PRINTED = "slip_printed"
    REPRINT = "reprint"
    PRINTER_FAULT = "printer_fault"
    ORDER_COMPLETED = "order_completed"


@dataclass(frozen=True)
class Event:
    seq: int
    id: str
    station_id: str
    operator_id: str | None
    ts_utc_ms: int
    mono_ns: int
    type: str
    order_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    kind: str | None = None  # sub-kind for statistics: verdict kind, short-pick reason, override what

    def to_wire(self) -> dict[str, Any]:
        """The event as the OMS contract sends it."""
        return {
            "id": self.id,
            "station_id": self.station_id,
            "seq": self.seq,
            "operator_id": self.operator_id,
            "ts_utc_ms": self.ts_utc_ms,
            "mono_ns": self.mono_ns,
            "type": self.type,
            "kind": self.kind,
            "order_id": self.order_id,
            "payload": self.payload,
        }


assert [f.name for f in fields(Event)] == ["seq", "id", "station_id", "operator_id", "ts_utc_ms", "mono_ns", "type",
                                          "order_id", "payload", "kind"], "EventLog._insert sets these, in this order"


def last_of_unfinished_orders_query(types: list[str], operator_id: str | None, *, anyone: bool = False,
                                    only: list[str] | None = None) -> TextClause:
    """Driven from the pick lists (CROSS JOIN keeps them the outer loop whatever the statistics), each
    event found through the order index, one short range per unfinished pick list: a station's whole
    history (a million events: 3.4 s walked in Python) is never walked, so a login does not wait on it
    (~60 ms with 10,000 unfinished pick lists of 10 events each). `anyone`: whoever's the event is; `only`: those
    whose newest event is of these types (the rest are never read out: 10,000 rows decoded for nothing at a login)."""
    who = "" if anyone else " AND e.operator_id IS :operator"
    last = " AND e.type IN :only" if only else ""
    q = text(
        "SELECT e.* FROM picklists AS p CROSS JOIN events AS e ON e.seq = ("
        " SELECT max(x.seq) FROM events AS x INDEXED BY ix_events_order"
        " WHERE x.order_id = p.id AND x.type IN :types)"
        f" WHERE p.status != 'done'{who}{last} ORDER BY e.seq"
    ).bindparams(bindparam("types", list(types), expanding=True))
    if only:
        q = q.bindparams(bindparam("only", list(only), expanding=True))
    return q if anyone else q.bindparams(operator=operator_id)


def _seq_taken(exc: IntegrityError) -> bool:
    """The INSERT failed because its sequence number is in the log already (not a UUID clash or another rule)."""
    return "events.seq" in str(exc.orig)


def row_to_event(row: Any) -> Event:
    m = row._mapping
    return Event(
        seq=m["seq"],
        id=m["id"],
        station_id=m["station_id"],
        operator_id=m["operator_id"],
        ts_utc_ms=m["ts_utc_ms"],
        mono_ns=m["mono_ns"],
        type=m["type"],
        order_id=m["order_id"],
        payload=read_payload(m["payload"]),
        kind=m["kind"],
    )


class EventLog:
    """Append-only, durable, gap-free per station. Thread-safe (one writer)."""

    def __init__(self, store: Store, station_id: str, clock_ms=None, mono_ns=None) -> None:
        self.store = store
        self.station_id = station_id
        self._clock_ms = clock_ms or (lambda: time.time_ns() // 1_000_000)
        self._mono_ns = mono_ns or time.monotonic_ns
        self._next_seq: int | None = None
        self._listeners: list[Any] = []
        # (seq, ts_utc_ms, mono_ns) of the last event written before this log was opened — by the station's previous
        # run: the last sign that it was alive when it stopped (app.workflow: a step running at a crash is counted
        # as suspended from there, not worked through the time the station was down). None on an empty log.
        self.before_open: tuple[int, int, int] | None = store.point_read(
            "SELECT seq, ts_utc_ms, mono_ns FROM events ORDER BY seq DESC LIMIT 1")

    def now(self) -> tuple[int, int]:
        """(UTC ms, monotonic ns) as this log stamps an event now."""
        return self._clock_ms(), self._mono_ns()

    def subscribe(self, fn) -> None:
        """fn(event) is called after each committed append, on the appending thread."""
        self._listeners.append(fn)

    @staticmethod
    def _load_next_seq(con: sqlite3.Connection) -> int:
        return (con.execute("SELECT max(seq) FROM events").fetchone()[0] or 0) + 1

    def append(
        self,
        type: str,
        payload: dict[str, Any] | None = None,
        *,
        operator_id: str | None = None,
        order_id: str | None = None,
        kind: str | None = None,
        conn: Connection | None = None,
        at: tuple[int, int] | None = None,
    ) -> Event:
        """Commit one event and return it. When this returns, the event is on disk (synchronous=FULL).

        With `conn` (a connection of an open `Store.write()` block) the event joins that transaction
        instead: it commits, or rolls back, together with the row it describes (a print job marked
        done and its label_printed event), and listeners hear of it only after that COMMIT.
        Raises EventPayloadError for a payload that is not strict JSON (NaN, Infinity, a lone
        surrogate): such an event could never be sent and would block the outbox.

        `at` (ts_utc_ms, mono_ns): when the fact happened, if before now — only a step suspended by a crash, written
        at the restart with the time of the station's last event before it (`before_open`); its seq is now's."""
        payload = payload or {}
        body = encode_payload(type, payload)
        if conn is not None:
            return self._append_in(conn, type, payload, body, operator_id, order_id, kind, at)
        # The store's write lock (re-entrant) is held across the COMMIT and the cache update: every
        # append, joined or not, is serialised by that one lock, so lock order cannot invert.
        # Written on the writer's sqlite3 connection as `Store.write_dbapi()` does, without its block (every scan).
        store = self.store
        with store.write_lock:
            con = store.writer_dbapi()
            try:
                if self._next_seq is None:
                    self._next_seq = self._load_next_seq(con)
                try:
                    ev = self._insert(con, self._next_seq, type, payload, body, operator_id, order_id, kind, at)
                except IntegrityError as exc:
                    if not _seq_taken(exc):
                        raise
                    # Another process appended since this one read the sequence (`packstation sync-now` recording an
                    # intercept while the station runs): the cached number was taken, and every later append of
                    # this process failed on it until a restart. The sequence goes on after the other's events.
                    log.warning("event #%d was written by another process on %s; this one's events follow it",
                                self._next_seq, store.path)
                    ev = self._insert(con, self._load_next_seq(con), type, payload, body, operator_id, order_id,
                                      kind, at)
                con.commit()
            except BaseException as exc:
                self._next_seq = None  # re-read at the next append: whatever failed, the database has the truth
                store.failed_dbapi(con, exc)
            store.checkpointer.committed()
            # Only reached after COMMIT succeeded: the sequence never skips a number.
            self._next_seq = ev.seq + 1
        self._tell(ev)
        return ev

    def _append_in(self, conn: Connection, type, payload, body, operator_id, order_id, kind, at) -> Event:
        if not self.store.holds_write(conn):
            raise ValueError("EventLog.append(conn=...) needs the connection of an open Store.write() block")
        # The caller holds the store's write lock, so no other append can run until its COMMIT; the
        # sequence comes from the transaction itself and the cache is dropped (re-read after the
        # commit or the rollback, whichever happens).
        self._next_seq = None
        con = conn.connection.driver_connection
        ev = self._insert(con, self._load_next_seq(con), type, payload, body, operator_id, order_id, kind, at)
        self.store.after_commit(conn, lambda: self._tell(ev))
        return ev

    def _insert(self, con: sqlite3.Connection, seq: int, type, payload, body, operator_id, order_id, kind,
                at: tuple[int, int] | None) -> Event:
        # Event(...) with its ten fields set at once (the frozen dataclass's __init__ sets them one by one): every scan
        ev = object.__new__(Event)
        object.__setattr__(ev, "__dict__", {
            "seq": seq, "id": str(uuid_utils.uuid7()), "station_id": self.station_id, "operator_id": operator_id,
            "ts_utc_ms": self._clock_ms() if at is None else at[0], "mono_ns": self._mono_ns() if at is None else at[1],
            "type": type, "order_id": order_id, "payload": payload, "kind": kind})
        params = (ev.seq, ev.id, ev.station_id, ev.operator_id, ev.ts_utc_ms, ev.mono_ns, ev.type, ev.kind,
                  ev.order_id, body)
        try:
            con.execute(_INSERT_SQL, params)
        except sqlite3.Error as exc:  # raised as SQLAlchemy raises it everywhere else (IntegrityError, ...)
            raise DBAPIError.instance(_INSERT_SQL, params, exc, sqlite3.Error) from exc
        return ev

    def _tell(self, ev: Event) -> None:
        for fn in list(self._listeners):
            try:
                fn(ev)
            except Exception:  # a listener's bug must not undo a committed fact
                log.exception("event listener failed for %s #%s", ev.type, ev.seq)

    def reset_cache(self) -> None:
        """Forget the cached next sequence (after a failed commit the next append re-reads it)."""
        self._next_seq = None

    def events(
        self,
        *,
        order_id: str | None = None,
        types: list[str] | None = None,
        since_seq: int = 0,
        limit: int | None = None,
    ) -> list[Event]:
        q = select(schema.events).where(schema.events.c.seq > since_seq).order_by(schema.events.c.seq)
        if order_id is not None:
            q = q.where(schema.events.c.order_id == order_id)
        if types:
            q = q.where(schema.events.c.type.in_(types))
        if limit:
            q = q.limit(limit)
        with self.store.read() as c:
            return [row_to_event(r) for r in c.execute(q)]

    def last_of_unfinished_orders(self, types: list[str], operator_id: str | None, *,
                                  anyone: bool = False, only: list[str] | None = None) -> list[Event]:
        """For every cached pick list not done, its newest event of these types, when that event is this
        operator's (`anyone`: whoever's it is; see last_of_unfinished_orders_query). A cancelled one is among them:
        begun and not released, it was stopped while the station was down or before the packer pressed Esc, and comes
        back stopped."""
        with self.store.read() as c:
            return [row_to_event(r) for r in c.execute(last_of_unfinished_orders_query(types, operator_id,
                                                                                       anyone=anyone, only=only))]

    def last(self, type: str | None = None) -> Event | None:
        q = select(schema.events).order_by(schema.events.c.seq.desc()).limit(1)
        if type:
            q = q.where(schema.events.c.type == type)
        with self.store.read() as c:
            row = c.execute(q).first()
        return row_to_event(row) if row else None

    def count(self) -> int:
        with self.store.read() as c:
            return c.execute(select(func.count()).select_from(schema.events)).scalar() or 0
