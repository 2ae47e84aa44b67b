"""Digests: each due send goes to every manager once, across passes, restarts and replicas."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.digests import CATCH_UP, DigestDue
from bot.messages.base import InternalMessage
from bot.messages.markup import md
from bot.services.digests import DigestService
from tests.support import world
from tests.support.service_desk import ServiceDesk

UTC = ZoneInfo("UTC")
pytestmark = pytest.mark.parametrize("desk_yml", [world.with_digests(world.DESK_YML)])
MONDAY_NINE = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Figures:
    """Stands in for the report: says which period it was asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def digest(self, team_id: str, due: DigestDue) -> InternalMessage:
        self.asked.append(due.key)
        return InternalMessage(text=md("Digest {} for {}", due.label, team_id))


def digests(desk: ServiceDesk, content: Figures) -> DigestService:
    s = desk.services
    return DigestService(s.db, s.config, desk.clock, s.outbox, content)


def texts(desk: ServiceDesk, user: str) -> list[str]:
    return [p.text for p in desk.slack.dms_to(user)]


async def test_monday_digest_reaches_each_manager_once(desk: ServiceDesk):
    desk.clock.set(MONDAY_NINE - timedelta(seconds=1))
    content = Figures()
    service = digests(desk, content)
    assert await service.send_due() == 0  # last week's went out a week ago: past the catch-up
    desk.clock.set(MONDAY_NINE)
    assert await service.send_due() == 1
    await desk.settle()
    week = "Digest week of Mon 23 Nov – Sun 29 Nov 2026 for " + desk.team
    assert texts(desk, world.MIA) == [week]
    # Later passes, a restarted desk (a new service on the same database), a day on: nothing.
    assert await service.send_due() == 0
    desk.clock.advance(CATCH_UP - timedelta(minutes=1))
    assert await digests(desk, Figures()).send_due() == 0
    await desk.settle()
    assert texts(desk, world.MIA) == [week]
    assert content.asked == ["weekly:2026-W48"]


async def test_two_replicas_at_once_send_once(desk: ServiceDesk):
    desk.clock.set(MONDAY_NINE + timedelta(minutes=5))
    made = await asyncio.gather(*(digests(desk, Figures()).send_due() for _ in range(4)))
    await desk.settle()
    assert sum(made) == 1
    assert len(texts(desk, world.MIA)) == 1


async def test_the_first_of_the_month_sends_the_monthly_report_too(desk: ServiceDesk):
    desk.clock.set(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))  # a Tuesday
    content = Figures()
    assert await digests(desk, content).send_due() == 1
    await desk.settle()
    assert texts(desk, world.MIA) == [f"Digest November 2026 for {desk.team}"]
    assert content.asked == ["monthly:2026-11"]


async def test_down_over_the_whole_catch_up_skips_the_stale_digest(desk: ServiceDesk):
    monday = MONDAY_NINE - timedelta(days=7)
    desk.clock.set(monday + CATCH_UP + timedelta(minutes=1))
    assert await digests(desk, Figures()).send_due() == 0
    # The next Monday's goes out as usual.
    desk.clock.set(MONDAY_NINE)
    assert await digests(desk, Figures()).send_due() == 1
    await desk.settle()
    assert texts(desk, world.MIA) == [
        "Digest week of Mon 23 Nov – Sun 29 Nov 2026 for " + desk.team
    ]
