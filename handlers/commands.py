"""The `/desk` slash command listener: ack at once, then answer ephemerally via response_url."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.services.container import Services
from handlers.errors import reported
from handlers.parsing import command_caller


async def ack_now(ack: AsyncAck) -> None:
    """Acknowledge within Slack's 3 seconds; the work runs after (a lazy listener)."""
    await ack()


def register_commands(app: AsyncApp, services: Services) -> None:
    """Attach the slash command listener."""

    async def desk(command: dict[str, Any], respond: AsyncRespond) -> None:
        given = command.get("text")
        text = given if isinstance(given, str) else ""
        reply = await services.desk.run(command_caller(command), text)
        await respond(response_type="ephemeral", **reply.payload())

    app.command("/desk")(ack=ack_now, lazy=[reported(services.inflight.tracked(desk))])
