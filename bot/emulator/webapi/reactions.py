"""The `reactions.*` methods: the bot's emoji on a message."""

from __future__ import annotations

from typing import Any

from bot.emulator.webapi.access import reachable
from bot.emulator.webapi.params import Answer, ApiError, Method, need
from bot.emulator.workspace import Install, StoredMessage, Workspace


class Reactions:
    """Adding and removing the bot's reactions."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def methods(self) -> dict[str, Method]:
        """The Web API methods this family answers."""
        return {"reactions.add": self.reactions_add, "reactions.remove": self.reactions_remove}

    async def reactions_add(self, params: dict[str, Any], caller: Install) -> Answer:
        """`reactions.add`: `already_reacted` if the bot has this one on the message."""
        message = self._reacted(params, caller)
        name = need(params, "name")
        users = message.reactions.setdefault(name, [])
        if caller.bot_user_id in users:
            raise ApiError("already_reacted")
        users.append(caller.bot_user_id)
        return {"ok": True}

    async def reactions_remove(self, params: dict[str, Any], caller: Install) -> Answer:
        """`reactions.remove`: `no_reaction` if the bot has not this one on the message."""
        message = self._reacted(params, caller)
        name = need(params, "name")
        users = message.reactions.get(name, [])
        if caller.bot_user_id not in users:
            raise ApiError("no_reaction")
        users.remove(caller.bot_user_id)
        if not users:
            del message.reactions[name]
        return {"ok": True}

    def _reacted(self, params: dict[str, Any], caller: Install) -> StoredMessage:
        channel = reachable(self.ws, need(params, "channel"), caller)
        message = self.ws.find(channel.id, need(params, "timestamp"))
        if message is None or message.deleted:
            raise ApiError("message_not_found")
        name = need(params, "name")
        if not name.replace("_", "").replace("-", "").replace("+", "").isalnum():
            raise ApiError("invalid_name")
        return message
