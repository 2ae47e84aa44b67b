"""The job engine's statements on SQLite and PostgreSQL: claims and their leases, backoff,
dead letters with their reason, release, and retention in batches."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.domain.clock import ManualClock
from bot.jobs.engine import Backoff
from bot.jobs.retention import Retention
from store import inbox_store, jobs
from store.db import Database
from store.inbox_store import JOBS as INBOX
from store.models import UNCERTAIN_RESULT, InboxEvent, OutboxEntry, ProcessedEvent
from store.outbox_repository import JOBS as OUTBOX

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
LEASE = timedelta(seconds=10)


async def _events(db: Database, *event_ids: str) -> None:
    async with db.connection() as conn:
        await inbox_store.add(conn, [(e, "{}") for e in event_ids], NOW)


async def _claim(db: Database, worker: str, at: datetime, limit: int = 10) -> list[str]:
    async with db.connection() as conn:
        rows = await inbox_store.claim(conn, worker, at, LEASE, limit)
    return [r.event_id for r in rows]


async def _row(db: Database, event_id: str) -> InboxEvent:
    async with db.reading() as uow:
        row = await uow.session.scalar(select(InboxEvent).where(InboxEvent.event_id == event_id))
    assert row is not None
    return row


async def test_a_claim_holds_rows_until_its_lease_lapses(db: Database):
    await _events(db, "Ev1", "Ev2", "Ev3")
    assert await _claim(db, "w1", NOW, limit=2) == ["Ev1", "Ev2"]
    assert await _claim(db, "w2", NOW + timedelta(seconds=1)) == ["Ev3"]
    assert await _claim(db, "w2", NOW + timedelta(seconds=9)) == []
    # w1 died: once its lease lapsed, its rows go to the next claimant, tried a second time.
    assert await _claim(db, "w2", NOW + timedelta(seconds=11)) == ["Ev1", "Ev2"]
    row = await _row(db, "Ev1")
    assert (row.claimed_by, row.attempts) == ("w2", 2)


async def test_a_stopping_worker_releases_its_claims(db: Database):
    await _events(db, "Ev1")
    assert await _claim(db, "w1", NOW) == ["Ev1"]
    async with db.connection() as conn:
        await inbox_store.release(conn, "w1")
    assert await _claim(db, "w2", NOW + timedelta(seconds=1)) == ["Ev1"]


async def test_a_failed_job_waits_out_its_backoff():
    backoff = Backoff(delays=(1.0, 5.0), max_attempts=3)
    assert [backoff.delay(n) for n in (1, 2, 3, 9)] == [1.0, 5.0, 5.0, 5.0]
    assert backoff.retry_at(NOW, 2) == NOW + timedelta(seconds=5)
    assert not backoff.exhausted(2) and backoff.exhausted(3)


async def test_a_retried_row_is_due_again_only_after_its_backoff(db: Database):
    await _events(db, "Ev1")
    await _claim(db, "w1", NOW)
    row = await _row(db, "Ev1")
    async with db.connection() as conn:
        await inbox_store.retry_later(
            conn, row.id, "handler raised", NOW + timedelta(seconds=5), False
        )
    assert await _claim(db, "w1", NOW + timedelta(seconds=4)) == []
    assert await _claim(db, "w1", NOW + timedelta(seconds=5)) == ["Ev1"]
    assert (await _row(db, "Ev1")).error == "handler raised"


async def test_a_dead_letter_keeps_its_reason_and_is_never_claimed_or_pruned(db: Database):
    await _events(db, "Ev1")
    await _claim(db, "w1", NOW)
    row = await _row(db, "Ev1")
    async with db.connection() as conn:
        await jobs.dead_letter(conn, INBOX, row.id, "handler raised 8 times: KeyError 'user'")
    dead = await _row(db, "Ev1")
    assert (dead.state, dead.error, dead.claimed_by) == (
        "failed",
        "handler raised 8 times: KeyError 'user'",
        None,
    )
    assert await _claim(db, "w1", NOW + timedelta(days=30)) == []
    async with db.connection() as conn:
        await _outbox_row(conn, "k-dead", "failed", NOW - timedelta(days=30))
    await Retention(db, ManualClock(NOW), timedelta(days=7)).prune()
    async with db.reading() as uow:
        states = (await uow.session.execute(select(OutboxEntry.key, OutboxEntry.state))).all()
    assert states == [("k-dead", "failed")]


async def _outbox_row(
    conn, key: str, state: str, at: datetime, *, attempts: int = 1, result: str | None = None
) -> None:
    await conn.execute(
        insert(OutboxEntry.__table__).values(
            key=key,
            kind="post",
            team_id="T1",
            payload={},
            state=state,
            attempts=attempts,
            result=result,
            claimed_by="w0" if state == "sending" else None,
            claimed_at=at if state == "sending" else None,
            not_before=at,
            created_at=at,
            done_at=at if state == "done" else None,
        )
    )


async def _claim_outbox(
    db: Database, worker: str, at: datetime, limit: int = 10
) -> list[tuple[str, int, bool]]:
    async with db.unit_of_work() as uow:
        claimed = await uow.outbox.claim(worker, at, LEASE, limit)
    return [(c.entry.key, c.entry.attempts, c.maybe_done) for c in claimed]


async def test_two_workers_claiming_outbox_rows_never_get_the_same_one(db: Database):
    async with db.connection() as conn:
        for key in ("k1", "k2", "k3"):
            await _outbox_row(conn, key, "pending", NOW)
    assert await _claim_outbox(db, "w1", NOW, limit=2) == [("k1", 2, False), ("k2", 2, False)]
    assert await _claim_outbox(db, "w2", NOW) == [("k3", 2, False)]
    assert await _claim_outbox(db, "w2", NOW + timedelta(seconds=5)) == []
    async with db.reading() as uow:
        rows = {r.key: r for r in await uow.outbox.all()}
    assert {k: (r.state, r.claimed_by) for k, r in rows.items()} == {
        "k1": ("sending", "w1"),
        "k2": ("sending", "w1"),
        "k3": ("sending", "w2"),
    }


async def test_a_lapsed_sending_outbox_row_comes_back_marked_maybe_done(db: Database):
    async with db.connection() as conn:
        await _outbox_row(conn, "k-lapsed", "sending", NOW - timedelta(seconds=11))
        await _outbox_row(conn, "k-held", "sending", NOW - timedelta(seconds=5))
        await _outbox_row(conn, "k-fresh", "pending", NOW, attempts=0)
        await _outbox_row(conn, "k-unanswered", "pending", NOW, result=UNCERTAIN_RESULT)
    # The lapsed try may have posted: its redo looks for the post first; a held one is left.
    assert await _claim_outbox(db, "w1", NOW) == [
        ("k-lapsed", 2, True),
        ("k-fresh", 1, False),
        ("k-unanswered", 2, True),
    ]
    # Claimed again, the rows are `sending` under w1's claim until it lapses in its turn.
    assert await _claim_outbox(db, "w2", NOW + timedelta(seconds=9)) == [("k-held", 2, True)]
    assert [k for k, _n, maybe in await _claim_outbox(db, "w2", NOW + timedelta(seconds=11))] == [
        "k-lapsed",
        "k-fresh",
        "k-unanswered",
    ]


async def test_postgres_claims_at_once_skip_each_others_rows(db: Database, database_url: str):
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite's one writer decides a race")
    async with db.connection() as conn:
        for n in range(6):
            await _outbox_row(conn, f"k{n}", "pending", NOW)
    async with db.unit_of_work() as first:
        # The first claim's transaction is still open: its rows stay locked meanwhile.
        held = await first.outbox.claim("w1", NOW, LEASE, 3)
        async with db.unit_of_work() as second:
            took = await asyncio.wait_for(second.outbox.claim("w2", NOW, LEASE, 10), 5)
    assert [c.entry.key for c in held] == ["k0", "k1", "k2"]
    assert [c.entry.key for c in took] == ["k3", "k4", "k5"]
    assert await _claim_outbox(db, "w3", NOW) == []


async def test_postgres_inbox_claims_at_once_get_disjoint_rows(db: Database, database_url: str):
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite's one writer decides a race")
    await _events(db, *(f"Ev{n}" for n in range(8)))

    async def claim(worker: str) -> list[str]:
        async with db.connection() as conn:
            rows = await inbox_store.claim(conn, worker, NOW, LEASE, 5)
            await asyncio.sleep(0.2)  # hold the locks while the other claims
        return [r.event_id for r in rows]

    first, second = await asyncio.gather(claim("w1"), claim("w2"))
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(f"Ev{n}" for n in range(8))


async def test_retention_prunes_old_finished_rows_in_batches(db: Database):
    old, recent = NOW - timedelta(days=8), NOW - timedelta(days=6)
    async with db.connection() as conn:
        await conn.execute(
            insert(ProcessedEvent.__table__),
            [{"event_id": f"Ev{n}", "received_at": old} for n in range(1_200)]
            + [{"event_id": f"Ew{n}", "received_at": recent} for n in range(10)],
        )
        await _outbox_row(conn, "k-old", "done", old)
        await _outbox_row(conn, "k-new", "done", recent)
        await _outbox_row(conn, "k-waiting", "pending", old)
    batches: list[int] = []
    real = jobs.prune_batch

    async def counted(*args, **kwargs) -> int:
        batches.append(await real(*args, **kwargs))
        return batches[-1]

    retention = Retention(db, ManualClock(NOW), timedelta(days=7), batch=500)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jobs, "prune_batch", counted)
        deleted = await retention.prune()
    assert deleted == {"processed_events": 1_200, "outbox": 1, "incident_deliveries": 0}
    assert batches[:4] == [500, 500, 200, 1]  # each its own transaction, at most 500 rows
    async with db.reading() as uow:
        events = await uow.session.scalar(select(func.count()).select_from(ProcessedEvent))
        keys = (await uow.session.scalars(select(OutboxEntry.key).order_by(OutboxEntry.key))).all()
    assert events == 10
    assert keys == ["k-new", "k-waiting"]


async def test_a_claim_by_ids_takes_only_those_and_a_given_back_running_row_at_once(db: Database):
    async with db.connection() as conn:
        for key in ("k1", "k2", "k3"):
            await _outbox_row(conn, key, "pending", NOW)
    async with db.unit_of_work() as uow:
        ids = [e.id for e in await uow.outbox.all()]
        conn = await uow.session.connection()
        got = await jobs.claim(conn, OUTBOX, "w1", NOW, LEASE, 2, ("state",), only=ids[1:])
    assert [(row_id, state) for row_id, _n, state in got] == [
        (ids[1], "pending"),
        (ids[2], "pending"),
    ]
    async with db.unit_of_work() as uow:
        conn = await uow.session.connection()
        # Held by w1's claim: not taken, even by id.
        assert await jobs.claim(conn, OUTBOX, "w2", NOW, LEASE, 1, only=[ids[1]]) == []
        # A try whose answer never came gives its claim back: due at once, and reads `sending`.
        entry = await uow.outbox.get(ids[1])
        assert entry is not None
        entry.claimed_by = None
    async with db.unit_of_work() as uow:
        conn = await uow.session.connection()
        again = await jobs.claim(conn, OUTBOX, "w2", NOW, LEASE, 5, ("state",), only=ids[1:])
    assert [(row_id, n, state) for row_id, n, state in again] == [(ids[1], 3, "sending")]
