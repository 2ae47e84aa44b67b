"""Schema migrations (Alembic) run programmatically on the app's own async engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from store.db import make_engine
from store.models import Base

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
# The knowledge base's full-text search (migration 0012), which the models do not map.
SEARCH_TABLE = "kb_fts"
SEARCH_COLUMN = "search"
SEARCH_GIN_INDEX = "ix_kb_articles_search"
UPGRADE_LOCK = 0x636F6E6E  # any constant; "conn" in ASCII


def alembic_config(url: str) -> Config:
    """Alembic's config, built in code: no alembic.ini to find or keep in step."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head() -> str | None:
    """The newest revision this version of connectdesk ships."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def ships(revision: str) -> bool:
    """Whether this version has `revision` among its migrations (False: a newer one wrote it)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return revision in {r.revision for r in script.walk_revisions()}


def _next_id() -> str:
    # Numbered revisions (0001, 0002, ...) read in order, unlike Alembic's random hex ids.
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    numbers = [int(r.revision) for r in script.walk_revisions() if r.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema stands against the migrations this version ships."""

    current: str | None
    head: str | None
    has_tables: bool

    @property
    def up_to_date(self) -> bool:
        """True when the database is at the newest revision."""
        return self.current is not None and self.current == self.head

    def problem(self, url: str) -> str | None:
        """What is wrong and exactly what to run, or None when the schema is current."""
        where = safe_url(url)
        if self.up_to_date:
            return None
        if self.current is None and self.has_tables:
            return (
                f"The database {where} has connectdesk tables but no migration record"
                " (it was created before migrations). If it was created by this version,"
                " run `connectdesk db stamp head` once; then start again."
            )
        if self.current is None:
            return (
                f"The database {where} has no connectdesk schema yet. Run"
                " `connectdesk db upgrade` (or start with `connectdesk serve --upgrade-db`)."
            )
        return (
            f"The database {where} is at schema revision {self.current}; this version needs"
            f" {self.head}. Run `connectdesk db upgrade` (or start with"
            " `connectdesk serve --upgrade-db`)."
        )


async def _on_connection(url: str, work: Any, *, commit: bool) -> Any:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            result = await conn.run_sync(work)
            if commit:
                await conn.commit()
            return result
    finally:
        await engine.dispose()


def _command(url: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    def work(connection: Connection) -> Any:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = connection
        return fn(cfg, *args, **kwargs)

    return work


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database up to `revision` (default: the newest)."""
    migrate = _command(url, command.upgrade, revision)

    def work(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            # Replicas started together with --upgrade-db: one migrates, the others then
            # find the schema current (the lock ends with the transaction).
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        migrate(connection)

    await _on_connection(url, work, commit=True)


async def downgrade(url: str, revision: str) -> None:
    """Migrate the database down to `revision` ("base" drops everything)."""
    await _on_connection(url, _command(url, command.downgrade, revision), commit=True)


async def stamp(url: str, revision: str = "head") -> None:
    """Record `revision` as the schema's state without running anything."""
    await _on_connection(url, _command(url, command.stamp, revision), commit=True)


async def revision(url: str, message: str, *, autogenerate: bool = True) -> list[str]:
    """Write a new migration (by default what the models add over the database); its paths."""
    scripts = await _on_connection(
        url,
        _command(
            url, command.revision, message=message, autogenerate=autogenerate, rev_id=_next_id()
        ),
        commit=False,
    )
    items = scripts if isinstance(scripts, list) else [scripts]
    return [s.path for s in items if s is not None]


async def status(url: str) -> SchemaStatus:
    """The database's current revision against this version's head."""

    def work(connection: Connection) -> SchemaStatus:
        current = MigrationContext.configure(connection).get_current_revision()
        tables = set(inspect(connection).get_table_names()) - {VERSION_TABLE}
        return SchemaStatus(current, head(), bool(tables & set(Base.metadata.tables)))

    return await _on_connection(url, work, commit=False)


async def diff(url: str) -> list[Any]:
    """What the models have that the migrated database lacks, or vice versa (empty: agree)."""

    def work(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return [d for d in compare_metadata(context, Base.metadata) if not _ignored(d)]

    return await _on_connection(url, work, commit=False)


def is_search_index(table: str) -> bool:
    """Whether a table is SQLite's full-text index of the knowledge base (`kb_fts` and the
    shadow tables FTS5 keeps beside it), made by migration 0012 and not a model."""
    return table == SEARCH_TABLE or table.startswith(f"{SEARCH_TABLE}_")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, _compare_to: Any
) -> bool:
    """Alembic's filter for autogenerate (`connectdesk db revision`): leave out the knowledge
    base's full-text index, which no model maps (the FTS5 tables, or the tsvector column and
    its GIN index)."""
    if not reflected or name is None:
        return True
    if type_ == "table":
        return not is_search_index(name)
    if type_ == "column":
        return not (name == SEARCH_COLUMN and getattr(obj.table, "name", None) == "kb_articles")
    if type_ == "index":
        return name != SEARCH_GIN_INDEX
    return True


def _ignored(change: Any) -> bool:
    # Alembic's own bookkeeping table is not part of the models; nor is the knowledge base's
    # full-text index (an FTS5 table, or a generated tsvector column and its GIN index).
    if not isinstance(change, tuple):
        return False
    if change[0] == "remove_table":
        return bool(change[1].name == VERSION_TABLE or is_search_index(change[1].name))
    if change[0] == "remove_column":
        return bool(change[2] == "kb_articles" and change[3].name == SEARCH_COLUMN)
    if change[0] == "remove_index":
        return bool(change[1].name == SEARCH_GIN_INDEX)
    return False
