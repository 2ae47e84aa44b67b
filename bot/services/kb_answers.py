"""Knowledge base articles reaching customers: an agent's *Send to customer* on the card, and
the customer's answer to the bot's own article (*This solved it* / *I still need a person*).

An agent's send is that agent's reply: it is their first response if none was given (a person
chose the article), and they own an unowned ticket. The bot's answer never is: the clocks run
on until a person replies. Only customer articles are ever sent; the audience is checked again
here, on the article as indexed now, whatever the button said.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from bot.domain.clock import Clock
from bot.domain.knowledge import Audience, excerpt
from bot.domain.tickets import TicketStatus
from bot.installs.registry import NotInstalled
from bot.messages import customer_kb as says
from bot.messages.base import CustomerMessage, InternalMessage
from bot.messages.internal import notice
from bot.messages.kb_card import sent_notice
from bot.messages.markup import md, mention
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from bot.services.home import HomeService
from bot.services.inputs import Caller
from bot.services.people import People
from bot.services.sla import SlaService
from bot.services.tickets import TicketNotFound, TicketOps, TicketRef, record_refresh
from store.db import Database
from store.models import KbAnswer, Ticket
from store.repositories import Repositories

log = logging.getLogger("connectdesk.knowledge")

SOLVED, HANDED_OFF = "solved", "handed_off"
NOT_OURS = (
    "Sorry, only the support team can send articles. If you need help, just post your"
    " question in the channel and the team will pick it up."
)


def _answer_id(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None


class KbAnswers:
    """Sends articles to customers for agents, and takes customers' answers to the bot's."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        people: People,
        sla: SlaService,
        outbox: Outbox,
        tickets: TicketOps,
        home: HomeService | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.people = people
        self.sla = sla
        self.outbox = outbox
        self.tickets = tickets
        self.home = home

    # ---- the card's Send to customer ---------------------------------------------------------
    async def send(self, caller: Caller, value: str) -> InternalMessage:
        """An agent's *Send to customer*: the article goes to the ticket's thread as theirs."""
        try:
            home = await self.people.gateways.home(caller.team_id)
            caller = replace(caller, team_id=home)
            if not await self.people.is_internal(caller.team_id, caller.user_id):
                log.info("refused kb send from non-internal user %s", caller.user_id)
                return notice(NOT_OURS)
        except NotInstalled:
            return notice(NOT_OURS)
        answer_id = _answer_id(value)
        if answer_id is None:
            return notice(":warning: That button is out of date.")
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            answer = await uow.kb.answer(answer_id, for_update=True)
            ticket = (
                await uow.tickets.by_id(answer.ticket_id, for_update=True)
                if answer is not None
                else None
            )
            if answer is None or ticket is None or ticket.team_id != caller.team_id:
                return notice(":warning: That article is no longer offered on any ticket.")
            article = await uow.kb.article(answer.slug)
            if (
                answer.audience != Audience.CUSTOMER
                or article is None
                or article.audience != Audience.CUSTOMER
            ):
                log.warning(
                    "refused sending article %s (not a customer article) on ticket %s by %s",
                    answer.slug,
                    ticket.id,
                    caller.user_id,
                )
                return notice(
                    ":lock: That article is internal (or no longer in the knowledge base):"
                    " it is never sent to customers."
                )
            if answer.sent_at is not None:
                who = mention(answer.sent_by) if answer.sent_by else "the bot"
                return notice(md("That article was already sent on #{} by {}.", ticket.number, who))
            if ticket.status == TicketStatus.RESOLVED:
                return notice(
                    f"Ticket #{ticket.number} is resolved; `/desk reopen {ticket.number}` first."
                )
            # What the customer is shown is the article as it reads now.
            answer.title, answer.url = article.title, article.url
            answer.excerpt = article.excerpt or excerpt(article.body)
            answer.sent_by, answer.sent_at = caller.user_id, now
            owner_before = ticket.owner_user_id
            await self._replied(uow, ticket, caller.user_id, now)
            await uow.audit.record(
                ticket.team_id, caller.user_id, "kb_sent", now, ticket.id, article=answer.slug
            )
            post = await self.outbox.record(
                uow,
                f"kb:{answer.id}:send",
                OutboxKind.KB_ARTICLE,
                ticket.team_id,
                ticket_id=ticket.id,
                payload={"answer": answer.id, "channel": ticket.channel_id},
            )
            refresh = await record_refresh(self.outbox, uow, ticket)
            if self.home is not None:
                await self.home.tickets_changed(uow, [ticket], also=[owner_before])
            number, title = ticket.number, answer.title
        await self.outbox.run([post, refresh])
        return sent_notice(number, title)

    async def _replied(self, uow: Repositories, ticket: Ticket, user: str, now) -> None:
        """The agent answered the customer (as a reply in the thread would)."""
        ticket.updated_at = now
        ticket.last_internal_at = now
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            ticket.first_response_by = user
            await uow.audit.record(
                ticket.team_id, user, "first_response", now, ticket.id, via="kb_article"
            )
        if ticket.owner_user_id is None:
            ticket.owner_user_id = user
            await uow.audit.record(
                ticket.team_id, user, "owner_set", now, ticket.id, owner=user, via="kb_article"
            )
        await self.sla.on_team_reply(uow, ticket, now)

    # ---- the customer's answer to the bot's article ------------------------------------------
    async def press(self, caller: Caller, action_id: str, value: str) -> CustomerMessage | None:
        """*This solved it* or *I still need a person* under the bot's answer; the private
        answer to the presser."""
        answer_id = _answer_id(value)
        if answer_id is None or action_id not in says.ACTIONS:
            return says.gone()
        try:
            found = await self._find(caller, answer_id)
            if found is None:
                return says.gone()
            caller, answer, ticket = found
            if not await self._is_customer(caller, ticket):
                log.info("refused a kb answer press on ticket %s by %s", ticket.id, caller.user_id)
                return says.not_theirs(ticket.number)
        except NotInstalled:
            return says.gone()
        solved = action_id == says.SOLVED_ACTION
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            current = await uow.kb.answer(answer.id, for_update=True)
            if current is None or not current.auto:
                return says.gone()
            if current.outcome is not None:
                return says.already(ticket.number)
            current.outcome = SOLVED if solved else HANDED_OFF
            current.outcome_by, current.outcome_at = caller.user_id, now
            rows = [await self._settle_row(uow, current)]
            if not solved:
                rows += await self._hand_off(uow, caller, current, now)
        if solved:
            try:
                await self.tickets.resolve(
                    TicketRef(ticket.team_id, ticket_id=ticket.id), caller.user_id, via="kb_answer"
                )
            except TicketNotFound:
                pass  # gone meanwhile: nothing left to resolve
        await self.outbox.run(rows)
        return says.solved(ticket.number) if solved else says.handed_off(ticket.number)

    async def _hand_off(
        self, uow: Repositories, caller: Caller, answer: KbAnswer, now
    ) -> list[int | None]:
        """Tell the owner (or the account's team) in the internal channel; the card says so."""
        ticket = await uow.tickets.by_id(answer.ticket_id, for_update=True)
        if ticket is None:
            return []
        ticket.updated_at = now
        await uow.audit.record(
            ticket.team_id, caller.user_id, "kb_handoff", now, ticket.id, article=answer.slug
        )
        people = [ticket.owner_user_id] if ticket.owner_user_id else list(ticket.account.owners)
        ping = await self.outbox.record(
            uow,
            f"kb:{answer.id}:handoff",
            OutboxKind.KB_PING,
            ticket.team_id,
            ticket_id=ticket.id,
            payload={
                "channel": ticket.account.internal_channel_id,
                "number": ticket.number,
                "account": ticket.account.name,
                "people": people,
                "title": answer.title,
                "root": ticket.root_ref,
            },
        )
        refresh = await record_refresh(self.outbox, uow, ticket, receipt=False)
        if self.home is not None:
            await self.home.tickets_changed(uow, [ticket])
        return [ping, refresh]

    async def _settle_row(self, uow: Repositories, answer: KbAnswer) -> int | None:
        """Edit the bot's answer: the buttons go, what the customer chose is said."""
        return await self.outbox.record(
            uow,
            f"kb:{answer.id}:settle:{uuid.uuid4().hex[:8]}",
            OutboxKind.KB_SETTLE,
            answer.team_id,
            ticket_id=answer.ticket_id,
            payload={"answer": answer.id},
        )

    async def _find(self, caller: Caller, answer_id: int) -> tuple[Caller, KbAnswer, Ticket] | None:
        """The answer a button names, its ticket, and the caller as of the ticket's install.

        A customer's press names their own team: the answer counts as ours when the install
        the press came through holds it, or when it was pressed in the ticket's own channel.
        """
        home = await self.people.gateways.home(caller.team_id)
        async with self.db.reading() as uow:
            answer = await uow.kb.answer(answer_id)
            ticket = await uow.tickets.by_id(answer.ticket_id) if answer is not None else None
        if answer is None or ticket is None:
            return None
        if ticket.team_id != home and ticket.channel_id != caller.channel_id:
            return None  # another workspace's: never touched from here
        return replace(caller, team_id=ticket.team_id), answer, ticket

    async def _is_customer(self, caller: Caller, ticket: Ticket) -> bool:
        """The requester, or a colleague of theirs (`People.speaks_for`)."""
        return await self.people.speaks_for(
            caller.team_id, caller.user_id, caller.user_team, ticket.requester_user_id
        )
