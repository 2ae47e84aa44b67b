"""A burst of customer requests while Slack misbehaves: nothing lost, nothing doubled.

The emulator answers a share of Web API calls with 429 (+ Retry-After), 500 or slowly, and
loses a share of event acknowledgements so Slack redelivers (X-Slack-Retry-Num). Afterwards
the clock jumps past every first-response target so each ticket's warning and breach fire.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.domain.clock import ManualClock
from bot.emulator import Faults
from bot.sandbox.sandbox import Sandbox
from store.models import Ticket
from tests.reliability import world as rw
from tests.reliability.figures import Figures, count_seen
from tests.support import world as w
from tests.support.sandboxes import assert_calls_match_spec, assert_wall_held

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
DEFAULT_LADDER = ""  # owner at 75%, managers and the escalation channel at 100%


async def test_burst_under_faults_loses_and_doubles_nothing() -> None:
    sizes = rw.FAULT_SIZES
    faults = Faults(
        rate_limited=0.02,
        server_error=0.05,
        slow=0.05,
        slow_seconds=0.1,
        event_unacked=0.3,
        seed=5,
    )
    clock = ManualClock(START)
    box = Sandbox(
        rw.desk_config(rw.config_text(sizes.accounts, "1h", DEFAULT_LADDER)),
        workspace=rw.workspace(sizes.accounts),
        clock=clock,
        emulator_options={"faults": faults, "retry_delays": (0.05, 0.1, 0.2)},
        channel_interval=0.02,
    )
    figures = Figures("faults")
    expected: set[tuple[str, str]] = set()
    await box.start()
    try:
        emu = box.emu

        async def customer_round(i: int, r: int) -> list:
            request = await emu.post_message(
                rw.customer(i), rw.shared(i), rw.REQUEST.format(i=i, r=r)
            )
            expected.add((rw.shared(i), request.ts))
            more = await emu.post_message(
                rw.customer(i), rw.shared(i), f"Also job {r}b fails, can you check it too?"
            )
            thanks = await emu.post_message(rw.customer(i), rw.shared(i), "thanks!")
            return [request, more, thanks]

        for r in range(sizes.rounds):
            rounds = await asyncio.gather(*(customer_round(i, r) for i in range(sizes.accounts)))
            for delivery in (d for batch in rounds for d in batch):
                figures.events_sent += 1
                figures.deliveries += len(delivery.attempts)
            clock.advance(timedelta(minutes=2))  # past the grouping window
        await box.settled(within=rw.SETTLE)

        # Every first-response clock runs out: a warning to the owner (the account's internal
        # channel, nobody has claimed) and a breach to the manager and the escalation channel.
        clock.advance(timedelta(hours=2))
        await box.desk.services.escalation.sweep()
        figures.outbox = await box.settled(within=rw.SETTLE)

        async with box.desk.db.unit_of_work() as uow:
            tickets = (await uow.session.scalars(select(Ticket))).all()
            figures.redone = sum(1 for row in await uow.outbox.all() if row.attempts > 1)
        found = [(t.channel_id, t.root_ts) for t in tickets]
        numbers = {t.number for t in tickets}
        figures.faults = dict(faults.counts)
        figures.tickets_expected, figures.tickets_found = len(expected), len(found)
        figures.tickets_lost = len(expected - set(found))
        figures.tickets_duplicate = len(found) - len(set(found) & expected)
        count_seen(
            emu,
            figures,
            [rw.shared(i) for i in range(sizes.accounts)],
            [rw.internal(i) for i in range(sizes.accounts)],
        )
        by_number = {t.number: rw.internal(int(t.channel_id[2:])) for t in tickets}
        wanted = {("warning", n, by_number[n]) for n in numbers}
        wanted |= {("breach", n, who) for n in numbers for who in (w.MIA, w.ESCALATION)}
        figures.alerts_expected = len(wanted)
        print("\n" + "\n".join(figures.lines()))

        assert faults.counts["ratelimited"] and faults.counts["server_error"]
        assert faults.counts["ack_lost"] and figures.deliveries > figures.events_sent
        assert figures.tickets_lost == 0 and figures.tickets_duplicate == 0
        assert len(found) == sizes.accounts * sizes.rounds
        assert dict(figures.receipts) == {n: 1 for n in numbers}
        assert dict(figures.cards) == {n: 1 for n in numbers}
        # 👀 on every request and on every further message that joined its ticket.
        assert figures.eyes == 2 * len(numbers)
        assert set(figures.alerts) == wanted
        assert all(n == 1 for n in figures.alerts.values())
        assert figures.outbox == {"done": figures.outbox.get("done", 0)}
        assert figures.leaks == 0
        assert_wall_held(box)
        assert_calls_match_spec(box)
    finally:
        await box.stop()
