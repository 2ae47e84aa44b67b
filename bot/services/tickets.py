"""Ticket operations the account team runs: claim, assign, resolve, reopen, wait, priority."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.domain.clock import Clock
from bot.domain.tickets import Priority, ResolutionKind, TicketStatus
from bot.messages.base import InternalMessage
from bot.messages.internal import notice
from bot.messages.markup import Mrkdwn, md, mention
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from bot.services.csat import CsatService
from bot.services.home import HomeService
from bot.services.presenter import TicketPresenter
from bot.services.sla import SlaService
from store.db import Database
from store.models import Ticket, TriageExample
from store.repositories import Repositories


async def record_refresh(
    outbox: Outbox, uow: Repositories, ticket: Ticket, *, receipt: bool = True
) -> int | None:
    """Queue bringing what people see of the ticket up to date, in the change's transaction.

    `receipt=False`: the card only (the customer's receipt and reactions stay as they are).
    """
    return await outbox.record(
        uow,
        f"t{ticket.id}:refresh:{uuid.uuid4().hex}",
        OutboxKind.REFRESH,
        ticket.team_id,
        ticket_id=ticket.id,
        payload=None if receipt else {"receipt": False},
    )


# How a confirmation names a ticket closed without an answer.
CLOSED_AS: dict[str, str] = {
    ResolutionKind.DUPLICATE: "closed as a duplicate",
    ResolutionKind.NOISE: "closed as noise",
}


# `/desk noise`: the ticket's opening words are kept as a labelled example of chatter.
NOISE_SAVED = "Saved as an example of chatter; the classifier learns it at the next start."


class TicketNotFound(LookupError):
    """No such ticket in this workspace."""


@dataclass(frozen=True)
class TicketRef:
    """A ticket by number (commands) or by id (buttons), within one workspace."""

    team_id: str
    number: int | None = None
    ticket_id: int | None = None

    def label(self) -> str:
        """How to name the ticket back to the user."""
        return f"#{self.number}" if self.number is not None else "that ticket"


# A change returns None, or why it cannot be made (plain text, or Mrkdwn with a mention).
Change = Callable[[Repositories, Ticket], Awaitable[str | None]]


class TicketOps:
    """Applies a change to one ticket in one unit of work, audits it, refreshes what people see."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        presenter: TicketPresenter,
        sla: SlaService,
        outbox: Outbox,
        csat: CsatService | None = None,
        home: HomeService | None = None,
    ) -> None:
        """`csat`: asks resolved tickets' customers for a rating (None: never asks); `home`:
        publishes again the App Homes that show a changed ticket."""
        self.db = db
        self.csat = csat
        self.outbox = outbox
        self.home = home
        self.clock = clock
        self.presenter = presenter
        self.sla = sla

    async def _apply(
        self,
        ref: TicketRef,
        actor: str,
        change: Change,
        then: list[int | None] | None = None,
        also: str = "",
    ) -> InternalMessage:
        """`then`: outbox rows the change records, run after the refresh (in that order);
        `also`: a sentence added to the confirmation once the change is made."""
        async with self.db.unit_of_work() as uow:
            ticket = await self._find(uow, ref)
            owner_before = ticket.owner_user_id
            problem = await change(uow, ticket)
            if problem:
                return notice(md(":warning: {}", problem))
            ticket.updated_at = self.clock.now()
            refresh = await record_refresh(self.outbox, uow, ticket)
            if self.home is not None:
                # A ticket given to someone else leaves its previous owner's Home too.
                await self.home.tickets_changed(uow, [ticket], also=[owner_before])
        await self.outbox.run([refresh, *(then or [])])
        confirmation = self._confirmation(ticket, actor)
        return notice(confirmation + " " + also if also else confirmation)

    async def _find(self, uow: Repositories, ref: TicketRef) -> Ticket:
        ticket = None
        if ref.ticket_id is not None:
            ticket = await uow.tickets.by_id(ref.ticket_id, for_update=True)
            if ticket is not None and ticket.team_id != ref.team_id:
                ticket = None  # a button from another workspace never touches ours
        elif ref.number is not None:
            ticket = await uow.tickets.by_number(ref.team_id, ref.number, for_update=True)
        if ticket is None:
            raise TicketNotFound(
                f"There is no ticket {ref.label()}. `/desk queue` lists the open ones."
            )
        return ticket

    @staticmethod
    def _confirmation(ticket: Ticket, actor: str) -> Mrkdwn:
        owner = mention(ticket.owner_user_id) if ticket.owner_user_id else "nobody"
        state = CLOSED_AS.get(ticket.resolution_kind or "", ticket.status)
        return md(
            "Ticket #{} ({}, {}) is {}, owned by {}.",
            ticket.number,
            ticket.account.name,
            ticket.priority,
            state if ticket.status == TicketStatus.RESOLVED else ticket.status,
            owner,
        )

    async def claim(self, ref: TicketRef, actor: str) -> InternalMessage:
        """The actor takes ownership."""
        return await self.assign(ref, actor, actor)

    async def assign(self, ref: TicketRef, actor: str, owner: str) -> InternalMessage:
        """Give the ticket to `owner`."""

        async def change(uow: Repositories, ticket: Ticket) -> str | None:
            if ticket.status == TicketStatus.RESOLVED:
                return f"Ticket #{ticket.number} is resolved; `/desk reopen {ticket.number}` first."
            if ticket.owner_user_id == owner:
                return md("Ticket #{} is already owned by {}.", ticket.number, mention(owner))
            previous = ticket.owner_user_id
            ticket.owner_user_id = owner
            await uow.audit.record(
                ref.team_id,
                actor,
                "owner_set",
                self.clock.now(),
                ticket.id,
                owner=owner,
                previous=previous,
            )
            return None

        return await self._apply(ref, actor, change)

    async def resolve(
        self,
        ref: TicketRef,
        actor: str,
        note: str = "",
        kind: ResolutionKind = ResolutionKind.RESOLVED,
        *,
        via: str | None = None,
    ) -> InternalMessage:
        """Close the ticket: clocks stop, ✅ on the customer's message; answered (`kind`
        resolved) asks the customer for a rating, a duplicate or noise never does.

        `via`: closed by the customer (e.g. "kb_answer": the bot's article solved it), who
        never becomes its owner; the audit says how.
        """
        then: list[int | None] = []

        async def change(uow: Repositories, ticket: Ticket) -> str | None:
            if ticket.status == TicketStatus.RESOLVED:
                return f"Ticket #{ticket.number} is already resolved."
            now = self.clock.now()
            ticket.status = TicketStatus.RESOLVED
            ticket.resolution_kind = kind.value
            ticket.resolved_at = now
            ticket.resolved_by = actor
            ticket.waiting_since = None
            ticket.resolution_note = note[:2000]
            if ticket.owner_user_id is None and via is None:
                ticket.owner_user_id = actor
            await self.sla.on_resolve(uow, ticket, now)
            closed_as = {} if kind == ResolutionKind.RESOLVED else {"kind": kind.value}
            if via is not None:
                closed_as["via"] = via
            await uow.audit.record(
                ref.team_id, actor, "resolved", now, ticket.id, note=note[:2000], **closed_as
            )
            if self.csat is not None:
                then.append(await self.csat.on_resolve(uow, ticket, now))
            if kind == ResolutionKind.NOISE:
                await uow.triage.add_example(
                    TriageExample(
                        team_id=ticket.team_id,
                        ticket_id=ticket.id,
                        text=await uow.triage.opening_text(ticket),
                        is_request=False,
                        category=None,
                        labelled_by=actor,
                        labelled_at=now,
                    )
                )
            return None

        also = NOISE_SAVED if kind == ResolutionKind.NOISE else ""
        return await self._apply(ref, actor, change, then, also)

    async def reopen(self, ref: TicketRef, actor: str) -> InternalMessage:
        """Open a resolved ticket again; the resolution clock restarts."""

        async def change(uow: Repositories, ticket: Ticket) -> str | None:
            if ticket.status != TicketStatus.RESOLVED:
                return f"Ticket #{ticket.number} is not resolved, so there is nothing to reopen."
            now = self.clock.now()
            if ticket.resolution_kind == ResolutionKind.NOISE:
                await uow.triage.forget(ticket.team_id, ticket.id)  # a request after all
            ticket.status = TicketStatus.OPEN
            ticket.resolved_at = None
            ticket.resolution_kind = None
            await self.sla.on_reopen(uow, ticket, now)
            await uow.audit.record(ref.team_id, actor, "reopened", now, ticket.id)
            return None

        return await self._apply(ref, actor, change)

    async def wait(self, ref: TicketRef, actor: str) -> InternalMessage:
        """Mark the ticket as waiting on the customer (the resolution clock pauses)."""

        async def change(uow: Repositories, ticket: Ticket) -> str | None:
            if ticket.status != TicketStatus.OPEN:
                return f"Ticket #{ticket.number} is {ticket.status}; only open tickets can wait."
            now = self.clock.now()
            ticket.status = TicketStatus.WAITING
            ticket.waiting_since = now
            await self.sla.on_wait(uow, ticket, now)
            await uow.audit.record(ref.team_id, actor, "waiting", now, ticket.id)
            return None

        return await self._apply(ref, actor, change)

    async def set_priority(self, ref: TicketRef, actor: str, priority: Priority) -> InternalMessage:
        """Change the priority; due times are re-planned."""

        async def change(uow: Repositories, ticket: Ticket) -> str | None:
            if ticket.priority == priority.value:
                return f"Ticket #{ticket.number} is already {priority.value}."
            now = self.clock.now()
            previous = ticket.priority
            ticket.priority = priority.value
            await self.sla.on_priority_change(uow, ticket, now)
            await uow.audit.record(
                ref.team_id,
                actor,
                "priority",
                now,
                ticket.id,
                priority=priority.value,
                previous=previous,
            )
            return None

        return await self._apply(ref, actor, change)
