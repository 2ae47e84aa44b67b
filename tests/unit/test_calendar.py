"""Business calendars: table-driven deadlines, elapsed time, DST days and validation."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.calendar import (
    Calendar,
    business_elapsed,
    deadline,
    is_open,
    next_open,
)

YEARS = range(2025, 2028)  # fewer holiday years than the default keeps the module fast
US = Calendar.build(
    "us", "America/New_York", {"mon-fri": "09:00-17:00"}, holiday_country="US", years=YEARS
)
DE = Calendar.build(
    "de", "Europe/Berlin", {"mon-fri": "08:00-18:00"}, holiday_country="DE", years=YEARS
)
PLAIN_NY = Calendar.build("plain", "America/New_York", {"mon-fri": "09:00-17:00"})
LUNCH = Calendar.build(
    "lunch",
    "UTC",
    {"mon-fri": ["09:00-12:00", "13:00-17:00"], "sat": ["10:00-12:00", "13:00-15:00"]},
)
ALWAYS = Calendar.always()
NY_247 = Calendar.build("ny", "America/New_York", "24/7")
DE_247 = Calendar.build("de247", "Europe/Berlin", "24/7", holiday_country="DE", years=YEARS)
# Sunday nights hold every DST change of these zones, so the shifted hours are business hours.
SUN_NIGHT = {"sun": "00:00-06:00"}
NY_NIGHT = Calendar.build("ny-night", "America/New_York", SUN_NIGHT)
BERLIN_NIGHT = Calendar.build("berlin-night", "Europe/Berlin", SUN_NIGHT)
LORD_HOWE_NIGHT = Calendar.build("lh-night", "Australia/Lord_Howe", SUN_NIGHT)
NY_OPENS_IN_GAP = Calendar.build("gap-open", "America/New_York", {"sun": "02:30-04:00"})
NY_ONLY_GAP = Calendar.build("gap-only", "America/New_York", {"sun": "02:15-02:45"})
NY_IN_REPEAT = Calendar.build("repeat", "America/New_York", {"sun": "01:30-03:00"})
MIDNIGHT = Calendar.build("midnight", "UTC", {"mon": "22:00-24:00", "tue": "00:00-02:00"})


def at(text: str) -> datetime:
    """An aware datetime from ISO text with an offset."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None
    return moment


@pytest.mark.parametrize(
    ("cal", "start", "duration", "expected"),
    [
        # Friday afternoon: 2h on Friday, the weekend is skipped, 2h on Monday.
        (US, "2026-03-13T15:00-04:00", timedelta(hours=4), "2026-03-16T11:00:00-04:00"),
        # Started at night / early morning: the clock starts at the next opening.
        (US, "2026-06-09T22:30-04:00", timedelta(minutes=90), "2026-06-10T10:30:00-04:00"),
        (US, "2026-06-10T06:00-04:00", timedelta(minutes=30), "2026-06-10T09:30:00-04:00"),
        (US, "2026-06-10T17:00-04:00", timedelta(minutes=1), "2026-06-11T09:01:00-04:00"),
        (US, "2026-06-10T16:59:30-04:00", timedelta(seconds=90), "2026-06-11T09:01:00-04:00"),
        # Ends exactly at closing time: the deadline is the closing instant.
        (US, "2026-06-10T09:00-04:00", timedelta(hours=8), "2026-06-10T17:00:00-04:00"),
        (US, "2026-06-08T09:00-04:00", timedelta(hours=40), "2026-06-12T17:00:00-04:00"),
        (US, "2026-06-08T09:00-04:00", timedelta(hours=41), "2026-06-15T10:00:00-04:00"),
        # Input in UTC, result in the calendar's zone.
        (US, "2026-06-09T20:00+00:00", timedelta(hours=2), "2026-06-10T10:00:00-04:00"),
        # Zero: the start itself, even when closed.
        (US, "2026-06-09T22:30-04:00", timedelta(0), "2026-06-09T22:30:00-04:00"),
        # US holidays: Thanksgiving, Juneteenth (Friday), July 4th observed on Friday July 3rd.
        (US, "2026-11-25T16:00-05:00", timedelta(hours=2), "2026-11-27T10:00:00-05:00"),
        (US, "2026-11-26T10:00-05:00", timedelta(hours=1), "2026-11-27T10:00:00-05:00"),
        (US, "2026-06-18T16:00-04:00", timedelta(hours=2), "2026-06-22T10:00:00-04:00"),
        (US, "2026-07-02T16:00-04:00", timedelta(hours=2), "2026-07-06T10:00:00-04:00"),
        # German holidays: Christmas Day is a Friday, the 26th a Saturday; New Year's Day.
        (DE, "2026-12-24T17:00+01:00", timedelta(hours=2), "2026-12-28T09:00:00+01:00"),
        (DE, "2026-12-25T12:00+01:00", timedelta(minutes=30), "2026-12-28T08:30:00+01:00"),
        (DE, "2026-12-31T17:30+01:00", timedelta(hours=1), "2027-01-04T08:30:00+01:00"),
        # Lunch break and a Saturday with two intervals.
        (LUNCH, "2026-06-10T11:00+00:00", timedelta(hours=2), "2026-06-10T14:00:00+00:00"),
        (LUNCH, "2026-06-10T12:30+00:00", timedelta(minutes=30), "2026-06-10T13:30:00+00:00"),
        (LUNCH, "2026-06-10T16:30+00:00", timedelta(hours=1), "2026-06-11T09:30:00+00:00"),
        (LUNCH, "2026-06-12T16:00+00:00", timedelta(hours=3), "2026-06-13T12:00:00+00:00"),
        (LUNCH, "2026-06-12T16:00+00:00", timedelta(hours=3.5), "2026-06-13T13:30:00+00:00"),
        (LUNCH, "2026-06-13T14:30+00:00", timedelta(hours=1), "2026-06-15T09:30:00+00:00"),
        # 22:00-24:00 then 00:00-02:00 runs on through midnight.
        (MIDNIGHT, "2026-06-08T23:00+00:00", timedelta(hours=2), "2026-06-09T01:00:00+00:00"),
        # 24/7 counts real time, also across DST changes, and ignores holidays.
        (ALWAYS, "2026-03-07T23:00-05:00", timedelta(hours=5), "2026-03-08T09:00:00+00:00"),
        (NY_247, "2026-03-07T23:00-05:00", timedelta(hours=5), "2026-03-08T05:00:00-04:00"),
        (NY_247, "2026-11-01T00:30-04:00", timedelta(hours=2), "2026-11-01T01:30:00-05:00"),
        (DE_247, "2026-12-25T10:00+01:00", timedelta(hours=1), "2026-12-25T11:00:00+01:00"),
        # Spring forward, New York 2026-03-08 02:00 -> 03:00: 00:00-06:00 is 5 real hours.
        (NY_NIGHT, "2026-03-08T00:00-05:00", timedelta(hours=3), "2026-03-08T04:00:00-04:00"),
        (NY_NIGHT, "2026-03-08T01:30-05:00", timedelta(minutes=30), "2026-03-08T03:00:00-04:00"),
        (NY_NIGHT, "2026-03-08T00:00-05:00", timedelta(hours=5), "2026-03-08T06:00:00-04:00"),
        (NY_NIGHT, "2026-03-08T00:00-05:00", timedelta(minutes=301), "2026-03-15T00:01:00-04:00"),
        # Spring forward, Berlin 2026-03-29 02:00 -> 03:00.
        (BERLIN_NIGHT, "2026-03-29T00:00+01:00", timedelta(hours=3), "2026-03-29T04:00:00+02:00"),
        # Fall back, New York 2026-11-01 02:00 -> 01:00: 00:00-06:00 is 7 real hours.
        (NY_NIGHT, "2026-11-01T00:00-04:00", timedelta(hours=2), "2026-11-01T01:00:00-05:00"),
        (NY_NIGHT, "2026-11-01T00:00-04:00", timedelta(hours=3), "2026-11-01T02:00:00-05:00"),
        (NY_NIGHT, "2026-11-01T00:00-04:00", timedelta(hours=7), "2026-11-01T06:00:00-05:00"),
        (NY_NIGHT, "2026-11-01T01:30-04:00", timedelta(hours=1), "2026-11-01T01:30:00-05:00"),
        # Fall back, Berlin 2026-10-25 03:00 -> 02:00.
        (BERLIN_NIGHT, "2026-10-25T00:00+02:00", timedelta(hours=3), "2026-10-25T02:00:00+01:00"),
        (BERLIN_NIGHT, "2026-10-25T00:00+02:00", timedelta(hours=7), "2026-10-25T06:00:00+01:00"),
        # Lord Howe moves by 30 minutes: 02:00 -> 01:30 on 2026-04-05, 02:00 -> 02:30 on 10-04.
        (
            LORD_HOWE_NIGHT,
            "2026-04-05T01:00+11:00",
            timedelta(hours=1),
            "2026-04-05T01:30:00+10:30",
        ),
        (
            LORD_HOWE_NIGHT,
            "2026-10-04T01:00+10:30",
            timedelta(hours=1),
            "2026-10-04T02:30:00+11:00",
        ),
        # An opening inside the spring gap opens at the first instant after it.
        (
            NY_OPENS_IN_GAP,
            "2026-03-08T00:00-05:00",
            timedelta(minutes=30),
            "2026-03-08T03:30:00-04:00",
        ),
        # Hours entirely inside the gap do not exist that day: the next Sunday's do.
        (NY_ONLY_GAP, "2026-03-07T12:00-05:00", timedelta(minutes=10), "2026-03-15T02:25:00-04:00"),
        # 01:30-03:00 on fall-back day: open 01:30-02:00 EDT, closed 01:00-01:30 EST, then open.
        (
            NY_IN_REPEAT,
            "2026-11-01T00:00-04:00",
            timedelta(minutes=45),
            "2026-11-01T01:45:00-05:00",
        ),
    ],
)
def test_deadline(cal: Calendar, start: str, duration: timedelta, expected: str) -> None:
    result = deadline(at(start), duration, cal)
    # isoformat shows the offset, so it tells the two passes of a repeated hour apart.
    assert result.isoformat() == expected
    assert result.tzinfo is cal.tz


@pytest.mark.parametrize(
    ("cal", "start", "end", "expected"),
    [
        (US, "2026-03-13T15:00-04:00", "2026-03-16T11:00-04:00", timedelta(hours=4)),
        (US, "2026-03-13T17:00-04:00", "2026-03-16T09:00-04:00", timedelta(0)),
        (US, "2026-11-20T12:00-05:00", "2026-11-30T12:00-05:00", timedelta(hours=40)),
        (US, "2026-03-16T11:00-04:00", "2026-03-13T15:00-04:00", timedelta(0)),
        (US, "2026-03-16T11:00-04:00", "2026-03-16T11:00-04:00", timedelta(0)),
        (US, "2026-03-16T10:00:00.5-04:00", "2026-03-16T10:00:01-04:00", timedelta(seconds=0.5)),
        (LUNCH, "2026-06-10T08:00+00:00", "2026-06-10T18:00+00:00", timedelta(hours=7)),
        (NY_247, "2026-03-08T00:00-05:00", "2026-03-09T00:00-04:00", timedelta(hours=23)),
        (NY_NIGHT, "2026-03-08T00:00-05:00", "2026-03-09T00:00-04:00", timedelta(hours=5)),
        (NY_NIGHT, "2026-11-01T00:00-04:00", "2026-11-02T00:00-05:00", timedelta(hours=7)),
        (NY_NIGHT, "2026-11-01T01:15-04:00", "2026-11-01T01:15-05:00", timedelta(hours=1)),
        (BERLIN_NIGHT, "2026-03-29T00:00+01:00", "2026-03-30T00:00+02:00", timedelta(hours=5)),
        (BERLIN_NIGHT, "2026-10-25T00:00+02:00", "2026-10-26T00:00+01:00", timedelta(hours=7)),
        (LORD_HOWE_NIGHT, "2026-04-05T00:00+11:00", "2026-04-06T00:00+10:30", timedelta(hours=6.5)),
        (LORD_HOWE_NIGHT, "2026-10-04T00:00+10:30", "2026-10-05T00:00+11:00", timedelta(hours=5.5)),
        (NY_OPENS_IN_GAP, "2026-03-08T00:00-05:00", "2026-03-09T00:00-04:00", timedelta(hours=1)),
        (NY_ONLY_GAP, "2026-03-08T00:00-05:00", "2026-03-09T00:00-04:00", timedelta(0)),
        (NY_IN_REPEAT, "2026-11-01T00:00-04:00", "2026-11-02T00:00-05:00", timedelta(hours=2)),
    ],
)
def test_business_elapsed(cal: Calendar, start: str, end: str, expected: timedelta) -> None:
    assert business_elapsed(at(start), at(end), cal) == expected


@pytest.mark.parametrize(
    ("cal", "moment", "expected"),
    [
        (US, "2026-06-10T09:00-04:00", True),
        (US, "2026-06-10T16:59:59.999999-04:00", True),
        (US, "2026-06-10T17:00-04:00", False),
        (US, "2026-06-10T08:59-04:00", False),
        (US, "2026-06-10T13:00+00:00", True),
        (US, "2026-06-13T12:00-04:00", False),  # Saturday
        (US, "2026-11-26T12:00-05:00", False),  # Thanksgiving
        (LUNCH, "2026-06-10T12:15+00:00", False),
        (ALWAYS, "2026-12-25T03:00+00:00", True),
        (NY_NIGHT, "2026-11-01T01:30-05:00", True),  # second pass of the repeated hour
        (NY_IN_REPEAT, "2026-11-01T01:15-04:00", False),
        (NY_IN_REPEAT, "2026-11-01T01:45-04:00", True),
        (NY_IN_REPEAT, "2026-11-01T01:15-05:00", False),
        (NY_IN_REPEAT, "2026-11-01T01:45-05:00", True),
    ],
)
def test_is_open(cal: Calendar, moment: str, expected: bool) -> None:
    assert is_open(at(moment), cal) is expected


@pytest.mark.parametrize(
    ("cal", "moment", "expected"),
    [
        (US, "2026-03-13T17:00-04:00", "2026-03-16T09:00:00-04:00"),
        (US, "2026-03-16T10:00-04:00", "2026-03-16T10:00:00-04:00"),
        (US, "2026-03-16T14:00+00:00", "2026-03-16T10:00:00-04:00"),
        (US, "2026-11-25T20:00-05:00", "2026-11-27T09:00:00-05:00"),
        (LUNCH, "2026-06-10T12:00+00:00", "2026-06-10T13:00:00+00:00"),
        (NY_OPENS_IN_GAP, "2026-03-08T00:00-05:00", "2026-03-08T03:00:00-04:00"),
        (NY_IN_REPEAT, "2026-11-01T01:00-05:00", "2026-11-01T01:30:00-05:00"),
        (NY_247, "2026-11-01T06:30+00:00", "2026-11-01T01:30:00-05:00"),
    ],
)
def test_next_open(cal: Calendar, moment: str, expected: str) -> None:
    assert next_open(at(moment), cal).isoformat() == expected


def test_weekly_representation() -> None:
    cal = Calendar.build(
        "x", "UTC", {"mon-fri": "09:00-17:00", "sat": ["13:00-15:00", "10:00-12:00"]}
    )
    assert dict(cal.weekly) == {
        0: ((540, 1020),),
        1: ((540, 1020),),
        2: ((540, 1020),),
        3: ((540, 1020),),
        4: ((540, 1020),),
        5: ((600, 720), (780, 900)),
        6: (),
    }
    assert cal.tz == ZoneInfo("UTC")
    assert cal.always_open is False


@pytest.mark.parametrize(
    ("hours", "days"),
    [
        ({"mon": "09:00-17:00"}, {0}),
        ({"Monday-Wednesday": "09:00-17:00"}, {0, 1, 2}),
        ({"fri-mon": "09:00-17:00"}, {4, 5, 6, 0}),
        ({"mon,wed": "09:00-17:00"}, {0, 2}),
        ({"mon-tue, sun": " 9:00 - 17:00 "}, {0, 1, 6}),
        ({"SAT": "00:00-24:00"}, {5}),
    ],
)
def test_day_keys(hours: dict[str, str], days: set[int]) -> None:
    cal = Calendar.build("x", "UTC", hours)
    assert {day for day, spans in cal.weekly.items() if spans} == days


def test_24_00_ends_the_day() -> None:
    cal = Calendar.build("x", "UTC", {"mon": "22:00-24:00"})
    assert cal.weekly[0] == ((1320, 1440),)


def test_always_open_strings() -> None:
    assert Calendar.build("x", "Asia/Kolkata", " 24/7 ").always_open
    assert Calendar.always().always_open
    assert Calendar.always().name == "24/7"


def test_holidays_and_extra_dates() -> None:
    bavaria = Calendar.build(
        "by",
        "Europe/Berlin",
        {"mon-fri": "08:00-18:00"},
        holiday_country="de",
        holiday_subdivision="BY",
        extra_dates=[date(2026, 12, 24)],
        years=YEARS,
    )
    assert date(2026, 1, 6) in bavaria.closed_dates  # Epiphany, Bavaria only
    assert date(2026, 1, 6) not in DE.closed_dates
    assert date(2026, 12, 24) in bavaria.closed_dates
    assert date(2026, 12, 25) in bavaria.closed_dates
    assert date(2026, 12, 26) in bavaria.closed_dates


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": {"funday": "09:00-17:00"}}, "is not a day"),
        ({"hours": {"mon-xyz": "09:00-17:00"}}, "is not a day"),
        ({"hours": {"mon-tue-wed": "09:00-17:00"}}, "not a day or day range"),
        ({"hours": {"mo": "09:00-17:00"}}, "is not a day"),
        ({"hours": {"mon": "9-17"}}, "is not a time range"),
        ({"hours": {"mon": "09:00"}}, "is not a time range"),
        ({"hours": {"mon": 9}}, "must be a time range"),
        ({"hours": {"mon": []}}, "must be a time range"),
        ({"hours": {"mon": "25:00-26:00"}}, "impossible time"),
        ({"hours": {"mon": "09:60-10:00"}}, "impossible time"),
        ({"hours": {"mon": "24:00-24:00"}}, "impossible time"),
        ({"hours": {"mon": "22:00-24:30"}}, "impossible time"),
        ({"hours": {"mon": "17:00-09:00"}}, "ends before it starts"),
        ({"hours": {"mon": "09:00-09:00"}}, "ends before it starts"),
        ({"hours": {"mon": ["09:00-12:00", "11:00-13:00"]}}, "overlap on mon"),
        ({"hours": {"mon-fri": "09:00-17:00", "fri": "16:00-18:00"}}, "overlap on fri"),
        ({"hours": {}}, "hours must map days to times"),
        ({"hours": "9-5"}, "must be '24/7'"),
        ({"tz": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"tz": ""}, "unknown time zone"),
        ({"tz": "../etc/passwd"}, "unknown time zone"),
        ({"holiday_country": "XX"}, "unknown holiday country 'XX'"),
        ({"holiday_country": "US", "holiday_subdivision": "ZZ"}, "unknown holiday subdivision"),
    ],
)
def test_build_rejects(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"name": "bad", "tz": "UTC", "hours": {"mon-fri": "09:00-17:00"}}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        Calendar.build(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("weekly", "closed", "message"),
    [
        ({}, (), "has no business hours"),
        ({0: (), 6: ()}, (), "has no business hours"),
        ({0: ((600, 500),)}, (), "0 <= start < end <= 1440"),
        ({0: ((0, 1441),)}, (), "0 <= start < end <= 1440"),
        ({0: ((60, 120), (100, 200))}, (), "must not overlap"),
        ({0: ((100, 200), (0, 50))}, (), "must be sorted"),
        ({7: ((0, 60),)}, (), "weekdays 0"),
        ({0: ((0, 60),)}, (datetime(2026, 1, 1),), "must be dates"),
    ],
)
def test_constructor_rejects(weekly: dict, closed: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Calendar("bad", ZoneInfo("UTC"), weekly, frozenset(closed))


NAIVE = datetime(2026, 6, 10, 10, 0)
AWARE = datetime(2026, 6, 10, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "call",
    [
        lambda: is_open(NAIVE, US),
        lambda: next_open(NAIVE, US),
        lambda: deadline(NAIVE, timedelta(hours=1), US),
        lambda: deadline(NAIVE, timedelta(hours=1), ALWAYS),
        lambda: business_elapsed(NAIVE, AWARE, US),
        lambda: business_elapsed(AWARE, NAIVE, US),
    ],
)
def test_naive_datetimes_are_rejected(call) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_negative_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        deadline(AWARE, timedelta(minutes=-1), US)


def test_long_deadline_is_fast() -> None:
    start = at("2026-06-08T09:00-04:00")
    began = time.perf_counter()
    # 30 days of business time on 9-5 is 90 working days: 18 weeks, ending on a Friday.
    result = deadline(start, timedelta(days=30), PLAIN_NY)
    elapsed = business_elapsed(start, at("2028-06-08T09:00-04:00"), US)
    spent = time.perf_counter() - began
    assert result.isoformat() == "2026-10-09T17:00:00-04:00"
    assert elapsed > timedelta(days=150)
    assert spent < 1.0  # day by day, not minute by minute: a few milliseconds in practice
