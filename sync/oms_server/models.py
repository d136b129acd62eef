"""The reference OMS's own tables (SQLAlchemy Core) — not the station schema. Portable between SQLite and
PostgreSQL: times in ms and sequence numbers are BIGINT (PostgreSQL's INTEGER is 32-bit)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

products = Table(
    "products", metadata,
    Column("sku", String(128), primary_key=True),
    Column("doc", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Index("ix_products_updated", "updated_ms", "sku"),
)

orders = Table(
    "orders", metadata,
    Column("id", String(64), primary_key=True),
    Column("order_no", String(128), nullable=False),
    Column("status", String(32), nullable=False),
    Column("reason", Text),
    Column("claimed_by", String(64)),
    Column("claimed_at_ms", BigInteger),
    # demo: the customer cancels this many ms after a station claims the order (None: never)
    Column("cancel_after_claim_ms", BigInteger),
    Column("doc", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Index("ix_orders_updated", "updated_ms", "id"),
)

# The demo rule "cancelled this long after its claim" is checked before every pick-list read: a small partial
# index on the moment an order falls due (only orders with the demo column set are in it), so the check is a
# seek, not a scan of every order.
Index("ix_orders_cancel_due", orders.c.claimed_at_ms + orders.c.cancel_after_claim_ms,
      sqlite_where=orders.c.cancel_after_claim_ms.is_not(None),
      postgresql_where=orders.c.cancel_after_claim_ms.is_not(None))

events = Table(
    "events", metadata,
    # event ids are unique per station: station B cannot squat station A's ids
    Column("station_id", String(64), primary_key=True),
    Column("id", String(64), primary_key=True),
    Column("seq", BigInteger),
    Column("type", String(64)),
    Column("doc", Text, nullable=False),
    Column("received_ms", BigInteger, nullable=False),
    Column("clock_offset_ms", BigInteger),
    # when it happened, by the station's clock (the doc's own ts_utc_ms): the figures read one day's events along
    # ix_events_ts instead of parsing every event ever received (1M events: 15 s a request, past the station's 10 s)
    Column("ts_utc_ms", BigInteger),
)
Index("ix_events_ts", events.c.ts_utc_ms)

station_stats = Table(
    "station_stats", metadata,
    Column("station_id", String(64), primary_key=True),
    Column("received", BigInteger, nullable=False, default=0),
    Column("unique_", BigInteger, nullable=False, default=0),
    Column("duplicates", BigInteger, nullable=False, default=0),
    Column("rejected", BigInteger, nullable=False, default=0),
    Column("batches", BigInteger, nullable=False, default=0),
    Column("last_clock_offset_ms", BigInteger),
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

station_tokens = Table(
    "station_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the bearer token; the token is never kept
    Column("station_id", String(64), nullable=False, index=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("revoked_ms", BigInteger),
)
