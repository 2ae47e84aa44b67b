"""The managers' console end to end through the emulator: `/desk report` by DM with its PNG
chart (managers only), the weekly digest sent once across a restart (and across two replicas
on PostgreSQL), and `/desk account` showing the whole record to the caller alone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.domain.clock import ManualClock
from bot.emulator import Emulator
from bot.emulator.queries import SeenMessage
from bot.sandbox.sandbox import Sandbox
from bot.services.digests import DigestService
from store.db import Database
from store.models import DigestSend
from tests.support import world as w
from tests.support.actions import desk, open_ticket, sweep
from tests.support.bot_process import BotProcess, free_port, serve_env
from tests.support.sandboxes import (
    assert_calls_match_spec,
    assert_wall_held,
    checked_sandbox,
)
from tests.support.waits import desk_idle, eventually

PNG = b"\x89PNG\r\n\x1a\n"
# A Wednesday: no weekly digest (Monday 09:00) or monthly report (the 1st) is due, so every
# DM in these tests is one the test asked for.
WEDNESDAY = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
# The team keeps New York time: its Monday 09:00 is 14:00 UTC.
NEW_YORK_YML = w.with_digests(
    w.DESK_YML.replace(
        f"  managers: [{w.MIA}]\n", f"  managers: [{w.MIA}]\n  timezone: America/New_York\n"
    )
)
MONDAY_NINE_NEW_YORK = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
WEEKLY = "*Weekly support digest, week of Mon 23 Nov – Sun 29 Nov 2026*"
INTERNAL_PEOPLE = (w.ALICE, w.BOB, w.MIA)


@pytest.fixture
def clock() -> ManualClock:
    """The bot's clock for this module: a Wednesday afternoon (see WEDNESDAY)."""
    return ManualClock(WEDNESDAY)


def dms(box: Sandbox, user: str) -> list[SeenMessage]:
    """Everything the bot said to `user` in their DM, thread replies included."""
    return [s for s in box.emu.seen_by(user) if s.kind == "dm" and s.author_id == w.BOT]


def reports(box: Sandbox, user: str) -> list[SeenMessage]:
    """The reports in `user`'s DM."""
    return [s for s in dms(box, user) if s.raw_text.startswith("*SLA report, ")]


def charts(box: Sandbox, user: str) -> list[SeenMessage]:
    """The files shared in `user`'s DM."""
    return [s for s in dms(box, user) if s.files]


def digests(box: Sandbox | Emulator, user: str) -> list[SeenMessage]:
    """The weekly digests in `user`'s DM."""
    emu = box if isinstance(box, Emulator) else box.emu
    return [
        s
        for s in emu.seen_by(user)
        if s.kind == "dm" and s.author_id == w.BOT and s.raw_text.startswith(WEEKLY)
    ]


def rows(text: str) -> list[str]:
    """A message's lines with their column padding squeezed to one space."""
    return [" ".join(line.split()) for line in text.splitlines()]


async def answered_and_breached(box: Sandbox) -> None:
    """#1 Globex P1 answered in 5 minutes by Alice (met); #2 Globex P2 unanswered past its
    hour (breached); #3 Initech P3 open and in time."""
    outage = await open_ticket(box, "The dashboard is down")
    box.clock.advance(timedelta(minutes=5))
    await box.emu.post_message(w.ALICE, w.GLOBEX_SHARED, "Looking at it now", thread_ts=outage)
    await open_ticket(box, "Exports are broken", user=w.DAVE)
    await open_ticket(
        box,
        "Can you help us set up the printer integration?",
        user=w.IVAN,
        channel=w.INITECH_SHARED,
    )
    box.clock.advance(timedelta(hours=2))
    await sweep(box)
    await desk_idle(box)


# ---- /desk report ------------------------------------------------------------------------
async def test_a_manager_gets_the_figures_by_tier_and_a_png_chart_by_dm(sandbox: Sandbox):
    box = sandbox
    await answered_and_breached(box)

    reply = await desk(box, w.MIA, "report")

    assert reply == "The November 2026 so far report is on its way to you by DM, with its chart."
    await eventually(lambda: reports(box, w.MIA) and charts(box, w.MIA), within=20)
    [report], [share] = reports(box, w.MIA), charts(box, w.MIA)
    lines = rows(report.raw_text)
    assert lines[0] == "*SLA report, November 2026 so far*"
    assert "strategic 50.0% - -" in lines and "standard - - -" in lines
    assert "strategic P1 first response 100.0% (1/1) - - - - 100.0% -" in lines
    assert "strategic P2 first response 0.0% (0/1) - - - - 0.0% -" in lines
    assert "Breaches 1 0 +1" in lines
    assert "Globex strategic 2 1" in lines and "Initech standard 1 0" in lines
    # The chart in the report's thread, as Mia's own view shows it.
    assert share.thread_ts == report.ts
    [(name, size, mimetype)] = share.files
    assert (name, mimetype) == ("attainment-2026-11.png", "image/png")
    [uploaded] = box.emu.uploaded(share.channel_id)
    assert uploaded.data.startswith(PNG) and len(uploaded.data) == size > 5_000
    assert "[file: attainment-2026-11.png" in box.emu.transcript(w.MIA)
    # Mia alone: no one else has a report or a file in any DM or channel.
    for person in (w.ALICE, w.BOB, w.CAROL, w.DAVE, w.IVAN):
        seen = box.emu.seen_by(person)
        assert not [s for s in seen if s.files or "SLA report" in s.raw_text]


async def test_an_agent_is_refused_and_nothing_reaches_any_dm(sandbox: Sandbox):
    box = sandbox
    await answered_and_breached(box)
    before = {person: len(dms(box, person)) for person in INTERNAL_PEOPLE}

    reply = await desk(box, w.ALICE, "report 2026-11")
    await desk_idle(box)

    assert reply == "Reports go to managers only; ask <@U0MIA> if you need the figures."
    assert {person: len(dms(box, person)) for person in INTERNAL_PEOPLE} == before
    assert not [c for c in box.emu.calls if c.method.startswith("files.")]
    assert box.emu.uploaded() == []


async def test_a_bad_month_is_a_usage_error(sandbox: Sandbox):
    reply = await desk(sandbox, w.MIA, "report 2026-13")
    await desk_idle(sandbox)

    assert reply.startswith(":warning: '2026-13' is not a month (months run from 01 to 12)")
    assert reply.endswith("Usage: `/desk report [YYYY-MM]`")
    assert dms(sandbox, w.MIA) == [] and sandbox.emu.uploaded() == []


# ---- the digest --------------------------------------------------------------------------
async def test_the_weekly_digest_is_sent_once_across_a_restart(
    database_url: str, monkeypatch: pytest.MonkeyPatch
):
    clock = ManualClock(MONDAY_NINE_NEW_YORK + timedelta(minutes=3))
    async with checked_sandbox(w.desk_config(NEW_YORK_YML), clock, database_url) as box:
        # The first pass, a second after start, finds Monday's digest due.
        [digest] = await eventually(lambda: digests(box, w.MIA), within=15)
        assert "SLA report 2026-11-23 to 2026-11-29 (America/New_York)" in digest.raw_text
        await desk_idle(box)

        # Restarted: its first pass finds the digest in the ledger and sends nothing.
        passes: list[int] = []
        send_due = DigestService.send_due

        async def counted(self: DigestService) -> int:
            made = await send_due(self)
            passes.append(made)
            return made

        monkeypatch.setattr(DigestService, "send_due", counted)
        await box.restart_bot()
        await eventually(lambda: passes, within=15, what="a digest pass after the restart")
        await desk_idle(box)

        assert passes == [0]
        assert len(digests(box, w.MIA)) == 1
        for person in (w.ALICE, w.BOB):
            assert dms(box, person) == []
        async with box.desk_db() as db, db.reading() as uow:
            [sent] = await uow.digests.sent(w.VENDOR)
        assert (sent.key, sent.recipients) == ("weekly:2026-W48", 1)


def due_a_minute_ago_yml() -> str:
    """The test world with its weekly digest due a minute ago by the real clock (UTC), and no
    monthly report: real processes run on the real clock."""
    due = datetime.now(UTC) - timedelta(minutes=1)
    return w.with_digests(w.DESK_YML, weekly=f"{due:%a %H:%M}", monthly=False)


@pytest.fixture
async def two_replicas(
    postgres_database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Emulator, Database]]:
    """Two `connectdesk serve` processes on one PostgreSQL, started together."""
    config = tmp_path / "desk.yml"
    config.write_text(due_a_minute_ago_yml())
    secret, token = "replica-secret", "xoxb-replica"
    async with Emulator(w.workspace(), signing_secret=secret, bot_token=token) as emu:
        pair = []
        for name in ("a", "b"):
            port = free_port()
            env = serve_env(emu.api_url, port, config, postgres_database_url, token, secret)
            env["CONNECTDESK_REPLICA_ID"] = name
            pair.append(BotProcess(env, port, tmp_path / f"replica-{name}.log"))
        db = Database(postgres_database_url)
        try:
            await asyncio.gather(*(p.start() for p in pair))
            emu.app_urls = [f"http://127.0.0.1:{p.port}/slack/events" for p in pair]
            yield emu, db
        finally:
            await db.close()
            for p in pair:
                if p.proc is not None:
                    await p.stop()


async def test_two_replicas_send_the_digest_once(two_replicas: tuple[Emulator, Database]):
    emu, db = two_replicas
    started = time.monotonic()
    await emu.wait_for(
        lambda: [s for s in emu.seen_by(w.MIA) if s.kind == "dm" and "digest" in s.raw_text],
        within=20,
    )
    # Each replica's first pass runs a second after its start; give both time to run it
    # (another process's pass cannot be observed from here) and one more beyond.
    await asyncio.sleep(max(0.0, 3.0 - (time.monotonic() - started)))
    found = [s for s in emu.seen_by(w.MIA) if s.kind == "dm" and "digest" in s.raw_text]
    assert len(found) == 1 and found[0].raw_text.startswith("*Weekly support digest, week of")
    async with db.reading() as uow:
        sends = (await uow.session.scalars(select(DigestSend))).all()
    assert [(s.team_id, s.recipients) for s in sends] == [(w.VENDOR, 1)]
    box = type("Box", (), {"emu": emu})()
    assert_wall_held(box)  # type: ignore[arg-type]
    assert_calls_match_spec(box)  # type: ignore[arg-type]


# ---- /desk account -----------------------------------------------------------------------
async def test_the_account_record_is_shown_to_the_caller_alone(sandbox: Sandbox):
    box = sandbox
    await answered_and_breached(box)
    await desk(box, w.ALICE, "incident declare sev2 Exports are delayed accounts: Globex")
    await box.desk.services.broadcaster.idle()
    await desk_idle(box)
    posted = [m for m in box.emu.ws.messages if m.kind != "ephemeral"]

    record = await desk(box, w.BOB, "account Globex")
    await desk_idle(box)

    lines = record.splitlines()
    assert lines[0] == "*Globex* · tier *strategic*"
    assert "Open tickets: 2" in lines
    assert [line for line in lines if line.startswith("  • #")] == [
        "  • #2 P2 · Exports are broken · _unassigned_",
        "  • #1 P1 · The dashboard is down · <@U0ALICE>",
    ]
    assert "*Last 90 days*: SLA attainment 50% (1 of 2 clocks met) · CSAT no answers" in lines
    assert "  • sev2 Exports are delayed · investigating · 2026-11-25" in lines
    assert lines[-4:] == [
        "*Health*: *75*/100 :large_green_circle: healthy",
        "  • 1 open P1 ticket (-10)",
        "  • renews in 51 days (2027-01-15) (-10)",
        "  • 1 breach in 90 days (-5)",
    ]
    # Only Bob saw it, as an ephemeral; nothing was posted in any channel or DM.
    [seen] = [s for s in box.emu.seen_by(w.BOB) if "Last 90 days" in s.raw_text]
    assert seen.kind == "ephemeral"
    for person in (w.ALICE, w.MIA, w.CAROL, w.DAVE, w.IVAN):
        assert not [s for s in box.emu.seen_by(person) if "Last 90 days" in s.raw_text]
    assert [m for m in box.emu.ws.messages if m.kind != "ephemeral"] == posted
