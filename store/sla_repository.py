"""SLA clock runs and the ladder ledger."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from store.dialect import insert_for, is_postgres
from store.models import LadderFiring, SlaClock, Ticket, column_values


@dataclass(frozen=True)
class DueClocks:
    """Due clocks locked for one sweep, and how many due tickets were left to others."""

    clocks: Sequence[SlaClock]
    skipped: int  # tickets another transaction holds (SKIP LOCKED): sweep them again soon


# The callers of `active` / `active_for` hold the ticket already: joining it (and its account,
# whose channels then load too) on every reply's clock reads was three queries for nothing.
# `clock.ticket` still works: a many-to-one by id is found in the session without a query.
OWN_TICKET = lazyload(SlaClock.ticket)

# Ids per `IN (...)`: well under SQLite's and asyncpg's bound-parameter limits.
IN_CHUNK = 900


class SlaRepository:
    """Clock runs of tickets, and which ladder steps fired."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, clock: SlaClock) -> SlaClock:
        """Store a new clock run."""
        self.session.add(clock)
        await self.session.flush()
        return clock

    async def add_new(self, clocks: Sequence[SlaClock]) -> None:
        """Store new clock runs in one statement (they stay outside the session)."""
        if clocks:
            await self.session.execute(
                insert(SlaClock.__table__), [column_values(c) for c in clocks]
            )

    async def active(self, ticket_id: int) -> Sequence[SlaClock]:
        """The ticket's clock runs that have not stopped (running or paused)."""
        rows = await self.session.scalars(
            select(SlaClock)
            .where(SlaClock.ticket_id == ticket_id, SlaClock.stopped_at.is_(None))
            .order_by(SlaClock.id)
            .options(OWN_TICKET)
        )
        return rows.all()

    async def active_for(self, ticket_ids: Iterable[int]) -> Sequence[SlaClock]:
        """The clock runs that have not stopped of many tickets, by ticket then id."""
        ids = sorted(set(ticket_ids))
        if not ids:
            return []
        rows = await self.session.scalars(
            select(SlaClock)
            .where(SlaClock.ticket_id.in_(ids), SlaClock.stopped_at.is_(None))
            .order_by(SlaClock.ticket_id, SlaClock.id)
            .options(OWN_TICKET)
        )
        return rows.all()

    async def set_priority(self, ticket_id: int, priority: str) -> None:
        """Every clock run of a ticket, stopped ones too, under its new priority (the
        reports group by the copy on the run, as the ticket is now)."""
        await self.session.execute(
            update(SlaClock)
            .where(SlaClock.ticket_id == ticket_id, SlaClock.priority != priority)
            .values(priority=priority)
        )

    async def set_counted(self, ticket_id: int, counted: bool) -> None:
        """Whether a ticket's clock runs count in the reports (not once it is closed as a
        duplicate or noise), kept on every run so report queries need not read the ticket."""
        await self.session.execute(
            update(SlaClock)
            .where(SlaClock.ticket_id == ticket_id, SlaClock.counted.is_not(counted))
            .values(counted=counted)
        )

    async def for_ticket(self, ticket_id: int) -> Sequence[SlaClock]:
        """Every clock run of a ticket, oldest first."""
        rows = await self.session.scalars(
            select(SlaClock).where(SlaClock.ticket_id == ticket_id).order_by(SlaClock.id)
        )
        return rows.all()

    async def last_cycle(self, ticket_id: int, kind: str) -> int:
        """The highest cycle number of one clock kind (0 if it never ran)."""
        value = await self.session.scalar(
            select(func.max(SlaClock.cycle)).where(
                SlaClock.ticket_id == ticket_id, SlaClock.kind == kind
            )
        )
        return int(value or 0)

    async def due(self, now: datetime, limit: int = 500) -> DueClocks:
        """Running clocks whose next ladder step is due, locked for this sweep.

        On PostgreSQL every writer locks a ticket before its clocks, so the sweep does too:
        it locks the due tickets `FOR UPDATE SKIP LOCKED` in id order (a ticket being changed,
        or swept by another replica, waits for the next sweep instead of blocking this one),
        then their due clocks in id order. One lock order everywhere: no deadlocks.
        """
        is_due = (
            SlaClock.next_step_at <= now,
            SlaClock.stopped_at.is_(None),
            SlaClock.running_since.is_not(None),
        )
        stmt = select(SlaClock).where(*is_due).order_by(SlaClock.id)
        if is_postgres(self.session):
            tickets = (
                select(Ticket.id)
                .where(Ticket.id.in_(select(SlaClock.ticket_id).where(*is_due)))
                .order_by(Ticket.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            ticket_ids = list((await self.session.scalars(tickets)).all())
            waiting = await self.session.scalar(
                select(func.count(func.distinct(SlaClock.ticket_id))).where(*is_due)
            )
            skipped = max(int(waiting or 0) - len(ticket_ids), 0)
            if not ticket_ids:
                return DueClocks([], skipped)
            stmt = stmt.where(SlaClock.ticket_id.in_(ticket_ids)).with_for_update(
                of=SlaClock, skip_locked=True
            )
        else:
            # SQLite locks nothing, so the most overdue go first, found through the due-time
            # index: in id order it scanned every clock row (tens of ms at 100,000 tickets).
            skipped = 0
            stmt = stmt.order_by(None).order_by(SlaClock.next_step_at, SlaClock.id).limit(limit)
        rows = await self.session.scalars(stmt.execution_options(populate_existing=True))
        return DueClocks(rows.unique().all(), skipped)

    async def earliest_next_step(self) -> datetime | None:
        """When the sweep next has work."""
        return await self.session.scalar(
            select(func.min(SlaClock.next_step_at)).where(
                SlaClock.stopped_at.is_(None), SlaClock.running_since.is_not(None)
            )
        )

    async def fired_for(self, clock_ids: Iterable[int]) -> dict[int, set[tuple[int, int]]]:
        """The (step, repeat) keys already fired, for each of many clock runs."""
        out: dict[int, set[tuple[int, int]]] = {}
        ids = sorted(set(clock_ids))
        for start in range(0, len(ids), IN_CHUNK):
            rows = await self.session.execute(
                select(LadderFiring.clock_id, LadderFiring.step_index, LadderFiring.repeat).where(
                    LadderFiring.clock_id.in_(ids[start : start + IN_CHUNK])
                )
            )
            for clock_id, step, repeat in rows.all():
                out.setdefault(int(clock_id), set()).add((int(step), int(repeat)))
        return out

    async def claim_firings(
        self, wanted: Sequence[tuple[SlaClock, int, int, int]], at: datetime
    ) -> set[tuple[int, int, int]]:
        """Record many firings (clock, step, repeat, percent) at once; the keys this call won.

        A (clock id, step, repeat) missing from the answer was recorded first by another sweep
        or replica (the unique key; `ON CONFLICT DO NOTHING` returns only the rows inserted).
        """
        if not wanted:
            return set()
        rows = [
            {
                "clock_id": clock.id,
                "ticket_id": clock.ticket_id,
                "step_index": step,
                "repeat": repeat,
                "percent": percent,
                "fired_at": at,
            }
            for clock, step, repeat, percent in wanted
        ]
        stmt = (
            insert_for(self.session, LadderFiring)
            .on_conflict_do_nothing(index_elements=["clock_id", "step_index", "repeat"])
            .returning(LadderFiring.clock_id, LadderFiring.step_index, LadderFiring.repeat)
        )
        result = await self.session.execute(stmt, rows)
        return {(int(c), int(s), int(r)) for c, s, r in result.all()}

    async def firings(self, ticket_id: int) -> Sequence[LadderFiring]:
        """A ticket's ladder firings in order."""
        rows = await self.session.scalars(
            select(LadderFiring)
            .where(LadderFiring.ticket_id == ticket_id)
            .order_by(LadderFiring.id)
        )
        return rows.all()

    async def breaches_since(self, account_id: int, since: datetime) -> int:
        """How many clock runs of an account breached since `since`."""
        value = await self.session.scalar(
            select(func.count(SlaClock.id)).where(
                SlaClock.account_id == account_id, SlaClock.breached_at >= since
            )
        )
        return int(value or 0)
