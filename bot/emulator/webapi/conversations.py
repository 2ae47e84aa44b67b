"""The `conversations.*` methods: a channel's facts, DMs, history and threads, paged."""

from __future__ import annotations

from typing import Any

from bot.emulator.webapi.access import message_json, reachable, readable
from bot.emulator.webapi.params import (
    Answer,
    ApiError,
    Method,
    bound,
    cursor_of,
    flag,
    limit_of,
    need,
    next_cursor,
    within,
)
from bot.emulator.workspace import Install, StoredMessage, Workspace, ts_key


class Conversations:
    """What the bot can learn about a conversation and read in it."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def methods(self) -> dict[str, Method]:
        """The Web API methods this family answers."""
        return {
            "conversations.info": self.conversations_info,
            "conversations.open": self.conversations_open,
            "conversations.history": self.conversations_history,
            "conversations.replies": self.conversations_replies,
        }

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
        """`conversations.history`: top-level messages, newest first, in pages."""
        channel = readable(self.ws, need(params, "channel"), caller)
        oldest, latest = bound(params, "oldest"), bound(params, "latest")
        inclusive, cursor = flag(params, "inclusive"), cursor_of(params)
        limit = limit_of(params, 100, 999)
        found = [
            m
            for m in self.ws.messages
            if m.channel_id == channel.id
            and m.kind == "message"
            and not m.deleted
            and not (m.thread_ts and m.thread_ts != m.ts)
            and within(ts_key(m.ts), oldest, latest, inclusive)
            and (cursor is None or ts_key(m.ts) <= cursor)
        ]
        found.sort(key=lambda m: ts_key(m.ts), reverse=True)
        page, more = found[:limit], found[limit:]
        replies = self._replies_by_parent(channel.id)
        metadata = flag(params, "include_all_metadata")
        return {
            "ok": True,
            "messages": [message_json(m, replies.get(m.ts), metadata) for m in page],
            "has_more": bool(more),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": next_cursor(more[0].ts) if more else ""},
        }

    async def conversations_replies(self, params: dict[str, Any], caller: Install) -> Answer:
        """`conversations.replies`: a thread's parent, then its replies oldest first, in pages."""
        channel = readable(self.ws, need(params, "channel"), caller)
        ts = need(params, "ts")
        asked = self.ws.find(channel.id, ts)
        if asked is None or asked.deleted or asked.kind != "message":
            raise ApiError("thread_not_found")
        # A reply's ts stands for its whole thread, as in Slack.
        parent_ts = asked.thread_ts or asked.ts
        parent = self.ws.find(channel.id, parent_ts)
        if parent is None or parent.deleted:
            raise ApiError("thread_not_found")
        oldest, latest = bound(params, "oldest"), bound(params, "latest")
        inclusive, cursor = flag(params, "inclusive"), cursor_of(params)
        limit = limit_of(params, 1000, 1000)
        replies = self._replies_by_parent(channel.id).get(parent.ts, [])
        # Slack always leads with the parent, whatever oldest/latest say.
        found = [parent] + [r for r in replies if within(ts_key(r.ts), oldest, latest, inclusive)]
        if cursor is not None:
            found = [m for m in found if ts_key(m.ts) >= cursor]
        page, more = found[:limit], found[limit:]
        metadata = flag(params, "include_all_metadata")
        return {
            "ok": True,
            "messages": [message_json(m, replies if m is parent else None, metadata) for m in page],
            "has_more": bool(more),
            "response_metadata": {"next_cursor": next_cursor(more[0].ts) if more else ""},
        }

    async def conversations_info(self, params: dict[str, Any], caller: Install) -> Answer:
        """`conversations.info`: whether the channel is shared, private, a DM, and with whom."""
        channel = reachable(self.ws, need(params, "channel"), caller)
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
        """`conversations.open`: the bot's DM with one person (opened on first use)."""
        users = need(params, "users").split(",")
        if len(users) != 1 or users[0] not in self.ws.users:
            raise ApiError("user_not_found")
        return {"ok": True, "channel": {"id": self.ws.im_for(users[0], caller.bot_user_id).id}}
