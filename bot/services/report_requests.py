"""`/desk report`: a manager asks for a month's SLA report; it comes by DM with its chart."""

from __future__ import annotations

from bot.config.desk import DeskConfig
from bot.domain.clock import Clock
from bot.domain.reports import current_month, parse_month, zone
from bot.messages.base import InternalMessage
from bot.messages.internal import notice
from bot.messages.markup import Mrkdwn, md, mention
from bot.reports.formats import render
from bot.services.inputs import Caller
from bot.services.private_reports import ChartRef, PrivateReports
from bot.services.reports import ReportService


class ReportRequests:
    """Sends a month's report privately to the manager who asked; refuses anyone else."""

    def __init__(
        self,
        config: DeskConfig,
        clock: Clock,
        reports: ReportService,
        private: PrivateReports,
    ) -> None:
        self.config = config
        self.clock = clock
        self.reports = reports
        self.private = private

    async def send(self, caller: Caller, month: str | None) -> InternalMessage:
        """Queue the report and its chart for the caller's DM; the reply says what happens."""
        team = self.config.team_for(caller.team_id)
        if caller.user_id not in team.managers:
            managers = Mrkdwn(", ").join(mention(m) for m in team.managers)
            return notice(
                md("Reports go to managers only; ask {} if you need the figures.", managers)
            )
        tz = zone(team.timezone)
        period = parse_month(month, tz) if month else current_month(self.clock.now(), tz)
        report = await self.reports.report(period, team_id=caller.team_id)
        label = period.start.astimezone(tz).strftime("%B %Y")
        so_far = "" if month else " so far"
        message = InternalMessage(
            text=md("*SLA report, {}{}*\n```{}```", label, so_far, render(report, "text").rstrip())
        )
        await self.private.send(
            caller.team_id, caller.user_id, message, ChartRef.attainment(period.label)
        )
        return notice(
            md("The {}{} report is on its way to you by DM, with its chart.", label, so_far)
        )
