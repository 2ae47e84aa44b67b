"""Clocks: time is injected, never read inside domain code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that says what time it is (timezone-aware)."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...

    def seconds_until(self, at: datetime) -> float:
        """Real seconds to wait until this clock shows `at` (negative if past)."""
        ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        """The current instant in UTC."""
        return datetime.now(UTC)

    def seconds_until(self, at: datetime) -> float:
        """Real seconds until `at`."""
        return (at - self.now()).total_seconds()


class ManualClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        """The set instant."""
        return self._now

    def seconds_until(self, at: datetime) -> float:
        """A manual clock moves only when told: report the gap as if it were real time."""
        return (at - self._now).total_seconds()

    def advance(self, delta: timedelta) -> None:
        """Move time forward."""
        self._now += delta

    def set(self, at: datetime) -> None:
        """Jump to an instant."""
        self._now = at
