"""A manager's monthly figures on the Home: made once for Homes asking together, and again in
the background before they expire, so a Home opened every so often never waits for them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.services.console import REFRESH_AFTER, SHOWN_FOR
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

    desk.clock.advance(timedelta(seconds=2))  # past REFRESH_AFTER
    assert await console.manager_figures(desk.team, desk.clock.now()) == made  # not waited for
    await idle()
    assert counted.calls == 2

    # The minute after the first figures has passed, but the refresh is younger: no wait.
    desk.clock.advance(timedelta(seconds=15))
    await console.manager_figures(desk.team, desk.clock.now())
    assert counted.calls == 2


async def test_after_a_quiet_spell_the_home_shows_the_figures_at_hand_and_makes_new_ones(
    desk: ServiceDesk,
) -> None:
    counted = Counted(desk)
    console = desk.services.console
    read_at = desk.clock.now()
    await console.manager_figures(desk.team, read_at)
    await desk.customer_posts("The dashboard is down")  # P1: 15 minutes to first response
    await desk.advance(timedelta(minutes=16))  # breached meanwhile

    # Five minutes after the last Home nobody waits: the figures at hand, new ones made.
    quiet = read_at + timedelta(minutes=5)
    assert (await console.manager_figures(desk.team, quiet)).breaches == 0
    await idle()
    assert counted.calls == 2
    assert (await console.manager_figures(desk.team, quiet)).breaches == 1


async def test_figures_older_than_shown_for_are_never_shown(desk: ServiceDesk) -> None:
    counted = Counted(desk)
    console = desk.services.console
    await console.manager_figures(desk.team, desk.clock.now())

    await desk.customer_posts("The dashboard is down")  # P1: 15 minutes to first response
    # Breached meanwhile, and the figures too old to show.
    await desk.advance(max(SHOWN_FOR, timedelta(minutes=16)))

    figures = await console.manager_figures(desk.team, desk.clock.now())
    assert counted.calls == 2 and figures.breaches == 1
