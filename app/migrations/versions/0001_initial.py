"""Initial station schema.

The event log and outbox, operators, products, the pick-list cache, images, the print spool, key/value facts.

Revision ID: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("operator_id", sa.String(64)),
        sa.Column("ts_utc_ms", sa.Integer, nullable=False),
        sa.Column("mono_ns", sa.Integer, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64)),
        sa.Column("order_id", sa.String(64)),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("sync_state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("sent_at_ms", sa.Integer),
        sa.Column("reject_reason", sa.Text),
    )
    op.create_index("ix_events_sync", "events", ["sync_state", "seq"])
    op.create_index("ix_events_type_kind", "events", ["type", "kind", "station_id", "operator_id", "ts_utc_ms"])
    op.create_index("ix_events_order", "events", ["order_id"])
    op.create_index("ix_events_ts", "events", ["ts_utc_ms"])
    op.create_table(
        "operators",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("badge", sa.String(128), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("pin_hash", sa.String(256), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default="1"),
        sa.Column("source", sa.String(16), nullable=False, server_default="local"),
        sa.Column("updated_at_ms", sa.Integer, nullable=False),
    )
    op.create_table(
        "products",
        sa.Column("sku", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("style", sa.String(128)),
        sa.Column("color", sa.String(128)),
        sa.Column("size", sa.String(64)),
        sa.Column("image_url", sa.Text),
        sa.Column("weight_g", sa.Float),
        sa.Column("doc", sa.Text),
        sa.Column("updated_at_ms", sa.Integer, nullable=False),
    )
    op.create_table(
        "picklists",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("order_no", sa.String(128), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("provisional", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("server_updated_at", sa.String(64)),
        sa.Column("fetched_at_ms", sa.Integer, nullable=False),
        sa.Column("review_flag", sa.Text),
        sa.Column("doc", sa.Text, nullable=False),
    )
    op.create_index("ix_picklists_order_no", "picklists", ["order_no"])
    op.create_index("ix_picklists_status", "picklists", ["status"])
    op.create_table(
        "images",
        sa.Column("url", sa.Text, primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("content_type", sa.String(64)),
        sa.Column("sha256", sa.String(64)),
        sa.Column("fetched_at_ms", sa.Integer, nullable=False),
    )
    op.create_table(
        "print_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(36), nullable=False, unique=True),
        sa.Column("order_id", sa.String(64)),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("printer", sa.String(32), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("operator_id", sa.String(64)),
        sa.Column("reprint_of", sa.String(36)),
        sa.Column("created_at_ms", sa.Integer, nullable=False),
        sa.Column("updated_at_ms", sa.Integer, nullable=False),
    )
    op.create_index("ix_print_jobs_state", "print_jobs", ["state"])
    op.create_table(
        "kv",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at_ms", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for name in ("kv", "print_jobs", "images", "picklists", "products", "operators", "events"):
        op.drop_table(name)
