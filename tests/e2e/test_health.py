"""Account health end to end: an account whose SLA breaches, low ratings and unhappy customer
messages add up crosses into *at risk*; its owner and the managers are told by DM once — not
again at the next check, nor after a restart, nor by two checks at once — and only after a
recovery does a new crossing tell them again. Nothing of it reaches a shared channel.

Customer messages get their sentiment score from the intake's scorer; here the scores are
then set in the store, so the figures do not hang on the scorer's lexicon (the health check
reads the column, whoever fills it).
Globex (tests/support/world.py) is strategic (P2: first response 1h), owned by Alice, renewing
on 2027-01-15; Mia is the manager.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from bot.emulator.queries import SeenMessage
from bot.sandbox.sandbox import Sandbox
from store.models import TicketMessage
from tests.support import world as w
from tests.support.actions import desk, open_ticket, sweep
from tests.support.waits import desk_idle, eventually

TOLD = "is now *at risk*"
PEOPLE = (w.ALICE, w.BOB, w.MIA, w.CAROL, w.DAVE, w.IVAN)
ASKERS = (w.CAROL, w.DAVE, w.CAROL)  # who opens each of the bad month's tickets


def told(box: Sandbox, user: str) -> list[SeenMessage]:
    """The at-risk alerts `user` saw, wherever they were."""
    return [s for s in box.emu.seen_by(user) if s.author_id == w.BOT and TOLD in s.raw_text]


def survey_in(box: Sandbox, thread_ts: str) -> SeenMessage | None:
    """The survey in a ticket's thread, as Carol sees it (None: not there yet)."""
    found = [
        s
        for s in box.emu.seen_by(w.CAROL, w.GLOBEX_SHARED)
        if s.author_id == w.BOT and s.thread_ts == thread_ts and "csat_rate_1" in repr(s.blocks)
    ]
    return found[0] if found else None


async def scored(box: Sandbox, value: float) -> None:
    """Every customer message scored `value`, whatever the scorer made of its words: the
    figures below do not hang on its lexicon."""
    async with box.desk.services.db.unit_of_work() as uow:
        await uow.session.execute(
            update(TicketMessage)
            .where(TicketMessage.is_internal.is_(False))
            .values(sentiment=value)
        )


async def check(box: Sandbox) -> int:
    """One health check, then its DMs delivered."""
    crossings = await box.desk.services.health.check()
    await box.settled()
    return crossings


async def a_bad_month(box: Sandbox) -> None:
    """Three Globex P2 requests nobody answers for two hours (3 breaches), then resolved and
    each rated 1/5; five angry customer messages in all."""
    roots = []
    for n, user in enumerate(ASKERS):
        roots.append(await open_ticket(box, f"Export number {n + 1} is broken again", user))
        box.clock.advance(timedelta(minutes=6))  # past the grouping window
    for root in roots[:2]:
        await box.emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Still broken?!", thread_ts=root)
    await desk_idle(box)
    box.clock.advance(timedelta(hours=2))
    await sweep(box)
    await scored(box, -0.7)
    for n, (root, user) in enumerate(zip(roots, ASKERS, strict=True), start=1):
        assert "is resolved" in await desk(box, w.ALICE, f"resolve {n} fixed the exporter")
        survey = await eventually(lambda root=root: survey_in(box, root))
        delivery = await box.emu.click_button(
            user, w.GLOBEX_SHARED, survey.ts, "csat_rate_1", _value(survey, "csat_rate_1")
        )
        assert delivery.status == 200
        await desk_idle(box)
    box.clock.advance(timedelta(minutes=1))


def _value(seen: SeenMessage, action_id: str) -> str:
    for block in seen.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} on {seen.text!r}")


GLOBEX_AT_RISK = [
    ":red_circle: *Globex* is now *at risk*: health *20*/100.",
    "• CSAT 1.0/5 from 3 answers (target 4) (-30)",
    "• 5 of 5 customer messages negative (100%) (-25)",
    "• 3 breaches in 90 days (-15)",
    "• renews in 53 days (2027-01-15) (-10)",
    "The whole record: `/desk account Globex`",
]


async def test_a_crossing_into_at_risk_is_told_once_to_the_owner_and_the_managers(
    sandbox: Sandbox,
):
    box = sandbox
    await a_bad_month(box)
    shared_before = {p: len(box.emu.seen_by(p, w.GLOBEX_SHARED)) for p in PEOPLE}

    assert await check(box) == 1

    # Alice (Globex's owner) and Mia (the manager), each by DM, with the score and the reasons.
    for person in (w.ALICE, w.MIA):
        [alert] = told(box, person)
        assert alert.kind == "dm"
        assert alert.raw_text.splitlines() == GLOBEX_AT_RISK
    for person in (w.BOB, w.CAROL, w.DAVE, w.IVAN):
        assert told(box, person) == []
    assert {p: len(box.emu.seen_by(p, w.GLOBEX_SHARED)) for p in PEOPLE} == shared_before
    # The record says the same to whoever asks, and Mia's Home lists Globex.
    record = await desk(box, w.BOB, "account Globex")
    assert record.splitlines()[-5:] == [
        "*Health*: *20*/100 :red_circle: at risk",
        *(f"  {line}" for line in GLOBEX_AT_RISK[1:5]),
    ]
    delivery = await box.emu.homes.open(w.MIA)
    assert delivery.status == 200
    await eventually(lambda: box.emu.homes.published(w.MIA))
    home = box.emu.homes.text(w.MIA) or ""
    assert "*Account health*\n• *Globex* *20*/100 :red_circle: at risk · CSAT 1.0/5" in home

    # The next check, two checks at once, and a restart: still one alert each.
    assert await check(box) == 0
    assert await asyncio.gather(check(box), check(box)) == [0, 0]
    await box.restart_bot()
    assert await check(box) == 0
    for person in (w.ALICE, w.MIA):
        assert len(told(box, person)) == 1


async def test_two_checks_at_once_tell_the_crossing_once(sandbox: Sandbox):
    box = sandbox
    await a_bad_month(box)

    assert sorted(await asyncio.gather(check(box), check(box))) == [0, 1]

    for person in (w.ALICE, w.MIA):
        assert len(told(box, person)) == 1


async def test_after_a_recovery_a_new_crossing_is_told_again(sandbox: Sandbox):
    box = sandbox
    await a_bad_month(box)
    assert await check(box) == 1

    # 91 days on, the bad month is out of every window (and the renewal date is past).
    box.clock.advance(timedelta(days=91))
    assert await check(box) == 0
    record = await desk(box, w.BOB, "account Globex")
    assert record.splitlines()[-1] == "*Health*: *100*/100 :large_green_circle: healthy"

    # A new bad spell: three outages nobody answers, the customers angry.
    for n, user in enumerate((w.CAROL, w.DAVE, w.CAROL)):
        root = await open_ticket(box, f"Outage number {n + 1}: the dashboard is down", user)
        await box.emu.post_message(user, w.GLOBEX_SHARED, "Anyone?!", thread_ts=root)
        box.clock.advance(timedelta(minutes=6))
    await desk_idle(box)
    box.clock.advance(timedelta(hours=5))
    await sweep(box)
    await scored(box, -0.8)

    assert await check(box) == 1

    for person in (w.ALICE, w.MIA):
        first, second = told(box, person)
        assert second.raw_text.splitlines() == [
            ":red_circle: *Globex* is now *at risk*: health *25*/100.",
            "• 6 breaches in 90 days (-30)",
            "• 6 of 6 customer messages negative (100%) (-25)",
            "• 3 open P1 tickets (-20)",
            "The whole record: `/desk account Globex`",
        ]
    assert told(box, w.BOB) == []
