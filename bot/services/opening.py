"""Opening tickets: the new tickets of one intake batch, written with a few set-based statements.

Intake's hot path. Opening one ticket one row at a time took fifteen statements (ticket,
number, clocks, message, audit, three outbox rows); here a batch of posts that each open a
ticket costs about ten statements in all, whatever its size (bench/README.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from bot.config.desk import DeskConfig
from bot.domain.tickets import TicketStatus
from bot.domain.triage import classify_priority, raised_priority
from bot.messages.base import clip
from bot.observability.metrics import Metrics
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from bot.services.incidents import IncidentService
from bot.services.inputs import IncomingMessage
from bot.services.presenter import EYES
from bot.services.sla import SlaService
from store.models import (
    Account,
    AuditEntry,
    Incident,
    OutboxEntry,
    SlaClock,
    Ticket,
    TicketMessage,
)
from store.repositories import Repositories

SUMMARY_LIMIT = 500
STORED_TEXT_LIMIT = 4000


@dataclass
class Opening:
    """A customer's post that opens a ticket; `ticket` and `effects` once written.

    `category` and `sentiment`: what triage made of the post; `incident` and `thread_ts`: for a
    reply under an incident notice, the incident it is linked to and the notice's thread.
    """

    msg: IncomingMessage
    account: Account
    category: str | None = None
    sentiment: float | None = None
    incident: Incident | None = None
    thread_ts: str | None = None
    ticket: Ticket | None = None
    effects: list[OutboxEntry] = field(default_factory=list)


class TicketOpener:
    """Writes the tickets a batch of posts opens: numbers, clocks, messages, audit, outbox."""

    def __init__(
        self,
        config: DeskConfig,
        sla: SlaService,
        outbox: Outbox,
        metrics: Metrics,
        incidents: IncidentService | None = None,
        on_opened: Callable[[Sequence[Opening]], None] | None = None,
    ) -> None:
        """`on_opened`: told of the tickets once their transaction has committed (drafts)."""
        self.config = config
        self.sla = sla
        self.outbox = outbox
        self.metrics = metrics
        self.incidents = incidents
        self.on_opened = on_opened

    async def open(self, uow: Repositories, openings: list[Opening], now: datetime) -> None:
        """Open a ticket for each post, in the caller's transaction, numbered in post order."""
        if not openings:
            return
        tickets: list[Ticket] = []
        plans: list[tuple[Ticket, list[SlaClock]]] = []
        wake: list[datetime] = []
        incidents: dict[str, list[Incident]] = {}
        for team_id in dict.fromkeys(o.msg.team_id for o in openings):
            mine = [o for o in openings if o.msg.team_id == team_id]
            numbers = await uow.tickets.next_numbers(team_id, len(mine))
            for opening, number in zip(mine, numbers, strict=True):
                opening.ticket = self._ticket(opening, number, now)
        for opening in openings:
            ticket = opening.ticket
            assert ticket is not None
            if opening.incident is not None:
                ticket.incident = opening.incident
            elif self.incidents is not None:
                ticket.incident = await self.incidents.incident_for(uow, opening.account, incidents)
            planned, at = self.sla.plan_start(ticket, now)
            plans.append((ticket, planned))
            if at is not None:
                wake.append(at)
            tickets.append(ticket)
        await uow.tickets.add_new(tickets)
        for ticket, planned in plans:
            for clock in planned:
                clock.ticket_id = ticket.id
        await uow.sla.add_new([clock for _t, planned in plans for clock in planned])
        self.sla.wake(wake)
        await uow.messages.add_many([self._message(o, now) for o in openings])
        await uow.audit.record_many(
            [
                AuditEntry(
                    team_id=t.team_id,
                    ticket_id=t.id,
                    actor=t.requester_user_id,
                    action="opened",
                    detail={"priority": t.priority, "ts": t.root_ts},
                    at=now,
                )
                for t in tickets
            ]
        )
        rows = {o.ticket.id: self._effects(o.ticket, o.account) for o in openings if o.ticket}
        added = await self.outbox.record_many(uow, [r for group in rows.values() for r in group])
        by_key = {row.key: row for row in added}
        for opening in openings:
            assert opening.ticket is not None
            opening.effects = [by_key[r.key] for r in rows[opening.ticket.id] if r.key in by_key]
        # Counted when they commit: a batch that rolls back is redone, and counts then.
        for tier, count in Counter(self.sla.tier_of(t) for t in tickets).items():
            uow.on_commit(partial(self.metrics.ticket_opened, tier, count))
        if self.on_opened is not None:
            uow.on_commit(partial(self.on_opened, list(openings)))

    def _ticket(self, opening: Opening, number: int, now: datetime) -> Ticket:
        msg, account = opening.msg, opening.account
        priority = raised_priority(
            classify_priority(msg.text, self.config.triage_rules, self.config.default_priority),
            opening.sentiment,
            account.tier,
            self.config.frustration,
        )
        ticket = Ticket(
            team_id=msg.team_id,
            number=number,
            account_id=account.id,
            channel_id=msg.channel_id,
            root_ts=msg.ts,
            requester_user_id=msg.user_id,
            summary=clip(msg.text.strip(), SUMMARY_LIMIT),
            priority=priority.value,
            status=TicketStatus.OPEN,
            opened_at=now,
            last_customer_at=now,
            updated_at=now,
            card_channel_id=account.internal_channel_id,
            category=opening.category,
            sentiment=opening.sentiment,
            thread_ts=opening.thread_ts,
        )
        ticket.account = account
        return ticket

    @staticmethod
    def _message(opening: Opening, now: datetime) -> TicketMessage:
        msg, ticket = opening.msg, opening.ticket
        assert ticket is not None
        return TicketMessage(
            ticket_id=ticket.id,
            channel_id=msg.channel_id,
            ts=msg.ts,
            thread_ts=msg.thread_ts,
            user_id=msg.user_id or "",
            is_internal=False,
            posted_at=now,
            text=clip(msg.text, STORED_TEXT_LIMIT),
            sentiment=opening.sentiment,
        )

    def _effects(self, ticket: Ticket, account: Account) -> list[OutboxEntry]:
        """👀 and the receipt (if the account wants them), the knowledge base's articles (and
        maybe the bot's answer), then the triage card, in that order."""
        rows = []
        if account.receipts:
            rows.append(react_row(ticket, ticket.channel_id, ticket.root_ts))
            rows.append(
                OutboxEntry(
                    key=f"t{ticket.id}:receipt",
                    kind=OutboxKind.RECEIPT,
                    team_id=ticket.team_id,
                    ticket_id=ticket.id,
                )
            )
        if self.config.knowledge_base is not None:
            rows.append(
                OutboxEntry(
                    key=f"t{ticket.id}:kb",
                    kind=OutboxKind.KB_SUGGEST,
                    team_id=ticket.team_id,
                    ticket_id=ticket.id,
                    payload={"channel": ticket.channel_id},
                )
            )
        rows.append(
            OutboxEntry(
                key=f"t{ticket.id}:card",
                kind=OutboxKind.CARD,
                team_id=ticket.team_id,
                ticket_id=ticket.id,
            )
        )
        return rows


def react_row(ticket: Ticket, channel: str, ts: str) -> OutboxEntry:
    """The outbox row that puts 👀 on a customer's message of a ticket."""
    return OutboxEntry(
        key=f"t{ticket.id}:react:{channel}:{ts}",
        kind=OutboxKind.REACT,
        team_id=ticket.team_id,
        ticket_id=ticket.id,
        payload={"channel": channel, "ts": ts, "name": EYES},
    )
