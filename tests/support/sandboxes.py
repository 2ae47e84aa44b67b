"""The bot over real HTTP against the emulator, with the wall checked: the sandbox fixtures
(re-exported by the end-to-end and reliability conftests) and the checks run after each test."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.config.desk import DeskConfig
from bot.domain.clock import Clock, ManualClock
from bot.sandbox.sandbox import Sandbox
from tests.support import world
from tests.support.slack_spec import check_call

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday
# Mentions that notify a whole channel or group: the bot never means to send one, so one in a
# bot message is somebody's words quoted unescaped.
BROADCAST_MENTION = re.compile(r"<!(?:channel|here|everyone)(?:\|[^>]*)?>|<!subteam\^")


@pytest.fixture
def clock() -> ManualClock:
    """The bot's clock; tests move it instead of waiting."""
    return ManualClock(START)


@asynccontextmanager
async def checked_sandbox(
    config: DeskConfig, clock: Clock | None, database_url: str, **options: Any
) -> AsyncIterator[Sandbox]:
    """A sandbox on the test world (`options` go to Sandbox); on a clean exit the wall and the
    spec are checked."""
    workspace = options.pop("workspace", None) or world.workspace()
    box = Sandbox(config, workspace=workspace, clock=clock, database_url=database_url, **options)
    await box.start()
    try:
        yield box
        assert_wall_held(box)
        assert_no_broadcast_mentions(box)
        assert_calls_match_spec(box)
    finally:
        await box.stop()


@pytest.fixture
def transport(request: pytest.FixtureRequest) -> str:
    """How Slack's requests reach the bot: HTTP, unless a module is marked `BOTH_TRANSPORTS`
    (tests/support/transports.py) to run over HTTP and Socket Mode."""
    return getattr(request, "param", "http")


@pytest.fixture
async def sandbox(clock: ManualClock, database_url: str, transport: str) -> AsyncIterator[Sandbox]:
    """The bot serving the test world (each database engine); wall and spec checked after."""
    async with checked_sandbox(
        world.desk_config(), clock, database_url, transport=transport
    ) as box:
        yield box


def assert_wall_held(box: Sandbox) -> None:
    """Nothing the bot put in a shared channel, or showed a customer, carries internal content
    or a file."""
    pattern = world.internal_pattern()
    leaks = []
    for message in box.emu.shared_channel_messages():
        # Every file the bot sends is internal (reports, charts).
        leaks += [(message.channel_id, f"file {f['name']}") for f in message.files]
        texts = [message.text or "", repr(message.blocks or "")]
        texts += [repr(edit) for edit in getattr(message, "edits", [])]
        for text in texts:
            if pattern.search(text):
                leaks.append((message.channel_id, text[:200]))
    for user in (world.CAROL, world.DAVE, world.IVAN, world.HANK):
        for seen in box.emu.seen_by(user):
            if box.emu.ws.is_app_bot(seen.author_id) and pattern.search(
                seen.raw_text or seen.text or ""
            ):
                leaks.append((seen.channel_id, seen.text[:200]))
            if box.emu.ws.is_app_bot(seen.author_id) and seen.files:
                leaks.append((seen.channel_id, f"files {seen.files}"))
        # Every App Home ever published for them, not only the one they see now.
        for home in box.emu.homes.published(user):
            if pattern.search(json.dumps(home["blocks"])):
                leaks.append((f"App Home of {user}", json.dumps(home["blocks"])[:200]))
    assert not leaks, f"internal content reached customers: {leaks}"


def bot_message_versions(box: Sandbox) -> list[tuple[str, str]]:
    """Every version (text and blocks) of every message the bot sent, and every App Home it
    published: (channel, or "home:" and the person, raw markup)."""
    versions = [
        (f"home:{user}", json.dumps(home["blocks"]))
        for user in box.emu.ws.users
        for home in box.emu.homes.published(user)
    ]
    for message in box.emu.ws.messages:
        if message.user != world.BOT:
            continue
        for version in [{"text": message.text, "blocks": message.blocks}, *message.edits]:
            raw = (version.get("text") or "") + json.dumps(version.get("blocks") or [])
            versions.append((message.channel_id, raw))
    return versions


def assert_no_broadcast_mentions(box: Sandbox) -> None:
    """No bot message, ever, carries an @channel, @here, @everyone or user group mention."""
    found = [
        (channel, match.group(0), raw[:200])
        for channel, raw in bot_message_versions(box)
        for match in BROADCAST_MENTION.finditer(raw)
    ]
    assert not found, f"the bot sent broadcast mentions (quoted unescaped?): {found}"


def assert_calls_match_spec(box: Sandbox) -> None:
    """Every Web API call the bot made exists, with those arguments, in Slack's spec."""
    problems = [p for call in box.emu.calls for p in check_call(call.method, call.params)]
    assert not problems, f"calls outside Slack's Web API spec: {sorted(set(problems))}"
