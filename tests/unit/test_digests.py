"""Digest schedule: due times in the team's zone across weeks, months, DST and year ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.digests import (
    CATCH_UP,
    DigestKind,
    DigestSchedule,
    due_now,
    latest_monthly,
    latest_weekly,
    parse_weekly,
)

BERLIN = DigestSchedule(timezone="Europe/Berlin")
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]


def at(text: str, zone: str = "UTC") -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize(
    ("now", "key", "due", "first", "last"),
    [
        # Monday 30 Nov 2026, 09:00 Berlin = 08:00 UTC.
        ("2026-11-30 08:00", "weekly:2026-W48", "2026-11-30 09:00", "2026-11-23", "2026-11-29"),
        ("2026-11-30 07:59", "weekly:2026-W47", "2026-11-23 09:00", "2026-11-16", "2026-11-22"),
        ("2026-12-02 12:00", "weekly:2026-W48", "2026-11-30 09:00", "2026-11-23", "2026-11-29"),
        # Across the year end: the week of 28 Dec 2026 is ISO week 53.
        ("2027-01-04 10:00", "weekly:2026-W53", "2027-01-04 09:00", "2026-12-28", "2027-01-03"),
        # Monday 30 Mar 2026, the day after Berlin moved to summer time: 09:00 = 07:00 UTC.
        ("2026-03-30 07:00", "weekly:2026-W13", "2026-03-30 09:00", "2026-03-23", "2026-03-29"),
    ],
)
def test_weekly(now: str, key: str, due: str, first: str, last: str) -> None:
    d = latest_weekly(BERLIN, at(now))
    assert d.kind is DigestKind.WEEKLY
    assert d.key == key
    assert d.due_at == at(due, "Europe/Berlin")
    assert (d.first_day, d.last_day) == (date.fromisoformat(first), date.fromisoformat(last))


@pytest.mark.parametrize(
    ("now", "key", "due"),
    [
        ("2026-12-01 08:00", "monthly:2026-11", "2026-12-01 09:00"),
        ("2026-12-01 07:59", "monthly:2026-10", "2026-11-01 09:00"),
        ("2027-01-01 08:30", "monthly:2026-12", "2027-01-01 09:00"),
        ("2026-03-01 08:00", "monthly:2026-02", "2026-03-01 09:00"),
    ],
)
def test_monthly(now: str, key: str, due: str) -> None:
    d = latest_monthly(BERLIN, at(now))
    assert d.key == key
    assert d.due_at == at(due, "Europe/Berlin")
    assert d.first_day.day == 1 and (d.last_day + timedelta(days=1)).day == 1
    assert d.label == d.first_day.strftime("%B %Y")


def test_due_now_sends_within_a_day_and_skips_older() -> None:
    monday = at("2026-11-23 09:00", "Europe/Berlin")
    assert [d.key for d in due_now(BERLIN, monday)] == ["weekly:2026-W47"]
    assert [d.key for d in due_now(BERLIN, monday + CATCH_UP)] == ["weekly:2026-W47"]
    assert due_now(BERLIN, monday + CATCH_UP + timedelta(seconds=1)) == []
    first = at("2026-12-01 09:00", "Europe/Berlin")
    assert [d.key for d in due_now(BERLIN, first)] == ["weekly:2026-W48", "monthly:2026-11"]
    assert [d.key for d in due_now(DigestSchedule(weekly=False), first)] == []
    off = DigestSchedule(timezone="Europe/Berlin", weekly=False)
    assert [d.key for d in due_now(off, first)] == ["monthly:2026-11"]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("Mon 09:00", (0, time(9))), ("friday 17:30", (4, time(17, 30))), ("SUN 00:00", (6, time(0)))],
)
def test_parse_weekly(text: str, parsed: tuple[int, time]) -> None:
    assert parse_weekly(text) == parsed


@pytest.mark.parametrize("text", ["", "Mon", "Funday 09:00", "Mon 25:00", "Mon 9am"])
def test_parse_weekly_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="like"):
        parse_weekly(text)


@given(
    now=st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC)),
    zone=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
)
def test_weekly_properties(now: datetime, zone: str, weekday: int, hour: int) -> None:
    schedule = DigestSchedule(timezone=zone, weekday=weekday, at=time(hour, 0))
    d = latest_weekly(schedule, now)
    local = d.due_at.astimezone(ZoneInfo(zone))
    assert d.due_at <= now < d.due_at + timedelta(days=7, hours=2)  # hours: a DST week
    assert local.weekday() == weekday
    assert (d.last_day - d.first_day).days == 6 and d.last_day < local.date()
    # The next week's send is strictly later and names a different week.
    later = latest_weekly(schedule, d.due_at + timedelta(days=7, hours=2))
    assert later.due_at > d.due_at and later.key != d.key


@given(
    now=st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC)),
    zone=st.sampled_from(ZONES),
)
def test_monthly_properties(now: datetime, zone: str) -> None:
    d = latest_monthly(DigestSchedule(timezone=zone), now)
    local = d.due_at.astimezone(ZoneInfo(zone))
    assert d.due_at <= now and local.day == 1 and local.hour == 9
    assert d.last_day == local.date() - timedelta(days=1)
    assert now - d.due_at < timedelta(days=32)
