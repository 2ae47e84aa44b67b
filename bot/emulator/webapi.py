"""Web API methods as Slack answers them: `ok`, `error`, and the shapes of its responses."""

from __future__ import annotations

import base64
import copy
import itertools
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator.workspace import Channel, Install, StoredMessage, Workspace, ts_key

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


def _flag(params: dict[str, Any], name: str) -> bool:
    # slack_sdk sends booleans as "1"/"0" in query strings; JSON bodies carry real booleans.
    return str(params.get(name, "")).strip().lower() in {"1", "true"}


def _limit(params: dict[str, Any], default: int, most: int) -> int:
    raw = params.get("limit")
    if raw in (None, "", 0, "0"):
        return default
    try:
        return max(1, min(int(raw), most))
    except (TypeError, ValueError):
        raise ApiError("invalid_limit") from None


def _bound(params: dict[str, Any], name: str) -> tuple[int, int] | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return ts_key(str(raw))
    except ValueError:
        raise ApiError(f"invalid_ts_{name}") from None


def _cursor(params: dict[str, Any]) -> tuple[int, int] | None:
    raw = params.get("cursor")
    if raw in (None, ""):
        return None
    try:
        # Slack's cursors are base64 of "next_ts:<ts>"; callers must treat them as opaque.
        decoded = base64.b64decode(str(raw), validate=True).decode()
        return ts_key(decoded.removeprefix("next_ts:"))
    except ValueError:
        raise ApiError("invalid_cursor") from None


def _next_cursor(ts: str) -> str:
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _metadata(params: dict[str, Any]) -> dict[str, Any] | None:
    raw = params.get("metadata")
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise ApiError("invalid_metadata_format") from None
    if not isinstance(raw, dict):
        raise ApiError("invalid_metadata_format")
    event_type, payload = raw.get("event_type"), raw.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        raise ApiError("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": payload}


def _view(params: dict[str, Any]) -> dict[str, Any]:
    view = params.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except json.JSONDecodeError:
            raise ApiError("invalid_arguments") from None
    if not isinstance(view, dict):
        raise ApiError("invalid_arguments")
    return view


class WebApi:
    """The methods the bot uses, over an emulated workspace."""

    app_id = "A0CONNECTDESK"

    def __init__(
        self,
        ws: Workspace,
        on_bot_post: Callable[[StoredMessage], Awaitable[None]],
        *,
        trigger_ttl: float = 3.0,
    ):
        self.ws = ws
        self._on_bot_post = on_bot_post
        self.views: dict[str, dict[str, Any]] = {}
        self.trigger_ttl = trigger_ttl
        self.opened: dict[str, list[dict[str, Any]]] = {}
        # trigger id -> [user, monotonic issue time, already used]
        self._triggers: dict[str, list[Any]] = {}
        self._trigger_seq = itertools.count(1)
        self._view_seq = itertools.count(1)
        self.methods: dict[str, Callable[[dict[str, Any], Install], Awaitable[Answer]]] = {
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
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
            "views.publish": self.views_publish,
            "views.open": self.views_open,
        }

    def _channel(self, channel_id: str, caller: Install, *, post: bool = False):
        if channel_id[:1] in {"U", "W"} and channel_id in self.ws.users:
            return self.ws.im_for(channel_id, caller.bot_user_id)
        channel = self.ws.channels.get(channel_id)
        if channel is None:
            raise ApiError("channel_not_found")
        if channel.is_im and caller.bot_user_id not in channel.member_ids:
            raise ApiError("channel_not_found")  # another bot's DM does not exist for this one
        if post and caller.bot_user_id not in channel.member_ids:
            raise ApiError("not_in_channel")
        return channel

    def _message_json(
        self,
        m: StoredMessage,
        replies: list[StoredMessage] | None = None,
        metadata: bool = False,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "message", "text": m.text, "ts": m.ts, "user": m.user}
        if m.bot_id:
            body["bot_id"] = m.bot_id
        if m.blocks:
            body["blocks"] = m.blocks
        if m.thread_ts:
            body["thread_ts"] = m.thread_ts
        if replies:
            # Slack marks a parent with its own ts as thread_ts plus a summary of the replies.
            users = list(dict.fromkeys(r.user for r in replies if r.user))
            body.update(
                thread_ts=m.ts,
                reply_count=len(replies),
                reply_users=users,
                reply_users_count=len(users),
                latest_reply=replies[-1].ts,
            )
        if metadata and m.metadata is not None:
            body["metadata"] = m.metadata
        return body

    def _readable(self, channel_id: str, caller: Install) -> Channel:
        channel = self.ws.channels.get(channel_id)
        if channel is None:
            raise ApiError("channel_not_found")
        if caller.bot_user_id not in channel.member_ids:
            # Private conversations the bot is not in do not exist as far as it can tell.
            hidden = channel.is_private or channel.is_im
            raise ApiError("channel_not_found" if hidden else "not_in_channel")
        return channel

    def _replies_by_parent(self, channel_id: str) -> dict[str, list[StoredMessage]]:
        replies: dict[str, list[StoredMessage]] = {}
        for m in self.ws.messages:
            if m.channel_id != channel_id or m.kind != "message" or m.deleted:
                continue
            if m.thread_ts and m.thread_ts != m.ts:
                replies.setdefault(m.thread_ts, []).append(m)
        for thread in replies.values():
            thread.sort(key=lambda r: ts_key(r.ts))
        return replies

    async def conversations_history(self, params: dict[str, Any], caller: Install) -> Answer:
        channel = self._readable(_need(params, "channel"), caller)
        oldest, latest = _bound(params, "oldest"), _bound(params, "latest")
        inclusive, cursor = _flag(params, "inclusive"), _cursor(params)
        limit = _limit(params, 100, 999)
        found = [
            m
            for m in self.ws.messages
            if m.channel_id == channel.id
            and m.kind == "message"
            and not m.deleted
            and not (m.thread_ts and m.thread_ts != m.ts)
            and _within(ts_key(m.ts), oldest, latest, inclusive)
            and (cursor is None or ts_key(m.ts) <= cursor)
        ]
        found.sort(key=lambda m: ts_key(m.ts), reverse=True)
        page, more = found[:limit], found[limit:]
        replies = self._replies_by_parent(channel.id)
        metadata = _flag(params, "include_all_metadata")
        return {
            "ok": True,
            "messages": [self._message_json(m, replies.get(m.ts), metadata) for m in page],
            "has_more": bool(more),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": _next_cursor(more[0].ts) if more else ""},
        }

    async def conversations_replies(self, params: dict[str, Any], caller: Install) -> Answer:
        channel = self._readable(_need(params, "channel"), caller)
        ts = _need(params, "ts")
        asked = self.ws.find(channel.id, ts)
        if asked is None or asked.deleted or asked.kind != "message":
            raise ApiError("thread_not_found")
        # A reply's ts stands for its whole thread, as in Slack.
        parent_ts = asked.thread_ts or asked.ts
        parent = self.ws.find(channel.id, parent_ts)
        if parent is None or parent.deleted:
            raise ApiError("thread_not_found")
        oldest, latest = _bound(params, "oldest"), _bound(params, "latest")
        inclusive, cursor = _flag(params, "inclusive"), _cursor(params)
        limit = _limit(params, 1000, 1000)
        replies = self._replies_by_parent(channel.id).get(parent.ts, [])
        # Slack always leads with the parent, whatever oldest/latest say.
        found = [parent] + [r for r in replies if _within(ts_key(r.ts), oldest, latest, inclusive)]
        if cursor is not None:
            found = [m for m in found if ts_key(m.ts) >= cursor]
        page, more = found[:limit], found[limit:]
        metadata = _flag(params, "include_all_metadata")
        return {
            "ok": True,
            "messages": [
                self._message_json(m, replies if m is parent else None, metadata) for m in page
            ],
            "has_more": bool(more),
            "response_metadata": {"next_cursor": _next_cursor(more[0].ts) if more else ""},
        }

    async def auth_test(self, params: dict[str, Any], caller: Install) -> Answer:
        team = caller.team
        answer = {
            "ok": True,
            "url": f"https://{team.id.lower()}.slack.test/",
            "team": team.name,
            "user": self.ws.users[caller.bot_user_id].name,
            "team_id": team.id,
            "user_id": caller.bot_user_id,
            "bot_id": caller.bot_id,
            "is_enterprise_install": caller.is_enterprise_install,
        }
        if caller.enterprise_id:
            answer["enterprise_id"] = caller.enterprise_id
        return answer

    async def chat_post_message(self, params: dict[str, Any], caller: Install) -> Answer:
        channel = self._channel(_need(params, "channel"), caller, post=True)
        blocks = _blocks(params)
        text = params.get("text") or ""
        if not text and not blocks:
            raise ApiError("no_text")
        if len(text) > 40_000:
            text = text[:40_000]  # Slack truncates rather than refusing
        thread_ts = params.get("thread_ts") or None
        if thread_ts and self.ws.find(channel.id, thread_ts) is None:
            raise ApiError("thread_not_found")
        metadata = _metadata(params)
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
            "message": self._message_json(message),
        }

    async def chat_update(self, params: dict[str, Any], caller: Install) -> Answer:
        channel = self._channel(_need(params, "channel"), caller)
        message = self.ws.find(channel.id, _need(params, "ts"))
        if message is None or message.deleted:
            raise ApiError("message_not_found")
        if message.user != caller.bot_user_id:
            raise ApiError("cant_update_message")
        blocks = _blocks(params) if "blocks" in params else message.blocks
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
            "message": self._message_json(message),
        }

    async def chat_post_ephemeral(self, params: dict[str, Any], caller: Install) -> Answer:
        channel = self._channel(_need(params, "channel"), caller, post=True)
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
        channel = self._channel(_need(params, "channel"), caller)
        ts = _need(params, "message_ts")
        if self.ws.find(channel.id, ts) is None:
            raise ApiError("message_not_found")
        return {
            "ok": True,
            "channel": channel.id,
            "permalink": f"https://slack.test/archives/{channel.id}/p{ts.replace('.', '')}",
        }

    async def reactions_add(self, params: dict[str, Any], caller: Install) -> Answer:
        message = self._reacted(params, caller)
        name = _need(params, "name")
        users = message.reactions.setdefault(name, [])
        if caller.bot_user_id in users:
            raise ApiError("already_reacted")
        users.append(caller.bot_user_id)
        return {"ok": True}

    async def reactions_remove(self, params: dict[str, Any], caller: Install) -> Answer:
        message = self._reacted(params, caller)
        name = _need(params, "name")
        users = message.reactions.get(name, [])
        if caller.bot_user_id not in users:
            raise ApiError("no_reaction")
        users.remove(caller.bot_user_id)
        if not users:
            del message.reactions[name]
        return {"ok": True}

    def _reacted(self, params: dict[str, Any], caller: Install) -> StoredMessage:
        channel = self._channel(_need(params, "channel"), caller)
        message = self.ws.find(channel.id, _need(params, "timestamp"))
        if message is None or message.deleted:
            raise ApiError("message_not_found")
        name = _need(params, "name")
        if not name.replace("_", "").replace("-", "").replace("+", "").isalnum():
            raise ApiError("invalid_name")
        return message

    async def users_info(self, params: dict[str, Any], caller: Install) -> Answer:
        user = self.ws.users.get(_need(params, "user"))
        if user is None:
            raise ApiError("user_not_found")
        stranger = user.team_id != caller.team.id and not (
            caller.enterprise_id and self.ws.enterprise_of(user.team_id) == caller.enterprise_id
        )
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
                **(
                    {"enterprise_user": {"enterprise_id": enterprise, "teams": [user.team_id]}}
                    if (enterprise := self.ws.enterprise_of(user.team_id))
                    else {}
                ),
            },
        }

    async def conversations_info(self, params: dict[str, Any], caller: Install) -> Answer:
        channel = self._channel(_need(params, "channel"), caller)
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
                "context_team_id": caller.team.id,
                "shared_team_ids": shared_teams if channel.is_ext_shared else [caller.team.id],
                "is_member": caller.bot_user_id in channel.member_ids,
            },
        }

    async def conversations_open(self, params: dict[str, Any], caller: Install) -> Answer:
        users = _need(params, "users").split(",")
        if len(users) != 1 or users[0] not in self.ws.users:
            raise ApiError("user_not_found")
        return {"ok": True, "channel": {"id": self.ws.im_for(users[0], caller.bot_user_id).id}}

    async def views_publish(self, params: dict[str, Any], caller: Install) -> Answer:
        user = _need(params, "user_id")
        view = _view(params)
        self.views[user] = view
        return {"ok": True, "view": {"id": f"V{len(self.views):08d}", **view}}

    def issue_trigger(self, user_id: str) -> str:
        """A fresh trigger id for something `user_id` did (valid for `trigger_ttl` seconds)."""
        seq = next(self._trigger_seq)
        # Slack's shape: "<digits>.<digits>.<hex>"; the sequence number keeps ids unique.
        trigger = f"{seq}.{int(time.time())}.{uuid.uuid4().hex[:24]}"
        self._triggers[trigger] = [user_id, time.monotonic(), False]
        return trigger

    async def views_open(self, params: dict[str, Any], caller: Install) -> Answer:
        trigger = _need(params, "trigger_id")
        view = _view(params)
        issued = self._triggers.get(trigger)
        if issued is None:
            raise ApiError("invalid_trigger_id")
        user, at, used = issued
        if used:
            raise ApiError("exchanged_trigger_id")
        if time.monotonic() - at > self.trigger_ttl:
            raise ApiError("expired_trigger_id")
        if view.get("type") != "modal" or not isinstance(view.get("title"), dict):
            raise ApiError("invalid_arguments")
        blocks = view.get("blocks") or []
        if not isinstance(blocks, list) or len(blocks) > 100:
            raise ApiError("invalid_arguments")
        if len(str(view.get("private_metadata") or "")) > 3000:
            raise ApiError("invalid_arguments")
        issued[2] = True
        opened = self._modal_json(view, blocks, caller)
        self.opened.setdefault(user, []).append(opened)
        return {"ok": True, "view": copy.deepcopy(opened)}

    def _modal_json(
        self, view: dict[str, Any], blocks: list[dict[str, Any]], caller: Install
    ) -> dict[str, Any]:
        view_id = f"V{next(self._view_seq):010d}"
        blocks = copy.deepcopy(blocks)
        for n, block in enumerate(blocks):
            # Slack fills in ids the app left out, so state.values always has keys.
            block.setdefault("block_id", f"blk{n}")
            element = block.get("element")
            if isinstance(element, dict):
                element.setdefault("action_id", f"act{n}")
        team = caller.team.id
        return {
            "id": view_id,
            "team_id": team,
            "type": "modal",
            "title": view["title"],
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": blocks,
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "external_id": view.get("external_id") or "",
            "app_installed_team_id": team,
            "bot_id": caller.bot_id,
        }


def _within(
    key: tuple[int, int],
    oldest: tuple[int, int] | None,
    latest: tuple[int, int] | None,
    inclusive: bool,
) -> bool:
    if oldest is not None and (key < oldest or (key == oldest and not inclusive)):
        return False
    return latest is None or key < latest or (key == latest and inclusive)
