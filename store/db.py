"""Engine, sessions and the unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)

from store.repositories import Repositories
from store.urls import database_url

# Execution option of a SQLite connection whose transactions only read (`Database.reading`,
# `Database.snapshot`).
READ_ONLY = "connectdesk_read_only"


class Database:
    """One database: its engine and units of work (the schema comes from `store.migrate`)."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        autocommit: bool = False,
        checkpoint_on_commit: bool = True,
    ) -> None:
        """`autocommit`: every statement is its own transaction (the SQLite inbox file, whose
        writers are different processes: a lock held across round trips would make each wait).

        `checkpoint_on_commit=False`: no commit copies SQLite's write-ahead log back into the
        file (that costs whichever commit crosses the threshold milliseconds of writing and an
        fsync: on the inbox, an ack); whoever owns the file calls `checkpoint` instead.
        """
        self.url = url
        self.autocommit = autocommit
        self.engine: AsyncEngine = make_engine(
            url, echo=echo, autocommit=autocommit, checkpoint_on_commit=checkpoint_on_commit
        )
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Read-only sessions begin deferred on SQLite (see `_begin_immediate`).
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )
        # SQLite has one writer; queueing here beats "database is locked" under load.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Repositories]:
        """One transaction: commit on success, roll back on error.

        After a commit (and the write lock's release) its `on_commit` callbacks run.
        """
        if self._write_lock is not None:
            async with self._write_lock, self._sessions() as session:
                async with session.begin():
                    uow = Repositories(session)
                    yield uow
        else:
            async with self._sessions() as session:
                async with session.begin():
                    uow = Repositories(session)
                    yield uow
        uow.committed()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Repositories]:
        """Repositories for reads only: no write lock (SQLite's WAL readers never wait)."""
        async with self._read_sessions() as session:
            yield Repositories(session)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncConnection]:
        """One read-only transaction on a Core connection, for reports and exports: every
        statement in it sees the same state of the database, and it blocks no writer.

        On SQLite a plain (deferred) BEGIN: a WAL reader takes no lock, whereas a unit of
        work's BEGIN IMMEDIATE would hold the write lock for as long as a report runs. On
        PostgreSQL REPEATABLE READ, READ ONLY: one snapshot for all the report's statements.
        """
        async with self.engine.connect() as conn:
            if self.is_sqlite:
                await conn.execution_options(**{READ_ONLY: True})
            else:
                await conn.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """One transaction on a plain Core connection (short hot paths that skip the ORM).

        In autocommit mode each statement is its own transaction: there is nothing to commit
        or roll back, so neither is sent (each would be one more trip to the driver's thread).
        """
        if self.autocommit:
            async with self._writer(), self.engine.connect() as conn:
                yield conn
            return
        if self._write_lock is not None:
            async with self._write_lock, self.engine.begin() as conn:
                yield conn
        else:
            async with self.engine.begin() as conn:
                yield conn

    async def checkpoint(self) -> None:
        """Copy SQLite's write-ahead log into the database file; writers go on meanwhile."""
        if self.is_sqlite:
            async with self.connection() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")

    def _writer(self) -> AbstractAsyncContextManager[object]:
        # This process's writers queue here rather than in SQLite's busy handler, which sleeps.
        return self._write_lock if self._write_lock is not None else nullcontext()

    async def close(self) -> None:
        """Release every pooled connection."""
        await self.engine.dispose()


def make_engine(
    url: str, *, echo: bool = False, autocommit: bool = False, checkpoint_on_commit: bool = True
) -> AsyncEngine:
    """An async engine for `url` (any form `store.urls` takes); on PostgreSQL
    `?search_path=<schema>` picks the schema."""
    parsed = make_url(database_url(url))
    options: dict[str, object] = {}
    if autocommit:
        # Nothing is left open to reset when a connection goes back to the pool: skip that
        # round trip (each costs a hop to the driver's thread on the ack path).
        options["isolation_level"] = "AUTOCOMMIT"
        options["pool_reset_on_return"] = None
        options["skip_autocommit_rollback"] = True
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
        if autocommit:
            event.listen(engine.sync_engine, "connect", _no_busy_handler)
        else:
            event.listen(engine.sync_engine, "connect", _no_implicit_begin)
            event.listen(engine.sync_engine, "begin", _begin_immediate)
        if not checkpoint_on_commit:
            event.listen(engine.sync_engine, "connect", _no_checkpoint_on_commit)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _no_busy_handler(dbapi_connection: object, _record: object) -> None:
    # SQLite's busy handler sleeps 1, 2, 5, 10, 15... ms while another process holds the write
    # lock, so an ack that met the worker's claim waited 10-100 ms for a lock held for 0.2 ms.
    # Each autocommit statement is its own transaction, so one that found the lock taken did
    # nothing and is simply tried again: `store.one_trip.Prepared` does that, at once.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


def _no_checkpoint_on_commit(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def _no_implicit_begin(dbapi_connection: object, _record: object) -> None:
    # The sqlite3 driver sends BEGIN only before the first write, so what a unit of work read
    # before it was outside the transaction: another process (the edge and `serve --workers`
    # children share the file) could commit in between and be overwritten. SQLAlchemy's
    # recipe: the driver sends no BEGIN of its own, `_begin_immediate` sends ours.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


def _begin_immediate(conn: Connection) -> None:
    # IMMEDIATE takes the write lock at the start: a unit of work reads and writes one state
    # of the file, and a second process's writer waits (busy_timeout) rather than failing.
    # A read-only session or snapshot (`Database.reading`, `Database.snapshot`) begins
    # deferred: a WAL reader sees one state of the file without the lock. With IMMEDIATE a
    # reading session held the lock for as long as it read (an App Home: 8 statements), and
    # every writer slept in the busy handler meanwhile (bench/README.md, App Home).
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
