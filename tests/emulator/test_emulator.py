"""The emulator behaves like Slack where the bot depends on it: signing, retries, 429s, views."""

from __future__ import annotations

import asyncio
import json
import time

import jsonschema
import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator import Emulator, Workspace
from tests.support.slack_spec import NEWER_THAN_SPEC, known_methods
from tests.support.specs import SPECS

SECRET, TOKEN = "emu-secret", "xoxb-emu"


class FakeApp:
    """A minimal app endpoint that records what it receives and answers as told."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.delay = 0.0
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.read()))
        await asyncio.sleep(self.delay)
        return web.Response(status=self.status, text="")

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/slack/events", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}/slack/events"


@pytest.fixture
async def emu():
    emulator = Emulator(
        Workspace.default(),
        signing_secret=SECRET,
        bot_token=TOKEN,
        retry_delays=(0.01, 0.01, 0.01),
        ack_timeout=0.3,
    )
    await emulator.start()
    app = FakeApp()
    emulator.app_url = await app.start()
    emulator.fake_app = app  # type: ignore[attr-defined]
    yield emulator
    await emulator.stop()
    await app.runner.cleanup()


async def test_deliveries_are_signed_like_slack(emu: Emulator):
    delivery = await emu.post_message("U0CAROL", "C0SHARED1", "hello")
    headers, body = emu.fake_app.requests[-1]  # type: ignore[attr-defined]
    assert delivery.status == 200 and delivery.attempts == [200]
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)


async def test_envelopes_match_slacks_event_wrapper_schema(emu: Emulator):
    schema = json.loads(
        (SPECS / "events-api" / "slack_common_event_wrapper_schema.json").read_text()
    )
    await emu.post_message("U0CAROL", "C0SHARED1", "hello")
    await emu.join_channel("U0BOT", "C0SHARED1")
    bodies = [json.loads(body) for _headers, body in emu.fake_app.requests]  # type: ignore[attr-defined]
    assert len(bodies) >= 2
    for body in bodies:
        jsonschema.validate(body, schema)
    message = bodies[0]["event"]
    assert message["user_team"] == "T0CUSTOMER" and bodies[0]["is_ext_shared_channel"] is True


async def test_unacknowledged_events_are_retried_with_retry_num(emu: Emulator):
    emu.fake_app.status = 500  # type: ignore[attr-defined]
    delivery = await emu.post_message("U0CAROL", "C0SHARED1", "hello")
    assert delivery.attempts == [500, 500, 500, 500]
    retry_nums = [h.get("X-Slack-Retry-Num") for h, _ in emu.fake_app.requests]  # type: ignore
    assert retry_nums == [None, "1", "2", "3"]
    emu.fake_app.status, emu.fake_app.delay = 200, 0.5  # type: ignore[attr-defined]
    slow = await emu.post_message("U0CAROL", "C0SHARED1", "again")
    assert slow.attempts == ["timeout"] * 4
    assert emu.fake_app.requests[-1][0]["X-Slack-Retry-Reason"] == "http_timeout"  # type: ignore


async def test_rate_limits_answer_429_with_retry_after(emu: Emulator):
    emu.limits.set("chat.postMessage", per_channel_per_second=1)
    client = AsyncWebClient(token=TOKEN, base_url=emu.api_url, retry_handlers=[])
    await client.chat_postMessage(channel="C0SHARED1", text="one")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C0SHARED1", text="two")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "1"
    assert err.value.response["error"] == "ratelimited"
    await client.chat_postMessage(channel="C0INTERNAL", text="other channel is fine")
    await asyncio.sleep(1.05)
    await client.chat_postMessage(channel="C0SHARED1", text="paced")
    assert emu.rate_limited == 1


async def test_workspace_limit(emu: Emulator):
    emu.limits.set("chat.postMessage", workspace_per_minute=2)
    client = AsyncWebClient(token=TOKEN, base_url=emu.api_url, retry_handlers=[])
    await client.chat_postMessage(channel="C0SHARED1", text="1")
    await client.chat_postMessage(channel="C0INTERNAL", text="2")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C0ESCALATE", text="3")
    assert 55 <= int(err.value.response.headers["Retry-After"]) <= 60


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_errors_like_slack(emu: Emulator):
    client = AsyncWebClient(token=TOKEN, base_url=emu.api_url, retry_handlers=[])
    for call, code in [
        (client.chat_postMessage(channel="C0NOPE", text="x"), "channel_not_found"),
        (client.chat_postMessage(channel="C0SHARED1"), "no_text"),
        (client.chat_update(channel="C0SHARED1", ts="1.2", text="x"), "message_not_found"),
        (client.users_info(user="U0NOPE"), "user_not_found"),
        (AsyncWebClient(token="xoxb-wrong", base_url=emu.api_url).auth_test(), "invalid_auth"),
    ]:
        with pytest.raises(SlackApiError) as err:
            await call
        assert err.value.response["error"] == code


async def test_seen_by_tells_who_saw_what(emu: Emulator):
    client = AsyncWebClient(token=TOKEN, base_url=emu.api_url)
    root = await emu.post_message("U0CAROL", "C0SHARED1", "help please")
    await client.chat_postMessage(channel="C0SHARED1", thread_ts=root.ts, text="on it <@U0ALICE>")
    await client.chat_postEphemeral(channel="C0SHARED1", user="U0ALICE", text="psst")
    await client.chat_postMessage(channel="U0MIA", text="a DM for mia")
    carol = emu.seen_by("U0CAROL")
    assert [(s.author_name, s.text, s.kind) for s in carol] == [
        ("carol", "help please", "message"),
        ("connectdesk", "on it @alice", "message"),
    ]
    assert carol[1].thread_ts == root.ts
    assert [s.text for s in emu.seen_by("U0ALICE") if s.kind == "ephemeral"] == ["psst"]
    assert [(s.text, s.kind) for s in emu.seen_by("U0MIA")] == [("a DM for mia", "dm")]
    assert "[#acme-support] (thread) connectdesk: on it @alice" in emu.transcript("U0CAROL")
    shared = [m.text for m in emu.shared_channel_messages()]
    assert shared == ["on it <@U0ALICE>", "psst"]


async def test_bot_posts_are_echoed_as_events(emu: Emulator):
    client = AsyncWebClient(token=TOKEN, base_url=emu.api_url)
    await client.chat_postMessage(channel="C0SHARED1", text="from the bot")
    await emu.wait_for(lambda: emu.fake_app.requests)  # type: ignore[attr-defined]
    assert b'"bot_id": "B0BOT"' in emu.fake_app.requests[-1][1]  # type: ignore[attr-defined]


def test_every_emulated_method_is_in_slacks_spec():
    emulator = Emulator(Workspace.default(), signing_secret=SECRET, bot_token=TOKEN)
    missing = set(emulator.api.methods) - known_methods() - set(NEWER_THAN_SPEC)
    assert not missing


def test_timestamps_are_unique_and_increasing():
    ws = Workspace.default()
    stamps = [ws.next_ts() for _ in range(1000)]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 1000
    assert abs(float(stamps[0]) - time.time()) < 5
