"""Repositories: the only code that queries the tables, one class per aggregate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.dialect import advisory_lock, insert_for
from store.incident_repository import IncidentRepository
from store.models import (
    Account,
    AuditEntry,
    LinkedChannel,
    ProcessedEvent,
    Ticket,
    TicketCounter,
    TicketMessage,
)
from store.outbox_repository import OutboxRepository
from store.sla_repository import SlaRepository

OPEN_STATES = ("open", "waiting")


class EventRepository:
    """Processed Events API ids, for exactly-once handling."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, event_id: str, at: datetime) -> bool:
        """Record `event_id`; False when it was already recorded (a redelivery)."""
        stmt = (
            insert_for(self.session, ProcessedEvent)
            .values(event_id=event_id, received_at=at)
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
        result = await self.session.execute(stmt)
        return result.rowcount == 1

    async def forget_before(self, cutoff: datetime) -> int:
        """Drop ids older than `cutoff` (Slack stops retrying after minutes)."""
        from sqlalchemy import delete

        result = await self.session.execute(
            delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff)
        )
        return result.rowcount or 0


class AccountRepository:
    """Accounts and the channels linked to them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_workspace(self, team_id: str) -> None:
        """Serialise account changes of a workspace (replicas loading desk.yml at once)."""
        await advisory_lock(self.session, f"accounts:{team_id}")

    async def by_name(self, team_id: str, name: str) -> Account | None:
        """An account by name, case-insensitively."""
        return await self.session.scalar(
            select(Account).where(Account.team_id == team_id, Account.name_key == name.casefold())
        )

    async def by_id(self, account_id: int) -> Account | None:
        """An account by id."""
        return await self.session.get(Account, account_id)

    async def all(self, team_id: str) -> Sequence[Account]:
        """Every account of a workspace, by name."""
        rows = await self.session.scalars(
            select(Account).where(Account.team_id == team_id).order_by(Account.name_key)
        )
        return rows.all()

    async def add(self, account: Account) -> Account:
        """Store a new account."""
        account.name_key = account.name.casefold()
        self.session.add(account)
        await self.session.flush()
        return account

    async def channel(self, team_id: str, channel_id: str) -> LinkedChannel | None:
        """The link of a channel, with its account, if the channel is linked."""
        return await self.session.get(LinkedChannel, (team_id, channel_id))

    async def link(
        self, team_id: str, channel_id: str, account: Account, at: datetime, is_shared: bool = True
    ) -> LinkedChannel:
        """Link (or re-link) a channel to an account."""
        link = await self.channel(team_id, channel_id)
        if link is None:
            link = LinkedChannel(
                team_id=team_id, channel_id=channel_id, account_id=account.id, linked_at=at
            )
            self.session.add(link)
        link.account_id = account.id
        link.is_shared = is_shared
        link.linked_at = at
        await self.session.flush()
        await self.session.refresh(account, ["channels"])
        return link

    async def shared_channel_ids(self, team_id: str) -> set[str]:
        """Every channel linked as shared with a customer."""
        rows = await self.session.scalars(
            select(LinkedChannel.channel_id).where(
                LinkedChannel.team_id == team_id, LinkedChannel.is_shared.is_(True)
            )
        )
        return set(rows.all())


class TicketRepository:
    """Tickets, their numbers and lookups."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_number(self, team_id: str) -> int:
        """Hand out the next ticket number of a workspace (atomic on both engines)."""
        await self.session.execute(
            insert_for(self.session, TicketCounter)
            .values(team_id=team_id, last_number=0)
            .on_conflict_do_nothing(index_elements=["team_id"])
        )
        result = await self.session.execute(
            update(TicketCounter)
            .where(TicketCounter.team_id == team_id)
            .values(last_number=TicketCounter.last_number + 1)
            .returning(TicketCounter.last_number)
        )
        return int(result.scalar_one())

    async def add(self, ticket: Ticket) -> Ticket:
        """Store a new ticket."""
        self.session.add(ticket)
        await self.session.flush()
        return ticket

    async def record_post(
        self, ticket_id: int, *, receipt_ts: str | None = None, card: tuple[str, str] | None = None
    ) -> None:
        """Remember where the receipt or the card (channel, ts) was posted."""
        values: dict[str, Any] = {}
        if receipt_ts is not None:
            values["receipt_ts"] = receipt_ts
        if card is not None:
            values["card_channel_id"], values["card_ts"] = card
        if values:
            await self.session.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    async def shown_state(self, ticket_id: int) -> tuple[object, ...] | None:
        """The fields a card or receipt shows that can change (see presenter.fingerprint)."""
        row = (
            await self.session.execute(
                select(
                    Ticket.status, Ticket.owner_user_id, Ticket.priority, Ticket.first_response_at
                ).where(Ticket.id == ticket_id)
            )
        ).first()
        return tuple(row) if row is not None else None

    async def _one(self, stmt: Any, for_update: bool) -> Ticket | None:
        if for_update:
            # Only the ticket row: its eager outer joins (incident) cannot be locked, and
            # the read-modify-write that follows must see a replica's committed change.
            stmt = stmt.with_for_update(of=Ticket).execution_options(populate_existing=True)
        return await self.session.scalar(stmt)

    async def by_number(
        self, team_id: str, number: int, *, for_update: bool = False
    ) -> Ticket | None:
        """A ticket by its number in a workspace (row-locked to change it)."""
        return await self._one(
            select(Ticket).where(Ticket.team_id == team_id, Ticket.number == number), for_update
        )

    async def by_id(self, ticket_id: int, *, for_update: bool = False) -> Ticket | None:
        """A ticket by id (row-locked to change it)."""
        return await self._one(select(Ticket).where(Ticket.id == ticket_id), for_update)

    async def by_thread(
        self, team_id: str, channel_id: str, thread_ts: str, *, for_update: bool = False
    ) -> Ticket | None:
        """The ticket whose conversation holds the message `thread_ts` (a thread's root)."""
        return await self._one(
            select(Ticket)
            .join(TicketMessage, TicketMessage.ticket_id == Ticket.id)
            .where(
                Ticket.team_id == team_id,
                TicketMessage.channel_id == channel_id,
                TicketMessage.ts == thread_ts,
            ),
            for_update,
        )

    async def lock_requester(self, team_id: str, channel_id: str, user_id: str) -> None:
        """Serialise intake of one customer in one channel: replicas must not both open one."""
        await advisory_lock(self.session, f"intake:{team_id}:{channel_id}:{user_id}")

    async def latest_open_for_requester(
        self, team_id: str, channel_id: str, user_id: str, since: datetime
    ) -> Ticket | None:
        """The requester's open ticket in a channel they last wrote to after `since` (locked)."""
        return await self._one(
            select(Ticket)
            .where(
                Ticket.team_id == team_id,
                Ticket.channel_id == channel_id,
                Ticket.requester_user_id == user_id,
                Ticket.status.in_(OPEN_STATES),
                Ticket.last_customer_at >= since,
            )
            .order_by(Ticket.last_customer_at.desc())
            .limit(1),
            True,
        )

    async def open_tickets(
        self,
        team_id: str,
        *,
        owner: str | None = None,
        account_id: int | None = None,
        limit: int = 50,
    ) -> Sequence[Ticket]:
        """Open or waiting tickets, oldest first, optionally by owner or account."""
        stmt = select(Ticket).where(Ticket.team_id == team_id, Ticket.status.in_(OPEN_STATES))
        if owner is not None:
            stmt = stmt.where(Ticket.owner_user_id == owner)
        if account_id is not None:
            stmt = stmt.where(Ticket.account_id == account_id)
        # Soonest due first; paused or clock-less tickets after, oldest first.
        rows = await self.session.scalars(
            stmt.order_by(
                Ticket.next_due_at.is_(None), Ticket.next_due_at, Ticket.opened_at, Ticket.number
            ).limit(limit)
        )
        return rows.all()

    async def count_open(self, team_id: str, account_id: int | None = None) -> int:
        """How many tickets are open or waiting."""
        stmt = select(func.count(Ticket.id)).where(
            Ticket.team_id == team_id, Ticket.status.in_(OPEN_STATES)
        )
        if account_id is not None:
            stmt = stmt.where(Ticket.account_id == account_id)
        return int(await self.session.scalar(stmt) or 0)


class MessageRepository:
    """The messages of ticket conversations."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: TicketMessage) -> bool:
        """Record a message; False if that channel/ts was recorded already."""
        stmt = (
            insert_for(self.session, TicketMessage)
            .values(
                ticket_id=message.ticket_id,
                channel_id=message.channel_id,
                ts=message.ts,
                thread_ts=message.thread_ts,
                user_id=message.user_id,
                is_internal=message.is_internal,
                posted_at=message.posted_at,
                text=message.text,
            )
            .on_conflict_do_nothing(index_elements=["channel_id", "ts"])
        )
        result = await self.session.execute(stmt)
        return result.rowcount == 1

    async def for_ticket(self, ticket_id: int) -> Sequence[TicketMessage]:
        """A ticket's messages in order."""
        rows = await self.session.scalars(
            select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.posted_at, TicketMessage.id)
        )
        return rows.all()


class AuditRepository:
    """The append-only audit log."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self,
        team_id: str,
        actor: str,
        action: str,
        at: datetime,
        ticket_id: int | None = None,
        **detail: Any,
    ) -> None:
        """Append who did what, when."""
        self.session.add(
            AuditEntry(
                team_id=team_id,
                ticket_id=ticket_id,
                actor=actor,
                action=action,
                detail=detail,
                at=at,
            )
        )

    async def for_ticket(self, ticket_id: int) -> Sequence[AuditEntry]:
        """A ticket's history, oldest first."""
        rows = await self.session.scalars(
            select(AuditEntry).where(AuditEntry.ticket_id == ticket_id).order_by(AuditEntry.id)
        )
        return rows.all()


class Repositories:
    """Every repository over one session: what a unit of work hands out."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.events = EventRepository(session)
        self.accounts = AccountRepository(session)
        self.tickets = TicketRepository(session)
        self.messages = MessageRepository(session)
        self.audit = AuditRepository(session)
        self.sla = SlaRepository(session)
        self.incidents = IncidentRepository(session)
        self.outbox = OutboxRepository(session)
