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
from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Protocol

from bot.clock import Clock, SystemClock
from bot.gateway import Delivered
from store.db import Database
from store.models import OutboxEntry
from store.repositories import Repositories

log = logging.getLogger("connectdesk.outbox")

BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
MAX_ATTEMPTS = 12
# Rows to different channels run side by side; the gateway paces each channel and the budget.
CONCURRENCY = 16


class Effects(Protocol):
    """Performs one outbox row; `uncertain` means an earlier try may already have landed."""

    async def perform(self, entry: OutboxEntry, uncertain: bool) -> Delivered:
        """Do the effect (idempotently) and say what happened."""
        ...

    async def record_result(self, uow: Repositories, entry: OutboxEntry, result: Delivered) -> None:
        """Store what a settled row produced (a post's ts), in the settling transaction."""
        ...

    async def after_settled(self, entry: OutboxEntry, result: Delivered) -> None:
        """Follow-up once the outcome is committed (catch up with changes made meanwhile)."""
        ...


class Outbox:
    """Records rows in a unit of work, runs them right after commit, and retries leftovers."""

    def __init__(
        self,
        db: Database,
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
        self.poll = poll
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self.effects: Effects | None = None
        self._busy: set[int] = set()
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[Any]] = set()
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._stopping = False
        # Settled results wait here to be written together, one transaction for all of them.
        self._to_settle: list[tuple[int, Delivered, asyncio.Future[bool]]] = []
        self._settler: asyncio.Task[None] | None = None

    async def record(
        self,
        uow: Repositories,
        key: str,
        kind: str,
        team_id: str,
        *,
        ticket_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> int | None:
        """Add a row in the caller's transaction; None if `key` was recorded already.

        The row starts claimed by this worker: the caller runs it right after its commit, so
        that first try needs no claiming transaction of its own.
        """
        return await uow.outbox.add(
            key,
            kind,
            team_id,
            self.wall.now(),
            ticket_id=ticket_id,
            payload=payload,
            claimed_by=self.worker_id,
        )

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker that retries failed rows and picks up those left by a crash."""
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._loop(), name=f"outbox-{self.worker_id}")

    async def close(self, grace: float = 10.0) -> None:
        """Stop the worker, letting effects under way finish (then cancel; rows stay queued)."""
        self._stopping = True
        if self._loop_task is not None:
            self._wake.set()  # a pass under way finishes; no new one starts
            _done, late = await asyncio.wait([self._loop_task], timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
            self._loop_task = None
        running = [t for t in self._running if not t.done()]
        if running:
            _done, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._settler is not None:
            # Outcomes already known are written before the connections close.
            await asyncio.gather(self._settler, return_exceptions=True)

    def kick(self) -> None:
        """Look for due rows now rather than at the next poll."""
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self.drain()
            except Exception:
                log.exception("outbox pass failed; trying again shortly")
            if self._stopping:
                return
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll)
            except TimeoutError:
                pass
            self._wake.clear()

    # ---- work ------------------------------------------------------------------------------
    async def drain(self) -> int:
        """One pass over every due row; how many were settled."""
        now = self.wall.now()
        async with self.db.reading() as uow:
            ids = await uow.outbox.due(now, now - self.lease)
        return sum(await asyncio.gather(*(self._tracked(i) for i in ids)))

    async def run(self, ids: Iterable[int | None], *, together: bool = False) -> None:
        """Perform freshly recorded rows at once (after their transaction committed).

        In order by default (a ticket's 👀, receipt, card); `together` runs them side by side.
        """
        wanted = [i for i in ids if i is not None]
        if together:
            await asyncio.gather(*(self._tracked(i, fresh=True) for i in wanted))
            return
        for entry_id in wanted:
            await self._tracked(entry_id, fresh=True)

    def run_soon(self, ids: Iterable[int | None]) -> None:
        """Perform freshly recorded rows in the background (the caller need not wait)."""
        wanted = [i for i in ids if i is not None]
        if wanted:
            task = asyncio.create_task(self.run(wanted))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _tracked(self, entry_id: int, *, fresh: bool = False) -> bool:
        # Callers' own tasks are drained by their owners (InFlight, the scheduler); this
        # object waits only for the tasks it started itself.
        async with self._slots:
            return await self._attempt(entry_id, fresh)

    async def _attempt(self, entry_id: int, fresh: bool = False) -> bool:
        """One try at one row; True when it is settled (done or failed for good).

        `fresh`: recorded by this worker a moment ago and claimed with it, so the first try
        goes ahead without a claiming transaction (unless the claim has somehow lapsed).
        """
        if entry_id in self._busy or self.effects is None:
            return False
        self._busy.add(entry_id)
        try:
            now = self.wall.now()
            async with self.db.reading() as uow:
                entry = await uow.outbox.get(entry_id)
            if entry is None or entry.state in ("done", "failed"):
                return True
            ours = (
                fresh
                and entry.state == "sending"
                and entry.claimed_by == self.worker_id
                and entry.attempts == 1
                and entry.claimed_at is not None
                and entry.claimed_at >= now - self.lease
            )
            # A try that may have landed (crash mid-call, lost answer) is checked for first.
            uncertain = not ours and (entry.state == "sending" or entry.result == "uncertain")
            if not ours:
                async with self.db.unit_of_work() as uow:
                    entry = await uow.outbox.get(entry_id)
                    if entry is None or entry.state in ("done", "failed"):
                        return True
                    uncertain = entry.state == "sending" or entry.result == "uncertain"
                    if not await uow.outbox.claim(entry, self.worker_id, now, now - self.lease):
                        return False
            try:
                result = await self.effects.perform(entry, uncertain)
            except Exception as exc:  # an effect bug must not stop the queue; retried later
                log.exception("outbox %s (%s) raised", entry.key, entry.kind)
                result = Delivered(error=type(exc).__name__, uncertain=True)
            try:
                return await self._settle(entry_id, result)
            finally:
                await self.effects.after_settled(entry, result)
        finally:
            self._busy.discard(entry_id)

    async def _settle(self, entry_id: int, result: Delivered) -> bool:
        """Write the outcome; outcomes arriving together share one transaction."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._to_settle.append((entry_id, result, done))
        if self._settler is None or self._settler.done():
            self._settler = asyncio.create_task(self._settle_queued())
        return await done

    async def _settle_queued(self) -> None:
        while self._to_settle:
            batch, self._to_settle = self._to_settle, []
            try:
                async with self.db.unit_of_work() as uow:
                    outcomes = [await self._settle_one(uow, i, r) for i, r, _f in batch]
            except Exception as exc:  # the rows stay claimed; their claim lapses and they rerun
                for _i, _r, waiter in batch:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            for (_i, _r, waiter), settled in zip(batch, outcomes, strict=True):
                if not waiter.done():
                    waiter.set_result(settled)

    async def _settle_one(self, uow: Repositories, entry_id: int, result: Delivered) -> bool:
        now = self.wall.now()
        entry = await uow.outbox.get(entry_id)
        if entry is None:
            return True
        if result.error is None and self.effects is not None:
            await self.effects.record_result(uow, entry, result)
        if result.error is None:
            entry.state, entry.result, entry.error, entry.done_at = "done", result.ts, None, now
        elif result.permanent or entry.attempts >= MAX_ATTEMPTS:
            entry.state, entry.error = "failed", result.error[:200]
            log.error("outbox %s gave up: %s", entry.key, result.error)
        else:
            # Uncertain or not, the next try is a fresh claim; `sending` would make it wait
            # out the lease, so an uncertain result keeps a marker in `result` instead.
            entry.state = "pending"
            entry.error = result.error[:200]
            entry.result = "uncertain" if result.uncertain else entry.result
            delay = BACKOFF_SECONDS[min(entry.attempts - 1, len(BACKOFF_SECONDS) - 1)]
            entry.not_before = now + timedelta(seconds=delay)
            log.warning("outbox %s: %s; retry in %.1fs", entry.key, result.error, delay)
        return entry.state in ("done", "failed")

    async def settled(self, within: float = 30.0) -> dict[str, int]:
        """Wait until no row is pending or sending (tests, demo); the counts per state."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            async with self.db.reading() as uow:
                counts = await uow.outbox.counts()
            if not counts.get("pending") and not counts.get("sending"):
                return counts
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"outbox not settled within {within}s: {counts}")
            self.kick()
            await asyncio.sleep(0.05)
