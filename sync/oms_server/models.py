"""The reference OMS's own tables (SQLAlchemy Core) — not the station schema."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

products = Table(
    "products", metadata,
    Column("sku", String(128), primary_key=True),
    Column("doc", Text, nullable=False),
    Column("updated_ms", Integer, nullable=False),
    Index("ix_products_updated", "updated_ms", "sku"),
)

orders = Table(
    "orders", metadata,
    Column("id", String(64), primary_key=True),
    Column("order_no", String(128), nullable=False),
    Column("status", String(32), nullable=False),
    Column("reason", Text),
    Column("claimed_by", String(64)),
    Column("claimed_at_ms", Integer),
    # demo: the customer cancels this many ms after a station claims the order (None: never)
    Column("cancel_after_claim_ms", Integer),
    Column("doc", Text, nullable=False),
    Column("updated_ms", Integer, nullable=False),
    Index("ix_orders_updated", "updated_ms", "id"),
)

events = Table(
    "events", metadata,
    Column("id", String(64), primary_key=True),
    Column("station_id", String(64), nullable=False),
    Column("seq", Integer),
    Column("type", String(64)),
    Column("doc", Text, nullable=False),
    Column("received_ms", Integer, nullable=False),
    Column("clock_offset_ms", Integer),
)

station_stats = Table(
    "station_stats", metadata,
    Column("station_id", String(64), primary_key=True),
    Column("received", Integer, nullable=False, default=0),
    Column("unique_", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("batches", Integer, nullable=False, default=0),
    Column("last_clock_offset_ms", Integer),
)

operators = Table(
    "operators", metadata,
    Column("id", String(64), primary_key=True),
    Column("badge", String(128), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("pin_hash", String(256), nullable=False),
    Column("active", Integer, nullable=False, default=1),
)

images = Table(
    "images", metadata,
    Column("name", String(200), primary_key=True),
    Column("content_type", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
)
