"""APScheduler runs the periodic passes: retention (hourly), the digest check (each minute)
and the account health check (every five minutes).

Each pass is named, runs soon after start and then every `interval` seconds, one at a time,
never on the ack path. Overlap between replicas is safe by what each pass does: retention finds
fewer rows (PostgreSQL skips rows another holds); the digest ledger records each send once; the
health ledger tells each crossing into at risk once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.jobs.inflight import InFlight

log = logging.getLogger("connectdesk.schedules")

RETENTION_EVERY_SECONDS = 3600.0
RETENTION_FIRST_AFTER_SECONDS = 60.0  # not in the middle of a start-up's catching up
DIGESTS_EVERY_SECONDS = 60.0
DIGESTS_FIRST_AFTER_SECONDS = 1.0  # a digest that fell due while the desk was down goes now
HEALTH_EVERY_SECONDS = 300.0
# A full interval after start: the ledger survives restarts, so nothing is lost by waiting,
# and a start-up's catching up (sweeps, redelivered events) goes first.
HEALTH_FIRST_AFTER_SECONDS = HEALTH_EVERY_SECONDS
MISFIRE_GRACE_SECONDS = 3600


class PeriodicJob:
    """Runs `run` every `interval` seconds, a pass at a time; a failed pass is logged."""

    def __init__(
        self,
        name: str,
        run: Callable[[], Awaitable[object]],
        interval: float,
        first_after: float,
    ) -> None:
        self.name = name
        self._pass = run
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
            id=self.name,
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
            await self._pass()
        except Exception:
            log.exception("%s pass failed; the next one will retry", self.name)
