"""SIGKILL the real `connectdesk serve` process at random moments during a burst, restart it.

Every request must become exactly one ticket with one receipt, one 👀 and one triage card,
and every SLA step (real time: first response due in seconds) exactly one alert, although
the process died between deciding and doing (the outbox) and between doing and acking
(Slack redelivers; the event id is claimed in the ticket's transaction).
"""

from __future__ import annotations

import asyncio
import functools
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.emulator import Emulator, Faults
from bot.sandbox.sandbox import TRANSPORTS
from store.db import Database
from store.models import Ticket
from tests.reliability import world as rw
from tests.reliability.figures import Figures, count_seen
from tests.support.bot_process import BotProcess, free_port, serve_env
from tests.support.slack_spec import check_call

TOKEN, SECRET = "xoxb-kill-test-token", "kill-test-signing-secret"
APP_TOKEN = "xapp-1-A0CONNECTDESK-kill-test"
FIRST_RESPONSE_SECONDS = 4
LADDER = (
    "    ladder:\n"
    "      - at: 75%\n        notify: [owner]\n"
    "      - at: 100%\n        notify: [owner]\n"
)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_sigkill_during_burst_loses_and_doubles_nothing(
    tmp_path: Path, transport: str
) -> None:
    sizes = rw.KILL_SIZES
    config = tmp_path / "desk.yml"
    config.write_text(
        rw.config_text(sizes.accounts, f"{FIRST_RESPONSE_SECONDS}s", LADDER, grouping="1s")
    )
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    faults = Faults(server_error=0.03, event_unacked=0.1, seed=11)
    rng = random.Random(7)
    figures = Figures("kill" if transport == "http" else "kill/socket")
    expected: set[tuple[str, str]] = set()
    # Events whose every delivery failed (the bot was down for each try): Slack gave up on them,
    # so either outcome is right for them, but never two tickets.
    gave_up: set[tuple[str, str]] = set()
    async with Emulator(
        rw.workspace(sizes.accounts),
        signing_secret=SECRET,
        bot_token=TOKEN,
        faults=faults,
        # Slack retries after about 1 and 5 minutes; compressed, still longer than a restart.
        retry_delays=(1.0, 4.0, 10.0),
        app_token=APP_TOKEN,
        transport=transport,
    ) as emu:
        port = free_port()
        env = serve_env(emu.api_url, port, config, db_url, TOKEN, SECRET)
        env |= {"CONNECTDESK_OUTBOX_LEASE": "1", "CONNECTDESK_SWEEP_INTERVAL": "1"}
        if transport == "socket":
            env["SLACK_APP_TOKEN"] = APP_TOKEN
        bot = BotProcess(env, port, tmp_path / "serve.log")
        await bot.start()
        if transport == "http":
            emu.app_url = f"http://127.0.0.1:{port}/slack/events"

        async def customer(i: int) -> None:
            for r in range(sizes.rounds):
                await asyncio.sleep(rng.uniform(0.0, 0.6))
                text = rw.REQUEST.format(i=i, r=r)
                delivery = await emu.post_message(rw.customer(i), rw.shared(i), text)
                acked = delivery.status == 200
                (expected if acked else gave_up).add((rw.shared(i), delivery.ts))
                figures.events_sent += 1
                figures.deliveries += len(delivery.attempts)
                if acked:
                    # Grouping counts from when the desk handled a post, and a kill can delay
                    # that by seconds: the next request waits for this one's receipt, so it
                    # lands past the window and is a new ticket however late this one was.
                    await emu.wait_for(functools.partial(receipt_of, rw.shared(i), delivery.ts), 60)
                await asyncio.sleep(1.2)  # past the grouping window: the next one is a new ticket

        def receipt_of(channel: str, ts: str) -> bool:
            return any(m.thread_ts == ts and m.bot_id for m in emu.messages(channel))

        async def killer() -> None:
            for _ in range(sizes.kills):
                await asyncio.sleep(rng.uniform(*rw.KILL_GAP))
                await bot.kill()
                figures.kills += 1
                await bot.start()

        await asyncio.gather(killer(), *(customer(i) for i in range(sizes.accounts)))

        # Wait for each ticket's receipt, card, warning and breach (or the deadline).
        shared = [rw.shared(i) for i in range(sizes.accounts)]
        internal = [rw.internal(i) for i in range(sizes.accounts)]
        probe = Database(db_url)  # read-only look while the bot runs (SQLite WAL)

        async def complete() -> bool:
            seen = Figures("probe")
            count_seen(emu, seen, shared, internal)
            async with probe.unit_of_work() as uow:
                opened = await uow.session.scalar(select(func.count(Ticket.id)))
                counts = await uow.outbox.counts()
            busy = counts.get("pending", 0) + counts.get("sending", 0)
            return (
                opened >= len(expected)
                and not busy
                and len(seen.receipts) >= opened
                and len(seen.alerts) >= 2 * opened
            )

        try:
            for _ in range(int((FIRST_RESPONSE_SECONDS + rw.SETTLE / 2) / 0.3)):
                if await complete():
                    break
                await asyncio.sleep(0.3)
        finally:
            await probe.close()
        await asyncio.sleep(1.5)  # anything doubled would show by now
        assert await bot.stop() == 0, (tmp_path / "serve.log").read_text()[-3000:]

        db = Database(db_url)
        try:
            async with db.unit_of_work() as uow:
                tickets = (await uow.session.scalars(select(Ticket))).all()
                figures.outbox = await uow.outbox.counts()
                rows = await uow.outbox.all()
            figures.redone = sum(1 for row in rows if row.attempts > 1)
        finally:
            await db.close()
        found = [(t.channel_id, t.root_ts) for t in tickets]
        numbers = {t.number for t in tickets}
        figures.faults = dict(faults.counts)
        figures.tickets_expected, figures.tickets_found = len(expected), len(found)
        figures.tickets_lost = len(expected - set(found))
        figures.tickets_duplicate = len(found) - len(set(found) & (expected | gave_up))
        figures.slack_gave_up = len(gave_up)
        count_seen(emu, figures, shared, internal)
        home = {t.number: rw.internal(int(t.channel_id[2:])) for t in tickets}
        wanted = {(kind, n, home[n]) for n in numbers for kind in ("warning", "breach")}
        figures.alerts_expected = len(wanted)
        print("\n" + "\n".join(figures.lines()))

        log = (tmp_path / "serve.log").read_text()
        assert figures.kills == sizes.kills
        assert figures.tickets_lost == 0 and figures.tickets_duplicate == 0
        assert len(expected) <= len(found) <= sizes.accounts * sizes.rounds
        assert dict(figures.receipts) == {n: 1 for n in numbers}
        assert dict(figures.cards) == {n: 1 for n in numbers}
        assert figures.eyes == len(numbers)
        assert set(figures.alerts) == wanted
        assert all(n == 1 for n in figures.alerts.values()), figures.alerts
        assert figures.outbox == {"done": figures.outbox.get("done", 0)}
        assert figures.leaks == 0
        assert TOKEN not in log and SECRET not in log and APP_TOKEN not in log
        problems = [p for call in emu.calls for p in check_call(call.method, call.params)]
        assert not problems, problems
