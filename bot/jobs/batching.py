"""Group commit: what arrives while a write is under way goes into the next write, together.

Under load one write serves many callers; when idle nobody waits for anybody. The inbox stores
deliveries this way and the outbox settles outcomes this way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupWrite(Generic[Item, Result]):
    """Calls `write` with every item submitted meanwhile; each caller gets its own result.

    `write` returns one result per item, in order; if it raises, every caller of that write
    gets the exception (nothing of it is taken as written).
    """

    def __init__(
        self, write: Callable[[list[Item]], Awaitable[Sequence[Result]]], linger: float = 0.0
    ) -> None:
        """`linger`: seconds a write waits after the first item, for others to join it (items
        that come one at a time, paced, then share a write instead of one each)."""
        self._write = write
        self._linger = linger
        self._queued: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        """Have `item` written (with whatever else is waiting); its result."""
        done: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._queued.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await done

    async def flushed(self) -> None:
        """Wait until what was submitted so far is written (or failed)."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _drain(self) -> None:
        if self._linger > 0:
            await asyncio.sleep(self._linger)
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                results = list(await self._write([item for item, _f in batch]))
                if len(results) != len(batch):
                    raise ValueError(f"{len(results)} results for {len(batch)} items")
            except asyncio.CancelledError:
                for _item, waiter in batch + self._queued:
                    waiter.cancel()  # the writer is gone: nobody may wait for it forever
                self._queued = []
                raise
            except Exception as exc:
                for _item, waiter in batch:
                    if not waiter.done():
                        waiter.set_exception(exc)
                continue
            for (_item, waiter), result in zip(batch, results, strict=True):
                if not waiter.done():  # a caller that gave up (cancelled) needs no answer
                    waiter.set_result(result)


async def sleep_until_woken(wake: asyncio.Event, seconds: float) -> None:
    """Wait for `wake` or `seconds`, whichever comes first; `wake` is cleared after."""
    try:
        await asyncio.wait_for(wake.wait(), timeout=seconds)
    except TimeoutError:
        pass
    wake.clear()
