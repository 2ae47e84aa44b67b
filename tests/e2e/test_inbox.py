"""The durable inbox: events acknowledged before their work survive a stop, and one bad event
does not hold up the others."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select

from bot.sandbox.sandbox import Sandbox
from store import inbox_store
from store.inbox_store import TABLE
from tests.support import world as w
from tests.support.waits import eventually


def receipts(box: Sandbox, user: str = w.CAROL) -> list[str]:
    """What the bot said to `user` (receipts in their threads)."""
    return [s.text for s in box.emu.seen_by(user) if s.author_id == w.BOT]


def cards(box: Sandbox, channel: str = w.INITECH_INTERNAL) -> list[str]:
    """Triage cards in an account's internal channel (Initech takes no receipts)."""
    return [m.text for m in box.emu.messages(channel) if m.user == w.BOT]


async def counts_become(box: Sandbox, expected: dict[str, int], within: float = 5.0) -> None:
    """Wait until the inbox's rows per state equal `expected`.

    A handled row is deleted by a later pass of the worker (about once a second), after its
    effects may already be visible, so the count is awaited rather than read once.
    """

    async def reached() -> bool:
        return await box.desk.inbox.counts() == expected

    await eventually(reached, within=within, interval=0.05, what=f"inbox rows are {expected}")


async def test_events_acked_while_nothing_works_them_are_worked_after_a_restart(sandbox: Sandbox):
    emu = sandbox.emu
    # The worker stops (as in a crash after the ack); the edge still stores and acknowledges.
    emu.deliverer.after_send = None
    await sandbox.desk.inbox.close()
    first = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Exports are failing")
    again = await emu.redeliver(first)  # Slack's retry of the same event_id
    second = await emu.post_message(w.IVAN, w.INITECH_SHARED, "Invoices are missing")
    assert (first.status, again.status, second.status) == (200, 200, 200)
    await sandbox.quiet()  # whatever the edge set off has finished: nothing worked the events
    assert receipts(sandbox) == [] and cards(sandbox) == []
    assert await sandbox.desk.inbox.counts() == {"pending": 2}  # the retry was not stored again

    await sandbox.restart_bot()
    await emu.wait_for(lambda: receipts(sandbox) and cards(sandbox))
    await sandbox.settled()
    assert len(receipts(sandbox)) == 1 and "ticket *#" in receipts(sandbox)[0]
    assert len(cards(sandbox)) == 1 and len(cards(sandbox, w.GLOBEX_INTERNAL)) == 1
    await counts_become(sandbox, {})


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
    # The good event became a ticket; the bad one waits for a retry instead of being lost.
    await counts_become(sandbox, {"pending": 1})
    assert receipts(sandbox) == []
    async with inbox.db.connection() as conn:
        row = (await conn.execute(select(TABLE.c.attempts, TABLE.c.error))).one()
    # Kept with its error; on a slow machine its first retry (after 1 s) may have come already.
    assert row.attempts in (1, 2) and row.error == "handler raised"

    # Once the bug is gone, the retry (after its backoff) opens the ticket.
    handlers.handle = real  # type: ignore[method-assign]
    await emu.wait_for(lambda: receipts(sandbox), within=10)
    await counts_become(sandbox, {})


async def test_deliveries_arriving_together_are_stored_once_each(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
):
    inbox = sandbox.desk.inbox
    await inbox.close()  # nothing works them: what is stored stays countable
    bodies = [{"event_id": f"Ev{n}", "event": {"type": "message"}} for n in range(5)]
    raw = [json.dumps(b) for b in bodies]
    writes: list[int] = []
    add = inbox_store.add

    async def recording_add(conn, rows, at):  # noqa: ANN001, ANN202 - the store's signature
        writes.append(len(rows))
        return await add(conn, rows, at)

    monkeypatch.setattr(inbox_store, "add", recording_add)
    # Arriving at once they share one write (group commit); a repeat among them is not stored
    # again.
    stored = await asyncio.gather(
        *(inbox.accept(b, r) for b, r in zip(bodies, raw, strict=True)),
        inbox.accept(bodies[2], raw[2]),
    )
    assert writes == [6]
    assert sorted(stored) == [False, True, True, True, True, True]
    assert await inbox.counts() == {"pending": 5}
    assert await inbox.accept(bodies[0], raw[0]) is False  # a later retry too
