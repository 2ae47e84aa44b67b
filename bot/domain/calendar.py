"""Business calendars: when the SLA clock runs, and deadlines counted in business time.

Hours are local wall-clock minutes; the clock itself runs in real (absolute) time. The rule,
which the property tests' oracle checks minute by minute:

    An instant is *open* when the wall clock of the calendar's zone, read at that instant,
    shows a time inside one of that weekday's intervals, on a local date that is not closed.
    Business time is the real time spent open.

So daylight saving time needs no special case; the calendar behaves like a wall clock:

* Spring forward (New York 2026-03-08, 02:00 jumps to 03:00): wall times in the gap never
  show. 01:00-04:00 lasts 2 real hours; an interval opening inside the gap opens at the first
  instant after it (03:00), one closing inside the gap closes at the jump.
* Fall back (New York 2026-11-01, 02:00 falls back to 01:00): the repeated hour shows twice
  and counts each time it is open. 01:00-04:00 lasts 4 real hours and 00:00-06:00 lasts 7.
  A boundary inside the repeated hour applies to both passes (fold 0 and fold 1): 01:30-03:00
  is open 01:30-02:00 (first pass), closed 01:00-01:30 (second pass), open 01:30-03:00.

Closed dates (holidays, extra dates) close whole local dates. A 24/7 calendar ignores hours,
holidays and zone. All functions take and give timezone-aware datetimes; results are in the
calendar's zone. Arithmetic is in integer microseconds since the epoch, so it is exact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

ALWAYS = "24/7"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_MINUTES = 1440

# [start, end) in minutes since local midnight, 0 <= start < end <= 1440 (1440 is 24:00).
Interval = tuple[int, int]

_US = timedelta(microseconds=1)
_MINUTE = 60_000_000
_DAY = 86_400_000_000
# Real time is walked in UTC days, probing the offset once per day: a change inside a day is then
# found by bisection. A change and a change back within one day would go unseen; no tzdb zone
# does that (the closest two offset changes in the whole database are about 4 days apart).
_CHUNK = _DAY
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_HOURS_EXAMPLE = 'e.g. {"mon-fri": "09:00-17:00", "sat": ["10:00-12:00", "13:00-15:00"]}'


@dataclass(frozen=True)
class Calendar:
    """Weekly business hours in a time zone, minus closed dates; or always open (24/7)."""

    name: str
    tz: ZoneInfo
    # Weekday (0 = Monday .. 6 = Sunday) -> sorted, non-overlapping `Interval`s; all 7 keys are
    # present after construction, an empty tuple being a closed weekday.
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict, hash=False)
    # Whole local dates on which the calendar is closed (holidays and extra dates).
    closed_dates: frozenset[date] = frozenset()
    # 24/7: hours and closed dates are ignored.
    always_open: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.tz, tzinfo):
            raise ValueError(f"calendar '{self.name}': tz must be a ZoneInfo, not {self.tz!r}")
        weekly = _check_weekly(self.weekly)
        closed = frozenset(self.closed_dates)
        # A datetime never equals a date, so it would silently close nothing.
        bad = sorted(str(d) for d in closed if isinstance(d, datetime) or not isinstance(d, date))
        if bad:
            raise ValueError(f"calendar '{self.name}': closed dates must be dates, got {bad}")
        object.__setattr__(self, "weekly", MappingProxyType(weekly))
        object.__setattr__(self, "closed_dates", closed)
        if not self.always_open and not any(weekly.values()):
            raise ValueError(f"calendar '{self.name}' has no business hours")

    @classmethod
    def always(cls, name: str = ALWAYS) -> Calendar:
        """A calendar that is always open (24/7, in UTC)."""
        return cls(name=name, tz=ZoneInfo("UTC"), always_open=True)

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
        """Build from config values: hours like `{"mon-fri": "09:00-17:00"}` or `"24/7"`."""
        zone = _zone(tz)
        if isinstance(hours, str):
            if hours.strip().lower() != ALWAYS:
                raise ValueError(
                    f"hours '{hours}' must be '24/7' or a mapping of days to times, "
                    f"{_HOURS_EXAMPLE}"
                )
            return cls(name=name, tz=zone, always_open=True)
        weekly = _parse_weekly(hours)
        closed = set(extra_dates)
        if holiday_country:
            closed |= _holidays(holiday_country, holiday_subdivision, years)
        return cls(name=name, tz=zone, weekly=weekly, closed_dates=frozenset(closed))


def is_open(at: datetime, cal: Calendar) -> bool:
    """True when the business clock runs at `at`."""
    t = _micros(at)
    if cal.always_open:
        return True
    return any(a <= t < b for a, b in _spans(cal, t, until=t + 1))


def next_open(at: datetime, cal: Calendar) -> datetime:
    """`at` itself (in the calendar's zone) if open, else the next instant the calendar opens."""
    t = _micros(at)
    if cal.always_open:
        return _datetime(t, cal)
    for a, b in _spans(cal, t):
        if b > t:
            return _datetime(max(a, t), cal)
    raise AssertionError("unreachable: _spans never ends")


def deadline(start: datetime, duration: timedelta, cal: Calendar) -> datetime:
    """The instant when `duration` of business time has passed since `start` (0: `start`)."""
    t = _micros(start)
    need = duration // _US
    if need < 0:
        raise ValueError(f"a business duration cannot be negative, got {duration}")
    if need == 0 or cal.always_open:
        return _datetime(t + need, cal)
    for a, b in _spans(cal, t):
        a = max(a, t)
        if b <= a:
            continue
        if b - a >= need:
            return _datetime(a + need, cal)
        need -= b - a
    raise AssertionError("unreachable: _spans never ends")


def business_elapsed(start: datetime, end: datetime, cal: Calendar) -> timedelta:
    """Business time between two instants (zero if `end` is not after `start`)."""
    t0, t1 = _micros(start), _micros(end)
    if t1 <= t0:
        return timedelta(0)
    if cal.always_open:
        return timedelta(microseconds=t1 - t0)
    total = 0
    for a, b in _spans(cal, t0, until=t1):
        total += max(0, min(b, t1) - max(a, t0))
    return timedelta(microseconds=total)


# --- open spans in real time ---------------------------------------------------------------


def _spans(cal: Calendar, t: int, until: int | None = None) -> Iterator[tuple[int, int]]:
    """Open [start, end) spans in microseconds, in order, from the chunk holding `t`."""
    lo = t - t % _CHUNK
    offset = _offset(lo, cal)
    # Every run of 7 days holds an open weekday; only closed dates (and a rare weekday whose
    # hours fall in a DST gap) can remove one, so a longer idle stretch means a broken zone.
    limit = ((len(cal.closed_dates) + 3) * 7 + 2) * (_DAY // _CHUNK)
    idle = 0
    while until is None or lo < until:
        hi = lo + _CHUNK
        next_offset = _offset(hi, cal)
        idle += 1
        for span in _chunk_spans(cal, lo, hi, offset, next_offset):
            idle = 0
            yield span
        if idle > limit:
            raise ValueError(f"calendar '{cal.name}' never opens after {_datetime(t, cal)}")
        lo, offset = hi, next_offset


def _chunk_spans(
    cal: Calendar, lo: int, hi: int, first: int, last: int
) -> Iterator[tuple[int, int]]:
    """Open spans within the real interval [lo, hi); the offset is `first` at lo, `last` at hi."""
    for p0, p1, offset in _pieces(cal, lo, hi, first, last):
        # With a constant offset, wall time is real time shifted: intersect in wall time.
        w0, w1 = p0 + offset, p1 + offset
        for day in range(w0 // _DAY, (w1 - 1) // _DAY + 1):
            local = date.fromordinal(day + _EPOCH_ORDINAL)
            if local in cal.closed_dates:
                continue
            base = day * _DAY
            for s, e in cal.weekly[local.weekday()]:
                a, b = max(base + s * _MINUTE, w0), min(base + e * _MINUTE, w1)
                if a < b:
                    yield a - offset, b - offset


def _pieces(cal: Calendar, lo: int, hi: int, first: int, last: int) -> list[tuple[int, int, int]]:
    """[lo, hi) cut where the offset changes, as (start, end, offset) pieces."""
    if first == last:
        return [(lo, hi, first)]
    change = _offset_change(lo, hi, first, cal)
    if change == hi:
        return [(lo, hi, first)]
    # Normally `last` holds from `change` on; recursing also copes with a second change.
    return [(lo, change, first), *_pieces(cal, change, hi, _offset(change, cal), last)]


def _offset_change(lo: int, hi: int, before: int, cal: Calendar) -> int:
    """The first instant in (lo, hi] whose offset differs from `before` (offset(hi) does)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(mid, cal) == before:
            lo = mid
        else:
            hi = mid
    return hi


def _offset(t: int, cal: Calendar) -> int:
    """UTC offset in microseconds at instant `t` (zones change offset on whole seconds)."""
    offset = datetime.fromtimestamp(t // 1_000_000, cal.tz).utcoffset()
    assert offset is not None
    return offset // _US


def _micros(at: datetime) -> int:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"calendar times must be timezone-aware, got naive {at.isoformat()}")
    # Subtracting an aware epoch compares real instants; fold-aware, unlike same-zone math.
    return (at - _EPOCH) // _US


def _datetime(t: int, cal: Calendar) -> datetime:
    return (_EPOCH + timedelta(microseconds=t)).astimezone(cal.tz)


# --- validation and parsing ------------------------------------------------------------------


def _check_weekly(weekly: Mapping[int, Sequence[Interval]]) -> dict[int, tuple[Interval, ...]]:
    if not isinstance(weekly, Mapping):
        raise ValueError(f"weekly must map weekdays 0-6 to intervals, got {weekly!r}")
    unknown = [d for d in weekly if not isinstance(d, int) or isinstance(d, bool) or not 0 <= d < 7]
    if unknown:
        raise ValueError(f"weekly keys must be weekdays 0 (Monday) to 6 (Sunday), got {unknown}")
    result: dict[int, tuple[Interval, ...]] = {}
    for day in range(7):
        spans = tuple(tuple(span) for span in weekly.get(day, ()))
        for span in spans:
            if (
                len(span) != 2
                or not all(isinstance(m, int) and not isinstance(m, bool) for m in span)
                or not 0 <= span[0] < span[1] <= DAY_MINUTES
            ):
                raise ValueError(
                    f"{WEEKDAYS[day]}: interval {span!r} must be (start, end) minutes since "
                    f"midnight with 0 <= start < end <= {DAY_MINUTES}"
                )
        for (s1, e1), (s2, e2) in pairwise(spans):
            if s2 < e1:
                raise ValueError(
                    f"{WEEKDAYS[day]}: intervals {_hm(s1)}-{_hm(e1)} and {_hm(s2)}-{_hm(e2)} "
                    "must be sorted and must not overlap"
                )
        result[day] = tuple((s, e) for s, e in spans)
    return result


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone '{name}' (use an IANA name such as Europe/Berlin or UTC)"
        ) from None


def _holidays(country: str, subdivision: str | None, years: range) -> set[date]:
    code = country.strip().upper()
    subdiv = subdivision.strip() if subdivision else None
    try:
        found = holidays_lib.country_holidays(code, subdiv=subdiv, years=years)
    except NotImplementedError:
        supported = holidays_lib.list_supported_countries()
        if code not in supported:
            raise ValueError(
                f"unknown holiday country '{country}' (use an ISO code such as US, DE or GB)"
            ) from None
        known = ", ".join(supported[code]) or "none"
        raise ValueError(
            f"unknown holiday subdivision '{subdivision}' for {code} (known: {known})"
        ) from None
    return set(found)


def _parse_weekly(hours: Mapping[str, str | list[str]]) -> dict[int, tuple[Interval, ...]]:
    if not isinstance(hours, Mapping) or not hours:
        raise ValueError(f"hours must map days to times, {_HOURS_EXAMPLE}")
    weekly: dict[int, list[Interval]] = {}
    for key, value in hours.items():
        days = _parse_days(key)
        given = [value] if isinstance(value, str) else value
        if not isinstance(given, list | tuple) or not given:
            raise ValueError(
                f"hours for '{key}' must be a time range like 09:00-17:00 or a list of them"
            )
        for span in given:
            interval = _parse_span(key, span)
            for day in days:
                weekly.setdefault(day, []).append(interval)
    result: dict[int, tuple[Interval, ...]] = {}
    for day, spans in sorted(weekly.items()):
        spans.sort()
        for (s1, e1), (s2, e2) in pairwise(spans):
            if s2 < e1:
                raise ValueError(
                    f"hours overlap on {WEEKDAYS[day]}: {_hm(s1)}-{_hm(e1)} and {_hm(s2)}-{_hm(e2)}"
                )
        result[day] = tuple(spans)
    return result


def _parse_days(key: object) -> list[int]:
    """`mon`, `monday`, `mon-fri` (wrapping like `fri-mon` is allowed) or `mon,wed,fri`."""
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"'{key}' is not a day or day range (use mon..sun, e.g. mon-fri)")
    days: list[int] = []
    for part in key.lower().split(","):
        ends = [_day(key, name) for name in part.split("-")]
        if len(ends) == 1:
            days.append(ends[0])
        elif len(ends) == 2:
            first, last = ends
            days.extend((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            raise ValueError(f"'{key}' is not a day or day range (use mon..sun, e.g. mon-fri)")
    return sorted(set(days))


def _day(key: str, name: str) -> int:
    name = name.strip()
    for index, full in enumerate(_DAY_NAMES):
        if len(name) >= 3 and full.startswith(name):
            return index
    raise ValueError(
        f"'{key}': '{name}' is not a day (use mon, tue, wed, thu, fri, sat, sun or a range like "
        "mon-fri)"
    )


_SPAN = re.compile(r"(\d{1,2}):(\d{2})\s*[-\u2013]\s*(\d{1,2}):(\d{2})")


def _parse_span(key: str, text: object) -> Interval:
    match = _SPAN.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(
            f"hours for '{key}': '{text}' is not a time range (use HH:MM-HH:MM, e.g. 09:00-17:00)"
        )
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError(
            f"hours for '{key}': '{text}' has an impossible time (00:00 to 23:59; 24:00 may end)"
        )
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise ValueError(
            f"hours for '{key}': '{text}' ends before it starts (for overnight hours, split at "
            "midnight: mon: 22:00-24:00, tue: 00:00-06:00)"
        )
    return (start, end)


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
