"""The wall: internal messages can never be sent to a channel shared with customers."""

from __future__ import annotations

import logging

import pytest

from bot.messages import customer
from bot.messages.base import CustomerMessage, InternalMessage
from bot.messages.internal import help_text
from bot.sandbox.sandbox import Sandbox
from bot.slack.gateway import WallViolation
from tests.support import world as w
from tests.support.transports import BOTH_TRANSPORTS


def test_customer_messages_come_only_from_the_customer_set():
    with pytest.raises(TypeError):
        CustomerMessage(text="Tier: strategic")
    assert customer.receipt(7, None).text.startswith(":eyes:")


@BOTH_TRANSPORTS
async def test_gateway_refuses_internal_messages_to_shared_channels(sandbox: Sandbox, caplog):
    gateway = await sandbox.desk.gateways.at(w.VENDOR)
    before = len(sandbox.emu.calls_to("chat.postMessage"))
    with caplog.at_level(logging.ERROR, logger="connectdesk.gateway"):
        for channel in (w.GLOBEX_SHARED, w.NEW_SHARED, "C0DOESNOTEXIST"):
            with pytest.raises(WallViolation):
                await gateway.deliver(channel, help_text())
            with pytest.raises(WallViolation):
                await gateway.update(channel, "1.0", InternalMessage(text="ARR $250,000"))
    assert len(sandbox.emu.calls_to("chat.postMessage")) == before
    assert not sandbox.emu.calls_to("chat.update")
    assert "wall: refused" in caplog.text
    # Internal channels and DMs are fine; customer messages may go anywhere.
    assert (await gateway.deliver(w.GLOBEX_INTERNAL, help_text())).ts
    assert (await gateway.deliver(w.MIA, help_text())).ts
    assert (await gateway.deliver(w.GLOBEX_SHARED, customer.receipt_resolved(3))).ts


@BOTH_TRANSPORTS
async def test_a_channel_that_becomes_shared_is_walled_at_once(sandbox: Sandbox):
    gateway = await sandbox.desk.gateways.at(w.VENDOR)
    assert (await gateway.deliver(w.RANDOM_INTERNAL, InternalMessage(text="hello team"))).ts
    await sandbox.emu.share_channel(w.RANDOM_INTERNAL, w.GLOBEX_ORG)
    await sandbox.emu.wait_for(lambda: sandbox.emu.calls_to("conversations.info"))
    with pytest.raises(WallViolation):
        await gateway.deliver(w.RANDOM_INTERNAL, help_text())
