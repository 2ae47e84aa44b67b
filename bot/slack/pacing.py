"""A workspace-wide budget: at most N calls in any sliding window, the shape Slack enforces."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


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
        self._in_flight = 0
        # Slack counts a call when it arrives; we only know when it was answered, which is
        # later, so a call counts from its answer (in flight it counts as "now") and windows
        # never overlap. Answer times within the window, oldest first (they come in order).
        self._answered: deque[float] = deque()
        self._waiters: set[asyncio.Future[None]] = set()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one call's place in the window while the call runs."""
        await self._take()
        try:
            yield
        finally:
            self._in_flight -= 1
            self._answered.append(time.monotonic())
            self._wake()

    def _wake(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _take(self) -> None:
        # One event loop, no await between the look and the claim: no lock needed, and
        # nothing for a cancelled waiter to re-acquire (Condition + wait_for deadlocked here).
        # Constant time per call: a budget of thousands a second must not scan its window.
        while True:
            now = time.monotonic()
            while self._answered and self._answered[0] <= now - self.window:
                self._answered.popleft()
            if self._in_flight + len(self._answered) < self.calls:
                self._in_flight += 1
                return
            timeout = self._answered[0] + self.window - now if self._answered else None
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
