"""SLA clocks and the escalation ladder, end to end: who was warned and alerted, and when."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from bot.domain.clock import ManualClock
from bot.sandbox.sandbox import Sandbox
from tests.support import world as w
from tests.support.actions import bot_posts, desk, open_ticket, sweep
from tests.support.sandboxes import START, checked_sandbox
from tests.support.waits import desk_idle


def sla_calls(box: Sandbox, word: str) -> list:
    return [c for c in box.emu.calls_to("chat.postMessage") if word in c.params.get("text", "")]


def to(box: Sandbox, call) -> str:
    """Who a post reached: the user for a DM channel, else the channel."""
    channel = box.emu.ws.channels.get(call.params["channel"])
    return channel.im_user if channel is not None and channel.is_im else call.params["channel"]


@pytest.fixture
async def realtime(database_url: str):
    """The bot on the real clock with a 4-second first-response target (24/7)."""
    async with checked_sandbox(w.desk_config(w.FAST_YML), None, database_url) as box:
        yield box


async def _clock_due(box: Sandbox, number: int = 1):
    async with box.desk.db.unit_of_work() as uow:
        ticket = await uow.tickets.by_number(w.VENDOR, number)
        clocks = await uow.sla.for_ticket(ticket.id)
    first = next(c for c in clocks if c.kind == "first_response")
    return first.started_at.timestamp(), first.target_seconds


async def test_warning_and_breach_arrive_on_time_exactly_once(realtime: Sandbox):
    box = realtime
    await open_ticket(box, "Exports are slow")
    await desk(box, w.ALICE, "claim 1")
    start, target = await _clock_due(box)
    await box.emu.wait_for(lambda: sla_calls(box, "SLA breached"), within=10)
    await sweep(box)  # a sweep after the breach, and its deliveries: anything doubled shows now
    await desk_idle(box)
    warnings, breaches = sla_calls(box, "SLA warning"), sla_calls(box, "SLA breached")
    assert [to(box, c) for c in warnings] == [w.ALICE]  # the owner, by DM
    assert sorted(to(box, c) for c in breaches) == sorted([w.MIA, w.ESCALATION])
    warn_late = warnings[0].at - (start + 0.75 * target)
    breach_late = max(c.at for c in breaches) - (start + target)
    print(f"warning {warn_late:+.2f}s after due, breach {breach_late:+.2f}s after due")
    assert 0 <= warn_late <= 2.0 and 0 <= breach_late <= 2.0
    alert = bot_posts(box, w.MIA, "SLA breached")[0].raw_text
    for context in (
        "#1 · Globex (strategic, ARR $250,000) · P3",
        "First response is",
        "Owner: <@U0ALICE>",
        "Exports are slow",
        "Open the thread",
    ):
        assert context in alert
    assert len(bot_posts(box, w.ALICE, "SLA warning")) == 1
    card = [s for s in box.emu.seen_by(w.ALICE, w.GLOBEX_INTERNAL) if s.author_id == w.BOT][0]
    assert "breached" in repr(card.blocks)


async def test_restart_between_open_and_due_fires_once(realtime: Sandbox):
    box = realtime
    await open_ticket(box, "Exports are slow")
    await box.restart_bot()  # the process goes away with timers pending; they live in the DB
    await box.emu.wait_for(lambda: sla_calls(box, "SLA breached"), within=10)
    await sweep(box)
    await desk_idle(box)
    assert [to(box, c) for c in sla_calls(box, "SLA warning")] == [w.GLOBEX_INTERNAL]
    assert sorted(to(box, c) for c in sla_calls(box, "SLA breached")) == sorted(
        [w.MIA, w.ESCALATION]
    )


async def test_down_at_due_time_fires_once_on_start(realtime: Sandbox):
    box = realtime
    await open_ticket(box, "Exports are slow")
    await box.stop_bot()
    start, target = await _clock_due_after_stop(box)
    await asyncio.sleep(max(0.0, start + target + 0.5 - time.time()))
    assert not sla_calls(box, "SLA")
    await box.start_bot()
    await box.emu.wait_for(lambda: len(sla_calls(box, "SLA breached")) == 2, within=5)
    await box.restart_bot()
    await sweep(box)  # after the start-up sweep (sweeps take turns): nothing fires again
    await desk_idle(box)
    assert len(sla_calls(box, "SLA warning")) == 1
    assert len(sla_calls(box, "SLA breached")) == 2


async def _clock_due_after_stop(box: Sandbox):
    from bot.app import create_app

    desk_app = create_app(box.settings(), box.config)
    try:
        return await _clock_due(type("B", (), {"desk": desk_app})())  # type: ignore[arg-type]
    finally:
        await desk_app.close()


async def test_internal_reply_before_due_means_no_alert_ever(realtime: Sandbox):
    box = realtime
    ts = await open_ticket(box, "Exports are slow")
    await box.emu.post_message(w.BOB, w.GLOBEX_SHARED, "On it!", thread_ts=ts)
    start, target = await _clock_due(box)
    await asyncio.sleep(max(0.0, start + target + 0.5 - time.time()))  # real time passes due
    await sweep(box)
    await desk_idle(box)
    assert not sla_calls(box, "SLA")
    async with box.desk.db.unit_of_work() as uow:
        ticket = await uow.tickets.by_number(w.VENDOR, 1)
        first = [c for c in await uow.sla.for_ticket(ticket.id) if c.kind == "first_response"][0]
    assert first.outcome == "met" and first.late_business_seconds == 0


# ---- with an injected clock: no waiting at all ----------------------------------------------


async def _clocks(box: Sandbox, number: int = 1) -> dict:
    async with box.desk.db.unit_of_work() as uow:
        ticket = await uow.tickets.by_number(w.VENDOR, number)
        return {(c.kind, c.cycle): c for c in await uow.sla.for_ticket(ticket.id)}, ticket


async def test_wait_pauses_resolution_and_customer_reply_resumes(sandbox: Sandbox, clock):
    ts = await open_ticket(sandbox, "Exports are slow")  # strategic P3: resolution 3d
    await sandbox.emu.post_message(w.ALICE, w.GLOBEX_SHARED, "Which export?", thread_ts=ts)
    clock.advance(timedelta(hours=1))
    await desk(sandbox, w.ALICE, "wait 1")
    clocks, ticket = await _clocks(sandbox)
    assert clocks[("resolution", 1)].running_since is None
    assert clocks[("resolution", 1)].elapsed_before_seconds == 3600
    assert ticket.resolution_due_at is None
    clock.advance(timedelta(days=2))
    await sandbox.emu.post_message(w.CAROL, w.GLOBEX_SHARED, "The monthly one", thread_ts=ts)
    await sandbox.emu.wait_for(lambda: len(sandbox.emu.calls_to("chat.update")) >= 3)
    await desk_idle(sandbox)
    clocks, ticket = await _clocks(sandbox)
    assert ticket.status == "open"
    # 3 days target, 1 hour used before the pause: due 71 hours after the customer's reply.
    assert ticket.resolution_due_at == clock.now() + timedelta(hours=71)
    assert clocks[("next_response", 1)].running_since == clock.now()


async def test_priority_change_keeps_elapsed_and_reopen_restarts(sandbox: Sandbox, clock):
    await open_ticket(sandbox, "Exports are slow")  # P3: first response 4h
    clock.advance(timedelta(hours=1))
    await desk(sandbox, w.ALICE, "priority 1 P1")  # P1: first response 15m, already 1h in
    clocks, ticket = await _clocks(sandbox)
    assert ticket.first_response_due_at == START + timedelta(minutes=15)
    assert ticket.resolution_due_at == START + timedelta(hours=4)
    await sweep(sandbox)
    clocks, ticket = await _clocks(sandbox)
    assert ticket.sla_flag == "breached"
    await desk(sandbox, w.ALICE, "resolve 1")
    clocks, ticket = await _clocks(sandbox)
    first, resolution = clocks[("first_response", 1)], clocks[("resolution", 1)]
    assert (first.outcome, first.late_business_seconds) == ("missed", 45 * 60)
    assert (resolution.outcome, resolution.business_seconds) == ("met", 3600)
    clock.advance(timedelta(hours=1))
    await desk(sandbox, w.ALICE, "reopen 1")
    clocks, ticket = await _clocks(sandbox)
    assert clocks[("resolution", 2)].started_at == clock.now()
    assert ticket.resolution_due_at == clock.now() + timedelta(hours=4)


async def test_overlapping_sweeps_and_two_replicas_fire_each_step_once(sandbox: Sandbox, clock):
    await open_ticket(sandbox, "Exports are slow")
    clock.advance(timedelta(hours=5))
    replica = Sandbox(
        sandbox.config, workspace=sandbox.workspace, clock=clock, database_url=sandbox.database_url
    )
    replica.emu = sandbox.emu
    other = await replica.start_bot()
    try:
        sweeps = [sandbox.desk.services.escalation.sweep() for _ in range(3)]
        sweeps += [other.services.escalation.sweep() for _ in range(3)]
        fired = await asyncio.gather(*sweeps)
    finally:
        await replica.stop_bot()
    # The replica's own start-up sweep races these six too; between them all, each step once.
    assert sum(fired) <= 2
    # A sweep the scheduler started may have claimed the steps and still be delivering them
    # (delivery is paced and runs after the claim): wait for them, then for any duplicate.
    await sandbox.emu.wait_for(
        lambda: sla_calls(sandbox, "SLA warning") and len(sla_calls(sandbox, "SLA breached")) >= 2
    )
    await sweep(sandbox)
    await desk_idle(sandbox)
    assert len(sla_calls(sandbox, "SLA warning")) == 1
    assert len(sla_calls(sandbox, "SLA breached")) == 2


async def test_queue_sorts_by_due_and_marks_risk(sandbox: Sandbox, clock):
    await open_ticket(sandbox, "Exports are slow")  # P3: due in 4h
    await open_ticket(sandbox, "The API is down", user=w.DAVE)  # P1: due in 15m
    clock.advance(timedelta(minutes=12))
    await sweep(sandbox)
    queue = await desk(sandbox, w.MIA, "queue")
    assert queue.index("*#2*") < queue.index("*#1*")
    line2 = next(line for line in queue.splitlines() if "*#2*" in line)
    assert ":warning: at risk" in line2
    clock.advance(timedelta(minutes=5))
    await sweep(sandbox)
    assert ":red_circle: breached" in await desk(sandbox, w.MIA, "queue")


async def test_manual_escalation_and_button(sandbox: Sandbox, clock):
    await open_ticket(sandbox, "Exports are slow")
    reply = await desk(sandbox, w.BOB, "escalate 1 customer is furious")
    assert "escalated" in reply
    alerts = bot_posts(sandbox, w.MIA, "Escalated by <@U0BOB>")
    assert {a.channel_id for a in alerts} == {"D0MIA", w.ESCALATION}
    assert "customer is furious" in alerts[0].raw_text and "ARR $250,000" in alerts[0].raw_text
    assert "no ticket #9" in await desk(sandbox, w.BOB, "escalate 9")
    usage = sandbox.emu.render(await desk(sandbox, w.BOB, "escalate"))
    assert "`/desk escalate <ticket> [reason]`" in usage


async def test_second_breach_near_renewal_is_flagged(sandbox: Sandbox, clock):
    clock.set(START.replace(month=12, day=1))  # renewal 2027-01-15 is 45 days away
    await open_ticket(sandbox, "The API is down")
    clock.advance(timedelta(minutes=20))
    await sweep(sandbox)
    first = bot_posts(sandbox, w.MIA, "SLA breached")
    assert first and "Renewal risk" not in first[0].raw_text
    clock.advance(timedelta(minutes=10))
    await open_ticket(sandbox, "Login is down", user=w.DAVE)
    clock.advance(timedelta(minutes=20))
    await sweep(sandbox)
    second = [a for a in bot_posts(sandbox, w.MIA, "SLA breached") if "#2 ·" in a.raw_text]
    assert "Renewal risk" in second[0].raw_text and "2027-01-15" in second[0].raw_text


def test_manual_clock_is_injected():
    clock = ManualClock(START)
    assert clock.seconds_until(START + timedelta(seconds=5)) == 5
