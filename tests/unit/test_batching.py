"""Group commit: callers arriving together share one write; a failed write fails all of them."""

from __future__ import annotations

import asyncio

import pytest

from bot.jobs.batching import GroupWrite


async def test_callers_arriving_together_share_a_write_and_get_their_own_result():
    writes: list[list[int]] = []

    async def write(items: list[int]) -> list[int]:
        writes.append(items)
        await asyncio.sleep(0.01)
        return [i * 10 for i in items]

    group: GroupWrite[int, int] = GroupWrite(write)
    first = await asyncio.gather(*(group.submit(i) for i in range(5)))
    assert first == [0, 10, 20, 30, 40] and writes == [[0, 1, 2, 3, 4]]
    alone = await group.submit(7)  # idle: nobody waits for anybody
    assert alone == 70 and writes[-1] == [7]


async def test_a_failed_write_fails_each_of_its_callers_and_the_next_write_goes_ahead():
    fail = True

    async def write(items: list[str]) -> list[str]:
        if fail:
            raise RuntimeError("disk full")
        return items

    group: GroupWrite[str, str] = GroupWrite(write)
    results = await asyncio.gather(group.submit("a"), group.submit("b"), return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    fail = False
    assert await group.submit("c") == "c"
    await group.flushed()


async def test_a_write_returning_the_wrong_number_of_results_is_not_silently_matched():
    async def write(items: list[int]) -> list[int]:
        return items[:1]

    group: GroupWrite[int, int] = GroupWrite(write)
    with pytest.raises(ValueError):
        await asyncio.gather(group.submit(1), group.submit(2))


async def test_with_a_linger_callers_arriving_one_by_one_share_a_write():
    writes: list[list[int]] = []

    async def write(items: list[int]) -> list[int]:
        writes.append(items)
        return items

    async def paced(group: GroupWrite[int, int]) -> list[int]:
        async def one(i: int) -> int:
            await asyncio.sleep(0.01 * i)  # one every 10 ms, as a paced broadcast posts
            return await group.submit(i)

        return await asyncio.gather(*(one(i) for i in range(4)))

    assert await paced(GroupWrite(write)) == [0, 1, 2, 3]
    assert len(writes) == 4  # without a linger, each its own write
    writes.clear()
    assert await paced(GroupWrite(write, linger=0.2)) == [0, 1, 2, 3]
    assert writes == [[0, 1, 2, 3]]
