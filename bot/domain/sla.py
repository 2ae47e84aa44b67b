"""SLA clock arithmetic: elapsed business time, due times and which ladder steps are due.

A clock run has a target, the business time it accumulated before its current running
segment (`elapsed_before`) and, while running, when that segment began (`running_since`).
Paused clocks (`running_since is None`) have no due time. All pure: the caller passes `now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.calendar import Calendar, business_elapsed, deadline
from bot.domain.ladder import EscalationStep

MAX_REPEATS = 24
AT_RISK_PERCENT = 75


class SlaFlag(StrEnum):
    """How a ticket stands against its worst running SLA clock."""

    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"


@dataclass(frozen=True)
class ClockRun:
    """One run of one SLA clock."""

    target: timedelta
    elapsed_before: timedelta
    running_since: datetime | None

    def elapsed(self, now: datetime, calendar: Calendar) -> timedelta:
        """Business time on the clock at `now`."""
        if self.running_since is None:
            return self.elapsed_before
        return self.elapsed_before + business_elapsed(self.running_since, now, calendar)

    def at_offset(self, offset: timedelta, calendar: Calendar) -> datetime | None:
        """When the clock reads `offset` of business time (None while paused)."""
        if self.running_since is None:
            return None
        return deadline(
            self.running_since, max(offset - self.elapsed_before, timedelta(0)), calendar
        )

    def due_at(self, calendar: Calendar) -> datetime | None:
        """When the target is reached (None while paused)."""
        return self.at_offset(self.target, calendar)

    def pause(self, now: datetime, calendar: Calendar) -> ClockRun:
        """Stop accumulating business time."""
        return ClockRun(self.target, self.elapsed(now, calendar), None)

    def resume(self, now: datetime) -> ClockRun:
        """Accumulate business time again from `now`."""
        return (
            self
            if self.running_since is not None
            else ClockRun(self.target, self.elapsed_before, now)
        )

    def retarget(self, target: timedelta) -> ClockRun:
        """Same elapsed business time, new target (a priority change)."""
        return ClockRun(target, self.elapsed_before, self.running_since)


StepKey = tuple[int, int]  # (step index in the ladder, repeat number: 0 = first firing)


@dataclass(frozen=True)
class StepFiring:
    """A ladder step firing: which step, which repeat, at what business offset."""

    index: int
    repeat: int
    offset: timedelta
    step: EscalationStep

    @property
    def key(self) -> StepKey:
        """Identity of this firing in the ledger."""
        return (self.index, self.repeat)


def firings(ladder: Sequence[EscalationStep], target: timedelta) -> list[StepFiring]:
    """Every firing the ladder can make for a clock with `target`, in offset order."""
    result = []
    for index, step in enumerate(ladder):
        base = step.at.business_offset(target)
        if base < timedelta(0):
            base = timedelta(0)
        repeats = MAX_REPEATS if step.repeat else 0
        for n in range(repeats + 1):
            result.append(StepFiring(index, n, base + (step.repeat or timedelta(0)) * n, step))
    return sorted(result, key=lambda f: (f.offset, f.index, f.repeat))


def due_firings(
    run: ClockRun,
    ladder: Sequence[EscalationStep],
    calendar: Calendar,
    now: datetime,
    fired: set[StepKey],
) -> list[StepFiring]:
    """Firings whose time has come and which have not fired yet."""
    if run.running_since is None:
        return []
    elapsed = run.elapsed(now, calendar)
    return [f for f in firings(ladder, run.target) if f.offset <= elapsed and f.key not in fired]


def next_firing_at(
    run: ClockRun,
    ladder: Sequence[EscalationStep],
    calendar: Calendar,
    fired: set[StepKey],
) -> datetime | None:
    """When the next not-yet-fired step is due (None if paused or nothing is left)."""
    if run.running_since is None:
        return None
    for firing in firings(ladder, run.target):
        if firing.key not in fired:
            return run.at_offset(firing.offset, calendar)
    return None


def percent_used(run: ClockRun, now: datetime, calendar: Calendar) -> float:
    """How much of the target is used, in percent."""
    if run.target <= timedelta(0):
        return 100.0
    return 100.0 * run.elapsed(now, calendar) / run.target


@dataclass(frozen=True)
class Outcome:
    """How a clock ended: met or missed, and by how much (business and wall time)."""

    met: bool
    business_elapsed: timedelta
    late_business: timedelta
    late_wall: timedelta


def outcome(run: ClockRun, due: datetime | None, now: datetime, calendar: Calendar) -> Outcome:
    """The result of a clock stopped at `now`."""
    elapsed = run.elapsed(now, calendar)
    late_business = max(elapsed - run.target, timedelta(0))
    late_wall = max(now - due, timedelta(0)) if due is not None and late_business else timedelta(0)
    return Outcome(late_business == timedelta(0), elapsed, late_business, late_wall)
