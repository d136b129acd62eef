"""The reference OMS: FastAPI app implementing resources/openapi.yaml over its own SQLite DB."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Header, HTTPException, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import create_engine, event, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sync.oms_server import models as m
from sync.oms_stats import make_router

# SQLite stores 64-bit integers: anything larger from a client is a 422, not an OverflowError (500).
I64_MAX = 2**63 - 1
I64 = Annotated[int, Field(ge=-I64_MAX, le=I64_MAX)]

API = "/api/v1"

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


# -- schemas (documentation + validation of what stations send) -----------------------------------

class BarcodeM(BaseModel):
    code: str
    qty_per_scan: int = 1
    kind: Literal["unit", "inner", "case"] = "unit"


class LotRuleM(BaseModel):
    required: bool = False
    allowed: list[str] = []
    min_days_to_expiry: int | None = None


class ShipToM(BaseModel):
    name: str = ""
    phone: str = ""
    address_lines: list[str] = []
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    warnings: list[str] = []


class PickLineM(BaseModel):
    id: str
    sku: str
    name: str = ""
    style: str = ""
    color: str = ""
    size: str = ""
    image_url: str = ""
    qty: int
    unit: str = "pcs"
    bin: str = ""
    bin_barcode: str = ""
    bin_order: int = 0
    barcodes: list[BarcodeM] = []
    lot: LotRuleM = LotRuleM()
    gift: bool = False
    fragile: bool = False
    serial_required: bool = False
    weight_g: float | None = None


class SiblingM(BaseModel):
    code: str
    sku: str
    style: str = ""
    color: str = ""
    size: str = ""
    name: str = ""


class PickList(BaseModel):
    id: str
    order_no: str
    status: Literal["open", "claimed", "in_progress", "done", "cancelled", "held"]
    carrier: str = ""
    service: str = ""
    ship_to: ShipToM = ShipToM()
    expected_weight_g: float | None = None
    weight_tolerance_g: float | None = None
    priority: int = 0
    notes: str = ""
    lines: list[PickLineM]
    siblings: list[SiblingM] = []
    updated_at: str = ""


class PickListPage(BaseModel):
    items: list[PickList]
    next_cursor: str | None
    server_time_ms: int


class Product(BaseModel):
    sku: str
    name: str
    style: str = ""
    color: str = ""
    size: str = ""
    image_url: str = ""
    weight_g: float | None = None
    barcodes: list[BarcodeM] = []


class ProductPage(BaseModel):
    items: list[Product]
    next_cursor: str | None
    server_time_ms: int


class ServerTime(BaseModel):
    server_time_ms: int


class ClaimRequest(BaseModel):
    station_id: str = Field(min_length=1, max_length=64)
    provisional: bool = False
    claimed_at_ms: I64 | None = None


class ReleaseRequest(BaseModel):
    station_id: str = Field(min_length=1, max_length=64)
    reason: str = ""


class ClaimReply(BaseModel):
    id: str
    claimed_by: str | None
    status: str


class ErrorReply(BaseModel):
    error: str
    claimed_by: str | None = None
    status: str | None = None


class WireEvent(BaseModel):
    id: str = Field(min_length=1, max_length=64)
    station_id: str = Field(min_length=1, max_length=64)
    seq: I64
    operator_id: str | None = None
    ts_utc_ms: I64
    mono_ns: I64 = 0
    type: str = Field(min_length=1, max_length=64)
    kind: str | None = None
    order_id: str | None = None
    payload: dict[str, Any] = {}


class EventBatch(BaseModel):
    station_id: str = Field(min_length=1, max_length=64)
    sent_at_ms: I64
    clock_offset_ms: I64 | None = None
    events: list[WireEvent] = Field(max_length=5000)


class EventResult(BaseModel):
    id: str
    status: Literal["accepted", "duplicate", "rejected"]
    reason: str | None = None


class BatchReply(BaseModel):
    results: list[EventResult]
    server_time_ms: int


class OrderStatus(BaseModel):
    id: str
    status: Literal["open", "claimed", "in_progress", "done", "cancelled", "held"]
    reason: str | None = None


class OperatorM(BaseModel):
    id: str
    badge: str
    name: str
    role: Literal["picker", "packer", "supervisor"]
    pin_hash: str
    active: bool


class OperatorList(BaseModel):
    items: list[OperatorM]


class StationStats(BaseModel):
    received: int
    unique: int
    duplicates: int
    rejected: int
    batches: int
    last_clock_offset_ms: int | None = None


class Stats(BaseModel):
    events_received: int
    events_unique: int
    duplicates: int
    rejected: int
    per_station: dict[str, StationStats]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _on_connect(dbapi_conn, _rec) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(db_path: str | Path):
    eng = create_engine(f"sqlite+pysqlite:///{db_path}", connect_args={"check_same_thread": False, "timeout": 10})
    event.listen(eng, "connect", _on_connect)
    m.metadata.create_all(eng)
    return eng


KNOWN_EVENT_TYPES_MAX = 64
MAX_LIMIT = 1000


def _enc_cursor(ms: int, key: str) -> str:
    return f"{ms}:{key}"


def _dec_cursor(cursor: str | None) -> tuple[int, str] | None:
    if not cursor:
        return None
    ms, sep, key = cursor.partition(":")
    if not sep or not ms.isdigit() or int(ms) > I64_MAX:
        raise HTTPException(400, "bad cursor")
    return int(ms), key


def create_app(db_path: str | Path) -> FastAPI:
    engine = make_engine(db_path)
    lock = threading.Lock()  # one writer
    app = FastAPI(title="packstation OMS contract", version="1.0.0", description=DESCRIPTION)
    app.state.engine = engine

    def _expire_cancellations(conn) -> None:
        """Demo rule: an order with cancel_after_claim_ms is cancelled that long after its claim."""
        t = now_ms()
        conn.execute(
            update(m.orders)
            .where(m.orders.c.cancel_after_claim_ms.is_not(None), m.orders.c.claimed_at_ms.is_not(None),
                   m.orders.c.status.in_(["claimed", "in_progress"]),
                   m.orders.c.claimed_at_ms + m.orders.c.cancel_after_claim_ms <= t)
            .values(status="cancelled", reason="cancelled by customer", updated_ms=t)
        )

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

    @app.get(f"{API}/time", response_model=ServerTime, tags=["time"])
    def get_time() -> dict[str, int]:
        return {"server_time_ms": now_ms()}

    @app.get(f"{API}/picklists", response_model=PickListPage, responses={304: {"description": "Not modified"}})
    def list_picklists(
        station_id: str | None = Query(None, max_length=64),
        updated_since: int | None = Query(None, ge=0, le=I64_MAX),
        cursor: str | None = Query(None, max_length=200),
        limit: int = Query(200, ge=1, le=MAX_LIMIT),
        if_none_match: str | None = Header(None),
    ) -> Response:
        cur = _dec_cursor(cursor)
        with lock, engine.begin() as conn:
            _expire_cancellations(conn)
        q = select(m.orders).order_by(m.orders.c.updated_ms, m.orders.c.id).limit(limit + 1)
        if updated_since is not None:
            q = q.where(m.orders.c.updated_ms > updated_since)
        else:  # first full pull: only what a station may work
            q = q.where(m.orders.c.status.in_(["open", "claimed", "in_progress", "held"]))
        if station_id and updated_since is None:  # changes (incl. claims by others) always reach a station
            q = q.where((m.orders.c.claimed_by.is_(None)) | (m.orders.c.claimed_by == station_id)
                        | (m.orders.c.status.in_(["cancelled", "done"])))
        if cur:
            q = q.where((m.orders.c.updated_ms > cur[0]) | ((m.orders.c.updated_ms == cur[0]) & (m.orders.c.id > cur[1])))
        with engine.connect() as conn:
            rows = conn.execute(q).all()
        rows, nxt = _page(rows, lambda r: r.id, limit)
        items = []
        for r in rows:
            d = _order_doc(r)
            d["claimed_by"] = r.claimed_by
            items.append(d)
        return _etag_reply({"items": items, "next_cursor": nxt, "server_time_ms": now_ms()}, if_none_match)

    @app.get(f"{API}/picklists/{{picklist_id}}", response_model=PickList, responses={404: {"model": ErrorReply}})
    def get_picklist(picklist_id: str) -> Response:
        with lock, engine.begin() as conn:
            _expire_cancellations(conn)
        with engine.connect() as conn:
            row = conn.execute(select(m.orders).where(m.orders.c.id == picklist_id)).first()
        if row is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        return JSONResponse(_order_doc(row))

    @app.post(f"{API}/picklists/{{picklist_id}}/claim", response_model=ClaimReply,
              responses={404: {"model": ErrorReply}, 409: {"model": ErrorReply}})
    def claim(picklist_id: str, body: ClaimRequest) -> Response:
        t = now_ms()
        with lock, engine.begin() as conn:
            _expire_cancellations(conn)
            row = conn.execute(select(m.orders).where(m.orders.c.id == picklist_id)).first()
            if row is None:
                return JSONResponse({"error": "not_found"}, status_code=404)
            if row.status in ("cancelled", "held", "done"):
                return JSONResponse({"error": "not_claimable", "status": row.status}, status_code=409)
            if row.claimed_by and row.claimed_by != body.station_id:
                return JSONResponse({"error": "claimed_by_other", "claimed_by": row.claimed_by,
                                     "status": row.status}, status_code=409)
            if row.claimed_by != body.station_id:
                conn.execute(update(m.orders).where(m.orders.c.id == picklist_id)
                             .values(claimed_by=body.station_id, claimed_at_ms=t, status="claimed", updated_ms=t))
        return JSONResponse({"id": picklist_id, "claimed_by": body.station_id, "status": "claimed"})

    @app.post(f"{API}/picklists/{{picklist_id}}/release", response_model=ClaimReply,
              responses={404: {"model": ErrorReply}, 409: {"model": ErrorReply}})
    def release(picklist_id: str, body: ReleaseRequest) -> Response:
        t = now_ms()
        with lock, engine.begin() as conn:
            row = conn.execute(select(m.orders).where(m.orders.c.id == picklist_id)).first()
            if row is None:
                return JSONResponse({"error": "not_found"}, status_code=404)
            if row.claimed_by and row.claimed_by != body.station_id:
                return JSONResponse({"error": "claimed_by_other", "claimed_by": row.claimed_by,
                                     "status": row.status}, status_code=409)
            status = row.status if row.status in ("cancelled", "held", "done") else "open"
            conn.execute(update(m.orders).where(m.orders.c.id == picklist_id)
                         .values(claimed_by=None, claimed_at_ms=None, status=status, updated_ms=t))
        return JSONResponse({"id": picklist_id, "claimed_by": None, "status": status})

    @app.post(f"{API}/events/batch", response_model=BatchReply)
    def events_batch(batch: EventBatch) -> dict[str, Any]:
        t = now_ms()
        results: list[dict[str, Any]] = []
        ids = [e.id for e in batch.events]
        with lock, engine.begin() as conn:
            existing = set()
            for i in range(0, len(ids), 500):
                existing.update(conn.execute(select(m.events.c.id).where(m.events.c.id.in_(ids[i:i + 500]))).scalars())
            rows = []
            seen: set[str] = set()
            per: dict[str, list[int]] = {}
            for e in batch.events:
                st = per.setdefault(e.station_id, [0, 0, 0, 0])
                st[0] += 1
                if e.id in existing or e.id in seen:
                    results.append({"id": e.id, "status": "duplicate"})
                    st[2] += 1
                    continue
                if e.station_id != batch.station_id:
                    results.append({"id": e.id, "status": "rejected", "reason": "station_id differs from the batch"})
                    st[3] += 1
                    continue
                if e.seq < 1:
                    results.append({"id": e.id, "status": "rejected", "reason": "seq must be >= 1"})
                    st[3] += 1
                    continue
                seen.add(e.id)
                st[1] += 1
                rows.append({"id": e.id, "station_id": e.station_id, "seq": e.seq, "type": e.type,
                             "doc": json.dumps(e.model_dump(), ensure_ascii=False), "received_ms": t,
                             "clock_offset_ms": batch.clock_offset_ms})
                results.append({"id": e.id, "status": "accepted"})
            if rows:
                conn.execute(m.events.insert(), rows)
            per.setdefault(batch.station_id, [0, 0, 0, 0])
            for sid, (rec, uni, dup, rej) in per.items():
                stmt = sqlite_insert(m.station_stats).values(
                    station_id=sid, received=rec, unique_=uni, duplicates=dup, rejected=rej,
                    batches=1 if sid == batch.station_id else 0, last_clock_offset_ms=batch.clock_offset_ms)
                stmt = stmt.on_conflict_do_update(index_elements=["station_id"], set_={
                    "received": m.station_stats.c.received + rec, "unique_": m.station_stats.c.unique_ + uni,
                    "duplicates": m.station_stats.c.duplicates + dup, "rejected": m.station_stats.c.rejected + rej,
                    "batches": m.station_stats.c.batches + (1 if sid == batch.station_id else 0),
                    "last_clock_offset_ms": batch.clock_offset_ms})
                conn.execute(stmt)
        return {"results": results, "server_time_ms": now_ms()}

    @app.get(f"{API}/orders/{{order_id}}/status", response_model=OrderStatus, responses={404: {"model": ErrorReply}})
    def order_status(order_id: str) -> Response:
        with lock, engine.begin() as conn:
            _expire_cancellations(conn)
        with engine.connect() as conn:
            row = conn.execute(select(m.orders.c.id, m.orders.c.status, m.orders.c.reason)
                               .where(m.orders.c.id == order_id)).first()
        if row is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        return JSONResponse({"id": row.id, "status": row.status, "reason": row.reason})

    @app.get(f"{API}/operators", response_model=OperatorList)
    def list_operators() -> dict[str, Any]:
        with engine.connect() as conn:
            rows = conn.execute(select(m.operators).order_by(m.operators.c.id)).all()
        return {"items": [{"id": r.id, "badge": r.badge, "name": r.name, "role": r.role, "pin_hash": r.pin_hash,
                           "active": bool(r.active)} for r in rows]}

    @app.get(f"{API}/products", response_model=ProductPage, responses={304: {"description": "Not modified"}})
    def list_products(
        updated_since: int | None = Query(None, ge=0, le=I64_MAX),
        cursor: str | None = Query(None, max_length=200),
        limit: int = Query(500, ge=1, le=MAX_LIMIT),
        if_none_match: str | None = Header(None),
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
             responses={200: {"content": {"image/png": {}}}, 404: {"model": ErrorReply}})
    def get_image(name: str) -> Response:
        with engine.connect() as conn:
            row = conn.execute(select(m.images).where(m.images.c.name == name)).first()
        if row is None:
            return JSONResponse({"error": "not_found"}, status_code=404)
        etag = '"' + hashlib.sha1(row.data).hexdigest() + '"'
        return Response(row.data, media_type=row.content_type, headers={"ETag": etag, "Cache-Control": "max-age=86400"})

    @app.get(f"{API}/_stats", response_model=Stats)
    def stats() -> dict[str, Any]:
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
        with engine.connect() as conn:
            docs = conn.execute(select(m.events.c.doc)).scalars().all()
        out = []
        for doc in docs:
            e = json.loads(doc)
            ts = e.get("ts_utc_ms")
            if not isinstance(ts, int) or not start_ms <= ts < end_ms:
                continue
            payload = e.get("payload") or {}
            extra = None
            if e["type"] in ("step_started", "step_completed"):
                extra = payload.get("step")
            elif e["type"] == "order_completed":
                extra = payload.get("complexity")
            out.append((e["station_id"], e.get("operator_id"), ts, e["type"], e.get("kind"), e.get("order_id"), extra,
                        1, e.get("seq", 0), e.get("mono_ns")))  # the monotonic reading: step durations
        out.sort(key=lambda r: (r[0], r[8]))  # per station in append order: a clock set back pairs steps too
        return out

    app.include_router(make_router(stats_rows))
    return app


