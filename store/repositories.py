"""Repositories: the only code that queries the tables, one class per aggregate."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.tickets import TicketStatus
from store.csat_repository import CsatRepository
from store.dialect import advisory_lock, insert_for
from store.digest_repository import DigestRepository
from store.health_repository import HealthStateRepository
from store.home_repository import HomeRepository
from store.incident_repository import IncidentRepository
from store.kb_repository import KbRepository
from store.models import (
    Account,
    AuditEntry,
    LinkedChannel,
    ProcessedEvent,
    Ticket,
    TicketCounter,
    TicketMessage,
    column_values,
)
from store.outbox_repository import OutboxRepository
from store.results import rows_changed
from store.sla_repository import SlaRepository
from store.triage_repository import TriageRepository
from store.workspace_repository import WorkspaceRepository

log = logging.getLogger("connectdesk.store")

OPEN_STATES = (TicketStatus.OPEN, TicketStatus.WAITING)


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
        return rows_changed(result) == 1

    async def claim_many(self, event_ids: Sequence[str], at: datetime) -> set[str]:
        """Record many ids in one statement; those not recorded before (the rest are repeats)."""
        unique = list(dict.fromkeys(event_ids))
        if not unique:
            return set()
        # One statement for all rows (SQLAlchemy's "insertmanyvalues"), compiled once.
        stmt = (
            insert_for(self.session, ProcessedEvent.__table__)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(ProcessedEvent.event_id)
        )
        rows = [{"event_id": e, "received_at": at} for e in unique]
        connection = await self.session.connection()
        return set((await connection.execute(stmt, rows)).scalars().all())


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

    async def names(self, team_id: str) -> dict[int, str]:
        """Every account's name by id (no account objects: views that list many rows)."""
        result = await self.session.execute(
            select(Account.id, Account.name).where(Account.team_id == team_id)
        )
        return {account_id: name for account_id, name in result}

    async def team_ids(self) -> Sequence[str]:
        """Every workspace that has accounts."""
        rows = await self.session.scalars(select(Account.team_id).distinct())
        return rows.all()

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

    async def insert_many(self, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
        """Store new accounts (column values; `name` required) in one statement; their ids by
        case-folded name."""
        if not rows:
            return {}
        stmt = insert(Account).returning(Account.id, Account.name_key)
        values = [{**row, "name_key": row["name"].casefold()} for row in rows]
        result = await self.session.execute(stmt, values)
        return {name_key: account_id for account_id, name_key in result}

    async def link_many(self, team_id: str, links: Sequence[tuple[str, int]], at: datetime) -> None:
        """Link each (channel, account id) as shared: one read, then one statement for the new
        links; a link already there is changed only if its account or sharing changed."""
        rows = await self.session.scalars(
            select(LinkedChannel).where(LinkedChannel.team_id == team_id)
        )
        existing = {link.channel_id: link for link in rows.all()}
        fresh: dict[str, dict[str, Any]] = {}
        for channel_id, account_id in links:
            link = existing.get(channel_id)
            if link is None:
                fresh[channel_id] = {
                    "team_id": team_id,
                    "channel_id": channel_id,
                    "account_id": account_id,
                    "is_shared": True,
                    "linked_at": at,
                }
            elif link.account_id != account_id or not link.is_shared:
                link.account_id, link.is_shared, link.linked_at = account_id, True, at
        if fresh:
            await self.session.execute(insert(LinkedChannel), list(fresh.values()))
        await self.session.flush()

    async def channel(self, team_id: str, channel_id: str) -> LinkedChannel | None:
        """The link of a channel, with its account, if the channel is linked."""
        return await self.session.get(LinkedChannel, (team_id, channel_id))

    async def channels(self, team_id: str, channel_ids: Sequence[str]) -> dict[str, LinkedChannel]:
        """The links (with their accounts) of whichever of these channels are linked."""
        rows = await self.session.scalars(
            select(LinkedChannel).where(
                LinkedChannel.team_id == team_id, LinkedChannel.channel_id.in_(set(channel_ids))
            )
        )
        return {link.channel_id: link for link in rows.all()}

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

    async def next_numbers(self, team_id: str, count: int) -> range:
        """Hand out `count` consecutive ticket numbers of a workspace in one update."""
        await self.session.execute(
            insert_for(self.session, TicketCounter)
            .values(team_id=team_id, last_number=0)
            .on_conflict_do_nothing(index_elements=["team_id"])
        )
        result = await self.session.execute(
            update(TicketCounter)
            .where(TicketCounter.team_id == team_id)
            .values(last_number=TicketCounter.last_number + count)
            .returning(TicketCounter.last_number)
        )
        last = int(result.scalar_one())
        return range(last - count + 1, last + 1)

    async def add_new(self, tickets: Sequence[Ticket]) -> None:
        """Store new tickets in one statement; each gets its id (they stay outside the session).

        Set-based on purpose: the ORM writes such rows one statement each on SQLite.
        """
        if not tickets:
            return
        table = Ticket.__table__
        rows = []
        for ticket in tickets:
            row = column_values(ticket)
            row["incident_id"] = ticket.incident.id if ticket.incident is not None else None
            rows.append(row)
        connection = await self.session.connection()
        result = await connection.execute(
            insert(table).returning(table.c.id, table.c.team_id, table.c.number), rows
        )
        ids = {(team, number): ticket_id for ticket_id, team, number in result.all()}
        for ticket in tickets:
            ticket.id = ids[(ticket.team_id, ticket.number)]

    async def record_posts(self, posts: Sequence[tuple[int, str, str | None]]) -> None:
        """Remember where receipts (ticket, ts, None) and cards (ticket, ts, channel) were posted.

        Written in ticket order, one statement per kind, so concurrent writers lock alike.
        """
        table = Ticket.__table__
        connection = await self.session.connection()
        receipts = sorted((t, ts) for t, ts, channel in posts if channel is None)
        cards = sorted((t, ts, channel) for t, ts, channel in posts if channel is not None)
        if receipts:
            await connection.execute(
                update(table)
                .where(table.c.id == bindparam("ticket"))
                .values(receipt_ts=bindparam("ts")),
                [{"ticket": t, "ts": ts} for t, ts in receipts],
            )
        if cards:
            await connection.execute(
                update(table)
                .where(table.c.id == bindparam("ticket"))
                .values(card_ts=bindparam("ts"), card_channel_id=bindparam("channel")),
                [{"ticket": t, "ts": ts, "channel": c} for t, ts, c in cards],
            )

    async def shown_states(self, ticket_ids: Sequence[int]) -> dict[int, tuple[object, ...]]:
        """What cards and receipts show of these tickets (see presenter.fingerprint)."""
        if not ticket_ids:
            return {}
        rows = await self.session.execute(
            select(
                Ticket.id,
                Ticket.status,
                Ticket.owner_user_id,
                Ticket.priority,
                Ticket.first_response_at,
            ).where(Ticket.id.in_(set(ticket_ids)))
        )
        return {row[0]: tuple(row[1:]) for row in rows.all()}

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

    async def by_ids(self, ticket_ids: Iterable[int]) -> Sequence[Ticket]:
        """Many tickets by id, in id order (unknown ids are left out)."""
        ids = sorted(set(ticket_ids))
        if not ids:
            return []
        return (await self.session.scalars(select(Ticket).where(Ticket.id.in_(ids)))).all()

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

    async def open_in_thread(
        self, team_id: str, channel_id: str, thread_ts: str
    ) -> Sequence[Ticket]:
        """Open tickets living in another message's thread (an incident notice's), oldest first,
        row-locked to take in a reply."""
        stmt = (
            select(Ticket)
            .where(
                Ticket.team_id == team_id,
                Ticket.channel_id == channel_id,
                Ticket.thread_ts == thread_ts,
                Ticket.status.in_(OPEN_STATES),
            )
            .order_by(Ticket.opened_at, Ticket.id)
            .with_for_update(of=Ticket)
            .execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).all()

    async def lock_requester(self, team_id: str, channel_id: str, user_id: str) -> None:
        """Serialise intake of one customer in one channel: replicas must not both open one."""
        await advisory_lock(self.session, f"intake:{team_id}:{channel_id}:{user_id}")

    async def lock_requesters(self, keys: Sequence[tuple[str, str, str]]) -> None:
        """`lock_requester` for many (team, channel, user), in one fixed order."""
        for team_id, channel_id, user_id in sorted(set(keys)):
            await self.lock_requester(team_id, channel_id, user_id)

    async def requesters_with_open(
        self, team_id: str, pairs: Sequence[tuple[str, str]], since: datetime
    ) -> set[tuple[str, str]]:
        """Which (channel, requester) pairs have an open ticket written to after `since`."""
        if not pairs:
            return set()
        channels, users = {c for c, _u in pairs}, {u for _c, u in pairs}
        rows = await self.session.execute(
            select(Ticket.channel_id, Ticket.requester_user_id).where(
                Ticket.team_id == team_id,
                Ticket.channel_id.in_(channels),
                Ticket.requester_user_id.in_(users),
                Ticket.status.in_(OPEN_STATES),
                Ticket.last_customer_at >= since,
            )
        )
        return {(c, u) for c, u in rows.all()} & set(pairs)

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
            .values(**_message_values(message))
            .on_conflict_do_nothing(index_elements=["channel_id", "ts"])
        )
        result = await self.session.execute(stmt)
        return rows_changed(result) == 1

    async def add_many(self, messages: Sequence[TicketMessage]) -> None:
        """Record many messages in one statement (one already recorded is left as it was)."""
        if not messages:
            return
        stmt = insert_for(self.session, TicketMessage).on_conflict_do_nothing(
            index_elements=["channel_id", "ts"]
        )
        await self.session.execute(stmt, [_message_values(m) for m in messages])

    async def last_customer_texts(self, ticket_ids: Iterable[int]) -> dict[int, str]:
        """The text of each ticket's latest customer message (tickets without one are absent)."""
        ids = sorted(set(ticket_ids))
        if not ids:
            return {}
        latest = (
            select(
                TicketMessage.ticket_id,
                TicketMessage.text,
                func.row_number()
                .over(
                    partition_by=TicketMessage.ticket_id,
                    order_by=(TicketMessage.posted_at.desc(), TicketMessage.id.desc()),
                )
                .label("n"),
            )
            .where(TicketMessage.ticket_id.in_(ids), TicketMessage.is_internal.is_(False))
            .subquery()
        )
        rows = await self.session.execute(
            select(latest.c.ticket_id, latest.c.text).where(latest.c.n == 1)
        )
        return {int(ticket_id): text for ticket_id, text in rows.all()}

    async def for_ticket(self, ticket_id: int) -> Sequence[TicketMessage]:
        """A ticket's messages in order."""
        rows = await self.session.scalars(
            select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket_id)
            .order_by(TicketMessage.posted_at, TicketMessage.id)
        )
        return rows.all()


def _message_values(message: TicketMessage) -> dict[str, Any]:
    return {
        "ticket_id": message.ticket_id,
        "channel_id": message.channel_id,
        "ts": message.ts,
        "thread_ts": message.thread_ts,
        "user_id": message.user_id,
        "is_internal": message.is_internal,
        "posted_at": message.posted_at,
        "text": message.text,
        "sentiment": message.sentiment,
    }


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

    async def record_many(self, entries: Sequence[AuditEntry]) -> None:
        """Append many entries in one statement."""
        if entries:
            await self.session.execute(
                insert(AuditEntry),
                [
                    {
                        "team_id": e.team_id,
                        "ticket_id": e.ticket_id,
                        "actor": e.actor,
                        "action": e.action,
                        "detail": e.detail,
                        "at": e.at,
                    }
                    for e in entries
                ],
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
        self.workspaces = WorkspaceRepository(session)
        self.csat = CsatRepository(session)
        self.digests = DigestRepository(session)
        self.home = HomeRepository(session)
        self.triage = TriageRepository(session)
        self.kb = KbRepository(session)
        self.health = HealthStateRepository(session)
        self._after_commit: list[Callable[[], None]] = []

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this unit of work has committed (never if it rolls back).

        For what must count a change exactly once, such as a metric: inside the transaction
        it could count a change that is then rolled back and redone.
        """
        self._after_commit.append(callback)

    def committed(self) -> None:
        """The transaction committed: run the `on_commit` callbacks (the unit of work calls it)."""
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # what committed stays committed; the caller must not redo it
                log.exception("an after-commit callback failed")
