"""Events API listeners: ack, parse, hand to one service."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.services.container import Services
from handlers.parsing import channel_joined, incoming_message


def register_events(app: AsyncApp, services: Services) -> None:
    """Attach the event listeners."""

    @app.event("message")
    @services.inflight.tracked
    async def on_message(body: dict[str, Any], event: dict[str, Any]) -> None:
        await services.intake.on_message(incoming_message(body, event))

    @app.event("member_joined_channel")
    @services.inflight.tracked
    async def on_member_joined(body: dict[str, Any], event: dict[str, Any]) -> None:
        await services.accounts.on_channel_joined(channel_joined(body, event))

    @app.event("channel_shared")
    @services.inflight.tracked
    async def on_channel_shared(body: dict[str, Any], event: dict[str, Any]) -> None:
        await services.accounts.on_channel_joined(channel_joined(body, event))
