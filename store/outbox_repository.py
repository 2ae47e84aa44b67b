"""The outbox: side effects recorded with the state change, claimed and settled by workers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import jobs
from store.dialect import insert_for
from store.jobs import JobTable
from store.models import UNCERTAIN_RESULT, OutboxEntry, OutboxState

# Rows go pending -> sending (claimed; maybe done) -> done | failed (the dead letters).
JOBS = JobTable(
    OutboxEntry.__table__,
    done=OutboxState.DONE,
    finished_at="done_at",
    claimed_at="claimed_at",
    running=OutboxState.SENDING,
)


class Claimed(NamedTuple):
    """A row claimed for one attempt, and whether an earlier attempt may have landed."""

    entry: OutboxEntry
    maybe_done: bool


class OutboxRepository:
    """Rows of the outbox table."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        key: str,
        kind: str,
        team_id: str,
        at: datetime,
        *,
        ticket_id: int | None = None,
        payload: dict[str, Any] | None = None,
        claimed_by: str | None = None,
        not_before: datetime | None = None,
    ) -> int | None:
        """Record a side effect once per `key`; its id, or None if the key was recorded before.

        `claimed_by`: the row starts claimed by that worker (its first try), which will run it
        right after the commit; if it dies first, the claim lapses and another worker redoes it.
        `not_before`: not due before then (a delayed effect; left unclaimed for the workers).
        """
        row = OutboxEntry(
            key=key,
            kind=kind,
            team_id=team_id,
            ticket_id=ticket_id,
            payload=payload,
            not_before=not_before,
        )
        return (await self.add_many([row], at, claimed_by=claimed_by)).get(key)

    async def add_many(
        self, rows: Sequence[OutboxEntry], at: datetime, *, claimed_by: str | None = None
    ) -> dict[str, int]:
        """`add` for many rows in one statement: the id of each key not recorded before."""
        if not rows:
            return {}
        values = [
            {
                "key": r.key,
                "kind": r.kind,
                "team_id": r.team_id,
                "ticket_id": r.ticket_id,
                "payload": r.payload or {},
                "state": OutboxState.SENDING if claimed_by else OutboxState.PENDING,
                "attempts": 1 if claimed_by else 0,
                "claimed_by": claimed_by,
                "claimed_at": at if claimed_by else None,
                "not_before": r.not_before or at,
                "created_at": at,
            }
            for r in rows
        ]
        table = OutboxEntry.__table__
        stmt = (
            insert_for(self.session, table)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(table.c.key, table.c.id)
        )
        connection = await self.session.connection()
        return {key: entry_id for key, entry_id in (await connection.execute(stmt, values)).all()}

    async def get(self, entry_id: int) -> OutboxEntry | None:
        """One row by id."""
        return await self.session.get(OutboxEntry, entry_id)

    async def due(self, now: datetime, lease: timedelta, limit: int = 200) -> Sequence[int]:
        """Rows to work on: pending and due, or `sending` under a lapsed claim (a dead worker)."""
        return await jobs.due_ids(await self.session.connection(), JOBS, now, lease, limit)

    async def claim(
        self,
        worker: str,
        now: datetime,
        lease: timedelta,
        limit: int,
        only: Sequence[int] = (),
    ) -> list[Claimed]:
        """Take up to `limit` due rows for one attempt each (`only`: among these ids alone).

        Each comes back as it is now (claimed: `sending`, attempts counting this try) and says
        whether an earlier try may have landed: it was `sending` under a lapsed claim (a worker
        died mid-call) or kept the uncertain marker of a try whose answer never came.
        """
        conn = await self.session.connection()
        rows = await jobs.claim(conn, JOBS, worker, now, lease, limit, ("state", "result"), only)
        if not rows:
            return []
        maybe = {
            row_id: state == OutboxState.SENDING or result == UNCERTAIN_RESULT
            for row_id, _attempts, state, result in rows
        }
        entries = await self.session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.id.in_(list(maybe)))
            .order_by(OutboxEntry.id)
            .execution_options(populate_existing=True)
        )
        return [Claimed(entry, maybe[entry.id]) for entry in entries]

    async def mark_done(self, results: Sequence[tuple[int, str | None]], at: datetime) -> None:
        """Rows done, each with its result (a post's ts), in one statement."""
        if not results:
            return
        table = OutboxEntry.__table__
        stmt = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(state=OutboxState.DONE, result=bindparam("row_result"), error=None, done_at=at)
        )
        params = [{"row_id": i, "row_result": r} for i, r in results]
        await (await self.session.connection()).execute(stmt, params)

    async def mark_failed(self, entry_id: int, error: str) -> None:
        """A row given up on: dead-lettered, with its last error, for a person to look at."""
        await jobs.dead_letter(await self.session.connection(), JOBS, entry_id, error)

    async def retry_later(
        self, entry_id: int, error: str, not_before: datetime, *, uncertain: bool
    ) -> None:
        """A row to try again from `not_before`; `uncertain`: the try may have landed."""
        extra = {"result": UNCERTAIN_RESULT} if uncertain else {}
        conn = await self.session.connection()
        await jobs.retry_later(conn, JOBS, entry_id, error, not_before, **extra)

    async def counts(self) -> dict[str, int]:
        """How many rows are in each state."""
        rows = await self.session.execute(
            select(OutboxEntry.state, func.count(OutboxEntry.id)).group_by(OutboxEntry.state)
        )
        return {state: int(n) for state, n in rows.all()}

    async def unfinished(self) -> dict[str, int]:
        """Rows pending, sending and failed (through the state index: done rows are not read)."""
        rows = await self.session.execute(
            select(OutboxEntry.state, func.count(OutboxEntry.id))
            .where(
                OutboxEntry.state.in_(
                    (OutboxState.PENDING, OutboxState.SENDING, OutboxState.FAILED)
                )
            )
            .group_by(OutboxEntry.state)
        )
        return {state: int(n) for state, n in rows.all()}

    async def all(self) -> Sequence[OutboxEntry]:
        """Every row, oldest first (tests and reports)."""
        return (await self.session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))).all()
