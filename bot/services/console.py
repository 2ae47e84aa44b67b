"""The managers' console figures: this month for the Home, and what the weekly digest and
monthly report say (with the accounts at risk or on watch). Read through the reports service
and account health."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot.config.desk import DeskConfig
from bot.domain.clock import Clock
from bot.domain.digests import DigestDue, DigestKind
from bot.domain.reports import CLOCK_ORDER, Period, PeriodKind, current_month, month_period, zone
from bot.messages.base import InternalMessage
from bot.messages.health import digest_section
from bot.messages.home import AttainmentCell, ManagerFigures
from bot.messages.markup import md
from bot.reports.formats import render
from bot.services.health import HealthScores
from bot.services.reports import ReportService
from store.db import Database

log = logging.getLogger("connectdesk.console")

# A month's figures barely move in a minute. Figures this old are made again in the
# background while they are still shown: a Home opened every so often never waits for the
# reports, which take about a second on 50,000 resolved tickets (bench/README.md, App Home).
REFRESH_AFTER = timedelta(seconds=45)
# After a quiet spell, figures up to this old are still shown at once (and made again in the
# background for the next Home): a manager opening the Home after lunch waited ~330 ms for
# them under load, past the 300 ms target; the "team now" counts are always read fresh.
SHOWN_FOR = timedelta(minutes=10)

FiguresKey = tuple[str, str]  # (team, month)


class Console:
    """Figures for managers: the Home's month, digest text."""

    def __init__(
        self,
        db: Database,
        config: DeskConfig,
        clock: Clock,
        reports: ReportService,
        health: HealthScores,
    ) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.reports = reports
        self.health = health
        self._cached: dict[FiguresKey, tuple[datetime, ManagerFigures]] = {}
        self._making: dict[FiguresKey, asyncio.Task[ManagerFigures]] = {}

    def _zone(self, team_id: str) -> ZoneInfo:
        return zone(self.config.team_for(team_id).timezone)

    async def manager_figures(self, team_id: str, now: datetime) -> ManagerFigures:
        """This month's figures for a manager's Home: made again in the background from
        `REFRESH_AFTER` on (once for Homes asking at the same time), waited for only when none
        younger than `SHOWN_FOR` are at hand."""
        period = current_month(now, self._zone(team_id))
        key = (team_id, period.label)
        cached = self._cached.get(key)
        if cached is not None and now - cached[0] < SHOWN_FOR:
            if now - cached[0] >= REFRESH_AFTER:
                self._making_for(key, period, now)
            return cached[1]
        # Shielded: a Home that stops waiting leaves the figures to the others.
        return await asyncio.shield(self._making_for(key, period, now))

    def _making_for(
        self, key: FiguresKey, period: Period, now: datetime
    ) -> asyncio.Task[ManagerFigures]:
        """The one task making these figures: started now unless one is under way."""
        task = self._making.get(key)
        if task is None:
            task = asyncio.create_task(self._make(key, period, now))
            self._making[key] = task
            task.add_done_callback(partial(self._made, key))
        return task

    def _made(self, key: FiguresKey, task: asyncio.Task[ManagerFigures]) -> None:
        self._making.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            # Whoever waited has the error; a refresh nobody waited for is only logged, and
            # the next Home asks again.
            log.warning("could not make the figures of %s", key, exc_info=task.exception())

    async def _make(self, key: FiguresKey, period: Period, now: datetime) -> ManagerFigures:
        team_id = key[0]
        figures = await self.reports.figures(period, team_id=team_id, detail=False)
        cells = []
        for tier in self.config.tiers:
            for clock in CLOCK_ORDER:
                share = figures.attainment.tally(tier=tier, clock=clock).attainment
                cells.append(AttainmentCell(tier, clock, None if share is None else share * 100))
        csat = figures.csat_total
        made = ManagerFigures(
            month=period.start.astimezone(period.tz).strftime("%B %Y"),
            attainment=tuple(cells),
            breaches=figures.breaches,
            csat_average=csat.average,
            csat_response_rate=csat.response_rate,
        )
        self._cached[key] = (now, made)
        return made

    async def digest(self, team_id: str, due: DigestDue) -> InternalMessage:
        """The weekly digest or the monthly report: the period's figures and the change."""
        tz = self._zone(team_id)
        if due.kind is DigestKind.MONTHLY:
            period = month_period(due.first_day.year, due.first_day.month, tz)
            title = f"Monthly SLA report, {due.label}"
        else:
            start = datetime.combine(due.first_day, datetime.min.time(), tzinfo=tz)
            end = datetime.combine(due.last_day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
            period = Period(PeriodKind.SINCE, start, end, tz)
            title = f"Weekly support digest, {due.label}"
        report = await self.reports.report(period, team_id=team_id)
        flagged = await self.health.flagged(team_id, due.due_at)
        return InternalMessage(
            text=md(
                "*{}*\n```{}```{}",
                title,
                render(report, "text").rstrip(),
                digest_section(flagged),
            )
        )
