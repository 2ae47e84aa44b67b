"""Waiting on the customer: the resolution clock pauses, and a customer reply resumes it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import world
from tests.support.fake_slack import Post
from tests.support.service_desk import START, ServiceDesk


@pytest.fixture
async def answered(desk: ServiceDesk) -> Post:
    """Ticket #1 (strategic P2: resolution in 1 day), answered by Alice after 10 minutes."""
    _result, post = await desk.customer_posts("Exports are broken")
    desk.clock.advance(timedelta(minutes=10))
    await desk.team_posts("Can you send the file?", thread_ts=post.ts)
    return post


async def test_wait_pauses_the_resolution_clock(desk: ServiceDesk, answered: Post) -> None:
    desk.clock.advance(timedelta(minutes=50))  # an hour into the ticket
    reply = await desk.desk("wait 1")

    assert reply == "Ticket #1 (Globex, P2) is waiting, owned by <@U0ALICE>."
    ticket = await desk.ticket(1)
    assert (ticket.status, ticket.waiting_since) == ("waiting", START + timedelta(hours=1))
    resolution = (await desk.clocks(1))["resolution"]
    assert resolution.running_since is None
    assert resolution.elapsed_before_seconds == 3600
    assert "· Waiting on customer —" in desk.card(1).text
    assert (await desk.audit(1))[-1][:2] == ("waiting", world.ALICE)


async def test_while_waiting_no_ladder_step_fires_and_a_reply_resumes(
    desk: ServiceDesk, answered: Post
) -> None:
    desk.clock.advance(timedelta(minutes=50))
    await desk.desk("wait 1")
    posted = len(desk.slack.by_bot())

    # Two days waiting: far past the 1-day resolution target, yet nobody is alerted.
    assert await desk.advance(timedelta(days=2)) == 0
    assert len(desk.slack.by_bot()) == posted

    result, _post = await desk.customer_posts("Here it is", thread_ts=answered.ts)
    assert result.outcome == "reply"
    ticket = await desk.ticket(1)
    assert (ticket.status, ticket.waiting_since) == ("open", None)
    resolution = (await desk.clocks(1))["resolution"]
    assert resolution.running_since == desk.clock.now()
    assert resolution.elapsed_before_seconds == 3600  # the wait did not count
    # The resolution due time moved by the two days of waiting.
    assert resolution.due_at == desk.clock.now() + timedelta(hours=23)
    assert ("resumed", world.CAROL, {}) in await desk.audit(1)


@pytest.mark.parametrize(
    ("before", "reply"),
    [
        ("wait 1", ":warning: Ticket #1 is waiting; only open tickets can wait."),
        ("resolve 1", ":warning: Ticket #1 is resolved; only open tickets can wait."),
    ],
)
async def test_only_open_tickets_can_wait(
    desk: ServiceDesk, answered: Post, before: str, reply: str
) -> None:
    await desk.desk(before)
    assert await desk.desk("wait 1") == reply
    assert [a for a, _w, _d in await desk.audit(1)].count("waiting") == (before == "wait 1")
