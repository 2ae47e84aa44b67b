"""The App Home: what each person sees on it, and when it is published again (debounced)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from bot.domain.clock import ManualClock
from bot.messages.home import (
    HOME_CLAIM_ACTION,
    HOME_RESOLVE_ACTION,
    AttainmentCell,
    ManagerFigures,
)
from bot.services.home import HOME_WINDOW, HomePages
from bot.services.inputs import Caller, HomeOpened
from store.models import Ticket
from tests.support import world
from tests.support.service_desk import START, ServiceDesk

# The outbox's clock starts on a window's boundary and moves only when a test says.
WALL_START = START
assert WALL_START.timestamp() % HOME_WINDOW == 0


@pytest.fixture
def desk_wall() -> ManualClock:
    """Debounced publishes fall due by this clock (see tests/services/conftest.py)."""
    return ManualClock(WALL_START)


async def window_passes(desk: ServiceDesk) -> None:
    """The debounce window ends: publishes waiting for it are sent."""
    assert desk.wall is not None
    desk.wall.advance(timedelta(seconds=HOME_WINDOW * 2))
    await desk.settle()


def publishes(desk: ServiceDesk, user: str) -> int:
    """How many times someone's Home was published."""
    return len(desk.slack.homes.get(user, []))


def home_blocks(desk: ServiceDesk, user: str) -> list[dict]:
    """The blocks of someone's Home as last published."""
    return desk.slack.homes[user][-1]["blocks"]


def buttons(desk: ServiceDesk, user: str, ticket_id: int) -> list[tuple[str, str]]:
    """(label, action) of the buttons under one ticket on someone's Home."""
    for block in home_blocks(desk, user):
        if block.get("block_id") == f"home:{ticket_id}":
            return [(b["text"]["text"], b["action_id"]) for b in block["elements"]]
    return []


async def three_globex_tickets(desk: ServiceDesk) -> None:
    """#1 P3 (4h to first response), #2 P2 (1h), #3 P1 (15m), six minutes apart."""
    await desk.customer_posts("Question about our invoices", user=world.CAROL)
    desk.clock.advance(timedelta(minutes=6))
    await desk.customer_posts("Exports are broken", user=world.DAVE)
    desk.clock.advance(timedelta(minutes=6))
    await desk.customer_posts("The dashboard is down", user=world.CAROL)


async def test_an_agent_sees_their_tickets_by_time_left_then_their_accounts_unassigned(
    desk: ServiceDesk,
) -> None:
    await three_globex_tickets(desk)
    await desk.desk("claim 1")
    await desk.desk("claim 3")

    home = await desk.open_home(world.ALICE)

    assert home is not None
    mine, unassigned = home.split("Unassigned in your accounts")
    # The nearest clock first: #3 (P1) has 15 minutes left, #1 (P3) 3h 48m.
    assert "Your open tickets (2)" in mine
    assert mine.index("*#3*") < mine.index("*#1*")
    assert "*#3* · Globex · P1 · *15m left (first response)*" in mine
    assert "*#1* · Globex · P3 · *3h 48m left (first response)*" in mine
    assert "> The dashboard is down" in mine
    assert "(1)" in unassigned and "*#2* · Globex · P2 · *54m left (first response)*" in unassigned
    ticket_ids = {n: (await desk.ticket(n)).id for n in (1, 2, 3)}
    assert buttons(desk, world.ALICE, ticket_ids[3]) == [("Resolve", HOME_RESOLVE_ACTION)]
    assert buttons(desk, world.ALICE, ticket_ids[2]) == [
        ("Claim", HOME_CLAIM_ACTION),
        ("Resolve", HOME_RESOLVE_ACTION),
    ]
    # Bob is on Initech's team only: Globex's tickets are not his to see here.
    bob = await desk.open_home(world.BOB)
    assert bob is not None and "Globex" not in bob and "Nothing open for you" in bob


async def test_time_left_counts_down_to_overdue_and_waiting_stops_it(desk: ServiceDesk) -> None:
    await desk.customer_posts("The dashboard is down")
    await desk.desk("claim 1")
    desk.clock.advance(timedelta(minutes=17, seconds=30))

    home = await desk.open_home(world.ALICE)
    assert home is not None and "*overdue 2m (first response)*" in home

    await desk.team_posts("Looking at it", thread_ts=(await desk.ticket(1)).root_ts)
    await desk.desk("wait 1")
    await window_passes(desk)
    assert "*waiting on the customer*" in (desk.slack.home(world.ALICE) or "")


async def test_a_manager_also_sees_the_team_now_and_this_months_figures(
    desk: ServiceDesk,
) -> None:
    await desk.customer_posts("The dashboard is down")  # P1: 15 minutes to first response
    await desk.customer_posts("Exports are broken", user=world.DAVE)  # P2: an hour
    home = await desk.open_home(world.MIA)
    assert home is not None
    assert "Team now" in home and "*Open tickets*\n2" in home and "*At risk*" in home
    assert "Breaches: *0*" in home
    assert "*Account health*: no account at risk or on watch" in home
    alice = await desk.open_home(world.ALICE)
    assert alice is not None and "Team now" not in alice

    # 80 % of #1's first response gone: the sweep flags it at risk (< 25 % left).
    await desk.advance(timedelta(minutes=12))
    await window_passes(desk)
    home = desk.slack.home(world.MIA) or ""
    assert "*At risk* (< 25 % of a clock left)\n1" in home
    assert "*Breached, still open*\n0" in home
    assert ":warning: *#1* · Globex · P1 · *3m left (first response)* · unassigned" in home

    # Past its target: breached, and an incident declared meanwhile shows too.
    await desk.advance(timedelta(minutes=4))
    await desk.desk("incident declare sev2 Exports are delayed accounts: all")
    await window_passes(desk)
    home = desk.slack.home(world.MIA) or ""
    assert "*Breached, still open*\n1" in home and "*At risk* (< 25 % of a clock left)\n0" in home
    assert ":red_circle: *#1* · Globex · P1 · *overdue 1m (first response)*" in home
    assert "*Open incidents*\n1" in home and "sev2 · investigating — Exports are delayed" in home
    # This month's figures (the reports, read again a minute on): the breach counts.
    assert "Breaches: *1*" in home


async def test_someone_outside_the_team_sees_one_neutral_line_and_nothing_internal(
    desk: ServiceDesk,
) -> None:
    await desk.customer_posts("Exports are broken for Globex <!channel>")
    await desk.desk("claim 1")

    for user in (world.CAROL, world.IVAN):
        home = await desk.open_home(user)
        assert home == (
            "Hi! To ask for help, post in the channel you share with us; the team answers there."
        )
        shown = json.dumps(desk.slack.homes[user])
        assert "Globex" not in shown and "Exports" not in shown and "#1" not in shown
        assert not world.internal_pattern().search(shown)


async def test_customer_words_on_the_home_ping_nobody(desk: ServiceDesk) -> None:
    await desk.customer_posts("<!channel> exports broken, ask <@U0BOB> & <!here>")
    await desk.open_home(world.ALICE)

    raw = json.dumps(home_blocks(desk, world.ALICE))
    assert "<!channel>" not in raw and "<!here>" not in raw and "<@U0BOB>" not in raw
    assert "&lt;!channel&gt; exports broken, ask &lt;@U0BOB&gt; &amp; &lt;!here&gt;" in raw


async def test_changes_within_the_window_make_one_publish_and_after_it_another(
    desk: ServiceDesk,
) -> None:
    await desk.open_home(world.ALICE)
    assert publishes(desk, world.ALICE) == 1  # at once: nothing was published before

    await desk.customer_posts("Exports are broken")
    await desk.customer_posts("Reports are broken too", user=world.DAVE)
    await desk.desk("claim 1", user=world.BOB)
    # Three changes Alice's Home shows, within the window: one publish, at its end.
    assert publishes(desk, world.ALICE) == 1
    await window_passes(desk)
    assert publishes(desk, world.ALICE) == 2
    home = desk.slack.home(world.ALICE) or ""
    assert "Unassigned in your accounts (1)" in home and "*#2*" in home and "*#1*" not in home

    # A quiet spell, then a change: published at once again.
    await desk.desk("claim 2")
    assert publishes(desk, world.ALICE) == 3
    assert "Your open tickets (1)" in (desk.slack.home(world.ALICE) or "")
    await window_passes(desk)
    assert publishes(desk, world.ALICE) == 3


async def test_only_people_who_opened_their_home_get_it_published(desk: ServiceDesk) -> None:
    await desk.open_home(world.ALICE)
    await window_passes(desk)

    await desk.customer_posts("Exports are broken")  # Globex: Alice's account, Mia manages
    await window_passes(desk)
    assert publishes(desk, world.ALICE) == 2
    assert publishes(desk, world.MIA) == 0 and publishes(desk, world.BOB) == 0

    await desk.open_home(world.MIA)
    await window_passes(desk)
    await desk.customer_posts("Printer is broken", user=world.IVAN, channel=world.INITECH_SHARED)
    await window_passes(desk)
    # Initech is Bob's account (he never opened his Home) and none of Alice's.
    assert publishes(desk, world.MIA) == 2
    assert publishes(desk, world.ALICE) == 2 and publishes(desk, world.BOB) == 0
    assert "*Open tickets*\n2" in (desk.slack.home(world.MIA) or "")


async def test_a_ticket_given_to_someone_else_leaves_the_previous_owners_home(
    desk: ServiceDesk,
) -> None:
    await desk.customer_posts("Exports are broken")
    await desk.desk("claim 1")
    await desk.open_home(world.ALICE)
    await desk.open_home(world.BOB)
    await window_passes(desk)

    await desk.desk("claim 1", user=world.BOB)
    await window_passes(desk)

    assert "Nothing open for you" in (desk.slack.home(world.ALICE) or "")
    assert "*#1* · Globex" in (desk.slack.home(world.BOB) or "").split("Unassigned")[0]


async def test_claim_and_resolve_on_the_home_do_what_the_card_buttons_do(
    desk: ServiceDesk,
) -> None:
    await desk.customer_posts("Exports are broken")
    await desk.open_home(world.ALICE)
    ticket = await desk.ticket(1)

    await desk.press_home(HOME_CLAIM_ACTION, ticket.id)
    await window_passes(desk)

    assert (await desk.ticket(1)).owner_user_id == world.ALICE
    assert "owner: <@U0ALICE>" in desk.card(1).text
    home = desk.slack.home(world.ALICE) or ""
    assert home.startswith("Ticket #1 (Globex, P2) is open, owned by <@U0ALICE>.")
    assert "Your open tickets (1)" in home and "Unassigned in your accounts (0)" in home

    await desk.press_home(HOME_RESOLVE_ACTION, ticket.id)
    await window_passes(desk)
    assert (await desk.ticket(1)).status == "resolved"
    assert "Your open tickets (0)" in (desk.slack.home(world.ALICE) or "")
    assert (await desk.audit(1))[-1][:2] == ("resolved", world.ALICE)


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        ("resolved", ":warning: Ticket #1 is already resolved."),
        ("abc", ":warning: That button is out of date; use `/desk queue` instead."),
        ("999", ":warning: There is no ticket that ticket. `/desk queue` lists the open ones."),
    ],
)
async def test_a_press_that_changes_nothing_says_why_on_the_home(
    desk: ServiceDesk, value: str, answer: str
) -> None:
    await desk.customer_posts("Exports are broken")
    await desk.desk("resolve 1")
    await desk.open_home(world.ALICE)
    ticket_id = (await desk.ticket(1)).id
    pressed = str(ticket_id) if value == "resolved" else value
    audit = await desk.audit()

    await desk.services.desk.press_home(
        Caller(desk.team, world.ALICE, None, None), HOME_RESOLVE_ACTION, pressed
    )
    await window_passes(desk)

    assert (desk.slack.home(world.ALICE) or "").startswith(answer)
    assert await desk.audit() == audit
    # Opening the Home again starts afresh: the answer is gone.
    await window_passes(desk)
    assert not (await desk.open_home(world.ALICE) or "").startswith(":warning:")


async def test_a_customer_pressing_a_home_button_changes_nothing(desk: ServiceDesk) -> None:
    await desk.customer_posts("Exports are broken")
    ticket = await desk.ticket(1)

    await desk.press_home(HOME_CLAIM_ACTION, ticket.id, user=world.CAROL)

    assert (await desk.ticket(1)).owner_user_id is None
    await window_passes(desk)
    home = desk.slack.home(world.CAROL) or ""
    assert home.startswith("Hi! To ask for help") and "Globex" not in home


async def test_the_messages_tab_and_a_redelivered_opening_publish_nothing_more(
    desk: ServiceDesk,
) -> None:
    assert await desk.open_home(world.ALICE, tab="messages") is None

    event = HomeOpened("EvHOME1", desk.team, world.ALICE, "home")
    await desk.services.home.opened(event)
    await window_passes(desk)
    await desk.services.home.opened(event)
    await window_passes(desk)
    assert publishes(desk, world.ALICE) == 1
    # An install the app does not have (or no longer has), or no one named: nothing at all.
    for stray in (
        HomeOpened("EvHOME2", "T0ELSEWHERE", world.BOB, "home"),
        HomeOpened("EvHOME3", desk.team, "", "home"),
    ):
        await desk.services.home.opened(stray)
    await window_passes(desk)
    assert set(desk.slack.homes) == {world.ALICE}
    async with desk.services.db.reading() as uow:
        assert await uow.home.openers(desk.team, [world.ALICE, world.BOB]) == {world.ALICE}


async def test_a_long_list_shows_its_first_tickets_and_how_many_more(desk: ServiceDesk) -> None:
    for n in range(18):
        await desk.customer_posts(
            f"Export job {n} is broken", user=(world.CAROL, world.DAVE)[n % 2]
        )
        desk.clock.advance(timedelta(minutes=3))
    async with desk.services.db.unit_of_work() as uow:
        await uow.session.execute(update(Ticket).values(owner_user_id=world.ALICE))

    home = await desk.open_home(world.ALICE) or ""

    assert "Your open tickets (18)" in home and "…and 3 more: `/desk mine` lists them all" in home
    assert home.count("Export job") == 15
    assert len(home_blocks(desk, world.ALICE)) <= 100


class MonthlyFigures:
    """What the reports service will give the Home (the seam: `FiguresSource`)."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, datetime]] = []

    async def manager_figures(self, team_id: str, now: datetime) -> ManagerFigures:
        self.asked.append((team_id, now))
        return ManagerFigures(
            month="November 2026",
            attainment=(AttainmentCell("strategic", "first_response", 96.0),),
            csat_average=4.5,
            csat_response_rate=0.5,
        )


async def test_a_managers_monthly_figures_come_from_the_figures_source(desk: ServiceDesk) -> None:
    services = desk.services
    figures = MonthlyFigures()
    pages = HomePages(services.db, services.config, services.people, desk.clock, figures)

    view, ours = await pages.render(desk.team, world.MIA)
    shown = json.dumps(view.blocks, ensure_ascii=False)

    assert ours and figures.asked == [(desk.team, desk.clock.now())]
    assert "*strategic*: first response 96 %" in shown
    assert "CSAT: *4.5 / 5* (50 % answered)" in shown
    assert "come with the monthly report" not in shown
    # Only managers' Homes ask for them.
    await pages.render(desk.team, world.ALICE)
    assert len(figures.asked) == 1
