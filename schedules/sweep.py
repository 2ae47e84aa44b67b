"""APScheduler only wakes the timer sweep: at the next due time and on a safety interval.

The timers themselves live in the database, so a restart loses nothing and the ledger keeps
each ladder step to one firing even when sweeps overlap or several replicas run.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.clock import Clock
from bot.jobs.alarm import Alarm
from bot.jobs.inflight import InFlight

log = logging.getLogger("connectdesk.schedules")

# A late wake-up must still run (APScheduler's default grace of 1 s would silently drop it).
MISFIRE_GRACE_SECONDS = 3600
RESWEEP_SECONDS = 0.2


class SweepScheduler:
    """Runs `sweep` soon after each due time rung on `alarm`, and every `interval` seconds."""

    def __init__(
        self,
        sweep: Callable[[], Awaitable[int]],
        next_due: Callable[[], Awaitable[datetime | None]],
        clock: Clock,
        interval: float = 30.0,
        alarm: Alarm | None = None,
    ) -> None:
        self._sweep = sweep
        self._next_due = next_due
        self._clock = clock
        self._interval = interval
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._wake_at: datetime | None = None
        self._running = InFlight()
        if alarm is not None:
            alarm.listen(self.wake_at)

    def start(self) -> None:
        """Start waking: once now (catch up on what fell due while down), then as needed."""
        self._scheduler.add_job(
            self._run,
            "interval",
            seconds=self._interval,
            id="sweep-safety",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )
        self._scheduler.start()
        self._schedule(datetime.now(UTC))

    async def shutdown(self, grace: float = 10.0) -> None:
        """Stop waking the sweep and let a sweep in progress finish (cancelled after `grace`)."""
        if self._scheduler.running:
            # Pause first and let a running sweep finish: shutting the scheduler down cancels
            # its running jobs, and a sweep cancelled after its commit loses those alerts.
            self._scheduler.pause()
            await self._running.drain(grace)
            self._scheduler.shutdown(wait=False)
        await self._running.drain(grace)

    def wake_at(self, due: datetime) -> None:
        """Make sure the sweep runs soon after `due` (in the injected clock's time)."""
        if not self._scheduler.running:
            return
        real = datetime.now(UTC) + timedelta(seconds=max(self._clock.seconds_until(due), 0.0))
        if (
            self._wake_at is not None
            and self._wake_at <= real
            and self._wake_at > datetime.now(UTC)
        ):
            return  # an earlier wake-up is already set; it will reschedule after sweeping
        self._schedule(real)

    def _schedule(self, real: datetime) -> None:
        self._wake_at = real
        self._scheduler.add_job(
            self._run,
            "date",
            run_date=real,
            id="sweep-next",
            replace_existing=True,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            coalesce=True,
            # A wake asked for while a sweep runs must not be dropped as "already running";
            # overlapping sweeps are safe (the ledger), and the service serialises them anyway.
            max_instances=2,
        )

    async def _run(self) -> None:
        self._running.enter()
        try:
            fired = await self._sweep()
            if fired:
                log.info("sweep fired %d ladder steps", fired)
        except Exception:
            log.exception("timer sweep failed; the safety interval will retry")
        try:
            due = await self._next_due()
        except Exception:
            log.exception("could not read the next due time")
            return
        self._wake_at = None
        if due is None:
            return
        if self._clock.seconds_until(due) <= 0:
            # Still due right after a sweep: another replica holds those rows (SKIP LOCKED).
            # Look again shortly rather than spinning while its transaction commits.
            self._schedule(datetime.now(UTC) + timedelta(seconds=RESWEEP_SECONDS))
            return
        self.wake_at(due)
