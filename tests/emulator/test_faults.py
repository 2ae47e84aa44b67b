"""Injected faults: the emulator answers 429 / 500 / slowly and loses acks; the gateway copes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from slack_sdk.web.async_base_client import AsyncBaseClient

from bot.emulator import Channel, Emulator, Faults, Workspace
from bot.messages.customer import receipt_resolved
from bot.slack.gateway import SlackGateway
from bot.slack.http_session import SharedSession
from bot.slack.transport import Transport, make_client
from tests.support.fake_app import SECRET, TOKEN, FakeApp

# The client's two paths: slack_sdk's own (no session) and the lean one (the bot's: a session).
PATHS = ("slack_sdk", "lean")


@pytest.fixture(params=PATHS)
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Which path the client takes; on the lean one, slack_sdk's send path fails the test."""
    if request.param == "lean":

        async def refused(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("the call took slack_sdk's path, not the lean one")

        monkeypatch.setattr(AsyncBaseClient, "_send", refused)
    return request.param


@asynccontextmanager
async def gateway_to(api_url: str, path: str) -> AsyncIterator[SlackGateway]:
    """A gateway whose client takes `path`."""
    client = make_client(TOKEN, api_url)
    if path == "slack_sdk":
        yield SlackGateway(Transport(client))
        return
    async with SharedSession() as session:
        client.session = session
        yield SlackGateway(Transport(client))


async def test_gateway_retries_429_after_retry_after_and_reads_after_5xx_never_posts_blind(
    path: str,
):
    ws = Workspace.default()
    channels = [f"C5{i:04d}" for i in range(6)]
    for cid in channels:
        ws.add_channel(Channel(id=cid, name=cid.lower(), member_ids={ws.bot_user_id}))
    faults = Faults(rate_limited=0.15, server_error=0.2, seed=2)
    async with (
        Emulator(ws, signing_secret=SECRET, bot_token=TOKEN, faults=faults) as emu,
        gateway_to(emu.api_url, path) as gateway,
    ):
        started = time.monotonic()
        sent = await asyncio.gather(
            *(gateway.deliver(cid, receipt_resolved(i)) for i, cid in enumerate(channels))
        )
        # Reads are retried after a 500 (with backoff) until they succeed.
        infos = [await gateway.conversation(cid) for cid in channels]
    posts = emu.calls_to("chat.postMessage")
    limited = [c for c in posts if c.status == 429]
    failed = [c for c in posts if c.status == 500]
    read_failures = [c for c in emu.calls_to("conversations.info") if c.status == 500]
    assert limited and failed and read_failures
    assert all(info is not None for info in infos)
    for i, (cid, result) in enumerate(zip(channels, sent, strict=True)):
        landed = [m.text for m in emu.messages(cid)]
        if result.ts:
            assert landed == [receipt_resolved(i).text]  # once, none doubled
        else:
            # A 500 on a post is not resent blindly: the caller hears "maybe sent" and looks
            # for its key before trying again (the outbox, the broadcaster).
            assert result.uncertain and result.error == "internal_error" and landed == []
    # A 429 said "Retry-After: 1": the next call to that channel came at least a second later.
    for call in limited:
        channel = call.params["channel"]
        later = [c for c in posts if c.params["channel"] == channel and c.at > call.at]
        assert later and later[0].at - call.at >= faults.retry_after
    print(
        f"\n6 posts: {len(limited)} x 429, {len(failed)} x 500 (not resent);"
        f" {len(read_failures)} reads retried after 500; {time.monotonic() - started:.1f}s"
    )


async def test_lost_acks_are_redelivered_with_retry_num_and_the_last_try_spared():
    faults = Faults(event_unacked=1.0, seed=2)
    app = FakeApp()
    emu = Emulator(
        Workspace.default(),
        signing_secret=SECRET,
        bot_token=TOKEN,
        retry_delays=(0.01, 0.01, 0.01),
        faults=faults,
    )
    await emu.start()
    emu.app_url = await app.start()
    try:
        delivery = await emu.deliver_event({"type": "message", "text": "hi", "ts": "1.000001"})
    finally:
        await emu.stop()
        await app.runner.cleanup()
    # Every attempt but the last was faulted; the last one (Slack's 3rd retry) got through.
    assert len(delivery.attempts) == 4 and delivery.status == 200
    retry_nums = [h.get("X-Slack-Retry-Num") for h, _ in app.requests]
    reached = faults.counts["ack_lost"] + 1
    assert len(app.requests) == reached
    assert retry_nums[-1] == "3" and all(n in (None, "1", "2", "3") for n in retry_nums)


async def test_a_proxys_html_502_is_a_retryable_failure_never_a_crash(caplog, path: str):
    ws = Workspace.default()
    channels = [f"C6{i:04d}" for i in range(3)]
    for cid in channels:
        ws.add_channel(Channel(id=cid, name=cid.lower(), member_ids={ws.bot_user_id}))
    # Every call answered by the proxy's page, before Slack did anything; labelled in turn
    # text/html, text/plain and application/json (three different ways into slack_sdk).
    faults = Faults(bad_gateway=1.0, bad_gateway_after_work=0.0)
    caplog.set_level(logging.INFO)
    async with (
        Emulator(ws, signing_secret=SECRET, bot_token=TOKEN, faults=faults) as emu,
        gateway_to(emu.api_url, path) as gateway,
    ):
        sent = [await gateway.deliver(cid, receipt_resolved(1)) for cid in channels]
    # A post is never resent blind after a 502: the caller hears "maybe sent", to look first.
    assert [(d.error, d.uncertain, d.ts) for d in sent] == [("http_502", True, None)] * 3
    assert [c.status for c in emu.calls_to("chat.postMessage")] == [502] * 3
    assert not [m for cid in channels for m in emu.messages(cid)]
    lines = [r.getMessage() for r in caplog.records if r.name == "connectdesk.gateway"]
    assert len(lines) == 3 and all("HTTP 502, not Slack's JSON answer" in line for line in lines)
    # Where slack_sdk kept the body (text/plain; JSON that is not), its start is shown.
    assert sum("<title>502 Bad Gateway</title>" in line for line in lines) == 2
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_reads_answered_by_a_proxys_502_are_retried_until_they_succeed(path: str):
    ws = Workspace.default()
    channels = [f"C7{i:04d}" for i in range(4)]
    for cid in channels:
        ws.add_channel(Channel(id=cid, name=cid.lower(), member_ids={ws.bot_user_id}))
    faults = Faults(bad_gateway=0.4, seed=1)
    # The first page is labelled application/json (slack_sdk fails before it has a response,
    # so only the error tells the retry handler it was a 502), the next text/html.
    faults.counts["bad_gateway"] = 2
    async with (
        Emulator(ws, signing_secret=SECRET, bot_token=TOKEN, faults=faults) as emu,
        gateway_to(emu.api_url, path) as gateway,
    ):
        infos = [await gateway.conversation(cid) for cid in channels]
    assert [info["id"] for info in infos if info] == channels
    answers = [c.status for c in emu.calls_to("conversations.info")]
    assert answers.count(502) == faults.counts["bad_gateway"] - 2 >= 2
    assert answers.count(200) == len(channels)
