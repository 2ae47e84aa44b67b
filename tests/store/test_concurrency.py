"""Two writers on one database (as two replicas would be): nothing is done twice or lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from store import migrate
from store.db import Database
from store.models import Account, SlaClock, Ticket

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
TEAM = "T0VENDOR"


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two independent engines (two replicas) on one migrated database."""
    await migrate.upgrade(database_url)
    a, b = Database(database_url), Database(database_url)
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


@pytest.fixture
async def two_pg(postgres_database_url: str) -> AsyncIterator[tuple[Database, Database]]:
    """Two independent engines on one PostgreSQL schema (SQLite serves one replica only)."""
    await migrate.upgrade(postgres_database_url)
    a, b = Database(postgres_database_url), Database(postgres_database_url)
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


async def _ticket_with_due_clock(db: Database, number: int = 1) -> tuple[int, int]:
    async with db.unit_of_work() as uow:
        account = await uow.accounts.by_name(TEAM, "Globex")
        if account is None:
            account = await uow.accounts.add(
                Account(
                    team_id=TEAM,
                    name="Globex",
                    tier="strategic",
                    internal_channel_id="C0INT",
                    owners=[],
                    created_at=NOW,
                )
            )
        ticket = Ticket(
            team_id=TEAM,
            number=number,
            account_id=account.id,
            channel_id="C0SHARED",
            root_ts=f"{number}.000",
            requester_user_id="U0CAROL",
            priority="P3",
            opened_at=NOW,
            updated_at=NOW,
        )
        await uow.tickets.add_new([ticket])
        clock = await uow.sla.add(
            SlaClock(
                team_id=TEAM,
                ticket_id=ticket.id,
                account_id=account.id,
                kind="first_response",
                priority=ticket.priority,
                calendar="24/7",
                target_seconds=60,
                started_at=NOW,
                running_since=NOW,
                due_at=NOW + timedelta(seconds=60),
                next_step_at=NOW + timedelta(seconds=45),
            )
        )
        return ticket.id, clock.id


async def test_same_event_claimed_once_across_replicas(two) -> None:
    a, b = two

    async def claim(db: Database) -> bool:
        async with db.unit_of_work() as uow:
            return await uow.events.claim("Ev000042", NOW)

    results = await asyncio.gather(*(claim(db) for db in (a, b, a, b)))
    assert sorted(results) == [False, False, False, True]


async def test_ticket_numbers_are_unique_across_replicas(two) -> None:
    a, b = two

    async def numbers(db: Database, count: int) -> list[int]:
        async with db.unit_of_work() as uow:
            return list(await uow.tickets.next_numbers(TEAM, count))

    # Blocks of numbers, as intake takes them for a batch: none shared, none skipped.
    blocks = await asyncio.gather(
        *(numbers(db, n) for db, n in zip((a, b) * 5, range(1, 11), strict=True))
    )
    assert sorted(n for block in blocks for n in block) == list(range(1, 56))
    assert all(block == list(range(block[0], block[0] + len(block))) for block in blocks)


async def test_ladder_step_claimed_once_across_replicas(two) -> None:
    a, b = two
    _, clock_id = await _ticket_with_due_clock(a)

    async def fire(db: Database, *steps: int) -> set[tuple[int, int, int]]:
        async with db.unit_of_work() as uow:
            clock = await uow.session.get(SlaClock, clock_id)
            return await uow.sla.claim_firings([(clock, s, 0, 75) for s in steps], NOW)

    won = await asyncio.gather(fire(a, 0), fire(b, 0), fire(a, 0))
    assert sorted(won, key=len) == [set(), set(), {(clock_id, 0, 0)}]
    # A batch answers only what it won: step 0 was taken above, step 1 is new.
    assert await fire(b, 0, 1) == {(clock_id, 1, 0)}
    assert await fire(a, 1) == set()


async def test_sweeps_skip_rows_another_replica_holds(two_pg) -> None:
    a, b = two_pg
    await _ticket_with_due_clock(a, 1)
    await _ticket_with_due_clock(a, 2)
    later = NOW + timedelta(minutes=1)
    async with a.unit_of_work() as first:
        held = await first.sla.due(later)
        async with b.unit_of_work() as second:
            # Blocks nothing and returns nothing: the other replica is sweeping these.
            skipped = await asyncio.wait_for(second.sla.due(later), 5)
    assert [c.ticket.number for c in held.clocks] == [1, 2]
    assert (list(skipped.clocks), skipped.skipped) == ([], 2)
    async with b.unit_of_work() as second:
        assert len((await second.sla.due(later)).clocks) == 2  # released at commit


async def test_ticket_changes_from_two_processes_both_survive(two) -> None:
    # On SQLite the edge and `serve --workers` children are two such writers on one file.
    a, b = two
    ticket_id, _ = await _ticket_with_due_clock(a)
    first_has_read = asyncio.Event()

    async def append(db: Database, word: str, wait: bool) -> None:
        async with db.unit_of_work() as uow:
            ticket = await uow.tickets.by_id(ticket_id, for_update=True)
            if wait:
                first_has_read.set()
                await asyncio.sleep(0.3)  # the other writer tries meanwhile and must wait
            ticket.summary = f"{ticket.summary}{word}"

    async def second() -> None:
        await first_has_read.wait()
        await append(b, "b", False)

    await asyncio.gather(append(a, "a", True), second())
    async with a.unit_of_work() as uow:
        assert (await uow.tickets.by_id(ticket_id)).summary == "ab"


async def test_a_reader_neither_waits_for_a_writer_nor_holds_one_up(two) -> None:
    # `reading()` (the App Home, effects, the outbox) is a snapshot, not a lock: on SQLite a
    # unit of work holds the write lock from its start, and a reader that took it too kept
    # every writer asleep in the busy handler for as long as it read (bench/README.md, Home).
    a, b = two
    ticket_id, _ = await _ticket_with_due_clock(a)

    async def summary(db: Database) -> str:
        async with db.reading() as uow:
            return (await uow.tickets.by_id(ticket_id)).summary

    async def rename(db: Database, text: str) -> None:
        async with db.unit_of_work() as uow:
            (await uow.tickets.by_id(ticket_id)).summary = text

    async with a.unit_of_work() as uow:
        (await uow.tickets.by_id(ticket_id)).summary = "not yet committed"
        await uow.session.flush()
        assert await asyncio.wait_for(summary(b), 5) == ""  # what was committed

    async with b.reading() as uow:
        assert (await uow.tickets.by_id(ticket_id)).summary == "not yet committed"
        await asyncio.wait_for(rename(a, "renamed"), 5)  # while the read is still open
    assert await summary(b) == "renamed"
