"""The `chat.*` methods: posting, updating, ephemerals and permalinks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator.webapi.access import message_json, reachable
from bot.emulator.webapi.params import Answer, ApiError, Method, blocks_of, metadata_of, need
from bot.emulator.workspace import Install, StoredMessage, Workspace


class Chat:
    """Messages the bot posts and edits; `on_bot_post` hears each new post."""

    def __init__(
        self, ws: Workspace, on_bot_post: Callable[[StoredMessage], Awaitable[None]]
    ) -> None:
        self.ws = ws
        self._on_bot_post = on_bot_post

    def methods(self) -> dict[str, Method]:
        """The Web API methods this family answers."""
        return {
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.getPermalink": self.chat_get_permalink,
        }

    async def chat_post_message(self, params: dict[str, Any], caller: Install) -> Answer:
        """`chat.postMessage`: store the post (in a thread if asked) and echo it to the app."""
        channel = reachable(self.ws, need(params, "channel"), caller, post=True)
        blocks = blocks_of(params)
        text = params.get("text") or ""
        if not text and not blocks:
            raise ApiError("no_text")
        if len(text) > 40_000:
            text = text[:40_000]  # Slack truncates rather than refusing
        thread_ts = params.get("thread_ts") or None
        if thread_ts and self.ws.find(channel.id, thread_ts) is None:
            raise ApiError("thread_not_found")
        metadata = metadata_of(params)
        message = self.ws.store(
            StoredMessage(
                channel_id=channel.id,
                ts=self.ws.next_ts(),
                user=caller.bot_user_id,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                bot_id=caller.bot_id,
                metadata=metadata,
            )
        )
        await self._on_bot_post(message)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message.ts,
            "message": message_json(message),
        }

    async def chat_update(self, params: dict[str, Any], caller: Install) -> Answer:
        """`chat.update`: the bot's own message gets new text or blocks (the old kept)."""
        channel = reachable(self.ws, need(params, "channel"), caller)
        message = self.ws.find(channel.id, need(params, "ts"))
        if message is None or message.deleted:
            raise ApiError("message_not_found")
        if message.user != caller.bot_user_id:
            raise ApiError("cant_update_message")
        blocks = blocks_of(params) if "blocks" in params else message.blocks
        given = params.get("text")
        text = str(given) if given is not None else message.text
        if not text and not blocks:
            raise ApiError("no_text")
        self.ws.edit(message, text, blocks)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message.ts,
            "text": text,
            "message": message_json(message),
        }

    async def chat_post_ephemeral(self, params: dict[str, Any], caller: Install) -> Answer:
        """`chat.postEphemeral`: a message only one member of the channel sees."""
        channel = reachable(self.ws, need(params, "channel"), caller, post=True)
        user = need(params, "user")
        if user not in self.ws.users:
            raise ApiError("user_not_found")
        if user not in channel.member_ids:
            raise ApiError("user_not_in_channel")
        blocks = blocks_of(params)
        if not params.get("text") and not blocks:
            raise ApiError("no_text")
        message = self.ws.store(
            StoredMessage(
                channel_id=channel.id,
                ts=self.ws.next_ts(),
                user=caller.bot_user_id,
                text=params.get("text") or "",
                blocks=blocks,
                thread_ts=params.get("thread_ts"),
                bot_id=caller.bot_id,
                kind="ephemeral",
                target_user=user,
            )
        )
        return {"ok": True, "message_ts": message.ts}

    async def chat_get_permalink(self, params: dict[str, Any], caller: Install) -> Answer:
        """`chat.getPermalink`: a message's link."""
        channel = reachable(self.ws, need(params, "channel"), caller)
        ts = need(params, "message_ts")
        message = self.ws.find(channel.id, ts)
        if message is None:
            raise ApiError("message_not_found")
        # As Slack: the caller's workspace address; a reply names its thread and channel.
        link = f"{caller.team.url}archives/{channel.id}/p{ts.replace('.', '')}"
        if message.thread_ts and message.thread_ts != ts:
            link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
        return {"ok": True, "channel": channel.id, "permalink": link}
