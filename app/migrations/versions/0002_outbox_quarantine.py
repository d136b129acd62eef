"""Outbox quarantine.

Why an event the OMS (or the station itself) refuses for good was taken out of the queue, so the events behind it
keep flowing and a technician can see the reason.

Revision ID: 0002_outbox_quarantine
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_outbox_quarantine"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_quarantine",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("quarantined_at_ms", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("outbox_quarantine")
