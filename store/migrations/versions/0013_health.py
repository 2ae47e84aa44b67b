"""account health: the health ledger (each account's score, band and at-risk alert state) and
an index over the scored customer messages

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "health_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("crossings", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "account_id"),
    )
    op.create_index("ix_health_states_band", "health_states", ["team_id", "band", "score"])
    # A plain CREATE INDEX: no batch rebuild of ticket_messages (its rows stay put).
    op.create_index(
        "ix_ticket_messages_sentiment",
        "ticket_messages",
        ["posted_at", "is_internal", "ticket_id", "sentiment"],
        sqlite_where=sa.text("sentiment IS NOT NULL"),
        postgresql_where=sa.text("sentiment IS NOT NULL"),
    )


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_index("ix_ticket_messages_sentiment", table_name="ticket_messages")
    op.drop_index("ix_health_states_band", table_name="health_states")
    op.drop_table("health_states")
