"""The tests' own waits: `eventually` returns what it waited for, or says what never happened."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.waits import eventually


async def test_eventually_returns_the_value_once_the_condition_holds():
    seen: list[int] = []
    asyncio.get_running_loop().call_later(0.05, seen.append, 7)
    assert await eventually(lambda: seen, within=2) == [7]


async def test_eventually_awaits_an_async_condition_and_treats_lookups_as_not_yet():
    answers = iter([None, None, "ready"])

    async def ready() -> str | None:
        return next(answers)

    assert await eventually(ready, within=2) == "ready"
    rows: list[str] = []
    asyncio.get_running_loop().call_later(0.05, rows.append, "row")
    assert await eventually(lambda: rows[0], within=2) == "row"


async def test_eventually_fails_saying_what_never_happened():
    receipts: list[str] = []
    with pytest.raises(AssertionError, match=r"never happened within 0.05s: .*receipts"):
        await eventually(lambda: receipts, within=0.05)
    with pytest.raises(AssertionError, match="the receipt arrived"):
        await eventually(lambda: receipts, within=0.05, what="the receipt arrived")
