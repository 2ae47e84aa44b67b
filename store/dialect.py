"""Engine-specific statements: INSERT ... ON CONFLICT, row and advisory locks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """An INSERT that supports `on_conflict_do_nothing` on the session's engine."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def is_postgres(session: AsyncSession) -> bool:
    """True on PostgreSQL, where concurrent writers (replicas) need explicit locks."""
    return session.bind is not None and session.bind.dialect.name == "postgresql"


async def advisory_lock(session: AsyncSession, key: str) -> None:
    """Hold a lock on `key` until the transaction ends (PostgreSQL; SQLite has one writer)."""
    if is_postgres(session):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )
