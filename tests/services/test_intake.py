"""Intake and opening: a customer's post becomes a ticket; 👀, receipt and card follow."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import world
from tests.support.service_desk import START, ServiceDesk


async def test_a_request_opens_a_ticket_the_customer_and_the_team_each_see(
    desk: ServiceDesk,
) -> None:
    result, post = await desk.customer_posts("Our exports are broken since this morning")

    assert (result.outcome, result.ticket_number) == ("opened", 1)
    ticket = await desk.ticket(1)
    assert (ticket.status, ticket.priority, ticket.owner_user_id) == ("open", "P2", None)
    assert ticket.requester_user_id == world.CAROL
    # The customer: 👀 on their message, the receipt in its thread with the first-reply time
    # (strategic P2: 1h), nothing else anywhere they can see.
    assert post.reactions == {"eyes"}
    receipt = desk.receipt(post)
    due = int((START + timedelta(hours=1)).timestamp())
    assert "ticket *#1*" in receipt.text and f"<!date^{due}^" in receipt.text
    assert desk.slack.seen_by(world.CAROL) == [receipt]
    # The team: the card in Globex's internal channel, with a Claim button.
    card = desk.card(1)
    assert card.text == "Ticket #1 · Globex (strategic) · P2 · Open — owner: unassigned"
    assert "Claim" in card.shown and "Our exports are broken" in card.shown
    assert (ticket.receipt_ts, ticket.card_ts) == (receipt.ts, card.ts)
    assert [a for a, _who, _d in await desk.audit(1)] == ["opened"]


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("The dashboard is down for everyone", "P1"),
        ("We get an error when saving", "P2"),
        ("How do I add a second admin?", "P3"),
    ],
)
async def test_triage_rules_set_the_priority(desk: ServiceDesk, text: str, priority: str) -> None:
    await desk.customer_posts(text)
    assert (await desk.ticket(1)).priority == priority
    assert f"· {priority} ·" in desk.card(1).text


@pytest.mark.parametrize(
    ("who", "channel", "text", "reason"),
    [
        ("customer", world.GLOBEX_SHARED, "thanks!", "chatter"),
        ("team", world.GLOBEX_SHARED, "Heads up: maintenance tonight", "staff post"),
        ("customer", world.NEW_SHARED, "Is anyone there? Help needed", "channel not linked"),
    ],
)
async def test_posts_that_open_nothing(
    desk: ServiceDesk, who: str, channel: str, text: str, reason: str
) -> None:
    act = desk.customer_posts if who == "customer" else desk.team_posts
    result, post = await act(text, channel=channel)
    assert (result.outcome, result.reason) == ("ignored", reason)
    assert desk.slack.by_bot() == [] and post.reactions == set()
    assert await desk.audit() == []


async def test_a_second_post_within_the_window_joins_the_open_ticket(desk: ServiceDesk) -> None:
    await desk.customer_posts("Exports are broken")
    desk.clock.advance(timedelta(minutes=3))
    result, second = await desk.customer_posts("Also the CSV is empty")

    assert (result.outcome, result.ticket_number) == ("joined", 1)
    assert second.reactions == {"eyes"}
    assert desk.slack.thread(second.channel, second.ts) == []  # no second receipt
    assert [a for a, _w, _d in await desk.audit(1)] == ["opened", "message_grouped"]


async def test_a_post_after_the_window_opens_a_new_ticket(desk: ServiceDesk) -> None:
    await desk.customer_posts("Exports are broken")
    desk.clock.advance(timedelta(minutes=6))
    result, _post = await desk.customer_posts("Another question about invoices")
    assert (result.outcome, result.ticket_number) == ("opened", 2)


async def test_an_account_without_receipts_gets_only_the_internal_card(desk: ServiceDesk) -> None:
    result, post = await desk.customer_posts(
        "Our login is broken", user=world.IVAN, channel=world.INITECH_SHARED
    )
    assert result.outcome == "opened"
    assert post.reactions == set() and desk.slack.by_bot(world.INITECH_SHARED) == []
    assert desk.card(1, world.INITECH_INTERNAL).text.startswith("Ticket #1 · Initech (standard)")


async def test_a_redelivered_event_counts_once(desk: ServiceDesk) -> None:
    await desk.customer_posts("Exports are broken")
    event = desk.last_event
    assert (await desk.redeliver(event)).outcome == "duplicate"
    assert len(desk.slack.by_bot()) == 2  # one receipt, one card
    assert [a for a, _w, _d in await desk.audit(1)] == ["opened"]


async def test_the_first_team_reply_stops_the_first_response_clock_and_takes_the_ticket(
    desk: ServiceDesk,
) -> None:
    _r, post = await desk.customer_posts("Exports are broken")
    desk.clock.advance(timedelta(minutes=20))
    result, _reply = await desk.team_posts("Looking into it", thread_ts=post.ts)

    assert (result.outcome, result.ticket_number) == ("reply", 1)
    ticket = await desk.ticket(1)
    assert ticket.owner_user_id == world.ALICE
    assert ticket.first_response_at == START + timedelta(minutes=20)
    clocks = await desk.clocks(1)
    assert clocks["first_response"].outcome == "met"
    assert "someone from the team is on it" in desk.receipt(post).text
    assert "owner: <@U0ALICE>" in desk.card(1).text
    assert [a for a, _w, _d in await desk.audit(1)] == ["opened", "first_response", "owner_set"]


async def test_a_reply_in_a_thread_that_is_no_ticket_is_ignored(desk: ServiceDesk) -> None:
    _r, chatter = await desk.team_posts("Welcome to the channel!")
    result, _post = await desk.customer_posts("Thanks, glad to be here", thread_ts=chatter.ts)
    assert (result.outcome, result.reason) == ("ignored", "thread is not a ticket")


async def test_posts_arriving_together_open_and_join_in_post_order(desk: ServiceDesk) -> None:
    outcomes = await desk.customers_post_together(
        [
            (world.CAROL, "Exports are broken"),
            (world.DAVE, "We cannot log in, error 500"),
            (world.CAROL, "Also the CSV is empty"),
            (world.CAROL, "thanks!"),
        ]
    )

    assert [(r.outcome, r.ticket_number) for r, _p in outcomes] == [
        ("opened", 1),
        ("opened", 2),
        ("joined", 1),
        ("ignored", None),
    ]
    assert [(await desk.ticket(n)).requester_user_id for n in (1, 2)] == [world.CAROL, world.DAVE]
    carol, dave, more, thanks = (p for _r, p in outcomes)
    assert "ticket *#1*" in desk.receipt(carol).text and "ticket *#2*" in desk.receipt(dave).text
    assert more.reactions == {"eyes"} and thanks.reactions == set()
    assert [desk.card(n).text.split(" · ")[0] for n in (1, 2)] == ["Ticket #1", "Ticket #2"]
