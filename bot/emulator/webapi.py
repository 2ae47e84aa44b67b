"""Web API methods as Slack answers them: `ok`, `error`, and the shapes of its responses."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator.workspace import StoredMessage, Workspace

Answer = dict[str, Any]


class ApiError(Exception):
    """A Slack error code (`channel_not_found`, ...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _need(params: dict[str, Any], name: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise ApiError("invalid_arguments")
    return str(value)


def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except json.JSONDecodeError:
            raise ApiError("invalid_blocks") from None
    if blocks is None:
        return []
    if not isinstance(blocks, list) or len(blocks) > 50:
        raise ApiError("invalid_blocks")
    return blocks


class WebApi:
    """The methods the bot uses, over an emulated workspace."""

    def __init__(self, ws: Workspace, on_bot_post: Callable[[StoredMessage], Awaitable[None]]):
        self.ws = ws
        self._on_bot_post = on_bot_post
        self.views: dict[str, dict[str, Any]] = {}
        self.methods: dict[str, Callable[[dict[str, Any]], Awaitable[Answer]]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.getPermalink": self.chat_get_permalink,
            "reactions.add": self.reactions_add,
            "reactions.remove": self.reactions_remove,
            "users.info": self.users_info,
            "conversations.info": self.conversations_info,
            "conversations.open": self.conversations_open,
            "views.publish": self.views_publish,
        }

    def _channel(self, channel_id: str, *, post: bool = False):
        if channel_id[:1] in {"U", "W"} and channel_id in self.ws.users:
            return self.ws.im_for(channel_id)
        channel = self.ws.channels.get(channel_id)
        if channel is None:
            raise ApiError("channel_not_found")
        if post and self.ws.bot_user_id not in channel.member_ids:
            raise ApiError("not_in_channel")
        return channel

    def _message_json(self, m: StoredMessage) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "message", "text": m.text, "ts": m.ts, "user": m.user}
        if m.bot_id:
            body["bot_id"] = m.bot_id
        if m.blocks:
            body["blocks"] = m.blocks
        if m.thread_ts:
            body["thread_ts"] = m.thread_ts
        return body

    async def auth_test(self, params: dict[str, Any]) -> Answer:
        team = self.ws.our_team
        return {
            "ok": True,
            "url": f"https://{team.id.lower()}.slack.test/",
            "team": team.name,
            "user": self.ws.users[self.ws.bot_user_id].name,
            "team_id": team.id,
            "user_id": self.ws.bot_user_id,
            "bot_id": self.ws.bot_id,
            "is_enterprise_install": False,
        }

    async def chat_post_message(self, params: dict[str, Any]) -> Answer:
        channel = self._channel(_need(params, "channel"), post=True)
        blocks = _blocks(params)
        text = params.get("text") or ""
        if not text and not blocks:
            raise ApiError("no_text")
        if len(text) > 40_000:
            text = text[:40_000]  # Slack truncates rather than refusing
        thread_ts = params.get("thread_ts") or None
        if thread_ts and self.ws.find(channel.id, thread_ts) is None:
            raise ApiError("thread_not_found")
        message = self.ws.store(
            StoredMessage(
                channel_id=channel.id,
                ts=self.ws.next_ts(),
                user=self.ws.bot_user_id,
                text=text,
                blocks=blocks,
                thread_ts=thread_ts,
                bot_id=self.ws.bot_id,
            )
        )
        await self._on_bot_post(message)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message.ts,
            "message": self._message_json(message),
        }

    async def chat_update(self, params: dict[str, Any]) -> Answer:
        channel = self._channel(_need(params, "channel"))
        message = self.ws.find(channel.id, _need(params, "ts"))
        if message is None or message.deleted:
            raise ApiError("message_not_found")
        if message.user != self.ws.bot_user_id:
            raise ApiError("cant_update_message")
        blocks = _blocks(params) if "blocks" in params else message.blocks
        text = params.get("text") if params.get("text") is not None else message.text
        if not text and not blocks:
            raise ApiError("no_text")
        message.edits.append({"text": message.text, "blocks": message.blocks})
        message.text, message.blocks = text, blocks
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message.ts,
            "text": text,
            "message": self._message_json(message),
        }

    async def chat_post_ephemeral(self, params: dict[str, Any]) -> Answer:
        channel = self._channel(_need(params, "channel"), post=True)
        user = _need(params, "user")
        if user not in self.ws.users:
            raise ApiError("user_not_found")
        if user not in channel.member_ids:
            raise ApiError("user_not_in_channel")
        blocks = _blocks(params)
        if not params.get("text") and not blocks:
            raise ApiError("no_text")
        message = self.ws.store(
            StoredMessage(
                channel_id=channel.id,
                ts=self.ws.next_ts(),
                user=self.ws.bot_user_id,
                text=params.get("text") or "",
                blocks=blocks,
                thread_ts=params.get("thread_ts"),
                bot_id=self.ws.bot_id,
                kind="ephemeral",
                target_user=user,
            )
        )
        return {"ok": True, "message_ts": message.ts}

    async def chat_get_permalink(self, params: dict[str, Any]) -> Answer:
        channel = self._channel(_need(params, "channel"))
        ts = _need(params, "message_ts")
        if self.ws.find(channel.id, ts) is None:
            raise ApiError("message_not_found")
        return {
            "ok": True,
            "channel": channel.id,
            "permalink": f"https://slack.test/archives/{channel.id}/p{ts.replace('.', '')}",
        }

    async def reactions_add(self, params: dict[str, Any]) -> Answer:
        message = self._reacted(params)
        name = _need(params, "name")
        users = message.reactions.setdefault(name, [])
        if self.ws.bot_user_id in users:
            raise ApiError("already_reacted")
        users.append(self.ws.bot_user_id)
        return {"ok": True}

    async def reactions_remove(self, params: dict[str, Any]) -> Answer:
        message = self._reacted(params)
        name = _need(params, "name")
        users = message.reactions.get(name, [])
        if self.ws.bot_user_id not in users:
            raise ApiError("no_reaction")
        users.remove(self.ws.bot_user_id)
        if not users:
            del message.reactions[name]
        return {"ok": True}

    def _reacted(self, params: dict[str, Any]) -> StoredMessage:
        channel = self._channel(_need(params, "channel"))
        message = self.ws.find(channel.id, _need(params, "timestamp"))
        if message is None or message.deleted:
            raise ApiError("message_not_found")
        name = _need(params, "name")
        if not name.replace("_", "").replace("-", "").replace("+", "").isalnum():
            raise ApiError("invalid_name")
        return message

    async def users_info(self, params: dict[str, Any]) -> Answer:
        user = self.ws.users.get(_need(params, "user"))
        if user is None:
            raise ApiError("user_not_found")
        stranger = user.team_id != self.ws.our_team.id
        return {
            "ok": True,
            "user": {
                "id": user.id,
                "team_id": user.team_id,
                "name": user.name,
                "real_name": user.real_name,
                "is_bot": user.is_bot,
                "deleted": False,
                "is_stranger": stranger,
                "profile": {
                    "display_name": user.name,
                    "real_name": user.real_name,
                    "team": user.team_id,
                },
            },
        }

    async def conversations_info(self, params: dict[str, Any]) -> Answer:
        channel = self._channel(_need(params, "channel"))
        shared_teams = sorted(
            {self.ws.users[m].team_id for m in channel.member_ids if m in self.ws.users}
        )
        return {
            "ok": True,
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "is_channel": not channel.is_im,
                "is_group": channel.is_private,
                "is_im": channel.is_im,
                "is_private": channel.is_private,
                "is_shared": channel.is_ext_shared,
                "is_ext_shared": channel.is_ext_shared,
                "is_org_shared": False,
                "is_pending_ext_shared": False,
                "context_team_id": self.ws.our_team.id,
                "shared_team_ids": shared_teams if channel.is_ext_shared else [self.ws.our_team.id],
                "is_member": self.ws.bot_user_id in channel.member_ids,
            },
        }

    async def conversations_open(self, params: dict[str, Any]) -> Answer:
        users = _need(params, "users").split(",")
        if len(users) != 1 or users[0] not in self.ws.users:
            raise ApiError("user_not_found")
        return {"ok": True, "channel": {"id": self.ws.im_for(users[0]).id}}

    async def views_publish(self, params: dict[str, Any]) -> Answer:
        user = _need(params, "user_id")
        view = params.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict):
            raise ApiError("invalid_arguments")
        self.views[user] = view
        return {"ok": True, "view": {"id": f"V{len(self.views):08d}", **view}}
