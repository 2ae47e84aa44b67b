"""Resolve and reopen: clocks stop, ✅ on the customer's message, receipt and card follow."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.messages.internal import RESOLVE_ACTION
from tests.support import world
from tests.support.fake_slack import Post
from tests.support.service_desk import START, ServiceDesk


@pytest.fixture
async def request_post(desk: ServiceDesk) -> Post:
    """Carol's request, ticket #1."""
    _result, post = await desk.customer_posts("Exports are broken")
    return post


async def test_resolve_closes_the_ticket_for_the_customer_and_the_team(
    desk: ServiceDesk, request_post: Post
) -> None:
    desk.clock.advance(timedelta(hours=2))
    reply = await desk.desk("resolve 1 fixed the export job")

    assert reply == "Ticket #1 (Globex, P2) is resolved, owned by <@U0ALICE>."
    ticket = await desk.ticket(1)
    assert (ticket.status, ticket.resolved_by) == ("resolved", world.ALICE)
    assert ticket.resolved_at == START + timedelta(hours=2)
    assert ticket.resolution_note == "fixed the export job"
    clocks = await desk.clocks(1)
    assert all(c.stopped_at is not None and c.running_since is None for c in clocks.values())
    # The customer: ✅ beside 👀, and the receipt now says resolved.
    assert request_post.reactions == {"eyes", "white_check_mark"}
    assert "Ticket *#1* is resolved" in desk.receipt(request_post).text
    # The team: the card shows it resolved, without buttons.
    card = desk.card(1)
    assert "· Resolved —" in card.text
    assert not [b for b in card.blocks if b["type"] == "actions"]
    assert (await desk.audit(1))[-1] == ("resolved", world.ALICE, {"note": "fixed the export job"})


async def test_the_resolve_button_does_the_same(desk: ServiceDesk, request_post: Post) -> None:
    ticket = await desk.ticket(1)
    reply = await desk.press(RESOLVE_ACTION, ticket.id, user=world.BOB)
    assert reply == "Ticket #1 (Globex, P2) is resolved, owned by <@U0BOB>."
    assert "white_check_mark" in request_post.reactions


async def test_resolving_twice_changes_nothing_the_second_time(
    desk: ServiceDesk, request_post: Post
) -> None:
    await desk.desk("resolve 1")
    seen = [p.shown for p in desk.slack.by_bot()]
    resolved_at = (await desk.ticket(1)).resolved_at
    desk.clock.advance(timedelta(minutes=5))

    assert await desk.desk("resolve 1", user=world.BOB) == (
        ":warning: Ticket #1 is already resolved."
    )
    ticket = await desk.ticket(1)
    assert (ticket.resolved_by, ticket.resolved_at) == (world.ALICE, resolved_at)
    assert [p.shown for p in desk.slack.by_bot()] == seen
    assert [a for a, _w, _d in await desk.audit(1)].count("resolved") == 1


async def test_resolving_an_unknown_ticket(desk: ServiceDesk) -> None:
    assert await desk.desk("resolve 7") == (
        ":warning: There is no ticket #7. `/desk queue` lists the open ones."
    )


async def test_reopen_brings_it_back_and_takes_the_check_mark_away(
    desk: ServiceDesk, request_post: Post
) -> None:
    await desk.desk("resolve 1")
    reply = await desk.desk("reopen 1")
    assert reply == "Ticket #1 (Globex, P2) is open, owned by <@U0ALICE>."
    assert (await desk.ticket(1)).status == "open"
    assert request_post.reactions == {"eyes"}
    assert "Ticket *#1* is resolved" not in desk.receipt(request_post).text
    assert await desk.desk("reopen 1") == (
        ":warning: Ticket #1 is not resolved, so there is nothing to reopen."
    )


async def test_a_customer_writing_back_reopens_a_resolved_ticket(
    desk: ServiceDesk, request_post: Post
) -> None:
    await desk.desk("resolve 1")
    result, _post = await desk.customer_posts("It is broken again", thread_ts=request_post.ts)
    assert (result.outcome, result.ticket_number) == ("reply", 1)
    assert (await desk.ticket(1)).status == "open"
    assert request_post.reactions == {"eyes"}
    assert ("reopened", world.CAROL, {"via": "customer reply"}) in await desk.audit(1)
