"""A proxy in front of Slack answering some calls with its HTML 502 page instead of Slack's JSON:
each request still becomes one ticket, with one receipt and one card, and the log says what
happened in a line, never a traceback."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from bot.emulator import Faults
from bot.emulator.faults import BAD_GATEWAY
from store.models import Ticket
from tests.support import world as w
from tests.support.sandboxes import checked_sandbox

LIFTED = "pacing:\n  posts: {calls: 1000, per: 1s}\n  edits: {calls: 1000, per: 1s}\n"
REQUESTS = (
    (w.CAROL, w.GLOBEX_SHARED),
    (w.DAVE, w.GLOBEX_SHARED),
    (w.IVAN, w.INITECH_SHARED),
)


def bot_posts(box, person: str, channel: str) -> list:
    return [s for s in box.emu.seen_by(person, channel) if s.author_id == w.BOT]


async def test_html_502s_from_a_proxy_double_nothing_and_crash_nothing(clock, database_url, caplog):
    caplog.set_level(logging.INFO)
    # A quarter of the calls get the page; half of those after Slack did the work (a post
    # that landed although the bot was told 502).
    faults = Faults(bad_gateway=0.25, bad_gateway_after_work=0.5, seed=11)
    options = {"emulator_options": {"faults": faults}, "channel_interval": 0.01}
    config = w.desk_config(w.DESK_YML + LIFTED)
    async with checked_sandbox(config, clock, database_url, **options) as box:
        roots = []
        for round_ in range(5):
            for user, channel in REQUESTS:
                delivery = await box.emu.post_message(user, channel, f"Export {round_} fails")
                assert delivery.status == 200
                roots.append((channel, delivery.ts))
            clock.advance(timedelta(minutes=6))  # past the grouping window
        await box.settled(within=60)
        async with box.desk.db.reading() as uow:
            tickets = (await uow.session.scalars(select(Ticket))).all()
        # One ticket per request, none doubled.
        assert sorted((t.channel_id, t.root_ts) for t in tickets) == sorted(roots)
        # Each Globex customer sees one receipt in each of their requests' threads (Initech
        # has receipts off); each account team one card per ticket.
        for channel, ts in roots:
            receipts = [m for m in box.emu.thread(channel, ts) if m.user == w.BOT]
            assert len(receipts) == (1 if channel == w.GLOBEX_SHARED else 0), (channel, ts)
        cards = bot_posts(box, w.ALICE, w.GLOBEX_INTERNAL) + bot_posts(
            box, w.BOB, w.INITECH_INTERNAL
        )
        numbers = sorted(int(c.raw_text.split("#", 1)[1].split(" ", 1)[0]) for c in cards)
        assert numbers == sorted(t.number for t in tickets)
    # The proxy answered posts, before and after the work (reads the desk makes rarely now
    # that links are built: tests/emulator/test_faults.py gives them the proxy's page).
    hit = {c.method for c in box.emu.calls if c.status == 502}
    assert "chat.postMessage" in hit, hit
    assert faults.counts[BAD_GATEWAY] >= 8  # about 3 calls a ticket, a quarter answered 502
    # Said in a line each, with what the proxy sent; nothing logged as a crash.
    ours = [r for r in caplog.records if r.name.startswith("connectdesk")]
    crashes = [r for r in ours if r.exc_info or r.levelno >= logging.ERROR]
    assert not crashes, [(r.name, r.getMessage(), r.exc_info and r.exc_info[1]) for r in crashes]
    assert any("HTTP 502, not Slack's JSON answer" in r.getMessage() for r in ours)
