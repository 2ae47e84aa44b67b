"""Held Web API calls: paused after the work (landed) or instead of it (lost), one call each."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator import Channel, Emulator, Workspace

TOKEN, SECRET = "xoxb-hold-test", "hold-test-secret"
ROOM = "C0HOLD"


def _workspace() -> Workspace:
    ws = Workspace.default()
    ws.add_channel(Channel(id=ROOM, name="hold", member_ids={ws.bot_user_id}))
    return ws


async def test_a_landed_hold_records_the_message_and_holds_only_the_answer():
    async with Emulator(_workspace(), signing_secret=SECRET, bot_token=TOKEN) as emu:
        client = AsyncWebClient(token=TOKEN, base_url=emu.api_url)
        hold = emu.hold("chat.postMessage", channel=ROOM, text_contains="held", landed=True)
        other = await client.chat_postMessage(channel=ROOM, text="not this one")
        post = asyncio.create_task(client.chat_postMessage(channel=ROOM, text="the held one"))
        caught = await hold.reached(5)
        assert caught["text"] == "the held one"
        assert [m.text for m in emu.messages(ROOM)] == ["not this one", "the held one"]
        assert not post.done()
        hold.release()
        answer = await post
        assert answer["ok"] and answer["ts"] != other["ts"]
        # One call per hold: the next matching post goes straight through.
        await client.chat_postMessage(channel=ROOM, text="held no more")
        assert [m.text for m in emu.messages(ROOM)][-1] == "held no more"


async def test_a_lost_hold_never_records_the_message():
    async with Emulator(_workspace(), signing_secret=SECRET, bot_token=TOKEN) as emu:
        client = AsyncWebClient(token=TOKEN, base_url=emu.api_url, retry_handlers=[])
        hold = emu.hold("chat.postMessage", channel=ROOM, landed=False)
        post = asyncio.create_task(client.chat_postMessage(channel=ROOM, text="lost on the way"))
        await hold.reached(5)
        hold.release()
        with pytest.raises(SlackApiError) as refused:
            await post
        assert refused.value.response.status_code == 500
        assert emu.messages(ROOM) == []
