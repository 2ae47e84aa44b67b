"""Escalating by hand: managers and the escalation channel get the context, customers nothing."""

from __future__ import annotations

import pytest

from bot.messages.internal import ESCALATE_ACTION
from bot.services.desk import REFUSAL
from tests.support import world
from tests.support.service_desk import ServiceDesk


@pytest.fixture
async def opened(desk: ServiceDesk) -> ServiceDesk:
    """Ticket #1, Carol's request in Globex's shared channel."""
    await desk.customer_posts("Exports are broken, the board meets at 5")
    return desk


async def test_escalate_tells_the_managers_and_the_channel(opened: ServiceDesk) -> None:
    desk = opened
    customer_saw = [p.shown for p in desk.slack.seen_by(world.CAROL)]

    reply = await desk.desk("escalate 1 board meeting at 5")

    assert reply == ":mega: Ticket #1 escalated to the managers and <#C0ESCAL>."
    [to_mia] = desk.slack.dms_to(world.MIA)
    [in_channel] = desk.slack.by_bot(world.ESCALATION)
    for alert in (to_mia, in_channel):
        assert alert.text.startswith(
            ":mega: *Escalated by <@U0ALICE>* · #1 · Globex (strategic, ARR $250,000) · P2"
        )
        assert "• Reason: board meeting at 5" in alert.text
        assert "Exports are broken, the board meets at 5" in alert.text  # last customer words
    assert [p.shown for p in desk.slack.seen_by(world.CAROL)] == customer_saw
    assert (await desk.audit(1))[-1] == (
        "escalated",
        world.ALICE,
        {"reason": "board meeting at 5"},
    )


async def test_the_escalate_button_does_the_same(opened: ServiceDesk) -> None:
    ticket = await opened.ticket(1)
    reply = await opened.press(ESCALATE_ACTION, ticket.id, user=world.BOB)
    assert reply == ":mega: Ticket #1 escalated to the managers and <#C0ESCAL>."
    [alert] = opened.slack.by_bot(world.ESCALATION)
    assert "• Reason: (none given)" in alert.text


async def test_each_escalation_is_its_own_alert(opened: ServiceDesk) -> None:
    await opened.desk("escalate 1 first")
    await opened.desk("escalate 1 second")
    reasons = [p.text.split("• Reason: ")[1].split("\n")[0] for p in opened.slack.dms_to(world.MIA)]
    assert reasons == ["first", "second"]


@pytest.mark.parametrize(
    ("user", "before", "command", "reply"),
    [
        (
            world.ALICE,
            None,
            "escalate 9",
            ":warning: There is no ticket #9. `/desk queue` lists the open ones.",
        ),
        (
            world.ALICE,
            "resolve 1",
            "escalate 1",
            ":warning: Ticket #1 is resolved; reopen it first.",
        ),
        (world.CAROL, None, "escalate 1 please", REFUSAL),
    ],
)
async def test_escalations_that_do_not_go_out(
    opened: ServiceDesk, user: str, before: str | None, command: str, reply: str
) -> None:
    if before:
        await opened.desk(before)
    assert await opened.desk(command, user=user) == reply
    assert opened.slack.dms_to(world.MIA) == [] and opened.slack.by_bot(world.ESCALATION) == []
    assert "escalated" not in [a for a, _w, _d in await opened.audit(1)]
