"""Engine, sessions and the unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)

from store.models import Base
from store.repositories import Repositories


class Database:
    """One database: its engine, schema creation and units of work."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine: AsyncEngine = create_async_engine(url, echo=echo, **_engine_options(url))
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer; queueing here beats "database is locked" under load.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    async def create_schema(self) -> None:
        """Create every table that does not exist yet."""
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Repositories]:
        """One transaction: commit on success, roll back on error."""
        if self._write_lock is not None:
            async with self._write_lock, self._sessions() as session, session.begin():
                yield Repositories(session)
        else:
            async with self._sessions() as session, session.begin():
                yield Repositories(session)

    async def close(self) -> None:
        """Release every pooled connection."""
        await self.engine.dispose()


def _engine_options(url: str) -> dict[str, object]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
