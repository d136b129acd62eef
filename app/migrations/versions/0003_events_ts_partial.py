"""The time index without good scans.

`ix_events_ts` holds every event but the good scans (accepted, action,
bin confirmed, order selected), which statistics count from `ix_events_type_kind` and never look up by time. A
good scan — nearly every scan of a shift — then commits one B-tree page fewer, and the statistics' row query
reads an index of the rows it returns.

Revision ID: 0003_events_ts_partial
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_events_ts_partial"
down_revision = "0002_outbox_quarantine"
branch_labels = None
depends_on = None

# As app.schema.GOOD_SCAN_SQL says it at this revision (a migration keeps its own copy: it is history).
NOT_GOOD_SCAN = "NOT (type = 'scan' AND kind IN ('accepted','action','bin_confirmed','order_selected'))"


def upgrade() -> None:
    op.drop_index("ix_events_ts", table_name="events")
    op.create_index("ix_events_ts", "events", ["ts_utc_ms"], sqlite_where=sa.text(NOT_GOOD_SCAN))


def downgrade() -> None:
    op.drop_index("ix_events_ts", table_name="events")
    op.create_index("ix_events_ts", "events", ["ts_utc_ms"])
