"""Ticket vocabulary: priorities, states and ticket references."""

from __future__ import annotations

import re
from enum import StrEnum

from bot.domain.levels import parse_level


class Priority(StrEnum):
    """Ticket priority, P1 (most urgent) to P4."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"

    @classmethod
    def parse(cls, text: str) -> Priority:
        """Parse `P1`..`P4` (case-insensitive, `1`..`4` accepted); ValueError otherwise."""
        return parse_level(cls, text, "P", "priority")


class TicketStatus(StrEnum):
    """Where a ticket stands: with the team, waiting on the customer, or done."""

    OPEN = "open"
    WAITING = "waiting"
    RESOLVED = "resolved"


class ResolutionKind(StrEnum):
    """How a ticket was closed: answered, or closed as a duplicate or as noise (no survey)."""

    RESOLVED = "resolved"
    DUPLICATE = "duplicate"
    NOISE = "noise"


_REF = re.compile(r"^#?(\d{1,9})$")


def parse_ticket_ref(text: str) -> int:
    """Parse a ticket reference such as `42` or `#42` into its number."""
    match = _REF.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"'{text}' is not a ticket number (use 42 or #42)")
    return int(match.group(1))
