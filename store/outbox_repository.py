"""The outbox: side effects recorded with the state change, claimed and settled by workers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.dialect import insert_for
from store.models import OutboxEntry


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
    ) -> int | None:
        """Record a side effect once per `key`; its id, or None if the key was recorded before.

        `claimed_by`: the row starts claimed by that worker (its first try), which will run it
        right after the commit; if it dies first, the claim lapses and another worker redoes it.
        """
        stmt = (
            insert_for(self.session, OutboxEntry)
            .values(
                key=key,
                kind=kind,
                team_id=team_id,
                ticket_id=ticket_id,
                payload=payload or {},
                state="sending" if claimed_by else "pending",
                attempts=1 if claimed_by else 0,
                claimed_by=claimed_by,
                claimed_at=at if claimed_by else None,
                not_before=at,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(OutboxEntry.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get(self, entry_id: int) -> OutboxEntry | None:
        """One row by id."""
        return await self.session.get(OutboxEntry, entry_id)

    async def due(self, now: datetime, stale_before: datetime, limit: int = 200) -> Sequence[int]:
        """Rows to work on: pending and due, or `sending` under a lapsed claim (a dead worker)."""
        rows = await self.session.scalars(
            select(OutboxEntry.id)
            .where(
                or_(
                    (OutboxEntry.state == "pending") & (OutboxEntry.not_before <= now),
                    (OutboxEntry.state == "sending") & (OutboxEntry.claimed_at < stale_before),
                )
            )
            .order_by(OutboxEntry.id)
            .limit(limit)
        )
        return rows.all()

    async def claim(
        self, entry: OutboxEntry, worker: str, now: datetime, stale_before: datetime
    ) -> bool:
        """Take the row for one attempt; False if it is not due or another worker holds it."""
        if entry.state == "pending":
            if entry.not_before > now:
                return False
        elif entry.state != "sending" or (entry.claimed_at and entry.claimed_at >= stale_before):
            return False
        result = await self.session.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.id == entry.id,
                OutboxEntry.state == entry.state,
                OutboxEntry.attempts == entry.attempts,
            )
            .values(state="sending", attempts=entry.attempts + 1, claimed_by=worker, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def counts(self) -> dict[str, int]:
        """How many rows are in each state."""
        rows = await self.session.execute(
            select(OutboxEntry.state, func.count(OutboxEntry.id)).group_by(OutboxEntry.state)
        )
        return {state: int(n) for state, n in rows.all()}

    async def all(self) -> Sequence[OutboxEntry]:
        """Every row, oldest first (tests and reports)."""
        return (await self.session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))).all()
