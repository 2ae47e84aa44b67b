"""Escalation ladder steps: when a step fires relative to an SLA target, and whom it tells."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.durations import format_duration, parse_duration

_AT = re.compile(r"^\s*(\d{1,4})\s*%\s*(?:([+-])\s*(.+?))?\s*$")


@dataclass(frozen=True)
class StepTime:
    """A point on an SLA clock: `percent` of the target, plus `offset` of business time."""

    percent: int
    offset: timedelta = timedelta(0)

    @classmethod
    def parse(cls, text: str) -> StepTime:
        """Parse `75%`, `100%`, `100% + 30m`; ValueError with the accepted forms otherwise."""
        match = _AT.match(str(text))
        if not match:
            raise ValueError(
                f"'{text}' is not a ladder time (use forms like 75%, 100%, 100% + 30m)"
            )
        percent = int(match.group(1))
        offset = parse_duration(match.group(3)) if match.group(3) else timedelta(0)
        if match.group(2) == "-":
            offset = -offset
        if percent <= 0:
            raise ValueError(f"'{text}': the percentage must be above 0%")
        return cls(percent=percent, offset=offset)

    def business_offset(self, target: timedelta) -> timedelta:
        """Business time after the clock started at which this step is due."""
        return target * self.percent / 100 + self.offset

    def __str__(self) -> str:
        if not self.offset:
            return f"{self.percent}%"
        sign = "+" if self.offset > timedelta(0) else "-"
        return f"{self.percent}% {sign} {format_duration(abs(self.offset))}"


@dataclass(frozen=True)
class EscalationStep:
    """One rung of the ladder: at `at`, notify `notify` (owner, managers, a group, the channel)."""

    at: StepTime
    notify: tuple[str, ...]
    repeat: timedelta | None = None
