"""Statements compiled once and run in one trip to aiosqlite's thread.

SQLAlchemy's aiosqlite cursor makes four trips per statement (cursor, execute, fetch, close),
each a wait for that thread and then for the event loop; on a busy machine each wait can be a
scheduler slice. In autocommit mode a statement with RETURNING also holds SQLite's write lock
from its execute to its fetch, so another process's writer sleeps in SQLite's busy handler
meanwhile (bench/README.md, the ack path). And compiling a statement afresh on every call cost
the edge a quarter of its CPU (bench/README.md, 2026-12-01), so each is compiled once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import aiosqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable

# A statement that found the write lock taken (autocommit connections have no busy handler,
# store/db.py) is tried again: at once at first, since the other writer's statements are
# short, then after growing pauses, for as long as SQLite's own handler would have waited.
BUSY_RETRIES_AT_ONCE = 20
BUSY_PAUSES_SECONDS = (0.0005, 0.001, 0.002, 0.005)
BUSY_GIVE_UP_SECONDS = 30.0


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    fixed: dict[str, Any]  # values written into the statement itself (`state == "pending"`)


class Prepared:
    """One statement with named `bindparam`s, compiled once per dialect.

    On aiosqlite it runs in one trip: parameters go through their types' bind processors as
    SQLAlchemy would send them, and rows come back as the driver gives them (no result
    processing), so return plain columns only. No `IN` of a Python list (SQLAlchemy expands
    those at execution time): build one statement per list length instead. Elsewhere the
    statement runs as SQLAlchemy runs it.
    """

    def __init__(self, stmt: Executable) -> None:
        self.stmt = stmt
        self._compiled: dict[Dialect, _Compiled] = {}

    async def fetch_all(
        self, conn: AsyncConnection, params: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run the statement with `params`; the rows it returns (none for a plain write)."""
        given = dict(params or {})
        if conn.dialect.driver != "aiosqlite":
            result = await conn.execute(self.stmt, given)
            return [tuple(row) for row in result] if result.returns_rows else []
        compiled = self._compiled.get(conn.dialect) or self._compile(conn.dialect)
        values = {**compiled.fixed, **given}
        args = [
            values[name] if process is None else process(values[name])
            for name, process in zip(compiled.names, compiled.processors, strict=True)
        ]
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        return await _run(driver, compiled.sql, args)

    def _compile(self, dialect: Dialect) -> _Compiled:
        # A statement is a ClauseElement compiling to a SQLCompiler; `Executable` says neither.
        assert isinstance(self.stmt, ClauseElement)
        compiled = self.stmt.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if compiled.post_compile_params:
            raise ValueError("a Prepared statement cannot expand an IN list")
        names = tuple(compiled.positiontup or ())
        processors = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        required = {name for name, bind in compiled.binds.items() if bind.required}
        fixed = {
            k: v for k, v in compiled.construct_params(_check=False).items() if k not in required
        }
        entry = _Compiled(compiled.string, names, processors, fixed)
        self._compiled[dialect] = entry
        return entry


async def _run(
    driver: aiosqlite.Connection, sql: str, args: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """Run once; if the write lock is taken, again (see BUSY_RETRIES_AT_ONCE)."""
    tries = 0
    give_up_at: float | None = None
    while True:
        try:
            # No row_factory is set: sqlite3 gives plain tuples (aiosqlite types them as Row).
            return list(cast("Iterable[tuple[Any, ...]]", await driver.execute_fetchall(sql, args)))
        except sqlite3.OperationalError as exc:
            busy = (exc.sqlite_errorcode & 0xFF) == sqlite3.SQLITE_BUSY
            # Inside a transaction a retry could not undo what came before: not ours to do.
            if not busy or driver.in_transaction:
                raise
        tries += 1
        now = time.monotonic()
        give_up_at = give_up_at or now + BUSY_GIVE_UP_SECONDS
        if now >= give_up_at:
            raise TimeoutError(f"the database stayed locked for {BUSY_GIVE_UP_SECONDS:g}s")
        if tries <= BUSY_RETRIES_AT_ONCE:
            await asyncio.sleep(0)
        else:
            step = min(tries - BUSY_RETRIES_AT_ONCE, len(BUSY_PAUSES_SECONDS)) - 1
            await asyncio.sleep(BUSY_PAUSES_SECONDS[step])
