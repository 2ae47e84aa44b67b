"""Engine, sessions and the unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)

from store.repositories import Repositories


class Database:
    """One database: its engine and units of work (the schema comes from `store.migrate`)."""

    def __init__(self, url: str, *, echo: bool = False, autocommit: bool = False) -> None:
        """`autocommit`: every statement is its own transaction (the SQLite inbox file, whose
        writers are different processes: a lock held across round trips would make each wait)."""
        self.url = url
        self.engine: AsyncEngine = make_engine(url, echo=echo, autocommit=autocommit)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer; queueing here beats "database is locked" under load.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Repositories]:
        """One transaction: commit on success, roll back on error."""
        if self._write_lock is not None:
            async with self._write_lock, self._sessions() as session, session.begin():
                yield Repositories(session)
        else:
            async with self._sessions() as session, session.begin():
                yield Repositories(session)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Repositories]:
        """Repositories for reads only: no write lock (SQLite's WAL readers never wait)."""
        async with self._sessions() as session:
            yield Repositories(session)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """One transaction on a plain Core connection (short hot paths that skip the ORM)."""
        if self._write_lock is not None:
            async with self._write_lock, self.engine.begin() as conn:
                yield conn
        else:
            async with self.engine.begin() as conn:
                yield conn

    async def close(self) -> None:
        """Release every pooled connection."""
        await self.engine.dispose()


def make_engine(url: str, *, echo: bool = False, autocommit: bool = False) -> AsyncEngine:
    """An async engine for `url`; on PostgreSQL `?search_path=<schema>` picks the schema."""
    parsed = make_url(url)
    options: dict[str, object] = {}
    if autocommit:
        # Nothing is left open to reset when a connection goes back to the pool: skip that
        # round trip (each costs a hop to the driver's thread on the ack path).
        options["isolation_level"] = "AUTOCOMMIT"
        options["pool_reset_on_return"] = None
    if parsed.get_backend_name() == "sqlite":
        options["connect_args"] = {"timeout": 30}
    else:
        options["pool_pre_ping"] = True
        search_path = parsed.query.get("search_path")
        if search_path:
            # asyncpg takes no search_path argument; the server setting does the same job.
            parsed = parsed.difference_update_query(["search_path"])
            options["connect_args"] = {"server_settings": {"search_path": str(search_path)}}
    engine = create_async_engine(parsed, echo=echo, **options)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
