"""`/desk queue` and `/desk mine`: the open tickets, by account or by owner."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import world
from tests.support.service_desk import ServiceDesk


@pytest.fixture
async def three(desk: ServiceDesk) -> ServiceDesk:
    """#1 Globex (Alice's), #2 Initech, #3 Globex (resolved)."""
    await desk.customer_posts("Exports are broken")
    await desk.customer_posts("Login is broken", user=world.IVAN, channel=world.INITECH_SHARED)
    await desk.customer_posts("How do I add an admin?", user=world.DAVE)
    await desk.desk("claim 1")
    await desk.desk("resolve 3", user=world.BOB)
    return desk


def numbers(reply: str) -> list[str]:
    """The ticket numbers a list reply shows, in order."""
    return [line.split("*")[1] for line in reply.split("\n") if line.startswith("• *#")]


@pytest.mark.parametrize(
    ("user", "command", "title", "listed"),
    [
        (world.ALICE, "queue", "*Open tickets* (2)", ["#1", "#2"]),
        (world.ALICE, "queue Globex", "*Open tickets of Globex* (1)", ["#1"]),
        (world.ALICE, "mine", "*Your open tickets, <@U0ALICE>* (1)", ["#1"]),
        (world.BOB, "mine", "*Your open tickets, <@U0BOB>*", []),
    ],
)
async def test_lists(
    three: ServiceDesk, user: str, command: str, title: str, listed: list[str]
) -> None:
    reply = await three.desk(command, user=user)
    assert reply.split("\n")[0] == title
    assert numbers(reply) == listed
    assert ("Nothing open. :tada:" in reply) == (not listed)


async def test_an_unknown_account(three: ServiceDesk) -> None:
    assert await three.desk("queue Umbrella") == ":warning: There is no account named 'Umbrella'."


async def test_a_breached_ticket_says_so_in_the_queue(three: ServiceDesk) -> None:
    await three.advance(timedelta(days=2))  # Globex P2's first response (1h), long gone
    line = (await three.desk("queue Globex")).split("\n")[1]
    assert line.startswith("• *#1* P2 · Globex · Open · <@U0ALICE>")
    assert ":red_circle: breached" in line
