"""A report by DM with its chart, end to end: the bot's real slack_sdk client uploads through
the emulator over HTTP (files_upload_v2); the wall keeps every file out of shared channels;
a lost share or a crash never shows the chart twice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from bot.domain.clock import ManualClock
from bot.emulator.transcript import file_size
from bot.messages.base import InternalMessage
from bot.messages.markup import Mrkdwn
from bot.sandbox.sandbox import Sandbox
from bot.services.private_reports import ChartRef
from bot.slack.gateway import WallViolation
from bot.slack.transport import FileUpload
from store.models import OutboxEntry
from tests.support import world as w

REPORT = InternalMessage(Mrkdwn("*SLA attainment, 2026-11*\nGold P1: 92% met (23/25)"))
CHART = ChartRef.attainment("2026-11")
FILE = FileUpload(b"\x89PNG\r\n\x1a\nnot really", "chart.png", "Chart")
MIA_DM = "D0MIA"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
# A Wednesday: no weekly digest (Monday 09:00) or monthly report (the 1st) is due, so the
# report is all that reaches Mia's DM.
WEDNESDAY = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    """The bot's clock for this module (see WEDNESDAY)."""
    return ManualClock(WEDNESDAY)


async def send_report(box: Sandbox) -> None:
    assert box.desk is not None
    await box.desk.services.private_reports.send(w.VENDOR, w.MIA, REPORT, CHART)
    await box.settled()


def report_and_chart(box: Sandbox) -> tuple[list, list]:
    """Mia's DM: the bot's top-level posts, and its file shares (with where they are)."""
    posts = [m for m in box.emu.messages(MIA_DM) if m.user == w.BOT and m.thread_ts is None]
    shares = [m for m in box.emu.messages(MIA_DM) if m.files]
    return posts, shares


async def test_a_report_reaches_the_managers_dm_with_its_chart_in_the_thread(sandbox: Sandbox):
    await send_report(sandbox)
    [text], [share] = report_and_chart(sandbox)
    assert share.thread_ts == text.ts and share.user == w.BOT
    [file] = sandbox.emu.uploaded(MIA_DM)
    assert sandbox.desk is not None
    # The month's chart as the reports draw it, made when the report was sent.
    chart = await sandbox.desk.services.reports.chart_png(w.VENDOR, "2026-11")
    assert file.data == chart and file.title == "SLA attainment, 2026-11"

    lines = sandbox.emu.transcript(w.MIA).splitlines()
    at = lines.index(next(line for line in lines if "[DM] connectdesk: *SLA attainment" in line))
    assert "Gold P1: 92% met (23/25)" in lines[at + 1]
    shown = f"[file: attainment-2026-11.png, {file_size(len(chart))}, image/png]"
    assert lines[at + 2].strip() == f"15:00 (thread) connectdesk: {shown}"
    # Mia alone: no one else saw the report or any file.
    for person in (w.ALICE, w.BOB, w.CAROL, w.DAVE):
        assert not [s for s in sandbox.emu.seen_by(person) if s.files or "Gold P1" in s.text]


async def test_the_wall_refuses_a_file_for_a_shared_channel_or_one_it_cannot_tell(
    sandbox: Sandbox,
):
    assert sandbox.desk is not None
    gateway = await sandbox.desk.gateways.at(w.VENDOR)
    for channel in (w.GLOBEX_SHARED, w.NEW_SHARED, "C0DOESNOTEXIST"):
        with pytest.raises(WallViolation) as refused:
            await gateway.upload(channel, FILE, comment=InternalMessage(text="ARR $250,000"))
        assert refused.value.transient == (channel == "C0DOESNOTEXIST")
    # Nothing reached Slack's file methods, let alone a customer.
    assert not [c for c in sandbox.emu.calls if c.method.startswith("files.")]
    assert sandbox.emu.uploaded() == [] and not sandbox.emu.messages(w.GLOBEX_SHARED)
    for customer in (w.CAROL, w.DAVE):
        assert not [s for s in sandbox.emu.seen_by(customer) if s.files]

    # A DM (by user id) and an internal channel take files.
    to_mia = await gateway.upload(w.MIA, FILE, comment=InternalMessage(text="for you"))
    assert to_mia.ok and to_mia.channel == MIA_DM and to_mia.file_id
    assert (await gateway.upload(w.GLOBEX_INTERNAL, FILE)).ok
    assert [len(sandbox.emu.uploaded(c)) for c in (MIA_DM, w.GLOBEX_INTERNAL)] == [1, 1]
    # An internal channel shared with a customer is walled at once.
    await sandbox.emu.share_channel(w.RANDOM_INTERNAL, w.GLOBEX_ORG)
    with pytest.raises(WallViolation):
        await gateway.upload(w.RANDOM_INTERNAL, FILE)
    assert sandbox.emu.uploaded(w.RANDOM_INTERNAL) == []


async def test_a_chart_lost_on_its_way_is_uploaded_once_by_the_retry(sandbox: Sandbox):
    # Slack never gets the share (a 500, nothing done): the retry finds the text by its key,
    # no chart in its thread, and uploads the chart once.
    hold = sandbox.emu.hold("files.completeUploadExternal", channel=MIA_DM, landed=False)
    assert sandbox.desk is not None
    await sandbox.desk.services.private_reports.send(w.VENDOR, w.MIA, REPORT, CHART)
    await hold.reached()
    hold.release()
    await sandbox.settled()
    [text], [share] = report_and_chart(sandbox)
    assert share.thread_ts == text.ts
    assert [c.status for c in sandbox.emu.calls_to("files.completeUploadExternal")] == [500, 200]
    posts = [c for c in sandbox.emu.calls_to("chat.postMessage") if "Gold P1" in c.params["text"]]
    assert len(posts) == 1


async def test_a_redo_after_a_crash_finds_the_text_and_the_chart(sandbox: Sandbox):
    await send_report(sandbox)
    assert sandbox.desk is not None
    # As a process killed mid-call leaves it: `sending`, its claim long lapsed.
    async with sandbox.desk.db.unit_of_work() as uow:
        await uow.session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.kind == "report")
            .values(state="sending", claimed_at=LONG_AGO, done_at=None)
        )
    await sandbox.desk.services.outbox.drain()
    [text], [share] = report_and_chart(sandbox)
    assert share.thread_ts == text.ts
    assert len(sandbox.emu.calls_to("files.completeUploadExternal")) == 1
    async with sandbox.desk.db.reading() as uow:
        [row] = [r for r in await uow.outbox.all() if r.kind == "report"]
    assert (row.state, row.attempts, row.result) == ("done", 2, text.ts)
