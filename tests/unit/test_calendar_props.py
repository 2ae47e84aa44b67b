"""Calendar maths against a slow, independent oracle that counts open UTC minutes.

The oracle restates the rule of `bot.domain.calendar` from the calendar's raw data only: a UTC
minute is open when the zone's wall clock at that minute (zoneinfo's `astimezone`) shows an
open minute of that weekday (a 1440-entry table per weekday, filled from the raw intervals) on
a local date that is not closed. Generated times are whole minutes and every offset and offset
change of these zones is a whole number of minutes, so a minute is wholly open or wholly
closed, and business time is a count of open minutes.

`Oracle.open_at` is that rule for one minute. Counting 10,000 examples' worth of minutes one by
one would take many minutes, so `Oracle.count` counts runs of minutes at once between
precomputed boundaries: the zone's offset changes (found by scanning zoneinfo, see
`transitions`) and local midnights. Inside such a run the wall clock advances minute for
minute, so its open minutes are a difference of prefix sums of the weekday's table.
`test_oracle_matches_minute_by_minute` checks those counts against `open_at` minute by minute.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from itertools import accumulate
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from bot.domain.calendar import Calendar, business_elapsed, deadline, is_open, next_open

ZONES = ("America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "UTC")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
MINUTE = timedelta(minutes=1)
DAY = 1440  # minutes


def minutes_at(year: int, month: int, day: int) -> int:
    """Minutes since the epoch at UTC midnight of a date."""
    return (datetime(year, month, day, tzinfo=UTC) - EPOCH) // MINUTE


FIRST_START, LAST_START = minutes_at(2025, 1, 1), minutes_at(2028, 1, 1)
# Offset changes are looked up in this range; starts, walks and margins stay inside it.
SCAN_FROM, SCAN_TO = minutes_at(2024, 9, 1), minutes_at(2028, 9, 1)
MAX_WALK = 150 * DAY  # far more than any generated deadline needs (assert, not a limit)
# Minutes of the day where DST changes of these zones happen (01:00-03:00), and the day's ends.
DST_MINUTES = (0, 60, 90, 120, 135, 150, 165, 180, 210, 1380, 1439, 1440)
OTHER_ZONE = timezone(timedelta(hours=-3, minutes=-30))
Weekly = dict[int, tuple[tuple[int, int], ...]]


def moment(minute: int) -> datetime:
    """The UTC datetime of a minute index (minutes since the epoch)."""
    return EPOCH + timedelta(minutes=minute)


def instant(at: datetime) -> timedelta:
    """Time since the epoch: orders real instants, unlike same-zone comparison (fold-blind)."""
    return at - EPOCH


def minute_of(at: datetime) -> int:
    """The minute index of an aware datetime that falls on a whole minute."""
    assert instant(at) % MINUTE == timedelta(0), f"{at} is not on a whole minute"
    return instant(at) // MINUTE


def utc_offset(zone: ZoneInfo, minute: int) -> int:
    """The zone's UTC offset at a UTC minute, in whole minutes."""
    offset = moment(minute).astimezone(zone).utcoffset()
    assert offset is not None and offset % MINUTE == timedelta(0)
    return offset // MINUTE


@cache
def transitions(zone_name: str) -> tuple[int, ...]:
    """The UTC minutes in the scan range at which the zone's offset differs from a minute before."""
    zone = ZoneInfo(zone_name)
    # Hourly probes, then every minute of an hour whose ends differ: these zones never change
    # offset twice within an hour.
    hourly = [utc_offset(zone, m) for m in range(SCAN_FROM, SCAN_TO + 61, 60)]
    found = []
    for index in range(len(hourly) - 1):
        if hourly[index] != hourly[index + 1]:
            hour = SCAN_FROM + 60 * index
            found.extend(
                m
                for m in range(hour + 1, hour + 61)
                if utc_offset(zone, m) != utc_offset(zone, m - 1)
            )
    return tuple(found)


@cache
def start_transitions(zone_name: str) -> tuple[int, ...]:
    """The zone's offset changes that starts are drawn around (2025-2027)."""
    return tuple(m for m in transitions(zone_name) if FIRST_START <= m <= LAST_START)


class Oracle:
    """The calendar rule evaluated on raw data: which UTC minutes are open."""

    def __init__(self, zone: str, weekly: Weekly, closed: frozenset[date]) -> None:
        self.zone_name = zone
        self.zone = ZoneInfo(zone)
        self.weekly = weekly
        self.closed = closed
        self._tables: dict[int, list[int]] = {}
        self._prefixes: dict[int, list[int]] = {}

    def table(self, weekday: int) -> list[int]:
        """1 for each open wall minute of the weekday (0..1439), straight from the raw hours."""
        if weekday not in self._tables:
            row = [0] * DAY
            for start, end in self.weekly.get(weekday, ()):
                row[start:end] = [1] * (end - start)
            self._tables[weekday] = row
        return self._tables[weekday]

    def prefix(self, weekday: int) -> list[int]:
        """prefix(weekday)[m]: open minutes of the weekday before wall minute m (0..1440)."""
        if weekday not in self._prefixes:
            self._prefixes[weekday] = [0, *accumulate(self.table(weekday))]
        return self._prefixes[weekday]

    def open_at(self, minute: int) -> bool:
        """The rule itself: read the wall clock, then the raw hours and closed dates."""
        local = moment(minute).astimezone(self.zone)
        if local.date() in self.closed:
            return False
        return self.table(local.weekday())[local.hour * 60 + local.minute] == 1

    def runs(self, start: int, stop: int) -> Iterator[tuple[int, int, int]]:
        """(lo, hi, offset): UTC minutes [lo, hi) within one local date and one UTC offset."""
        assert SCAN_FROM < start and stop < SCAN_TO, "outside the scanned offset changes"
        changes = transitions(self.zone_name)
        lo = start
        while lo < stop:
            offset = utc_offset(self.zone, lo)
            later = bisect_right(changes, lo)
            next_change = changes[later] if later < len(changes) else SCAN_TO
            next_midnight = ((lo + offset) // DAY + 1) * DAY - offset
            hi = min(stop, next_change, next_midnight)
            yield lo, hi, offset
            lo = hi

    def count(self, lo: int, hi: int, offset: int) -> int:
        """Open minutes of a run: wall minutes [lo + offset, hi + offset) of one local date."""
        day, first = divmod(lo + offset, DAY)
        local_date = date.fromordinal(EPOCH_ORDINAL + day)
        if local_date in self.closed:
            return 0
        row = self.prefix(local_date.weekday())
        return row[hi + offset - day * DAY] - row[first]

    def elapsed(self, start: int, end: int) -> int:
        """Open minutes in [start, end)."""
        return sum(self.count(*run) for run in self.runs(start, max(start, end)))

    def deadline(self, start: int, need: int) -> int:
        """The end of the `need`-th open minute from `start` (`start` itself for 0)."""
        if need == 0:
            return start
        for lo, hi, offset in self.runs(start, start + MAX_WALK):
            here = self.count(lo, hi, offset)
            if here < need:
                need -= here
                continue
            day, first = divmod(lo + offset, DAY)
            row = self.prefix(date.fromordinal(EPOCH_ORDINAL + day).weekday())
            # The first wall minute by which `need` more minutes have been open.
            end = day * DAY + bisect_left(row, row[first] + need, first) - offset
            assert self.open_at(end - 1), "the last counted minute must be open"
            return end
        raise AssertionError("no deadline within MAX_WALK")

    def next_open(self, start: int) -> int:
        """The first open minute at or after `start`."""
        for lo, hi, offset in self.runs(start, start + MAX_WALK):
            if self.count(lo, hi, offset):
                day, first = divmod(lo + offset, DAY)
                row = self.table(date.fromordinal(EPOCH_ORDINAL + day).weekday())
                found = day * DAY + row.index(1, first) - offset
                assert self.open_at(found) and (found == start or not self.open_at(found - 1))
                return found
        raise AssertionError("never opens within MAX_WALK")


# --- generators --------------------------------------------------------------------------------
# A whole week of hours comes from one `binary` draw: drawing every boundary separately made
# generation cost most of the run. Shrinking still works: fewer or smaller bytes decode to
# fewer, earlier intervals, and `note` shows the decoded calendar.

DAY_BYTES = 13  # interval count, then up to 6 boundaries of 2 bytes each


def boundary(value: int) -> int:
    """A minute of the day, often one of the DST-sensitive ones."""
    return DST_MINUTES[value // 3 % len(DST_MINUTES)] if value % 3 == 0 else value % (DAY + 1)


def decode_week(raw: bytes) -> Weekly:
    """Up to 3 sorted, non-overlapping intervals per weekday; at least one in the week."""
    raw = raw.ljust(7 * DAY_BYTES, b"\0")
    weekly: Weekly = {}
    for day in range(7):
        chunk = raw[day * DAY_BYTES : (day + 1) * DAY_BYTES]
        count = chunk[0] % 4
        points = sorted(
            {boundary(int.from_bytes(chunk[1 + 2 * i : 3 + 2 * i])) for i in range(2 * count)}
        )
        weekly[day] = tuple(zip(points[0::2], points[1::2], strict=False))
    if not any(weekly.values()):
        weekly[0] = ((540, 1020),)
    return weekly


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Calendar, Oracle, int, datetime]:
    """A calendar, its oracle, a start minute, and the start as an aware datetime."""
    zone = draw(st.sampled_from(ZONES))
    weekly = decode_week(draw(st.binary(max_size=7 * DAY_BYTES)))
    changes = start_transitions(zone)
    if changes and draw(st.booleans()):
        # Near a DST change: within three days of it.
        start = changes[draw(st.integers(0, len(changes) - 1))] + draw(
            st.integers(-3 * DAY, 3 * DAY)
        )
    else:
        start = draw(st.integers(FIRST_START, LAST_START))
    local_start = moment(start).astimezone(ZoneInfo(zone)).date()
    # Up to 6 closed dates from the day before the start to three weeks after it.
    closed = frozenset(
        local_start + timedelta(days=byte % 23 - 1) for byte in draw(st.binary(max_size=6))
    )
    note(f"zone={zone} weekly={weekly} closed={sorted(closed)} start={moment(start)}")
    cal = Calendar("prop", ZoneInfo(zone), weekly, closed)
    # Hand the start over in UTC, in the calendar's own zone (with fold) or in another zone.
    shown_in = draw(st.sampled_from([UTC, ZoneInfo(zone), OTHER_ZONE]))
    return cal, Oracle(zone, weekly, closed), start, moment(start).astimezone(shown_in)


@st.composite
def durations(draw: st.DrawFn, cal: Calendar) -> int:
    """0-3 business days in minutes, a business day being the calendar's average open weekday."""
    open_minutes = sum(e - s for spans in cal.weekly.values() for s, e in spans)
    open_days = sum(1 for spans in cal.weekly.values() if spans)
    return draw(st.integers(0, 3 * open_minutes // open_days))


MAIN = settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOME = settings(max_examples=2_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- properties --------------------------------------------------------------------------------


@MAIN
@given(st.data())
def test_calendar_matches_oracle(data: st.DataObject) -> None:
    cal, oracle, start, start_at = data.draw(scenarios())
    need = data.draw(durations(cal), label="duration in minutes")
    due = deadline(start_at, timedelta(minutes=need), cal)
    assert due.tzinfo is cal.tz
    assert minute_of(due) == oracle.deadline(start, need)
    assert business_elapsed(start_at, due, cal) == timedelta(minutes=need)

    end = start + data.draw(st.integers(-120, 4 * DAY), label="end minus start, minutes")
    elapsed = business_elapsed(start_at, moment(end).astimezone(cal.tz), cal)
    assert elapsed == timedelta(minutes=oracle.elapsed(start, end))

    assert is_open(start_at, cal) == oracle.open_at(start)
    assert minute_of(next_open(start_at, cal)) == oracle.next_open(start)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_oracle_matches_minute_by_minute(data: st.DataObject) -> None:
    _cal, oracle, start, _start_at = data.draw(scenarios())
    end = start + data.draw(st.integers(0, 2 * DAY))
    open_minutes = [m for m in range(start, end) if oracle.open_at(m)]
    assert oracle.elapsed(start, end) == len(open_minutes)
    if open_minutes:
        need = data.draw(st.integers(1, len(open_minutes)))
        assert oracle.deadline(start, need) == open_minutes[need - 1] + 1
        assert oracle.next_open(start) == open_minutes[0]


# Times with microseconds: the code under test is exact, not only to the minute.
fine_offsets = st.integers(0, 3 * 86_400_000_000).map(lambda us: timedelta(microseconds=us))


@SOME
@given(st.data())
def test_later_start_never_gives_an_earlier_deadline(data: st.DataObject) -> None:
    cal, _oracle, _start, start_at = data.draw(scenarios())
    duration = timedelta(minutes=data.draw(durations(cal)))
    later = start_at.astimezone(UTC) + data.draw(fine_offsets)
    assert instant(deadline(start_at, duration, cal)) <= instant(deadline(later, duration, cal))


@SOME
@given(st.data())
def test_longer_duration_never_gives_an_earlier_deadline(data: st.DataObject) -> None:
    cal, _oracle, _start, start_at = data.draw(scenarios())
    shorter = timedelta(minutes=data.draw(durations(cal)))
    longer = shorter + data.draw(fine_offsets) / 3
    assert instant(deadline(start_at, shorter, cal)) <= instant(deadline(start_at, longer, cal))


@SOME
@given(st.data())
def test_deadlines_add_up(data: st.DataObject) -> None:
    cal, _oracle, _start, start_at = data.draw(scenarios())
    start_at = start_at.astimezone(UTC) + timedelta(microseconds=data.draw(st.integers(0, 10**8)))
    first = data.draw(fine_offsets) / 3
    second = data.draw(fine_offsets) / 3
    via = deadline(deadline(start_at, first, cal), second, cal)
    direct = deadline(start_at, first + second, cal)
    assert instant(via) == instant(direct)
    assert business_elapsed(start_at, direct, cal) == first + second
