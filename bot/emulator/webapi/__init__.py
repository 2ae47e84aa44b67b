"""Web API methods as Slack answers them: `ok`, `error`, and the shapes of its responses.

One module per family of methods (chat, conversations, reactions, views, identity, files);
`WebApi` holds them and the table from method name to handler that the HTTP endpoint
dispatches on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator.webapi.chat import Chat
from bot.emulator.webapi.conversations import Conversations
from bot.emulator.webapi.files import Files
from bot.emulator.webapi.identity import Identity
from bot.emulator.webapi.params import Answer, ApiError, Method
from bot.emulator.webapi.reactions import Reactions
from bot.emulator.webapi.views import Views
from bot.emulator.workspace import StoredMessage, Workspace

__all__ = ["Answer", "ApiError", "Method", "WebApi"]


class WebApi:
    """The methods the bot uses, over an emulated workspace."""

    app_id = "A0CONNECTDESK"

    def __init__(
        self,
        ws: Workspace,
        on_bot_post: Callable[[StoredMessage], Awaitable[None]],
        *,
        trigger_ttl: float = 3.0,
        base_url: Callable[[], str] = lambda: "http://127.0.0.1",
    ):
        """`base_url`: the emulator's root URL, for the upload URLs it hands out."""
        self.ws = ws
        self.chat = Chat(ws, on_bot_post)
        self.files = Files(ws, on_bot_post, base_url)
        self.conversations = Conversations(ws)
        self.reactions = Reactions(ws)
        self.views = Views(ws, self.app_id, trigger_ttl=trigger_ttl)
        self.identity = Identity(ws)
        self.methods: dict[str, Method] = {}
        families = (
            self.identity,
            self.chat,
            self.reactions,
            self.conversations,
            self.views,
            self.files,
        )
        for family in families:
            self.methods.update(family.methods())

    @property
    def opened(self) -> dict[str, list[dict[str, Any]]]:
        """Modals opened with views.open: user id -> views, newest last."""
        return self.views.opened

    @property
    def trigger_ttl(self) -> float:
        """How long a trigger id can open a modal, in seconds."""
        return self.views.trigger_ttl

    @trigger_ttl.setter
    def trigger_ttl(self, seconds: float) -> None:
        self.views.trigger_ttl = seconds

    def issue_trigger(self, user_id: str) -> str:
        """A fresh trigger id for something `user_id` did."""
        return self.views.issue_trigger(user_id)
