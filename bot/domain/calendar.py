"""Business calendars: when the clock runs, and deadlines measured in business time.

Definition (what the oracle test checks): an instant is *open* when the wall-clock time shown in
the calendar's zone at that instant falls inside one of that weekday's intervals and the local
date is not closed. Business time is the real (absolute) time spent in open instants. So on a
spring-forward day an interval 01:00-04:00 lasts two real hours; on a fall-back day 00:00-06:00
lasts seven (the repeated hour is open twice, as a clock on the wall shows it twice).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

DAY_MINUTES = 1440
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "24/7"
MAX_SEARCH_DAYS = 366 * 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Interval = tuple[int, int]  # minutes since local midnight, [start, end), end <= 1440


@dataclass(frozen=True)
class Calendar:
    """Weekly business hours in a time zone, minus closed dates; or always open (24/7)."""

    name: str
    tz: ZoneInfo
    weekly: Mapping[int, tuple[Interval, ...]]
    closed_dates: frozenset[date] = frozenset()
    always_open: bool = False
    _segments: dict[date, tuple[tuple[float, float], ...]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        if not self.always_open and not any(self.weekly.get(d) for d in range(7)):
            raise ValueError(f"calendar '{self.name}' has no business hours")

    @classmethod
    def always(cls, name: str = ALWAYS) -> Calendar:
        """A calendar that is always open."""
        return cls(name=name, tz=ZoneInfo("UTC"), weekly={}, always_open=True)

    @classmethod
    def build(
        cls,
        name: str,
        tz: str,
        hours: Mapping[str, str | list[str]] | str,
        holiday_country: str | None = None,
        holiday_subdivision: str | None = None,
        extra_dates: Iterable[date] = (),
        years: range = range(2020, 2041),
    ) -> Calendar:
        """Build from config values: `{"mon-fri": "09:00-17:00"}` or `"24/7"`, holidays, dates."""
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone '{tz}' (use an IANA name like Europe/Berlin)"
            ) from None
        if isinstance(hours, str):
            if hours.strip() != ALWAYS:
                raise ValueError("hours must be '24/7' or a mapping like mon-fri: 09:00-17:00")
            return cls(name=name, tz=zone, weekly={}, always_open=True)
        weekly = _parse_weekly(hours)
        closed = set(extra_dates)
        if holiday_country:
            try:
                closed |= set(
                    holidays_lib.country_holidays(
                        holiday_country, subdiv=holiday_subdivision, years=years
                    )
                )
            except NotImplementedError:
                raise ValueError(
                    f"unknown holiday country or subdivision '{holiday_country}'"
                ) from None
        return cls(name=name, tz=zone, weekly=weekly, closed_dates=frozenset(closed))

    def segments(self, day: date) -> tuple[tuple[float, float], ...]:
        """Open spans of a local date, as sorted [start, end) POSIX seconds."""
        cached = self._segments.get(day)
        if cached is None:
            cached = self._compute_segments(day)
            if len(self._segments) > 20_000:
                self._segments.clear()
            self._segments[day] = cached
        return cached

    def _compute_segments(self, day: date) -> tuple[tuple[float, float], ...]:
        if day in self.closed_dates:
            return ()
        intervals = self.weekly.get(day.weekday(), ())
        if not intervals:
            return ()
        midnight = datetime(day.year, day.month, day.day)
        wall0 = (midnight - datetime(1970, 1, 1)).total_seconds()  # naive wall seconds
        day_start = _real(midnight, self.tz)
        day_end = _real(midnight + timedelta(days=1), self.tz)
        off_a = _offset(day_start, self.tz)
        off_b = _offset(day_end - 1, self.tz)
        pieces: list[tuple[float, float]] = []
        if off_a == off_b:
            for s, e in intervals:
                pieces.append((wall0 + s * 60 - off_a, wall0 + e * 60 - off_a))
        else:
            shift = _transition(day_start, day_end, self.tz)
            for s, e in intervals:
                a0, a1 = wall0 + s * 60 - off_a, wall0 + e * 60 - off_a
                b0, b1 = wall0 + s * 60 - off_b, wall0 + e * 60 - off_b
                if a0 < min(a1, shift):
                    pieces.append((a0, min(a1, shift)))
                if max(b0, shift) < b1:
                    pieces.append((max(b0, shift), b1))
        return tuple(_merge(sorted(pieces)))


def _parse_weekly(hours: Mapping[str, str | list[str]]) -> dict[int, tuple[Interval, ...]]:
    weekly: dict[int, list[Interval]] = {}
    if not isinstance(hours, Mapping) or not hours:
        raise ValueError("hours must map days to intervals, e.g. mon-fri: 09:00-17:00")
    for key, value in hours.items():
        days = _parse_days(str(key))
        spans = [value] if isinstance(value, str) else value
        if not isinstance(spans, list) or not spans:
            raise ValueError(f"hours for '{key}' must be like 09:00-17:00 or a list of those")
        for span in spans:
            interval = _parse_span(str(span))
            for d in days:
                weekly.setdefault(d, []).append(interval)
    result: dict[int, tuple[Interval, ...]] = {}
    for d, spans in weekly.items():
        spans.sort()
        for (s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
            if s2 < e1:
                raise ValueError(
                    f"overlapping hours on {WEEKDAYS[d]}: {_hm(s1)}-{_hm(e1)} and {_hm(s2)}-..."
                )
        result[d] = tuple(spans)
    return result


def _parse_days(key: str) -> list[int]:
    key = key.strip().lower()
    parts = key.split("-")
    try:
        if len(parts) == 1:
            return (
                [WEEKDAYS.index(parts[0][:3])]
                if parts[0][:3] in WEEKDAYS and len(parts[0]) >= 3
                else _bad_day(key)
            )
        if len(parts) == 2:
            a, b = WEEKDAYS.index(parts[0][:3]), WEEKDAYS.index(parts[1][:3])
            return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
    except ValueError:
        pass
    return _bad_day(key)


def _bad_day(key: str) -> list[int]:
    raise ValueError(f"'{key}' is not a day or day range (use mon..sun, e.g. mon-fri)")


_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _parse_span(text: str) -> Interval:
    match = _SPAN.match(text)
    if not match:
        raise ValueError(f"'{text}' is not a time range (use HH:MM-HH:MM, e.g. 09:00-17:00)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"'{text}' has an impossible time")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise ValueError(f"'{text}': the end must be after the start (overnight: split the range)")
    return (start, end)


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _real(naive_wall: datetime, tz: ZoneInfo) -> float:
    """POSIX seconds of a wall time (fold=0: first occurrence; a gap maps forward)."""
    return naive_wall.replace(tzinfo=tz).timestamp()


def _offset(posix: float, tz: ZoneInfo) -> float:
    moment = datetime.fromtimestamp(posix, UTC).astimezone(tz)
    return moment.utcoffset().total_seconds()  # type: ignore[union-attr]


def _transition(lo: float, hi: float, tz: ZoneInfo) -> float:
    """The instant in [lo, hi) where the zone's offset changes (transitions fall on seconds)."""
    before = _offset(lo, tz)
    lo_i, hi_i = int(lo), int(hi)
    while hi_i - lo_i > 1:
        mid = (lo_i + hi_i) // 2
        if _offset(mid, tz) == before:
            lo_i = mid
        else:
            hi_i = mid
    return float(hi_i)


def _merge(pieces: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in pieces:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("calendar functions need timezone-aware datetimes")


def _local_date(posix: float, cal: Calendar) -> date:
    return datetime.fromtimestamp(posix, UTC).astimezone(cal.tz).date()


def _to_dt(posix: float, cal: Calendar) -> datetime:
    return (_EPOCH + timedelta(seconds=posix)).astimezone(cal.tz)


def is_open(at: datetime, cal: Calendar) -> bool:
    """True when the business clock runs at `at`."""
    _aware(at)
    if cal.always_open:
        return True
    t = at.timestamp()
    return any(s <= t < e for s, e in cal.segments(_local_date(t, cal)))


def next_open(at: datetime, cal: Calendar) -> datetime:
    """`at` itself if open, else the next instant the calendar opens."""
    _aware(at)
    if cal.always_open:
        return at
    t = at.timestamp()
    day = _local_date(t, cal) - timedelta(days=1)
    for _ in range(MAX_SEARCH_DAYS):
        for s, e in cal.segments(day):
            if t < e:
                return at if s <= t else _to_dt(s, cal)
        day += timedelta(days=1)
    raise ValueError(f"calendar '{cal.name}' never opens after {at.isoformat()}")


def deadline(start: datetime, duration: timedelta, cal: Calendar) -> datetime:
    """The instant when `duration` of business time has passed since `start` (0 -> start)."""
    _aware(start)
    if duration <= timedelta(0):
        return start
    if cal.always_open:
        return start + duration
    t = start.timestamp()
    remaining = duration.total_seconds()
    day = _local_date(t, cal) - timedelta(days=1)
    for _ in range(MAX_SEARCH_DAYS):
        for s, e in cal.segments(day):
            if e <= t:
                continue
            s = max(s, t)
            if e - s >= remaining:
                return _to_dt(s + remaining, cal)
            remaining -= e - s
        day += timedelta(days=1)
    raise ValueError(f"calendar '{cal.name}': no deadline within {MAX_SEARCH_DAYS} days")


def business_elapsed(start: datetime, end: datetime, cal: Calendar) -> timedelta:
    """Business time between two instants (zero if `end` is not after `start`)."""
    _aware(start)
    _aware(end)
    if end <= start:
        return timedelta(0)
    if cal.always_open:
        return end - start
    t0, t1 = start.timestamp(), end.timestamp()
    day = _local_date(t0, cal) - timedelta(days=1)
    last = _local_date(t1, cal) + timedelta(days=1)
    total = 0.0
    while day <= last:
        for s, e in cal.segments(day):
            lo, hi = max(s, t0), min(e, t1)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return timedelta(seconds=total)


def closed_days_between(first: date, last: date, cal: Calendar) -> list[date]:
    """Closed dates (holidays and extra dates) in a range, for reports."""
    ordered = sorted(cal.closed_dates)
    return ordered[bisect_right(ordered, first - timedelta(days=1)) : bisect_right(ordered, last)]
