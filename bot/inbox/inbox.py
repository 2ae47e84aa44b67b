"""Stores each Events API delivery before Slack gets its ack, and works the rows in batches.

The edge's only write is one short insert (unique `event_id`, so a redelivery is a no-op);
Slack is answered as soon as it commits, whatever the load. A worker claims the oldest rows in
batches and hands them to the event handlers, which decide several events in one transaction;
rows are deleted once handled. A crash leaves the claim to lapse and the rows are redone;
`processed_events` (written in the handlers' transaction) turns a redo of committed work into
nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.domain.clock import Clock, SystemClock
from bot.jobs.batching import GroupWrite
from bot.jobs.engine import Backoff, JobLoop
from bot.observability.metrics import Metrics
from bot.slack.events import event_id_of
from store import inbox_store
from store.db import Database
from store.inbox_store import InboxRow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

log = logging.getLogger("connectdesk.inbox")

BATCH = 100
BACKOFF = Backoff(delays=(1.0, 2.0, 5.0, 15.0, 30.0, 60.0), max_attempts=8)
CHECKPOINT_SECONDS = 1.0
# At most a quarter of the lease, so handled rows go long before anyone could claim them again.
REMOVE_EVERY_SECONDS = 1.0
REMOVE_AT_ROWS = 500


class EventHandlers(Protocol):
    """What the inbox hands its rows to (handlers/events.py)."""

    def wants(self, body: dict[str, Any]) -> bool:
        """Whether an event can matter at all (others are acked and dropped at the edge)."""
        ...

    async def handle(self, bodies: Sequence[dict[str, Any]]) -> None:
        """Handle the events, in order; raising means none of them took effect."""
        ...


class InboxObserver(Protocol):
    """Told what the inbox accepted and worked (the sandbox waits on it; production has none)."""

    def accepted(self, event_id: str) -> None:
        """A delivery was stored under this id."""
        ...

    def worked(self, event_ids: Sequence[str]) -> None:
        """These rows were worked (handled, or failed and released)."""
        ...


class Inbox:
    """Accepts deliveries on the ack path; a background worker handles them."""

    def __init__(
        self,
        db: Database,
        handlers: EventHandlers,
        *,
        own_schema: bool = False,
        lease: float = 10.0,
        batch: int = BATCH,
        poll: float = 1.0,
        wall: Clock | None = None,
        worker_id: str | None = None,
        metrics: Metrics | None = None,
        observer: InboxObserver | None = None,
    ) -> None:
        self.db = db
        self.metrics = metrics
        self.observer = observer
        self.own_schema = own_schema
        self.lease = timedelta(seconds=lease)
        self.batch = batch
        # Real time on purpose: claims and backoff must age even under a test's manual clock.
        self.wall = wall or SystemClock()
        self.worker_id = worker_id or uuid.uuid4().hex[:12]
        self.handlers = handlers
        self._jobs = JobLoop(f"inbox-{self.worker_id}", self.work_once, poll, again_when_busy=True)
        # Deliveries arriving together are stored in one write.
        self._stores: GroupWrite[tuple[str, str], bool] = GroupWrite(self._store_batch)
        # Rows handled and not yet deleted (deleted with the next claim, or at close).
        self._handled: list[int] = []
        self._checkpointed = float("-inf")
        self._handled_since = 0.0  # when the oldest row in `_handled` was handled
        self._remove_every = min(REMOVE_EVERY_SECONDS, lease / 4)

    # ---- the ack path ------------------------------------------------------------------------
    def wants(self, body: dict[str, Any]) -> bool:
        """Whether this event is worth storing (the bot's own posts, edits... are not)."""
        return self.handlers.wants(body)

    async def accept(self, body: dict[str, Any], raw: str, *, arrived: float | None = None) -> bool:
        """Store one delivery durably; False if it was stored before (a redelivery).

        Deliveries that arrive while a write is under way go into the next one together (group
        commit): under load one transaction serves many acks; when idle none waits for another.
        `arrived`: the transport's `time.perf_counter()` when the request came in; the time
        from then until the delivery may be acknowledged goes to `connectdesk_ack_seconds`.
        """
        arrived = time.perf_counter() if arrived is None else arrived
        key = event_id_of(body)
        stored = await self._stores.submit((key, raw))
        if self.metrics is not None:
            self.metrics.acked(time.perf_counter() - arrived)
        if not stored:
            return False
        if self.observer is not None:
            self.observer.accepted(key)
        self._jobs.wake()
        return True

    async def _store_batch(self, batch: list[tuple[str, str]]) -> list[bool]:
        # Nothing of a failed write is stored: each of its callers answers 500 and Slack retries.
        async with self.db.connection() as conn:
            stored = await inbox_store.add(conn, batch, self.wall.now())
        # The first of the same id in one batch is the stored one; the rest are repeats.
        firsts = []
        for key, _raw in batch:
            firsts.append(key in stored)
            stored.discard(key)
        return firsts

    # ---- lifecycle ---------------------------------------------------------------------------
    async def start(self, *, work: bool = True) -> None:
        """Create the inbox file if it is its own database, then start the worker.

        `work=False`: only accept (an edge whose events are worked by `connectdesk work`).
        """
        if self.own_schema:
            async with self.db.connection() as conn:
                await inbox_store.create(conn)
        if work:
            self._jobs.start()

    async def close(self, grace: float = 10.0) -> None:
        """Finish the batch under way (or cancel it after `grace`), then release our claims."""
        await self._jobs.stop(grace)
        try:
            async with self.db.connection() as conn:
                await inbox_store.remove(conn, self._handled)
                self._handled = []
                await inbox_store.release(conn, self.worker_id)
        except Exception:  # the claim lapses by itself; this only spares the wait
            log.warning("could not release inbox claims; they lapse in %s", self.lease)

    async def depth(self) -> tuple[int, int]:
        """Events waiting for a worker, and those given up (for /metrics).

        Read outside the write lock the acks take, so a scrape never holds up an ack.
        """
        async with self.db.reading() as uow:
            return await inbox_store.depth(await uow.session.connection(), self.wall.now())

    async def counts(self) -> dict[str, int]:
        """Rows per state."""
        async with self.db.connection() as conn:
            return await inbox_store.counts(conn)

    # ---- the worker --------------------------------------------------------------------------
    async def work_once(self) -> int:
        """Claim one batch and handle it; how many rows were claimed."""
        async with self.db.connection() as conn:
            await self._remove_handled(conn)
            rows = await inbox_store.claim(
                conn, self.worker_id, self.wall.now(), self.lease, self.batch
            )
        await self._checkpoint()
        if not rows:
            return 0
        try:
            handled = await self._handle(rows)
            if handled and not self._handled:
                self._handled_since = asyncio.get_running_loop().time()
            self._handled.extend(handled)
        finally:
            if self.observer is not None:
                self.observer.worked([r.event_id for r in rows])
        return len(rows)

    async def _remove_handled(self, conn: AsyncConnection) -> None:
        # Handled rows stay claimed (nobody takes them) until deleted; deleting them about once
        # a REMOVE_EVERY_SECONDS rather than with every claim halves this worker's writes to
        # the file the edge writes every ack into (each write is a chance to collide).
        waited = asyncio.get_running_loop().time() - self._handled_since
        if not self._handled or (
            waited < self._remove_every and len(self._handled) < REMOVE_AT_ROWS
        ):
            return
        await inbox_store.remove(conn, self._handled)
        self._handled = []

    async def _checkpoint(self) -> None:
        # The inbox file's commits do not checkpoint its log (Database.checkpoint_on_commit):
        # an ack would pay for it; the worker does it, at most once per CHECKPOINT_SECONDS.
        now = asyncio.get_running_loop().time()
        if now - self._checkpointed < CHECKPOINT_SECONDS:
            return
        self._checkpointed = now
        try:
            await self.db.checkpoint()
        except Exception:  # the log only grows until the next one; the work goes on
            log.warning("inbox checkpoint failed; trying again later", exc_info=True)

    async def _handle(self, rows: list[InboxRow]) -> list[int]:
        """Handle the batch in one go; if that fails, each row alone. The ids handled."""
        bodies = [_body(row) for row in rows]
        try:
            await self.handlers.handle([b for b in bodies if b is not None])
            return [row.id for row in rows]
        except Exception:
            if len(rows) == 1:
                await self._failed(rows[0])
                return []
            log.warning("an inbox batch of %d failed; handling its rows one by one", len(rows))
        done = []
        for row, body in zip(rows, bodies, strict=True):
            try:
                if body is not None:
                    await self.handlers.handle([body])
                done.append(row.id)
            except Exception:
                await self._failed(row)
        return done

    async def _failed(self, row: InboxRow) -> None:
        about = {"event_id": row.event_id}
        log.exception("event %s failed (attempt %d)", row.event_id, row.attempts, extra=about)
        give_up = BACKOFF.exhausted(row.attempts)
        if give_up:
            log.error(
                "event %s kept as failed after %d attempts", row.event_id, row.attempts, extra=about
            )
        async with self.db.connection() as conn:
            await inbox_store.retry_later(
                conn,
                row.id,
                "handler raised",
                BACKOFF.retry_at(self.wall.now(), row.attempts),
                give_up,
            )


def _body(row: InboxRow) -> dict[str, Any] | None:
    try:
        body = json.loads(row.body)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
