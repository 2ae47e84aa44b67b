"""SLA policy: the targets and escalation ladder for one tier and priority."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.domain.ladder import EscalationStep
from bot.domain.tickets import Priority


class ClockKind(StrEnum):
    """The three SLA clocks a ticket runs."""

    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True)
class SlaTargets:
    """How long the team has for each clock, in business time."""

    first_response: timedelta
    next_response: timedelta
    resolution: timedelta

    def for_clock(self, kind: ClockKind) -> timedelta:
        """The target of one clock."""
        return getattr(self, kind.value)


@dataclass(frozen=True)
class SlaPolicy:
    """Targets, calendar and ladder that apply to a ticket of `tier` at `priority`."""

    tier: str
    priority: Priority
    targets: SlaTargets
    calendar: str
    ladder: tuple[EscalationStep, ...]
