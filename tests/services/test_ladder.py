"""The escalation ladder: SLA warnings and breach alerts, each step once, from the timer sweep.

Strategic P1 (tests/support/world.py): first response in 15m, resolution in 4h; the default
ladder tells the owner at 75% and the managers and escalation channel at 100%.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import world
from tests.support.fake_slack import Post
from tests.support.service_desk import ServiceDesk

HEAD = "#1 · Globex (strategic, ARR $250,000) · P1"


@pytest.fixture
async def outage(desk: ServiceDesk) -> Post:
    """Ticket #1, strategic P1, nobody on it yet."""
    _result, post = await desk.customer_posts("Our site is down")
    return post


def alerts(desk: ServiceDesk) -> list[tuple[str, str]]:
    """(where, first line) of every SLA alert the bot sent, in order."""
    return [
        (p.channel, p.text.split("\n")[0])
        for p in desk.slack.by_bot()
        if p.text.startswith((":hourglass_flowing_sand:", ":rotating_light: *SLA"))
    ]


async def test_each_step_fires_once_at_its_time(desk: ServiceDesk, outage: Post) -> None:
    assert await desk.advance(timedelta(minutes=11)) == 0  # 73%: not yet

    # 75%: the owner is told; with no owner, the account's internal channel.
    assert await desk.advance(timedelta(seconds=15)) == 1
    warning = f":hourglass_flowing_sand: *SLA warning* (75%) · {HEAD}"
    assert alerts(desk) == [(world.GLOBEX_INTERNAL, warning)]
    assert ":warning: at risk" in desk.card(1).shown
    assert await desk.sweep() == 0  # the same moment swept again: nothing new

    # 100%: one step, two recipients: the managers (by DM) and the escalation channel.
    assert await desk.advance(timedelta(minutes=3, seconds=45)) == 1
    breach = f":rotating_light: *SLA breached* (100%) · {HEAD}"
    assert alerts(desk)[1:] == [("D0MIA", breach), (world.ESCALATION, breach)]
    assert ":red_circle: breached" in desk.card(1).shown
    ticket = await desk.ticket(1)
    assert ticket.sla_flag == "breached"
    assert (await desk.clocks(1))["first_response"].breached_at is not None
    steps = [d for a, _w, d in await desk.audit(1) if a == "sla_step"]
    assert steps == [
        {"clock": "first_response", "percent": 75, "repeat": 0},
        {"clock": "first_response", "percent": 100, "repeat": 0},
    ]


async def test_past_the_top_step_nothing_more_fires(desk: ServiceDesk, outage: Post) -> None:
    await desk.advance(timedelta(minutes=16))  # both first-response steps, in one sweep
    assert len(alerts(desk)) == 3

    # Far past the last first-response step, before the resolution clock's 75% (3h).
    for _ in range(3):
        assert await desk.advance(timedelta(minutes=40)) == 0
    assert len(alerts(desk)) == 3
    # Then the resolution clock's own ladder, its first step once.
    assert await desk.advance(timedelta(minutes=45)) == 1
    assert await desk.sweep() == 0
    assert alerts(desk)[-1][1].startswith(":hourglass_flowing_sand: *SLA warning* (75%)")


async def test_an_owned_ticket_warns_its_owner_by_dm(desk: ServiceDesk, outage: Post) -> None:
    await desk.desk("claim 1", user=world.BOB)
    await desk.advance(timedelta(minutes=12))
    assert [p.text.split("\n")[0] for p in desk.slack.dms_to(world.BOB)] == [
        f":hourglass_flowing_sand: *SLA warning* (75%) · {HEAD}"
    ]


async def test_a_first_reply_in_time_stops_the_first_response_ladder(
    desk: ServiceDesk, outage: Post
) -> None:
    desk.clock.advance(timedelta(minutes=5))
    await desk.team_posts("On it", thread_ts=outage.ts)
    assert await desk.advance(timedelta(hours=2)) == 0
    assert alerts(desk) == []


async def test_resolved_tickets_are_never_alerted(desk: ServiceDesk, outage: Post) -> None:
    await desk.desk("resolve 1")
    assert await desk.advance(timedelta(days=1)) == 0
    assert alerts(desk) == []


async def test_customers_never_see_an_alert(desk: ServiceDesk, outage: Post) -> None:
    await desk.advance(timedelta(hours=5))  # every step of both clocks
    assert len(alerts(desk)) == 6
    assert desk.slack.seen_by(world.CAROL) == [desk.receipt(outage)]


REPEATING = world.DESK_YML.replace(
    "    renewal_watch: true\n",
    "    renewal_watch: true\n"
    "    ladder:\n"
    "      - {at: 100%, notify: [escalation_channel], repeat: 30m}\n",
)


@pytest.mark.parametrize("desk_yml", [REPEATING], ids=["repeat every 30m"])
async def test_a_repeating_step_fires_once_per_interval(desk: ServiceDesk, outage: Post) -> None:
    assert await desk.advance(timedelta(minutes=15)) == 1  # first response at 100%
    assert await desk.advance(timedelta(minutes=29)) == 0
    assert await desk.advance(timedelta(minutes=1)) == 1  # 30m later: again
    assert await desk.sweep() == 0
    repeats = [d["repeat"] for a, _w, d in await desk.audit(1) if a == "sla_step"]
    assert repeats == [0, 1]
    assert [c for c, _line in alerts(desk)] == [world.ESCALATION, world.ESCALATION]
