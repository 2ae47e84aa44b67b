"""The report's SQL and service on SQLite and PostgreSQL: a month with hand-worked figures
(tests/support/report_data.py), asserted exactly, and percentile ranks against the domain's."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import insert

from bot.domain.clock import ManualClock
from bot.domain.reports import (
    FIRST_RESPONSE_EDGES,
    Period,
    PeriodKind,
    bin_index,
    percentile,
    zone,
)
from bot.services.reports import ReportService
from store import migrate
from store.db import Database
from store.models import SlaClock
from store.report_repository import Range, ReportRepository
from tests.support import report_data as data

UTC = zone("UTC")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database holding the report month's rows."""
    await migrate.upgrade(database_url)
    database = Database(database_url)
    await data.seed(database)
    try:
        yield database
    finally:
        await database.close()


def service(db: Database, tz: str = "UTC") -> ReportService:
    return ReportService(
        db, ManualClock(data.NOW), timezone=tz, tiers=("strategic", "growth", "standard")
    )


async def test_the_month_report_has_the_hand_worked_figures(db: Database) -> None:
    reports = service(db)
    report = await reports.report(reports.period(month=data.MONTH), team_id=data.TEAM)
    now = report.current
    expected = data.EXPECTED

    assert report.period.label == "2026-11"
    assert [w.label for w in report.weeks] == expected["weeks"]
    assert report.tiers == ("strategic", "growth", "standard")
    table = now.attainment
    for (tier, priority, clock), (met, missed) in expected["attainment"].items():
        tally = table.tally(tier=tier, priority=priority, clock=clock)
        assert (tally.met, tally.missed) == (met, missed), (tier, priority, clock)
    assert len(table.lines()) == len(expected["attainment"])
    by_label = {w.label: w.index for w in report.weeks}
    for tier in ("strategic", "standard"):
        for week in report.weeks:
            tally = table.tally(tier=tier, week=week.index)
            assert (tally.met, tally.missed) == expected["weekly"].get((tier, week.label), (0, 0))
    assert table.tally(week=by_label["2026-W45"]).attainment == 3 / 5
    total = table.tally()
    assert (total.met, total.missed) == (expected["met"], expected["missed"])
    assert total.attainment == 5 / 9
    assert now.breaches == 4

    for clock in ("first_response", "resolution"):
        for tier, figures in expected[clock].items():
            stats = now.time(clock, tier)
            assert stats is not None, (clock, tier)
            assert stats.count == figures["count"]
            assert stats.business_median == pytest.approx(figures["b50"])
            assert stats.business_p90 == pytest.approx(figures["b90"])
            assert stats.wall_median == pytest.approx(figures["w50"])
            assert stats.wall_p90 == pytest.approx(figures["w90"])
    assert now.time("first_response", "growth") is None  # Hooli is another workspace's

    assert now.first_response.counts == expected["histogram"]
    assert {
        tier: (t.surveys, t.answered, t.answers, t.score_sum) for tier, t in now.csat.items()
    } == expected["csat"]
    assert now.csat_total.average == pytest.approx(expected["csat_average"])
    assert now.csat_total.response_rate == pytest.approx(expected["csat_rate"])
    assert [(a.name, a.tier, a.opened, a.breaches) for a in now.accounts] == expected["accounts"]
    assert now.tickets_opened == expected["opened"]

    before = expected["previous"]
    assert report.previous.period.label == "2026-10"
    assert report.previous.attainment.tally().met == before["met"]
    assert report.previous.attainment.tally().missed == before["missed"]
    change = report.change
    assert change.attainment.current == pytest.approx(5 / 9)
    assert change.attainment.previous == 1.0
    assert change.attainment.change == pytest.approx(5 / 9 - 1)
    assert change.tickets_opened.current == 4 and change.tickets_opened.previous == before["opened"]
    assert change.tickets_opened.relative == 1.0
    assert change.breaches.previous == 0 and change.breaches.relative is None
    assert change.csat_average.previous == before["csat_average"]
    assert change.first_response_median.previous == before["fr_median"]
    assert change.first_response_median.change == pytest.approx(1050.0 - 750.0)
    assert dict(change.attainment_by_tier)["growth"].current is None


async def test_every_workspace_together_adds_the_other_one(db: Database) -> None:
    reports = service(db)
    now = (await reports.report(reports.period(month=data.MONTH))).current
    assert now.attainment.tally(tier="growth").met == 1
    assert now.attainment.tally().met == data.EXPECTED["met"] + 1
    stats = now.time("first_response", "growth")
    assert stats is not None and stats.count == 1 and stats.business_median == 60.0
    assert [a.name for a in now.accounts] == ["Acme", "Globex", "Hooli"]


async def test_a_month_with_nothing_in_it_is_empty_not_an_error(db: Database) -> None:
    reports = service(db)
    report = await reports.report(reports.period(month="2025-01"), team_id=data.TEAM)
    assert report.is_empty
    assert report.current.attainment.tally().attainment is None
    assert report.current.times == ()
    assert report.current.csat_total.average is None
    assert report.change.attainment.change is None


async def test_weeks_and_months_follow_the_team_time_zone(db: Database) -> None:
    # In Pacific/Kiritimati (UTC+14) November starts on 31 October 10:00 UTC and ends on
    # 30 November 10:00 UTC: G3's first response (28 Oct) stays in October and nothing moves.
    reports = service(db, "Pacific/Kiritimati")
    period = reports.period(month=data.MONTH)
    assert period.start.isoformat() == "2026-10-31T10:00:00+00:00"
    now = (await reports.report(period, team_id=data.TEAM)).current
    assert now.attainment.tally().total == 9
    # Honolulu (UTC-10): November starts 1 Nov 10:00 UTC; the 30th ends 1 Dec 10:00 UTC.
    reports = service(db, "Pacific/Honolulu")
    now = (await reports.report(reports.period(month=data.MONTH), team_id=data.TEAM)).current
    # G3's resolution (breached 2 Nov 09:00 UTC = 1 Nov 23:00 local) is still in November, in
    # the first week (Sunday the 1st, 2026-W44).
    first = now.weeks[0]
    assert first.label == "2026-W44"
    assert now.attainment.tally(week=first.index).missed == 1


async def test_since_covers_the_days_up_to_now(db: Database) -> None:
    reports = service(db)
    period = reports.period(since="10d")  # 22 Nov 09:00 to 2 Dec 09:00
    assert period.kind is PeriodKind.SINCE
    report = await reports.report(period, team_id=data.TEAM)
    # Only G2 (noise) happened then, and G3's resolution stopped missed on 1 Dec (breached
    # 2 Nov, so counted then): nothing counts.
    assert report.current.attainment.tally().total == 0
    assert report.previous.period.end == period.start
    assert report.previous.period.length == timedelta(days=10)


async def test_the_domain_bins_first_responses_as_the_sql_does(db: Database) -> None:
    # Values on and either side of each edge.
    values = sorted({max(e + d, 0.0) for e in FIRST_RESPONSE_EDGES for d in (-0.5, 0.0, 0.5)})
    await _timed_clocks(db, values)
    where = Range(data.at(1, month=12), data.at(2, month=12), "T0BINS")
    async with db.snapshot() as conn:
        histogram = (await ReportRepository(conn).stopped(where, [where.start])).first_response
    expected = [0] * (len(FIRST_RESPONSE_EDGES) + 1)
    for value in values:
        expected[bin_index(value)] += 1
    assert list(histogram.counts) == expected


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 11, 101])
async def test_sql_percentiles_match_the_domain_for_any_count(db: Database, n: int) -> None:
    rng = random.Random(n)
    values = [float(rng.randrange(0, 100_000)) for _ in range(n)]
    await _timed_clocks(db, values)
    where = Range(data.at(1, month=12), data.at(2, month=12), "T0BINS")
    async with db.snapshot() as conn:
        store = ReportRepository(conn)
        stats = await store.times(where, (await store.stopped(where, [where.start])).samples)
    overall = next(s for s in stats if s.tier is None)
    assert overall.count == n
    assert overall.business_median == pytest.approx(percentile(values, 50))
    assert overall.business_p90 == pytest.approx(percentile(values, 90))
    assert overall.wall_median == pytest.approx(percentile(values, 50))
    assert overall.wall_p90 == pytest.approx(percentile(values, 90))


async def test_a_report_blocks_no_writer(db: Database) -> None:
    # A snapshot is open (a report in progress) while a unit of work writes and commits.
    async with db.snapshot() as conn:
        await ReportRepository(conn).csat(Range(data.at(1), data.at(30), data.TEAM))
        # The writer commits while the snapshot is open: on SQLite a reader takes no lock.
        async with db.unit_of_work() as uow:
            await uow.session.execute(
                insert(SlaClock.__table__),
                [_clock_row(1, 60.0)],
            )
    reports = service(db)
    period = Period(PeriodKind.MONTH, data.at(1, month=12), data.at(2, month=12), UTC)
    assert (await reports.figures(period)).attainment.tally().met == 1


def _clock_row(ticket_id: int, business: float) -> dict[str, object]:
    stopped = data.at(1, 12, month=12)
    return {
        "team_id": "T0BINS",
        "ticket_id": ticket_id,
        "account_id": 1,
        "kind": "first_response",
        "cycle": 99,  # (ticket, kind, cycle) is unique: A1 has cycle 1
        "calendar": "24/7",
        "target_seconds": 900.0,
        "started_at": stopped - timedelta(seconds=business),
        "elapsed_before_seconds": business,
        "stopped_at": stopped,
        "outcome": "met",
        "business_seconds": business,
    }


async def _timed_clocks(db: Database, values: list[float]) -> None:
    """First-response runs of workspace T0BINS on 1 December, one per value, each on a ticket
    of its own (a ticket has one run per kind and cycle)."""
    async with db.unit_of_work() as uow:
        rows = []
        for n, value in enumerate(values):
            row = _clock_row(1, value)
            row["cycle"] = 100 + n
            rows.append(row)
        await uow.session.execute(insert(SlaClock.__table__), rows)


async def test_a_month_chart_for_a_report_by_dm(db: Database) -> None:
    png = await service(db).chart_png(data.TEAM, data.MONTH)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    with pytest.raises(ValueError, match="is not a month"):
        await service(db).chart_png(data.TEAM, "2026-13")
