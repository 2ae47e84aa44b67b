"""The emulator's App Home: views.publish as Slack answers it, opening the Home (an event),
pressing its buttons (block_actions from a view), and the Home in each person's view."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import jsonschema
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator import Emulator, Workspace
from bot.emulator.render import blocks_text
from tests.support.fake_app import SECRET, TOKEN, FakeApp
from tests.support.slack_spec import check_call
from tests.support.specs import SPECS

HOME = {
    "type": "home",
    "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Your open tickets (1)"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*#7* for <@U0ALICE> &lt;!channel&gt;"},
            "fields": [{"type": "mrkdwn", "text": "*Due*\n<!date^1^{time}|15:00 UTC>"}],
        },
        {
            "type": "actions",
            "block_id": "home:7",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Claim"},
                    "action_id": "home_claim",
                    "value": "7",
                }
            ],
        },
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Updated now"}]},
    ],
}


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def field(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """An emulator delivering to a fake app that records every request."""
    emulator = Emulator(Workspace.default(), signing_secret=SECRET, bot_token=TOKEN)
    await emulator.start()
    app = FakeApp()
    emulator.app_url = await app.start()
    emulator.fake_app = app  # type: ignore[attr-defined]
    yield emulator
    await emulator.stop()
    assert app.runner is not None
    await app.runner.cleanup()


def client(emu: Emulator) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=emu.api_url, retry_handlers=[])


async def error(call) -> str:
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value.response["error"]


def last_request(emu: Emulator) -> tuple[dict[str, str], bytes]:
    return emu.fake_app.requests[-1]  # type: ignore[attr-defined]


async def test_views_publish_replaces_the_home_and_answers_the_view(emu: Emulator) -> None:
    web = client(emu)
    first = (await web.views_publish(user_id="U0ALICE", view=HOME))["view"]
    assert first["type"] == "home" and first["id"].startswith("V") and first["hash"]
    assert first["blocks"][0]["text"]["text"] == "Your open tickets (1)"
    assert first["team_id"] == "T0OURTEAM" and first["app_id"] == "A0CONNECTDESK"
    # JSON text works too; each publish replaces the whole Home, under the same view id.
    again = (await web.views_publish(user_id="U0ALICE", view=json.dumps(HOME)))["view"]
    assert again["id"] == first["id"]
    assert [h["id"] for h in emu.homes.published("U0ALICE")] == [first["id"], first["id"]]
    # With the hash of the view it replaces, it goes through; with a stale one it does not.
    assert (await web.views_publish(user_id="U0ALICE", view=HOME, hash=again["hash"]))["ok"]
    stale = web.views_publish(user_id="U0ALICE", view=HOME, hash=first["hash"] + "x")
    assert await error(stale) == "hash_conflict"
    assert not [p for c in emu.calls for p in check_call(c.method, c.params)]


@pytest.mark.parametrize(
    ("user", "view", "code"),
    [
        ("U0NOBODY", HOME, "user_not_found"),
        ("U0ALICE", {**HOME, "type": "modal"}, "invalid_arguments"),
        ("U0ALICE", {"type": "home"}, "invalid_arguments"),
        ("U0ALICE", {"type": "home", "blocks": [{"type": "divider"}] * 101}, "invalid_arguments"),
        ("U0ALICE", "{not json", "invalid_arguments"),
        ("U0ALICE", {"type": "home", "blocks": [section("x" * 3001)]}, "invalid_arguments"),
        (
            "U0ALICE",
            {"type": "home", "blocks": [{**section("x"), "fields": [field("y" * 2001)]}]},
            "invalid_arguments",
        ),
    ],
)
async def test_views_publish_errors_like_slack(
    emu: Emulator, user: str, view: dict | str, code: str
) -> None:
    assert await error(client(emu).views_publish(user_id=user, view=view)) == code
    assert emu.homes.text("U0ALICE") is None


async def test_opening_the_home_sends_app_home_opened_signed(emu: Emulator) -> None:
    delivery = await emu.homes.open("U0ALICE")

    headers, body = last_request(emu)
    assert delivery.status == 200 and SignatureVerifier(SECRET).is_valid_request(body, headers)
    envelope = json.loads(body)
    schema = SPECS / "events-api" / "slack_common_event_wrapper_schema.json"
    jsonschema.validate(envelope, json.loads(schema.read_text()))
    event = envelope["event"]
    assert event["type"] == "app_home_opened" and event["user"] == "U0ALICE"
    assert event["tab"] == "home" and event["channel"].startswith("D") and "view" not in event
    assert envelope["authorizations"][0]["team_id"] == "T0OURTEAM"

    await client(emu).views_publish(user_id="U0ALICE", view=HOME)
    await emu.homes.open("U0ALICE")
    assert json.loads(last_request(emu)[1])["event"]["view"]["type"] == "home"
    await emu.homes.open("U0CAROL", tab="messages")
    event = json.loads(last_request(emu)[1])["event"]
    assert event["tab"] == "messages" and event["user"] == "U0CAROL"


async def test_pressing_a_home_button_sends_block_actions_from_the_view(emu: Emulator) -> None:
    await client(emu).views_publish(user_id="U0ALICE", view=HOME)

    delivery = await emu.homes.press("U0ALICE", "home_claim")

    headers, body = last_request(emu)
    assert delivery.status == 200 and SignatureVerifier(SECRET).is_valid_request(body, headers)
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["type"] == "block_actions" and payload["user"]["id"] == "U0ALICE"
    assert payload["container"] == {
        "type": "view",
        "view_id": emu.homes.published("U0ALICE")[-1]["id"],
    }
    assert payload["view"]["type"] == "home" and payload["trigger_id"]
    assert "channel" not in payload and "response_url" not in payload
    [action] = payload["actions"]
    assert (action["action_id"], action["value"], action["block_id"]) == (
        "home_claim",
        "7",
        "home:7",
    )


async def test_only_a_button_the_home_shows_can_be_pressed(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="no Home"):
        await emu.homes.press("U0ALICE", "home_claim")
    await client(emu).views_publish(user_id="U0ALICE", view=HOME)
    with pytest.raises(ValueError, match="shows no button"):
        await emu.homes.press("U0ALICE", "home_resolve")
    with pytest.raises(ValueError, match="shows no button"):
        await emu.homes.press("U0ALICE", "home_claim", "8")
    with pytest.raises(ValueError, match="no Home"):
        await emu.homes.press("U0BOB", "home_claim")


async def test_the_home_is_in_each_persons_view_as_they_read_it(emu: Emulator) -> None:
    assert emu.homes.text("U0ALICE") is None
    assert "[App Home]" not in emu.transcript("U0ALICE")

    await client(emu).views_publish(user_id="U0ALICE", view=HOME)

    shown = "\n".join(
        [
            "Your open tickets (1)",
            "*#7* for @alice <!channel>",
            "*Due*",
            "15:00 UTC",
            "[Claim]",
            "---",
            "Updated now",
        ]
    )
    assert emu.homes.text("U0ALICE") == shown
    assert emu.transcript("U0ALICE").endswith(
        "[App Home]\n" + "\n".join(f"      {line}" for line in shown.splitlines())
    )
    assert emu.homes.text("U0BOB") is None


def test_blocks_read_as_text_take_accessories_and_skip_what_has_no_words() -> None:
    blocks = [
        {
            "type": "section",
            "text": {"type": "plain_text", "text": "*as typed*"},
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Go"}},
        },
        {"type": "image", "image_url": "https://example.com/x.png", "alt_text": "x"},
    ]
    assert blocks_text(blocks, str.upper) == "*as typed*\n[Go]"
