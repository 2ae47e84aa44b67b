"""The workspace budget: never more than N calls in a window, and cancellation never wedges it."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.jobs.lanes import UNRANKED
from bot.slack.pacing import ChannelPacer, WindowBudget, wait_until
from bot.slack.transport import Transport


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


async def test_slots_taken_ahead_keep_every_window_within_the_budget():
    budget = WindowBudget(calls=5, window=0.2)
    answered: list[float] = []
    started: list[float] = []
    lead: list[float] = []

    async def call(ahead: float) -> None:
        async with budget.slot(ahead=ahead) as due:
            lead.append(due - time.monotonic())
            await asyncio.sleep(0.02)  # the work done while the place frees
            await wait_until(due)
            started.append(time.monotonic())
            await asyncio.sleep(0.01)
            answered.append(time.monotonic())  # no later than the budget counts the answer

    # Callers taking slots ahead and callers taking them when free share the one window.
    await asyncio.gather(*(call(0.1 if n % 2 else 0.0) for n in range(17)))
    assert len(started) == 17
    answered.sort()
    started.sort()
    for i in range(5, 17):
        assert started[i] >= answered[i - 5] + 0.2  # not a microsecond early
    # Some slots were held well before their place freed; none is told to wait past `ahead`.
    assert max(lead) > 0.05 and max(lead) <= 0.1 + 1e-3


async def test_a_place_freeing_for_a_slot_taken_ahead_is_not_given_out_early():
    budget = WindowBudget(calls=2, window=0.1)
    before = time.monotonic()
    for _ in range(2):
        async with budget.slot():
            pass
    # Both places free a window after those answers; the one taken ahead is told to wait...
    async with budget.slot(ahead=0.08) as early:
        assert early >= before + 0.1
        assert early - time.monotonic() > 0.01

        async def without_ahead() -> float:
            async with budget.slot() as due:
                return max(due, time.monotonic())

        # ...and a caller without `ahead` meanwhile gets the other place only once it frees,
        # not the moment the early slot counted both as freeing.
        async with asyncio.timeout(1):
            went = await without_ahead()
    assert went >= before + 0.1 - 1e-3


def test_waiting_until_a_time_never_wakes_before_it_on_uvloop():
    uvloop = pytest.importorskip("uvloop")

    async def sleeps() -> list[float]:
        early = []
        for n in range(200):
            due = time.monotonic() + 0.0003 + (n % 10) * 0.0003
            await wait_until(due)
            early.append(due - time.monotonic())
        return early

    # uvloop's own sleep wakes up to a millisecond early (its timers count whole milliseconds).
    assert max(uvloop.run(sleeps())) <= 0


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


async def test_waiting_callers_take_the_budget_best_rank_first():
    budget = WindowBudget(calls=1, window=0.05)
    order: list[str] = []

    async def call(name: str, rank: tuple[int, int]) -> None:
        async with budget.slot(rank):
            order.append(name)

    async with budget.slot():  # the window is full while the others arrive
        tasks = [
            asyncio.create_task(call("standard P3", (1, 3))),
            asyncio.create_task(call("strategic P4", (0, 4))),
            asyncio.create_task(call("unranked", UNRANKED)),
            asyncio.create_task(call("strategic P1", (0, 1))),
        ]
        await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    assert order == ["strategic P1", "strategic P4", "standard P3", "unranked"]


async def test_a_channel_takes_one_post_at_a_time_at_its_pace_even_after_a_wait():
    pacer = ChannelPacer(interval=0.05)
    held = asyncio.Event()
    spans: dict[str, list[tuple[float, float]]] = {"C1": [], "C2": []}

    async def post(channel: str, hold: bool = False) -> None:
        async with pacer.turn(channel):
            start = time.monotonic()
            if hold:
                await held.wait()  # a long wait for the budget, say, inside the turn
            spans[channel].append((start, time.monotonic()))

    busy = [asyncio.create_task(post("C1", hold=(n == 0))) for n in range(4)]
    await asyncio.sleep(0.02)
    await asyncio.wait_for(post("C2"), 0.01)  # another channel does not wait
    assert pacer.waiting("C1") == 4 and not spans["C1"]
    held.set()
    await asyncio.gather(*busy)
    # Each post in C1 starts a full interval after the one before it ended: no bunching.
    c1 = spans["C1"]
    assert len(c1) == 4
    assert all(b[0] - a[1] >= 0.05 - 1e-3 for a, b in zip(c1, c1[1:], strict=False))
    assert pacer.waiting("C1") == 0


async def test_a_broadcast_posts_mark_is_written_while_its_place_frees_not_after():
    class Slack:
        def __init__(self) -> None:
            self.calls: list[tuple[str, float]] = []

        async def chat_postMessage(self, channel: str, **_fields: object) -> dict[str, str]:  # noqa: N802
            self.calls.append((channel, time.monotonic()))
            return {"ts": f"{len(self.calls)}.000100", "channel": channel}

    slack = Slack()
    transport = Transport(slack, posts=WindowBudget(calls=1, window=0.2))  # type: ignore[arg-type]
    assert (await transport.post("C1", {"text": "first"})).ts == "1.000100"
    frees = time.monotonic() + 0.2  # no earlier than the first post's answer plus the window
    marked: list[float] = []

    async def mark() -> bool:
        marked.append(time.monotonic())
        await asyncio.sleep(0.05)  # a slow write
        return True

    sent = await transport.post("C2", {"text": "second"}, just_before=mark)
    went = slack.calls[1][1]
    assert sent.ts == "2.000100"
    # The mark ran before the place freed, and the post went once it had: the mark's 50 ms
    # were not added to the window.
    assert marked[0] < frees - 0.1
    assert slack.calls[0][1] + 0.2 <= went < frees + 0.04
