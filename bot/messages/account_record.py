"""The account's whole record for `/desk account`: the card, then its last 90 days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.domain.health import HEALTH_WINDOW_DAYS, Health, HealthFigures
from bot.messages.base import InternalMessage
from bot.messages.health import record_lines
from bot.messages.internal import AccountSummary, account_card
from bot.messages.markup import Mrkdwn, clip, md, mention

SHOWN_TICKETS = 5
SUMMARY_CHARS = 80


@dataclass(frozen=True)
class OpenTicketLine:
    """One open ticket as the record lists it."""

    number: int
    priority: str
    summary: str
    owner: str | None


@dataclass(frozen=True)
class IncidentLine:
    """One incident that touched the account."""

    severity: str
    title: str
    status: str
    declared_on: date


@dataclass(frozen=True)
class AccountRecord:
    """What the card adds up to over the last 90 days."""

    open_tickets: Sequence[OpenTicketLine]
    figures: HealthFigures
    health: Health
    incidents: Sequence[IncidentLine]


def account_record(summary: AccountSummary, record: AccountRecord) -> InternalMessage:
    """The card, then open tickets, attainment and CSAT, incidents, and the account's health
    with its reasons."""
    lines: list[Mrkdwn] = [Mrkdwn(account_card(summary).text)]
    for t in record.open_tickets[:SHOWN_TICKETS]:
        owner = mention(t.owner) if t.owner else md("_unassigned_")
        lines.append(
            md("  • #{} {} · {} · {}", t.number, t.priority, clip(t.summary, SUMMARY_CHARS), owner)
        )
    if summary.open_tickets > SHOWN_TICKETS:
        lines.append(
            md(
                "  …and {} more (`/desk queue {}`)",
                summary.open_tickets - SHOWN_TICKETS,
                summary.name,
            )
        )
    h = record.figures
    attainment = h.attainment
    decided = h.clocks_met + h.breaches
    lines.append(
        md(
            "*Last {} days*: SLA attainment {} ({} of {} clocks met) · CSAT {}",
            HEALTH_WINDOW_DAYS,
            "—" if attainment is None else f"{attainment:.0%}",
            h.clocks_met,
            decided,
            "no answers"
            if h.csat_average is None
            else f"{h.csat_average:.1f}/5 from {h.csat_answers}",
        )
    )
    if record.incidents:
        lines.append(md("*Incidents that touched it*"))
        for i in record.incidents:
            lines.append(
                md("  • {} {} · {} · {}", i.severity, i.title, i.status, i.declared_on.isoformat())
            )
    else:
        lines.append(md("*Incidents that touched it*: none in {} days", HEALTH_WINDOW_DAYS))
    health = record.health
    lines += record_lines(health.score, health.band, health.reasons)
    return InternalMessage(text=Mrkdwn("\n").join(lines))
