"""Intake: customer messages in linked shared channels become tickets; replies are recorded."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.clock import Clock
from bot.config.desk import DeskConfig
from bot.domain.triage import classify_priority, is_pleasantry
from bot.gateway import SlackGateway
from bot.messages.base import clip
from bot.outbox.effects import CARD, REACT, RECEIPT
from bot.outbox.outbox import Outbox
from bot.services.incidents import IncidentService
from bot.services.inputs import IncomingMessage
from bot.services.people import People
from bot.services.presenter import EYES, TicketPresenter
from bot.services.sla import SlaService
from bot.services.tickets import record_refresh
from store.db import Database
from store.models import Ticket, TicketMessage

log = logging.getLogger("connectdesk.intake")

SUMMARY_LIMIT = 500
STORED_TEXT_LIMIT = 4000


class Outcome(StrEnum):
    """What intake did with a message."""

    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    OPENED = "opened"
    JOINED = "joined"
    REPLY = "reply"


@dataclass(frozen=True)
class IntakeResult:
    """Outcome, and the ticket touched if any."""

    outcome: Outcome
    ticket_number: int | None = None
    reason: str = ""


class _Skip:
    """A message intake does not look at (not a person's new post, or our own)."""


SKIP = _Skip()


class IntakeService:
    """Decides what each channel message means for tickets."""

    def __init__(
        self,
        db: Database,
        config: DeskConfig,
        clock: Clock,
        gateway: SlackGateway,
        people: People,
        presenter: TicketPresenter,
        sla: SlaService,
        outbox: Outbox,
        incidents: IncidentService | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.gateway = gateway
        self.people = people
        self.presenter = presenter
        self.sla = sla
        self.outbox = outbox
        self.incidents = incidents

    def wants(self, msg: IncomingMessage) -> bool:
        """Whether a message event can touch a ticket: a person's new post (never an edit, a
        deletion or a bot's post, our own echoes among them)."""
        return msg.is_new_post

    async def on_messages(self, msgs: Sequence[IncomingMessage]) -> list[IntakeResult]:
        """Handle message events in order, deciding them all in one transaction.

        Each event counts once (per `event_id`); its side effects are recorded in the same
        transaction and run once it commits, each ticket's in order, tickets side by side.
        """
        identity = await self.gateway.identity()
        # Who is internal may take a users.info call: asked before the transaction opens.
        who: list[bool | None | _Skip] = []
        for msg in msgs:
            if self.wants(msg) and msg.user_id != identity.bot_user_id:
                who.append(await self.people.is_internal(msg.user_id, msg.user_team))
            else:
                who.append(SKIP)
        results: list[IntakeResult] = []
        effects: list[list[int | None]] = []
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            for msg, internal in zip(msgs, who, strict=True):
                if isinstance(internal, _Skip):
                    results.append(IntakeResult(Outcome.IGNORED, reason="not a person's new post"))
                    continue
                done: list[int | None] = []
                results.append(await self._decide(uow, msg, internal, now, done))
                effects.append(done)
        # Committed with the tickets, so a crash from here on loses none of them; not awaited.
        for ticket_effects in effects:
            self.outbox.run_soon(ticket_effects)
        return results

    async def _decide(
        self, uow, msg: IncomingMessage, internal: bool | None, now: datetime, effects: list
    ) -> IntakeResult:
        """What one new post means, inside the caller's transaction; effects are appended."""
        if not await uow.events.claim(msg.event_id, now):
            return IntakeResult(Outcome.DUPLICATE, reason="event already handled")
        link = await uow.accounts.channel(msg.team_id, msg.channel_id)
        if link is None or not link.is_shared:
            return IntakeResult(Outcome.IGNORED, reason="channel not linked")
        if msg.is_reply:
            ticket = await uow.tickets.by_thread(
                msg.team_id, msg.channel_id, msg.thread_ts, for_update=True
            )
            if ticket is None:
                return IntakeResult(Outcome.IGNORED, reason="thread is not a ticket")
            if await self._record_reply(uow, ticket, msg, bool(internal), now):
                effects.append(await record_refresh(self.outbox, uow, ticket))
            return IntakeResult(Outcome.REPLY, ticket.number)
        if internal:
            return IntakeResult(Outcome.IGNORED, reason="staff post")
        if is_pleasantry(msg.text) or not msg.text.strip():
            return IntakeResult(Outcome.IGNORED, reason="pleasantry")
        since = now - self.config.grouping_window
        await uow.tickets.lock_requester(msg.team_id, msg.channel_id, msg.user_id)
        ticket = await uow.tickets.latest_open_for_requester(
            msg.team_id, msg.channel_id, msg.user_id, since
        )
        if ticket is not None:
            await self._add_message(uow, ticket, msg, False, now)
            ticket.last_customer_at = now
            ticket.updated_at = now
            await uow.audit.record(
                msg.team_id, msg.user_id, "message_grouped", now, ticket.id, ts=msg.ts
            )
            if link.account.receipts:
                effects.append(await self._react(uow, ticket, msg.channel_id, msg.ts))
            return IntakeResult(Outcome.JOINED, ticket.number)
        ticket = await self._open(uow, msg, link.account, now)
        effects += await self._announce(uow, ticket)
        return IntakeResult(Outcome.OPENED, ticket.number)

    async def _open(self, uow, msg: IncomingMessage, account, now: datetime) -> Ticket:
        priority = classify_priority(
            msg.text, self.config.triage_rules, self.config.default_priority
        )
        number = await uow.tickets.next_number(msg.team_id)
        ticket = Ticket(
            team_id=msg.team_id,
            number=number,
            account_id=account.id,
            channel_id=msg.channel_id,
            root_ts=msg.ts,
            requester_user_id=msg.user_id,
            summary=clip(msg.text.strip(), SUMMARY_LIMIT),
            priority=priority.value,
            status="open",
            opened_at=now,
            last_customer_at=now,
            updated_at=now,
            card_channel_id=account.internal_channel_id,
        )
        ticket.account = account
        if self.incidents is not None:
            ticket.incident = await self.incidents.incident_for(uow, account)
        await uow.tickets.add(ticket)
        await self.sla.start(uow, ticket, now)
        await self._add_message(uow, ticket, msg, False, now)
        await uow.audit.record(
            msg.team_id, msg.user_id, "opened", now, ticket.id, priority=priority.value, ts=msg.ts
        )
        return ticket

    async def _record_reply(
        self, uow, ticket: Ticket, msg: IncomingMessage, internal: bool, now: datetime
    ) -> bool:
        """Store a thread reply and apply what it means; True if the card should change."""
        if not await self._add_message(uow, ticket, msg, internal, now):
            return False
        ticket.updated_at = now
        if internal:
            ticket.last_internal_at = now
            changed = False
            if ticket.first_response_at is None:
                ticket.first_response_at = now
                ticket.first_response_by = msg.user_id
                await uow.audit.record(msg.team_id, msg.user_id, "first_response", now, ticket.id)
                changed = True
            if ticket.owner_user_id is None:
                ticket.owner_user_id = msg.user_id
                await uow.audit.record(
                    msg.team_id,
                    msg.user_id,
                    "owner_set",
                    now,
                    ticket.id,
                    owner=msg.user_id,
                    via="first reply",
                )
                changed = True
            await self.sla.on_team_reply(uow, ticket, now)
            return changed
        ticket.last_customer_at = now
        changed = False
        if ticket.status == "waiting":
            ticket.status = "open"
            ticket.waiting_since = None
            await uow.audit.record(msg.team_id, msg.user_id, "resumed", now, ticket.id)
            changed = True
        elif ticket.status == "resolved":
            # A customer writing back into a resolved thread means it is not done.
            ticket.status = "open"
            ticket.resolved_at = None
            await uow.audit.record(
                msg.team_id, msg.user_id, "reopened", now, ticket.id, via="customer reply"
            )
            await self.sla.on_reopen(uow, ticket, now)
            changed = True
        await self.sla.on_customer_reply(uow, ticket, now)
        return changed

    async def _add_message(
        self, uow, ticket: Ticket, msg: IncomingMessage, internal: bool, now: datetime
    ) -> bool:
        return await uow.messages.add(
            TicketMessage(
                ticket_id=ticket.id,
                channel_id=msg.channel_id,
                ts=msg.ts,
                thread_ts=msg.thread_ts,
                user_id=msg.user_id or "",
                is_internal=internal,
                posted_at=now,
                text=clip(msg.text, STORED_TEXT_LIMIT),
            )
        )

    async def _react(self, uow, ticket: Ticket, channel: str, ts: str) -> int | None:
        return await self.outbox.record(
            uow,
            f"t{ticket.id}:react:{channel}:{ts}",
            REACT,
            ticket.team_id,
            ticket_id=ticket.id,
            payload={"channel": channel, "ts": ts, "name": EYES},
        )

    async def _announce(self, uow, ticket: Ticket) -> list[int | None]:
        """Record 👀, the receipt (if the account wants them) and the triage card."""
        effects = []
        if ticket.account.receipts:
            effects.append(await self._react(uow, ticket, ticket.channel_id, ticket.root_ts))
            effects.append(
                await self.outbox.record(
                    uow, f"t{ticket.id}:receipt", RECEIPT, ticket.team_id, ticket_id=ticket.id
                )
            )
        effects.append(
            await self.outbox.record(
                uow, f"t{ticket.id}:card", CARD, ticket.team_id, ticket_id=ticket.id
            )
        )
        return effects
