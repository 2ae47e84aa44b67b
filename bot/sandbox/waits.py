"""What the sandbox waits on so tests and the demo read an outcome after it has landed.

The bot itself never waits for these: they live here, not in the production classes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.outbox.outbox import Outbox
from store.models import OutboxState


class InboxTracker:
    """Remembers deliveries the inbox accepted until a worker has worked them."""

    def __init__(self) -> None:
        self._waiting: set[str] = set()  # event ids
        self._progress = asyncio.Event()

    def accepted(self, event_id: str) -> None:
        """A delivery was stored under this id."""
        self._waiting.add(event_id)

    def worked(self, event_ids: Sequence[str]) -> None:
        """These rows were worked."""
        self._waiting.difference_update(event_ids)
        self._progress.set()

    async def drained(self, within: float = 30.0) -> None:
        """Wait until every delivery accepted so far was worked."""
        snapshot = set(self._waiting)
        deadline = asyncio.get_running_loop().time() + within
        while snapshot & self._waiting:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise TimeoutError(f"{len(snapshot & self._waiting)} inbox rows still pending")
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), timeout=min(left, 0.5))
            except TimeoutError:
                pass


async def outbox_settled(outbox: Outbox, within: float = 30.0) -> dict[str, int]:
    """Wait until no outbox row is pending or sending; the counts per state."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with outbox.db.reading() as uow:
            counts = await uow.outbox.counts()
        if not counts.get(OutboxState.PENDING) and not counts.get(OutboxState.SENDING):
            return counts
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"outbox not settled within {within}s: {counts}")
        outbox.kick()
        await asyncio.sleep(0.05)
