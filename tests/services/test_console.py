"""The managers' console: this month's figures on a manager's Home (attainment by tier × clock,
breaches, CSAT), the accounts at risk or on watch as the health check scored them, and what the
weekly digest and the monthly report say when they reach the managers' DMs.

Globex (tests/support/world.py) is strategic: P1 first response 15m and resolution 4h, P2 first
response 1h and resolution 1d; it renews on 2027-01-15.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.messages.home import AttainmentCell, ManagerFigures
from tests.support import world
from tests.support.fake_slack import Post, dm_channel
from tests.support.service_desk import ServiceDesk

MONDAY_NINE = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # the Monday after the tests' start
NEW_YORK_YML = world.with_digests(
    world.DESK_YML.replace(
        f"  managers: [{world.MIA}]\n", f"  managers: [{world.MIA}]\n  timezone: America/New_York\n"
    )
)
DIGESTS_YML = world.with_digests(world.DESK_YML)
GLOBEX_AT_RISK = (
    "6 breaches in 90 days (-30)",
    "3 open P1 tickets (-20)",
    "renews in 53 days (2027-01-15) (-10)",
)


async def answered_and_breached(desk: ServiceDesk) -> None:
    """#1 Globex P1 answered in 5 minutes, resolved, rated 4 by Carol; #2 Globex P2 unanswered
    for two hours (its first response breached), then resolved, its survey unanswered."""
    _r, outage = await desk.customer_posts("The dashboard is down")
    desk.clock.advance(timedelta(minutes=5))
    await desk.team_posts("Looking at it now", thread_ts=outage.ts)
    await desk.desk("resolve 1 restarted the web tier")
    [survey] = desk.surveys(outage)
    assert (await desk.rate(survey, 4)).startswith("Thanks! You rated ticket *#1* 4/5")
    await desk.customer_posts("Exports are broken", user=world.DAVE)
    await desk.advance(timedelta(hours=2))
    await desk.desk("resolve 2")


async def breached_outages(desk: ServiceDesk, count: int = 3) -> None:
    """`count` Globex P1 tickets nobody answers, until each first response and resolution
    clock has breached (2 × `count` clocks missed)."""
    for n in range(count):
        user = (world.CAROL, world.DAVE)[n % 2]
        await desk.customer_posts(f"Outage number {n + 1}: the dashboard is down", user=user)
        desk.clock.advance(timedelta(minutes=6))  # past the grouping window
    await desk.advance(timedelta(hours=5))


def cells(figures: ManagerFigures) -> dict[tuple[str, str], float | None]:
    return {(c.tier, c.clock): c.percent for c in figures.attainment}


def digests_to(desk: ServiceDesk, user: str) -> list[Post]:
    """The digests and monthly reports in someone's DM."""
    return [
        p
        for p in desk.slack.dms_to(user)
        if p.text.startswith(("*Weekly support digest", "*Monthly SLA report"))
    ]


def rows(text: str) -> list[str]:
    """A message's lines with their column padding squeezed to one space."""
    return [" ".join(line.split()) for line in text.splitlines()]


# ---- the manager's Home ------------------------------------------------------------------
async def test_this_months_figures_by_tier_and_clock_breaches_and_csat(desk: ServiceDesk):
    await answered_and_breached(desk)

    figures = await desk.services.console.manager_figures(world.VENDOR, desk.clock.now())

    assert figures.month == "November 2026"
    # Every tier × clock, in the configured order; a clock that never ran is None, not 0.
    assert figures.attainment == (
        AttainmentCell("strategic", "first_response", 50.0),
        AttainmentCell("strategic", "next_response", None),
        AttainmentCell("strategic", "resolution", 100.0),
        AttainmentCell("standard", "first_response", None),
        AttainmentCell("standard", "next_response", None),
        AttainmentCell("standard", "resolution", None),
    )
    assert figures.breaches == 1
    assert (figures.csat_average, figures.csat_response_rate) == (4.0, 0.5)
    # What Mia's Home shows of them.
    home = await desk.open_home(world.MIA)
    assert home is not None and "This month (November 2026)" in home
    assert "*strategic*: first response 50 % · next response — · resolution 100 %" in home
    assert "*standard*: first response — · next response — · resolution —" in home
    assert "Breaches: *1*" in home and "CSAT: *4.0 / 5* (50 % answered)" in home
    assert "*Account health*: no account at risk or on watch" in home


async def test_accounts_that_keep_missing_their_sla_are_at_risk_with_the_reasons(
    desk: ServiceDesk,
):
    await breached_outages(desk)

    figures = await desk.services.console.manager_figures(world.VENDOR, desk.clock.now())
    assert cells(figures)[("strategic", "first_response")] == 0.0
    assert cells(figures)[("strategic", "resolution")] == 0.0
    assert figures.breaches == 6
    # The Home shows the health ledger, which the periodic check writes.
    assert await desk.services.health.check() == 1
    await desk.settle()

    home = await desk.open_home(world.MIA)
    assert home is not None
    assert (
        "*Account health*\n• *Globex* *40*/100 :red_circle: at risk"
        f" · {GLOBEX_AT_RISK[0]}; {GLOBEX_AT_RISK[1]}"
    ) in home
    # Its owner and the manager were told by DM, nobody else and nowhere else.
    for person in (world.ALICE, world.MIA):
        [told] = [p for p in desk.slack.dms_to(person) if "is now *at risk*" in p.text]
        assert told.text.splitlines() == [
            ":red_circle: *Globex* is now *at risk*: health *40*/100.",
            *(f"• {reason}" for reason in GLOBEX_AT_RISK),
            "The whole record: `/desk account Globex`",
        ]
    told = {p.channel for p in desk.slack.by_bot() if "is now *at risk*" in p.text}
    assert told == {dm_channel(world.ALICE), dm_channel(world.MIA)}
    # A second check finds the crossing in the ledger: nobody is told again.
    assert await desk.services.health.check() == 0
    await desk.settle()
    assert len([p for p in desk.slack.by_bot() if "is now *at risk*" in p.text]) == 2


async def test_low_ratings_flag_an_account_whose_sla_is_met(desk: ServiceDesk):
    for n, score in enumerate((1, 2, 2)):
        user = (world.CAROL, world.DAVE)[n % 2]
        _r, post = await desk.customer_posts(
            f"Can you check why export job {n + 1} failed?", user=user
        )
        await desk.team_posts("Here is the answer", thread_ts=post.ts)
        await desk.desk(f"resolve {n + 1}")
        [survey] = desk.surveys(post)
        await desk.rate(survey, score, user=user)
        desk.clock.advance(timedelta(minutes=6))

    figures = await desk.services.console.manager_figures(world.VENDOR, desk.clock.now())
    assert await desk.services.health.check() == 0  # on watch: nobody is told
    await desk.settle()

    assert cells(figures)[("strategic", "first_response")] == 100.0
    assert figures.csat_average == pytest.approx(5 / 3)
    assert figures.csat_response_rate == 1.0
    home = await desk.open_home(world.MIA)
    assert home is not None
    assert (
        "• *Globex* *60*/100 :large_yellow_circle: watch"
        " · CSAT 1.7/5 from 3 answers (target 4) (-30); renews in 53 days (2027-01-15) (-10)"
    ) in home
    assert not [p for p in desk.slack.dms_to(world.MIA) if "at risk" in p.text]


async def test_the_figures_are_read_again_after_a_minute(desk: ServiceDesk):
    console = desk.services.console
    read_at = desk.clock.now()
    assert (await console.manager_figures(world.VENDOR, read_at)).breaches == 0
    await desk.customer_posts("The dashboard is down")  # P1: 15 minutes to first response
    await desk.advance(timedelta(minutes=16))  # breached

    # Within the minute, the Home shows what was read; after it, the breach.
    within = read_at + timedelta(seconds=59)
    assert (await console.manager_figures(world.VENDOR, within)).breaches == 0
    assert (await console.manager_figures(world.VENDOR, desk.clock.now())).breaches == 1


# ---- the digests -------------------------------------------------------------------------
@pytest.mark.parametrize("desk_yml", [DIGESTS_YML])
async def test_the_weekly_digest_tells_the_managers_the_weeks_figures_and_who_is_at_risk(
    desk: ServiceDesk,
):
    await breached_outages(desk)
    await desk.customer_posts(
        "Can you help us set up the printer integration?",
        user=world.IVAN,
        channel=world.INITECH_SHARED,
    )
    desk.clock.set(MONDAY_NINE + timedelta(minutes=2))

    assert await desk.services.digests.send_due() == 1
    await desk.settle()

    [digest] = digests_to(desk, world.MIA)
    assert digest.thread_ts is None
    lines = rows(digest.text)
    assert lines[0] == "*Weekly support digest, week of Mon 23 Nov – Sun 29 Nov 2026*"
    assert lines[1] == (
        "```SLA report 2026-11-23 to 2026-11-29 (UTC), workspace T0VENDOR;"
        " generated 2026-11-30 09:02 UTC"
    )
    assert "compared with 2026-11-16 to 2026-11-22" in lines
    assert "Breaches 6 0 +6" in lines and "Tickets opened 4 0 +4" in lines
    assert "strategic P1 first response 0.0% (0/3) 0.0%" in lines
    assert "strategic P1 resolution 0.0% (0/3) 0.0%" in lines
    assert "Globex strategic 3 6" in lines and "Initech standard 1 0" in lines
    at = lines.index("*Account health*")
    assert lines[at + 1 :] == [
        "• *Globex*: 40/100, at risk — 6 breaches in 90 days (-30); 3 open P1 tickets (-20);"
        " renews in 46 days (2027-01-15) (-10)"
    ]
    # The managers only: nobody else got it.
    for person in (world.ALICE, world.BOB):
        assert digests_to(desk, person) == []


@pytest.mark.parametrize("desk_yml", [DIGESTS_YML])
async def test_a_week_with_nobody_at_risk_has_no_such_section(desk: ServiceDesk):
    await answered_and_breached(desk)
    desk.clock.set(MONDAY_NINE)

    await desk.services.digests.send_due()
    await desk.settle()

    [digest] = digests_to(desk, world.MIA)
    assert "Breaches 1 0 +1" in rows(digest.text)
    assert "CSAT average (1-5) 4.00 - -" in rows(digest.text)
    assert "Account health" not in digest.text  # Globex scores 85: healthy


@pytest.mark.parametrize("desk_yml", [DIGESTS_YML])
async def test_the_monthly_report_on_the_first_covers_the_month_before(desk: ServiceDesk):
    await answered_and_breached(desk)
    desk.clock.set(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))  # a Tuesday: the weekly is stale

    assert await desk.services.digests.send_due() == 1
    await desk.settle()

    [report] = digests_to(desk, world.MIA)
    lines = rows(report.text)
    assert lines[0] == "*Monthly SLA report, November 2026*"
    assert lines[1].startswith("```SLA report 2026-11 (UTC), workspace T0VENDOR;")
    assert "compared with 2026-10" in lines
    assert "strategic P2 first response 0.0% (0/1) - - - - 0.0% -" in lines
    assert "Breaches 1 0 +1" in lines


@pytest.mark.parametrize("desk_yml", [NEW_YORK_YML])
async def test_the_digest_goes_at_nine_in_the_teams_zone_and_covers_its_week(desk: ServiceDesk):
    await answered_and_breached(desk)
    nine_in_new_york = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    desk.clock.set(nine_in_new_york - timedelta(minutes=1))
    assert await desk.services.digests.send_due() == 0
    desk.clock.set(nine_in_new_york)

    assert await desk.services.digests.send_due() == 1
    await desk.settle()

    [digest] = digests_to(desk, world.MIA)
    lines = rows(digest.text)
    assert lines[0] == "*Weekly support digest, week of Mon 23 Nov – Sun 29 Nov 2026*"
    assert lines[1].startswith("```SLA report 2026-11-23 to 2026-11-29 (America/New_York)")
    assert "Breaches 1 0 +1" in lines
