"""Intake: customer messages in linked shared channels become tickets; replies are recorded."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.config.desk import DeskConfig
from bot.domain.clock import Clock
from bot.domain.tickets import Priority, TicketStatus
from bot.domain.triage import mood, raised_priority
from bot.installs.gateways import Gateways
from bot.messages.base import clip
from bot.observability.metrics import Metrics
from bot.outbox.outbox import Fresh, Outbox
from bot.services.home import HomeService
from bot.services.incidents import IncidentService
from bot.services.inputs import IncomingMessage
from bot.services.opening import STORED_TEXT_LIMIT, Opening, TicketOpener, react_row
from bot.services.people import People
from bot.services.presenter import TicketPresenter
from bot.services.sla import SlaService
from bot.services.tickets import record_refresh
from bot.services.triage import MessageTriage
from bot.triage.classifier import TriageDecision
from store.db import Database
from store.models import Account, Incident, LinkedChannel, Ticket, TicketMessage
from store.repositories import Repositories

log = logging.getLogger("connectdesk.intake")


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


def _log_outcomes(msgs: Sequence[IncomingMessage], results: Sequence[IntakeResult]) -> None:
    """One line per message that touched a ticket, with its event id, ticket and workspace."""
    for msg, result in zip(msgs, results, strict=True):
        if result.ticket_number is None:
            continue
        log.info(
            "message %s ticket #%d",
            result.outcome,
            result.ticket_number,
            extra={
                "event_id": msg.event_id,
                "ticket": result.ticket_number,
                "workspace": msg.team_id,
            },
        )


class _Skip:
    """A message intake does not look at (not a person's new post, or our own)."""


SKIP = _Skip()


class _Readings:
    """What triage makes of the customer posts of one batch: each post is read at most once."""

    def __init__(self, triage: MessageTriage) -> None:
        self.triage = triage
        self._decisions: dict[tuple[str, str], TriageDecision] = {}
        self._scores: dict[tuple[str, str], float] = {}

    def decision(self, msg: IncomingMessage) -> TriageDecision:
        """Request or chatter, and its category."""
        key = (msg.channel_id, msg.ts)
        if key not in self._decisions:
            self._decisions[key] = self.triage.decide(msg.team_id, msg.text)
        return self._decisions[key]

    def sentiment(self, msg: IncomingMessage) -> float:
        """The post's sentiment score."""
        key = (msg.channel_id, msg.ts)
        if key not in self._scores:
            self._scores[key] = self.triage.sentiment(msg.text)
        return self._scores[key]


class IntakeService:
    """Decides what each channel message means for tickets."""

    def __init__(
        self,
        db: Database,
        config: DeskConfig,
        clock: Clock,
        gateways: Gateways,
        people: People,
        presenter: TicketPresenter,
        sla: SlaService,
        outbox: Outbox,
        metrics: Metrics,
        incidents: IncidentService | None = None,
        home: HomeService | None = None,
        *,
        triage: MessageTriage,
        on_opened: Callable[[Sequence[Opening]], None] | None = None,
    ) -> None:
        """`triage`: tells customers' requests from chatter (loaded at the app's start);
        `on_opened`: told of new tickets once they are committed (reply drafts)."""
        self.db = db
        self.triage = triage
        self.home = home
        self.config = config
        self.clock = clock
        self.gateways = gateways
        self.people = people
        self.presenter = presenter
        self.sla = sla
        self.outbox = outbox
        self.incidents = incidents
        self.opener = TicketOpener(config, sla, outbox, metrics, incidents, on_opened)

    def wants(self, msg: IncomingMessage) -> bool:
        """Whether a message event can touch a ticket: a person's new post (never an edit, a
        deletion or a bot's post, our own echoes among them)."""
        return msg.is_new_post

    async def on_messages(self, msgs: Sequence[IncomingMessage]) -> list[IntakeResult]:
        """Handle message events in order, deciding them all in one transaction.

        Each event counts once (per `event_id`); its side effects are recorded in the same
        transaction and run once it commits, each ticket's in order, tickets side by side.
        Posts that open tickets are written together (`TicketOpener`) before anything else in
        the batch reads tickets, so the outcome is as if each post were decided in turn.
        """
        # Who is internal may take a users.info call: asked before the transaction opens.
        who: list[bool | None | _Skip] = []
        for msg in msgs:
            bot = await self._bot_user(msg.team_id)
            if self.wants(msg) and bot is not None and msg.user_id != bot:
                who.append(await self.people.is_internal(msg.team_id, msg.user_id, msg.user_team))
            else:
                # Not a person's new post, our own echo, or for an install we do not have.
                who.append(SKIP)
        results: list[IntakeResult] = []
        effects: list[tuple[list[Fresh], Ticket | None]] = []
        # Tickets replies changed (for the Homes that show them).
        touched: list[Ticket] = []
        # Classified here, in the event worker (never on the ack path), once per post.
        reads = _Readings(self.triage)
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            people = [(m, w) for m, w in zip(msgs, who, strict=True) if not isinstance(w, _Skip)]
            fresh = await uow.events.claim_many([m.event_id for m, _w in people], now)
            links = await self._links(uow, [m for m, _w in people])
            openers = await self._first_posts(uow, people, links, now, reads)
            pending: list[tuple[int, Opening]] = []
            for msg, internal in zip(msgs, who, strict=True):
                if isinstance(internal, _Skip):
                    results.append(IntakeResult(Outcome.IGNORED, reason="not a person's new post"))
                    continue
                if msg.event_id not in fresh:
                    results.append(IntakeResult(Outcome.DUPLICATE, reason="event already handled"))
                    continue
                fresh.discard(msg.event_id)  # the same id again in this batch is a repeat
                link = links.get((msg.team_id, msg.channel_id))
                if link is None or not link.is_shared:
                    results.append(IntakeResult(Outcome.IGNORED, reason="channel not linked"))
                    continue
                requester = (msg.team_id, msg.channel_id, msg.user_id or "")
                if requester in openers and self._opens(msg, internal, reads):
                    openers.discard(requester)  # their next post in this batch joins this one
                    pending.append((len(results), _opening(msg, link.account, reads)))
                    results.append(IntakeResult(Outcome.OPENED))
                    continue
                await self._open(uow, pending, results, effects, now)
                done: list[Fresh] = []
                results.append(
                    await self._decide(uow, msg, link, internal, now, done, touched, reads)
                )
                effects.append((done, None))
            await self._open(uow, pending, results, effects, now)
            if self.home is not None:
                opened = [t for _e, t in effects if t is not None]
                await self.home.tickets_changed(
                    uow, {t.id: t for t in [*opened, *touched]}.values()
                )
        # Committed with the tickets, so a crash from here on loses none of them; not awaited.
        for ticket_effects, ticket in effects:
            self.outbox.run_soon(ticket_effects, known=ticket)
        if log.isEnabledFor(logging.INFO):
            _log_outcomes(msgs, results)
        return results

    async def _bot_user(self, team: str) -> str | None:
        """The bot's user id in an install; None when the app is not installed there."""
        gateway = await self.gateways.find(team)
        return (await gateway.identity()).bot_user_id if gateway is not None else None

    @staticmethod
    def _opens(msg: IncomingMessage, internal: bool | None, reads: _Readings) -> bool:
        """A post that opens a ticket unless its author has one open: a customer's request
        (the classifier's call; unsure counts as a request)."""
        return not msg.is_reply and not internal and reads.decision(msg).is_request

    @staticmethod
    async def _links(
        uow: Repositories, msgs: Sequence[IncomingMessage]
    ) -> dict[tuple[str, str], LinkedChannel]:
        links: dict[tuple[str, str], LinkedChannel] = {}
        for team_id in dict.fromkeys(m.team_id for m in msgs):
            found = await uow.accounts.channels(
                team_id, [m.channel_id for m in msgs if m.team_id == team_id]
            )
            links.update({(team_id, c): link for c, link in found.items()})
        return links

    async def _first_posts(
        self,
        uow,
        people: Sequence[tuple[IncomingMessage, bool | None]],
        links: dict,
        now,
        reads: _Readings,
    ) -> set[tuple[str, str, str]]:
        """Requesters whose post opens a new ticket: no open ticket within the grouping window.

        Locked first (PostgreSQL), so no replica opens one for them until this commits.
        """
        candidates = {
            (m.team_id, m.channel_id, m.user_id or "")
            for m, internal in people
            if (m.team_id, m.channel_id) in links and self._opens(m, internal, reads)
        }
        await uow.tickets.lock_requesters(list(candidates))
        since = now - self.config.grouping_window
        taken: set[tuple[str, str, str]] = set()
        for team_id in {t for t, _c, _u in candidates}:
            pairs = [(c, u) for t, c, u in candidates if t == team_id]
            found = await uow.tickets.requesters_with_open(team_id, pairs, since)
            taken |= {(team_id, c, u) for c, u in found}
        return candidates - taken

    async def _open(
        self,
        uow,
        pending: list[tuple[int, Opening]],
        results: list[IntakeResult],
        effects: list[tuple[list[Fresh], Ticket | None]],
        now: datetime,
    ) -> None:
        """Write the tickets the posts so far open (then the batch may read them)."""
        if not pending:
            return
        await self.opener.open(uow, [o for _i, o in pending], now)
        for index, opening in pending:
            assert opening.ticket is not None
            results[index] = IntakeResult(Outcome.OPENED, opening.ticket.number)
            # The new ticket as committed: its receipt and card need not read it back.
            effects.append((list(opening.effects), opening.ticket))
        pending.clear()

    async def _decide(
        self,
        uow,
        msg: IncomingMessage,
        link,
        internal: bool | None,
        now: datetime,
        effects: list,
        touched: list[Ticket],
        reads: _Readings,
    ) -> IntakeResult:
        """What one new post means, inside the caller's transaction; effects are appended,
        and the tickets whose owner, state or clocks changed."""
        if msg.is_reply:
            ticket = await uow.tickets.by_thread(
                msg.team_id, msg.channel_id, msg.thread_ts, for_update=True
            )
            if ticket is None:
                return await self._under_notice(
                    uow, msg, link, internal, now, effects, touched, reads
                )
            return await self._reply(uow, ticket, msg, internal, now, effects, touched, reads)
        if internal:
            return IntakeResult(Outcome.IGNORED, reason="staff post")
        if not reads.decision(msg).is_request:
            return IntakeResult(Outcome.IGNORED, reason="chatter")
        since = now - self.config.grouping_window
        await uow.tickets.lock_requester(msg.team_id, msg.channel_id, msg.user_id)
        ticket = await uow.tickets.latest_open_for_requester(
            msg.team_id, msg.channel_id, msg.user_id, since
        )
        if ticket is None:
            # Checked before the batch (and locked): only a ticket closed since gets here.
            opening = _opening(msg, link.account, reads)
            await self.opener.open(uow, [opening], now)
            effects += opening.effects
            if opening.ticket is not None:
                touched.append(opening.ticket)
            return IntakeResult(Outcome.OPENED, opening.ticket.number if opening.ticket else None)
        score = reads.sentiment(msg)
        await self._add_message(uow, ticket, msg, False, now, score)
        ticket.last_customer_at = now
        ticket.updated_at = now
        await uow.audit.record(
            msg.team_id, msg.user_id, "message_grouped", now, ticket.id, ts=msg.ts
        )
        if await self._take_mood(uow, ticket, msg, score, now):
            effects.append(await record_refresh(self.outbox, uow, ticket))
            touched.append(ticket)
        if link.account.receipts:
            effects.append(await self._react(uow, ticket, msg.channel_id, msg.ts))
        return IntakeResult(Outcome.JOINED, ticket.number)

    async def _reply(
        self,
        uow,
        ticket: Ticket,
        msg: IncomingMessage,
        internal: bool | None,
        now: datetime,
        effects: list,
        touched: list[Ticket],
        reads: _Readings,
    ) -> IntakeResult:
        """A reply in a ticket's conversation."""
        score = None if internal else reads.sentiment(msg)
        if await self._record_reply(uow, ticket, msg, bool(internal), now, score):
            effects.append(await record_refresh(self.outbox, uow, ticket))
        # Even when the card stays as it is, a reply moves the clocks a Home shows.
        touched.append(ticket)
        return IntakeResult(Outcome.REPLY, ticket.number)

    async def _under_notice(
        self,
        uow,
        msg: IncomingMessage,
        link: LinkedChannel,
        internal: bool | None,
        now: datetime,
        effects: list,
        touched: list[Ticket],
        reads: _Readings,
    ) -> IntakeResult:
        """A reply in a thread that is no ticket's: under an incident notice, a customer's
        request opens a ticket linked to the incident, living in the notice's thread (chatter
        stays quiet); a customer with a ticket there, or the team, replies to it."""
        assert msg.thread_ts is not None
        incident = await uow.incidents.notice_at(msg.team_id, msg.channel_id, msg.thread_ts)
        if incident is None:
            return IntakeResult(Outcome.IGNORED, reason="thread is not a ticket")
        here = await uow.tickets.open_in_thread(msg.team_id, msg.channel_id, msg.thread_ts)
        if internal:
            ticket = _answered(here, msg.text)
            if ticket is None:
                return IntakeResult(Outcome.IGNORED, reason="staff reply under an incident notice")
            return await self._reply(uow, ticket, msg, internal, now, effects, touched, reads)
        theirs = [t for t in here if t.requester_user_id == msg.user_id]
        if theirs:
            return await self._reply(uow, theirs[-1], msg, internal, now, effects, touched, reads)
        if not reads.decision(msg).is_request:
            return IntakeResult(Outcome.IGNORED, reason="chatter under an incident notice")
        opening = _opening(msg, link.account, reads, incident, thread_ts=msg.thread_ts)
        await self.opener.open(uow, [opening], now)
        effects += opening.effects
        if opening.ticket is not None:
            touched.append(opening.ticket)
        return IntakeResult(Outcome.OPENED, opening.ticket.number if opening.ticket else None)

    async def _take_mood(
        self, uow, ticket: Ticket, msg: IncomingMessage, score: float, now: datetime
    ) -> bool:
        """Keep the ticket's lowest sentiment; a frustrated message may raise its priority
        (desk.yml `triage.frustration`). True when the card should change."""
        before = mood(ticket.sentiment)
        ticket.sentiment = score if ticket.sentiment is None else min(ticket.sentiment, score)
        changed = mood(ticket.sentiment) != before
        current = Priority(ticket.priority)
        raised = raised_priority(current, score, ticket.account.tier, self.config.frustration)
        if raised != current:
            ticket.priority = raised.value
            await self.sla.on_priority_change(uow, ticket, now)
            await uow.audit.record(
                msg.team_id,
                msg.user_id,
                "priority",
                now,
                ticket.id,
                priority=raised.value,
                previous=current.value,
                via="frustration",
            )
            changed = True
        return changed

    async def record_team_reply(self, msg: IncomingMessage, ticket_id: int | None = None) -> bool:
        """A reply the bot posted for one of our people in a ticket's thread (a draft they sent
        from its form): recorded as their reply seen by intake would be, so it stops the
        first-response clock (and starts no other). False when the thread is no ticket.

        `ticket_id`: the ticket it answers (an incident's thread holds several tickets)."""
        if msg.thread_ts is None:
            return False
        now = self.clock.now()
        effects: list[Fresh] = []
        async with self.db.unit_of_work() as uow:
            if ticket_id is not None:
                ticket = await uow.tickets.by_id(ticket_id, for_update=True)
            else:
                ticket = await uow.tickets.by_thread(
                    msg.team_id, msg.channel_id, msg.thread_ts, for_update=True
                )
            if ticket is None:
                return False
            if await self._record_reply(uow, ticket, msg, True, now):
                effects.append(await record_refresh(self.outbox, uow, ticket))
            if self.home is not None:
                await self.home.tickets_changed(uow, [ticket])
        self.outbox.run_soon(effects)
        return True

    async def _record_reply(
        self,
        uow,
        ticket: Ticket,
        msg: IncomingMessage,
        internal: bool,
        now: datetime,
        score: float | None = None,
    ) -> bool:
        """Store a thread reply and apply what it means; True if the card should change."""
        if not await self._add_message(uow, ticket, msg, internal, now, score):
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
        if ticket.status == TicketStatus.WAITING:
            ticket.status = TicketStatus.OPEN
            ticket.waiting_since = None
            await uow.audit.record(msg.team_id, msg.user_id, "resumed", now, ticket.id)
            changed = True
        elif ticket.status == TicketStatus.RESOLVED:
            # A customer writing back into a resolved thread means it is not done.
            ticket.status = TicketStatus.OPEN
            ticket.resolved_at = None
            ticket.resolution_kind = None
            await uow.audit.record(
                msg.team_id, msg.user_id, "reopened", now, ticket.id, via="customer reply"
            )
            await self.sla.on_reopen(uow, ticket, now)
            changed = True
        await self.sla.on_customer_reply(uow, ticket, now)
        if score is not None:
            changed |= await self._take_mood(uow, ticket, msg, score, now)
        return changed

    async def _add_message(
        self,
        uow,
        ticket: Ticket,
        msg: IncomingMessage,
        internal: bool,
        now: datetime,
        sentiment: float | None = None,
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
                sentiment=sentiment,
            )
        )

    async def _react(self, uow, ticket: Ticket, channel: str, ts: str) -> Fresh:
        added = await self.outbox.record_many(uow, [react_row(ticket, channel, ts)])
        return added[0] if added else None


def _opening(
    msg: IncomingMessage,
    account: Account,
    reads: _Readings,
    incident: Incident | None = None,
    *,
    thread_ts: str | None = None,
) -> Opening:
    """The opening of a ticket by a customer's post, with what triage made of it."""
    return Opening(
        msg,
        account,
        category=reads.decision(msg).category.value,
        sentiment=reads.sentiment(msg),
        incident=incident,
        thread_ts=thread_ts,
    )


def _answered(tickets: Sequence[Ticket], text: str) -> Ticket | None:
    """Which ticket under an incident notice a team reply answers: the one whose requester it
    mentions, else the newest."""
    for ticket in reversed(tickets):
        if f"<@{ticket.requester_user_id}" in text:
            return ticket
    return tickets[-1] if tickets else None
