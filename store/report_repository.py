"""The report's SQL: counts and ranks aggregated in the database over indexed time ranges.

Every statement reads one time range of one table (clock runs by `stopped_at` or
`breached_at`, tickets by `opened_at`, surveys by `asked_at`) joined to the ticket and account
by primary key, and groups in SQL, so what comes back is a few hundred rows whatever the
number of tickets. Weeks are the team's local weeks: their boundaries are computed in Python
(time zones and daylight saving time stay out of SQL) and bucketed with one CASE. Percentiles
are PostgreSQL's `percentile_cont`; on SQLite, which has none, only the rows at the ranks they
interpolate between come back (window functions), never every value. Arithmetic on what comes
back is `bot.domain.reports`'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.policy import ClockKind
from bot.domain.reports import (
    EXCLUDED_RESOLUTIONS,
    FIRST_RESPONSE_EDGES,
    MEDIAN,
    P90,
    TIMED_CLOCKS,
    AccountVolume,
    Cell,
    CsatTally,
    Histogram,
    Tally,
    TimeStats,
    percentile_at,
    ranks_needed,
)
from store.models import Account, CsatAnswer, CsatSurvey, SlaClock, Ticket

MET = "met"

# Times are given to the millisecond: digits below that are the engines' date and float
# arithmetic (julianday, interpolation), and would differ between engines.
TIME_DIGITS = 3


def _ms(value: float | None) -> float | None:
    return None if value is None else round(float(value), TIME_DIGITS)


def counts_as_request() -> ColumnElement[bool]:
    """The ticket is a request (not closed as a duplicate or noise)."""
    return or_(
        Ticket.resolution_kind.is_(None), Ticket.resolution_kind.not_in(EXCLUDED_RESOLUTIONS)
    )


def _bucket(column: Any, boundaries: Sequence[datetime]) -> ColumnElement[int]:
    """Which week a time falls in: the index of the last boundary at or before it (the rows
    are already inside the period, so the first week needs no test)."""
    if len(boundaries) <= 1:
        return literal(0)
    return case(
        *((column < boundary, index) for index, boundary in enumerate(boundaries[1:])),
        else_=len(boundaries) - 1,
    )


def _wall_seconds(conn: AsyncConnection) -> ColumnElement[float]:
    """Seconds from a clock run's start to its stop, in the engine's own date arithmetic."""
    if conn.dialect.name == "postgresql":
        return cast(extract("epoch", SlaClock.stopped_at - SlaClock.started_at), Float)
    return (func.julianday(SlaClock.stopped_at) - func.julianday(SlaClock.started_at)) * 86400.0


@dataclass(frozen=True)
class Stopped:
    """What one pass over the clock runs stopped in a range finds."""

    met: list[tuple[Cell, Tally]]
    first_response: Histogram
    samples: dict[tuple[str, str], int]  # (clock, tier) -> runs with a business time


@dataclass(frozen=True)
class AccountCounts:
    """One account's clock runs met and missed, and its ratings, in a range."""

    met: int = 0
    missed: int = 0
    answers: int = 0
    score_sum: int = 0

    @property
    def csat_average(self) -> float | None:
        """Mean rating, None without ratings."""
        return self.score_sum / self.answers if self.answers else None


@dataclass(frozen=True)
class Range:
    """[start, end) and, optionally, one workspace."""

    start: datetime
    end: datetime
    team_id: str | None = None


class ReportRepository:
    """Read-only report statements on one connection (one snapshot: `Database.snapshot`)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def stopped(self, where: Range, week_starts: Sequence[datetime]) -> Stopped:
        """Clock runs stopped in the range, in one pass: those met by tier × priority × clock
        × week, the first-response distribution, and how many runs each (clock, tier) has for
        the response times."""
        value = SlaClock.business_seconds
        edges = FIRST_RESPONSE_EDGES
        bin_ = case(
            (value.is_(None), None),
            *((value < edge, index) for index, edge in enumerate(edges)),
            else_=len(edges),
        ).label("bin")
        week = _bucket(SlaClock.stopped_at, week_starts).label("week")
        keys = (Account.tier, Ticket.priority, SlaClock.kind, week, SlaClock.outcome, bin_)
        stmt = (
            select(*keys, func.count())
            .select_from(SlaClock)
            .join(Ticket, Ticket.id == SlaClock.ticket_id)
            .join(Account, Account.id == SlaClock.account_id)
            .where(
                SlaClock.stopped_at >= where.start,
                SlaClock.stopped_at < where.end,
                SlaClock.outcome.is_not(None),
                counts_as_request(),
                *_team(SlaClock.team_id, where),
            )
            .group_by(*keys)
        )
        met: list[tuple[Cell, Tally]] = []
        bins: list[tuple[int, int]] = []
        samples: dict[tuple[str, str], int] = {}
        for tier, priority, kind, week_index, outcome, bin_index, n in await self.conn.execute(
            stmt
        ):
            if outcome == MET:
                met.append((Cell(tier, priority, kind, int(week_index)), Tally(met=int(n))))
            if bin_index is None:
                continue  # no business time recorded: no response time either
            if kind == ClockKind.FIRST_RESPONSE.value:
                bins.append((int(bin_index), int(n)))
            if kind in TIMED_CLOCKS:
                samples[(kind, tier)] = samples.get((kind, tier), 0) + int(n)
        return Stopped(met, Histogram.from_bins(bins, edges), samples)

    async def missed(
        self, where: Range, week_starts: Sequence[datetime]
    ) -> list[tuple[Cell, Tally]]:
        """Clock runs that breached in the range (stopped since or not, unless a later change
        of target made them met) by tier × priority × clock × week."""
        week = _bucket(SlaClock.breached_at, week_starts).label("week")
        keys = (Account.tier, Ticket.priority, SlaClock.kind, week)
        stmt = (
            select(*keys, func.count())
            .select_from(SlaClock)
            .join(Ticket, Ticket.id == SlaClock.ticket_id)
            .join(Account, Account.id == SlaClock.account_id)
            .where(
                SlaClock.breached_at >= where.start,
                SlaClock.breached_at < where.end,
                or_(SlaClock.outcome.is_(None), SlaClock.outcome != MET),
                counts_as_request(),
                *_team(SlaClock.team_id, where),
            )
            .group_by(*keys)
        )
        return [
            (Cell(tier, priority, kind, int(week_index)), Tally(missed=int(n)))
            for tier, priority, kind, week_index, n in await self.conn.execute(stmt)
        ]

    async def breaches_by_account(self, where: Range) -> dict[int, int]:
        """Clock runs missed in the range, by account."""
        stmt = (
            select(SlaClock.account_id, func.count())
            .select_from(SlaClock)
            .join(Ticket, Ticket.id == SlaClock.ticket_id)
            .where(
                SlaClock.breached_at >= where.start,
                SlaClock.breached_at < where.end,
                or_(SlaClock.outcome.is_(None), SlaClock.outcome != MET),
                counts_as_request(),
                *_team(SlaClock.team_id, where),
            )
            .group_by(SlaClock.account_id)
        )
        return {account: n for account, n in await self.conn.execute(stmt)}

    async def volume(self, where: Range) -> list[AccountVolume]:
        """Tickets opened in the range by account, with the account's breaches in it; the
        busiest first."""
        stmt = (
            select(Account.id, Account.name, Account.tier, func.count())
            .select_from(Ticket)
            .join(Account, Account.id == Ticket.account_id)
            .where(
                Ticket.opened_at >= where.start,
                Ticket.opened_at < where.end,
                counts_as_request(),
                *_team(Ticket.team_id, where),
            )
            .group_by(Account.id, Account.name, Account.tier)
        )
        opened: dict[int, tuple[int, str, str, int]] = {
            account_id: (account_id, name, tier, int(n))
            for account_id, name, tier, n in await self.conn.execute(stmt)
        }
        breaches = await self.breaches_by_account(where)
        missing = set(breaches) - set(opened)
        if missing:  # breached on tickets opened before the range
            rows = await self.conn.execute(
                select(Account.id, Account.name, Account.tier).where(Account.id.in_(missing))
            )
            for account_id, name, tier in rows:
                opened[account_id] = (account_id, name, tier, 0)
        volumes = [
            AccountVolume(account_id, name, tier, int(n), breaches.get(account_id, 0))
            for account_id, name, tier, n in opened.values()
        ]
        return sorted(
            volumes, key=lambda v: (-v.opened, -v.breaches, v.name.casefold(), v.account_id)
        )

    async def times(
        self,
        where: Range,
        counts: Mapping[tuple[str, str], int],
        *,
        by_tier: bool = True,
        wall: bool = True,
    ) -> list[TimeStats]:
        """Median and p90 of first-response and resolution runs stopped in the range, business
        and (`wall`) wall time, over all tiers and (`by_tier`) per tier; `counts`: how many
        runs each (clock, tier) has (`Stopped.samples`).

        Two sorts in all, one per measure: a running count per tier over the same window as
        the overall one gives each row its rank within its tier too, so the per-tier ranks need
        no sort of their own. Only the rows at the ranks the percentiles read come back.
        PostgreSQL computes the same percentiles itself (`percentile_cont`), faster.
        """
        samples = self._samples(where)
        if not counts:
            return []
        if self.conn.dialect.name == "postgresql":
            return await self._times_postgres(samples, by_tier=by_tier, wall=wall)
        overall: dict[str, int] = {}
        for (kind, _tier), n in counts.items():
            overall[kind] = overall.get(kind, 0) + n
        tiers = sorted({tier for _kind, tier in counts}) if by_tier else []
        values: dict[tuple[str, str, str | None], dict[int, float]] = {}
        for measure in ("b", "w") if wall else ("b",):
            value = samples.c[measure]
            window: dict[str, Any] = {
                "partition_by": samples.c.kind,
                "order_by": value,
                "rows": (None, 0),
            }
            ranked = select(
                samples.c.kind,
                samples.c.tier,
                value.label("v"),
                func.count().over(**window).label("r"),
                *(
                    func.count(case((samples.c.tier == tier, literal_column("1"))))
                    .over(**window)
                    .label(f"r{index}")
                    for index, tier in enumerate(tiers)
                ),
            ).subquery("ranked")
            wanted = [
                and_(ranked.c.kind == kind, ranked.c.r.in_([r + 1 for r in ranks_needed(n)]))
                for kind, n in overall.items()
            ]
            wanted += [
                and_(
                    ranked.c.kind == kind,
                    ranked.c.tier == tier,
                    ranked.c[f"r{tiers.index(tier)}"].in_([r + 1 for r in ranks_needed(n)]),
                )
                for (kind, tier), n in counts.items()
                if by_tier
            ]
            for row in await self.conn.execute(select(ranked).where(or_(*wanted))):
                kind, tier = row.kind, row.tier
                number = float(row.v)
                if int(row.r) - 1 in ranks_needed(overall[kind]):
                    values.setdefault((measure, kind, None), {})[int(row.r) - 1] = number
                if by_tier:
                    rank = int(row._mapping[f"r{tiers.index(tier)}"]) - 1
                    if rank in ranks_needed(counts[(kind, tier)]):
                        values.setdefault((measure, kind, tier), {})[rank] = number
        partitions: list[tuple[str, str | None, int]] = [(k, None, n) for k, n in overall.items()]
        partitions += [(k, t, n) for (k, t), n in counts.items() if by_tier]
        return [
            _stats(
                kind, tier, n, values.get(("b", kind, tier), {}), values.get(("w", kind, tier), {})
            )
            for kind, tier, n in sorted(partitions, key=lambda p: (p[0], p[1] or ""))
        ]

    async def _times_postgres(self, samples: Any, *, by_tier: bool, wall: bool) -> list[TimeStats]:
        """`times` with PostgreSQL's `percentile_cont` (the same linear interpolation), per tier
        and over all tiers in one statement (grouping sets)."""
        fractions = array([p / 100 for p in (MEDIAN, P90)])
        business = func.percentile_cont(fractions).within_group(samples.c.b)
        walls = func.percentile_cont(fractions).within_group(samples.c.w) if wall else null()
        everywhere = func.grouping(samples.c.tier)
        groups = (
            func.grouping_sets(tuple_(samples.c.kind, samples.c.tier), tuple_(samples.c.kind))
            if by_tier
            else samples.c.kind
        )
        stmt = select(
            samples.c.kind,
            samples.c.tier if by_tier else null(),
            everywhere if by_tier else literal_column("1"),
            func.count(),
            business,
            walls,
        ).group_by(groups)
        stats = []
        for kind, tier, overall, n, b, w in await self.conn.execute(stmt):
            w = w if w is not None else [None, None]
            stats.append(
                TimeStats(
                    clock=kind,
                    tier=None if overall else tier,
                    count=int(n),
                    business_median=_ms(b[0]),
                    business_p90=_ms(b[1]),
                    wall_median=_ms(w[0]),
                    wall_p90=_ms(w[1]),
                )
            )
        return sorted(stats, key=lambda t: (t.clock, t.tier or ""))

    def _samples(self, where: Range) -> Any:
        """First-response and resolution runs stopped in the range: kind, tier, business and
        wall seconds."""
        return (
            select(
                SlaClock.kind.label("kind"),
                Account.tier.label("tier"),
                SlaClock.business_seconds.label("b"),
                _wall_seconds(self.conn).label("w"),
            )
            .select_from(SlaClock)
            .join(Ticket, Ticket.id == SlaClock.ticket_id)
            .join(Account, Account.id == SlaClock.account_id)
            .where(
                SlaClock.kind.in_(TIMED_CLOCKS),
                SlaClock.stopped_at >= where.start,
                SlaClock.stopped_at < where.end,
                SlaClock.outcome.is_not(None),
                SlaClock.business_seconds.is_not(None),
                counts_as_request(),
                *_team(SlaClock.team_id, where),
            )
            .subquery("samples")
        )

    async def account_health(self, where: Range) -> dict[int, AccountCounts]:
        """By account: clock runs met (stopped in time) and missed (breached) in the range,
        and the ratings given on surveys asked in it."""
        met = (
            select(SlaClock.account_id, func.count())
            .select_from(SlaClock)
            .join(Ticket, Ticket.id == SlaClock.ticket_id)
            .where(
                SlaClock.stopped_at >= where.start,
                SlaClock.stopped_at < where.end,
                SlaClock.outcome == MET,
                counts_as_request(),
                *_team(SlaClock.team_id, where),
            )
            .group_by(SlaClock.account_id)
        )
        rated = (
            select(CsatSurvey.account_id, func.count(CsatAnswer.id), func.sum(CsatAnswer.score))
            .select_from(CsatSurvey)
            .join(CsatAnswer, CsatAnswer.survey_id == CsatSurvey.id)
            .join(Ticket, Ticket.id == CsatSurvey.ticket_id)
            .where(
                CsatSurvey.asked_at >= where.start,
                CsatSurvey.asked_at < where.end,
                counts_as_request(),
                *_team(CsatSurvey.team_id, where),
            )
            .group_by(CsatSurvey.account_id)
        )
        counts: dict[int, AccountCounts] = {}
        for account_id, n in await self.conn.execute(met):
            counts[account_id] = AccountCounts(met=int(n))
        for account_id, n in (await self.breaches_by_account(where)).items():
            counts[account_id] = replace(counts.get(account_id, AccountCounts()), missed=n)
        for account_id, n, score in await self.conn.execute(rated):
            found = counts.get(account_id, AccountCounts())
            counts[account_id] = replace(found, answers=int(n), score_sum=int(score or 0))
        return counts

    async def csat(self, where: Range) -> dict[str, CsatTally]:
        """Surveys asked in the range by tier: how many, how many answered, their scores."""
        answers = (
            select(
                CsatAnswer.survey_id.label("survey_id"),
                func.count().label("answers"),
                func.sum(CsatAnswer.score).label("score_sum"),
            )
            .group_by(CsatAnswer.survey_id)
            .subquery("answers")
        )
        stmt = (
            select(
                Account.tier,
                func.count(),
                func.count(answers.c.survey_id),
                func.coalesce(func.sum(answers.c.answers), 0),
                func.coalesce(func.sum(answers.c.score_sum), 0),
            )
            .select_from(CsatSurvey)
            .join(Ticket, Ticket.id == CsatSurvey.ticket_id)
            .join(Account, Account.id == CsatSurvey.account_id)
            .outerjoin(answers, answers.c.survey_id == CsatSurvey.id)
            .where(
                CsatSurvey.asked_at >= where.start,
                CsatSurvey.asked_at < where.end,
                counts_as_request(),
                *_team(CsatSurvey.team_id, where),
            )
            .group_by(Account.tier)
        )
        return {
            tier: CsatTally(int(surveys), int(answered), int(n), int(score))
            for tier, surveys, answered, n, score in await self.conn.execute(stmt)
        }


def _team(column: Any, where: Range) -> tuple[ColumnElement[bool], ...]:
    return () if where.team_id is None else (column == where.team_id,)


def _stats(
    kind: str, tier: str | None, n: int, business: dict[int, float], wall: dict[int, float]
) -> TimeStats:
    """One partition's percentiles from its values at the ranks they read (a measure with no
    values was not asked for: None)."""

    def at(values: dict[int, float], percent: int) -> float | None:
        return _ms(percentile_at(values, n, percent)) if values else None

    return TimeStats(
        clock=kind,
        tier=tier,
        count=n,
        business_median=at(business, MEDIAN),
        business_p90=at(business, P90),
        wall_median=at(wall, MEDIAN),
        wall_p90=at(wall, P90),
    )
