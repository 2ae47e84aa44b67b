"""A private report: its text in a manager's DM and its chart, made when sent, in that thread;
sent once whatever fails between the two steps."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from bot.messages.base import InternalMessage
from bot.messages.markup import Mrkdwn
from bot.services.private_reports import ChartRef, PlaceholderCharts, solid_png
from store.models import OutboxEntry
from tests.support import world
from tests.support.fake_slack import Post
from tests.support.service_desk import ServiceDesk

REPORT = InternalMessage(Mrkdwn("*SLA attainment, 2026-11*\nGold P1: 92% met (23/25)"))
CHART = ChartRef.attainment("2026-11")
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


class Charts:
    """Counts what it was asked for; fails the first `failures` times."""

    def __init__(self, failures: int = 0) -> None:
        self.asked: list[tuple[str, str]] = []
        self.failures = failures

    async def chart_png(self, team_id: str, period: str) -> bytes:
        self.asked.append((team_id, period))
        if len(self.asked) <= self.failures:
            raise RuntimeError("no data yet")
        return solid_png(4, 2, (1, 2, 3))


def use_charts(desk: ServiceDesk, charts: Charts) -> None:
    desk.services.outbox.effects.reports = charts  # type: ignore[attr-defined]


async def send(desk: ServiceDesk, chart: ChartRef | None = CHART) -> None:
    await desk.services.private_reports.send(desk.team, world.MIA, REPORT, chart)
    await desk.settle()


async def due_now(desk: ServiceDesk) -> None:
    """Rows waiting out their backoff are due now (instead of the test waiting), then run."""
    async with desk.services.db.unit_of_work() as uow:
        await uow.session.execute(
            update(OutboxEntry).where(OutboxEntry.state == "pending").values(not_before=LONG_AGO)
        )
    await desk.settle()


def report_posts(desk: ServiceDesk) -> tuple[list[Post], list[Post]]:
    """Mia's DM: the report's posts, and the file shares in their threads."""
    posts = [p for p in desk.slack.dms_to(world.MIA) if p.thread_ts is None]
    shares = [p for p in desk.slack.dms_to(world.MIA) if p.files]
    return posts, shares


async def test_the_report_and_its_chart_reach_the_managers_dm(desk: ServiceDesk):
    charts = Charts()
    use_charts(desk, charts)
    await send(desk)
    [text], [share] = report_posts(desk)
    assert "Gold P1: 92% met" in text.text
    assert share.thread_ts == text.ts and share.text == ""
    [file] = share.files
    assert (file.name, file.title) == ("attainment-2026-11.png", "SLA attainment, 2026-11")
    assert file.data == solid_png(4, 2, (1, 2, 3)) and file.alt_txt == CHART.alt_txt
    assert charts.asked == [(world.VENDOR, "2026-11")]  # made when sent, for that install
    # Uploaded to the DM's id (files.completeUploadExternal takes no user id).
    [upload] = desk.slack.called("files.completeUploadExternal")
    assert upload["channel"] == share.channel and upload["channel"].startswith("D")
    assert not [p for p in desk.slack.by_bot() if p.channel != share.channel]


async def test_a_report_without_a_chart_is_its_text_alone(desk: ServiceDesk):
    await send(desk, chart=None)
    [text], shares = report_posts(desk)
    assert "Gold P1" in text.text and shares == []
    assert desk.slack.called("files.completeUploadExternal") == []


async def test_the_chart_is_the_months_report_chart(desk: ServiceDesk):
    await send(desk)
    [_text], [share] = report_posts(desk)
    placeholder = await PlaceholderCharts().chart_png(world.VENDOR, "2026-11")
    made = await desk.services.reports.chart_png(world.VENDOR, "2026-11")
    assert share.files[0].data.startswith(b"\x89PNG\r\n\x1a\n")
    assert share.files[0].data != placeholder and len(made) > 5_000


async def test_a_failed_upload_is_retried_without_posting_the_text_again(desk: ServiceDesk):
    # Slack refused the share for certain: the next try must still find the text it posted.
    desk.slack.fail("files.completeUploadExternal", "internal_error")
    await send(desk)
    [_text], shares = report_posts(desk)
    assert shares == [] and await desk.unfinished_effects() == {"pending": 1}
    await due_now(desk)
    [text], [share] = report_posts(desk)
    assert share.thread_ts == text.ts
    assert len(desk.slack.called("chat.postMessage")) == 1


async def test_a_chart_whose_answer_was_lost_is_found_not_uploaded_again(desk: ServiceDesk):
    # The share landed; Slack's answer did not (a 500): the retry looks in the thread first.
    desk.slack.lose_answer("files.completeUploadExternal")
    await send(desk)
    assert await desk.unfinished_effects() == {"pending": 1}
    await due_now(desk)
    [text], [share] = report_posts(desk)
    assert share.thread_ts == text.ts
    assert len(desk.slack.called("files.completeUploadExternal")) == 1
    assert len(desk.slack.called("chat.postMessage")) == 1
    [look] = desk.slack.called("conversations.replies")
    assert look["ts"] == text.ts


async def test_a_chart_that_cannot_be_made_yet_is_made_on_the_next_try(desk: ServiceDesk):
    charts = Charts(failures=1)
    use_charts(desk, charts)
    await send(desk)
    [_text], shares = report_posts(desk)
    assert shares == [] and await desk.unfinished_effects() == {"pending": 1}
    await due_now(desk)
    [_text], [share] = report_posts(desk)
    assert len(charts.asked) == 2 and share.files[0].name == "attainment-2026-11.png"


async def test_uploads_turned_off_fail_the_report_for_good_after_its_text(desk: ServiceDesk):
    desk.slack.fail("files.completeUploadExternal", "file_uploads_disabled")
    await send(desk)
    [text], shares = report_posts(desk)
    assert "Gold P1" in text.text and shares == []
    desk.expected_failures = 1
    async with desk.services.db.reading() as uow:
        [row] = [r for r in await uow.outbox.all() if r.kind == "report"]
    assert (row.state, row.error) == ("failed", "file_uploads_disabled")


async def test_the_same_key_sends_one_report(desk: ServiceDesk):
    for _ in range(2):
        await desk.services.private_reports.send(
            desk.team, world.MIA, REPORT, CHART, key="report:U0MIA:2026-11:trigger-1"
        )
    await desk.settle()
    posts, shares = report_posts(desk)
    assert len(posts) == 1 and len(shares) == 1
