"""What the knowledge base's outbox rows do (DeskEffects hands them here).

- `kb_suggest`: find a new ticket's articles (kept, so its card shows them) and, if its tier
  answers, post the bot's answer in the thread. Recorded before the card, so the card is
  posted with them.
- `kb_article`: an article an agent sent, posted in the ticket's thread.
- `kb_settle`: the bot's answer edited once the customer pressed one of its buttons.
- `kb_ping`: the team told in the account's internal channel that a person is still needed.

Each is safe to redo: posts carry their row's key (a redo finds the earlier post), and the
suggestions are found once per ticket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.messages import customer_kb
from bot.messages.base import OutboundMessage
from bot.messages.kb_card import handoff_ping
from bot.outbox.kinds import OutboxKind
from bot.services.knowledge import KnowledgeBase
from bot.services.presenter import TicketPresenter
from bot.slack.gateway import SlackGateway, WallViolation
from bot.slack.transport import Delivered
from store.db import Database
from store.models import OutboxEntry, Ticket

KB_KINDS = (OutboxKind.KB_SUGGEST, OutboxKind.KB_ARTICLE, OutboxKind.KB_SETTLE, OutboxKind.KB_PING)

# Posts a message once for a row: (gateway, row, uncertain, channel, message, thread_ts).
PostOnce = Callable[
    [SlackGateway, OutboxEntry, bool, str, OutboundMessage, str | None], Awaitable[Delivered]
]


class KbEffects:
    """Performs the knowledge base's outbox rows."""

    def __init__(self, db: Database, knowledge: KnowledgeBase, presenter: TicketPresenter) -> None:
        self.db = db
        self.knowledge = knowledge
        self.presenter = presenter

    async def perform(
        self,
        gateway: SlackGateway,
        entry: OutboxEntry,
        uncertain: bool,
        known: object | None,
        post_once: PostOnce,
    ) -> Delivered:
        """Do one knowledge base row (see the module's list)."""
        if entry.kind == OutboxKind.KB_SUGGEST:
            ticket = known if isinstance(known, Ticket) and known.id == entry.ticket_id else None
            return await self._suggest(gateway, entry, uncertain, ticket, post_once)
        if entry.kind == OutboxKind.KB_ARTICLE:
            return await self._article(gateway, entry, uncertain, post_once)
        if entry.kind == OutboxKind.KB_SETTLE:
            return await self._settle(gateway, entry)
        return await self._ping(gateway, entry, uncertain, post_once)

    async def _suggest(
        self,
        gateway: SlackGateway,
        entry: OutboxEntry,
        uncertain: bool,
        ticket: Ticket | None,
        post_once: PostOnce,
    ) -> Delivered:
        if ticket is None:
            async with self.db.reading() as uow:
                ticket = await uow.tickets.by_id(entry.ticket_id or 0)
        if ticket is None:
            return Delivered(error="ticket gone", permanent=True)
        auto = await self.knowledge.suggest(ticket)
        if ticket.card_ts:
            # A retry after the card went out without them: the card catches up.
            await self.presenter.refresh(ticket, receipt=False)
        if auto is None:
            return Delivered()
        message = customer_kb.bot_answer(ticket.number, auto.id, auto.title, auto.excerpt, auto.url)
        result = await post_once(
            gateway, entry, uncertain, ticket.channel_id, message, ticket.thread
        )
        if result.ts is not None:
            await self.knowledge.posted(auto.id, result.ts)
        return result

    async def _article(
        self, gateway: SlackGateway, entry: OutboxEntry, uncertain: bool, post_once: PostOnce
    ) -> Delivered:
        """An agent's article in the customer's thread (re-checked: customer articles only)."""
        async with self.db.reading() as uow:
            answer = await uow.kb.answer(int(entry.payload["answer"]))
            ticket = await uow.tickets.by_id(answer.ticket_id) if answer is not None else None
        if answer is None or ticket is None:
            return Delivered(error="article or ticket gone", permanent=True)
        if answer.sent_by is None or not await self.knowledge.for_customers(answer.slug):
            return Delivered(error="not a customer article an agent sent", permanent=True)
        message = customer_kb.shared_article(
            ticket.number, answer.sent_by, answer.title, answer.excerpt, answer.url
        )
        result = await post_once(
            gateway, entry, uncertain, ticket.channel_id, message, ticket.thread
        )
        if result.ts is not None:
            await self.knowledge.posted(answer.id, result.ts)
        return result

    async def _settle(self, gateway: SlackGateway, entry: OutboxEntry) -> Delivered:
        async with self.db.reading() as uow:
            answer = await uow.kb.answer(int(entry.payload["answer"]))
            ticket = await uow.tickets.by_id(answer.ticket_id) if answer is not None else None
        if answer is None or ticket is None:
            return Delivered(error="article or ticket gone", permanent=True)
        if answer.message_ts is None:
            return Delivered(error="the answer's ts is not stored yet")  # retried shortly
        message = customer_kb.bot_answer_settled(
            ticket.number, answer.title, answer.excerpt, answer.url, answer.outcome == "solved"
        )
        try:
            return await gateway.update(ticket.channel_id, answer.message_ts, message)
        except WallViolation as exc:
            return Delivered(error=str(exc)[:200], permanent=True)

    async def _ping(
        self, gateway: SlackGateway, entry: OutboxEntry, uncertain: bool, post_once: PostOnce
    ) -> Delivered:
        p: dict[str, Any] = entry.payload
        root = p.get("root") or []
        permalink = await gateway.permalink(*root) if len(root) >= 2 else None
        message = handoff_ping(
            int(p["number"]),
            str(p["account"]),
            list(p.get("people") or []),
            str(p["title"]),
            permalink,
        )
        return await post_once(gateway, entry, uncertain, str(p["channel"]), message, None)
