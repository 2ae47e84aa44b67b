"""`/desk` and the triage card buttons, end to end: what the caller and the customer saw."""

from __future__ import annotations

from bot.sandbox.sandbox import Sandbox
from tests.support import world as w
from tests.support.actions import card_of, desk, open_ticket
from tests.support.transports import BOTH_TRANSPORTS

pytestmark = BOTH_TRANSPORTS


async def test_help_and_unknown(sandbox: Sandbox):
    text = await desk(sandbox, w.ALICE, "help")
    # The placeholders are escaped: unescaped, Slack would read `<ticket>` as a link.
    assert "/desk claim &lt;ticket&gt;" in text
    seen = sandbox.emu.render(text)
    assert "/desk claim <ticket>" in seen and "/desk link #channel <account> [tier]" in seen
    text = await desk(sandbox, w.ALICE, "frobnicate")
    assert "don't know the command 'frobnicate'" in text and "Usage: `/desk help`" in text


async def test_claim_assign_wait_priority_resolve_reopen(sandbox: Sandbox):
    emu = sandbox.emu
    ts = await open_ticket(sandbox, "Exports are slow")
    assert "is open, owned by <@U0ALICE>" in await desk(sandbox, w.ALICE, "claim #1")
    await emu.wait_for(lambda: "<@U0ALICE>" in card_of(sandbox, 1).raw_text)
    assert "already owned" in await desk(sandbox, w.ALICE, "claim 1")
    assert "owned by <@U0BOB>" in await desk(sandbox, w.ALICE, "assign 1 <@U0BOB|bob>")
    assert "not on our team" in await desk(sandbox, w.ALICE, "assign 1 <@U0CAROL|carol>")
    assert "is waiting" in await desk(sandbox, w.BOB, "wait 1")
    await emu.wait_for(lambda: "Waiting on customer" in card_of(sandbox, 1).raw_text)
    assert "(Globex, P1)" in await desk(sandbox, w.BOB, "priority 1 P1")
    await emu.wait_for(lambda: "· P1 ·" in card_of(sandbox, 1).raw_text)
    assert "is resolved" in await desk(sandbox, w.BOB, "resolve 1 restarted the worker")
    # The customer sees ✅ on their message and the receipt says resolved.
    await emu.wait_for(lambda: "white_check_mark" in emu.reactions(w.GLOBEX_SHARED, ts))
    receipt = [s for s in emu.seen_by(w.CAROL, w.GLOBEX_SHARED) if s.author_id == w.BOT][0]
    assert "is resolved" in receipt.text and "restarted the worker" not in receipt.text
    assert "already resolved" in await desk(sandbox, w.BOB, "resolve 1")
    assert "is open" in await desk(sandbox, w.BOB, "reopen 1")
    await emu.wait_for(lambda: "white_check_mark" not in emu.reactions(w.GLOBEX_SHARED, ts))
    async with sandbox.desk.db.unit_of_work() as uow:
        ticket = await uow.tickets.by_number(w.VENDOR, 1)
        actions = [a.action for a in await uow.audit.for_ticket(ticket.id)]
    assert actions == [
        "opened",
        "owner_set",
        "owner_set",
        "waiting",
        "priority",
        "resolved",
        "reopened",
    ]


async def test_mine_queue_account(sandbox: Sandbox):
    await open_ticket(sandbox, "Exports are slow")
    await open_ticket(sandbox, "SSO is down", user=w.DAVE)
    await desk(sandbox, w.ALICE, "claim 2")
    mine = await desk(sandbox, w.ALICE, "mine")
    assert "#2" in mine and "#1" not in mine
    queue = await desk(sandbox, w.MIA, "queue")
    assert "Open tickets* (2)" in queue and "#1" in queue and "#2" in queue
    assert "Nothing open" in await desk(sandbox, w.MIA, "queue Initech")
    assert "no account named 'Nope'" in await desk(sandbox, w.MIA, "queue Nope")
    info = await desk(sandbox, w.MIA, f"account <#{w.GLOBEX_SHARED}|globex-support>")
    assert (
        "*Globex* · tier *strategic*" in info and "$250,000" in info and "Open tickets: 2" in info
    )
    assert "no account named 'Acme'" in await desk(sandbox, w.MIA, "account Acme")


async def test_unknown_ticket_and_malformed_commands(sandbox: Sandbox):
    assert "no ticket #99" in await desk(sandbox, w.ALICE, "claim 99")
    assert "'soon' is not a ticket number" in await desk(sandbox, w.ALICE, "resolve soon")
    assert "Usage: `/desk priority <ticket> P1|P2|P3|P4`" in sandbox.emu.render(
        await desk(sandbox, w.ALICE, "priority 1 urgent")
    )


async def test_external_user_is_refused_and_nothing_changes(sandbox: Sandbox):
    await open_ticket(sandbox)
    reply = await desk(sandbox, w.CAROL, "resolve 1", channel=w.GLOBEX_SHARED)
    assert "only for the support team" in reply
    async with sandbox.desk.db.unit_of_work() as uow:
        assert (await uow.tickets.by_number(w.VENDOR, 1)).status == "open"
    # And a customer pressing a card button (they never see one, but forged) changes nothing.
    card = card_of(sandbox, 1)
    await sandbox.emu.click_button(w.CAROL, w.GLOBEX_INTERNAL, card.ts, "ticket_resolve", str(1))
    await sandbox.emu.wait_for(
        lambda: [
            s
            for s in sandbox.emu.seen_by(w.CAROL)
            if s.kind == "ephemeral" and "only for" in s.raw_text
        ][1:]
    )
    async with sandbox.desk.db.unit_of_work() as uow:
        assert (await uow.tickets.by_number(w.VENDOR, 1)).status == "open"


async def test_buttons_update_the_card_in_place(sandbox: Sandbox):
    emu = sandbox.emu
    ts = await open_ticket(sandbox)
    card = card_of(sandbox, 1)
    ticket_id = [e for b in card.blocks if b["type"] == "actions" for e in b["elements"]][0][
        "value"
    ]
    await emu.click_button(w.BOB, w.GLOBEX_INTERNAL, card.ts, "ticket_claim", ticket_id)
    await emu.wait_for(lambda: "<@U0BOB>" in emu.message(w.GLOBEX_INTERNAL, card.ts).text)
    await emu.click_button(w.BOB, w.GLOBEX_INTERNAL, card.ts, "ticket_resolve", ticket_id)
    await emu.wait_for(lambda: "Resolved" in emu.message(w.GLOBEX_INTERNAL, card.ts).text)
    await emu.wait_for(lambda: "white_check_mark" in emu.reactions(w.GLOBEX_SHARED, ts))
    updated = emu.message(w.GLOBEX_INTERNAL, card.ts)
    assert not [b for b in updated.blocks if b["type"] == "actions"]  # no buttons once resolved
    # Still one card: updated in place, not reposted.
    assert len([m for m in emu.messages(w.GLOBEX_INTERNAL) if m.user == w.BOT]) == 1


async def test_link_a_new_shared_channel(sandbox: Sandbox):
    emu = sandbox.emu
    reply = await desk(
        sandbox,
        w.ALICE,
        f"link <#{w.NEW_SHARED}|umbrella-support> Umbrella Corp strategic",
        channel=w.RANDOM_INTERNAL,
    )
    assert "Created *Umbrella Corp* (tier strategic)" in reply
    assert "not shared" in await desk(sandbox, w.ALICE, f"link <#{w.RANDOM_INTERNAL}> Foo")
    await emu.join_channel(w.BOT, w.NEW_SHARED)
    await emu.join_channel(w.CAROL, w.NEW_SHARED)
    ts = await open_ticket(sandbox, "Umbrella's first request", user=w.CAROL, channel=w.NEW_SHARED)
    assert ts
    cards = await emu.wait_for(
        lambda: [
            s
            for s in emu.seen_by(w.ALICE, w.RANDOM_INTERNAL)
            if s.author_id == w.BOT and s.kind == "message" and "Umbrella Corp" in s.raw_text
        ]
    )
    assert "#1 · Umbrella Corp (strategic) · P3 · Open" in cards[0].raw_text
    # The join produced no "please link" hint: the channel is linked already.
    assert not [s for s in emu.seen_by(w.MIA, w.ESCALATION) if s.author_id == w.BOT]
