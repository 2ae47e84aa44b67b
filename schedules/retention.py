"""APScheduler runs the retention pass: soon after start, then every `interval` seconds.

Never on the ack path: the pass runs in the background, a batch per short transaction, and
several replicas pruning at once only find fewer rows (PostgreSQL skips rows another holds).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.jobs.inflight import InFlight

log = logging.getLogger("connectdesk.schedules")

INTERVAL_SECONDS = 3600.0
FIRST_AFTER_SECONDS = 60.0  # not in the middle of a start-up's catching up
MISFIRE_GRACE_SECONDS = 3600


class RetentionScheduler:
    """Runs `prune` every `interval` seconds (a pass at a time)."""

    def __init__(
        self,
        prune: Callable[[], Awaitable[object]],
        interval: float = INTERVAL_SECONDS,
        first_after: float = FIRST_AFTER_SECONDS,
    ) -> None:
        self._prune = prune
        self._interval = interval
        self._first_after = first_after
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._running = InFlight()

    def start(self) -> None:
        """Schedule the passes."""
        self._scheduler.add_job(
            self._run,
            "interval",
            seconds=self._interval,
            next_run_time=datetime.now(UTC) + timedelta(seconds=self._first_after),
            id="retention",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )
        self._scheduler.start()

    async def shutdown(self, grace: float = 10.0) -> None:
        """Stop scheduling; a pass under way finishes its batch (cancelled after `grace`)."""
        if self._scheduler.running:
            self._scheduler.pause()
            await self._running.drain(grace)
            self._scheduler.shutdown(wait=False)

    async def _run(self) -> None:
        self._running.enter()
        try:
            await self._prune()
        except Exception:
            log.exception("retention pass failed; the next one will retry")
