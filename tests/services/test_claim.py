"""Claim and assign, by command and by button: who owns a ticket, and who is told."""

from __future__ import annotations

import pytest

from bot.messages.internal import CLAIM_ACTION
from bot.services.desk import REFUSAL
from tests.support import world
from tests.support.service_desk import ServiceDesk


@pytest.fixture
async def opened(desk: ServiceDesk) -> ServiceDesk:
    """Ticket #1, opened by Carol in Globex's shared channel."""
    await desk.customer_posts("Exports are broken")
    return desk


async def test_claim_makes_the_caller_owner_and_the_card_says_so(opened: ServiceDesk) -> None:
    desk = opened
    receipt_before = desk.receipt(desk.slack.in_channel(world.GLOBEX_SHARED)[0]).shown

    reply = await desk.desk("claim 1")

    assert reply == "Ticket #1 (Globex, P2) is open, owned by <@U0ALICE>."
    assert (await desk.ticket(1)).owner_user_id == world.ALICE
    card = desk.card(1)
    assert "owner: <@U0ALICE>" in card.text and "Claim" not in card.shown
    # Who owns it is the team's business: the customer's receipt reads as before.
    assert desk.receipt(desk.slack.in_channel(world.GLOBEX_SHARED)[0]).shown == receipt_before
    assert (await desk.audit(1))[-1] == (
        "owner_set",
        world.ALICE,
        {"owner": world.ALICE, "previous": None},
    )


async def test_the_claim_button_does_the_same(opened: ServiceDesk) -> None:
    ticket = await opened.ticket(1)
    reply = await opened.press(CLAIM_ACTION, ticket.id, user=world.BOB)
    assert reply == "Ticket #1 (Globex, P2) is open, owned by <@U0BOB>."
    assert "owner: <@U0BOB>" in opened.card(1).text


@pytest.mark.parametrize(
    ("first", "then", "reply", "owner"),
    [
        # Claiming your own ticket again changes nothing.
        (
            world.ALICE,
            world.ALICE,
            ":warning: Ticket #1 is already owned by <@U0ALICE>.",
            world.ALICE,
        ),
        # Someone else's: the claim takes it over (the audit keeps who had it).
        (world.ALICE, world.BOB, "Ticket #1 (Globex, P2) is open, owned by <@U0BOB>.", world.BOB),
    ],
)
async def test_claiming_a_claimed_ticket(
    opened: ServiceDesk, first: str, then: str, reply: str, owner: str
) -> None:
    await opened.desk("claim 1", user=first)
    edits = len(opened.card(1).edits)

    assert await opened.desk("claim #1", user=then) == reply

    assert (await opened.ticket(1)).owner_user_id == owner
    owners = [d for a, _w, d in await opened.audit(1) if a == "owner_set"]
    if first == then:
        assert len(owners) == 1 and len(opened.card(1).edits) == edits
    else:
        assert owners[-1] == {"owner": then, "previous": first}


async def test_assign_gives_the_ticket_to_a_teammate(opened: ServiceDesk) -> None:
    reply = await opened.desk("assign 1 <@U0BOB|bob>")
    assert reply == "Ticket #1 (Globex, P2) is open, owned by <@U0BOB>."
    assert (await opened.audit(1))[-1] == (
        "owner_set",
        world.ALICE,
        {"owner": world.BOB, "previous": None},
    )


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("assign 1 <@U0CAROL>", ":warning: <@U0CAROL> is not on our team, so cannot own tickets."),
        ("assign 1 <@U0NOBODY>", ":warning: I can't find <@U0NOBODY> in this workspace."),
        ("claim 99", ":warning: There is no ticket #99. `/desk queue` lists the open ones."),
    ],
)
async def test_claims_and_assignments_that_cannot_be_made(
    opened: ServiceDesk, command: str, reply: str
) -> None:
    edits = len(opened.card(1).edits)
    assert await opened.desk(command) == reply
    assert (await opened.ticket(1)).owner_user_id is None
    assert len(opened.card(1).edits) == edits
    assert [a for a, _w, _d in await opened.audit(1)] == ["opened"]


async def test_a_resolved_ticket_cannot_be_claimed(opened: ServiceDesk) -> None:
    await opened.desk("resolve 1", user=world.BOB)
    reply = await opened.desk("claim 1")
    assert reply == ":warning: Ticket #1 is resolved; `/desk reopen 1` first."
    assert (await opened.ticket(1)).owner_user_id == world.BOB


@pytest.mark.parametrize("command", ["claim 1", "assign 1 <@U0CAROL>", "resolve 1", "wait 1"])
async def test_a_customer_running_desk_is_refused_and_nothing_changes(
    opened: ServiceDesk, command: str
) -> None:
    posted = len(opened.slack.by_bot())
    reply = await opened.desk(command, user=world.CAROL, channel=world.GLOBEX_SHARED)
    assert reply == REFUSAL
    ticket = await opened.ticket(1)
    assert (ticket.status, ticket.owner_user_id) == ("open", None)
    assert len(opened.slack.by_bot()) == posted
    assert not any(p.edits for p in opened.slack.by_bot())
    assert [a for a, _w, _d in await opened.audit(1)] == ["opened"]


async def test_a_customer_pressing_a_card_button_is_refused(opened: ServiceDesk) -> None:
    ticket = await opened.ticket(1)
    assert await opened.press(CLAIM_ACTION, ticket.id, user=world.DAVE) == REFUSAL
    assert (await opened.ticket(1)).owner_user_id is None
