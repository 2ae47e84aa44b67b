"""Reports: SLA attainment, response times, CSAT and volume over a period, and the change from
the period before. One service for the command line, `/desk report`, the App Home and the digest;
each renders the typed `Report` its own way (`bot/reports/`: text, JSON, CSV, the chart).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.clock import Clock
from bot.domain.reports import (
    AttainmentTable,
    Figures,
    Period,
    Report,
    choose_period,
    current_month,
    ordered_tiers,
    parse_month,
    zone,
)
from bot.reports.chart import render_chart
from store.db import Database
from store.report_repository import Range, ReportRepository


class ReportService:
    """Builds reports from the database, read in one snapshot that blocks no writer."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        timezone: str | ZoneInfo = "UTC",
        tiers: Sequence[str] = (),
        zones: Mapping[str, str] | None = None,
    ) -> None:
        """`timezone`: where weeks and months begin (the team's); `tiers`: the configured
        tiers, in the order reports list them (tiers found only in the data follow);
        `zones`: the zone of each workspace that keeps its own (desk.yml `workspaces`)."""
        self.db = db
        self.clock = clock
        self.tz = timezone if isinstance(timezone, ZoneInfo) else zone(timezone)
        self.tiers = tuple(tiers)
        self.zones = {team: zone(name) for team, name in (zones or {}).items()}

    def zone_of(self, team_id: str) -> ZoneInfo:
        """Where one workspace's weeks and months begin."""
        return self.zones.get(team_id, self.tz)

    def period(self, *, month: str | None = None, since: str | None = None) -> Period:
        """The period asked for: a month `YYYY-MM`, the last `since` (`30d`), else this month
        so far. ValueError with one sentence on a bad month or duration."""
        return choose_period(self.clock.now(), self.tz, month=month, since=since)

    async def report(self, period: Period | None = None, *, team_id: str | None = None) -> Report:
        """The figures of `period` (default: this month so far) and of the period before, for
        one workspace or (`team_id` None) all of them."""
        period = period or current_month(self.clock.now(), self.tz)
        async with self.db.snapshot() as conn:
            store = ReportRepository(conn)
            current = await _figures(store, period, team_id, detail=True)
            previous = await _figures(store, period.previous(), team_id, detail=False)
        seen = {*current.attainment.tiers(), *previous.attainment.tiers()}
        seen |= {a.tier for a in current.accounts} | set(current.csat)
        return Report(
            generated_at=self.clock.now(),
            team_id=team_id,
            tiers=ordered_tiers(self.tiers, seen),
            current=current,
            previous=previous,
        )

    async def chart_png(self, team_id: str, period: str) -> bytes:
        """The PNG chart of one install's report for a month ("2026-11"), as a report by DM
        carries it (`ReportFiles`), the month in that install's zone as its text has it; drawn
        in a worker thread (it takes CPU, not I/O)."""
        report = await self.report(parse_month(period, self.zone_of(team_id)), team_id=team_id)
        return await asyncio.to_thread(render_chart, report)

    async def figures(
        self, period: Period, *, team_id: str | None = None, detail: bool = True
    ) -> Figures:
        """One period's figures without the comparison (the App Home's month, the digest's
        week). `detail=False` (cheaper) skips the weekly split, and keeps of the response times
        only the business-time ones over all tiers (what the change from a month shows)."""
        async with self.db.snapshot() as conn:
            return await _figures(ReportRepository(conn), period, team_id, detail=detail)


async def _figures(
    store: ReportRepository, period: Period, team_id: str | None, *, detail: bool
) -> Figures:
    where = Range(period.start, period.end, team_id)
    weeks = period.weeks() if detail else ()
    starts: list[datetime] = [w.start for w in weeks] or [period.start]
    stopped = await store.stopped(where, starts)
    missed = await store.missed(where, starts)
    return Figures(
        period=period,
        weeks=weeks,
        attainment=AttainmentTable.from_counts([*stopped.met, *missed]),
        times=tuple(await store.times(where, stopped.samples, by_tier=detail, wall=detail)),
        first_response=stopped.first_response,
        csat=await store.csat(where),
        accounts=tuple(await store.volume(where)),
    )
