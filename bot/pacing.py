"""A workspace-wide budget: at most N calls in any sliding window, the shape Slack enforces."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

# Slack counts a call when it arrives; we only know when it was answered, which is later,
# so a call counts from its answer (in flight counts as "now") and the window never overlaps.
IN_FLIGHT = math.inf


class WindowBudget:
    """Callers wait for a slot so that no window of `window` seconds holds more than `calls`.

    aiolimiter's leaky bucket spreads calls differently from a sliding window, so it would
    either waste budget or step over Slack's limit; this is short.
    """

    def __init__(self, calls: int, window: float) -> None:
        if calls < 1 or window <= 0:
            raise ValueError("a budget needs at least one call per positive window")
        self.calls = calls
        self.window = window
        self._slots: list[float] = []
        self._waiters: set[asyncio.Future[None]] = set()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one call's place in the window while the call runs."""
        index = await self._take()
        try:
            yield
        finally:
            self._slots[index] = time.monotonic()
            self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _take(self) -> int:
        # One event loop, no await between the look and the claim: no lock needed, and
        # nothing for a cancelled waiter to re-acquire (Condition + wait_for deadlocked here).
        while True:
            now = time.monotonic()
            live = [at for at in self._slots if at > now - self.window]
            if len(live) < self.calls:
                # Reuse an expired place so the list stays at `calls` entries.
                for index, at in enumerate(self._slots):
                    if at <= now - self.window:
                        self._slots[index] = IN_FLIGHT
                        return index
                self._slots.append(IN_FLIGHT)
                return len(self._slots) - 1
            finished = [at for at in live if at != IN_FLIGHT]
            timeout = min(finished) + self.window - now if finished else None
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait([waiter], timeout=timeout)
            finally:
                self._waiters.discard(waiter)
                waiter.cancel()

    def bound(self, posts: int) -> float:
        """The least time `posts` calls can take under this budget, in seconds."""
        if posts <= 0:
            return 0.0
        return (-(-posts // self.calls) - 1) * self.window
