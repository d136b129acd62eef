"""The reference OMS: FastAPI app implementing resources/openapi.yaml (models in sync/contract.py) over
SQLite (one process, the demo and tests) or PostgreSQL (several worker processes).

Every endpoint needs a station's bearer token (`packstation oms-server token issue --station S1`); the
station id of a request is the token's, never the body's. Request bodies are limited in size and must be
strict JSON (no NaN/Infinity, no lone surrogates) before any endpoint sees them.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import logging
import os
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import anyio
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from pydantic_core import from_json
from sqlalchemy import create_engine, event, func, inspect, select, text, tuple_, update
from sqlalchemy.schema import CreateIndex

from app.stats import ERROR_EVENT_TYPES, STEP_EVENTS, latest_error_entries, with_order_numbers
from sync.contract import (
    I64_MAX,
    BatchReply,
    ClaimReply,
    ClaimRequest,
    ErrorReply,
    EventBatch,
    OperatorList,
    OrderStatus,
    PickList,
    PickListPage,
    ProductPage,
    ReleaseRequest,
    ServerTime,
    Stats,
    WireEvent,
)
from sync.oms_server import models as m
from sync.oms_stats import make_router

log = logging.getLogger(__name__)

API = "/api/v1"
MAX_BODY_BYTES = 8 * 1024 * 1024  # a 5,000-event batch of ordinary events is ~2 MB

DESCRIPTION = """\
Contract between packstation stations and an order management system (OMS). All times are UTC
milliseconds since the epoch (`*_ms`); the station never orders steps by wall clock (events carry a
per-station gap-free `seq`). Lists support `updated_since` (ms) + opaque `cursor`, and ETag/If-None-Match.

## Field mapping to real back ends

| Contract field | Odoo (stock.move.line / stock.picking) | ERPNext (Pick List Item) | Shopify (FulfillmentOrderLineItem) | ShipStation (OrderItem) |
|---|---|---|---|---|
| picklist.id | stock.picking.id | Pick List.name | FulfillmentOrder.id | orderId |
| picklist.order_no | picking.origin (sale.order.name) | Pick List Item.sales_order | Order.name | orderNumber |
| picklist.status | picking.state (assigned/done/cancel) | Pick List.docstatus + status | FulfillmentOrder.status | orderStatus |
| picklist.carrier / service | carrier_id / delivery_type | Shipment.carrier / service | deliveryMethod | carrierCode / serviceCode |
| picklist.ship_to | partner_id (street, city, zip, country) | shipping_address | destination | shipTo |
| picklist.expected_weight_g | shipping_weight (kg x 1000) | total_net_weight | weight | weight (units) |
| line.id | move_line.id | Pick List Item.name | lineItem.id | orderItemId |
| line.sku | product_id.default_code | item_code | sku | sku |
| line.name | product_id.name | item_name | productTitle | name |
| line.color / size / style | product attribute values / product_tmpl_id | variant attributes / variant_of | variantTitle / product | options[] |
| line.image_url | product image_1920 url | image | image.url | imageUrl |
| line.qty | reserved_uom_qty (quantity) | qty | remainingQuantity | quantity |
| line.bin / bin_barcode | location_id.name / location_id.barcode | warehouse / (bin) | (none: location) | warehouseLocation |
| line.barcodes[] | product barcode + packaging barcodes (qty) | Item Barcode (uom, conversion) | barcode | upc |
| line.lot | lot_id / expiration_date (use_expiration_date) | batch_no / serial_no | (none) | (none) |
| line.gift / fragile | product tags | item group / custom field | giftCard / tags | (option) |
| line.weight_g | product weight (kg x 1000) | weight_per_unit | weight | weight |
"""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# -- database ----------------------------------------------------------------------------------------

def _on_connect(dbapi_conn, _rec) -> None:
    """SQLite: WAL with synchronous=NORMAL. A committed batch survives the OMS process dying (killed,
    crashed); an OS crash or power cut may lose the last commits before the next checkpoint, after the
    station was told "accepted". Durable enough for the reference OMS on SQLite (demo, tests, figures); a
    warehouse runs it on PostgreSQL, whose commits are flushed (synchronous_commit on).
    Checkpoints every 10,000 WAL pages (~40 MB; SQLite's default is 1,000): each one fsyncs on the commit
    that triggers it, and a busy index page is copied once per checkpoint instead of ten times (a 100k-event
    backlog: 2.1 instead of 4.5 ms of commit per 200-event batch); the WAL file is cut back to 64 MB after."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def is_postgres_url(db: str | Path) -> bool:
    return str(db).startswith(("postgresql:", "postgresql+", "postgres:"))


def make_engine(db: str | Path, *, create: bool = True):
    """`db` is a SQLite file path or a PostgreSQL URL (postgresql://user@host/db; driver psycopg 3)."""
    if is_postgres_url(db):
        url = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", str(db))
        # as many pooled connections as a worker's request threads may use at once: connections made and
        # dropped per request (pool overflow) cost more than the requests themselves
        eng = create_engine(url, pool_size=20, max_overflow=0, pool_timeout=30, pool_recycle=600)
    else:
        eng = create_engine(f"sqlite+pysqlite:///{db}", connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(eng, "connect", _on_connect)
    if create:
        _upgrade_old_sqlite(eng)
        _add_event_times(eng)
        m.metadata.create_all(eng)
        with eng.begin() as c:  # indexes added since a table was created (create_all skips existing tables)
            for table in m.metadata.sorted_tables:
                for index in table.indexes:
                    c.execute(CreateIndex(index, if_not_exists=True))
    return eng


def _add_event_times(eng) -> None:
    """An OMS database from before events had their own time column: the column added and filled from each event's
    document (once; the figures then read a day's events along ix_events_ts)."""
    insp = inspect(eng)
    if "events" not in insp.get_table_names() or "ts_utc_ms" in {c["name"] for c in insp.get_columns("events")}:
        return
    fill = ("CAST(doc::jsonb ->> 'ts_utc_ms' AS bigint)" if eng.dialect.name == "postgresql"
            else "json_extract(doc, '$.ts_utc_ms')")
    with eng.begin() as c:
        c.exec_driver_sql("ALTER TABLE events ADD COLUMN ts_utc_ms BIGINT")
        c.exec_driver_sql(f"UPDATE events SET ts_utc_ms = {fill}")
    log.info("reference OMS: events given their time column (the figures read a day's events by it)")


def _upgrade_old_sqlite(eng) -> None:
    """A demo OMS file from before event ids were scoped by station: its events table is rebuilt (demo data)."""
    if eng.dialect.name != "sqlite":
        return
    insp = inspect(eng)
    if "events" in insp.get_table_names() and insp.get_pk_constraint("events")["constrained_columns"] != [
            "station_id", "id"]:
        log.warning("reference OMS: events table from an older version dropped (event ids are now per station)")
        with eng.begin() as c:
            c.exec_driver_sql("DROP TABLE events")
            c.exec_driver_sql("DELETE FROM station_stats")


# -- station credentials -------------------------------------------------------------------------------

STATION_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue_token(engine, station_id: str) -> str:
    """A new bearer token for a station (shown once; the OMS keeps only its SHA-256)."""
    if not STATION_ID_RE.match(station_id):
        raise ValueError("a station id is 1-64 letters, digits, '_', '.', ':' or '-'")
    token = "pst_" + secrets.token_urlsafe(32)
    with engine.begin() as c:
        c.execute(m.station_tokens.insert().values(token_hash=_token_hash(token), station_id=station_id,
                                                   created_ms=now_ms()))
    return token


def revoke_tokens(engine, station_id: str) -> int:
    with engine.begin() as c:
        res = c.execute(update(m.station_tokens).where(m.station_tokens.c.station_id == station_id,
                                                       m.station_tokens.c.revoked_ms.is_(None))
                        .values(revoked_ms=now_ms()))
    return res.rowcount


class TokenTable:
    """The station of a bearer token, on every request, without a query per request. All unrevoked tokens
    are read in one query, again once the last read is `ttl` seconds old (a revocation takes effect within
    ttl; 0: every request looks its token up). A token issued since the last read, and a wrong one, is looked
    up alone. (A look-up per token per ttl was 75 queries a second in each of 2 workers at 300 stations; the
    batch p99 behind them 88-621 ms against 19-143 with this table: oms_300_stations_p99_ms.)"""

    def __init__(self, engine, ttl: float, clock=time.monotonic) -> None:
        self.engine = engine
        self.ttl = ttl
        self._clock = clock
        self._valid: dict[str, str] = {}  # token hash -> station id, as read at _read_at
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def _fresh(self) -> bool:
        return self.ttl > 0 and self._clock() - self._read_at < self.ttl

    def station(self, token: str, cached_only: bool = False) -> str | None:
        """The station of an issued, unrevoked token, else None. cached_only (on the event loop): None
        unless the table read within ttl holds it, never a query."""
        h = _token_hash(token)
        if self.ttl > 0:
            if not self._fresh():
                if cached_only:
                    return None
                self._read()
            if (sid := self._valid.get(h)) is not None:
                return sid
        if cached_only:
            return None
        with self.engine.connect() as c:  # issued since the read, or wrong: looked up alone
            return c.execute(select(m.station_tokens.c.station_id).where(
                m.station_tokens.c.token_hash == h, m.station_tokens.c.revoked_ms.is_(None))).scalar()

    def _read(self) -> None:
        with self._lock:
            if self._fresh():  # another thread read it while this one waited
                return
            t = self._clock()  # before the query: a revocation committed during it counts from t
            with self.engine.connect() as c:
                rows = c.execute(select(m.station_tokens.c.token_hash, m.station_tokens.c.station_id)
                                 .where(m.station_tokens.c.revoked_ms.is_(None))).all()
            self._valid = dict(rows)
            self._read_at = t


def list_tokens(engine) -> list[dict[str, Any]]:
    with engine.connect() as c:
        rows = c.execute(select(m.station_tokens.c.station_id, m.station_tokens.c.created_ms,
                                m.station_tokens.c.revoked_ms, m.station_tokens.c.token_hash)
                         .order_by(m.station_tokens.c.station_id, m.station_tokens.c.created_ms)).all()
    return [{"station_id": r.station_id, "created_ms": r.created_ms, "revoked_ms": r.revoked_ms,
             "fingerprint": r.token_hash[:12]} for r in rows]


# -- hostile input ---------------------------------------------------------------------------------------

# A JSON number decodes to an infinite float (>= 1.8e308) only with an exponent of 3 or more digits, or
# with at least 210 digits before its point (a 2-digit exponent adds at most 99); a number follows ':', ','
# or '['. A body with no such number has nothing for _finite to find (a string that merely looks so only
# costs the walk; UUIDs like "…-1e234…" do not follow those characters).
# Possessive quantifiers (*+, ++, ?+): a number that is not followed by an exponent is given up at once instead of
# backtracking digit by digit (the same matches; 3.7 -> 2.0 ms on a batch of 200 scan events, 2026-12-05).
_MAY_OVERFLOW = re.compile(rb"[:,\[]\s*+-?+(?:[0-9]{200}|[0-9]++(?:\.[0-9]++)?+[eE][+-]?+[0-9]{3})")


def _finite(x: Any) -> bool:
    """No inf (1e400 parses to inf) anywhere in a decoded JSON document."""
    if isinstance(x, float):
        return x == x and x not in (float("inf"), float("-inf"))
    if isinstance(x, dict):
        return all(_finite(v) for v in x.values())
    if isinstance(x, list):
        return all(_finite(v) for v in x)
    return True


class BodyGuard:
    """ASGI middleware in front of every endpoint, in this order: a valid station token (else 401; the
    station goes to scope["state"]["oms_station"]), a body within `max_bytes` (else 413, declared or
    streamed), and for JSON bodies strict JSON (no NaN/Infinity literals or overflowing floats, no lone
    surrogates, valid UTF-8; else 400)."""

    def __init__(self, app, check_token, max_bytes: int = MAX_BODY_BYTES, fast: dict | None = None) -> None:
        self.app = app
        self.check_token = check_token
        self.max_bytes = max_bytes
        self.fast = fast if fast is not None else {}

    async def _fast_batch(self, sid: str, doc: Any, send) -> None:
        """POST /events/batch without the framework around it (the hot path of hundreds of stations): the
        contract's EventBatch model (on the document already decoded strictly above) and store_batch,
        the same as the route; errors in the route's shapes (422 detail list, 403 detail)."""
        try:
            batch = EventBatch.model_validate(doc)
        except ValidationError as exc:
            errs = [{"loc": ["body", *[str(x) for x in e.get("loc", ())]], "msg": str(e.get("msg", ""))[:200]}
                    for e in exc.errors()[:20]]
            return await self._send_json(send, 422, {"error": "invalid_request", "detail": errs})
        if batch.station_id is not None and batch.station_id != sid:
            return await self._send_json(send, 403, {"detail": f"this token belongs to station {sid}, "
                                                               f"not {batch.station_id}"})
        reply = await anyio.to_thread.run_sync(self.fast["batch"], sid, batch)
        return await self._send_json(send, 200, reply)

    @staticmethod
    async def _send_json(send, status: int, doc: Any) -> None:
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def _reply(send, status: int, error: str, extra: list | None = None) -> None:
        body = json.dumps({"error": error, "detail": error}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                *(extra or [])]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if not scope["path"].startswith(API + "/"):  # /docs, /openapi.json: public, no data
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        authz = headers.get(b"authorization", b"")
        scheme, _, token = authz.partition(b" ")
        sid = None
        if scheme.lower() == b"bearer" and 0 < len(token) <= 200:
            tok = token.decode("latin-1").strip()
            sid = self.check_token(tok, cached_only=True)  # a recently checked token: no thread, no query
            if sid is None:
                sid = await anyio.to_thread.run_sync(self.check_token, tok)
        if sid is None:
            return await self._reply(send, 401, "a valid station token is required",
                                     [(b"www-authenticate", b"Bearer")])
        scope.setdefault("state", {})["oms_station"] = sid
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                return await self._reply(send, 400, "bad Content-Length")
            if too_big:
                return await self._reply(send, 413, f"request body over {self.max_bytes} bytes",
                                         [(b"connection", b"close")])
        chunks, size, more = [], 0, True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await self._reply(send, 413, f"request body over {self.max_bytes} bytes",
                                         [(b"connection", b"close")])
            chunks.append(chunk)
            more = msg.get("more_body", False)
        body = b"".join(chunks)
        if body:
            ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if ctype == b"application/json" or ctype.endswith(b"+json"):
                try:
                    doc = from_json(body, allow_inf_nan=False)
                except ValueError as e:
                    return await self._reply(send, 400, f"body is not strict JSON: {str(e)[:120]}")
                if _MAY_OVERFLOW.search(body) and not _finite(doc):
                    return await self._reply(send, 400, "body is not strict JSON: number out of range")
                if scope["path"] == API + "/events/batch" and scope["method"] == "POST" and "batch" in self.fast:
                    return await self._fast_batch(sid, doc, send)
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


_PG_BATCH_SQL = text("""
WITH new AS (
    INSERT INTO events (station_id, id, seq, "type", doc, received_ms, clock_offset_ms, ts_utc_ms)
    SELECT :sid, u.id, u.seq, u.typ, u.doc, :t, CAST(:off AS bigint), u.ts
    FROM unnest(CAST(:ids AS text[]), CAST(:seqs AS bigint[]), CAST(:types AS text[]), CAST(:docs AS text[]),
                CAST(:tss AS bigint[]))
         AS u(id, seq, typ, doc, ts)
    ON CONFLICT (station_id, id) DO NOTHING
    RETURNING id
), counters AS (
    INSERT INTO station_stats AS s (station_id, received, unique_, duplicates, rejected, batches, last_clock_offset_ms)
    VALUES (:sid, :rec, (SELECT count(*) FROM new), :dup + :ncand - (SELECT count(*) FROM new), :rej, 1,
            CAST(:off AS bigint))
    ON CONFLICT (station_id) DO UPDATE SET
        received = s.received + EXCLUDED.received, unique_ = s.unique_ + EXCLUDED.unique_,
        duplicates = s.duplicates + EXCLUDED.duplicates, rejected = s.rejected + EXCLUDED.rejected,
        batches = s.batches + 1, last_clock_offset_ms = EXCLUDED.last_clock_offset_ms
), worked AS (  -- the orders of the events stored now (order_ends: their claims)
    SELECT DISTINCT w.oid FROM unnest(CAST(:ids AS text[]), CAST(:oids AS text[])) AS w(id, oid)
    WHERE w.oid IS NOT NULL AND w.id IN (SELECT id FROM new)
), ends AS (  -- the order ends among the events stored now (order_ends): the orders' states, same statement
    SELECT e.typ, e.oid FROM unnest(CAST(:end_ids AS text[]), CAST(:end_types AS text[]), CAST(:end_orders AS text[]))
         AS e(id, typ, oid)
    WHERE e.id IN (SELECT id FROM new)
), claimed AS (
    -- SQLite's claim, done and back run one after another; here they share one snapshot (and a row updated twice in
    -- one statement takes either update), so each order is updated once, by the one that gives the same outcome:
    -- `claimed` the orders with no order end, `done` and `back` the claim too where nobody held one
    UPDATE orders SET claimed_by = :sid, claimed_at_ms = :t,
        status = CASE WHEN status = 'open' THEN 'claimed' ELSE status END, updated_ms = :t
    WHERE id IN (SELECT oid FROM worked) AND id NOT IN (SELECT oid FROM ends) AND claimed_by IS NULL
), done AS (
    UPDATE orders SET status = CASE WHEN status = 'cancelled' THEN status ELSE 'done' END,
        claimed_by = COALESCE(claimed_by, :sid),
        claimed_at_ms = CASE WHEN claimed_by IS NULL THEN :t ELSE claimed_at_ms END, updated_ms = :t
    WHERE id IN (SELECT oid FROM ends WHERE typ = 'order_completed') AND (status <> 'cancelled' OR claimed_by IS NULL)
), back AS (
    UPDATE orders SET status = CASE WHEN status IN ('open', 'claimed', 'in_progress') THEN 'open' ELSE status END,
        claimed_by = CASE WHEN status IN ('open', 'claimed', 'in_progress') THEN NULL ELSE :sid END,
        claimed_at_ms = CASE WHEN status IN ('open', 'claimed', 'in_progress') THEN NULL ELSE :t END, updated_ms = :t
    WHERE id IN (SELECT oid FROM ends WHERE typ = 'picklist_released')
      AND id NOT IN (SELECT oid FROM ends WHERE typ = 'order_completed')
      AND ((claimed_by = :sid AND status IN ('claimed', 'in_progress')) OR claimed_by IS NULL)
)
SELECT id FROM new
""")


# An event as stored: model_dump_json's own JSON, by the model's serializer without the method's Python wrapper
# around it (3.9 -> 2.2 us an event, 2026-12-05)
_event_json = WireEvent.__pydantic_serializer__.to_json

# SQLite's batch store (see _sqlite_store_batch): plain DB-API statements, prepared once by sqlite3's cache
_SQLITE_KNOWN_IDS = "SELECT id FROM events WHERE station_id = ? AND id IN (SELECT value FROM json_each(?))"
# The station's events that change an order's state at the OMS (order_ends, in the batch's own transaction).
ORDER_END_EVENTS = frozenset({"order_completed", "picklist_released"})
_SQLITE_INSERT_EVENT = ("INSERT INTO events (station_id, id, seq, \"type\", doc, received_ms, clock_offset_ms, "
                        "ts_utc_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
# order_ends' three statements, in this order, in the batch's own transaction (the order ids as a JSON array)
_SQLITE_ORDERS_CLAIMED = ("UPDATE orders SET claimed_by = ?, claimed_at_ms = ?, "
                          "status = CASE WHEN status = 'open' THEN 'claimed' ELSE status END, updated_ms = ? "
                          "WHERE id IN (SELECT value FROM json_each(?)) AND claimed_by IS NULL")
_SQLITE_ORDERS_DONE = ("UPDATE orders SET status = 'done', updated_ms = ? "
                       "WHERE id IN (SELECT value FROM json_each(?)) AND status <> 'cancelled'")
_SQLITE_ORDERS_BACK = ("UPDATE orders SET status = 'open', claimed_by = NULL, claimed_at_ms = NULL, updated_ms = ? "
                       "WHERE id IN (SELECT value FROM json_each(?)) AND claimed_by = ? "
                       "AND status IN ('claimed', 'in_progress')")
_SQLITE_COUNTERS = """
INSERT INTO station_stats (station_id, received, unique_, duplicates, rejected, batches, last_clock_offset_ms)
VALUES (?, ?, ?, ?, ?, 1, ?)
ON CONFLICT (station_id) DO UPDATE SET
    received = received + excluded.received, unique_ = unique_ + excluded.unique_,
    duplicates = duplicates + excluded.duplicates, rejected = rejected + excluded.rejected,
    batches = batches + 1, last_clock_offset_ms = excluded.last_clock_offset_ms
"""


# -- cursors ---------------------------------------------------------------------------------------------

MAX_LIMIT = 1000
_CURSOR_RE = re.compile(r"^([0-9]{1,19}):(.{0,180})$", re.ASCII | re.DOTALL)


def _enc_cursor(ms: int, key: str) -> str:
    return f"{ms}:{key}"


def _dec_cursor(cursor: str | None) -> tuple[int, str] | None:
    if not cursor:
        return None
    mt = _CURSOR_RE.match(cursor)
    if not mt or int(mt.group(1)) > I64_MAX:
        raise HTTPException(400, "bad cursor")
    return int(mt.group(1)), mt.group(2)


def cancel_due(t: int) -> tuple:
    """The orders the demo rule cancels at time t (claimed long enough ago); planned on ix_orders_cancel_due."""
    return (m.orders.c.cancel_after_claim_ms.is_not(None),
            m.orders.c.claimed_at_ms + m.orders.c.cancel_after_claim_ms <= t,
            m.orders.c.status.in_(["claimed", "in_progress"]))


def picklists_query(sid: str, updated_since: int | None, cur: tuple[int, str] | None, limit: int):
    """GET /picklists: one page in (updated_ms, id) order, read along ix_orders_updated. A poll
    (updated_since) is a range on it; a cursor continues the range from its (updated_ms, id) (a row-value
    comparison the index serves, not an OR that reads the page's predecessors again)."""
    o = m.orders.c
    q = select(m.orders).order_by(o.updated_ms, o.id).limit(limit + 1)
    if updated_since is not None:
        q = q.where(o.updated_ms > updated_since)
    else:  # first full pull: only what this station may work (changes incl. claims by others always reach it)
        q = q.where(o.status.in_(["open", "claimed", "in_progress", "held"]))
        q = q.where((o.claimed_by.is_(None)) | (o.claimed_by == sid))
    if cur:
        q = q.where(o.updated_ms >= cur[0], tuple_(o.updated_ms, o.id) > tuple_(cur[0], cur[1]))
    return q


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- the app ---------------------------------------------------------------------------------------------

TOKEN_CACHE_S = 2.0


def create_app(db: str | Path, *, max_body_bytes: int = MAX_BODY_BYTES, token_cache_s: float | None = None) -> FastAPI:
    """token_cache_s: how old the station's table of valid tokens may be (TokenTable; default: env
    PACKSTATION_OMS_TOKEN_CACHE_S or TOKEN_CACHE_S); revocations take effect within it."""
    if token_cache_s is None:
        token_cache_s = float(os.environ.get("PACKSTATION_OMS_TOKEN_CACHE_S", TOKEN_CACHE_S))
    engine = make_engine(db)
    sqlite = engine.dialect.name == "sqlite"
    # SQLite has one writer: serialise writes in this (single) process. PostgreSQL runs several worker
    # processes; there row locks (SELECT ... FOR UPDATE) and INSERT ... ON CONFLICT keep claims and de-dup right.
    write_lock = threading.Lock() if sqlite else contextlib.nullcontext()
    app = FastAPI(title="packstation OMS contract", version="2.0.0", description=DESCRIPTION)
    app.state.engine = engine

    check_token = TokenTable(engine, token_cache_s).station

    fast: dict[str, Any] = {}  # store_batch, defined with the routes below
    app.add_middleware(BodyGuard, check_token=check_token, max_bytes=max_body_bytes, fast=fast)
    bearer = HTTPBearer(auto_error=False, description="a station's token: `packstation oms-server token issue`")

    def station(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:  # noqa: B008
        """The calling station, from its bearer token (checked by BodyGuard before anything else)."""
        sid = getattr(request.state, "oms_station", None)
        if not sid:
            raise HTTPException(401, "a valid station token is required", headers={"WWW-Authenticate": "Bearer"})
        return sid

    def _same_station(body_station: str | None, sid: str) -> None:
        if body_station is not None and body_station != sid:
            raise HTTPException(403, f"this token belongs to station {sid}, not {body_station}")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # the errors without the offending input (it may be huge or unprintable)
        errs = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))[:200]}
                for e in exc.errors()[:20]]
        return JSONResponse({"error": "invalid_request", "detail": errs}, status_code=422)

    def _expire_cancellations(conn) -> None:
        """Demo rule: an order with cancel_after_claim_ms is cancelled that long after its claim."""
        t = now_ms()
        conn.execute(update(m.orders).where(*cancel_due(t))
                     .values(status="cancelled", reason="cancelled by customer", updated_ms=t))

    def _expire() -> None:
        """Before a read: a look-up on ix_orders_cancel_due, no write transaction unless an order is due."""
        with engine.connect() as conn:
            due = conn.execute(select(m.orders.c.id).where(*cancel_due(now_ms())).limit(1)).first()
        if due is not None:
            with write_lock, engine.begin() as conn:
                _expire_cancellations(conn)

    def _order_doc(row) -> dict[str, Any]:
        d = json.loads(row.doc)
        d["status"] = row.status
        d["updated_at"] = str(row.updated_ms)
        return d

    def _page(rows, key_fn, limit):
        nxt = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            nxt = _enc_cursor(last.updated_ms, key_fn(last))
        return rows, nxt

    def _etag_reply(body: dict[str, Any], if_none_match: str | None) -> Response:
        raw = json.dumps(body["items"], ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        etag = '"' + hashlib.sha1((raw + str(body["next_cursor"])).encode()).hexdigest() + '"'
        if if_none_match and if_none_match.strip() == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse(body, headers={"ETag": etag})

    auth = {401: {"model": ErrorReply, "description": "no valid station token"}}
    auth403 = {**auth, 403: {"model": ErrorReply, "description": "station_id in the body is not the token's"}}

    @app.get(f"{API}/time", response_model=ServerTime, tags=["time"], responses=auth)
    def get_time(sid: str = Depends(station)) -> dict[str, int]:
        return {"server_time_ms": now_ms()}

    @app.get(f"{API}/picklists", response_model=PickListPage,
             responses={304: {"description": "Not modified"}, 400: {"model": ErrorReply}, **auth})
    def list_picklists(
        updated_since: int | None = Query(None, ge=0, le=I64_MAX),
        cursor: str | None = Query(None, max_length=200),
        limit: int = Query(200, ge=1, le=MAX_LIMIT),
        if_none_match: str | None = Header(None),
        sid: str = Depends(station),
    ) -> Response:
        cur = _dec_cursor(cursor)
        _expire()
        q = picklists_query(sid, updated_since, cur, limit)
        with engine.connect() as conn:
            rows = conn.execute(q).all()
        rows, nxt = _page(rows, lambda r: r.id, limit)
        items = []
        for r in rows:
            d = _order_doc(r)
            d["claimed_by"] = r.claimed_by
            items.append(d)
        return _etag_reply({"items": items, "next_cursor": nxt, "server_time_ms": now_ms()}, if_none_match)

    @app.get(f"{API}/picklists/{{picklist_id}}", response_model=PickList,
             responses={404: {"model": ErrorReply}, **auth})
    def get_picklist(picklist_id: str, sid: str = Depends(station)) -> Response:
        _expire()
        with engine.connect() as conn:
            row = conn.execute(select(m.orders).where(m.orders.c.id == picklist_id)).first()
        if row is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        d = _order_doc(row)
        d["claimed_by"] = row.claimed_by
        return JSONResponse(d)

    @app.post(f"{API}/picklists/{{picklist_id}}/claim", response_model=ClaimReply,
              responses={404: {"model": ErrorReply}, 409: {"model": ErrorReply}, **auth403})
    def claim(picklist_id: str, body: ClaimRequest, sid: str = Depends(station)) -> Response:
        _same_station(body.station_id, sid)
        t = now_ms()
        with write_lock, engine.begin() as conn:
            _expire_cancellations(conn)
            row = conn.execute(select(m.orders).where(m.orders.c.id == picklist_id).with_for_update()).first()
            if row is None:
                return JSONResponse({"error": "not_found"}, status_code=404)
            if row.status in ("cancelled", "held", "done"):
                return JSONResponse({"error": "not_claimable", "status": row.status}, status_code=409)
            if row.claimed_by and row.claimed_by != sid:
                return JSONResponse({"error": "claimed_by_other", "claimed_by": row.claimed_by,
                                     "status": row.status}, status_code=409)
            status = row.status
            if row.claimed_by != sid:
                status = "claimed"
                conn.execute(update(m.orders).where(m.orders.c.id == picklist_id)
                             .values(claimed_by=sid, claimed_at_ms=t, status=status, updated_ms=t))
        return JSONResponse({"id": picklist_id, "claimed_by": sid, "status": status})

    @app.post(f"{API}/picklists/{{picklist_id}}/release", response_model=ClaimReply,
              responses={404: {"model": ErrorReply}, 409: {"model": ErrorReply}, **auth403})
    def release(picklist_id: str, body: ReleaseRequest, sid: str = Depends(station)) -> Response:
        _same_station(body.station_id, sid)
        t = now_ms()
        with write_lock, engine.begin() as conn:
            row = conn.execute(select(m.orders).where(m.orders.c.id == picklist_id).with_for_update()).first()
            if row is None:
                return JSONResponse({"error": "not_found"}, status_code=404)
            if row.claimed_by is None:  # nothing to release (a retried release lands here): no change
                return JSONResponse({"id": picklist_id, "claimed_by": None, "status": row.status})
            if row.claimed_by != sid:  # only the claiming station releases
                return JSONResponse({"error": "claimed_by_other", "claimed_by": row.claimed_by,
                                     "status": row.status}, status_code=409)
            status = row.status if row.status in ("cancelled", "held", "done") else "open"
            conn.execute(update(m.orders).where(m.orders.c.id == picklist_id)
                         .values(claimed_by=None, claimed_at_ms=None, status=status, updated_ms=t))
        return JSONResponse({"id": picklist_id, "claimed_by": None, "status": status})

    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

    def _pg_store_batch(sid: str, t: int, offset: int | None, candidates: dict[str, dict[str, Any]], rec: int,
                        dup: int, rej: int, ends: dict[str, tuple[str, str]]) -> set[str]:
        """PostgreSQL: the events, the station's counters and the orders' claims and states they set (as
        `order_ends` says) in one statement, one round trip (a data-modifying CTE is atomic); ON CONFLICT keeps
        concurrent retries of the same batch from storing anything twice."""
        rows = list(candidates.values())
        with autocommit.connect() as conn:
            got = conn.execute(_PG_BATCH_SQL, {
                "sid": sid, "t": t, "off": offset, "rec": rec, "dup": dup, "rej": rej, "ncand": len(rows),
                "ids": [r["id"] for r in rows], "seqs": [r["seq"] for r in rows], "types": [r["type"] for r in rows],
                "docs": [r["doc"] for r in rows], "tss": [r["ts"] for r in rows], "oids": [r["oid"] for r in rows], "end_ids": list(ends),
                "end_types": [e[0] for e in ends.values()], "end_orders": [e[1] for e in ends.values()]}).scalars()
            return set(got)

    def _sqlite_store_batch(sid: str, t: int, offset: int | None, candidates: dict[str, dict[str, Any]], rec: int,
                            dup: int, rej: int, ends: dict[str, tuple[str, str]]) -> set[str]:
        """SQLite: one write transaction per batch, taken at its start (BEGIN IMMEDIATE: no other writer, in
        this process or another, between the look-up and the insert): the ids already stored for this
        station are found in one statement (primary-key seeks), the new events go in with one executemany
        of a prepared INSERT (no statement built per batch), the station's counters in one upsert, the orders'
        claims and the states the new order ends set in three UPDATEs. A re-sent batch stores and counts nothing
        twice. The ids stored now are returned."""
        rows = list(candidates.values())
        with write_lock, contextlib.closing(engine.raw_connection()) as raw:
            con = raw.dbapi_connection
            con.execute("BEGIN IMMEDIATE")
            try:
                known = {r[0] for r in con.execute(_SQLITE_KNOWN_IDS, (sid, json.dumps(list(candidates))))}
                fresh = [r for r in rows if r["id"] not in known]
                new = [(sid, r["id"], r["seq"], r["type"], r["doc"], t, offset, r["ts"]) for r in fresh]
                con.executemany(_SQLITE_INSERT_EVENT, new)
                uni = len(new)
                con.execute(_SQLITE_COUNTERS, (sid, rec, uni, dup + len(rows) - uni, rej, offset))
                worked = sorted({r["oid"] for r in fresh if r["oid"]})
                if worked:
                    con.execute(_SQLITE_ORDERS_CLAIMED, (sid, t, t, json.dumps(worked)))
                done, back = order_ends({r[1] for r in new}, ends)
                if done:
                    con.execute(_SQLITE_ORDERS_DONE, (t, json.dumps(done)))
                if back:
                    con.execute(_SQLITE_ORDERS_BACK, (t, json.dumps(back), sid))
                con.execute("COMMIT")
            except BaseException:
                con.rollback()
                raise
        return {r[1] for r in new}

    def order_ends(stored: set[str], ends: dict[str, tuple[str, str]]) -> tuple[list[str], list[str]]:
        """What a station's events say of an order's state, as an OMS keeps it. First its claim: any event of an order
        nobody holds claims it for that station (`open` becomes `claimed`): an order claimed offline and finished
        there is never confirmed by a claim request, its events are all the OMS hears of it. It is claimed at the
        moment the OMS stores them, by the OMS's clock as the claim endpoint stamps a claim (a provisional one
        too), not by the station's (a station clock set wrong would misdate it, and the demo's cancel-after-claim
        rule counts from it); a claim another station holds stands (the station that packed it offline hears so
        on its next poll: SyncService._packed_here_too). Then the order ends: `order_completed` makes the order
        done (a cancelled one stays cancelled), `picklist_released` gives back a pick list this station still holds
        (open again for any station; a cancelled or held one keeps its state; an order also completed in the batch
        is done). Each changes `updated_ms`, so every station's next poll hears of it. Only events stored now count
        (a re-sent batch changes nothing), applied in the batch's own transaction (stored apart, an OMS stopped
        between the two would keep the events and lose the states for good: the re-sent events are duplicates).
        Three statements a batch whatever its size (the bench's mix has 50 order ends in a batch of 500: one UPDATE
        each made `sync_drain_10k_s` 0.56 -> 0.9 s); the PostgreSQL statement does the same in SQL. Returns the
        order ids (done, given back)."""
        done = sorted({oid for i, (typ, oid) in ends.items() if i in stored and typ == "order_completed"})
        back = sorted({oid for i, (typ, oid) in ends.items() if i in stored and typ == "picklist_released"}
                      - set(done))
        return done, back

    def store_batch(sid: str, batch: EventBatch) -> dict[str, Any]:
        """Store a station's batch; the reply. Event ids are unique per station: one station can never squat
        another's ids. Used by the route below and by BodyGuard's fast path (same model, same code)."""
        t = now_ms()
        results: list[dict[str, Any]] = []
        candidates: dict[str, dict[str, Any]] = {}
        rec, dup, rej = len(batch.events), 0, 0
        for e in batch.events:
            if e.id in candidates:
                results.append({"id": e.id, "status": "duplicate", "reason": None})
                dup += 1
            elif e.station_id != sid:
                results.append({"id": e.id, "status": "rejected",
                                "reason": f"station_id {e.station_id!r} is not the token's station"})
                rej += 1
            elif e.seq < 1:
                results.append({"id": e.id, "status": "rejected", "reason": "seq must be >= 1"})
                rej += 1
            else:
                candidates[e.id] = {"id": e.id, "seq": e.seq, "type": e.type, "oid": e.order_id,
                                    "ts": e.ts_utc_ms, "doc": _event_json(e).decode()}
                results.append({"id": e.id, "status": None})
        ends = {e.id: (e.type, e.order_id) for e in batch.events
                if e.type in ORDER_END_EVENTS and e.order_id and e.id in candidates}
        store = _sqlite_store_batch if sqlite else _pg_store_batch
        inserted = store(sid, t, batch.clock_offset_ms, candidates, rec, dup, rej, ends)
        for r in results:
            if r["status"] is None:
                r["status"], r["reason"] = ("accepted" if r["id"] in inserted else "duplicate"), None
        return {"results": results, "server_time_ms": now_ms()}

    fast["batch"] = store_batch

    @app.post(f"{API}/events/batch", response_model=BatchReply, responses=auth403)
    def events_batch(batch: EventBatch, sid: str = Depends(station)) -> Any:
        """Event ids are unique per station: one station can never squat another's ids. The events stored now
        set the orders they name (`order_id`): an order no station holds is claimed by the sending station, at the
        time the OMS stores them (an order claimed and packed offline reaches the OMS only this way; a claim
        another station holds stands); `order_completed` makes it done (a cancelled one stays cancelled); `picklist_released`
        gives back an order that station holds (open again; a held or cancelled one keeps its state). A re-sent
        event changes nothing. (Ordinary JSON requests are answered by BodyGuard's fast path with the same model
        and store_batch.)"""
        _same_station(batch.station_id, sid)
        return JSONResponse(store_batch(sid, batch))

    @app.get(f"{API}/orders/{{order_id}}/status", response_model=OrderStatus,
             responses={404: {"model": ErrorReply}, **auth})
    def order_status(order_id: str, sid: str = Depends(station)) -> Response:
        _expire()
        with engine.connect() as conn:
            row = conn.execute(select(m.orders.c.id, m.orders.c.status, m.orders.c.reason)
                               .where(m.orders.c.id == order_id)).first()
        if row is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        return JSONResponse({"id": row.id, "status": row.status, "reason": row.reason})

    @app.get(f"{API}/operators", response_model=OperatorList,
             responses={**auth, 403: {"model": ErrorReply, "description": "PIN hashes only over TLS or loopback"}})
    def list_operators(request: Request, sid: str = Depends(station)) -> dict[str, Any]:
        """PIN hashes go only to an authenticated station, and only over TLS (or on the same machine)."""
        if request.url.scheme != "https" and not _is_loopback(request.client.host if request.client else None):
            raise HTTPException(403, "operator PIN hashes are only served over TLS")
        with engine.connect() as conn:
            rows = conn.execute(select(m.operators).order_by(m.operators.c.id)).all()
        return {"items": [{"id": r.id, "badge": r.badge, "name": r.name, "role": r.role, "pin_hash": r.pin_hash,
                           "active": bool(r.active)} for r in rows]}

    @app.get(f"{API}/products", response_model=ProductPage,
             responses={304: {"description": "Not modified"}, 400: {"model": ErrorReply}, **auth})
    def list_products(
        updated_since: int | None = Query(None, ge=0, le=I64_MAX),
        cursor: str | None = Query(None, max_length=200),
        limit: int = Query(500, ge=1, le=MAX_LIMIT),
        if_none_match: str | None = Header(None),
        sid: str = Depends(station),
    ) -> Response:
        cur = _dec_cursor(cursor)
        q = select(m.products).order_by(m.products.c.updated_ms, m.products.c.sku).limit(limit + 1)
        if updated_since is not None:
            q = q.where(m.products.c.updated_ms > updated_since)
        if cur:
            q = q.where((m.products.c.updated_ms > cur[0])
                        | ((m.products.c.updated_ms == cur[0]) & (m.products.c.sku > cur[1])))
        with engine.connect() as conn:
            rows = conn.execute(q).all()
        rows, nxt = _page(rows, lambda r: r.sku, limit)
        items = [json.loads(r.doc) for r in rows]
        return _etag_reply({"items": items, "next_cursor": nxt, "server_time_ms": now_ms()}, if_none_match)

    @app.get(f"{API}/images/{{name}}", response_class=Response,
             responses={200: {"content": {"image/png": {}}}, 404: {"model": ErrorReply}, **auth})
    def get_image(name: str, sid: str = Depends(station)) -> Response:
        with engine.connect() as conn:
            row = conn.execute(select(m.images).where(m.images.c.name == name)).first()
        if row is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        etag = '"' + hashlib.sha1(row.data).hexdigest() + '"'
        return Response(row.data, media_type=row.content_type, headers={"ETag": etag, "Cache-Control": "max-age=86400"})

    @app.get(f"{API}/_stats", response_model=Stats, responses=auth)
    def stats(sid: str = Depends(station)) -> dict[str, Any]:
        with engine.connect() as conn:
            rows = conn.execute(select(m.station_stats)).all()
            unique_total = conn.execute(select(func.count()).select_from(m.events)).scalar() or 0
        per = {r.station_id: {"received": r.received, "unique": r.unique_, "duplicates": r.duplicates,
                              "rejected": r.rejected, "batches": r.batches,
                              "last_clock_offset_ms": r.last_clock_offset_ms} for r in rows}
        return {"events_received": sum(p["received"] for p in per.values()), "events_unique": unique_total,
                "duplicates": sum(p["duplicates"] for p in per.values()),
                "rejected": sum(p["rejected"] for p in per.values()), "per_station": per}

    def stats_rows(start_ms: int, end_ms: int) -> list[tuple]:
        """The received events as app.stats rows, so the OMS's all-station figures are computed by the
        very function each station uses for its own (they agree by construction)."""
        ts = m.events.c.ts_utc_ms
        with engine.connect() as conn:  # the day's events along ix_events_ts, not every event ever received
            docs = conn.execute(select(m.events.c.doc).where(ts >= start_ms, ts < end_ms)).scalars().all()
        out = []
        for doc in docs:
            e = json.loads(doc)
            ts = e.get("ts_utc_ms")
            if not isinstance(ts, int) or not start_ms <= ts < end_ms:
                continue
            payload = e.get("payload") or {}
            extra = None
            if e["type"] in STEP_EVENTS:
                extra = payload.get("step")
            elif e["type"] == "order_completed":
                extra = payload.get("complexity")
            out.append((e["station_id"], e.get("operator_id"), ts, e["type"], e.get("kind"), e.get("order_id"), extra,
                        1, e.get("seq", 0), e.get("mono_ns")))  # the monotonic reading: step durations
        out.sort(key=lambda r: (r[0], r[8]))  # per station in append order: a clock set back pairs steps too
        return out

    def error_entries(start_ms: int, end_ms: int, station_id: str | None, operator_id: str | None) -> list[dict]:
        """Every station's newest errors, by the station's own definition (app.stats.error_entry)."""
        ts = m.events.c.ts_utc_ms
        q = select(m.events.c.doc).where(ts >= start_ms, ts < end_ms, m.events.c.type.in_(ERROR_EVENT_TYPES))
        if station_id:
            q = q.where(m.events.c.station_id == station_id)
        with engine.connect() as conn:
            docs = conn.execute(q).scalars().all()
        events = ((e.get("ts_utc_ms"), e.get("station_id"), e.get("operator_id"), e.get("order_id"), e.get("type"),
                   e.get("kind"), e.get("payload"), e.get("seq")) for e in map(json.loads, docs))
        found = latest_error_entries(events, start_ms, end_ms, station_id, operator_id)
        ids = sorted({e["order_id"] for e in found if isinstance(e["order_id"], str)})
        with engine.connect() as conn:  # the orders' numbers ("#50009"), as the stations' screens say them
            numbers = dict(conn.execute(select(m.orders.c.id, m.orders.c.order_no).where(m.orders.c.id.in_(ids))).all())
        return with_order_numbers(found, numbers)

    app.include_router(make_router(stats_rows, errors_fn=error_entries), dependencies=[Depends(station)],
                       responses=auth)
    return app
