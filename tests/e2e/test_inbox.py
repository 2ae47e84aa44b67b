"""The durable inbox: events acknowledged before their work survive a stop, and one bad event
does not hold up the others."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from bot.sandbox import Sandbox
from store.inbox_store import TABLE
from tests.support import world as w


def receipts(box: Sandbox, user: str = w.CAROL) -> list[str]:
    """What the bot said to `user` (receipts in their threads)."""
    return [s.text for s in box.emu.seen_by(user) if s.author_id == w.BOT]


def cards(box: Sandbox, channel: str = w.INITECH_INTERNAL) -> list[str]:
    """Triage cards in an account's internal channel (Initech takes no receipts)."""
    return [m.text for m in box.emu.messages(channel) if m.user == w.BOT]


async def test_events_acked_while_nothing_works_them_are_worked_after_a_restart(sandbox: Sandbox):
    emu = sandbox.emu
    # The worker stops (as in a crash after the ack); the edge still stores and acknowledges.
    emu.deliverer.after_send = None
    await sandbox.desk.inbox.close()
    first = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Exports are failing")
    again = await emu.redeliver(first)  # Slack's retry of the same event_id
    second = await emu.post_message(w.IVAN, w.INITECH_SHARED, "Invoices are missing")
    assert (first.status, again.status, second.status) == (200, 200, 200)
    await asyncio.sleep(0.3)
    assert receipts(sandbox) == [] and cards(sandbox) == []
    assert await sandbox.desk.inbox.counts() == {"pending": 2}  # the retry was not stored again

    await sandbox.restart_bot()
    await emu.wait_for(lambda: receipts(sandbox) and cards(sandbox))
    await sandbox.desk.services.outbox.settled()
    assert len(receipts(sandbox)) == 1 and "ticket *#" in receipts(sandbox)[0]
    assert len(cards(sandbox)) == 1 and len(cards(sandbox, w.GLOBEX_INTERNAL)) == 1
    assert await sandbox.desk.inbox.counts() == {}


async def test_a_failing_event_is_kept_and_retried_while_the_rest_of_its_batch_is_worked(
    sandbox: Sandbox,
):
    emu = sandbox.emu
    inbox = sandbox.desk.inbox
    handlers = inbox.handlers
    assert handlers is not None
    real = handlers.handle

    async def fragile(bodies: Sequence[dict[str, Any]]) -> None:
        if any("boom" in (b["event"].get("text") or "") for b in bodies):
            raise RuntimeError("a bug in a handler")
        await real(bodies)

    handlers.handle = fragile  # type: ignore[method-assign]
    emu.deliverer.after_send = None
    await inbox.close()  # let both events land in one batch
    bad = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "boom: exports crash")
    good = await emu.post_message(w.IVAN, w.INITECH_SHARED, "Invoices are missing")
    assert bad.status == good.status == 200
    await inbox.start()
    await emu.wait_for(lambda: cards(sandbox))
    for _ in range(50):
        if await inbox.counts() == {"pending": 1}:
            break
        await asyncio.sleep(0.05)
    # The good event became a ticket; the bad one waits for a retry instead of being lost.
    assert await inbox.counts() == {"pending": 1}
    assert receipts(sandbox) == []
    async with inbox.db.connection() as conn:
        row = (await conn.execute(select(TABLE.c.attempts, TABLE.c.error))).one()
    assert row.attempts == 1 and row.error == "handler raised"

    # Once the bug is gone, the retry (after its backoff) opens the ticket.
    handlers.handle = real  # type: ignore[method-assign]
    await emu.wait_for(lambda: receipts(sandbox), within=10)
    assert await inbox.counts() == {}
