"""Account health's SQL: the figures each account's score is made from, and the health ledger.

The figures come one grouped statement per factor for every account of a workspace at once
(never a statement per account), each over an index: tickets opened (ix_tickets_opened), the
scored customer messages (ix_ticket_messages_sentiment, joined to their tickets by key), the
open tickets (ix_tickets_open_flag). Breaches, met clocks and ratings are the reports' own
(`ReportRepository.account_health`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.domain.health import NEGATIVE_SENTIMENT, Band
from bot.domain.tickets import TicketStatus
from store.dialect import insert_for
from store.models import Account, HealthState, Ticket, TicketMessage
from store.report_repository import counts_as_request

OPEN = (TicketStatus.OPEN, TicketStatus.WAITING)
TOP_PRIORITY = "P1"


@dataclass(frozen=True)
class Volume:
    """Tickets an account opened in the last 30 days, and in the 30 before."""

    recent: int = 0
    before: int = 0


@dataclass(frozen=True)
class Sentiment:
    """An account's scored customer messages, and how many of them were negative."""

    scored: int = 0
    negative: int = 0


@dataclass(frozen=True)
class AccountFacts:
    """What health needs of an account itself."""

    account_id: int
    name: str
    owners: tuple[str, ...]
    renewal_date: date | None


class HealthReadings:
    """Read-only statements over one snapshot (`Database.snapshot`)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def accounts(self, team_id: str, account_id: int | None = None) -> list[AccountFacts]:
        """A workspace's accounts (or one of them), by name."""
        stmt = (
            select(Account.id, Account.name, Account.owners, Account.renewal_date)
            .where(Account.team_id == team_id)
            .order_by(Account.name_key)
        )
        if account_id is not None:
            stmt = stmt.where(Account.id == account_id)
        return [
            AccountFacts(found, name, tuple(owners or ()), renewal)
            for found, name, owners, renewal in await self.conn.execute(stmt)
        ]

    async def volume(
        self, team_id: str, before: datetime, recent: datetime, until: datetime
    ) -> dict[int, Volume]:
        """By account: requests opened in [recent, until) and in [before, recent)."""
        is_recent = case((Ticket.opened_at >= recent, 1), else_=0)
        stmt = (
            select(Ticket.account_id, func.count(), func.coalesce(func.sum(is_recent), 0))
            .where(
                Ticket.opened_at >= before,
                Ticket.opened_at < until,
                Ticket.team_id == team_id,
                counts_as_request(),
            )
            .group_by(Ticket.account_id)
        )
        return {
            account: Volume(recent=int(fresh), before=int(n) - int(fresh))
            for account, n, fresh in await self.conn.execute(stmt)
        }

    async def sentiment(
        self, team_id: str, since: datetime, until: datetime
    ) -> dict[int, Sentiment]:
        """By account: customer messages posted in the range with a sentiment score, and those
        below `NEGATIVE_SENTIMENT` (a message not yet scored is unknown: not counted)."""
        negative = case((TicketMessage.sentiment < NEGATIVE_SENTIMENT, literal_column("1")))
        stmt = (
            select(Ticket.account_id, func.count(), func.count(negative))
            .select_from(TicketMessage)
            .join(Ticket, Ticket.id == TicketMessage.ticket_id)
            .where(
                TicketMessage.posted_at >= since,
                TicketMessage.posted_at < until,
                TicketMessage.sentiment.is_not(None),
                TicketMessage.is_internal.is_(False),
                Ticket.team_id == team_id,
            )
            .group_by(Ticket.account_id)
        )
        return {
            account: Sentiment(scored=int(n), negative=int(bad))
            for account, n, bad in await self.conn.execute(stmt)
        }

    async def open_p1(self, team_id: str) -> dict[int, int]:
        """By account: open (or waiting) P1 tickets."""
        stmt = (
            select(Ticket.account_id, func.count())
            .where(
                Ticket.team_id == team_id,
                Ticket.status.in_(OPEN),
                Ticket.priority == TOP_PRIORITY,
            )
            .group_by(Ticket.account_id)
        )
        return {account: int(n) for account, n in await self.conn.execute(stmt)}


@dataclass(frozen=True)
class Checked:
    """One account's score as a check found it, to be written to the ledger."""

    account_id: int
    band: str
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ListedHealth:
    """An account as the ledger last scored it (the managers' Home)."""

    account_id: int
    name: str
    band: str
    score: int
    reasons: tuple[str, ...]


class HealthStateRepository:
    """Rows of `health_states`, the health ledger."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_team(self, team_id: str) -> dict[int, HealthState]:
        """Every account's row, by account id."""
        rows = await self.session.scalars(select(HealthState).where(HealthState.team_id == team_id))
        return {row.account_id: row for row in rows.all()}

    async def add_absent(self, team_id: str, checked: Iterable[Checked], at: datetime) -> None:
        """Insert the rows of accounts not yet in the ledger (another replica's insert wins),
        neither alerted nor crossed."""
        rows = [
            {
                "team_id": team_id,
                "account_id": c.account_id,
                "band": c.band,
                "score": c.score,
                "reasons": list(c.reasons),
                "changed_at": at,
                "alerted": False,
                "crossings": 0,
            }
            for c in checked
        ]
        if rows:
            stmt = insert_for(self.session, HealthState).on_conflict_do_nothing(
                index_elements=["team_id", "account_id"]
            )
            await self.session.execute(stmt, rows)

    async def record(self, row: HealthState, checked: Checked, at: datetime) -> None:
        """Write a check's score, band and reasons (the band's change time when it moved)."""
        values: dict[str, Any] = {"score": checked.score, "reasons": list(checked.reasons)}
        if row.band != checked.band:
            values |= {"band": checked.band, "changed_at": at}
        await self.session.execute(
            update(HealthState).where(HealthState.id == row.id).values(**values)
        )

    async def claim_crossing(self, row_id: int) -> int | None:
        """Mark the account alerted, unless it already is (another pass or replica told it):
        the crossing's number, or None when it was claimed before."""
        result = await self.session.execute(
            update(HealthState)
            .where(HealthState.id == row_id, HealthState.alerted.is_(False))
            .values(alerted=True, crossings=HealthState.crossings + 1)
            .returning(HealthState.crossings)
        )
        return result.scalar_one_or_none()

    async def rearm(self, row_id: int) -> None:
        """The account recovered: its next crossing into at risk is told again."""
        await self.session.execute(
            update(HealthState).where(HealthState.id == row_id).values(alerted=False)
        )

    async def listed(
        self, team_id: str, bands: Sequence[Band], limit: int
    ) -> tuple[list[ListedHealth], int]:
        """The first `limit` accounts in these bands, worst score first, and how many in all."""
        where = (HealthState.team_id == team_id, HealthState.band.in_([b.value for b in bands]))
        total = await self.session.scalar(select(func.count()).where(*where)) or 0
        if not total:
            return [], 0
        rows = await self.session.execute(
            select(
                HealthState.account_id,
                Account.name,
                HealthState.band,
                HealthState.score,
                HealthState.reasons,
            )
            .join(Account, Account.id == HealthState.account_id)
            .where(*where)
            .order_by(HealthState.score, Account.name_key)
            .limit(limit)
        )
        found = [
            ListedHealth(account_id, name, band, int(score), tuple(reasons or ()))
            for account_id, name, band, score, reasons in rows
        ]
        return found, int(total)
