"""incident threads: a ticket opened by a customer's reply under an incident notice lives in
that notice's thread (`tickets.thread_ts`); notices found by where they were posted

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    # Plain ADD COLUMN and CREATE INDEX: a batch rebuild of tickets would cascade-delete the
    # rows that reference them on SQLite.
    op.add_column("tickets", sa.Column("thread_ts", sa.String(length=32), nullable=True))
    op.create_index(
        "ix_tickets_thread", "tickets", ["team_id", "channel_id", "thread_ts"], unique=False
    )
    op.create_index(
        "ix_incident_deliveries_posted", "incident_deliveries", ["channel_id", "ts"], unique=False
    )


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_index("ix_incident_deliveries_posted", table_name="incident_deliveries")
    op.drop_index("ix_tickets_thread", table_name="tickets")
    op.drop_column("tickets", "thread_ts")
