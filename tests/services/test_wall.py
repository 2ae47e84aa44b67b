"""The wall: an internal message never enters a channel shared with customers, even when the
configuration points one there by mistake."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import world
from tests.support.service_desk import ServiceDesk

# Globex's "internal" channel is, by mistake, Initech's shared channel.
MISCONFIGURED = world.DESK_YML.replace(
    f"internal_channel: {world.GLOBEX_INTERNAL}", f"internal_channel: {world.INITECH_SHARED}"
)


@pytest.mark.parametrize("desk_yml", [MISCONFIGURED], ids=["internal channel is shared"])
async def test_a_card_bound_for_a_shared_channel_is_refused(desk: ServiceDesk) -> None:
    desk.expected_failures = 1  # the card, refused for good
    result, post = await desk.customer_posts("Exports are broken")

    assert result.outcome == "opened"
    assert desk.slack.by_bot(world.INITECH_SHARED) == []
    # The customer's side is unaffected: 👀 and the receipt, both customer-facing.
    assert post.reactions == {"eyes"} and "ticket *#1*" in desk.receipt(post).text
    assert (await desk.ticket(1)).card_ts is None


@pytest.mark.parametrize("desk_yml", [MISCONFIGURED], ids=["internal channel is shared"])
async def test_an_alert_bound_for_a_shared_channel_is_refused(desk: ServiceDesk) -> None:
    desk.expected_failures = 2  # the card, and the 75% warning (no owner: the card's channel)
    await desk.customer_posts("Our site is down")
    assert await desk.advance(timedelta(minutes=12)) == 1
    assert desk.slack.by_bot(world.INITECH_SHARED) == []
