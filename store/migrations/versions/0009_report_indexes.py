"""report indexes: clock runs and surveys carry what the reports read of their ticket; time indexes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What `bot.domain.reports.EXCLUDED_RESOLUTIONS` says today (a migration imports no app code).
NOT_REQUESTS = "('duplicate', 'noise')"
# The columns of the runs-stopped index after `stopped_at` (the runs-breached one has them all).
STOPPED = ["stopped_at", "counted", "kind", "outcome", "priority", "account_id", "team_id"]


def upgrade() -> None:
    """Upgrade the schema."""
    # Columns are added in place on both engines. On SQLite a NOT NULL column can only be added
    # with a default, and anything more (batch mode) copies the table and drops the old one,
    # whose DROP deletes, through ON DELETE CASCADE, every ladder firing or CSAT answer that
    # refers to it. So there `priority` keeps an empty default the app never relies on.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column(
        "sla_clocks",
        sa.Column(
            "priority",
            sa.String(length=4),
            nullable=not sqlite,
            server_default="" if sqlite else None,
        ),
    )
    for table in ("sla_clocks", "csat_surveys"):
        op.add_column(
            table,
            sa.Column("counted", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        )
    if not sqlite:
        op.execute(
            "UPDATE sla_clocks SET priority = t.priority FROM tickets t"
            " WHERE t.id = sla_clocks.ticket_id"
        )
    else:  # one lookup by primary key per row (UPDATE ... FROM needs SQLite 3.33)
        op.execute(
            "UPDATE sla_clocks SET"
            " priority = (SELECT t.priority FROM tickets t WHERE t.id = sla_clocks.ticket_id)"
        )
    not_requests = f"SELECT t.id FROM tickets t WHERE t.resolution_kind IN {NOT_REQUESTS}"
    op.execute(f"UPDATE sla_clocks SET counted = false WHERE ticket_id IN ({not_requests})")
    op.execute(f"UPDATE csat_surveys SET counted = false WHERE ticket_id IN ({not_requests})")
    if not sqlite:
        op.alter_column("sla_clocks", "priority", existing_type=sa.String(length=4), nullable=False)
    op.create_index(
        "ix_sla_clocks_stopped",
        "sla_clocks",
        [*STOPPED, "business_seconds", "started_at"],
        sqlite_where=sa.text("stopped_at IS NOT NULL"),
        postgresql_where=sa.text("stopped_at IS NOT NULL"),
    )
    op.create_index(
        "ix_sla_clocks_breached",
        "sla_clocks",
        ["breached_at", *STOPPED[1:]],
        sqlite_where=sa.text("breached_at IS NOT NULL"),
        postgresql_where=sa.text("breached_at IS NOT NULL"),
    )
    op.create_index(
        "ix_tickets_opened", "tickets", ["opened_at", "team_id", "account_id", "resolution_kind"]
    )
    op.create_index(
        "ix_csat_surveys_asked", "csat_surveys", ["asked_at", "counted", "team_id", "account_id"]
    )


def downgrade() -> None:
    """Downgrade the schema."""
    op.drop_index("ix_csat_surveys_asked", table_name="csat_surveys")
    op.drop_index("ix_tickets_opened", table_name="tickets")
    op.drop_index("ix_sla_clocks_breached", table_name="sla_clocks")
    op.drop_index("ix_sla_clocks_stopped", table_name="sla_clocks")
    # In place (SQLite's own DROP COLUMN), for the reason given in `upgrade`.
    op.drop_column("csat_surveys", "counted")
    op.drop_column("sla_clocks", "counted")
    op.drop_column("sla_clocks", "priority")
