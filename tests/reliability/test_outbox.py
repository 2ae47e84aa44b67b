"""The outbox redoes a side effect after a crash without doubling it (the idempotency key)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.sandbox.sandbox import Sandbox
from store.models import OutboxEntry
from tests.support import world as w
from tests.support.actions import open_ticket

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def receipts(box: Sandbox, ts: str) -> list:
    return [m for m in box.emu.thread(w.GLOBEX_SHARED, ts) if m.user == w.BOT]


async def _crashed_mid_call(box: Sandbox, key: str) -> None:
    """Leave a row as a process killed during its Web API call would: `sending`, claim lapsed."""
    async with box.desk.db.unit_of_work() as uow:
        await uow.session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.key == key)
            .values(state="sending", claimed_at=LONG_AGO, done_at=None)
        )


async def test_a_landed_post_is_found_not_posted_again(sandbox: Sandbox):
    ts = await open_ticket(sandbox)
    await sandbox.settled()
    assert len(receipts(sandbox, ts)) == 1
    await _crashed_mid_call(sandbox, "t1:receipt")
    await sandbox.desk.services.outbox.drain()
    async with sandbox.desk.db.unit_of_work() as uow:
        row = next(r for r in await uow.outbox.all() if r.key == "t1:receipt")
        ticket = await uow.tickets.by_number(w.VENDOR, 1)
    assert row.state == "done" and row.attempts == 2
    assert [m.ts for m in receipts(sandbox, ts)] == [row.result] == [ticket.receipt_ts]


async def test_a_post_that_never_landed_is_posted_once(sandbox: Sandbox):
    ts = await open_ticket(sandbox)
    await sandbox.settled()
    first = receipts(sandbox, ts)[0]
    first.deleted = True  # as if the crash had come before the call reached Slack
    await _crashed_mid_call(sandbox, "t1:receipt")
    await sandbox.desk.services.outbox.drain()
    again = receipts(sandbox, ts)
    assert len(again) == 1 and again[0].ts != first.ts
    assert "ticket *#1*" in again[0].text


async def test_a_pending_row_left_by_a_dead_process_is_done_on_start(sandbox: Sandbox):
    await sandbox.stop_bot()
    message = await sandbox.emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Exports fail")
    # The process died right after committing: its row is recorded but was never tried.
    async with sandbox.desk_db() as db, db.unit_of_work() as uow:
        await uow.outbox.add(
            "t9:react",
            "react",
            w.VENDOR,
            datetime.now(UTC) - timedelta(seconds=5),
            payload={"channel": w.GLOBEX_SHARED, "ts": message.ts, "name": "eyes"},
        )
    assert w.BOT not in sandbox.emu.reactions(w.GLOBEX_SHARED, message.ts).get("eyes", [])
    await sandbox.start_bot()
    await sandbox.settled()
    assert sandbox.emu.reactions(w.GLOBEX_SHARED, message.ts)["eyes"] == [w.BOT]
