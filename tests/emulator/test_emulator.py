"""The emulator behaves like Slack where the bot depends on it: signing, retries, 429s, views."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import jsonschema
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.clock import ManualClock
from bot.emulator import Channel, Emulator, StoredMessage, Workspace
from tests.support.fake_app import SECRET, TOKEN, FakeApp
from tests.support.slack_spec import NEWER_THAN_SPEC, known_methods
from tests.support.specs import SPECS


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
    lines = emu.transcript("U0CAROL").splitlines()
    assert lines[0].endswith(" [#acme-support] carol: help please")
    assert lines[1].startswith("      ") and lines[1].endswith(
        " (thread) connectdesk: on it @alice"
    )
    shared = [m.text for m in emu.shared_channel_messages()]
    assert shared == ["on it <@U0ALICE>", "psst"]


async def test_transcript_tells_each_version_at_the_clocks_time():
    """First versions, then edits (changed lines only when some stayed), replies under their
    parent, reactions with who, markup as read; times from the clock, not the wall."""
    clock = ManualClock(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    async with Emulator(
        Workspace.default(), signing_secret=SECRET, bot_token=TOKEN, clock=clock
    ) as emu:
        client = AsyncWebClient(token=TOKEN, base_url=emu.api_url)
        root = emu.ws.store(StoredMessage("C0SHARED1", emu.ws.next_ts(), "U0CAROL", "a &lt;b&gt;"))
        clock.advance(timedelta(minutes=1))
        receipt = await client.chat_postMessage(
            channel="C0SHARED1", thread_ts=root.ts, text="ticket *#1*, <@U0ALICE> in <#C0SHARED1>"
        )
        await client.reactions_add(channel="C0SHARED1", timestamp=root.ts, name="eyes")
        emu.ws.find("C0SHARED1", root.ts).reactions["eyes"].append("U0DAVE")
        clock.advance(timedelta(minutes=6))
        await client.chat_update(channel="C0SHARED1", ts=receipt["ts"], text="ticket *#1*: on it")
        await client.chat_update(channel="C0SHARED1", ts=receipt["ts"], text="ticket *#1*: on it")
        notice = await client.chat_postMessage(channel="C0SHARED1", text="Title\nStatus: open\nBye")
        clock.advance(timedelta(hours=2))
        await client.chat_update(
            channel="C0SHARED1", ts=notice["ts"], text="Title\nStatus: <!here> fixed\nBye"
        )
        when = int(datetime(2026, 11, 23, 16, 0, tzinfo=UTC).timestamp())
        await client.chat_postMessage(
            channel="C0SHARED1", thread_ts=root.ts, text=f"due <!date^{when}^{{time}}|16:00 UTC>"
        )
        assert emu.transcript("U0CAROL") == "\n".join(
            [
                "14:00 [#acme-support] carol: a <b>  [:eyes: by connectdesk, dave]",
                "      14:01 (thread) connectdesk: ticket *#1*, @alice in #acme-support",
                "            ↳ edited at 14:07: ticket *#1*: on it",
                "      16:07 (thread) connectdesk: due 16:00 UTC",
                "14:07 [#acme-support] connectdesk: Title",
                "      Status: open",
                "      Bye",
                "      ↳ edited at 16:07, changed lines: Status: @here fixed",
            ]
        )


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


def _client(emu: Emulator) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=emu.api_url, retry_handlers=[])


async def _error(call) -> str:
    with pytest.raises(SlackApiError) as err:
        await call
    return err.value.response["error"]


async def test_metadata_is_stored_and_returned_only_when_asked_for(emu: Emulator):
    client = _client(emu)
    meta = {"event_type": "ticket_opened", "event_payload": {"ticket": 42, "sla": "p1"}}
    posted = await client.chat_postMessage(channel="C0SHARED1", text="Ticket #42", metadata=meta)
    # Form-encoded callers send metadata as a JSON string.
    form = await client.api_call(
        "chat.postMessage",
        data={
            "channel": "C0SHARED1",
            "text": "Ticket #43",
            "metadata": json.dumps({"event_type": "ticket_opened", "event_payload": {"t": 43}}),
        },
    )
    assert emu.message("C0SHARED1", posted["ts"]).metadata == meta
    assert emu.message("C0SHARED1", form["ts"]).metadata == {
        "event_type": "ticket_opened",
        "event_payload": {"t": 43},
    }
    plain = await client.conversations_history(channel="C0SHARED1")
    assert [m["text"] for m in plain["messages"]] == ["Ticket #43", "Ticket #42"]
    assert all("metadata" not in m for m in plain["messages"])
    full = await client.conversations_history(channel="C0SHARED1", include_all_metadata=True)
    assert full["messages"][1]["metadata"] == meta
    replies = await client.conversations_replies(
        channel="C0SHARED1", ts=posted["ts"], include_all_metadata=True
    )
    assert replies["messages"][0]["metadata"] == meta
    bare = await client.conversations_replies(channel="C0SHARED1", ts=posted["ts"])
    assert "metadata" not in bare["messages"][0]
    assert (
        await _error(
            client.chat_postMessage(channel="C0SHARED1", text="x", metadata={"event_type": "t"})
        )
        == "invalid_metadata_schema"
    )
    assert (
        await _error(
            client.api_call(
                "chat.postMessage", data={"channel": "C0SHARED1", "text": "x", "metadata": "{nope"}
            )
        )
        == "invalid_metadata_format"
    )


async def test_history_lists_top_level_messages_newest_first(emu: Emulator):
    client = _client(emu)
    root = await emu.post_message("U0CAROL", "C0SHARED1", "first question")
    await client.chat_postMessage(channel="C0SHARED1", thread_ts=root.ts, text="on it")
    await emu.post_message("U0DAVE", "C0SHARED1", "me too", thread_ts=root.ts)
    await client.chat_postEphemeral(channel="C0SHARED1", user="U0ALICE", text="psst")
    second = await emu.post_message("U0DAVE", "C0SHARED1", "second question")
    gone = await emu.post_message("U0DAVE", "C0SHARED1", "oops")
    await emu.delete_message("U0DAVE", "C0SHARED1", gone.ts)
    third = await client.chat_postMessage(channel="C0SHARED1", text="announcement")

    history = await client.conversations_history(channel="C0SHARED1")
    texts = [m["text"] for m in history["messages"]]
    assert texts == ["announcement", "second question", "first question"]
    assert history["has_more"] is False
    assert history["response_metadata"]["next_cursor"] == ""
    parent = history["messages"][2]
    assert parent["thread_ts"] == root.ts and parent["reply_count"] == 2
    assert parent["reply_users"] == ["U0BOT", "U0DAVE"] and parent["user"] == "U0CAROL"
    assert history["messages"][0]["bot_id"] == "B0BOT"

    pages, cursor = [], None
    while True:
        page = await client.conversations_history(channel="C0SHARED1", limit=2, cursor=cursor)
        pages.append([m["ts"] for m in page["messages"]])
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] is bool(cursor)
        if not cursor:
            break
    assert pages == [[third["ts"], second.ts], [root.ts]]

    window = await client.conversations_history(
        channel="C0SHARED1", oldest=root.ts, latest=third["ts"]
    )
    assert [m["ts"] for m in window["messages"]] == [second.ts]
    inclusive = await client.conversations_history(
        channel="C0SHARED1", oldest=root.ts, latest=third["ts"], inclusive=True
    )
    assert [m["ts"] for m in inclusive["messages"]] == [third["ts"], second.ts, root.ts]


async def test_history_and_replies_errors_like_slack(emu: Emulator):
    client = _client(emu)
    emu.ws.add_channel(Channel("C0NOBOT", "random", False, {"U0ALICE"}))
    emu.ws.add_channel(Channel("G0SECRET", "secret", False, {"U0ALICE"}, is_private=True))
    assert await _error(client.conversations_history(channel="C0NOPE")) == "channel_not_found"
    assert await _error(client.conversations_history(channel="C0NOBOT")) == "not_in_channel"
    assert await _error(client.conversations_history(channel="G0SECRET")) == "channel_not_found"
    assert (
        await _error(client.conversations_history(channel="C0SHARED1", cursor="not-a-cursor"))
        == "invalid_cursor"
    )
    assert (
        await _error(client.conversations_replies(channel="C0SHARED1", ts="1.000001"))
        == "thread_not_found"
    )
    assert (
        await _error(client.conversations_replies(channel="C0NOBOT", ts="1.000001"))
        == "not_in_channel"
    )


async def test_replies_lead_with_the_parent_then_oldest_first(emu: Emulator):
    client = _client(emu)
    root = await emu.post_message("U0CAROL", "C0SHARED1", "help")
    first = await client.chat_postMessage(channel="C0SHARED1", thread_ts=root.ts, text="r1")
    second = await emu.post_message("U0CAROL", "C0SHARED1", "r2", thread_ts=root.ts)
    third = await client.chat_postMessage(channel="C0SHARED1", thread_ts=root.ts, text="r3")
    await emu.post_message("U0CAROL", "C0SHARED1", "unrelated")

    thread = await client.conversations_replies(channel="C0SHARED1", ts=root.ts)
    assert [m["text"] for m in thread["messages"]] == ["help", "r1", "r2", "r3"]
    assert thread["messages"][0]["reply_count"] == 3
    assert thread["messages"][0]["latest_reply"] == third["ts"]
    assert all(m["thread_ts"] == root.ts for m in thread["messages"])
    # Any message of the thread stands for the whole thread.
    via_reply = await client.conversations_replies(channel="C0SHARED1", ts=second.ts)
    assert [m["ts"] for m in via_reply["messages"]] == [m["ts"] for m in thread["messages"]]

    page1 = await client.conversations_replies(channel="C0SHARED1", ts=root.ts, limit=2)
    assert [m["text"] for m in page1["messages"]] == ["help", "r1"] and page1["has_more"]
    page2 = await client.conversations_replies(
        channel="C0SHARED1", ts=root.ts, limit=2, cursor=page1["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in page2["messages"]] == ["r2", "r3"] and not page2["has_more"]

    later = await client.conversations_replies(channel="C0SHARED1", ts=root.ts, oldest=first["ts"])
    assert [m["text"] for m in later["messages"]] == ["help", "r2", "r3"]

    assert [m.text for m in emu.thread("C0SHARED1", root.ts)] == ["help", "r1", "r2", "r3"]
    carol = emu.seen_by("U0CAROL", "C0SHARED1", thread_ts=root.ts)
    assert [(s.author_name, s.text, s.thread_ts) for s in carol] == [
        ("carol", "help", None),
        ("connectdesk", "r1", root.ts),
        ("carol", "r2", root.ts),
        ("connectdesk", "r3", root.ts),
    ]


MODAL = {
    "type": "modal",
    "callback_id": "new_ticket",
    "private_metadata": json.dumps({"channel": "C0SHARED1"}),
    "title": {"type": "plain_text", "text": "New ticket"},
    "submit": {"type": "plain_text", "text": "Open"},
    "blocks": [
        {
            "type": "input",
            "block_id": "subject",
            "label": {"type": "plain_text", "text": "Subject"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        },
        {
            "type": "input",
            "block_id": "priority",
            "label": {"type": "plain_text", "text": "Priority"},
            "element": {
                "type": "static_select",
                "action_id": "choice",
                "options": [
                    {"text": {"type": "plain_text", "text": "Urgent"}, "value": "p1"},
                    {"text": {"type": "plain_text", "text": "Normal"}, "value": "p3"},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "details",
            "optional": True,
            "label": {"type": "plain_text", "text": "Details"},
            "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
        },
    ],
}


async def _trigger(emu: Emulator, user_id: str = "U0ALICE") -> str:
    await emu.slash_command(user_id, "C0INTERNAL", "new")
    _headers, body = emu.fake_app.requests[-1]  # type: ignore[attr-defined]
    return parse_qs(body.decode())["trigger_id"][0]


async def test_views_open_needs_a_fresh_trigger_and_records_the_view(emu: Emulator):
    client = _client(emu)
    trigger = await _trigger(emu)
    assert trigger != await _trigger(emu)
    opened = await client.views_open(trigger_id=trigger, view=MODAL)
    view = opened["view"]
    assert view["id"].startswith("V") and view["callback_id"] == "new_ticket"
    assert view["private_metadata"] == MODAL["private_metadata"]
    assert view["state"] == {"values": {}} and view["root_view_id"] == view["id"]
    assert [v["id"] for v in emu.views_opened("U0ALICE")] == [view["id"]]
    assert emu.views_opened("U0BOB") == []
    # A JSON string works as well as an object, with a trigger from a button press.
    posted = await client.chat_postMessage(channel="C0INTERNAL", text="ticket")
    await emu.click_button("U0BOB", "C0INTERNAL", posted["ts"], "edit", "1")
    button = json.loads(parse_qs(emu.fake_app.requests[-1][1].decode())["payload"][0])  # type: ignore
    as_text = await client.views_open(trigger_id=button["trigger_id"], view=json.dumps(MODAL))
    assert [v["id"] for v in emu.views_opened("U0BOB")] == [as_text["view"]["id"]]
    assert as_text["view"]["id"] != view["id"]

    assert await _error(client.views_open(trigger_id=trigger, view=MODAL)) == (
        "exchanged_trigger_id"
    )
    assert await _error(client.views_open(trigger_id="1.2.abc", view=MODAL)) == (
        "invalid_trigger_id"
    )
    emu.api.trigger_ttl = 0.05
    stale = await _trigger(emu)
    await asyncio.sleep(0.1)
    assert await _error(client.views_open(trigger_id=stale, view=MODAL)) == "expired_trigger_id"


async def test_submit_view_delivers_a_signed_view_submission(emu: Emulator):
    client = _client(emu)
    view = (await client.views_open(trigger_id=await _trigger(emu), view=MODAL))["view"]
    errors = {"response_action": "errors", "errors": {"subject": "Too short"}}
    emu.fake_app.reply = json.dumps(errors)  # type: ignore[attr-defined]
    delivery = await emu.submit_view(
        "U0ALICE",
        view["id"],
        {
            "subject": {"value": {"type": "plain_text_input", "value": "VPN down"}},
            "priority": {"choice": {"type": "static_select", "selected_option": {"value": "p1"}}},
        },
    )
    assert delivery.status == 200 and json.loads(delivery.response_body) == errors
    headers, body = emu.fake_app.requests[-1]  # type: ignore[attr-defined]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["type"] == "view_submission"
    assert payload["user"] == {
        "id": "U0ALICE",
        "username": "alice",
        "name": "alice",
        "team_id": "T0OURTEAM",
    }
    assert payload["team"] == {"id": "T0OURTEAM", "domain": "t0ourteam"}
    assert payload["is_enterprise_install"] is False and payload["enterprise"] is None
    assert payload["api_app_id"] == "A0CONNECTDESK" and payload["trigger_id"]
    submitted = payload["view"]
    chosen = submitted["state"]["values"]["priority"]["choice"]["selected_option"]
    assert chosen["text"]["text"] == "Urgent"
    assert submitted["id"] == view["id"] and submitted["callback_id"] == "new_ticket"
    assert submitted["private_metadata"] == MODAL["private_metadata"]
    assert submitted["state"]["values"] == {
        "subject": {"value": {"type": "plain_text_input", "value": "VPN down"}},
        "priority": {
            "choice": {
                "type": "static_select",
                "selected_option": MODAL["blocks"][1]["element"]["options"][0],
            }
        },
        "details": {"value": {"type": "plain_text_input", "value": None}},
    }
    with pytest.raises(ValueError):
        await emu.submit_view("U0BOB", view["id"], {})
    with pytest.raises(ValueError):
        await emu.submit_view("U0ALICE", view["id"], {"nope": {"x": {"value": "1"}}})


async def test_workspace_limit_on_a_short_window(emu: Emulator):
    emu.limits.set("chat.postMessage", workspace_calls=2, workspace_window_seconds=0.5)
    client = _client(emu)
    await client.chat_postMessage(channel="C0SHARED1", text="1")
    await client.chat_postMessage(channel="C0INTERNAL", text="2")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C0ESCALATE", text="3")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "1"
    await asyncio.sleep(0.55)
    await client.chat_postMessage(channel="C0ESCALATE", text="3 again")
    await client.chat_update(channel="C0SHARED1", ts=emu.messages("C0SHARED1")[0].ts, text="x")
    assert emu.rate_limited_calls("chat.postMessage") == 1
    assert emu.rate_limited_calls("chat.update") == 0 and emu.rate_limited == 1
    accepted = [c.at for c in emu.calls_to("chat.postMessage") if c.status == 200]
    assert len(accepted) == 3 and accepted == sorted(accepted)
    assert accepted[2] - accepted[0] >= 0.5 and abs(accepted[2] - time.time()) < 5


async def test_workspace_window_and_per_minute_rules_both_apply(emu: Emulator):
    emu.limits.set(
        "chat.postMessage", workspace_per_minute=3, workspace_calls=5, workspace_window_seconds=10
    )
    client = _client(emu)
    for n in range(3):
        await client.chat_postMessage(channel="C0SHARED1", text=str(n))
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C0SHARED1", text="4th")
    assert 55 <= int(err.value.response.headers["Retry-After"]) <= 60
    assert emu.rate_limited_calls("chat.postMessage") == 1
