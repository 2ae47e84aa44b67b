"""A manager's monthly figures on the Home: made once for Homes asking together, and again in
the background before they expire, so a Home opened every so often never waits for them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.services.console import FIGURES_FOR, REFRESH_AFTER
from tests.support.service_desk import ServiceDesk


class Counted:
    """Counts the reports the console asks for (the month's figures are the costly part)."""

    def __init__(self, desk: ServiceDesk) -> None:
        self.reports = desk.services.console.reports
        self.calls = 0
        self._figures = self.reports.figures

        async def figures(*args, **kwargs):
            self.calls += 1
            return await self._figures(*args, **kwargs)

        self.reports.figures = figures  # type: ignore[method-assign]


async def idle() -> None:
    """Let a background refresh finish (it reads the database: several loop turns)."""
    for _ in range(200):
        await asyncio.sleep(0.005)


async def test_homes_asking_together_share_one_making_of_the_figures(desk: ServiceDesk) -> None:
    counted = Counted(desk)
    console = desk.services.console

    first = await asyncio.gather(
        *(console.manager_figures(desk.team, desk.clock.now()) for _ in range(4))
    )

    assert counted.calls == 1
    assert all(f == first[0] for f in first) and first[0].breaches == 0


async def test_figures_are_made_again_in_the_background_before_they_expire(
    desk: ServiceDesk,
) -> None:
    counted = Counted(desk)
    console = desk.services.console
    made = await console.manager_figures(desk.team, desk.clock.now())
    desk.clock.advance(REFRESH_AFTER - timedelta(seconds=1))
    assert await console.manager_figures(desk.team, desk.clock.now()) == made
    assert counted.calls == 1  # fresh: nothing asked

    desk.clock.advance(timedelta(seconds=2))  # past REFRESH_AFTER, within FIGURES_FOR
    assert await console.manager_figures(desk.team, desk.clock.now()) == made  # not waited for
    await idle()
    assert counted.calls == 2

    # The minute after the first figures has passed, but the refresh is younger: no wait.
    desk.clock.advance(FIGURES_FOR - REFRESH_AFTER)
    await console.manager_figures(desk.team, desk.clock.now())
    assert counted.calls == 2


async def test_after_a_quiet_minute_the_home_waits_for_figures_made_now(desk: ServiceDesk) -> None:
    counted = Counted(desk)
    console = desk.services.console
    await console.manager_figures(desk.team, desk.clock.now())

    await desk.customer_posts("The dashboard is down")  # P1: 15 minutes to first response
    await desk.advance(timedelta(minutes=16))  # breached meanwhile

    figures = await console.manager_figures(desk.team, desk.clock.now())
    assert counted.calls == 2 and figures.breaches == 1
