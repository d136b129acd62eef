"""The local store's tables (SQLAlchemy Core). Alembic migrations in `app/migrations` create them;
`SCHEMA_HEAD` names the newest migration so a start-up whose database is current need not load Alembic.

Times are integers: UTC milliseconds since the epoch (`*_ms`) — never local wall-clock strings.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from app.verdicts import GOOD_KINDS

SCHEMA_HEAD = "0004_picklists_provisional"

metadata = MetaData()

# A good scan (app.verdicts.GOOD_KINDS), in SQL: what statistics count from ix_events_type_kind and never look up by
# time, so the time index leaves them out. A query that reads ix_events_ts must say `NOT (GOOD_SCAN_SQL)` in its
# WHERE clause, word for word as the index does, or SQLite cannot use the index (tests/test_stats.py checks the plan
# on a migrated store: a change of the good kinds needs a migration of the index too).
GOOD_SCAN_SQL = f"type = 'scan' AND kind IN ({','.join(repr(str(k)) for k in sorted(GOOD_KINDS))})"

# The event log is also the outbox: an event is appended once and never edited except for its
# sync_state columns. seq is the station's gap-free sequence number (the SQLite rowid).
events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("id", String(36), nullable=False, unique=True),  # UUIDv7
    Column("station_id", String(64), nullable=False),
    Column("operator_id", String(64)),
    Column("ts_utc_ms", Integer, nullable=False),
    Column("mono_ns", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    # The sub-kind that statistics group by, copied from the payload at append time (a scan's verdict
    # kind, a short pick's reason, an override's what): lets SQL aggregate a million events without
    # parsing JSON. Derived from the same append, so it cannot drift from the payload.
    Column("kind", String(64)),
    Column("order_id", String(64)),
    Column("payload", Text, nullable=False),  # JSON
    Column("sync_state", String(16), nullable=False, server_default="pending"),  # pending|sent|rejected
    Column("sent_at_ms", Integer),
    Column("reject_reason", Text),
    Index("ix_events_sync", "sync_state", "seq"),
    # covering index: statistics count good scans per station/operator from the index alone
    Index("ix_events_type_kind", "type", "kind", "station_id", "operator_id", "ts_utc_ms"),
    Index("ix_events_order", "order_id"),
    # every event but good scans (nearly every scan of a shift then commits one page fewer)
    Index("ix_events_ts", "ts_utc_ms", sqlite_where=text(f"NOT ({GOOD_SCAN_SQL})")),
)

operators = Table(
    "operators",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("badge", String(128), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),  # picker|packer|supervisor
    Column("pin_hash", String(256), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("source", String(16), nullable=False, server_default="local"),  # local|oms
    Column("updated_at_ms", Integer, nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("sku", String(128), primary_key=True),
    Column("name", String(400), nullable=False),
    Column("style", String(128)),
    Column("color", String(128)),
    Column("size", String(64)),
    Column("image_url", Text),
    Column("weight_g", Float),
    Column("doc", Text),  # JSON as received
    Column("updated_at_ms", Integer, nullable=False),
)

# Cached pick lists: the whole pick list as JSON (the app.picklist model), plus the columns we query.
picklists = Table(
    "picklists",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("order_no", String(128), nullable=False),
    Column("status", String(32), nullable=False),  # open|claimed|in_progress|done|cancelled|held
    Column("claimed_by", String(64)),  # station id
    Column("provisional", Boolean, nullable=False, server_default="0"),  # claimed offline, not yet confirmed
    Column("server_updated_at", String(64)),  # OMS's own version marker (opaque)
    Column("fetched_at_ms", Integer, nullable=False),
    Column("review_flag", Text),  # e.g. "cancelled after label printed offline"
    Column("doc", Text, nullable=False),
    Index("ix_picklists_order_no", "order_no"),
    Index("ix_picklists_status", "status"),
    Index("ix_picklists_provisional", "id", sqlite_where=text("provisional = 1")),  # offline claims only
)

images = Table(
    "images",
    metadata,
    Column("url", Text, primary_key=True),
    Column("path", Text, nullable=False),  # file under the data dir
    Column("content_type", String(64)),
    Column("sha256", String(64)),
    Column("fetched_at_ms", Integer, nullable=False),
)

print_jobs = Table(
    "print_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(36), nullable=False, unique=True),
    Column("order_id", String(64)),
    Column("kind", String(32), nullable=False),  # label|slip|test
    Column("printer", String(32), nullable=False),  # label_printer|slip_printer
    Column("content_type", String(32), nullable=False),  # escpos|pdf
    Column("payload", LargeBinary, nullable=False),
    Column("state", String(16), nullable=False),  # queued|sending|done|failed|held
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("operator_id", String(64)),
    Column("reprint_of", String(36)),
    Column("created_at_ms", Integer, nullable=False),
    Column("updated_at_ms", Integer, nullable=False),
    Index("ix_print_jobs_state", "state"),
)

# Small station facts: sync cursor, last successful sync, clock offset, the open order...
kv = Table(
    "kv",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at_ms", Integer, nullable=False),
)

# Events taken out of the outbox for good (their events row is sync_state='rejected' with the same
# reason): refused by the OMS for the event itself (source 'oms', e.g. HTTP 422 naming the event, or a
# per-event 'rejected' result) or refused by the station before sending (source 'station': not valid
# JSON for the contract, e.g. NaN written by an older release). Kept apart from the events table so the
# hot outbox query and its counts are not touched.
outbox_quarantine = Table(
    "outbox_quarantine",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),  # events.seq
    Column("event_id", String(36), nullable=False, unique=True),
    Column("source", String(16), nullable=False),  # oms|station
    Column("http_status", Integer),
    Column("reason", Text, nullable=False),
    Column("quarantined_at_ms", Integer, nullable=False),
)
