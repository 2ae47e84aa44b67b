"""What people do in the workspace that the app hears as events: post, edit, delete, join a
channel, react; and a channel becoming shared with another org."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.emulator.app_link import AppLink
from bot.emulator.delivery import Delivery
from bot.emulator.webapi.views import Views
from bot.emulator.workspace import StoredMessage, Workspace


class People:
    """Each action changes the workspace (so people see it) and is delivered to the app."""

    def __init__(self, ws: Workspace, link: AppLink, views: Views) -> None:
        self.ws = ws
        self.link = link
        self.views = views

    async def open_home(self, user_id: str, tab: str = "home") -> Delivery:
        """A person opens the app's Home (or its Messages tab): app_home_opened, as Slack
        sends it to the install that serves them, with the Home they last had (if any)."""
        user = self.ws.users[user_id]
        install = self.ws.install_of(user_id)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.ws.im_for(user_id, install.bot_user_id).id,
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        }
        if tab == "home" and user_id in self.views.published:
            event["view"] = self.views.published[user_id]
        return await self.link.deliver_event(event, team_id=user.team_id, install=install)

    async def post_message(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        thread_ts: str | None = None,
        subtype: str | None = None,
        files: list[dict[str, Any]] | None = None,
        everywhere: bool = False,
    ) -> Delivery:
        """A person posts: stored (so people see it) and delivered as a message event.

        `everywhere`: the one envelope goes to every app URL at once (a retry racing the
        original on another replica); the Delivery then lists each copy's status and URL.
        """
        delivery = self.prepare_message(user_id, channel_id, text, thread_ts, subtype, files)
        if not everywhere:
            return await self.link.send(delivery)
        event = json.loads(delivery.body)["event"]
        copies = await self.link.deliver_everywhere(event, team_id=self.ws.users[user_id].team_id)
        first = copies[0]
        first.ts = delivery.ts
        first.attempts = [c.status for c in copies]
        first.urls = [u for c in copies for u in c.urls]
        return first

    def prepare_message(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        thread_ts: str | None = None,
        subtype: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> Delivery:
        """A person's post, stored now; its message event is returned to `send` later."""
        user = self.ws.users[user_id]
        channel = self.ws.channels[channel_id]
        if user_id not in channel.member_ids:
            raise ValueError(f"{user_id} is not in {channel_id}")
        ts = self.ws.next_ts()
        self.ws.store(
            StoredMessage(
                channel_id=channel_id, ts=ts, user=user_id, text=text, thread_ts=thread_ts
            )
        )
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel_id,
            "user": user_id,
            "text": text,
            "ts": ts,
            "team": user.team_id,
            "user_team": user.team_id,
            "source_team": user.team_id,
            "channel_type": "group" if channel.is_private else "channel",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        if subtype:
            event["subtype"] = subtype
        if files:
            event["files"] = files
        delivery = self.link.prepare_event(event, team_id=user.team_id)
        delivery.ts = ts
        return delivery

    async def edit_message(self, user_id: str, channel_id: str, ts: str, text: str) -> Delivery:
        """A person edits their message (subtype message_changed)."""
        message = self.ws.find(channel_id, ts)
        if message is None:
            raise ValueError("no such message")
        self.ws.edit(message, text, message.blocks)
        event = {
            "type": "message",
            "subtype": "message_changed",
            "channel": channel_id,
            "hidden": True,
            "ts": self.ws.next_ts(),
            "message": {
                "type": "message",
                "user": user_id,
                "text": text,
                "ts": ts,
                "edited": {"user": user_id, "ts": self.ws.next_ts()},
            },
            "previous_message": {"type": "message", "user": user_id, "ts": ts},
        }
        return await self.link.deliver_event(event, team_id=self.ws.users[user_id].team_id)

    async def delete_message(self, user_id: str, channel_id: str, ts: str) -> Delivery:
        """A person deletes their message (subtype message_deleted)."""
        message = self.ws.find(channel_id, ts)
        if message is not None:
            message.deleted = True
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "channel": channel_id,
            "hidden": True,
            "ts": self.ws.next_ts(),
            "deleted_ts": ts,
            "previous_message": {"type": "message", "user": user_id, "ts": ts},
        }
        return await self.link.deliver_event(event, team_id=self.ws.users[user_id].team_id)

    async def join_channel(self, user_id: str, channel_id: str) -> Delivery:
        """Someone joins: member_joined_channel, and the channel_join message Slack posts."""
        channel = self.ws.channels[channel_id]
        channel.member_ids.add(user_id)
        user = self.ws.users[user_id]
        ts = self.ws.next_ts()
        self.ws.store(
            StoredMessage(
                channel_id=channel_id,
                ts=ts,
                user=user_id,
                text=f"<@{user_id}> has joined the channel",
            )
        )
        delivery = await self.link.deliver_event(
            {
                "type": "member_joined_channel",
                "user": user_id,
                "channel": channel_id,
                "channel_type": "C",
                "team": user.team_id,
            },
            team_id=user.team_id,
        )
        await self.link.deliver_event(
            {
                "type": "message",
                "subtype": "channel_join",
                "user": user_id,
                "channel": channel_id,
                "text": f"<@{user_id}> has joined the channel",
                "ts": ts,
            },
            team_id=user.team_id,
        )
        return delivery

    async def share_channel(self, channel_id: str, with_team_id: str) -> Delivery:
        """The channel becomes a Slack Connect channel with another org."""
        channel = self.ws.channels[channel_id]
        channel.is_ext_shared = True
        return await self.link.deliver_event(
            {
                "type": "channel_shared",
                "connected_team_id": with_team_id,
                "channel": channel_id,
                "event_ts": f"{time.time():.6f}",
            }
        )

    async def add_reaction(self, user_id: str, channel_id: str, ts: str, name: str) -> Delivery:
        """A person reacts to a message."""
        message = self.ws.find(channel_id, ts)
        if message is None:
            raise ValueError("no such message")
        message.reactions.setdefault(name, []).append(user_id)
        return await self.link.deliver_event(
            {
                "type": "reaction_added",
                "user": user_id,
                "reaction": name,
                "item": {"type": "message", "channel": channel_id, "ts": ts},
                "item_user": message.user,
                "event_ts": f"{time.time():.6f}",
            },
            team_id=self.ws.users[user_id].team_id,
        )
