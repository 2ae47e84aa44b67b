"""`/desk report [YYYY-MM]`: a manager gets the month's figures by tier in a DM with the chart
(a PNG) in its thread; anyone else is told who to ask and nothing is sent; a bad month is a
usage error; a month without data gets a report and a chart that say so, never a blank one.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from matplotlib.image import imread

from bot.domain.reports import month_period
from bot.reports.chart import render_chart
from tests.support import world
from tests.support.fake_slack import Post
from tests.support.service_desk import ServiceDesk

PNG = b"\x89PNG\r\n\x1a\n"
# Our workspace keeps its months on Kiritimati (UTC+14); the desk's default stays UTC.
KIRITIMATI_YML = world.DESK_YML.replace(
    "grouping_window:",
    f"workspaces:\n  {world.VENDOR}:\n    timezone: Pacific/Kiritimati\ngrouping_window:",
)


async def a_few_tickets(desk: ServiceDesk) -> None:
    """#1 Globex P1 answered in 5 minutes (met), #2 Globex P2 never answered (its first
    response breaches after an hour), #3 Initech P3 open and in time."""
    _r, outage = await desk.customer_posts("The dashboard is down")
    desk.clock.advance(timedelta(minutes=5))
    await desk.team_posts("Looking at it now", thread_ts=outage.ts)
    await desk.customer_posts("Exports are broken", user=world.DAVE)
    await desk.customer_posts(
        "Can you help us set up the printer integration?",
        user=world.IVAN,
        channel=world.INITECH_SHARED,
    )
    await desk.advance(timedelta(hours=2))


def reports_to(desk: ServiceDesk, user: str) -> list[Post]:
    """The reports in someone's DM (top-level posts that are a report)."""
    return [
        p
        for p in desk.slack.dms_to(user)
        if p.thread_ts is None and p.text.startswith("*SLA report, ")
    ]


def chart_under(desk: ServiceDesk, report: Post) -> Post:
    """The one file share in a report's thread."""
    [share] = [p for p in desk.slack.thread(report.channel, report.ts) if p.files]
    return share


def rows(text: str) -> list[str]:
    """The report's lines with their column padding squeezed to one space."""
    return [" ".join(line.split()) for line in text.splitlines()]


def pixel_spread(png: bytes) -> float:
    """How much the image's pixels differ (0 for an image of one colour)."""
    return float(imread(io.BytesIO(png)).std())


async def test_a_manager_gets_the_figures_by_tier_and_the_chart_by_dm(desk: ServiceDesk):
    await a_few_tickets(desk)

    reply = await desk.desk("report", user=world.MIA)

    assert reply == "The November 2026 so far report is on its way to you by DM, with its chart."
    [report] = reports_to(desk, world.MIA)
    assert report.text.startswith("*SLA report, November 2026 so far*\n```SLA report 2026-11")
    lines = rows(report.text)
    # The headline by tier, then each tier × priority × clock, then the accounts.
    assert "SLA attainment 50.0% - -" in lines
    assert "strategic 50.0% - -" in lines and "standard - - -" in lines
    assert "Breaches 1 0 +1" in lines and "Tickets opened 3 0 +3" in lines
    assert "strategic P1 first response 100.0% (1/1) - - - - 100.0% -" in lines
    assert "strategic P2 first response 0.0% (0/1) - - - - 0.0% -" in lines
    assert "Globex strategic 2 1" in lines and "Initech standard 1 0" in lines
    share = chart_under(desk, report)
    [chart] = share.files
    assert (chart.name, chart.title) == ("attainment-2026-11.png", "SLA attainment, 2026-11")
    assert chart.data.startswith(PNG) and pixel_spread(chart.data) > 0
    # The month's chart as the reports draw it, not a placeholder.
    assert chart.data == await desk.services.reports.chart_png(world.VENDOR, "2026-11")
    # Mia alone: nobody else got a report or a file.
    for person in (world.ALICE, world.BOB):
        assert reports_to(desk, person) == []
    assert [p.channel for p in desk.slack.by_bot() if p.files] == [report.channel]


async def test_a_month_asked_for_by_name_is_that_whole_month(desk: ServiceDesk):
    await a_few_tickets(desk)

    reply = await desk.desk("report 2026-11", user=world.MIA)

    assert reply == "The November 2026 report is on its way to you by DM, with its chart."
    [report] = reports_to(desk, world.MIA)
    assert report.text.startswith("*SLA report, November 2026*\n")
    assert "Breaches 1 0 +1" in rows(report.text)


async def test_anyone_but_a_manager_is_told_who_to_ask_and_nothing_is_sent(desk: ServiceDesk):
    await a_few_tickets(desk)
    before = list(desk.slack.by_bot())

    for user in (world.ALICE, world.BOB):
        reply = await desk.desk("report 2026-11", user=user)
        assert reply == "Reports go to managers only; ask <@U0MIA> if you need the figures."

    assert desk.slack.by_bot() == before
    assert desk.slack.called("files.completeUploadExternal") == []
    async with desk.services.db.reading() as uow:
        assert [r for r in await uow.outbox.all() if r.kind == "report"] == []


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("2026-13", "'2026-13' is not a month (months run from 01 to 12)"),
        ("2026-00", "'2026-00' is not a month (months run from 01 to 12)"),
        ("november", "'november' is not a month: give it as YYYY-MM"),
        ("2026-11-05", "'2026-11-05' is not a month: give it as YYYY-MM"),
        ("1969-12", "'1969-12' is before 1970"),
        ("2026-11 2026-12", "`report` takes at most one month, like 2026-11."),
    ],
)
async def test_a_bad_month_is_a_usage_error_and_nothing_is_sent(
    desk: ServiceDesk, typed: str, error: str
):
    reply = await desk.desk(f"report {typed}", user=world.MIA)

    first, usage = reply.split("\n")
    assert first.startswith(":warning: ") and error in first
    assert usage == "Usage: `/desk report [YYYY-MM]`"
    assert desk.slack.dms_to(world.MIA) == []
    assert desk.slack.called("files.completeUploadExternal") == []


async def test_a_month_without_data_says_so_in_the_text_and_the_chart(desk: ServiceDesk):
    await a_few_tickets(desk)  # November's: October has nothing

    reply = await desk.desk("report 2026-10", user=world.MIA)

    assert reply == "The October 2026 report is on its way to you by DM, with its chart."
    [report] = reports_to(desk, world.MIA)
    assert report.text.startswith("*SLA report, October 2026*\n")
    assert "No tickets, SLA clocks or surveys in 2026-10." in report.text
    assert "Breaches" not in report.text
    [chart] = chart_under(desk, report).files
    assert chart.name == "attainment-2026-10.png" and chart.data.startswith(PNG)
    # An image that says "no data", not a blank one, and not November's chart either.
    assert pixel_spread(chart.data) > 0.01
    assert chart.data != await desk.services.reports.chart_png(world.VENDOR, "2026-11")


@pytest.mark.parametrize("desk_yml", [KIRITIMATI_YML])
async def test_the_chart_covers_the_same_month_as_the_text_in_the_workspaces_zone(
    desk: ServiceDesk,
):
    # 12:00 UTC on 30 November is 02:00 on 1 December on Kiritimati (UTC+14).
    desk.clock.set(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    await desk.customer_posts("The dashboard is down")
    await desk.advance(timedelta(minutes=16))  # its first response breaches

    await desk.desk("report 2026-12", user=world.MIA)

    [report] = reports_to(desk, world.MIA)
    assert "SLA report 2026-12 (Pacific/Kiritimati)" in report.text
    assert "Breaches 1 0 +1" in rows(report.text)
    [chart] = chart_under(desk, report).files
    december = month_period(2026, 12, ZoneInfo("Pacific/Kiritimati"))
    drawn = render_chart(await desk.services.reports.report(december, team_id=world.VENDOR))
    assert chart.data == drawn
