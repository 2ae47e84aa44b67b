"""home: who opened the App Home (and their last press's answer); open tickets by SLA flag

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "home_openers",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.Column("notice_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("team_id", "user_id"),
    )
    op.create_index(
        "ix_tickets_open_flag", "tickets", ["team_id", "status", "sla_flag", "next_due_at"]
    )


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_index("ix_tickets_open_flag", table_name="tickets")
    op.drop_table("home_openers")
