"""The internal message set: triage cards, hints and command replies for our own team."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.commands import USAGE
from bot.messages.base import MAX_SECTION, InternalMessage, clip

CLAIM_ACTION = "ticket_claim"
RESOLVE_ACTION = "ticket_resolve"
ESCALATE_ACTION = "ticket_escalate"

STATUS_LABEL = {"open": "Open", "waiting": "Waiting on customer", "resolved": "Resolved"}


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
    summary: str
    opened_at: datetime
    first_response_due: datetime | None
    first_response_at: datetime | None
    resolution_due: datetime | None
    permalink: str | None = None
    sla_state: str = ""
    incident: str = ""


def when(at: datetime | None) -> str:
    """A time each reader sees in their own zone (Slack date token, UTC fallback)."""
    if at is None:
        return "—"
    fallback = at.strftime("%d %b %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short}} {{time}}|{fallback}>"


def triage_card(card: TicketCard) -> InternalMessage:
    """The card in the account's internal channel, kept current with chat.update."""
    owner = f"<@{card.owner}>" if card.owner else "_unassigned_"
    status = STATUS_LABEL.get(card.status, card.status)
    title = f"#{card.number} · {card.account} ({card.tier}) · {card.priority} · {status}"
    link = f" · <{card.permalink}|open thread>" if card.permalink else ""
    first = (
        f"answered {when(card.first_response_at)}"
        if card.first_response_at
        else f"due {when(card.first_response_due)}"
    )
    fields = [
        f"*Requester*\n<@{card.requester}> in <#{card.channel_id}>{link}",
        f"*Owner*\n{owner}",
        f"*First response*\n{first}",
        "*Resolution*\n"
        + ("done" if card.status == "resolved" else "due " + when(card.resolution_due)),
    ]
    if card.sla_state:
        fields.append(f"*SLA*\n{card.sla_state}")
    if card.incident:
        fields.append(f"*Incident*\n:rotating_light: {card.incident}")
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(f"*{title}*", MAX_SECTION)}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": clip("> " + card.summary.replace("\n", "\n> "), MAX_SECTION),
            },
        },
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    buttons = []
    if card.status != "resolved":
        if not card.owner:
            buttons.append(_button("Claim", CLAIM_ACTION, card.ticket_id, style="primary"))
        buttons.append(_button("Resolve", RESOLVE_ACTION, card.ticket_id))
        buttons.append(_button("Escalate", ESCALATE_ACTION, card.ticket_id, style="danger"))
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": f"ticket:{card.ticket_id}", "elements": buttons}
        )
    text = f"Ticket {title} — owner: {card.owner and '<@' + card.owner + '>' or 'unassigned'}"
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
        text=(
            f":link: I was added to <#{channel_id}>, which is shared with another organisation,"
            " but it is not linked to an account, so I'm not tracking requests there yet."
            f" Link it with `/desk link <#{channel_id}> <account> [tier]`"
            f" (tiers: {', '.join(tiers)})."
        )
    )


def help_text() -> InternalMessage:
    """The `/desk help` reply."""
    lines = [
        "*connectdesk* — tickets are refs like `42` or `#42`.",
        *(f"• `{usage}`" for usage in USAGE.values()),
        "Buttons on the triage card: Claim, Resolve, Escalate.",
    ]
    return InternalMessage(text="\n".join(lines))


def command_error(problem: str, usage: str | None) -> InternalMessage:
    """A command that could not run: what was wrong, and the right usage."""
    hint = f"\nUsage: `{usage}`" if usage else ""
    return InternalMessage(text=f":warning: {problem}{hint}")


def notice(text: str) -> InternalMessage:
    """A short internal confirmation or refusal."""
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
        return InternalMessage(text=f"*{title}*\n{empty}")
    lines = [f"*{title}* ({len(rows)})"]
    for row in rows:
        owner = f"<@{row.owner}>" if row.owner else "unassigned"
        flag = f" {row.sla_state}" if row.sla_state else ""
        due = f" · due {when(row.due)}" if row.due else ""
        summary = clip(row.summary.replace("\n", " "), 80)
        lines.append(
            f"• *#{row.number}* {row.priority} · {row.account} · "
            f"{STATUS_LABEL.get(row.status, row.status)} · {owner}{due}{flag} — {summary}"
        )
    return InternalMessage(text=clip("\n".join(lines)))


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
    channels = ", ".join(f"<#{c}>" for c in summary.channels) or "none linked"
    owners = ", ".join(f"<@{o}>" for o in summary.owners) or "none"
    arr = f"${summary.arr:,.0f}" if summary.arr is not None else "—"
    renewal = summary.renewal_date.isoformat() if summary.renewal_date else "—"
    return InternalMessage(
        text=(
            f"*{summary.name}* · tier *{summary.tier}*\n"
            f"Shared channels: {channels}\nInternal channel: <#{summary.internal_channel}>\n"
            f"Account team: {owners}\nOpen tickets: {summary.open_tickets}\n"
            f"ARR: {arr} · Renewal: {renewal} · Receipts to customer: "
            f"{'on' if summary.receipts else 'off'}"
        )
    )
