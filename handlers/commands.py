"""The `/desk` slash command listener: ack at once, answer ephemerally via response_url."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.services.container import Services
from handlers.parsing import command_caller


def register_commands(app: AsyncApp, services: Services) -> None:
    """Attach the slash command listener."""

    @app.command("/desk")
    @services.inflight.tracked
    async def desk(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        text = command.get("text") if isinstance(command.get("text"), str) else ""
        reply = await services.desk.run(command_caller(command), text)
        await respond(response_type="ephemeral", **reply.payload())
