"""Links to customer messages: built from the workspace's address as chat.getPermalink answers
them, without a call per link; asked of Slack where the address is not known."""

from __future__ import annotations

from bot.emulator import Channel, Emulator, Workspace
from bot.slack.gateway import Identity, SlackGateway
from bot.slack.transport import Transport, make_client
from tests.support.fake_app import SECRET, TOKEN
from tests.support.fake_slack import FakeSlack


def fake_slack() -> FakeSlack:
    return FakeSlack(team_id="T0VENDOR", bot_user_id="U0BOT", bot_id="B0BOT", users={}, channels={})


async def test_links_built_by_the_gateway_are_those_slack_answers_for_roots_and_replies():
    ws = Workspace.default()
    ws.add_channel(Channel(id="C0SHARED", name="shared", member_ids={ws.bot_user_id}))
    async with Emulator(ws, signing_secret=SECRET, bot_token=TOKEN) as emu:
        root = emu.prepare_message(ws.bot_user_id, "C0SHARED", "Exports are delayed")
        reply = emu.prepare_message(ws.bot_user_id, "C0SHARED", "ETA?", thread_ts=root.ts)
        client = make_client(TOKEN, emu.api_url)
        asked = [
            (await client.chat_getPermalink(channel="C0SHARED", message_ts=ts))["permalink"]
            for ts in (root.ts, reply.ts)
        ]
        before = len(emu.calls_to("chat.getPermalink"))
        gateway = SlackGateway(Transport(client))
        built = [
            await gateway.permalink("C0SHARED", root.ts),
            await gateway.permalink("C0SHARED", reply.ts, root.ts),
        ]
        again = await gateway.permalink("C0SHARED", root.ts, root.ts)  # a root is its thread
        calls = {m: len(emu.calls_to(m)) for m in ("chat.getPermalink", "auth.test")}
    assert built == asked and again == asked[0]
    assert "?thread_ts=" in asked[1] and "?" not in asked[0]
    assert calls == {"chat.getPermalink": before, "auth.test": 1}  # one auth.test for all


async def test_a_gateway_told_its_address_asks_nothing_for_links():
    ws = Workspace.default()
    ws.add_channel(Channel(id="C0SHARED", name="shared", member_ids={ws.bot_user_id}))
    async with Emulator(ws, signing_secret=SECRET, bot_token=TOKEN) as emu:
        me = Identity("T0VENDOR", ws.bot_user_id, None, url="https://vendor.slack.com")
        gateway = SlackGateway(Transport(make_client(TOKEN, emu.api_url)), identity=me)
        link = await gateway.permalink("C0SHARED", "1700000000.000100")
        called = [c.method for c in emu.calls]
    assert link == "https://vendor.slack.com/archives/C0SHARED/p1700000000000100"
    assert called == []


async def test_without_the_workspaces_address_links_are_asked_of_slack_and_remembered():
    slack = fake_slack()  # its auth.test names no url
    gateway = SlackGateway(Transport(slack))  # type: ignore[arg-type]
    first = await gateway.permalink("C0SHARED", "1700000000.000100")
    second = await gateway.permalink("C0SHARED", "1700000000.000100")
    assert first == second == "https://fake.slack.test/archives/C0SHARED/p1700000000.000100"
    assert len(slack.called("chat.getPermalink")) == 1
    assert len(slack.called("auth.test")) == 1


async def test_an_org_wide_install_asks_slack_for_links():
    # Its messages live in many workspaces: the org's address would not open them.
    slack = fake_slack()
    me = Identity("E0ORG", "U0BOT", None, enterprise_id="E0ORG", url=None)
    gateway = SlackGateway(Transport(slack), identity=me)  # type: ignore[arg-type]
    await gateway.permalink("C0SHARED", "1700000000.000100")
    assert len(slack.called("chat.getPermalink")) == 1
