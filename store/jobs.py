"""The job engine's statements: claim with a lease, retry later, dead-letter, release, prune.

Every durable queue (the inbox, the outbox, incident deliveries) is a table whose rows are
jobs; a `JobTable` names the columns that make it one, and the same statements serve all of
them. A claim takes due rows for a lease: on PostgreSQL with `FOR UPDATE SKIP LOCKED` (replicas
never wait for each other's rows), on SQLite by a guarded UPDATE that only takes rows still
unclaimed (SQLite has one writer, so the guard is what decides a race). A row whose lease
lapsed (its worker died) is due again. A job tried too often, or refused for good, is
dead-lettered: kept with its reason for a person. Finished rows are pruned in small batches
once older than the retention window; dead letters are never pruned.

The three queues keep their own tables: the inbox lives in a SQLite file of its own (the ack
path's writes never queue behind the worker's), an outbox row is written in the transaction of
the state change it belongs to, and a delivery row is one of an incident's; one table for all
would put the ack path's inserts and the settles on one write lock and one set of indexes.

All three are claimed here (`claim`). An incident delivery is claimed by its id just before
its call (once the workspace budget lets it go, so after a crash only posts truly in flight
cost a history lookup), and a try whose answer never came gives its claim back: the row stays
`sending` (maybe sent; the next try looks first) and is due at once. The incident's driver
lease (`Incident.driver`, `lease_until`) stays beside the row claims: one driver per incident
at a time is what keeps its posts in order across replicas (every channel's notice before the
updates threaded under it), which leases on single rows cannot; as a job row of its own it
would need a table or a `state` column (a migration) for what one guarded UPDATE does now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Table,
    bindparam,
    delete,
    false,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from store.one_trip import Prepared

PRUNE_BATCH = 500  # rows per pruning transaction: short enough never to hold up a writer
REASON_CHARS = 200  # the width of every queue's `error` column


@dataclass(frozen=True)
class JobTable:
    """Which columns of a table make its rows jobs.

    `claimed_until` holds a claim's deadline, or `claimed_at` its start (the lease is added
    when read). `running`: the state of a claimed row, for tables that mark it (a row found in
    it after its lease lapsed may have taken effect). `finished_at`: when a done row finished
    (None: done rows are deleted at once, as the inbox does).
    """

    table: Table
    done: str | None = None
    finished_at: str | None = None
    claimed_until: str | None = None
    claimed_at: str | None = None
    claimed_by: str | None = "claimed_by"
    not_before: str | None = "not_before"
    running: str | None = None
    pending: str = "pending"
    dead: str = "failed"
    # Statements run in one trip to aiosqlite's thread (an autocommit file such as the inbox's;
    # store/one_trip.py); otherwise they run on the caller's transaction as SQLAlchemy runs them.
    one_trip: bool = False

    def col(self, name: str) -> Any:
        """A column of the table by name."""
        return self.table.c[name]

    def unclaimed(self, now: Any, lease: Any = None, *, stale: Any = None) -> ColumnElement[bool]:
        """Nobody holds the row: never claimed, or the claim lapsed (`stale`: now - lease)."""
        if self.claimed_until is not None:
            until = self.col(self.claimed_until)
            return or_(until.is_(None), until < now)
        assert self.claimed_at is not None
        at = self.col(self.claimed_at)
        free = [at.is_(None), at < (stale if stale is not None else now - lease)]
        if self.claimed_by is not None:
            # Given back (a try whose answer never came): due at once, still maybe done.
            free.append(self.col(self.claimed_by).is_(None))
        return or_(*free)

    def due(self, now: Any, lease: Any = None, *, stale: Any = None) -> ColumnElement[bool]:
        """Rows a worker may claim now: pending and due, or running under a lapsed claim."""
        state = self.col("state")
        waiting = (state == self.pending) & (
            self.col(self.not_before) <= now if self.not_before else true()
        )
        if self.claimed_until is not None:
            waiting = waiting & self.unclaimed(now)
        lapsed = (
            (state == self.running) & self.unclaimed(now, lease, stale=stale)
            if self.running
            else false()
        )
        return or_(waiting, lapsed)


async def _run(
    conn: AsyncConnection, jobs: JobTable, stmt: Prepared, params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    if jobs.one_trip:
        return await stmt.fetch_all(conn, params)
    result = await conn.execute(stmt.stmt, params)
    return [tuple(row) for row in result] if result.returns_rows else []


def _ids(count: int, name: str = "id") -> list[BindParameter[object]]:
    return [bindparam(f"{name}_{n}") for n in range(count)]


def _id_params(ids: Sequence[int], name: str = "id") -> dict[str, int]:
    return {f"{name}_{n}": row_id for n, row_id in enumerate(ids)}


@lru_cache(maxsize=64)
def due_statement(jobs: JobTable, columns: tuple[str, ...], only: int = 0) -> Prepared:
    """Due rows (`columns` of each), oldest first, at most `limit`.

    Binds: now, limit; `stale` (now - lease) for tables that mark a claimed row `running`;
    `only_0`... when `only` (how many ids the rows are to be found among).
    """
    table = jobs.table
    where = [jobs.due(bindparam("now"), stale=bindparam("stale") if jobs.running else None)]
    if only:
        where.append(table.c.id.in_(_ids(only, "only")))
    return Prepared(
        select(table.c.id, *(table.c[c] for c in columns))
        .where(*where)
        .order_by(table.c.id)
        .limit(bindparam("limit"))
    )


def _stamp_column(jobs: JobTable) -> str:
    # What a claim writes to mark its rows: the lease's deadline, or (running) when it began.
    stamp = jobs.claimed_until or jobs.claimed_at
    assert stamp is not None and jobs.claimed_by is not None, "a claim records its worker"
    return stamp


def _claim_values(jobs: JobTable, worker: Any, stamp: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        jobs.claimed_by: worker,  # type: ignore[dict-item]
        _stamp_column(jobs): stamp,
        "attempts": jobs.table.c.attempts + 1,
    }
    if jobs.running is not None:
        values["state"] = jobs.running
    return values


@lru_cache(maxsize=256)
def _confirm_claims(jobs: JobTable, count: int) -> Prepared:
    # Re-checked under the write lock: another worker may have taken some meanwhile.
    table = jobs.table
    stale: BindParameter[Any] | None = bindparam("stale") if jobs.running else None
    return Prepared(
        update(table)
        .where(table.c.id.in_(_ids(count)), jobs.due(bindparam("now"), stale=stale))
        .values(_claim_values(jobs, bindparam("worker"), bindparam("stamp")))
    )


@lru_cache(maxsize=256)
def _claimed_by(jobs: JobTable, count: int) -> Prepared:
    table = jobs.table
    assert jobs.claimed_by is not None  # only tables with claims come here
    return Prepared(
        select(table.c.id, table.c.attempts).where(
            table.c.id.in_(_ids(count)),
            jobs.col(jobs.claimed_by) == bindparam("worker"),
            jobs.col(_stamp_column(jobs)) == bindparam("stamp"),
        )
    )


async def claim(
    conn: AsyncConnection,
    jobs: JobTable,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    columns: tuple[str, ...] = (),
    only: Sequence[int] = (),
) -> list[tuple[Any, ...]]:
    """Claim up to `limit` due rows, oldest first, for `lease`: (id, attempts, *columns) each.

    `attempts` counts this try; `columns` are read as they were before the claim. On a table
    that marks a claimed row `running`, a row whose `state` reads `running` was claimed before
    under a lease that lapsed: that try may have taken effect (a row another worker claimed
    and let go between this claim's read and its write, on SQLite, reads `running` too: its
    history is unknown). `only`: claim among these ids alone.
    """
    read = ("state", "attempts", *columns) if jobs.running else columns
    # The same call as a caller's own `due_statement(jobs, columns)`: one cached statement.
    due = due_statement(jobs, read, len(only)) if only else due_statement(jobs, read)
    stamp = now if jobs.running else now + lease
    params: dict[str, Any] = {"now": now, "limit": limit, **_id_params(only, "only")}
    if jobs.running:
        params["stale"] = now - lease
    if conn.dialect.name != "postgresql":
        # Read, claim by id, read what we got: on an autocommit SQLite file only the UPDATE
        # takes the write lock (an idle poll none at all), for one step of SQLite, and no
        # statement holds it while returning rows (store/one_trip.py).
        rows = await _run(conn, jobs, due, params)
        if not rows:
            return []
        mine = {"worker": worker, "stamp": stamp, **_id_params([r[0] for r in rows])}
        confirm = {"now": now, **mine, **({"stale": params["stale"]} if jobs.running else {})}
        await _run(conn, jobs, _confirm_claims(jobs, len(rows)), confirm)
        claimed = dict(await _run(conn, jobs, _claimed_by(jobs, len(rows)), mine))
        got = [(r, claimed[r[0]]) for r in rows if r[0] in claimed]
    else:
        # PostgreSQL: rows another replica is claiming are skipped, not waited for; the rows
        # read stay locked until the claim commits, so what was read is what was claimed.
        stmt = due.stmt.with_for_update(skip_locked=True)  # type: ignore[attr-defined]
        rows = [tuple(r) for r in await conn.execute(stmt, params)]
        if not rows:
            return []
        table = jobs.table
        attempts: dict[int, int] = dict(
            (
                await conn.execute(
                    update(table)
                    .where(table.c.id.in_([r[0] for r in rows]))
                    .values(_claim_values(jobs, worker, stamp))
                    .returning(table.c.id, table.c.attempts)
                )
            ).all()
        )
        got = [(r, attempts[r[0]]) for r in rows]
    return [_as_claimed(jobs, row, tries, columns) for row, tries in got]


def _as_claimed(
    jobs: JobTable, row: tuple[Any, ...], tries: int, columns: tuple[str, ...]
) -> tuple[Any, ...]:
    if not jobs.running:
        return (row[0], tries, *row[1:])
    state, seen, rest = row[1], row[2], list(row[3:])
    if "state" in columns:
        # Every claim adds one try: any other count means another worker had it in between.
        rest[columns.index("state")] = state if tries == seen + 1 else jobs.running
    return (row[0], tries, *rest)


async def due_ids(
    conn: AsyncConnection, jobs: JobTable, now: datetime, lease: timedelta, limit: int
) -> list[int]:
    """Ids of rows due now (pending and due, or running under a lapsed claim), oldest first."""
    table = jobs.table
    result = await conn.execute(
        select(table.c.id).where(jobs.due(now, lease)).order_by(table.c.id).limit(limit)
    )
    return list(result.scalars())


def _released(jobs: JobTable) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if jobs.claimed_by is not None:
        values[jobs.claimed_by] = None
    if jobs.claimed_until is not None:
        values[jobs.claimed_until] = None
    return values


@lru_cache(maxsize=16)
def _retry_statement(jobs: JobTable) -> Prepared:
    table = jobs.table
    values: dict[str, Any] = {
        "state": bindparam("state"),
        "error": bindparam("error"),
        **_released(jobs),
    }
    if jobs.not_before is not None:
        values[jobs.not_before] = bindparam("not_before")
    return Prepared(update(table).where(table.c.id == bindparam("row_id")).values(values))


async def retry_later(
    conn: AsyncConnection,
    jobs: JobTable,
    row_id: int,
    error: str,
    not_before: datetime,
    **extra: Any,
) -> None:
    """Release a failed try: the row is due again at `not_before` (`extra`: columns to set)."""
    params = {
        "row_id": row_id,
        "state": jobs.pending,
        "error": error[:REASON_CHARS],
        "not_before": not_before,
    }
    if not extra:
        await _run(conn, jobs, _retry_statement(jobs), params)
        return
    table = jobs.table
    values = {"state": jobs.pending, "error": error[:REASON_CHARS], **_released(jobs), **extra}
    if jobs.not_before is not None:
        values[jobs.not_before] = not_before
    await conn.execute(update(table).where(table.c.id == row_id).values(values))


@lru_cache(maxsize=16)
def _dead_statement(jobs: JobTable) -> Prepared:
    table = jobs.table
    values = {"state": jobs.dead, "error": bindparam("reason"), **_released(jobs)}
    return Prepared(update(table).where(table.c.id == bindparam("row_id")).values(values))


async def dead_letter(conn: AsyncConnection, jobs: JobTable, row_id: int, reason: str) -> None:
    """Give up on a row for good: kept, with `reason`, for a person to look at."""
    params = {"row_id": row_id, "reason": (reason or "gave up")[:REASON_CHARS]}
    await _run(conn, jobs, _dead_statement(jobs), params)


@lru_cache(maxsize=16)
def _release_statement(jobs: JobTable) -> Prepared:
    table = jobs.table
    assert jobs.claimed_by is not None
    return Prepared(
        update(table)
        .where(jobs.col(jobs.claimed_by) == bindparam("worker"), table.c.state == jobs.pending)
        .values(_released(jobs))
    )


async def release(conn: AsyncConnection, jobs: JobTable, worker: str) -> None:
    """Give up a stopping worker's claims, so the next one need not wait for them to lapse."""
    await _run(conn, jobs, _release_statement(jobs), {"worker": worker})


async def prune_batch(
    conn: AsyncConnection,
    table: Table,
    older: ColumnElement[bool],
    batch: int = PRUNE_BATCH,
) -> int:
    """Delete at most `batch` rows matching `older` (oldest ids first); how many went."""
    ids = select(table.c[_key(table)]).where(older).limit(batch)
    if conn.dialect.name == "postgresql":
        # Rows a writer holds are left for the next batch rather than waited for.
        ids = ids.with_for_update(skip_locked=True)
    found = list((await conn.execute(ids)).scalars())
    if not found:
        return 0
    await conn.execute(delete(table).where(table.c[_key(table)].in_(found)))
    return len(found)


def finished_before(jobs: JobTable, cutoff: datetime) -> ColumnElement[bool]:
    """Done rows that finished before `cutoff` (never dead letters: they wait for a person)."""
    assert jobs.done is not None and jobs.finished_at is not None
    condition = (jobs.col("state") == jobs.done) & (jobs.col(jobs.finished_at) < cutoff)
    if jobs.not_before is not None:
        # A row finishes after it was due: this bound lets the (state, not_before) index
        # find the rows, so pruning needs no index of its own on the settle path's table.
        condition = condition & (jobs.col(jobs.not_before) < cutoff)
    return condition


def _key(table: Table) -> str:
    return "id" if "id" in table.c else next(iter(table.primary_key.columns)).name
