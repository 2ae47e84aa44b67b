"""Hostile and broken requests at the HTTP edge: clear status codes, nothing lost, no crash."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import aiohttp

from bot.sandbox.sandbox import Sandbox
from tests.support import world as w
from tests.support.actions import desk, open_ticket


def _event_body(text: str = "hello", channel: str = w.GLOBEX_SHARED) -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": w.VENDOR,
            "event_id": "EvBAD1",
            "event_time": 1,
            "authorizations": [{"team_id": w.VENDOR, "user_id": w.BOT, "is_bot": True}],
            "event": {
                "type": "message",
                "channel": channel,
                "user": w.CAROL,
                "text": text,
                "ts": "1700000000.000001",
                "user_team": w.GLOBEX_ORG,
            },
        }
    ).encode()


async def test_bad_signature_is_401_and_changes_nothing(sandbox: Sandbox):
    body = _event_body("our API is down")
    headers = sandbox.emu.sign(body)
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    delivery = await sandbox.emu.deliver_raw(body, headers)
    assert delivery.status == 401
    unsigned = await sandbox.emu.deliver_raw(body, {})
    assert unsigned.status == 401
    async with sandbox.desk.db.unit_of_work() as uow:
        assert await uow.tickets.count_open(w.VENDOR) == 0


async def test_stale_timestamp_is_401(sandbox: Sandbox):
    body = _event_body("our API is down")
    stale = sandbox.emu.sign(body, timestamp=int(time.time()) - 6 * 60)
    assert (await sandbox.emu.deliver_raw(body, stale)).status == 401
    fresh = sandbox.emu.sign(body, timestamp=int(time.time()) - 4 * 60)
    assert (await sandbox.emu.deliver_raw(body, fresh)).status == 200


async def test_malformed_bodies_are_400_never_500(sandbox: Sandbox):
    cases = [
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (urlencode({"payload": "[]"}).encode(), "application/x-www-form-urlencoded"),
        (b"", "application/x-www-form-urlencoded"),
    ]
    for body, content_type in cases:
        headers = (
            sandbox.emu.sign(body)
            if body != b"\xff\xfe\x00"
            else {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"}
        )
        delivery = await sandbox.emu.deliver_raw(body, headers, content_type=content_type)
        assert delivery.status in (400, 401), (body, delivery.status, delivery.response_body)
    # Well-formed JSON with fields of the wrong types: acknowledged, ignored, no ticket.
    odd = json.dumps(
        {
            "type": "event_callback",
            "event_id": "EvODD",
            "team_id": 5,
            "event": {
                "type": "message",
                "channel": ["x"],
                "user": {"a": 1},
                "text": 42,
                "ts": None,
            },
        }
    ).encode()
    delivery = await sandbox.emu.deliver_raw(odd, sandbox.emu.sign(odd))
    assert delivery.status == 200
    # And the bot still works afterwards.
    await open_ticket(sandbox, "Are you still there? our export is still stuck")


async def test_health_endpoint(sandbox: Sandbox):
    url = sandbox.emu.app_url.replace("/slack/events", "/healthz")
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert (await response.json()) == {"ok": True}


async def test_unknown_ticket_user_and_channel_get_clear_messages(sandbox: Sandbox):
    assert "There is no ticket #404" in await desk(sandbox, w.ALICE, "resolve 404")
    await open_ticket(sandbox)
    assert "can't find <@U0NOBODY>" in await desk(sandbox, w.ALICE, "assign 1 <@U0NOBODY|ghost>")
    assert "is not linked to an account" in await desk(sandbox, w.ALICE, "account <#C0UNKNOWN1>")
    assert "I can't see <#C0UNKNOWN1>" in await desk(sandbox, w.ALICE, "link <#C0UNKNOWN1> Foo")
    async with sandbox.desk.db.unit_of_work() as uow:
        assert await uow.accounts.by_name(w.VENDOR, "Foo") is None
        assert (await uow.tickets.by_number(w.VENDOR, 1)).owner_user_id is None


async def test_empty_message_opens_nothing(sandbox: Sandbox):
    await sandbox.emu.post_message(w.CAROL, w.GLOBEX_SHARED, "")
    await sandbox.emu.post_message(w.CAROL, w.GLOBEX_SHARED, "   ")
    await open_ticket(sandbox, "Can you reset the password for our admin account?")
    async with sandbox.desk.db.unit_of_work() as uow:
        assert await uow.tickets.count_open(w.VENDOR) == 1
