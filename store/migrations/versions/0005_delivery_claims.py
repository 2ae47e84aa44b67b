"""delivery claims: the replica whose claim holds an incident delivery row

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 12:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema."""
    with op.batch_alter_table("incident_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Downgrade the schema."""
    with op.batch_alter_table("incident_deliveries", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
