"""The internal message set: triage cards, hints and command replies for our own team."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.commands import USAGE
from bot.domain.sla import SlaFlag
from bot.domain.tickets import TicketStatus
from bot.messages.base import MAX_SECTION, MAX_TEXT, InternalMessage
from bot.messages.kb_card import CardArticle, kb_blocks
from bot.messages.markup import Mrkdwn, channel, clip, link, md, mention, quote

CLAIM_ACTION = "ticket_claim"
RESOLVE_ACTION = "ticket_resolve"
ESCALATE_ACTION = "ticket_escalate"

STATUS_LABEL: dict[str, str] = {
    TicketStatus.OPEN: "Open",
    TicketStatus.WAITING: "Waiting on customer",
    TicketStatus.RESOLVED: "Resolved",
}

# How a ticket's SLA flag shows: cards show every flag, queue lines only a problem.
SLA_MARK: dict[str, str] = {
    SlaFlag.OK: ":large_green_circle: on track",
    SlaFlag.AT_RISK: ":warning: at risk",
    SlaFlag.BREACHED: ":red_circle: breached",
}


@dataclass(frozen=True)
class TicketCard:
    """What the account team needs to see about one ticket."""

    ticket_id: int
    number: int
    account: str
    tier: str
    priority: str
    status: str
    owner: str | None
    requester: str
    channel_id: str
    summary: str  # the customer's words, as Slack sent them
    opened_at: datetime
    first_response_due: datetime | None
    first_response_at: datetime | None
    resolution_due: datetime | None
    permalink: str | None = None
    sla_state: str = ""
    incident: str = ""  # plain text (its title was typed by staff)
    triage: str = ""  # plain text: the category and the customer's mood ("Bug · Frustrated")
    articles: tuple[CardArticle, ...] = ()  # from the knowledge base, best first


def when(at: datetime | None) -> Mrkdwn:
    """A time each reader sees in their own zone (Slack date token, UTC fallback)."""
    if at is None:
        return Mrkdwn("—")
    fallback = at.strftime("%d %b %H:%M UTC")
    return md("<!date^{}^{{date_short}} {{time}}|{}>", int(at.timestamp()), fallback)


def block_quote(text: str, limit: int) -> Mrkdwn:
    """A person's words as a quote block (each line behind `>`), escaped and clipped."""
    lines = Mrkdwn("\n> ").join(quote(line) for line in text.split("\n"))
    return clip(Mrkdwn("> ") + lines, limit)


def triage_card(card: TicketCard) -> InternalMessage:
    """The card in the account's internal channel, kept current with chat.update."""
    owner = mention(card.owner) if card.owner else Mrkdwn("_unassigned_")
    status = STATUS_LABEL.get(card.status, card.status)
    title = md(
        "#{} · {} ({}) · {} · {}", card.number, card.account, card.tier, card.priority, status
    )
    thread = md(" · {}", link(card.permalink, "open thread")) if card.permalink else ""
    first = (
        md("answered {}", when(card.first_response_at))
        if card.first_response_at
        else md("due {}", when(card.first_response_due))
    )
    resolution = (
        "done" if card.status == TicketStatus.RESOLVED else md("due {}", when(card.resolution_due))
    )
    fields = [
        md("*Requester*\n{} in {}{}", mention(card.requester), channel(card.channel_id), thread),
        md("*Owner*\n{}", owner),
        md("*First response*\n{}", first),
        md("*Resolution*\n{}", resolution),
    ]
    if card.sla_state:
        fields.append(md("*SLA*\n{}", card.sla_state))
    if card.triage:
        fields.append(md("*Triage*\n{}", card.triage))
    if card.incident:
        fields.append(
            md(
                "*Incident*\n:rotating_light: Linked to incident {}",
                quote(card.incident, MAX_SECTION),
            )
        )
    blocks: list[dict] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": clip(md("*{}*", title), MAX_SECTION)},
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": block_quote(card.summary, MAX_SECTION)},
        },
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    blocks += kb_blocks(card.articles, card.status != TicketStatus.RESOLVED)
    buttons = []
    if card.status != TicketStatus.RESOLVED:
        if not card.owner:
            buttons.append(_button("Claim", CLAIM_ACTION, card.ticket_id, style="primary"))
        buttons.append(_button("Resolve", RESOLVE_ACTION, card.ticket_id))
        buttons.append(_button("Escalate", ESCALATE_ACTION, card.ticket_id, style="danger"))
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": f"ticket:{card.ticket_id}", "elements": buttons}
        )
    text = md("Ticket {} — owner: {}", title, mention(card.owner) if card.owner else "unassigned")
    return InternalMessage(text=text, blocks=tuple(blocks))


def _button(label: str, action_id: str, ticket_id: int, style: str | None = None) -> dict:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": str(ticket_id),
    }
    if style:
        button["style"] = style
    return button


def link_hint(channel_id: str, tiers: Sequence[str]) -> InternalMessage:
    """Told to the team when the bot lands in a shared channel no account claims yet."""
    return InternalMessage(
        text=md(
            ":link: I was added to {channel}, which is shared with another organisation,"
            " but it is not linked to an account, so I'm not tracking requests there yet."
            " Link it with `/desk link {channel} {usage}` (tiers: {tiers}).",
            channel=channel(channel_id),
            usage="<account> [tier]",
            tiers=", ".join(tiers),
        )
    )


def help_text() -> InternalMessage:
    """The `/desk help` reply."""
    lines = [
        "*connectdesk* — tickets are refs like `42` or `#42`.",
        *(md("• `{}`", usage) for usage in USAGE.values()),
        "Buttons on the triage card: Claim, Resolve, Escalate.",
    ]
    return InternalMessage(text=Mrkdwn("\n").join(lines))


def command_error(problem: str, usage: str | None) -> InternalMessage:
    """A command that could not run: what was wrong (plain text, or Mrkdwn), the right usage."""
    hint = md("\nUsage: `{}`", usage) if usage else ""
    return InternalMessage(text=md(":warning: {}{}", problem, hint))


def notice(text: str) -> InternalMessage:
    """A short internal confirmation or refusal: plain text is escaped whole, Mrkdwn is kept."""
    return InternalMessage(text=text)


@dataclass(frozen=True)
class QueueLine:
    """One ticket in a list reply."""

    number: int
    account: str
    priority: str
    status: str
    owner: str | None
    summary: str
    opened_at: datetime
    due: datetime | None = None
    sla_state: str = ""


def ticket_list(title: str, rows: Sequence[QueueLine], empty: str) -> InternalMessage:
    """A list of tickets for `/desk mine` and `/desk queue`."""
    if not rows:
        return InternalMessage(text=md("*{}*\n{}", title, empty))
    lines = [md("*{}* ({})", title, len(rows))]
    for row in rows:
        lines.append(
            md(
                "• *#{}* {} · {} · {} · {}{}{} — {}",
                row.number,
                row.priority,
                row.account,
                STATUS_LABEL.get(row.status, row.status),
                mention(row.owner) if row.owner else "unassigned",
                md(" · due {}", when(row.due)) if row.due else "",
                f" {row.sla_state}" if row.sla_state else "",
                quote(row.summary.replace("\n", " "), 80),
            )
        )
    return InternalMessage(text=clip(Mrkdwn("\n").join(lines), MAX_TEXT))


@dataclass(frozen=True)
class AccountSummary:
    """An account as the account team sees it."""

    name: str
    tier: str
    channels: Sequence[str]
    internal_channel: str
    owners: Sequence[str]
    open_tickets: int
    renewal_date: date | None
    arr: float | None
    receipts: bool


def account_card(summary: AccountSummary) -> InternalMessage:
    """The `/desk account` reply (internal: tier, ARR and renewal included)."""
    channels = Mrkdwn(", ").join(channel(c) for c in summary.channels) or "none linked"
    owners = Mrkdwn(", ").join(mention(o) for o in summary.owners) or "none"
    arr = f"${summary.arr:,.0f}" if summary.arr is not None else "—"
    renewal = summary.renewal_date.isoformat() if summary.renewal_date else "—"
    return InternalMessage(
        text=md(
            "*{}* · tier *{}*\nShared channels: {}\nInternal channel: {}\n"
            "Account team: {}\nOpen tickets: {}\nARR: {} · Renewal: {} · Receipts to customer: {}",
            summary.name,
            summary.tier,
            channels,
            channel(summary.internal_channel),
            owners,
            summary.open_tickets,
            arr,
            renewal,
            "on" if summary.receipts else "off",
        )
    )
