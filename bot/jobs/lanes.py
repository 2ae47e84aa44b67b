"""Lanes: no account waits behind another.

Each job names its lane (its pacing key: the channel it posts to) and its rank (tier and
priority). At most `workers` jobs run at once and at most one per lane, in arrival order within
a lane; a job whose lane is busy waits alone, holding no worker, while jobs of other lanes go
ahead. When workers are scarce, the best rank goes first, then the earliest.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

# Lower goes first: (position of the tier in the config, most demanding first; priority).
Rank = tuple[int, int]
# A job that knows no tier or priority (an incident broadcast, a DM reply) comes after every
# ranked one waiting with it.
UNRANKED: Rank = (1_000, 1_000)


def rank_of(tiers: Sequence[str], tier: str | None, priority: str | None) -> Rank:
    """The rank of work for a ticket of `tier` and `priority` (P1..P4); tiers best first."""
    tier_at = tiers.index(tier) if tier in tiers else len(tiers)
    digits = (priority or "")[1:]
    return tier_at, int(digits) if digits.isdigit() else 9


@dataclass(frozen=True)
class Lane:
    """Where a job waits: `key` (a channel; None: no pace of its own) and its rank."""

    key: str | None = None
    rank: Rank = UNRANKED


FREE = Lane()


@dataclass(order=True)
class _Waiter:
    rank: Rank
    arrival: int
    key: str | None = field(compare=False)
    granted: asyncio.Future[None] = field(compare=False)


class Lanes:
    """Hands out `workers` turns: one per lane at a time, best rank first."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("lanes need at least one worker")
        self.workers = workers
        self._running = 0
        # Lane heads that may run once a worker is free, best first.
        self._ready: list[_Waiter] = []
        # Per lane, the jobs behind its head (ready or running), in arrival order.
        self._behind: dict[str, deque[_Waiter]] = {}
        # Lanes with a job ready or running.
        self._held: set[str] = set()
        self._arrivals = itertools.count()

    @asynccontextmanager
    async def turn(self, lane: Lane = FREE) -> AsyncIterator[None]:
        """Wait for a worker and for the lane; hold both while the job runs."""
        waiter = _Waiter(
            lane.rank, next(self._arrivals), lane.key, asyncio.get_running_loop().create_future()
        )
        if waiter.key is not None and waiter.key in self._held:
            self._behind.setdefault(waiter.key, deque()).append(waiter)
        else:
            if waiter.key is not None:
                self._held.add(waiter.key)
            heapq.heappush(self._ready, waiter)
            self._dispatch()
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._release(waiter)  # granted as it was cancelled: hand the turn on
            else:
                self._withdraw(waiter)
            raise
        try:
            yield
        finally:
            self._release(waiter)

    def waiting(self) -> int:
        """Jobs waiting for a worker or for their lane."""
        return len(self._ready) + sum(len(q) for q in self._behind.values())

    def _dispatch(self) -> None:
        while self._running < self.workers and self._ready:
            waiter = heapq.heappop(self._ready)
            self._running += 1
            waiter.granted.set_result(None)

    def _next_in_lane(self, key: str | None) -> None:
        """The lane's job is done or gone: its next job becomes ready, or the lane is free."""
        if key is None:
            return
        behind = self._behind.get(key)
        if behind:
            heapq.heappush(self._ready, behind.popleft())
            if not behind:
                del self._behind[key]
        else:
            self._held.discard(key)

    def _release(self, waiter: _Waiter) -> None:
        self._running -= 1
        self._next_in_lane(waiter.key)
        self._dispatch()

    def _withdraw(self, waiter: _Waiter) -> None:
        behind = self._behind.get(waiter.key) if waiter.key is not None else None
        if behind is not None and waiter in behind:
            behind.remove(waiter)
            if not behind:
                del self._behind[waiter.key]  # type: ignore[arg-type]
            return
        if waiter in self._ready:
            self._ready.remove(waiter)
            heapq.heapify(self._ready)
            self._next_in_lane(waiter.key)
            self._dispatch()
