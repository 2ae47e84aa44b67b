"""Turns stored tickets into the messages people see, and keeps those messages current."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.domain.incidents import IncidentStatus
from bot.domain.tickets import TicketStatus
from bot.domain.triage import mood
from bot.installs.gateways import Gateways
from bot.messages import customer
from bot.messages.base import InternalMessage
from bot.messages.internal import SLA_MARK, TicketCard, triage_card
from bot.messages.kb_card import CardArticle
from bot.slack.gateway import WallViolation
from store.models import Ticket

log = logging.getLogger("connectdesk.presenter")

EYES = "eyes"
DONE = "white_check_mark"
CATEGORY_LABEL = {"feature_request": "Feature request"}


# The knowledge base's articles offered on a ticket, for its card (none when there is no base).
CardArticles = Callable[[Ticket], Awaitable[tuple[CardArticle, ...]]]


def card_of(
    ticket: Ticket, permalink: str | None = None, articles: tuple[CardArticle, ...] = ()
) -> TicketCard:
    """The internal card data of a ticket."""
    return TicketCard(
        ticket_id=ticket.id,
        number=ticket.number,
        account=ticket.account.name,
        tier=ticket.account.tier,
        priority=ticket.priority,
        status=ticket.status,
        owner=ticket.owner_user_id,
        requester=ticket.requester_user_id,
        channel_id=ticket.channel_id,
        summary=ticket.summary,
        opened_at=ticket.opened_at,
        first_response_due=ticket.first_response_due_at,
        first_response_at=ticket.first_response_at,
        resolution_due=ticket.resolution_due_at,
        permalink=permalink,
        sla_state=""
        if ticket.status == TicketStatus.RESOLVED
        else SLA_MARK.get(ticket.sla_flag, ""),
        incident=(
            f"#{ticket.incident.id} ({ticket.incident.severity}, {ticket.incident.status}):"
            f" {ticket.incident.title}"
            if ticket.incident is not None
            else ""
        ),
        triage=triage_line(ticket.category, ticket.sentiment),
        articles=articles,
    )


def triage_line(category: str | None, sentiment: float | None) -> str:
    """The card's "Category · Mood" ("Bug · Frustrated"); what is unknown is left out."""
    words = (
        [CATEGORY_LABEL.get(category, category.replace("_", " ").capitalize())] if category else []
    )
    return " · ".join([*words, *filter(None, [mood(sentiment)])])


def fingerprint(ticket: Ticket) -> tuple[object, ...]:
    """What the card and receipt show that can change while they are being posted."""
    return (ticket.status, ticket.owner_user_id, ticket.priority, ticket.first_response_at)


def receipt_of(ticket: Ticket) -> customer.CustomerMessage:
    """The customer-facing receipt for the ticket's current state."""
    if ticket.status == TicketStatus.RESOLVED:
        return customer.receipt_resolved(ticket.number)
    if ticket.first_response_at is not None:
        return customer.receipt_in_progress(ticket.number)
    known = ticket.incident
    title = known.title if known is not None and known.status != IncidentStatus.RESOLVED else None
    return customer.receipt(ticket.number, ticket.first_response_due_at, title)


class TicketPresenter:
    """Posts and updates a ticket's receipt, reactions and triage card."""

    def __init__(self, gateways: Gateways, articles: CardArticles | None = None) -> None:
        """`articles`: reads the knowledge base articles a ticket's card shows."""
        self.gateways = gateways
        self.articles = articles

    async def card(self, ticket: Ticket, permalink: str | None) -> InternalMessage:
        """The ticket's triage card as it is now."""
        articles = await self.articles(ticket) if self.articles is not None else ()
        return triage_card(card_of(ticket, permalink, articles))

    async def refresh(self, ticket: Ticket, *, receipt: bool = True) -> bool:
        """Bring the card (and the customer's receipt and reactions) up to date; all done?

        It shows the ticket's current state, so doing it again is harmless.
        """
        ok = True
        gateway = await self.gateways.at(ticket.team_id)
        if ticket.card_ts and ticket.card_channel_id:
            permalink = await gateway.permalink(ticket.channel_id, ticket.root_ts, ticket.thread_ts)
            try:
                card = await self.card(ticket, permalink)
                ok = (await gateway.update(ticket.card_channel_id, ticket.card_ts, card)).ok
            except WallViolation:
                log.error("card channel of ticket %s became shared; card not updated", ticket.id)
        if not (receipt and ticket.account.receipts):
            return ok
        if ticket.receipt_ts:
            receipt_shown = receipt_of(ticket)
            ok &= (await gateway.update(ticket.channel_id, ticket.receipt_ts, receipt_shown)).ok
        if ticket.status == TicketStatus.RESOLVED:
            ok &= (await gateway.react(ticket.channel_id, ticket.root_ts, DONE)).ok
        else:
            ok &= (await gateway.unreact(ticket.channel_id, ticket.root_ts, DONE)).ok
        return ok
