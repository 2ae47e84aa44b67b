"""Socket Mode: what only the websocket transport can do wrong — drops, refreshes, redeliveries,
envelopes the bot could not keep, odd envelopes, and a refused app-level token."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.edge.socket_mode import SocketModeRefused
from bot.sandbox.sandbox import Sandbox
from tests.support import world as w
from tests.support.sandboxes import checked_sandbox
from tests.support.waits import desk_idle

SOCKET = pytest.mark.parametrize("transport", ["socket"], indirect=True)


def receipts(box: Sandbox, channel: str, ts: str) -> list:
    return [m for m in box.emu.thread(channel, ts) if m.user == w.BOT and m.ts != ts]


def cards(box: Sandbox) -> list:
    return [s for s in box.emu.seen_by(w.ALICE, w.GLOBEX_INTERNAL) if s.author_id == w.BOT]


async def test_a_dropped_websocket_mid_burst_loses_nothing(clock, database_url: str):
    # Slack redelivers after about a minute; compressed here, but longer than a reconnection.
    async with checked_sandbox(
        w.desk_config(),
        clock,
        database_url,
        transport="socket",
        emulator_options={"retry_delays": (0.5, 2.0, 4.0)},
    ) as box:
        await _burst_with_a_drop(box)


async def _burst_with_a_drop(sandbox: Sandbox) -> None:
    emu = sandbox.emu
    burst = 12

    async def post(i: int):
        await asyncio.sleep(0.02 * i)
        return await emu.post_message(
            (w.CAROL, w.DAVE)[i % 2], w.GLOBEX_SHARED, f"Job {i} fails every night, can you check?"
        )

    async def cut() -> int:
        await asyncio.sleep(0.02 * burst / 2)
        return await emu.socket.drop()

    opened_before = emu.socket.opened
    *deliveries, cut_count = await asyncio.gather(*(post(i) for i in range(burst)), cut())
    assert cut_count == 1
    # Every event was acknowledged in the end: some only after a redelivery on a new socket.
    assert all(d.status == 200 for d in deliveries), [d.attempts for d in deliveries]
    redelivered = [d for d in deliveries if len(d.attempts) > 1]
    assert redelivered, "the drop hit no envelope in flight; the test proved nothing"
    # The client reconnected by itself, with a fresh URL from apps.connections.open.
    assert emu.socket.opened > opened_before
    assert len(emu.calls_to("apps.connections.open")) >= 2
    # Nothing lost, nothing doubled: two customers, two tickets (the rest joined them within
    # the grouping window), every message recorded once and marked 👀 once.
    await emu.wait_for(lambda: len(cards(sandbox)) == 2)
    await emu.wait_for(
        lambda: all(emu.reactions(w.GLOBEX_SHARED, d.ts) for d in deliveries), within=10
    )
    for d in deliveries:
        assert emu.reactions(w.GLOBEX_SHARED, d.ts) == {"eyes": [w.BOT]}
    async with sandbox.desk.db.unit_of_work() as uow:
        tickets = await uow.tickets.open_tickets(w.VENDOR)
        recorded = [m.ts for t in tickets for m in await uow.messages.for_ticket(t.id)]
    assert len(tickets) == 2
    assert sorted(recorded) == sorted(d.ts for d in deliveries)
    for ticket in tickets:
        assert len(receipts(sandbox, w.GLOBEX_SHARED, ticket.root_ts)) == 1


@SOCKET
async def test_a_refresh_request_reconnects_and_work_goes_on(sandbox: Sandbox):
    emu = sandbox.emu
    before = emu.socket.opened
    await emu.socket.refresh("refresh_requested")
    await emu.wait_for(lambda: emu.socket.opened > before and emu.socket.connected, within=10)
    delivery = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Billing page shows an error")
    assert delivery.status == 200
    await emu.wait_for(lambda: receipts(sandbox, w.GLOBEX_SHARED, delivery.ts))
    reply = await emu.slash_command(w.ALICE, w.GLOBEX_INTERNAL, "claim 1")
    assert reply.status == 200
    await emu.wait_for(
        lambda: any("owned by" in s.text for s in emu.seen_by(w.ALICE) if s.kind == "ephemeral")
    )


@SOCKET
async def test_a_redelivered_envelope_changes_nothing(sandbox: Sandbox):
    emu = sandbox.emu
    first = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Our dashboard is down")
    await emu.wait_for(lambda: receipts(sandbox, w.GLOBEX_SHARED, first.ts))
    for attempt in (1, 2, 3):
        again = await emu.redeliver(first, retry_num=attempt, reason="timeout")
        assert again.status == 200
    await desk_idle(sandbox)
    assert len(receipts(sandbox, w.GLOBEX_SHARED, first.ts)) == 1
    assert len(cards(sandbox)) == 1
    assert emu.reactions(w.GLOBEX_SHARED, first.ts) == {"eyes": [w.BOT]}


@SOCKET
async def test_an_event_that_could_not_be_stored_is_not_acked_and_comes_again(
    sandbox: Sandbox, monkeypatch
):
    inbox = sandbox.desk.inbox
    real = inbox.accept
    failures = []

    async def failing_once(body, raw, **kwargs):
        if not failures:
            failures.append(body["event_id"])
            raise OSError("disk full")
        return await real(body, raw, **kwargs)

    monkeypatch.setattr(inbox, "accept", failing_once)
    delivery = await sandbox.emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Exports fail")
    # Not acknowledged the first time (nothing kept), so Slack sent it again: then kept.
    assert delivery.attempts == ["timeout", 200]
    assert failures == [json.loads(delivery.body)["event_id"]]
    await sandbox.emu.wait_for(lambda: receipts(sandbox, w.GLOBEX_SHARED, delivery.ts))
    assert len(receipts(sandbox, w.GLOBEX_SHARED, delivery.ts)) == 1


@SOCKET
async def test_odd_envelopes_are_acknowledged_and_do_nothing(sandbox: Sandbox):
    emu = sandbox.emu
    odd = [
        {"type": "event_callback", "event": None, "event_id": "Ev0ODD1"},
        {"type": "event_callback", "event": {"type": 7}, "event_id": "Ev0ODD2"},
        {"type": "app_rate_limited", "minute_rate_limited": 1, "team_id": w.VENDOR},
        {"type": "event_callback", "event": {"type": "reaction_added"}, "event_id": "Ev0ODD3"},
        {"command": ["/desk"], "text": 5},
        {"type": "block_actions", "actions": [{"no": "action id"}]},
        {"type": "view_submission", "view": "not an object"},
        {},
    ]
    for payload in odd:
        for kind in ("events_api", "slash_commands", "interactive", "hello_world"):
            acked = await emu.socket.send_payload(kind, payload)
            assert acked, (kind, payload)
    assert not emu.shared_channel_messages()
    # The connection is still good for real work.
    delivery = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Exports fail")
    await emu.wait_for(lambda: receipts(sandbox, w.GLOBEX_SHARED, delivery.ts))


@SOCKET
async def test_a_refused_app_token_is_one_clear_error(sandbox: Sandbox):
    edge = sandbox.desk.socket_mode("xapp-1-not-the-right-token")
    with pytest.raises(SocketModeRefused, match="invalid_auth.*SLACK_APP_TOKEN"):
        await edge.connect()
    await edge.close()
    # The bot token is not an app-level token.
    edge = sandbox.desk.socket_mode(sandbox.settings().slack_bot_token.get_secret_value())
    with pytest.raises(SocketModeRefused, match="not_allowed_token_type"):
        await edge.connect()
    await edge.close()
