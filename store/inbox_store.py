"""The inbox table: Events API bodies stored before the ack, claimed in batches by workers.

Plain Core statements on a connection: the edge writes one row per delivery on the ack path,
so it skips the ORM session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from store.models import InboxEvent

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


def _insert(conn: AsyncConnection):  # noqa: ANN202 - dialect-specific Insert
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(TABLE)


async def create(conn: AsyncConnection) -> None:
    """Create the table in a database of its own (the SQLite inbox file)."""
    await conn.run_sync(lambda sync: TABLE.create(sync, checkfirst=True))


async def add(
    conn: AsyncConnection, rows: Sequence[tuple[str, str]], at: datetime
) -> dict[str, int]:
    """Store deliveries (event id, body) once per event id; the row id of each one stored now.

    One statement for all of them; an event id already stored (a redelivery) is left out.
    """
    if not rows:
        return {}
    stmt = (
        _insert(conn)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(TABLE.c.event_id, TABLE.c.id)
    )
    values = [
        {
            "event_id": event_id,
            "body": body,
            "received_at": at,
            "state": "pending",
            "attempts": 0,
            "not_before": at,
        }
        for event_id, body in dict(rows).items()
    ]
    return {event_id: row_id for event_id, row_id in await conn.execute(stmt, values)}


async def claim(
    conn: AsyncConnection, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[InboxRow]:
    """Take up to `limit` due rows, oldest first, for `lease` (others skip them meanwhile)."""
    due = (
        select(TABLE.c.id, TABLE.c.event_id, TABLE.c.body, TABLE.c.attempts)
        .where(
            TABLE.c.state == "pending",
            TABLE.c.not_before <= now,
            or_(TABLE.c.claimed_until.is_(None), TABLE.c.claimed_until < now),
        )
        .order_by(TABLE.c.id)
        .limit(limit)
    )
    if conn.dialect.name != "postgresql":
        # One statement: on the SQLite inbox file (autocommit) the write lock is held only
        # while it runs, never across a round trip to this process.
        result = await conn.execute(
            update(TABLE)
            .where(TABLE.c.id.in_(select(due.subquery().c.id)))
            .values(claimed_by=worker, claimed_until=now + lease, attempts=TABLE.c.attempts + 1)
            .returning(TABLE.c.id, TABLE.c.event_id, TABLE.c.body, TABLE.c.attempts)
        )
        rows = [InboxRow(r.id, r.event_id, r.body, r.attempts) for r in result]
        return sorted(rows, key=lambda row: row.id)
    due = due.with_for_update(skip_locked=True)
    rows = [InboxRow(r.id, r.event_id, r.body, r.attempts + 1) for r in await conn.execute(due)]
    if rows:
        await conn.execute(
            update(TABLE)
            .where(TABLE.c.id.in_([r.id for r in rows]))
            .values(claimed_by=worker, claimed_until=now + lease, attempts=TABLE.c.attempts + 1)
        )
    return rows


async def remove(conn: AsyncConnection, ids: Sequence[int]) -> None:
    """Drop handled rows."""
    if ids:
        await conn.execute(delete(TABLE).where(TABLE.c.id.in_(list(ids))))


async def retry_later(
    conn: AsyncConnection, row_id: int, error: str, not_before: datetime, give_up: bool
) -> None:
    """Release a row that failed: due again at `not_before`, or kept as failed for good."""
    await conn.execute(
        update(TABLE)
        .where(TABLE.c.id == row_id)
        .values(
            state="failed" if give_up else "pending",
            error=error[:200],
            not_before=not_before,
            claimed_by=None,
            claimed_until=None,
        )
    )


async def release(conn: AsyncConnection, worker: str) -> None:
    """Give up a stopping worker's claims so the next process need not wait for them to lapse."""
    await conn.execute(
        update(TABLE)
        .where(TABLE.c.claimed_by == worker, TABLE.c.state == "pending")
        .values(claimed_by=None, claimed_until=None)
    )


async def counts(conn: AsyncConnection) -> dict[str, int]:
    """Rows per state (health checks, tests)."""
    rows = await conn.execute(select(TABLE.c.state, func.count()).group_by(TABLE.c.state))
    return {state: int(n) for state, n in rows}
