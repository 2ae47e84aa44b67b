"""Waiting on conditions instead of sleeping: poll until something happens (and say what never
did), or until the desk has nothing left to do before checking that nothing more arrived."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.sandbox import Sandbox

# Lookups on what has not arrived yet fail; while polling that only means "not yet".
NOT_YET = (IndexError, KeyError, AttributeError, TypeError)


def describe(condition: Callable[[], Any]) -> str:
    """The condition's source line (a lambda reads as what was awaited), else its name."""
    try:
        return inspect.getsource(condition).strip()
    except (OSError, TypeError):
        return getattr(condition, "__qualname__", repr(condition))


async def eventually(
    condition: Callable[[], Any | Awaitable[Any]],
    *,
    within: float = 5.0,
    interval: float = 0.01,
    what: str | None = None,
) -> Any:
    """Poll `condition` (plain or async) until it is truthy and return its value; after
    `within` seconds fail with `what` (or the condition's source) and its last value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    value: Any = None
    while True:
        try:
            value = condition()
            if inspect.isawaitable(value):
                value = await value
        except NOT_YET as error:
            value = error
        else:
            if value:
                return value
        if loop.time() >= deadline:
            raise AssertionError(
                f"never happened within {within}s: {what or describe(condition)}"
                f" (last seen: {value!r:.300})"
            )
        await asyncio.sleep(interval)


async def desk_idle(box: Sandbox, within: float = 30.0) -> None:
    """Wait until the bot has nothing left to do: every event delivered so far worked, and
    listener work, broadcasts, outbox side effects and card edits done. Check "nothing more
    arrived" after this rather than after a sleep."""
    assert box.desk is not None, "the bot is not running"
    await box.drained(within=within)
    await box.quiet()
