"""What people in the test world do through Slack, and what they then saw: a customer opens a
ticket, the team runs `/desk`, declares an incident; the sweep runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.sandbox.sandbox import Sandbox
from store.models import Ticket
from tests.support import world as w


async def open_ticket(
    box: Sandbox,
    text: str = "Our exports are failing since this morning",
    user: str = w.CAROL,
    channel: str = w.GLOBEX_SHARED,
) -> str:
    """A customer posts a request; returns its ts once its triage card has been posted."""
    delivery = await box.emu.post_message(user, channel, text)
    assert delivery.status == 200
    # Opened when its triage card (which links to the message) has been posted.
    link = "p" + delivery.ts.replace(".", "")
    await box.emu.wait_for(
        lambda: any(
            link in repr(call.params.get("blocks")) for call in box.emu.calls_to("chat.postMessage")
        )
    )
    return delivery.ts


async def desk(box: Sandbox, user: str, text: str, channel: str = w.GLOBEX_INTERNAL) -> str:
    """Run /desk and return the ephemeral reply the caller saw."""
    before = len([s for s in box.emu.seen_by(user) if s.kind == "ephemeral"])
    delivery = await box.emu.slash_command(user, channel, text)
    assert delivery.status == 200
    replies = await box.emu.wait_for(
        lambda: [s for s in box.emu.seen_by(user) if s.kind == "ephemeral"][before:]
    )
    return replies[0].raw_text


def card_of(box: Sandbox, number: int):
    """The latest version of ticket `number`'s triage card as Alice sees it, if any."""
    cards = [
        s
        for s in box.emu.seen_by(w.ALICE, w.GLOBEX_INTERNAL)
        if s.author_id == w.BOT and f"#{number} ·" in s.raw_text
    ]
    return cards[-1] if cards else None


async def declare(box: Sandbox, text: str = "sev2 Exports are delayed accounts: all") -> str:
    """Alice declares an incident; returns her reply once the broadcast has gone out."""
    reply = await desk(box, w.ALICE, f"incident declare {text}")
    await box.desk.services.broadcaster.idle()
    return reply


async def sweep(box: Sandbox) -> int:
    """One sweep, then its alerts delivered (the sweep hands them to the outbox and returns)."""
    fired = await box.desk.services.escalation.sweep()
    await box.settled()
    return fired


def bot_posts(box: Sandbox, user: str, word: str) -> list:
    """What `user` saw from the bot that contains `word`."""
    return [s for s in box.emu.seen_by(user) if s.author_id == w.BOT and word in s.raw_text]


async def open_owned_tickets(box: Sandbox, owners: list[str]) -> None:
    """One Globex ticket per entry, owned by that person (the box runs on a ManualClock)."""
    clock = box.clock
    for n, owner in enumerate(owners, start=1):
        await open_ticket(box, f"Export job {n} fails every night, can you check?")
        clock.advance(timedelta(minutes=6))  # past the grouping window: the next is a new ticket
        async with box.desk.db.unit_of_work() as uow:
            await uow.session.execute(
                update(Ticket).where(Ticket.number == n).values(owner_user_id=owner)
            )
