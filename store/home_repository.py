"""What the App Home reads and remembers: who opened it, and the open tickets it lists."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.tickets import TicketStatus
from store.dialect import insert_for
from store.models import Account, HomeOpener, Ticket

OPEN_STATES = (TicketStatus.OPEN, TicketStatus.WAITING)
# Soonest due first; paused or clock-less tickets after, oldest first (as `/desk queue`).
BY_TIME_LEFT = (Ticket.next_due_at.is_(None), Ticket.next_due_at, Ticket.opened_at, Ticket.number)


@dataclass(frozen=True)
class ListedTicket:
    """The columns of an open ticket a Home line shows (and its account's name)."""

    id: int
    number: int
    account: str
    priority: str
    status: str
    summary: str
    owner_user_id: str | None
    next_due_at: datetime | None
    first_response_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    sla_flag: str


# Only what a line shows, as plain rows: loading whole tickets (with their account, incident
# and the account's channels) cost the Home two thirds of its time (bench/README.md, Home).
LISTED_COLUMNS = (
    Ticket.id,
    Ticket.number,
    Account.name,
    Ticket.priority,
    Ticket.status,
    Ticket.summary,
    Ticket.owner_user_id,
    Ticket.next_due_at,
    Ticket.first_response_at,
    Ticket.first_response_due_at,
    Ticket.resolution_due_at,
    Ticket.sla_flag,
)


def _listed(*extra: Any) -> Select[*tuple[Any, ...]]:
    return select(*LISTED_COLUMNS, *extra).join(Account, Account.id == Ticket.account_id)


class HomeRepository:
    """Rows of `home_openers`, and the bounded, indexed ticket reads a Home is built from."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def opened(self, team_id: str, user_id: str, at: datetime) -> None:
        """Someone opened their Home: remember them; the answer to an old press is dropped."""
        await self._upsert(team_id, user_id, at, {"opened_at": at, "notice": "", "notice_at": None})

    async def pressed(self, team_id: str, user_id: str, notice: str, at: datetime) -> None:
        """Someone pressed a button on their Home: keep the answer to show them."""
        await self._upsert(team_id, user_id, at, {"notice": notice, "notice_at": at}, notice)

    async def _upsert(
        self,
        team_id: str,
        user_id: str,
        at: datetime,
        changes: dict[str, object],
        notice: str = "",
    ) -> None:
        stmt = insert_for(self.session, HomeOpener).values(
            team_id=team_id,
            user_id=user_id,
            opened_at=at,
            notice=notice,
            notice_at=at if notice else None,
        )
        stmt = stmt.on_conflict_do_update(index_elements=["team_id", "user_id"], set_=changes)
        await self.session.execute(stmt)

    async def opener(self, team_id: str, user_id: str) -> HomeOpener | None:
        """The row of someone who opened their Home (None: never opened)."""
        return await self.session.get(HomeOpener, (team_id, user_id))

    async def openers(self, team_id: str, user_ids: Collection[str]) -> set[str]:
        """Which of these people opened their Home in this workspace."""
        wanted = sorted(set(user_ids))
        if not wanted:
            return set()
        rows = await self.session.scalars(
            select(HomeOpener.user_id).where(
                HomeOpener.team_id == team_id, HomeOpener.user_id.in_(wanted)
            )
        )
        return set(rows.all())

    async def accounts_of(self, team_id: str, user_id: str) -> list[int]:
        """The ids of the accounts whose team lists this person (only ids and owners read)."""
        rows = await self.session.execute(
            select(Account.id, Account.owners).where(Account.team_id == team_id)
        )
        return [account_id for account_id, owners in rows.all() if user_id in (owners or ())]

    async def open_tickets(
        self,
        team_id: str,
        limit: int,
        *,
        owner: str | None = None,
        unassigned_of: Collection[int] | None = None,
    ) -> tuple[list[ListedTicket], int]:
        """Open or waiting tickets soonest due first (at most `limit`) and how many in all:
        `owner`'s, or the unassigned ones of the accounts `unassigned_of`."""
        where = [Ticket.team_id == team_id, Ticket.status.in_(OPEN_STATES)]
        if owner is not None:
            where.append(Ticket.owner_user_id == owner)
        if unassigned_of is not None:
            if not unassigned_of:
                return [], 0
            where += [Ticket.owner_user_id.is_(None), Ticket.account_id.in_(sorted(unassigned_of))]
        # The total in the same statement: the engine counts the rows it sorts anyway.
        rows = (
            await self.session.execute(
                _listed(func.count().over()).where(*where).order_by(*BY_TIME_LEFT).limit(limit)
            )
        ).all()
        total = int(rows[0][-1]) if rows else 0
        return [ListedTicket(*row[:-1]) for row in rows], total

    async def sla_counts(self, team_id: str) -> dict[str, int]:
        """How many open or waiting tickets the workspace has, by SLA flag (an index count)."""
        rows = await self.session.execute(
            select(Ticket.sla_flag, func.count(Ticket.id))
            .where(Ticket.team_id == team_id, Ticket.status.in_(OPEN_STATES))
            .group_by(Ticket.sla_flag)
        )
        return {flag: int(n) for flag, n in rows.all()}

    async def flagged(
        self, team_id: str, flags: Collection[str], limit: int
    ) -> Sequence[ListedTicket]:
        """Open tickets with one of these SLA flags, soonest due first (at most `limit`)."""
        rows = await self.session.execute(
            _listed()
            .where(
                Ticket.team_id == team_id,
                Ticket.status.in_(OPEN_STATES),
                Ticket.sla_flag.in_(sorted(flags)),
            )
            .order_by(*BY_TIME_LEFT)
            .limit(limit)
        )
        return [ListedTicket(*row) for row in rows.all()]
