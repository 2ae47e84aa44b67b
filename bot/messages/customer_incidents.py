"""Customer-facing incident words: the notice, its status line, updates and the closing reply.

They take only what customers are meant to read: the title and texts the team wrote for them,
and times. Never a severity label, tier, or another account's name (the service checks the
texts before anything is stored).
"""

from __future__ import annotations

from datetime import datetime

from bot.messages.base import CustomerMessage, customer_message
from bot.messages.customer import slack_time

STATUS_LABELS = {"investigating": "Investigating", "resolved": "Resolved"}


def _status_line(status: str, next_update_at: datetime | None, resolved_at: datetime | None) -> str:
    label = STATUS_LABELS.get(status, status.title())
    if status == "resolved" and resolved_at is not None:
        return f"*Status:* {label} ({slack_time(resolved_at)})"
    when = f" · next update by {slack_time(next_update_at)}" if next_update_at else ""
    return f"*Status:* {label}{when}"


def incident_notice(
    title: str,
    status: str,
    next_update_at: datetime | None,
    resolved_at: datetime | None = None,
    latest: str = "",
) -> CustomerMessage:
    """The notice in each affected channel; edited in place as the status changes."""
    icon = ":white_check_mark:" if status == "resolved" else ":rotating_light:"
    lines = [
        f"{icon} *We're aware of an issue: {title}*",
        _status_line(status, next_update_at, resolved_at),
    ]
    if latest:
        lines.append(f"*Latest:* {latest}")
    lines.append("We'll post updates in this thread. No need to open a request for this.")
    return customer_message("\n".join(lines))


def incident_update(text: str, next_update_at: datetime | None) -> CustomerMessage:
    """An update, as a reply in the notice's thread."""
    when = f"\nNext update by {slack_time(next_update_at)}." if next_update_at else ""
    return customer_message(f":mega: *Update:* {text}{when}")


def incident_closing(text: str) -> CustomerMessage:
    """The closing reply in the notice's thread."""
    body = text or "The issue is resolved and everything is working normally again."
    return customer_message(f":white_check_mark: *Resolved:* {body} Thank you for your patience.")


def linked_ticket_resolved(number: int, title: str) -> CustomerMessage:
    """A note in a linked ticket's thread when the incident is resolved."""
    return customer_message(
        f":white_check_mark: The issue *{title}* that may have affected ticket *#{number}*"
        " is resolved. If this request still needs help, just reply here."
    )
