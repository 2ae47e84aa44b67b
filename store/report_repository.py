"""The report's SQL: counts and ranks aggregated in the database over indexed time ranges.

Every statement reads one time range of one table (clock runs by `stopped_at` or
`breached_at`, tickets by `opened_at`, surveys by `asked_at`) joined to the ticket and account
by primary key, and groups in SQL, so what comes back is a few hundred rows whatever the
number of tickets. Weeks are the team's local weeks: their boundaries are computed in Python
(time zones and daylight saving time stay out of SQL) and bucketed with one CASE. Percentiles
come back as the few rows at the ranks they interpolate between (window functions), not as
every value. Arithmetic on what comes back is `bot.domain.reports`'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    case,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.policy import ClockKind
from bot.domain.reports import (
    EXCLUDED_RESOLUTIONS,
    FIRST_RESPONSE_EDGES,
    MEDIAN,
    P90,
    PERCENTS,
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

# Sub-millisecond digits of a wall time are the engines' date arithmetic, not the data.
WALL_DIGITS = 3


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
class Range:
    """[start, end) and, optionally, one workspace."""

    start: datetime
    end: datetime
    team_id: str | None = None


class ReportRepository:
    """Read-only report statements on one connection (one snapshot: `Database.snapshot`)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def attainment(
        self, where: Range, week_starts: Sequence[datetime]
    ) -> list[tuple[Cell, Tally]]:
        """Clock runs met (stopped in time in the range) and missed (breached in the range) by
        tier × priority × clock × week."""
        met = self._decided(SlaClock.stopped_at, SlaClock.outcome == MET, where, week_starts)
        missed = self._decided(
            SlaClock.breached_at,
            or_(SlaClock.outcome.is_(None), SlaClock.outcome != MET),
            where,
            week_starts,
        )
        counts: list[tuple[Cell, Tally]] = []
        for stmt, is_met in ((met, True), (missed, False)):
            for tier, priority, clock, week, n in await self.conn.execute(stmt):
                tally = Tally(met=n) if is_met else Tally(missed=n)
                counts.append((Cell(tier, priority, clock, int(week)), tally))
        return counts

    def _decided(
        self,
        at: Any,
        outcome: ColumnElement[bool],
        where: Range,
        week_starts: Sequence[datetime],
    ) -> Any:
        week = _bucket(at, week_starts).label("week")
        return (
            select(Account.tier, Ticket.priority, SlaClock.kind, week, func.count())
            .select_from(SlaClock)
            .join(Ticket, Ticket.id == SlaClock.ticket_id)
            .join(Account, Account.id == SlaClock.account_id)
            .where(
                at >= where.start,
                at < where.end,
                outcome,
                counts_as_request(),
                *_team(SlaClock.team_id, where),
            )
            .group_by(Account.tier, Ticket.priority, SlaClock.kind, week)
        )

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

    async def times(self, where: Range) -> list[TimeStats]:
        """Median and p90 of first-response and resolution runs stopped in the range, business
        and wall time, per tier and over all tiers."""
        business = SlaClock.business_seconds
        wall = _wall_seconds(self.conn)
        samples = (
            select(
                SlaClock.kind.label("kind"),
                Account.tier.label("tier"),
                business.label("b"),
                wall.label("w"),
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
            .cte("samples")
        )
        by_tier = (samples.c.kind, samples.c.tier)
        everywhere = (samples.c.kind,)
        ranked = select(
            samples.c.kind,
            samples.c.tier,
            samples.c.b,
            samples.c.w,
            (func.row_number().over(partition_by=by_tier, order_by=samples.c.b) - 1).label("bt"),
            (func.row_number().over(partition_by=by_tier, order_by=samples.c.w) - 1).label("wt"),
            func.count().over(partition_by=by_tier).label("nt"),
            (func.row_number().over(partition_by=everywhere, order_by=samples.c.b) - 1).label("ba"),
            (func.row_number().over(partition_by=everywhere, order_by=samples.c.w) - 1).label("wa"),
            func.count().over(partition_by=everywhere).label("na"),
        ).subquery("ranked")
        r = ranked.c
        wanted = or_(
            *(
                rank == _rank_sql(n, p, upper)
                for rank, n in ((r.bt, r.nt), (r.wt, r.nt), (r.ba, r.na), (r.wa, r.na))
                for p in PERCENTS
                for upper in (False, True)
            )
        )
        rows = (await self.conn.execute(select(ranked).where(wanted))).all()
        return _time_stats(rows)

    async def first_response_histogram(self, where: Range) -> Histogram:
        """First-response runs stopped in the range, by business time."""
        edges = FIRST_RESPONSE_EDGES
        value = SlaClock.business_seconds
        bin_ = case(
            *((value < edge, index) for index, edge in enumerate(edges)), else_=len(edges)
        ).label("bin")
        stmt = (
            select(bin_, func.count())
            .select_from(SlaClock)
            .join(Ticket, Ticket.id == SlaClock.ticket_id)
            .where(
                SlaClock.kind == ClockKind.FIRST_RESPONSE.value,
                SlaClock.stopped_at >= where.start,
                SlaClock.stopped_at < where.end,
                SlaClock.outcome.is_not(None),
                value.is_not(None),
                counts_as_request(),
                *_team(SlaClock.team_id, where),
            )
            .group_by(bin_)
        )
        return Histogram.from_bins(
            ((int(b), int(n)) for b, n in await self.conn.execute(stmt)), edges
        )

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


def _rank_sql(n: Any, percent: int, upper: bool) -> Any:
    """The 0-based rank below (or above) the percentile of `n` values, in integer SQL: the
    same arithmetic as `bot.domain.reports.ranks` (checked against it by the store tests)."""
    position = (n - 1) * percent
    # `//`: integer division on both engines (the operands are integers, not negative).
    return (position + 99) // 100 if upper else position // 100


def _time_stats(rows: Sequence[Any]) -> list[TimeStats]:
    """Percentiles from the rows at the wanted ranks of each partition."""
    at: dict[tuple[str, str | None, str], dict[int, float]] = {}
    count: dict[tuple[str, str | None], int] = {}
    for row in rows:
        kind, tier = row.kind, row.tier
        count[(kind, tier)] = int(row.nt)
        count[(kind, None)] = int(row.na)
        business = float(row.b)
        wall = round(float(row.w), WALL_DIGITS)
        for key, rank, n, value in (
            ((kind, tier, "b"), row.bt, row.nt, business),
            ((kind, tier, "w"), row.wt, row.nt, wall),
            ((kind, None, "b"), row.ba, row.na, business),
            ((kind, None, "w"), row.wa, row.na, wall),
        ):
            if int(rank) in ranks_needed(int(n)):
                at.setdefault(key, {})[int(rank)] = value
    stats = []
    for (kind, tier), n in sorted(count.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        business_at = at.get((kind, tier, "b"), {})
        wall_at = at.get((kind, tier, "w"), {})
        stats.append(
            TimeStats(
                clock=kind,
                tier=tier,
                count=n,
                business_median=percentile_at(business_at, n, MEDIAN),
                business_p90=percentile_at(business_at, n, P90),
                wall_median=percentile_at(wall_at, n, MEDIAN),
                wall_p90=percentile_at(wall_at, n, P90),
            )
        )
    return stats
