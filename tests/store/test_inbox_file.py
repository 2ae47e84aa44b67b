"""The SQLite inbox file's ack path: statements compiled once and run in one trip, no commit
or rollback sent, no sleeping in SQLite's busy handler, and no ack paying for a checkpoint of
the write-ahead log (its worker does that)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import bindparam, select, text

from bot.inbox.inbox import Inbox
from store import inbox_store, one_trip
from store.db import Database
from store.inbox_store import TABLE, InboxRow
from store.one_trip import Prepared

AT = datetime(2026, 11, 23, 15, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture
async def inbox_db(tmp_path: Path) -> AsyncIterator[Database]:
    """An inbox file set up as the app sets it up (bot/app.py)."""
    db = Database(
        f"sqlite+aiosqlite:///{tmp_path / 'desk-inbox.db'}",
        autocommit=True,
        checkpoint_on_commit=False,
    )
    async with db.connection() as conn:
        await inbox_store.create(conn)
    try:
        yield db
    finally:
        await db.close()


def _path(db: Database) -> str:
    return db.engine.url.database or ""


def _size(file: Path) -> int:
    return file.stat().st_size


@contextmanager
def write_lock_held_elsewhere(db: Database) -> Iterator[threading.Event]:
    """Another process's writer (a plain connection in a thread) holds the write lock until
    the yielded event is set."""
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        other = sqlite3.connect(_path(db), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        taken.set()
        release.wait(10)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(5)
    try:
        yield release
    finally:
        release.set()
        holder.join(5)


async def test_prepared_stores_what_sqlalchemy_stores(inbox_db: Database):
    row = {
        "event_id": bindparam("event_id"),
        "body": bindparam("body"),
        "received_at": bindparam("at"),
        "state": "pending",
        "attempts": 0,
        "not_before": bindparam("at"),
    }
    insert = Prepared(TABLE.insert().values(row))
    async with inbox_db.connection() as conn:
        await insert.fetch_all(conn, {"event_id": "one-trip", "body": "{}", "at": AT})
        await insert.fetch_all(conn, {"event_id": "again", "body": "{}", "at": AT})  # compiled
        await conn.execute(TABLE.insert().values({**_row("sqlalchemy")}))
        stored = (
            await conn.execute(text("SELECT received_at, not_before, state FROM inbox"))
        ).all()
        loaded = (await conn.execute(select(TABLE.c.received_at))).scalars().all()
    # The same text on disk (claims compare these columns as text), the same aware datetime back.
    assert stored == [("2026-11-23 15:00:00.123456", "2026-11-23 15:00:00.123456", "pending")] * 3
    assert loaded == [AT, AT, AT]


async def test_add_claim_and_remove(inbox_db: Database):
    async with inbox_db.connection() as conn:
        stored = await inbox_store.add(conn, [("Ev1", "{}"), ("Ev2", "{}"), ("Ev1", "{}")], AT)
        assert stored == {"Ev1", "Ev2"}
        assert await inbox_store.add(conn, [("Ev2", "{}"), ("Ev3", "{}")], AT) == {"Ev3"}
        later = AT + timedelta(seconds=1)
        claimed = await inbox_store.claim(conn, "w1", later, timedelta(seconds=10), 2)
        assert [(r.event_id, r.attempts) for r in claimed] == [("Ev1", 1), ("Ev2", 1)]
        # Claimed rows are nobody else's until the lease lapses.
        rest = await inbox_store.claim(conn, "w2", later, timedelta(seconds=10), 5)
        assert [r.event_id for r in rest] == ["Ev3"]
        await inbox_store.remove(conn, [r.id for r in claimed])
        assert await inbox_store.counts(conn) == {"pending": 1}
        with pytest.raises(ValueError, match="IN list"):
            await Prepared(select(TABLE.c.id).where(TABLE.c.id.in_([1, 2]))).fetch_all(conn)


async def test_no_write_to_the_file_returns_rows(
    inbox_db: Database, monkeypatch: pytest.MonkeyPatch
):
    # A write that returns rows holds the write lock until its last row is fetched, and
    # fetching waits for Python's lock: the ack path's collisions lasted 5-200 ms that way.
    sent: list[str] = []
    original = aiosqlite.Connection.execute_fetchall

    async def record(self, sql, parameters=None):  # noqa: ANN001, ANN202 - aiosqlite's signature
        sent.append(sql)
        return await original(self, sql, parameters)

    monkeypatch.setattr(aiosqlite.Connection, "execute_fetchall", record)
    inbox = Inbox(inbox_db, _Ignore(), lease=0.4)
    assert await inbox.accept({"event_id": "Ev1"}, "{}")
    assert not await inbox.accept({"event_id": "Ev1"}, "{}")  # a redelivery
    assert await inbox.work_once() == 1
    await inbox._failed(InboxRow(1, "Ev1", "{}", 1))
    await asyncio.sleep(0.15)
    await inbox.work_once()
    await inbox.close()
    writes = [q for q in sent if q.split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert {q.split()[0].upper() for q in writes} == {"INSERT", "UPDATE", "DELETE"}
    assert [q for q in writes if "RETURNING" in q.upper()] == []


async def test_a_row_another_worker_claims_between_read_and_claim_is_not_taken_twice(
    inbox_db: Database, monkeypatch: pytest.MonkeyPatch
):
    async with inbox_db.connection() as conn:
        await inbox_store.add(conn, [("Ev1", "{}"), ("Ev2", "{}")], AT)
    later = AT + timedelta(seconds=1)
    read = inbox_store._READ_DUE.fetch_all
    overtaken: list[str] = []
    reads = 0

    async def read_then_overtaken(conn, params):  # noqa: ANN001, ANN202 - Prepared's signature
        nonlocal reads
        reads += 1
        due = await read(conn, params)
        if reads == 1:  # a second worker (process) claims Ev1 right after this one read it
            async with second.connection() as other:
                taken = await inbox_store.claim(other, "w2", later, timedelta(seconds=10), 1)
                overtaken.extend(r.event_id for r in taken)
        return due

    second = Database(str(inbox_db.engine.url), autocommit=True, checkpoint_on_commit=False)
    monkeypatch.setattr(inbox_store._READ_DUE, "fetch_all", read_then_overtaken)
    try:
        async with inbox_db.connection() as conn:
            mine = await inbox_store.claim(conn, "w1", later, timedelta(seconds=10), 5)
    finally:
        await second.close()
    assert overtaken == ["Ev1"]
    assert [r.event_id for r in mine] == ["Ev2"]


async def test_a_write_that_finds_the_file_locked_waits_and_lands(inbox_db: Database):
    async with inbox_db.connection() as conn:
        # No busy handler on this file: a locked file is tried again by Prepared, not slept on.
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 0
    with write_lock_held_elsewhere(inbox_db) as release:
        async with inbox_db.connection() as conn:
            stored = asyncio.create_task(inbox_store.add(conn, [("Ev1", "{}")], AT))
            await asyncio.sleep(0.2)
            assert not stored.done()  # still waiting for the other writer
            release.set()
            assert await asyncio.wait_for(stored, 10) == {"Ev1"}
    async with inbox_db.connection() as conn:
        assert await inbox_store.counts(conn) == {"pending": 1}


async def test_a_file_that_stays_locked_is_reported_not_waited_on_forever(
    inbox_db: Database, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(one_trip, "BUSY_GIVE_UP_SECONDS", 0.3)
    with write_lock_held_elsewhere(inbox_db):
        async with inbox_db.connection() as conn:
            with pytest.raises(TimeoutError, match="locked"):
                await inbox_store.add(conn, [("Ev1", "{}")], AT)
    async with inbox_db.connection() as conn:
        assert await inbox_store.counts(conn) == {}  # nothing half-stored: Slack retries it


async def test_an_autocommit_connection_sends_neither_commit_nor_rollback(
    inbox_db: Database, monkeypatch: pytest.MonkeyPatch
):
    sent: list[str] = []
    for name in ("commit", "rollback"):
        original = getattr(aiosqlite.Connection, name)

        async def record(self, _name=name, _original=original):  # noqa: ANN001, ANN202
            sent.append(_name)
            return await _original(self)

        monkeypatch.setattr(aiosqlite.Connection, name, record)
    async with inbox_db.connection() as conn:
        await inbox_store.add(conn, [("Ev1", "{}")], AT)
    async with inbox_db.connection() as conn:
        assert await inbox_store.counts(conn) == {"pending": 1}
    assert sent == []
    # The recorder itself works: a transactional connection on the same file sends its commit.
    plain = Database(str(inbox_db.engine.url))
    try:
        async with plain.connection() as conn:
            await inbox_store.counts(conn)
    finally:
        await plain.close()
    assert "commit" in sent


async def test_acks_never_checkpoint_the_log_and_the_worker_does(inbox_db: Database):
    file = Path(_path(inbox_db))
    async with inbox_db.connection() as conn:
        frames = (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar()
    assert frames == 0
    size = _size(file)
    body = "x" * 3000
    for n in range(1500):  # well past SQLite's default checkpoint threshold of 1,000 pages
        async with inbox_db.connection() as conn:
            await inbox_store.add(conn, [(f"Ev{n}", body)], AT)
    assert _size(file) == size  # every page still only in the log

    inbox = Inbox(inbox_db, _Ignore())
    await inbox.work_once()
    assert _size(file) > size + 1500 * 3000  # copied back by the worker's checkpoint


async def test_handled_rows_stay_claimed_until_the_worker_deletes_them_together(
    inbox_db: Database,
):
    # Deletes at most every 1 s (a quarter of the lease).
    inbox = Inbox(inbox_db, _Ignore(), lease=40.0)
    async with inbox_db.connection() as conn:
        await inbox_store.add(conn, [("Ev1", "{}"), ("Ev2", "{}")], datetime.now(UTC))
    assert await inbox.work_once() == 2  # handled; the first pass also deleted (nothing yet)
    async with inbox_db.connection() as conn:
        await inbox_store.add(conn, [("Ev3", "{}")], datetime.now(UTC))
    assert await inbox.work_once() == 1  # within the second: Ev1 and Ev2 are not deleted yet
    async with inbox_db.connection() as conn:
        assert await inbox_store.counts(conn) == {"pending": 3}
        # ...but nobody can take them again: they are still this worker's claims.
        later = datetime.now(UTC)
        assert await inbox_store.claim(conn, "other", later, timedelta(seconds=10), 10) == []
    await inbox.close()  # a stopping worker deletes what it handled
    async with inbox_db.connection() as conn:
        assert await inbox_store.counts(conn) == {}


class _Ignore:
    def wants(self, body: dict) -> bool:
        return True

    async def handle(self, bodies: list) -> None:
        return None


def _row(event_id: str) -> dict[str, object]:
    return {
        "event_id": event_id,
        "body": "{}",
        "received_at": AT,
        "state": "pending",
        "attempts": 0,
        "not_before": AT,
    }
