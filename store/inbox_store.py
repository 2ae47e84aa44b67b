"""The inbox table: Events API bodies stored before the ack, claimed in batches by workers.

Plain Core statements on a connection: the edge writes one row per delivery on the ack path,
so it skips the ORM session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import BindParameter, and_, bindparam, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from store import jobs
from store.jobs import JobTable
from store.models import InboxEvent, InboxState
from store.one_trip import Prepared

TABLE = InboxEvent.__table__


@dataclass(frozen=True)
class InboxRow:
    """A claimed delivery: its id, Slack's event id, the raw body and how often it was tried."""

    id: int
    event_id: str
    body: str
    attempts: int


def inbox_url_for(database_url: str) -> str:
    """Where the inbox lives by default: beside a SQLite file, in the same PostgreSQL database.

    SQLite has one writer per file, so an inbox in the main file would make every ack wait
    for the worker's batch transaction; a file of its own keeps the ack path free.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return database_url
    path = Path(url.database)
    return str(url.set(database=str(path.with_name(f"{path.stem}-inbox{path.suffix or '.db'}"))))


# Statements compiled once per row count (the edge runs `add` for every group of acks).
#
# On the SQLite inbox file no write returns rows: a plain INSERT, UPDATE or DELETE runs and
# commits in one step of SQLite, with Python's lock released, so the write lock is held for
# SQLite's own work only. With RETURNING it stays held from the first row to the last, and
# between rows the driver's thread has to win Python's lock back from a busy event loop: that
# is how a 0.2 ms claim held the file for 5-200 ms while an ack waited (bench/README.md). What
# a write did is read afterwards; reads take no lock on a write-ahead log.
CHUNK = 100
_ROW = ("event_id", "body", "received_at", "state", "attempts", "not_before")


def _ids(count: int, name: str = "id") -> list[BindParameter[object]]:
    return [bindparam(f"{name}_{n}") for n in range(count)]


@lru_cache(maxsize=2 * CHUNK)
def _insert_rows(dialect: str, count: int) -> Prepared:
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(TABLE)
    stmt = insert.values(
        [{column: bindparam(f"{column}_{n}") for column in _ROW} for n in range(count)]
    ).on_conflict_do_nothing(index_elements=["event_id"])
    return Prepared(stmt.returning(TABLE.c.event_id) if dialect == "postgresql" else stmt)


@lru_cache(maxsize=CHUNK)
def _stored_already(count: int) -> Prepared:
    return Prepared(select(TABLE.c.event_id).where(TABLE.c.event_id.in_(_ids(count, "event"))))


@lru_cache(maxsize=CHUNK)
def _delete_rows(count: int) -> Prepared:
    return Prepared(delete(TABLE).where(TABLE.c.id.in_(_ids(count))))


# Handled rows are deleted at once, so only dead letters (`failed`) ever stay.
JOBS = JobTable(TABLE, claimed_until="claimed_until", one_trip=True)
_COLUMNS = ("event_id", "body")
_READ_DUE = jobs.due_statement(JOBS, _COLUMNS)  # the claim's first read (tests race it)
_COUNTS = Prepared(select(TABLE.c.state, func.count()).group_by(TABLE.c.state))


async def create(conn: AsyncConnection) -> None:
    """Create the table in a database of its own (the SQLite inbox file)."""
    await conn.run_sync(lambda sync: TABLE.create(sync, checkfirst=True))


async def add(conn: AsyncConnection, rows: Sequence[tuple[str, str]], at: datetime) -> set[str]:
    """Store deliveries (event id, body) once per event id; the event ids stored now.

    One statement per hundred of them; an event id already stored (a redelivery) is left out.
    On SQLite the edge is the file's only inserter and its inserts queue in the process, so
    what was not there before the insert is what it stored.
    """
    unique = list(dict(rows).items())
    stored: set[str] = set()
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        params: dict[str, object] = {}
        for n, (event_id, body) in enumerate(chunk):
            params.update(
                {
                    f"event_id_{n}": event_id,
                    f"body_{n}": body,
                    f"received_at_{n}": at,
                    f"state_{n}": InboxState.PENDING,
                    f"attempts_{n}": 0,
                    f"not_before_{n}": at,
                }
            )
        insert = _insert_rows(conn.dialect.name, len(chunk))
        if conn.dialect.name == "postgresql":
            stored.update(event_id for (event_id,) in await insert.fetch_all(conn, params))
            continue
        there = await _stored_already(len(chunk)).fetch_all(
            conn, {f"event_{n}": event_id for n, (event_id, _body) in enumerate(chunk)}
        )
        await insert.fetch_all(conn, params)
        stored.update({event_id for event_id, _body in chunk} - {e for (e,) in there})
    return stored


async def claim(
    conn: AsyncConnection, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[InboxRow]:
    """Take up to `limit` due rows, oldest first, for `lease` (others skip them meanwhile)."""
    rows = await jobs.claim(conn, JOBS, worker, now, lease, limit, _COLUMNS)
    return [InboxRow(row_id, event_id, body, attempts) for row_id, attempts, event_id, body in rows]


async def remove(conn: AsyncConnection, ids: Sequence[int]) -> None:
    """Drop handled rows."""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        await _delete_rows(len(chunk)).fetch_all(
            conn, {f"id_{n}": row_id for n, row_id in enumerate(chunk)}
        )


async def retry_later(
    conn: AsyncConnection, row_id: int, error: str, not_before: datetime, give_up: bool
) -> None:
    """Release a row that failed: due again at `not_before`, or dead-lettered with `error`."""
    if give_up:
        await jobs.dead_letter(conn, JOBS, row_id, error)
    else:
        await jobs.retry_later(conn, JOBS, row_id, error, not_before)


async def release(conn: AsyncConnection, worker: str) -> None:
    """Give up a stopping worker's claims so the next process need not wait for them to lapse."""
    await jobs.release(conn, JOBS, worker)


async def depth(conn: AsyncConnection, now: datetime) -> tuple[int, int]:
    """Rows waiting for a worker (never claimed, or a claim that lapsed), and rows failed.

    Rows in a batch being worked, or handled and not yet deleted, are claimed: not counted.
    """
    unclaimed = or_(TABLE.c.claimed_until.is_(None), TABLE.c.claimed_until < now)
    waiting, failed = (
        await conn.execute(
            select(
                func.count().filter(and_(TABLE.c.state == InboxState.PENDING, unclaimed)),
                func.count().filter(TABLE.c.state == InboxState.FAILED),
            )
        )
    ).one()
    return int(waiting), int(failed)


async def counts(conn: AsyncConnection) -> dict[str, int]:
    """Rows per state (health checks, tests)."""
    return {state: int(n) for state, n in await _COUNTS.fetch_all(conn)}
