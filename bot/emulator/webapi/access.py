"""Which conversations a bot may reach, and messages in the shape the Web API returns them."""

from __future__ import annotations

from typing import Any

from bot.emulator.webapi.params import ApiError
from bot.emulator.workspace import Channel, Install, StoredMessage, Workspace


def reachable(ws: Workspace, channel_id: str, caller: Install, *, post: bool = False) -> Channel:
    """The conversation a method names (a user id stands for the bot's DM with them)."""
    if channel_id[:1] in {"U", "W"} and channel_id in ws.users:
        return ws.im_for(channel_id, caller.bot_user_id)
    channel = ws.channels.get(channel_id)
    if channel is None:
        raise ApiError("channel_not_found")
    if channel.is_im and caller.bot_user_id not in channel.member_ids:
        raise ApiError("channel_not_found")  # another bot's DM does not exist for this one
    if post and caller.bot_user_id not in channel.member_ids:
        raise ApiError("not_in_channel")
    return channel


def readable(ws: Workspace, channel_id: str, caller: Install) -> Channel:
    """A conversation whose history the bot may read (it must be a member)."""
    channel = ws.channels.get(channel_id)
    if channel is None:
        raise ApiError("channel_not_found")
    if caller.bot_user_id not in channel.member_ids:
        # Private conversations the bot is not in do not exist as far as it can tell.
        hidden = channel.is_private or channel.is_im
        raise ApiError("channel_not_found" if hidden else "not_in_channel")
    return channel


def message_json(
    m: StoredMessage,
    replies: list[StoredMessage] | None = None,
    metadata: bool = False,
) -> dict[str, Any]:
    """A message as the Web API returns it; a thread's parent carries a summary of `replies`."""
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
    if m.files:
        # A file share: the files, and `upload` false (shared by completeUploadExternal).
        body["files"] = m.files
        body["upload"] = False
    if metadata and m.metadata is not None:
        body["metadata"] = m.metadata
    return body
