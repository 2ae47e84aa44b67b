"""The questions a test asks of the workspace: what is in a channel or thread, and what one
person could see (rendered as they read it), plus waiting until something is so."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.emulator.render import blocks_text, render
from bot.emulator.transcript import format_transcript
from bot.emulator.webapi.views import Views
from bot.emulator.workspace import StoredMessage, Workspace


@dataclass(frozen=True)
class SeenMessage:
    """Something a person could see: a channel message, a thread reply, an ephemeral, a DM."""

    channel_id: str
    channel_name: str
    ts: str
    thread_ts: str | None
    author_id: str | None
    author_name: str
    text: str
    raw_text: str
    blocks: list[dict[str, Any]]
    kind: str
    edited: bool
    posted_at: datetime | None = None
    # Every version as the person read it, first to current: (when it took effect, text).
    versions: tuple[tuple[datetime | None, str], ...] = ()
    # Reactions on it now: (name, names of who reacted).
    reactions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Files shared with it: (name, size in bytes, MIME type).
    files: tuple[tuple[str, int, str], ...] = ()


class Queries:
    """Read-only views of the workspace for assertions."""

    def __init__(self, ws: Workspace, views: Views) -> None:
        self.ws = ws
        self.views = views

    def messages(
        self, channel_id: str, thread_ts: str | None = None, include_replies: bool = True
    ) -> list[StoredMessage]:
        """Current (non-ephemeral, not deleted) messages of a channel, or of one thread."""
        result = []
        for m in self.ws.messages:
            if m.channel_id != channel_id or m.kind != "message" or m.deleted:
                continue
            if thread_ts is not None and not (m.thread_ts == thread_ts or m.ts == thread_ts):
                continue
            if thread_ts is None and not include_replies and m.thread_ts and m.thread_ts != m.ts:
                continue
            result.append(m)
        return result

    def reactions(self, channel_id: str, ts: str) -> dict[str, list[str]]:
        """Reactions on a message: name -> user ids."""
        message = self.ws.find(channel_id, ts)
        return dict(message.reactions) if message else {}

    def render(self, text: str) -> str:
        """Slack markup as a reader sees it."""
        return render(
            text,
            {u.id: u.name for u in self.ws.users.values()},
            {c.id: c.name for c in self.ws.channels.values()},
        )

    def seen_by(
        self, user_id: str, channel_id: str | None = None, thread_ts: str | None = None
    ) -> list[SeenMessage]:
        """What one person could see, in order (messages, thread replies, ephemerals, DMs)."""
        seen = []
        for m in self.ws.messages:
            channel = self.ws.channels.get(m.channel_id)
            if channel is None or m.deleted:
                continue
            if channel_id is not None and m.channel_id != channel_id:
                continue
            if thread_ts is not None and not (m.thread_ts == thread_ts or m.ts == thread_ts):
                continue
            if m.kind == "ephemeral":
                if m.target_user != user_id:
                    continue
                kind = "ephemeral"
            elif user_id in channel.member_ids:
                kind = "dm" if channel.is_im else "message"
            else:
                continue
            author = self.ws.users.get(m.user or "")
            texts = [e["text"] for e in m.edits] + [m.text]
            times = [m.posted_at] + [e.get("at") for e in m.edits]
            seen.append(
                SeenMessage(
                    channel_id=m.channel_id,
                    channel_name=channel.name,
                    ts=m.ts,
                    thread_ts=m.thread_ts,
                    author_id=m.user,
                    author_name=author.name if author else (m.user or "?"),
                    text=self.render(m.text),
                    raw_text=m.text,
                    blocks=m.blocks,
                    kind=kind,
                    edited=bool(m.edits),
                    posted_at=m.posted_at,
                    versions=tuple(zip(times, map(self.render, texts), strict=True)),
                    reactions=tuple(
                        (name, tuple(self._name(u) for u in users))
                        for name, users in m.reactions.items()
                    ),
                    files=tuple((f["name"], int(f["size"]), f["mimetype"]) for f in m.files),
                )
            )
        return seen

    def shared_channel_messages(self) -> list[StoredMessage]:
        """Everything the bot put in a channel shared with another org (ephemerals included)."""
        return [
            m
            for m in self.ws.messages
            if self.ws.is_app_bot(m.user)
            and self.ws.channels.get(m.channel_id) is not None
            and self.ws.channels[m.channel_id].is_ext_shared
        ]

    def home(self, user_id: str) -> str | None:
        """A person's App Home as they see it now (the latest view published for them), as
        text read as they read it; None when the app never published one for them."""
        view = self.views.published.get(user_id)
        return blocks_text(view["blocks"], self.render) if view is not None else None

    def transcript(self, user_id: str) -> str:
        """What a person saw, as they would tell it (bot/emulator/transcript.py), then their
        App Home as it is now, if the app published one for them."""
        told = format_transcript(self.seen_by(user_id))
        home = self.home(user_id)
        if home is None:
            return told
        shown = "\n".join(f"{' ' * 6}{line}" for line in home.splitlines())
        return f"{told}\n[App Home]\n{shown}" if told else f"[App Home]\n{shown}"

    def _name(self, user_id: str) -> str:
        user = self.ws.users.get(user_id)
        return user.name if user else user_id


async def wait_for(
    predicate: Callable[[], Any], within: float = 5.0, interval: float = 0.01
) -> Any:
    """Poll until `predicate()` is truthy and return its value; TimeoutError otherwise."""
    deadline = time.monotonic() + within
    while True:
        try:
            value = predicate()
        except (IndexError, KeyError, AttributeError, TypeError):
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {within}s")
        await asyncio.sleep(interval)
