"""The sweep hands alerts to the outbox and moves on: a recipient whose posts wait (Slack's
1 post/s per channel, or a slow DM) holds up neither the next sweep nor anyone else's alerts,
and each step still reaches each person once, also when the process stops mid-delivery."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy import func, select

from bot.messages.internal import SLA_MARK
from bot.outbox.outbox import CONCURRENCY
from bot.sandbox.sandbox import Sandbox
from bot.slack.pacing import ChannelPacer
from store.models import LadderFiring
from tests.support import world as w
from tests.support.actions import open_owned_tickets
from tests.support.sandboxes import checked_sandbox

ALICE_DM, BOB_DM = "D" + w.ALICE[1:], "D" + w.BOB[1:]
NUMBER = re.compile(r"· #(\d+) ·")
# Hang guard only (the sweep used to wait for every delivery): nothing here is timed.
NEVER = 30.0


class HeldChannel:
    """The gateway's pacer, except that posts to one channel wait until `release` is set."""

    def __init__(self, inner: ChannelPacer, channel: str) -> None:
        self.inner, self.channel = inner, channel
        self.release = asyncio.Event()
        self.waiting = 0

    @asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        if channel == self.channel:
            self.waiting += 1
            await self.release.wait()
        async with self.inner.turn(channel):
            yield


def warnings_to(box: Sandbox, dm: str) -> Counter[str]:
    """How often each ticket's SLA warning reached a DM channel, by ticket number."""
    return Counter(
        NUMBER.search(call.params["text"]).group(1)
        for call in box.emu.calls_to("chat.postMessage")
        if call.params.get("channel") == dm and "SLA warning" in call.params.get("text", "")
    )


def cards_late(box: Sandbox) -> set[str]:
    """The triage cards (by ts) that an edit has marked at risk or breached."""
    return {
        call.params["ts"]
        for call in box.emu.calls_to("chat.update")
        if call.params.get("channel") == w.GLOBEX_INTERNAL
        and any(
            s in repr(call.params.get("blocks"))
            for s in (SLA_MARK["at_risk"], SLA_MARK["breached"])
        )
    }


async def _firings(box: Sandbox) -> int:
    async with box.desk.db.reading() as uow:
        return int(await uow.session.scalar(select(func.count(LadderFiring.id))) or 0)


async def test_a_slow_recipient_holds_up_neither_the_sweep_nor_anyone_else(clock, database_url):
    config = w.desk_config(w.OWNER_LADDER_YML)
    async with checked_sandbox(config, clock, database_url, channel_interval=0.01) as box:
        # More of Alice's warnings than the outbox runs at once: if each took a slot while
        # waiting for her channel, Bob's would wait behind them.
        many = CONCURRENCY + 2
        await open_owned_tickets(box, [w.ALICE] * many + [w.BOB])
        gateway = await box.desk.gateways.at(w.VENDOR)
        held = HeldChannel(gateway.transport.pacer, ALICE_DM)
        gateway.transport.pacer = held
        clock.advance(timedelta(hours=3))  # past 75% of every first response (4 h)
        fired = await asyncio.wait_for(box.desk.services.escalation.sweep(), NEVER)
        assert fired <= many + 1 and await _firings(box) == many + 1
        await box.emu.wait_for(lambda: warnings_to(box, BOB_DM), within=NEVER)
        assert warnings_to(box, BOB_DM) == {str(many + 1): 1}
        assert not warnings_to(box, ALICE_DM) and held.waiting >= 1
        # The cards show the new SLA state meanwhile (edited in the background, not held).
        await box.emu.wait_for(lambda: len(cards_late(box)) == many + 1, within=NEVER)
        # A sweep while her alerts wait decides nothing again.
        assert await asyncio.wait_for(box.desk.services.escalation.sweep(), NEVER) == 0
        held.release.set()
        await box.settled(within=NEVER)
        assert warnings_to(box, ALICE_DM) == {str(n): 1 for n in range(1, many + 1)}
        assert warnings_to(box, BOB_DM) == {str(many + 1): 1}


async def test_alerts_cut_off_by_a_stop_are_sent_once_after_the_restart(clock, database_url):
    config = w.desk_config(w.OWNER_LADDER_YML)
    # A short lease: rows a stopped process had claimed are redone a second after it is gone.
    options = {"channel_interval": 0.01, "outbox_lease": 1.0}
    async with checked_sandbox(config, clock, database_url, **options) as box:
        await open_owned_tickets(box, [w.ALICE, w.ALICE, w.BOB])
        gateway = await box.desk.gateways.at(w.VENDOR)
        held = HeldChannel(gateway.transport.pacer, ALICE_DM)
        gateway.transport.pacer = held
        clock.advance(timedelta(hours=3))
        await asyncio.wait_for(box.desk.services.escalation.sweep(), NEVER)
        await box.emu.wait_for(lambda: warnings_to(box, BOB_DM), within=NEVER)
        # The process stops while Alice's posts wait: they are cut off (as a crash would),
        # committed but not sent. The next process sends each once and decides none again.
        await box.desk.services.outbox.close(grace=0)
        assert not warnings_to(box, ALICE_DM)
        await box.restart_bot()
        await box.settled(within=NEVER)
        assert warnings_to(box, ALICE_DM) == {"1": 1, "2": 1}
        assert warnings_to(box, BOB_DM) == {"3": 1}
        assert await box.desk.services.escalation.sweep() == 0 and await _firings(box) == 3
