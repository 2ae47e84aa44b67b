"""The App Home end to end: people open it in the emulator and see their part of the desk."""

from __future__ import annotations

from datetime import timedelta

from bot.messages.home import HOME_CLAIM_ACTION
from bot.sandbox.sandbox import Sandbox
from bot.services.home import HOME_WINDOW
from tests.support import world as w
from tests.support.actions import card_of, desk, open_ticket
from tests.support.transports import BOTH_TRANSPORTS
from tests.support.waits import desk_idle, eventually

pytestmark = BOTH_TRANSPORTS

NEUTRAL = "Hi! To ask for help, post in the channel you share with us; the team answers there."
# A debounced publish lands at the end of its window, plus the worker's wake-up.
WITHIN = HOME_WINDOW + 5.0


async def opened_home(box: Sandbox, user: str) -> str:
    """`user` opens the app's Home; what it shows them once the bot has published it."""
    before = len(box.emu.homes.published(user))
    delivery = await box.emu.homes.open(user)
    assert delivery.status == 200
    await eventually(lambda: len(box.emu.homes.published(user)) > before, within=WITHIN)
    return box.emu.homes.text(user) or ""


async def test_an_agent_sees_their_tickets_soonest_due_first_with_what_is_left(
    sandbox: Sandbox,
) -> None:
    await open_ticket(sandbox, "Question about our invoices")  # P3: 4h to first response
    sandbox.clock.advance(timedelta(minutes=6))
    await open_ticket(sandbox, "Exports are broken", user=w.DAVE)  # P2: 1h
    sandbox.clock.advance(timedelta(minutes=6))
    await open_ticket(sandbox, "The dashboard is down")  # P1: 15m
    for number in (1, 3):
        await desk(sandbox, w.ALICE, f"claim {number}")

    home = await opened_home(sandbox, w.ALICE)

    lines = home.splitlines()
    assert lines[:7] == [
        "Your open tickets (2)",
        "*#3* · Globex · P1 · *15m left (first response)*",
        "> The dashboard is down",
        "[Resolve]",
        "*#1* · Globex · P3 · *3h 48m left (first response)*",
        "> Question about our invoices",
        "[Resolve]",
    ]
    assert lines[7:12] == [
        "---",
        "Unassigned in your accounts (1)",
        "*#2* · Globex · P2 · *54m left (first response)*",
        "> Exports are broken",
        "[Claim] [Resolve]",
    ]
    assert "Team now" not in home
    # Their transcript ends with the Home as it is now.
    assert "[App Home]\n      Your open tickets (2)" in sandbox.emu.transcript(w.ALICE)


async def test_a_manager_sees_the_team_now_and_where_the_monthly_figures_go(
    sandbox: Sandbox,
) -> None:
    await open_ticket(sandbox, "The dashboard is down")
    await open_ticket(sandbox, "Exports are broken", user=w.DAVE)

    home = await opened_home(sandbox, w.MIA)

    assert "Team now\n*Open tickets*\n2\n*At risk* (< 25 % of a clock left)\n0" in home
    assert "*Breached, still open*\n0\n*Open incidents*\n0" in home
    assert f"This month ({sandbox.clock.now():%B %Y})" in home
    assert "Breaches: *0*" in home and "*Account health*: no account at risk or on watch" in home


async def test_someone_outside_the_team_sees_one_neutral_line(sandbox: Sandbox) -> None:
    await open_ticket(sandbox, "Exports are broken for Globex <!channel>")
    await desk(sandbox, w.ALICE, "claim 1")

    home = await opened_home(sandbox, w.CAROL)

    assert home == NEUTRAL
    assert "Globex" not in repr(sandbox.emu.homes.published(w.CAROL))


CLAIMED = "Ticket #1 (Globex, P2) is open, owned by @alice."


async def test_pressing_claim_on_the_home_claims_the_ticket_and_the_home_updates(
    sandbox: Sandbox,
) -> None:
    await open_ticket(sandbox, "Exports are broken")
    home = await opened_home(sandbox, w.ALICE)
    assert "Your open tickets (0)" in home and "[Claim] [Resolve]" in home

    delivery = await sandbox.emu.homes.press(w.ALICE, HOME_CLAIM_ACTION)
    assert delivery.status == 200

    await sandbox.emu.wait_for(lambda: "<@U0ALICE>" in card_of(sandbox, 1).raw_text)
    home = await eventually(
        lambda: (
            # The claim's own republish can land before the press's answer is stored: the
            # Home that answers the press is the one to read.
            (sandbox.emu.homes.text(w.ALICE) or "").startswith(CLAIMED)
            and sandbox.emu.homes.text(w.ALICE)
        ),
        within=WITHIN,
    )
    assert "Your open tickets (1)" in home
    assert (
        "*#1* · Globex · P2 · *1h left (first response)*\n> Exports are broken\n[Resolve]" in home
    )
    assert "Unassigned in your accounts (0)" in home
    await desk_idle(sandbox)
