"""Changing a ticket's priority re-plans its SLA due times; the card shows the new one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import world
from tests.support.service_desk import START, ServiceDesk


@pytest.fixture
async def opened(desk: ServiceDesk) -> ServiceDesk:
    """Ticket #1, strategic P3 (first response in 4h)."""
    await desk.customer_posts("How do I add a second admin?")
    return desk


async def test_raising_the_priority_brings_the_due_times_forward(opened: ServiceDesk) -> None:
    desk = opened
    assert (await desk.clocks(1))["first_response"].due_at == START + timedelta(hours=4)
    desk.clock.advance(timedelta(minutes=10))

    reply = await desk.desk("priority 1 P1")

    assert reply == "Ticket #1 (Globex, P1) is open, owned by nobody."
    clocks = await desk.clocks(1)
    assert clocks["first_response"].due_at == START + timedelta(minutes=15)
    assert clocks["resolution"].due_at == START + timedelta(hours=4)
    assert "· P1 ·" in desk.card(1).text
    assert (await desk.audit(1))[-1] == (
        "priority",
        world.ALICE,
        {"priority": "P1", "previous": "P3"},
    )
    # The new plan is what the ladder follows: 75% of 15m has passed at 11m15s.
    assert await desk.advance(timedelta(minutes=2)) == 1


async def test_the_same_priority_again_changes_nothing(opened: ServiceDesk) -> None:
    assert await opened.desk("priority 1 P3") == ":warning: Ticket #1 is already P3."
    assert [a for a, _w, _d in await opened.audit(1)] == ["opened"]
