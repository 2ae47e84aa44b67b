"""triage: each ticket's category and sentiment, each customer message's sentiment, and the
examples the team labelled (`/desk noise`) for the request classifier

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    # Plain ADD COLUMN: SQLite's batch mode would copy the tables and drop the old ones,
    # and the drop cascades to every row that references a ticket.
    op.add_column("tickets", sa.Column("category", sa.String(length=32), nullable=True))
    op.add_column("tickets", sa.Column("sentiment", sa.Float(), nullable=True))
    op.add_column("ticket_messages", sa.Column("sentiment", sa.Float(), nullable=True))
    op.create_table(
        "triage_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("is_request", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("labelled_by", sa.String(length=64), nullable=False),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "ticket_id"),
    )


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_table("triage_examples")
    op.drop_column("ticket_messages", "sentiment")
    op.drop_column("tickets", "sentiment")
    op.drop_column("tickets", "category")
