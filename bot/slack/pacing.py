"""Slack's posting pace: one post per channel at a time, and workspace-wide budgets.

The defaults here are the one place they are stated; the desk config and the gateways read them.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from bot.config.pacing import CHANNEL_INTERVAL
from bot.jobs.lanes import UNRANKED, Rank


async def wait_until(due: float) -> None:
    """Sleep until the monotonic time `due` (at once if it has passed), never less."""
    # uvloop's timers have millisecond resolution and may fire up to a millisecond early:
    # a call let go that early lands inside the window it was waiting out (Slack: 429).
    while (delay := due - time.monotonic()) > 0:  # noqa: ASYNC110 (a time, not an event)
        await asyncio.sleep(delay)


class WindowBudget:
    """Callers wait for a slot so that no window of `window` seconds holds more than `calls`.

    When callers wait, the best rank goes first (then the earliest). aiolimiter's leaky bucket
    spreads calls differently from a sliding window, so it would either waste budget or step
    over Slack's limit; this is short.

    A caller with work to do right before its call (the broadcaster writes down that a post is
    being sent) may take its slot `ahead` seconds before the slot frees: it gets the time the
    call may go, does that work meanwhile, then waits for the time. On a slow machine that
    work otherwise stretched every window by its own length.
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
        # When places taken early from the window free (an answer's time plus the window):
        # each slot taken ahead of time takes the earliest, so it never goes before that.
        self._freeing: deque[float] = deque()
        # Waiters as [rank, arrival, future], best first: only the first is woken, when a
        # slot may be free (arrivals are unique, so futures are never compared).
        self._queue: list[list[Any]] = []
        self._arrivals = itertools.count()

    @asynccontextmanager
    async def slot(self, rank: Rank = UNRANKED, *, ahead: float = 0.0) -> AsyncIterator[float]:
        """Hold one call's place in the window while the call runs; yields the monotonic time
        the call may go. Without `ahead` that is now; with it, up to `ahead` seconds later,
        and the caller waits for it (`wait_until`) before calling."""
        due = await self._take(rank, ahead)
        try:
            yield due
        finally:
            self._in_flight -= 1
            self._answered.append(time.monotonic())
            self._wake_first()

    def _claim(self, now: float, ahead: float) -> float | None:
        """Take a place that frees within `ahead` seconds: when it frees; None if none does."""
        horizon = now + ahead
        while self._answered and self._answered[0] <= horizon - self.window:
            self._freeing.append(self._answered.popleft() + self.window)
        while self._freeing and self._freeing[0] <= now:
            self._freeing.popleft()  # free already: a place like any other
        free = self.calls - self._in_flight - len(self._answered)  # never below len(_freeing)
        if free > len(self._freeing):
            self._in_flight += 1
            return now
        if self._freeing and self._freeing[0] <= horizon:
            self._in_flight += 1
            return self._freeing.popleft()
        return None

    def _next_free(self, ahead: float) -> float | None:
        """The earliest time a claim with `ahead` could succeed, if only time is missing."""
        times = [self._freeing[0]] if self._freeing else []
        if self._answered:
            times.append(self._answered[0] + self.window)
        return min(times) - ahead if times else None

    def _wake_first(self) -> None:
        if self._queue and not self._queue[0][2].done():
            self._queue[0][2].set_result(None)

    async def _take(self, rank: Rank, ahead: float) -> float:
        # One event loop, no await between the look and the claim: no lock needed, and
        # nothing for a cancelled waiter to re-acquire (Condition + wait_for deadlocked here).
        if not self._queue:
            due = self._claim(time.monotonic(), ahead)
            if due is not None:
                return due
        loop = asyncio.get_running_loop()
        entry: list[Any] = [rank, next(self._arrivals), loop.create_future()]
        heapq.heappush(self._queue, entry)
        try:
            while True:
                now = time.monotonic()
                first = self._queue[0] is entry
                if first:
                    due = self._claim(now, ahead)
                    if due is not None:
                        heapq.heappop(self._queue)
                        return due
                # The first waits for the oldest place to free (or a release); the others
                # until they are first.
                at = self._next_free(ahead) if first else None
                timeout = None if at is None else max(0.0, at - now)
                await asyncio.wait([entry[2]], timeout=timeout)
                if entry[2].done():
                    entry[2] = loop.create_future()
        finally:
            if entry in self._queue:
                self._queue.remove(entry)
                heapq.heapify(self._queue)
            entry[2].cancel()
            self._wake_first()

    def bound(self, posts: int) -> float:
        """The least time `posts` calls can take under this budget, in seconds."""
        if posts <= 0:
            return 0.0
        return (-(-posts // self.calls) - 1) * self.window


class ChannelPacer:
    """One post at a time per channel, `interval` seconds apart (Slack: ~1 message/s/channel).

    A channel's turn is held through the call, budget wait included, and the next turn starts
    `interval` after it ends: posts in one channel never bunch up after a wait for the budget,
    and only one of them at a time waits for anything.
    """

    def __init__(self, interval: float = CHANNEL_INTERVAL) -> None:
        self.interval = interval
        self._locks: dict[str, asyncio.Lock] = {}
        self._holders: dict[str, int] = {}
        self._next: dict[str, float] = {}

    @asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        """Wait for this channel's turn and its pace; hold the turn while the call runs."""
        lock = self._locks.setdefault(channel, asyncio.Lock())
        self._holders[channel] = self._holders.get(channel, 0) + 1
        try:
            async with lock:
                await wait_until(self._next.get(channel, 0.0))
                try:
                    yield
                finally:
                    self._next[channel] = time.monotonic() + self.interval
        finally:
            self._holders[channel] -= 1
            if not self._holders[channel]:
                # Nobody waits here: forget the lock (a broadcast touches thousands of channels).
                del self._holders[channel], self._locks[channel]

    def waiting(self, channel: str) -> int:
        """How many posts to this channel hold or wait for its turn."""
        return self._holders.get(channel, 0)
