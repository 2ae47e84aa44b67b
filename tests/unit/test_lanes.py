"""Lanes: one job per lane at a time, waiting jobs hold no worker, the best rank goes first."""

from __future__ import annotations

import asyncio

import pytest

from bot.jobs.lanes import UNRANKED, Lane, Lanes, rank_of


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_busy_lane_holds_no_worker_while_other_lanes_go_ahead():
    lanes = Lanes(workers=2)
    release = asyncio.Event()
    order: list[str] = []

    async def job(name: str, key: str, hold: bool = False) -> None:
        async with lanes.turn(Lane(key)):
            order.append(name)
            if hold:
                await release.wait()

    burst = [asyncio.create_task(job(f"a{n}", "C_BUSY", hold=True)) for n in range(10)]
    await _settle()
    other = asyncio.create_task(job("b", "C_OTHER"))
    await asyncio.wait_for(other, 1)
    # Only the burst's first job runs; the other nine wait in their lane, not in a worker.
    assert order == ["a0", "b"] and lanes.waiting() == 9
    release.set()
    await asyncio.gather(*burst)
    assert order[2:] == [f"a{n}" for n in range(1, 10)]  # in arrival order within the lane


async def test_when_workers_are_scarce_the_best_rank_goes_first():
    lanes = Lanes(workers=1)
    release = asyncio.Event()
    order: list[str] = []

    async def job(name: str, lane: Lane) -> None:
        async with lanes.turn(lane):
            order.append(name)
            if name == "first":
                await release.wait()

    first = asyncio.create_task(job("first", Lane("C0")))
    await _settle()
    waiting = [
        asyncio.create_task(job("standard P3", Lane("C1", (1, 3)))),
        asyncio.create_task(job("unranked", Lane("C2"))),
        asyncio.create_task(job("strategic P3", Lane("C3", (0, 3)))),
        asyncio.create_task(job("standard P1", Lane("C4", (1, 1)))),
    ]
    await _settle()
    release.set()
    await asyncio.gather(first, *waiting)
    assert order == ["first", "strategic P3", "standard P1", "standard P3", "unranked"]


async def test_cancelled_jobs_leave_their_lane_and_workers_usable():
    lanes = Lanes(workers=1)
    hold = asyncio.Event()

    async def job(key: str | None) -> None:
        async with lanes.turn(Lane(key)):
            await hold.wait()

    running = asyncio.create_task(job("C1"))
    await _settle()
    behind = [asyncio.create_task(job("C1")) for _ in range(3)]
    others = [asyncio.create_task(job(None)) for _ in range(3)]
    await _settle()
    for task in [*behind, *others]:
        task.cancel()
    await asyncio.gather(*behind, *others, return_exceptions=True)
    hold.set()
    await running
    assert lanes.waiting() == 0
    async with asyncio.timeout(1):
        async with lanes.turn(Lane("C1")):
            pass


def test_rank_of_orders_tiers_as_configured_then_priorities():
    tiers = ["strategic", "standard"]
    assert rank_of(tiers, "strategic", "P3") < rank_of(tiers, "standard", "P1")
    assert rank_of(tiers, "standard", "P1") < rank_of(tiers, "standard", "P2")
    assert rank_of(tiers, "unknown", None) < UNRANKED
    with pytest.raises(ValueError):
        Lanes(workers=0)
