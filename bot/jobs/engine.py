"""The job engine's loop and backoff policy, shared by every durable queue.

The statements are in store/jobs.py; this is the part that runs: a worker loop that drains a
queue, sleeps until woken (a new row) or its poll interval, and stops cleanly; and the backoff
policy that says when a failed job is tried again and when it is dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.jobs.batching import sleep_until_woken

log = logging.getLogger("connectdesk.jobs")


@dataclass(frozen=True)
class Backoff:
    """How long a failed job waits before its next try, and after how many it is given up."""

    delays: tuple[float, ...]
    max_attempts: int

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th try failed (the last delay repeats)."""
        return self.delays[min(max(attempts, 1) - 1, len(self.delays) - 1)]

    def retry_at(self, now: datetime, attempts: int) -> datetime:
        """When a job whose `attempts`-th try failed at `now` is due again."""
        return now + timedelta(seconds=self.delay(attempts))

    def exhausted(self, attempts: int) -> bool:
        """Whether a job tried `attempts` times is to be dead-lettered rather than retried."""
        return attempts >= self.max_attempts


class JobLoop:
    """Runs `drain` (one pass over a queue; how much it did), then sleeps until woken or `poll`.

    `again_when_busy`: a pass that did something is followed at once by another (a queue that
    fills faster than one batch); otherwise every pass is followed by a sleep.
    """

    def __init__(
        self,
        name: str,
        drain: Callable[[], Awaitable[int]],
        poll: float,
        *,
        again_when_busy: bool = False,
    ) -> None:
        self.name = name
        self.poll = poll
        self._drain = drain
        self._again_when_busy = again_when_busy
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.stopping = False

    @property
    def running(self) -> bool:
        """Whether the loop was started and not stopped."""
        return self._task is not None

    def start(self) -> None:
        """Start the loop (once)."""
        if self._task is None:
            self.stopping = False
            self._task = asyncio.create_task(self._run(), name=self.name)

    def wake(self) -> None:
        """Start the next pass now rather than at the next poll."""
        self._wake.set()

    async def stop(self, grace: float) -> None:
        """Let a pass under way finish (cancelled after `grace` seconds); start no new one."""
        self.stopping = True
        self._wake.set()
        if self._task is None:
            return
        _done, late = await asyncio.wait([self._task], timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _run(self) -> None:
        while not self.stopping:
            self._wake.clear()
            try:
                worked = await self._drain()
            except Exception:
                log.exception("%s: a pass failed; trying again shortly", self.name)
                worked = 0
            if self.stopping:
                return
            if worked and self._again_when_busy:
                continue
            await sleep_until_woken(self._wake, self.poll)
