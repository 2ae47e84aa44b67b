"""Customer requests in shared channels become tickets — checked by what each person saw."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.sandbox import Sandbox
from tests.support import world as w
from tests.support.actions import open_ticket
from tests.support.transports import BOTH_TRANSPORTS

pytestmark = BOTH_TRANSPORTS


async def bot_replies(box: Sandbox, channel: str, thread_ts: str) -> list:
    return [m for m in box.emu.messages(channel, thread_ts=thread_ts) if m.user == w.BOT]


async def test_customer_request_opens_ticket_with_receipt_reaction_and_card(sandbox: Sandbox):
    emu = sandbox.emu
    ts = await open_ticket(sandbox, "Our dashboard is down for everyone!")
    # The customer sees 👀 on their message and a receipt in its thread, with a number and a time.
    assert w.BOT in emu.reactions(w.GLOBEX_SHARED, ts).get("eyes", [])
    carol_sees = [s for s in emu.seen_by(w.CAROL, w.GLOBEX_SHARED) if s.author_id == w.BOT]
    assert len(carol_sees) == 1
    receipt = carol_sees[0]
    assert receipt.thread_ts == ts
    assert "ticket *#1*" in receipt.text and "first reply" in receipt.text
    # The account team sees a triage card in the internal channel with the tier, priority, buttons.
    card = await emu.wait_for(
        lambda: [s for s in emu.seen_by(w.ALICE, w.GLOBEX_INTERNAL) if s.author_id == w.BOT]
    )
    assert "#1 · Globex (strategic) · P1 · Open" in card[0].text
    actions = [b for b in card[0].blocks if b["type"] == "actions"][0]
    assert [e["action_id"] for e in actions["elements"]] == [
        "ticket_claim",
        "ticket_resolve",
        "ticket_escalate",
    ]
    # The other customer org sees nothing of it.
    assert not [s for s in emu.seen_by(w.IVAN) if s.author_id == w.BOT]


async def test_first_internal_reply_is_first_response_and_sets_owner(sandbox: Sandbox, clock):
    emu = sandbox.emu
    ts = await open_ticket(sandbox)
    clock.advance(timedelta(minutes=7))
    await emu.post_message(w.BOB, w.GLOBEX_SHARED, "Looking into it now", thread_ts=ts)
    card = await emu.wait_for(
        lambda: [
            s
            for s in emu.seen_by(w.ALICE, w.GLOBEX_INTERNAL)
            if s.author_id == w.BOT and "<@U0BOB>" in (s.raw_text or "")
        ]
    )
    assert "answered" in repr(card[0].blocks)
    async with sandbox.desk.db.unit_of_work() as uow:
        ticket = await uow.tickets.by_number(w.VENDOR, 1)
        messages = await uow.messages.for_ticket(ticket.id)
    assert ticket.owner_user_id == w.BOB
    assert ticket.first_response_at - ticket.opened_at == timedelta(minutes=7)
    assert [(m.user_id, m.is_internal) for m in messages] == [(w.CAROL, False), (w.BOB, True)]
    # The customer's receipt now says someone is on it.
    receipt = (await bot_replies(sandbox, w.GLOBEX_SHARED, ts))[0]
    assert "someone from the team is on it" in receipt.text


async def test_grouping_window_and_pleasantries(sandbox: Sandbox, clock):
    emu = sandbox.emu
    first = await open_ticket(sandbox, "Exports fail with a timeout")
    clock.advance(timedelta(minutes=2))
    second = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Also the CSV is empty when it works")
    await emu.wait_for(lambda: "eyes" in emu.reactions(w.GLOBEX_SHARED, second.ts))
    thanks = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "thanks! 🙏")
    clock.advance(timedelta(minutes=10))
    later = await open_ticket(sandbox, "Different thing: can we add a user?")
    async with sandbox.desk.db.unit_of_work() as uow:
        t1 = await uow.tickets.by_number(w.VENDOR, 1)
        msgs = await uow.messages.for_ticket(t1.id)
        t2 = await uow.tickets.by_number(w.VENDOR, 2)
        t3 = await uow.tickets.by_number(w.VENDOR, 3)
    assert [m.ts for m in msgs] == [first, second.ts]
    assert t2.root_ts == later and t3 is None
    assert emu.reactions(w.GLOBEX_SHARED, thanks.ts) == {}
    # Only two receipts were ever posted in the channel.
    receipts = [m for m in emu.messages(w.GLOBEX_SHARED) if m.user == w.BOT]
    assert len(receipts) == 2


async def test_staff_bots_edits_joins_and_unlinked_channels_never_open_tickets(sandbox: Sandbox):
    emu = sandbox.emu
    await emu.post_message(w.ALICE, w.GLOBEX_SHARED, "Heads-up: maintenance tonight")
    await emu.join_channel(w.BOT, w.NEW_SHARED)
    await emu.join_channel(w.CAROL, w.NEW_SHARED)
    await emu.post_message(w.CAROL, w.NEW_SHARED, "this shared channel is not linked yet")
    await emu.deliver_event(
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0OTHER",
            "channel": w.GLOBEX_SHARED,
            "text": "deploy finished",
            "ts": "1700000000.000100",
        }
    )
    ts = await open_ticket(sandbox, "Can you check why our webhook stopped firing?")
    await emu.edit_message(w.CAROL, w.GLOBEX_SHARED, ts, "Why did our webhook stop? (edited)")
    await emu.delete_message(w.CAROL, w.GLOBEX_SHARED, ts)
    await emu.join_channel(w.DAVE, w.GLOBEX_SHARED)
    await emu.post_message(
        w.CAROL,
        w.GLOBEX_SHARED,
        "",
    )
    # A final real request proves the bot is still answering, and numbering stayed at 2.
    await open_ticket(sandbox, "Could you check why the API returns 500 for us?", user=w.DAVE)
    async with sandbox.desk.db.unit_of_work() as uow:
        second = await uow.tickets.by_number(w.VENDOR, 2)
        assert second.summary == "Could you check why the API returns 500 for us?"
        assert await uow.tickets.by_number(w.VENDOR, 3) is None
        assert await uow.tickets.count_open(w.VENDOR) == 2


async def test_redelivered_event_changes_nothing(sandbox: Sandbox):
    emu = sandbox.emu
    delivery = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Login is broken")
    await emu.wait_for(lambda: [m for m in emu.messages(w.GLOBEX_SHARED) if m.user == w.BOT])
    for n in (1, 2, 3):
        again = await emu.redeliver(delivery, retry_num=n, reason="http_timeout")
        assert again.status == 200
    await open_ticket(sandbox, "another request entirely", user=w.DAVE)
    assert len(emu.calls_to("chat.postMessage")) == 4  # 2 receipts + 2 cards, none doubled
    async with sandbox.desk.db.unit_of_work() as uow:
        assert await uow.tickets.count_open(w.VENDOR) == 2


async def test_receipts_off_tracks_silently(sandbox: Sandbox):
    emu = sandbox.emu
    d = await emu.post_message(
        w.IVAN, w.INITECH_SHARED, "Our sync is not working since this morning, can you check?"
    )
    cards = await emu.wait_for(
        lambda: [s for s in emu.seen_by(w.BOB, w.INITECH_INTERNAL) if s.author_id == w.BOT]
    )
    assert "Initech (standard) · P1" in cards[0].text
    assert emu.reactions(w.INITECH_SHARED, d.ts) == {}
    assert not [s for s in emu.seen_by(w.IVAN) if s.author_id == w.BOT]


async def test_huge_and_unicode_messages(sandbox: Sandbox):
    emu = sandbox.emu
    ts = await open_ticket(
        sandbox, "💥 Our export crashes with this log, please help:\n" + "x" * 40_000
    )
    card = await emu.wait_for(
        lambda: [s for s in emu.seen_by(w.ALICE, w.GLOBEX_INTERNAL) if s.author_id == w.BOT]
    )
    assert len(card[0].raw_text) < 4000
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in card[0].blocks)
    assert ts


async def test_bot_added_to_unlinked_shared_channel_hints_internally(sandbox: Sandbox):
    emu = sandbox.emu
    await emu.join_channel(w.BOT, w.NEW_SHARED)
    hint = await emu.wait_for(
        lambda: [s for s in emu.seen_by(w.MIA, w.ESCALATION) if s.author_id == w.BOT]
    )
    assert "/desk link" in hint[0].text and w.NEW_SHARED in hint[0].raw_text
    assert not [m for m in emu.messages(w.NEW_SHARED) if m.bot_id]
