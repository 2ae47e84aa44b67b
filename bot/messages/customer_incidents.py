"""Customer-facing incident words: the notice, its status line, updates and the closing reply.

They take only what customers are meant to read: the title and texts the team wrote for them,
and times. Never a severity label, tier, or another account's name (the service checks the
texts before anything is stored). Those texts are staff's words: escaped here, so an
`<!channel>` typed into an update pings no customer channel.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.incidents import IncidentStatus
from bot.messages.base import CustomerMessage, customer_message
from bot.messages.customer import slack_time
from bot.messages.markup import Mrkdwn, md

STATUS_LABELS: dict[str, str] = {
    IncidentStatus.INVESTIGATING: "Investigating",
    IncidentStatus.RESOLVED: "Resolved",
}


def _status_line(
    status: str, next_update_at: datetime | None, resolved_at: datetime | None
) -> Mrkdwn:
    label = STATUS_LABELS.get(status, status.title())
    if status == IncidentStatus.RESOLVED and resolved_at is not None:
        return md("*Status:* {} ({})", label, slack_time(resolved_at))
    when = md(" · next update by {}", slack_time(next_update_at)) if next_update_at else ""
    return md("*Status:* {}{}", label, when)


def incident_notice(
    title: str,
    status: str,
    next_update_at: datetime | None,
    resolved_at: datetime | None = None,
    latest: str = "",
) -> CustomerMessage:
    """The notice in each affected channel; edited in place as the status changes."""
    icon = ":white_check_mark:" if status == IncidentStatus.RESOLVED else ":rotating_light:"
    lines: list[str] = [
        md("{} *We're aware of an issue: {}*", icon, title),
        _status_line(status, next_update_at, resolved_at),
    ]
    if latest:
        lines.append(md("*Latest:* {}", latest))
    lines.append("We'll post updates in this thread. No need to open a request for this.")
    return customer_message(Mrkdwn("\n").join(lines))


def incident_update(text: str, next_update_at: datetime | None) -> CustomerMessage:
    """An update, as a reply in the notice's thread."""
    when = md("\nNext update by {}.", slack_time(next_update_at)) if next_update_at else ""
    return customer_message(md(":mega: *Update:* {}{}", text, when))


def incident_closing(text: str) -> CustomerMessage:
    """The closing reply in the notice's thread."""
    body = text or "The issue is resolved and everything is working normally again."
    return customer_message(
        md(":white_check_mark: *Resolved:* {} Thank you for your patience.", body)
    )


def linked_ticket_resolved(number: int, title: str) -> CustomerMessage:
    """A note in a linked ticket's thread when the incident is resolved."""
    return customer_message(
        md(
            ":white_check_mark: The issue *{}* that may have affected ticket *#{}*"
            " is resolved. If this request still needs help, just reply here.",
            title,
            number,
        )
    )
