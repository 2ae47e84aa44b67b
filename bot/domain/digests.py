"""When the managers' digests are due and what period each covers: pure, in the team's zone.

A weekly digest goes out on a weekday at a local time (Monday 09:00 by default) and covers the
seven days before that day; the monthly report goes out on the 1st at the same time and covers
the month before. Each send is named by its period (`weekly:2026-W48`, `monthly:2026-11`) so a
durable ledger keyed by that name sends it exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A digest found due later than this after its time (the desk was down) is skipped, not sent
# late: last week's figures on a Thursday help nobody, and a first start must not send old ones.
CATCH_UP = timedelta(hours=24)


class DigestKind(StrEnum):
    """The two scheduled sends."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class DigestSchedule:
    """When digests go out, in the team's time zone."""

    timezone: str = "UTC"
    weekday: int = 0  # Monday
    at: time = time(9, 0)
    weekly: bool = True
    monthly: bool = True

    @property
    def zone(self) -> ZoneInfo:
        """The team's zone."""
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class DigestDue:
    """One send that has come due: its ledger key, when it became due, the days it covers."""

    kind: DigestKind
    key: str
    due_at: datetime
    first_day: date
    last_day: date  # inclusive

    @property
    def label(self) -> str:
        """How a person names the period."""
        if self.kind is DigestKind.MONTHLY:
            return self.first_day.strftime("%B %Y")
        return f"week of {self.first_day:%a %d %b} – {self.last_day:%a %d %b %Y}"


def parse_weekly(text: str) -> tuple[int, time]:
    """`Mon 09:00` as (weekday, local time); ValueError says what is wrong."""
    parts = text.split()
    if len(parts) != 2 or parts[0][:3].casefold() not in WEEKDAYS:
        raise ValueError(f"'{text}' is not a weekday and a time, like 'Mon 09:00'")
    try:
        at = time.fromisoformat(parts[1])
    except ValueError:
        raise ValueError(f"'{parts[1]}' is not a time of day, like 09:00") from None
    return WEEKDAYS.index(parts[0][:3].casefold()), at


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone)


def latest_weekly(schedule: DigestSchedule, now: datetime) -> DigestDue:
    """The most recent weekly send time at or before `now`, and the week it covers."""
    zone = schedule.zone
    today = now.astimezone(zone).date()
    day = today - timedelta(days=(today.weekday() - schedule.weekday) % 7)
    if _local(day, schedule.at, zone) > now:
        day -= timedelta(days=7)
    first = day - timedelta(days=7)
    iso = first.isocalendar()
    return DigestDue(
        DigestKind.WEEKLY,
        f"weekly:{iso.year}-W{iso.week:02d}",
        _local(day, schedule.at, zone),
        first,
        day - timedelta(days=1),
    )


def latest_monthly(schedule: DigestSchedule, now: datetime) -> DigestDue:
    """The most recent 1st-of-month send time at or before `now`, and the month it covers."""
    zone = schedule.zone
    local = now.astimezone(zone).date()
    day = local.replace(day=1)
    if _local(day, schedule.at, zone) > now:
        day = (day - timedelta(days=1)).replace(day=1)
    last = day - timedelta(days=1)
    first = last.replace(day=1)
    return DigestDue(
        DigestKind.MONTHLY,
        f"monthly:{first:%Y-%m}",
        _local(day, schedule.at, zone),
        first,
        last,
    )


def due_now(schedule: DigestSchedule, now: datetime) -> list[DigestDue]:
    """The sends due at `now` (within the catch-up window); the ledger says which were sent."""
    found: list[DigestDue] = []
    if schedule.weekly:
        found.append(latest_weekly(schedule, now))
    if schedule.monthly:
        found.append(latest_monthly(schedule, now))
    return [d for d in found if timedelta(0) <= now - d.due_at <= CATCH_UP]
