"""Records side effects in the caller's transaction and performs them, now and after crashes.

A row is claimed (`sending`, attempts + 1) in its own transaction before the Web API call and
settled after it. A row left `sending` (the process died mid-call, or the answer never came)
is picked up again once its claim lapses, and the effect is told the first try may have
landed, so it looks for its own post (metadata key) before posting again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.domain.clock import Clock, SystemClock
from bot.jobs.batching import GroupWrite
from bot.jobs.engine import Backoff, JobLoop
from bot.jobs.lanes import FREE, Lane, Lanes
from bot.slack.transport import Delivered
from store.db import Database
from store.models import UNCERTAIN_RESULT, OutboxEntry, OutboxState
from store.repositories import Repositories

log = logging.getLogger("connectdesk.outbox")

BACKOFF = Backoff(delays=(0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0), max_attempts=12)
# Rows to different channels run side by side, one per channel (its lane) at a time; the
# gateway paces each channel and the budget.
CONCURRENCY = 16


# A freshly recorded row: its id, the row itself (from `record_many`), or None (not recorded).
Fresh = int | OutboxEntry | None


class Effects(Protocol):
    """Performs one outbox row; `uncertain` means an earlier try may already have landed."""

    def lane(self, entry: OutboxEntry, known: object | None = None) -> Lane:
        """Where the row waits for its turn (its channel, its rank), knowing only the row."""
        ...

    async def perform(
        self, entry: OutboxEntry, uncertain: bool, known: object | None = None
    ) -> Delivered:
        """Do the effect (idempotently) and say what happened.

        `known`: what the recording transaction held (a ticket, say), given on a first try
        only, so the effect need not read it back; a retry reads what it needs.
        """
        ...

    async def record_results(
        self, uow: Repositories, done: list[tuple[OutboxEntry, Delivered]]
    ) -> None:
        """Store what rows that succeeded produced (posts' ts), in the settling transaction."""
        ...

    async def after_settled(self, entry: OutboxEntry, result: Delivered) -> None:
        """Follow-up once the outcome is committed (catch up with changes made meanwhile)."""
        ...


class Outbox:
    """Records rows in a unit of work, runs them right after commit, and retries leftovers."""

    def __init__(
        self,
        db: Database,
        effects: Effects,
        *,
        wall: Clock | None = None,
        lease: float = 30.0,
        poll: float = 2.0,
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        # Real time on purpose: claims and backoff must age even under a test's manual clock.
        self.wall = wall or SystemClock()
        self.lease = timedelta(seconds=lease)
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self.effects = effects
        self._busy: set[int] = set()
        # Rows `drain` claimed, each with whether an earlier try may have landed.
        self._claimed: dict[int, bool] = {}
        self._jobs = JobLoop(f"outbox-{self.worker_id}", self.drain, poll)
        self._running: set[asyncio.Task[Any]] = set()
        self._lanes = Lanes(CONCURRENCY)
        # Settled results wait here to be written together, one transaction for all of them.
        # Outcomes arriving together are written in one transaction.
        self._settles: GroupWrite[tuple[OutboxEntry, Delivered], bool] = GroupWrite(
            self._settle_batch
        )

    async def record(
        self,
        uow: Repositories,
        key: str,
        kind: str,
        team_id: str,
        *,
        ticket_id: int | None = None,
        payload: dict[str, Any] | None = None,
        delay: timedelta | None = None,
    ) -> int | None:
        """Add a row in the caller's transaction; None if `key` was recorded already.

        The row starts claimed by this worker: the caller runs it right after its commit, so
        that first try needs no claiming transaction of its own. With a `delay` it is due only
        that long from now (real time) and left unclaimed: a worker's poll takes it then, so
        it is not the caller's to run (the id is returned all the same).
        """
        now = self.wall.now()
        return await uow.outbox.add(
            key,
            kind,
            team_id,
            now,
            ticket_id=ticket_id,
            payload=payload,
            claimed_by=None if delay else self.worker_id,
            not_before=now + delay if delay else None,
        )

    async def record_many(self, uow: Repositories, rows: list[OutboxEntry]) -> list[OutboxEntry]:
        """`record` for many rows in one statement: the rows added, as the database holds them.

        Handing these to `run`/`run_soon` after the commit spares each first try a read.
        """
        at = self.wall.now()
        ids = await uow.outbox.add_many(rows, at, claimed_by=self.worker_id)
        added = []
        for row in rows:
            if row.key in ids:
                row.id, row.state, row.attempts = ids[row.key], OutboxState.SENDING, 1
                row.claimed_by, row.claimed_at, row.not_before, row.created_at = (
                    self.worker_id,
                    at,
                    at,
                    at,
                )
                row.payload = row.payload or {}
                added.append(row)
        return added

    async def schedule(
        self, uow: Repositories, rows: list[OutboxEntry], due: datetime
    ) -> list[OutboxEntry]:
        """Add rows due at `due` (not claimed: the worker takes them then); those added.

        A key recorded before is left as it was, so rows meant to coalesce (one per person and
        time window, say) are added once. `kick_at` wakes the worker when they fall due.
        """
        at = self.wall.now()
        for row in rows:
            row.not_before = due
        ids = await uow.outbox.add_many(rows, at)
        added = []
        for row in rows:
            if row.key in ids:
                row.id, row.state, row.attempts = ids[row.key], OutboxState.PENDING, 0
                row.not_before, row.created_at, row.payload = due, at, row.payload or {}
                added.append(row)
        return added

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker that retries failed rows and picks up those left by a crash."""
        self._jobs.start()

    async def close(self, grace: float = 10.0) -> None:
        """Stop the worker, letting effects under way finish (then cancel; rows stay queued)."""
        await self._jobs.stop(grace)  # a pass under way finishes; no new one starts
        running = [t for t in self._running if not t.done()]
        if running:
            _done, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        # Outcomes already known are written before the connections close.
        await self._settles.flushed()

    def kick(self) -> None:
        """Look for due rows now rather than at the next poll."""
        self._jobs.wake()

    def kick_at(self, due: datetime) -> None:
        """Look for due rows at `due` (by this outbox's clock) rather than at the next poll."""
        delay = max(self.wall.seconds_until(due), 0.0)
        asyncio.get_running_loop().call_later(delay, self.kick)

    # ---- work ------------------------------------------------------------------------------
    async def drain(self) -> int:
        """One pass over every due row; how many were settled."""
        async with self.db.reading() as uow:  # an idle poll takes no write lock
            due = len(await uow.outbox.due(self.wall.now(), self.lease))
        settled = 0
        while due > 0:
            # Claimed a slotful at a time: a claim's lease starts now, so rows must not wait
            # long for a slot (a lapsed claim would let another replica try them meanwhile).
            async with self.db.unit_of_work() as uow:
                claimed = await uow.outbox.claim(
                    self.worker_id, self.wall.now(), self.lease, CONCURRENCY
                )
            self._claimed.update((c.entry.id, c.maybe_done) for c in claimed)
            try:
                tries = await asyncio.gather(*(self._tracked(c.entry) for c in claimed))
            finally:
                for c in claimed:
                    self._claimed.pop(c.entry.id, None)
            settled += sum(tries)
            due = due - len(claimed) if len(claimed) == CONCURRENCY else 0
        return settled

    async def run(
        self, ids: Iterable[Fresh], *, together: bool = False, known: object | None = None
    ) -> None:
        """Perform freshly recorded rows at once (after their transaction committed).

        In order by default (a ticket's 👀, receipt, card: each starts once the one before it
        has been performed, while its outcome is still being written); `together` runs them
        side by side. A row is given by id, or as `record_many` returned it (not read again);
        `known` is handed to the effects of their first try (see `Effects.perform`).
        """
        wanted = [i for i in ids if i is not None]
        if together:
            await asyncio.gather(*(self._tracked(i, fresh=True, known=known) for i in wanted))
            return
        settling = []
        for row in wanted:
            step = await self._try(row, True, known)
            if not isinstance(step, bool):
                settling.append(asyncio.ensure_future(step))
        await asyncio.gather(*settling)

    def run_soon(self, ids: Iterable[Fresh], known: object | None = None) -> None:
        """Perform freshly recorded rows in the background (the caller need not wait)."""
        wanted = [i for i in ids if i is not None]
        if wanted:
            task = asyncio.create_task(self._run_quietly(wanted, known))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run_quietly(self, ids: Iterable[Fresh], known: object | None) -> None:
        # Nobody awaits a background first try: a failure (a busy database) is logged here and
        # the rows stay queued for the worker, which tries them again.
        try:
            await self.run(ids, known=known)
        except Exception:
            log.warning(
                "a first try of outbox rows failed; the worker retries them",
                exc_info=True,
            )

    async def _tracked(
        self, row: int | OutboxEntry, *, fresh: bool = False, known: object | None = None
    ) -> bool:
        """One try at one row; True when it is settled (done or failed for good)."""
        # Callers' own tasks are drained by their owners (InFlight, the scheduler); this
        # object waits only for the tasks it started itself.
        step = await self._try(row, fresh, known)
        return step if isinstance(step, bool) else await step

    async def _try(
        self, row: int | OutboxEntry, fresh: bool, known: object | None = None
    ) -> bool | Awaitable[bool]:
        """Perform one row (holding one of the concurrency slots); then what writes its outcome.

        A bool when there is nothing to write: True if the row is settled already, False if
        it is not this worker's to try now. `fresh`: recorded by this worker a moment ago and
        claimed with it, so the first try goes ahead without a claiming transaction (unless the
        claim has somehow lapsed).
        """
        entry_id = row if isinstance(row, int) else row.id
        if entry_id in self._busy:
            return False
        self._busy.add(entry_id)
        settling = False
        try:
            # A row whose channel is busy waits in its lane holding no worker: no account
            # waits behind another's burst.
            lane = FREE if isinstance(row, int) else self.effects.lane(row, known)
            async with self._lanes.turn(lane):
                performed = await self._perform(row, entry_id, fresh, known, self.effects)
            if isinstance(performed, bool):
                return performed
            settling = True
            return self._settle(*performed)
        finally:
            if not settling:
                self._busy.discard(entry_id)

    async def _perform(
        self,
        row: int | OutboxEntry,
        entry_id: int,
        fresh: bool,
        known: object | None,
        effects: Effects,
    ) -> bool | tuple[OutboxEntry, Delivered]:
        now = self.wall.now()
        maybe_done = self._claimed.pop(entry_id, None)
        if maybe_done is not None and isinstance(row, OutboxEntry):
            # Claimed by `drain` for this try, with whether an earlier one may have landed.
            return row, await _performed(effects, row, maybe_done, None)
        if isinstance(row, int):
            async with self.db.reading() as uow:
                entry = await uow.outbox.get(entry_id)
        else:
            entry = row
        if entry is None or entry.state in (OutboxState.DONE, OutboxState.FAILED):
            return True
        ours = (
            fresh
            and entry.state == OutboxState.SENDING
            and entry.claimed_by == self.worker_id
            and entry.attempts == 1
            and entry.claimed_at is not None
            and entry.claimed_at >= now - self.lease
        )
        # A try that may have landed (crash mid-call, lost answer) is checked for first.
        uncertain = not ours and (
            entry.state == OutboxState.SENDING or entry.result == UNCERTAIN_RESULT
        )
        if not ours:
            async with self.db.unit_of_work() as uow:
                claimed = await uow.outbox.claim(self.worker_id, now, self.lease, 1, [entry_id])
            if not claimed:
                return False  # not due, or another worker holds it
            entry, uncertain = claimed[0]
        return entry, await _performed(effects, entry, uncertain, known if ours else None)

    async def _settle(self, entry: OutboxEntry, result: Delivered) -> bool:
        """Write the outcome; outcomes arriving together share one transaction."""
        try:
            try:
                return await self._settles.submit((entry, result))
            finally:
                await self.effects.after_settled(entry, result)
        finally:
            self._busy.discard(entry.id)

    async def _settle_batch(self, batch: list[tuple[OutboxEntry, Delivered]]) -> list[bool]:
        # If this fails the rows stay claimed; their claim lapses and they rerun.
        async with self.db.unit_of_work() as uow:
            return await self._settle_many(uow, batch)

    async def _settle_many(
        self, uow: Repositories, batch: list[tuple[OutboxEntry, Delivered]]
    ) -> list[bool]:
        """Mark rows done (one statement for all), failed or due again, in one transaction."""
        now = self.wall.now()
        done = [(e, r) for e, r in batch if r.error is None]
        await uow.outbox.mark_done([(e.id, r.ts) for e, r in done], now)
        if done:
            await self.effects.record_results(uow, done)
        for entry, result in batch:
            if result.error is None:
                continue
            error = result.error[:200]
            if result.permanent or BACKOFF.exhausted(entry.attempts):
                await uow.outbox.mark_failed(entry.id, error)
                log.error("outbox %s gave up: %s", entry.key, result.error)
                continue
            # Uncertain or not, the next try is a fresh claim; `sending` would make it wait
            # out the lease, so an uncertain result keeps a marker in `result` instead.
            delay = BACKOFF.delay(entry.attempts)
            await uow.outbox.retry_later(
                entry.id, error, BACKOFF.retry_at(now, entry.attempts), uncertain=result.uncertain
            )
            log.warning("outbox %s: %s; retry in %.1fs", entry.key, result.error, delay)
        return [r.error is None or r.permanent or BACKOFF.exhausted(e.attempts) for e, r in batch]

    async def depth(self) -> tuple[int, int]:
        """Rows waiting or under way, and rows failed for good (for /metrics)."""
        async with self.db.reading() as uow:
            counts = await uow.outbox.unfinished()
        return (
            counts.get(OutboxState.PENDING, 0) + counts.get(OutboxState.SENDING, 0),
            counts.get(OutboxState.FAILED, 0),
        )


async def _performed(
    effects: Effects, entry: OutboxEntry, uncertain: bool, known: object | None
) -> Delivered:
    """What one try at one row did; an effect that raised is a try that may have landed."""
    try:
        return await effects.perform(entry, uncertain, known)
    except Exception as exc:  # an effect bug must not stop the queue; retried later
        log.exception("outbox %s (%s) raised", entry.key, entry.kind)
        return Delivered(error=type(exc).__name__, uncertain=True)
