"""The workspace budget: never more than N calls in a window, and cancellation never wedges it."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.slack.pacing import WindowBudget


async def test_no_window_holds_more_than_the_budget():
    budget = WindowBudget(calls=5, window=0.2)
    answered: list[float] = []
    started: list[float] = []

    async def call() -> None:
        async with budget.slot():
            started.append(time.monotonic())
            await asyncio.sleep(0.01)
        answered.append(time.monotonic())

    await asyncio.gather(*(call() for _ in range(17)))
    assert len(started) == 17
    # Each call starts only after the call five places earlier was answered a window ago.
    answered.sort()
    started.sort()
    for i in range(5, 17):
        assert started[i] >= answered[i - 5] + 0.2 - 1e-3


async def test_cancelled_waiters_leave_the_budget_usable():
    budget = WindowBudget(calls=1, window=0.05)
    hold = asyncio.Event()

    async def holder() -> None:
        async with budget.slot():
            await hold.wait()

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(holder()) for _ in range(20)]
    await asyncio.sleep(0.01)
    for task in waiting:
        task.cancel()
    hold.set()
    await first
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    async with asyncio.timeout(1):
        async with budget.slot():
            pass


def test_bound_and_bad_budgets():
    assert WindowBudget(40, 1.0).bound(201) == 5.0
    assert WindowBudget(40, 1.0).bound(0) == 0.0
    with pytest.raises(ValueError):
        WindowBudget(0, 1.0)
