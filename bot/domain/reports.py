"""Report arithmetic: periods and their weeks in the team's time zone, percentiles, SLA
attainment tables, CSAT tallies and the change from the period before. Pure: the store counts
rows, this module adds them up; nothing here reads the time or the database.

Definitions (the README's "Reports" section says the same to users):

* A clock run counts in the period in which it was decided: *met* when it stopped in time
  (`stopped_at` in the period), *missed* when it breached (`breached_at` in the period, stopped
  or still running). So a run is counted once, and a past month's figures only change when a
  clock of it is still undecided.
* Attainment is met / (met + missed); with no decided clock there is none (not 0 % or 100 %).
* Response times are those of the first-response and resolution clock runs that stopped in
  the period: business time as the SLA counts it, wall time from start to stop.
* Percentiles interpolate linearly between the two nearest ranks (PostgreSQL's
  `percentile_cont`, numpy's default, `statistics.quantiles(method="inclusive")`).
* Tickets closed as duplicates or noise are not requests: they count in no figure.
* Tier and priority are the ticket's and account's as they are now.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.durations import format_duration, parse_duration
from bot.domain.policy import ClockKind

# Tickets closed as these are not requests: no report figure counts them.
EXCLUDED_RESOLUTIONS: tuple[str, ...] = ("duplicate", "noise")

# The percentiles reported for response times.
MEDIAN = 50
P90 = 90
PERCENTS: tuple[int, ...] = (MEDIAN, P90)

# Clock kinds whose times are reported (next response has attainment, not times).
TIMED_CLOCKS: tuple[str, ...] = (ClockKind.FIRST_RESPONSE.value, ClockKind.RESOLUTION.value)
CLOCK_ORDER: tuple[str, ...] = tuple(k.value for k in ClockKind)

# Upper edges (business seconds) of the first-response distribution's bins; one more bin
# holds everything from the last edge up.
FIRST_RESPONSE_EDGES: tuple[float, ...] = tuple(
    float(s) for s in (300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 172_800)
)

# A `--since` longer than this is more likely a typo than a question (and years of weeks
# make no readable table).
LONGEST_SINCE = timedelta(days=3660)

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_EXAMPLE_MONTH = "like 2026-11"


# ---- periods ------------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    """An IANA time zone by name; ValueError with a sentence if there is none such."""
    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"unknown time zone '{name}' (use an IANA name such as Europe/Berlin or UTC)"
        ) from None


class PeriodKind(StrEnum):
    """A calendar month, or the days up to now (`--since 30d`)."""

    MONTH = "month"
    SINCE = "since"


@dataclass(frozen=True)
class Week:
    """One week of a period (Monday to Monday in the team's zone, cut to the period)."""

    index: int
    start: datetime
    end: datetime
    label: str  # the ISO week of its first day, e.g. 2026-W45


@dataclass(frozen=True)
class Period:
    """[start, end) in real time, read in a time zone: what a report covers."""

    kind: PeriodKind
    start: datetime
    end: datetime
    tz: ZoneInfo

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period needs aware datetimes")
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    @property
    def label(self) -> str:
        """`2026-11` for a month, else its first and last local dates."""
        first = self.start.astimezone(self.tz)
        if self.kind is PeriodKind.MONTH:
            return f"{first.year:04d}-{first.month:02d}"
        last = (self.end - timedelta(microseconds=1)).astimezone(self.tz)
        return f"{first.date().isoformat()} to {last.date().isoformat()}"

    @property
    def length(self) -> timedelta:
        """How long the period lasts in real time."""
        return self.end - self.start

    def previous(self) -> Period:
        """The period before, to compare with: the month before, or as many days before."""
        if self.kind is PeriodKind.MONTH:
            first = self.start.astimezone(self.tz)
            year, month = (first.year, first.month - 1) if first.month > 1 else (first.year - 1, 12)
            return month_period(year, month, self.tz)
        return Period(self.kind, self.start - self.length, self.start, self.tz)

    def weeks(self) -> tuple[Week, ...]:
        """Its weeks, Monday 00:00 to Monday 00:00 local time, the first and last cut to it."""
        first = self.start.astimezone(self.tz).date()
        monday = first - timedelta(days=first.weekday())
        weeks: list[Week] = []
        while True:
            start = max(_local_midnight(monday, self.tz), self.start)
            end = min(_local_midnight(monday + timedelta(days=7), self.tz), self.end)
            if start >= self.end:
                break
            iso = max(monday, first).isocalendar()
            weeks.append(Week(len(weeks), start, end, f"{iso.year}-W{iso.week:02d}"))
            monday += timedelta(days=7)
        return tuple(weeks)

    def contains(self, at: datetime) -> bool:
        """Whether `at` falls in [start, end)."""
        return self.start <= at < self.end


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def month_period(year: int, month: int, tz: ZoneInfo) -> Period:
    """A calendar month in `tz`."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not between 1 and 12")
    after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(
        PeriodKind.MONTH, _local_midnight(date(year, month, 1), tz), _local_midnight(after, tz), tz
    )


def parse_month(text: str, tz: ZoneInfo) -> Period:
    """`YYYY-MM` as a month in `tz`; ValueError with one sentence saying what is wrong."""
    cleaned = str(text).strip()
    match = _MONTH.fullmatch(cleaned)
    if not match:
        raise ValueError(f"'{text}' is not a month: give it as YYYY-MM, {_EXAMPLE_MONTH}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(
            f"'{text}' is not a month (months run from 01 to 12): "
            f"give it as YYYY-MM, {_EXAMPLE_MONTH}"
        )
    if year < 1970:
        raise ValueError(f"'{text}' is before 1970: give a month the desk could have data for")
    return month_period(year, month, tz)


def current_month(now: datetime, tz: ZoneInfo) -> Period:
    """The month `now` falls in, in `tz` (a report of it is a month to date)."""
    local = now.astimezone(tz)
    return month_period(local.year, local.month, tz)


def parse_since(text: str, now: datetime, tz: ZoneInfo) -> Period:
    """`30d`, `2w`, `12h`...: the period from that long ago up to `now`."""
    try:
        length = parse_duration(str(text))
    except ValueError as exc:
        raise ValueError(f"--since {exc}") from None
    if length > LONGEST_SINCE:
        raise ValueError(
            f"--since '{text}' is longer than {LONGEST_SINCE.days}d; use --month for old months"
        )
    return Period(PeriodKind.SINCE, now - length, now, tz)


def choose_period(
    now: datetime, tz: ZoneInfo, *, month: str | None = None, since: str | None = None
) -> Period:
    """The period asked for: a month `YYYY-MM`, the last `since` (`30d`), else this month so
    far. ValueError with one sentence on a bad month or duration, or both given."""
    if month is not None and since is not None:
        raise ValueError("give a month or a --since duration, not both")
    if month is not None:
        return parse_month(month, tz)
    if since is not None:
        return parse_since(since, now, tz)
    return current_month(now, tz)


def parse_instant(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """A start time as people give it: `30d` (ago), `2026-11-01` (local midnight) or an ISO
    date-time (local time if it has no offset). ValueError with one sentence otherwise."""
    cleaned = str(text).strip()
    try:
        return now - parse_duration(cleaned)
    except ValueError as exc:
        # `0d`, `3 days`: meant as a duration (dates and times have a dash), so say why not.
        if cleaned[:1].isdigit() and cleaned[-1:].isalpha() and "-" not in cleaned:
            raise ValueError(str(exc)) from None
    except OverflowError:
        raise ValueError(f"'{text}' reaches back too far") from None
    try:
        day = date.fromisoformat(cleaned)
    except ValueError:
        pass
    else:
        return _local_midnight(day, tz)
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(
            f"'{text}' is neither a duration (like 30d or 12h), a date (like 2026-11-01)"
            " nor a date and time (like 2026-11-01T09:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


# ---- percentiles --------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranks:
    """Where the `percent`-th percentile of `n` sorted values lies: between the values at the
    0-based ranks `low` and `high`, `weight` of the way from the first to the second."""

    low: int
    high: int
    weight: float


def ranks(n: int, percent: int) -> Ranks:
    """The ranks a percentile of `n` values interpolates between (exact integer arithmetic)."""
    if n < 1:
        raise ValueError("no percentile of no values")
    if not 0 <= percent <= 100:
        raise ValueError(f"percent {percent} is not between 0 and 100")
    position = (n - 1) * percent
    low, rest = divmod(position, 100)
    return Ranks(low, low + 1 if rest else low, rest / 100)


def interpolate(at: Ranks, low_value: float, high_value: float) -> float:
    """The percentile from the values at its two ranks."""
    if at.weight == 0:
        return low_value
    return low_value + (high_value - low_value) * at.weight


def percentile(values: Sequence[float], percent: int) -> float | None:
    """The `percent`-th percentile of `values` (any order); None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    at = ranks(len(ordered), percent)
    return interpolate(at, ordered[at.low], ordered[at.high])


def percentile_at(values_at: Mapping[int, float], n: int, percent: int) -> float | None:
    """A percentile of `n` values from only those at the ranks it needs (as the store sends
    them); None when there are no values."""
    if n < 1:
        return None
    at = ranks(n, percent)
    return interpolate(at, values_at[at.low], values_at[at.high])


def ranks_needed(n: int, percents: Iterable[int] = PERCENTS) -> frozenset[int]:
    """Every 0-based rank the percentiles of `n` values read."""
    if n < 1:
        return frozenset()
    return frozenset(r for p in percents for r in (ranks(n, p).low, ranks(n, p).high))


# ---- attainment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Clock runs decided: how many met their target and how many missed it."""

    met: int = 0
    missed: int = 0

    def __post_init__(self) -> None:
        if self.met < 0 or self.missed < 0:
            raise ValueError("a tally cannot be negative")

    @property
    def total(self) -> int:
        """Runs decided."""
        return self.met + self.missed

    @property
    def attainment(self) -> float | None:
        """Share met, 0..1; None when nothing was decided."""
        return self.met / self.total if self.total else None

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.met + other.met, self.missed + other.missed)


@dataclass(frozen=True, order=True)
class Cell:
    """One line of the attainment table: a tier, a priority, a clock kind, a week."""

    tier: str
    priority: str
    clock: str
    week: int = 0


@dataclass(frozen=True)
class AttainmentTable:
    """Decided clock runs by tier × priority × clock × week; any slice adds up."""

    cells: Mapping[Cell, Tally] = field(default_factory=dict)

    @classmethod
    def from_counts(cls, counts: Iterable[tuple[Cell, Tally]]) -> AttainmentTable:
        """A table from counts as the store gives them (a cell may come more than once)."""
        cells: dict[Cell, Tally] = {}
        for cell, tally in counts:
            cells[cell] = cells.get(cell, Tally()) + tally
        return cls(dict(sorted(cells.items())))

    def tally(
        self,
        *,
        tier: str | None = None,
        priority: str | None = None,
        clock: str | None = None,
        week: int | None = None,
    ) -> Tally:
        """The sum over every cell matching what is given (None: any)."""
        total = Tally()
        for cell, tally in self.cells.items():
            if (
                (tier is None or cell.tier == tier)
                and (priority is None or cell.priority == priority)
                and (clock is None or cell.clock == clock)
                and (week is None or cell.week == week)
            ):
                total += tally
        return total

    def tiers(self) -> tuple[str, ...]:
        """Tiers with a decided clock run, alphabetically."""
        return tuple(sorted({c.tier for c in self.cells}))

    def lines(self) -> tuple[tuple[str, str, str], ...]:
        """Every (tier, priority, clock) with a decided run, clocks in their usual order."""
        keys = {(c.tier, c.priority, c.clock) for c in self.cells}
        return tuple(sorted(keys, key=lambda k: (k[0], k[1], _clock_rank(k[2]))))


def _clock_rank(clock: str) -> int:
    return CLOCK_ORDER.index(clock) if clock in CLOCK_ORDER else len(CLOCK_ORDER)


def ordered_tiers(configured: Sequence[str], seen: Iterable[str]) -> tuple[str, ...]:
    """Configured tiers in their order, then any other tier with data, alphabetically."""
    known = list(dict.fromkeys(configured))
    return tuple(known + sorted(set(seen) - set(known)))


# ---- response times, distribution, CSAT, volume -------------------------------------------


@dataclass(frozen=True)
class TimeStats:
    """Median and p90 of one clock kind's runs (seconds), for one tier or all (`tier` None)."""

    clock: str
    tier: str | None
    count: int
    business_median: float | None
    business_p90: float | None
    wall_median: float | None
    wall_p90: float | None


@dataclass(frozen=True)
class Histogram:
    """How many values fell in each bin: below the first edge, between edges, above the last."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.counts) != len(self.edges) + 1:
            raise ValueError("a histogram has one more bin than edges")

    @classmethod
    def empty(cls, edges: tuple[float, ...] = FIRST_RESPONSE_EDGES) -> Histogram:
        """No values yet."""
        return cls(edges, (0,) * (len(edges) + 1))

    @classmethod
    def from_bins(
        cls, bins: Iterable[tuple[int, int]], edges: tuple[float, ...] = FIRST_RESPONSE_EDGES
    ) -> Histogram:
        """From (bin index, count) pairs as the store counts them."""
        counts = [0] * (len(edges) + 1)
        for index, count in bins:
            counts[index] += count
        return cls(edges, tuple(counts))

    @property
    def total(self) -> int:
        """Values counted."""
        return sum(self.counts)

    @property
    def labels(self) -> tuple[str, ...]:
        """`< 5m`, `5m-15m`, ..., `>= 2d`."""
        shown = [format_duration(timedelta(seconds=e)) for e in self.edges]
        if not shown:
            return ("all",)
        middle = [f"{a}-{b}" for a, b in zip(shown, shown[1:], strict=False)]
        return (f"< {shown[0]}", *middle, f">= {shown[-1]}")


def bin_index(value: float, edges: Sequence[float] = FIRST_RESPONSE_EDGES) -> int:
    """The histogram bin of a value: values equal to an edge go to the bin above it."""
    return bisect_right(edges, value)


@dataclass(frozen=True)
class CsatTally:
    """Surveys asked, how many got an answer, and the answers' scores."""

    surveys: int = 0
    answered: int = 0
    answers: int = 0
    score_sum: int = 0

    @property
    def average(self) -> float | None:
        """Mean score of the answers (1-5); None without answers."""
        return self.score_sum / self.answers if self.answers else None

    @property
    def response_rate(self) -> float | None:
        """Share of surveys answered, 0..1; None when none was asked."""
        return self.answered / self.surveys if self.surveys else None

    def __add__(self, other: CsatTally) -> CsatTally:
        return CsatTally(
            self.surveys + other.surveys,
            self.answered + other.answered,
            self.answers + other.answers,
            self.score_sum + other.score_sum,
        )


@dataclass(frozen=True)
class AccountVolume:
    """One account's tickets opened and clock runs breached in the period."""

    account_id: int
    name: str
    tier: str
    opened: int
    breaches: int


# ---- a period's figures and the change from the one before ------------------------------


@dataclass(frozen=True)
class Figures:
    """Everything measured over one period."""

    period: Period
    weeks: tuple[Week, ...]
    attainment: AttainmentTable
    times: tuple[TimeStats, ...]
    first_response: Histogram
    csat: Mapping[str, CsatTally]  # by tier
    accounts: tuple[AccountVolume, ...]  # most tickets first

    @property
    def tickets_opened(self) -> int:
        """Tickets opened in the period (duplicates and noise left out)."""
        return sum(a.opened for a in self.accounts)

    @property
    def breaches(self) -> int:
        """Clock runs that breached in the period."""
        return self.attainment.tally().missed

    @property
    def csat_total(self) -> CsatTally:
        """CSAT over every tier."""
        total = CsatTally()
        for tally in self.csat.values():
            total += tally
        return total

    def time(self, clock: str, tier: str | None = None) -> TimeStats | None:
        """The response times of one clock kind, for one tier or all."""
        return next((t for t in self.times if t.clock == clock and t.tier == tier), None)

    @property
    def is_empty(self) -> bool:
        """Nothing at all happened in the period."""
        return (
            not self.attainment.cells
            and not self.accounts
            and not self.csat_total.surveys
            and self.first_response.total == 0
        )


@dataclass(frozen=True)
class Delta:
    """A figure now and in the period before."""

    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """Current minus previous (None unless both are known)."""
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def relative(self) -> float | None:
        """The change as a share of the previous value (None from zero or unknown)."""
        change = self.change
        if change is None or not self.previous:
            return None
        return change / self.previous


@dataclass(frozen=True)
class Comparison:
    """Month over month (or period over period): the headline figures, now and before."""

    attainment: Delta
    attainment_by_tier: tuple[tuple[str, Delta], ...]
    tickets_opened: Delta
    breaches: Delta
    csat_average: Delta
    csat_response_rate: Delta
    first_response_median: Delta  # business seconds
    resolution_median: Delta  # business seconds


def compare(current: Figures, previous: Figures, tiers: Sequence[str]) -> Comparison:
    """The headline figures of two periods side by side."""

    def median(figures: Figures, clock: str) -> float | None:
        stats = figures.time(clock)
        return stats.business_median if stats else None

    return Comparison(
        attainment=Delta(
            current.attainment.tally().attainment, previous.attainment.tally().attainment
        ),
        attainment_by_tier=tuple(
            (
                tier,
                Delta(
                    current.attainment.tally(tier=tier).attainment,
                    previous.attainment.tally(tier=tier).attainment,
                ),
            )
            for tier in tiers
        ),
        tickets_opened=Delta(current.tickets_opened, previous.tickets_opened),
        breaches=Delta(current.breaches, previous.breaches),
        csat_average=Delta(current.csat_total.average, previous.csat_total.average),
        csat_response_rate=Delta(
            current.csat_total.response_rate, previous.csat_total.response_rate
        ),
        first_response_median=Delta(
            median(current, ClockKind.FIRST_RESPONSE), median(previous, ClockKind.FIRST_RESPONSE)
        ),
        resolution_median=Delta(
            median(current, ClockKind.RESOLUTION), median(previous, ClockKind.RESOLUTION)
        ),
    )


@dataclass(frozen=True)
class Report:
    """A period's figures, the period before's, and what changed: what every view renders."""

    generated_at: datetime
    team_id: str | None  # None: every workspace
    tiers: tuple[str, ...]  # configured tiers in order, then any other tier with data
    current: Figures
    previous: Figures

    @property
    def period(self) -> Period:
        """The period reported on."""
        return self.current.period

    @property
    def weeks(self) -> tuple[Week, ...]:
        """The period's weeks."""
        return self.current.weeks

    @property
    def change(self) -> Comparison:
        """The headline figures against the period before."""
        return compare(self.current, self.previous, self.tiers)

    @property
    def is_empty(self) -> bool:
        """No data in the period."""
        return self.current.is_empty
