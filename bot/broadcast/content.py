"""Which customer message each incident post becomes."""

from __future__ import annotations

from bot.domain.incidents import IncidentStatus, PostKind
from bot.messages import customer_incidents as words
from bot.messages.base import CustomerMessage
from store.models import Incident, IncidentPost


def notice_of(incident: Incident) -> CustomerMessage:
    """The notice as it should read now (its status line follows the incident)."""
    return words.incident_notice(
        incident.title,
        incident.status,
        incident.next_update_at,
        incident.resolved_at,
        latest=incident.latest_text,
    )


def message_of(incident: Incident, post: IncidentPost) -> CustomerMessage:
    """The message a post becomes in a customer channel."""
    if post.kind == PostKind.NOTICE:
        return notice_of(incident)
    if post.kind == PostKind.CLOSING:
        return words.incident_closing(post.text)
    next_update = incident.next_update_at if incident.status != IncidentStatus.RESOLVED else None
    return words.incident_update(post.text, next_update)
