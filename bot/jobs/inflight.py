"""Work in progress that a shutdown must let finish (or cancel) before connections close."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class InFlight:
    """The tasks currently running listener or timer work, so `drain` can wait for them."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    def enter(self) -> None:
        """Count the current task as in flight until it finishes."""
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def tracked(self, fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        """Wrap a coroutine function so each run counts as in flight."""

        @functools.wraps(fn)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            self.enter()
            return await fn(*args, **kwargs)

        return run

    def __len__(self) -> int:
        return sum(1 for task in self._tasks if not task.done())

    async def drain(self, grace: float) -> None:
        """Let running work finish within `grace` seconds, then cancel what is left."""
        me = asyncio.current_task()
        pending = [t for t in self._tasks if not t.done() and t is not me]
        if not pending:
            return
        _done, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        if late:
            # A cancelled transaction rolls back; the event is redelivered or the timer re-swept.
            await asyncio.gather(*late, return_exceptions=True)
