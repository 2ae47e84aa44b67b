"""The sweep's statement budget: a batch of due clocks costs a few statements, not a few each."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from tests.support import world as w
from tests.support.actions import open_owned_tickets
from tests.support.sandboxes import checked_sandbox

DUE = 8
# Read the due clocks, their firings and last customer messages, claim the steps, write the
# audit and outbox rows, re-plan the clocks (two reads, two writes), with the eager loads: 12 on
# SQLite, about 17 on PostgreSQL (ticket locks, the count of tickets left to others, background
# reads landing in the window). Claiming clock by clock, as the sweep did, took 8 or more each.
MOST_STATEMENTS_TO_SWEEP = 20


async def test_a_sweep_of_many_due_clocks_stays_within_its_statement_budget(clock, database_url):
    config = w.desk_config(w.OWNER_LADDER_YML)
    async with checked_sandbox(config, clock, database_url, channel_interval=0.01) as box:
        await open_owned_tickets(box, [w.ALICE, w.BOB] * (DUE // 2))
        await box.settled()  # the tickets' own posts are not the sweep's
        clock.advance(timedelta(hours=3))  # every warning is due
        statements: list[str] = []
        engine = box.desk.db.engine.sync_engine

        def record(_conn, _cursor, statement, _params, _context, _many) -> None:
            if " inbox" not in statement and "FROM outbox" not in statement:  # other workers
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            fired = await box.desk.services.escalation.sweep()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        await box.settled()
        assert fired == DUE
        assert len(statements) <= MOST_STATEMENTS_TO_SWEEP, "\n".join(statements)
