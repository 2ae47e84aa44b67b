"""Intake's hot path: a new ticket's clocks are planned without reads, as a refresh would."""

from __future__ import annotations

from sqlalchemy import event

from bot.sandbox.sandbox import Sandbox
from tests.support import world as w
from tests.support.actions import open_ticket

# Opening a ticket ran 25 statements before the ingest benchmark, 15 after (bench/README.md);
# the transactional outbox then added its rows for 👀, receipt and card, each written with the
# ticket and then claimed, read and marked done: 37 in all. Rows now start claimed by the worker
# that runs them and a post's ts is stored when its row settles: 30 on SQLite, 34 on PostgreSQL
# (its requester lock, and background polls that land in the window). Since new tickets are
# written set-based and their rows run from memory: 22 on SQLite, 23 on PostgreSQL. A return of
# the reads the bench removed would add about ten. The App Home's one look for who opened it
# (their Home is published again when a ticket it shows opens) adds one.
MOST_STATEMENTS_TO_OPEN = 26


def _plans(clocks) -> list[tuple]:
    return [(c.kind, c.cycle, c.due_at, c.next_step_at, c.running_since) for c in clocks]


async def test_new_ticket_clocks_equal_what_a_refresh_computes(sandbox: Sandbox, clock):
    await open_ticket(sandbox, "Exports are slow")
    services = sandbox.desk.services
    async with sandbox.desk.db.unit_of_work() as uow:
        ticket = await uow.tickets.by_number(w.VENDOR, 1)
        started = _plans(await uow.sla.for_ticket(ticket.id))
        due_before = (ticket.first_response_due_at, ticket.resolution_due_at, ticket.next_due_at)
        await services.sla.refresh(uow, ticket, clock.now())
        await uow.session.flush()
        refreshed = _plans(await uow.sla.for_ticket(ticket.id))
        due_after = (ticket.first_response_due_at, ticket.resolution_due_at, ticket.next_due_at)
    assert [p[0] for p in started] == ["first_response", "resolution"]
    assert all(p[1] == 1 and p[2] is not None and p[3] is not None for p in started)
    assert started == refreshed
    assert due_before == due_after


async def test_opening_a_ticket_stays_within_its_statement_budget(sandbox: Sandbox):
    await open_ticket(
        sandbox, "Can you reset the password for our admin account?", user=w.DAVE
    )  # first-use lookups happen once
    await sandbox.desk.services.inflight.drain(5)
    statements: list[str] = []
    engine = sandbox.desk.db.engine.sync_engine

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        # Not the ack path's row (PostgreSQL keeps it in this database), and not SQLite's
        # BEGIN IMMEDIATE: the driver used to send its own BEGIN unseen, with the first write.
        # Nor the digest job's look for workspaces (its first pass runs a second after start
        # and can land in the window).
        if (
            " inbox" not in statement
            and statement != "BEGIN IMMEDIATE"
            and not statement.startswith("SELECT DISTINCT accounts.team_id")
        ):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        await open_ticket(sandbox, "Exports are slow")
        await sandbox.desk.services.inflight.drain(5)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert any(s.startswith("INSERT INTO tickets") for s in statements)
    assert len(statements) <= MOST_STATEMENTS_TO_OPEN, "\n".join(statements)


async def test_a_batch_of_new_tickets_is_written_with_one_statement_per_table(sandbox: Sandbox):
    await open_ticket(sandbox, "Can you reset the password for our admin account?", user=w.DAVE)
    await sandbox.settled()
    emu, inbox = sandbox.emu, sandbox.desk.inbox
    emu.deliverer.after_send = None
    await inbox.close()  # the three posts below are worked as one batch
    posts = [
        (w.CAROL, w.GLOBEX_SHARED, "Exports are slow"),
        (w.IVAN, w.INITECH_SHARED, "Invoices are missing"),
        (
            w.DAVE,
            w.GLOBEX_SHARED,
            "SSO loops back to the login page, can you check?",
        ),  # Dave's warm-up ticket is open: grouped
    ]
    for user, channel, text in posts:
        assert (await emu.post_message(user, channel, text)).status == 200
    statements: list[str] = []
    engine = sandbox.desk.db.engine.sync_engine

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        await inbox.start()
        await emu.wait_for(lambda: len(emu.calls_to("chat.postMessage")) >= 2 + 2 + 1)
        await sandbox.settled()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    inserts = [s.split("(")[0].strip() for s in statements if s.startswith("INSERT INTO")]
    # Two new tickets: one statement each for tickets and clocks; the grouped post adds its own
    # message and 👀 row (the per-post path), so messages and outbox rows take two statements.
    assert inserts.count("INSERT INTO tickets") == 1
    assert inserts.count("INSERT INTO sla_clocks") == 1
    assert inserts.count("INSERT INTO processed_events") == 1
    assert inserts.count("INSERT INTO ticket_messages") == 2
    assert inserts.count("INSERT INTO outbox") == 2
    async with sandbox.desk.db.reading() as uow:
        numbers = [t.number for t in await uow.tickets.open_tickets(w.VENDOR)]
    assert sorted(numbers) == [1, 2, 3]
