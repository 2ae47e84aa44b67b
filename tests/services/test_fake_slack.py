"""The fake Slack itself: its checks must be able to fail, or the service tests prove nothing."""

from __future__ import annotations

import pytest

from tests.support import world
from tests.support.fake_slack import dm_channel
from tests.support.service_desk import world_slack


async def test_the_wall_check_sees_internal_words_in_a_shared_channel() -> None:
    slack = world_slack()
    posted = await slack.chat_postMessage(channel=world.GLOBEX_SHARED, text="Hello")
    assert slack.leaks(world.internal_pattern()) == []
    await slack.chat_update(channel=world.GLOBEX_SHARED, ts=posted["ts"], text="tier: strategic")
    await slack.chat_postMessage(channel=world.GLOBEX_INTERNAL, text="strategic account")
    assert slack.leaks(world.internal_pattern()) == [(world.GLOBEX_SHARED, "tier: strategic")]


async def test_what_each_person_sees() -> None:
    slack = world_slack()
    shared = await slack.chat_postMessage(channel=world.GLOBEX_SHARED, text="to customers")
    await slack.chat_postMessage(channel=world.GLOBEX_INTERNAL, text="to the team")
    await slack.chat_postMessage(channel=world.MIA, text="to Mia")
    reply = await slack.chat_postMessage(
        channel=world.GLOBEX_SHARED, text="in the thread", thread_ts=shared["ts"]
    )
    assert [p.text for p in slack.seen_by(world.CAROL)] == ["to customers", "in the thread"]
    assert [p.text for p in slack.seen_by(world.MIA)] == ["to the team", "to Mia"]
    assert [p.channel for p in slack.dms_to(world.MIA)] == [dm_channel(world.MIA)]
    assert [p.ts for p in slack.thread(world.GLOBEX_SHARED, shared["ts"])] == [reply["ts"]]
    assert [p.text for p in slack.in_channel(world.GLOBEX_SHARED)] == ["to customers"]


async def test_errors_answer_like_slack() -> None:
    slack = world_slack()
    slack.fail("chat.postMessage", "ratelimited")
    with pytest.raises(Exception, match="ratelimited"):
        await slack.chat_postMessage(channel=world.GLOBEX_SHARED, text="x")
    posted = await slack.chat_postMessage(channel=world.GLOBEX_SHARED, text="x")
    await slack.reactions_add(channel=world.GLOBEX_SHARED, timestamp=posted["ts"], name="eyes")
    with pytest.raises(Exception, match="already_reacted"):
        await slack.reactions_add(channel=world.GLOBEX_SHARED, timestamp=posted["ts"], name="eyes")
    with pytest.raises(Exception, match="channel_not_found"):
        await slack.chat_postMessage(channel="C0NOWHERE", text="x")
