"""knowledge base: indexed articles with full-text search, and the articles offered on tickets

SQLite: an external-content FTS5 table `kb_fts` (porter stemming) kept in step with
`kb_articles` by triggers, ranked with bm25. PostgreSQL: a generated tsvector column `search`
(title weighted over tags over body) with a GIN index, ranked with ts_rank. Neither is mapped
in the models; `store.migrate` knows them (SEARCH_INDEX).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE kb_fts USING fts5(title, tags, body, content='kb_articles',"
    " content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN"
    " INSERT INTO kb_fts(rowid, title, tags, body) VALUES (new.id, new.title, new.tags, new.body);"
    " END",
    "CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN"
    " INSERT INTO kb_fts(kb_fts, rowid, title, tags, body)"
    " VALUES ('delete', old.id, old.title, old.tags, old.body); END",
    "CREATE TRIGGER kb_articles_au AFTER UPDATE ON kb_articles BEGIN"
    " INSERT INTO kb_fts(kb_fts, rowid, title, tags, body)"
    " VALUES ('delete', old.id, old.title, old.tags, old.body);"
    " INSERT INTO kb_fts(rowid, title, tags, body) VALUES (new.id, new.title, new.tags, new.body);"
    " END",
]
POSTGRES_SEARCH = [
    "ALTER TABLE kb_articles ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('english', coalesce(tags, '')), 'B')"
    " || setweight(to_tsvector('english', coalesce(body, '')), 'C')) STORED",
    "CREATE INDEX ix_kb_articles_search ON kb_articles USING gin (search)",
]


def upgrade() -> None:
    """Upgrade the schema."""
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "kb_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("coverage", sa.Float(), nullable=False),
        sa.Column("suggested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auto", sa.Boolean(), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_by", sa.String(length=32), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "slug"),
    )
    statements = POSTGRES_SEARCH if op.get_bind().dialect.name == "postgresql" else SQLITE_SEARCH
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    """Downgrade the schema."""
    if op.get_bind().dialect.name != "postgresql":
        for trigger in ("kb_articles_ai", "kb_articles_ad", "kb_articles_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS kb_fts")
    op.drop_table("kb_answers")
    op.drop_table("kb_articles")
