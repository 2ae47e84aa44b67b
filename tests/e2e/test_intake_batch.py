"""A batch of stored events is decided as if each were decided in turn.

Intake writes the tickets a batch opens together (bot/services/opening.py); posts that group
into them, replies in their threads, repeats and ignored posts in the same batch must come out
exactly as they do one event at a time. Each case runs both ways and checks what people saw.
"""

from __future__ import annotations

import pytest

from bot.sandbox.sandbox import Sandbox
from tests.support import world as w


def bot_posts(box: Sandbox, channel: str, thread_ts: str | None = None) -> list[str]:
    return [m.text for m in box.emu.messages(channel, thread_ts=thread_ts) if m.user == w.BOT]


@pytest.mark.parametrize("batched", [False, True], ids=["one-by-one", "one-batch"])
async def test_a_batch_opens_groups_replies_and_ignores_as_one_event_at_a_time(
    sandbox: Sandbox, batched: bool
):
    emu = sandbox.emu
    inbox = sandbox.desk.inbox
    if batched:
        emu.deliverer.after_send = None
        await inbox.close()  # everything below lands in the inbox and is worked as one batch
    first = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Exports are failing since 9am")
    other = await emu.post_message(w.DAVE, w.GLOBEX_SHARED, "SSO login loops forever")
    more = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Also the CSV files are empty")
    await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Here is a screenshot", thread_ts=first.ts)
    await emu.post_message(w.ALICE, w.GLOBEX_SHARED, "Looking into it now", thread_ts=first.ts)
    await emu.post_message(w.IVAN, w.INITECH_SHARED, "thanks!")
    await emu.post_message(w.ALICE, w.RANDOM_INTERNAL, "Lunch at noon?")
    if batched:
        assert (await inbox.counts()).get("pending") == 7
        await inbox.start()
    await emu.wait_for(lambda: len(bot_posts(sandbox, w.GLOBEX_INTERNAL)) == 2)
    await sandbox.settled()
    again = await emu.redeliver(other)  # Slack's retry after the batch committed
    assert again.status == 200
    await sandbox.settled()

    # Carol's two posts are one ticket (#1, in post order), Dave's is #2; each got 👀.
    for delivery in (first, other, more):
        assert w.BOT in emu.reactions(w.GLOBEX_SHARED, delivery.ts).get("eyes", [])
    # One receipt each in its thread (#1's now says someone is on it: Alice answered).
    on_it = ":eyes: Ticket *#1*: someone from the team is on it and will keep you posted"
    assert [t for t in bot_posts(sandbox, w.GLOBEX_SHARED, first.ts) if "*#1*" in t] == [
        f"{on_it} in this thread."
    ]
    assert [t for t in bot_posts(sandbox, w.GLOBEX_SHARED, other.ts) if "ticket *#2*" in t]
    assert bot_posts(sandbox, w.GLOBEX_SHARED, more.ts) == []  # grouped: no second receipt
    cards = bot_posts(sandbox, w.GLOBEX_INTERNAL)
    assert len(cards) == 2  # the retry of Dave's post opened nothing
    # Ivan's thanks and the internal chatter opened nothing; nobody in Initech heard from us.
    assert bot_posts(sandbox, w.INITECH_INTERNAL) == []
    assert bot_posts(sandbox, w.INITECH_SHARED) == []
    assert bot_posts(sandbox, w.RANDOM_INTERNAL) == []

    async with sandbox.desk.db.reading() as uow:
        one = await uow.tickets.by_number(w.VENDOR, 1)
        two = await uow.tickets.by_number(w.VENDOR, 2)
        assert await uow.tickets.by_number(w.VENDOR, 3) is None
        assert one is not None and two is not None
        said = [(m.user_id, m.text) for m in await uow.messages.for_ticket(one.id)]
        clocks = {c.kind for c in await uow.sla.active(one.id)}
        history = [a.action for a in await uow.audit.for_ticket(one.id)]
    assert (one.requester_user_id, two.requester_user_id) == (w.CAROL, w.DAVE)
    assert said == [
        (w.CAROL, "Exports are failing since 9am"),
        (w.CAROL, "Also the CSV files are empty"),
        (w.CAROL, "Here is a screenshot"),
        (w.ALICE, "Looking into it now"),
    ]
    # Alice's reply in the thread answered it: first response, owner, clocks moved on.
    assert one.owner_user_id == w.ALICE and one.first_response_at is not None
    assert "first_response" not in clocks and "resolution" in clocks
    assert history[:2] == ["opened", "message_grouped"]
    assert "first_response" in history and "owner_set" in history
    # The card of #1 caught up with the owner, whichever way the events came.
    await emu.wait_for(
        lambda: any(
            f"<@{w.ALICE}>" in t and "#1" in t for t in bot_posts(sandbox, w.GLOBEX_INTERNAL)
        )
    )
