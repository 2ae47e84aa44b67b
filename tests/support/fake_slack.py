"""A fake Slack Web API client for service tests: answers like Slack, remembers what was said.

It stands in for the `AsyncWebClient` under the real gateway (the gateway's wall, pacing and
message kinds all run), so it does not change when the gateway's own call style does. It
keeps every message with its channel, thread, edits, reactions and files, so a test asks what
a person or a channel would see. `fail(method, error)` makes the next call(s) answer an error
without doing anything; `lose_answer(method)` does the call's work, then answers a 500.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError


@dataclass
class Post:
    """One message in a channel or DM, as Slack holds it now."""

    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    edits: list[str] = field(default_factory=list)  # earlier versions' shown text, oldest first
    reactions: set[str] = field(default_factory=set)
    files: list[SharedFile] = field(default_factory=list)

    @property
    def shown(self) -> str:
        """What a reader sees now: the text and every text in the blocks, one per line."""
        return "\n".join([self.text, *_block_texts(self.blocks)])

    @property
    def versions(self) -> list[str]:
        """Every version a reader may have seen, the current one last."""
        return [*self.edits, self.shown]


@dataclass
class SharedFile:
    """A file the bot uploaded and shared with a message."""

    id: str
    name: str
    title: str
    data: bytes
    alt_txt: str | None = None


@dataclass
class _Answer:
    """The parts of a Web API response that the gateway reads from an error."""

    data: dict[str, Any]
    status_code: int = 200


class FakeSlack:
    """One workspace as the bot's Web API client sees it."""

    def __init__(
        self,
        *,
        team_id: str,
        bot_user_id: str,
        bot_id: str,
        users: dict[str, str],
        channels: dict[str, bool],
        members: dict[str, set[str]] | None = None,
    ) -> None:
        """`users`: user id → team id; `channels`: channel id → shared with another org;
        `members`: channel id → its members (for `seen_by`)."""
        self.token = "xoxb-fake"
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.users = dict(users)
        self.channels = dict(channels)
        self.members = {c: set(m) for c, m in (members or {}).items()}
        self.posts: list[Post] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.views: list[dict[str, Any]] = []
        # user id -> every Home published for them (views.publish), oldest first.
        self.homes: dict[str, list[dict[str, Any]]] = {}
        self._failures: dict[str, list[str]] = {}
        self._lost: dict[str, int] = {}
        self._last_ts = 0.0
        self._files = 0

    # ---- faults ------------------------------------------------------------------------------
    def fail(self, method: str, error: str, times: int = 1) -> None:
        """The next `times` calls of `method` (e.g. "chat.postMessage") answer `error`."""
        self._failures.setdefault(method, []).extend([error] * times)

    def lose_answer(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` do their work, then answer 500 internal_error."""
        self._lost[method] = self._lost.get(method, 0) + times

    def _call(self, method: str, args: dict[str, Any]) -> None:
        self.calls.append((method, args))
        queued = self._failures.get(method)
        if queued:
            raise _error(method, queued.pop(0))

    def _answered(self, method: str) -> None:
        """After a call did its work: its answer may be lost (`lose_answer`)."""
        if self._lost.get(method):
            self._lost[method] -= 1
            raise _error(method, "internal_error", 500)

    # ---- what people do (not the bot) --------------------------------------------------------
    def person_posts(
        self, channel: str, user: str, text: str, thread_ts: str | None = None
    ) -> Post:
        """Someone writes in a channel (the event the bot hears is the caller's to deliver)."""
        post = Post(channel, self._next_ts(), user, text, thread_ts=thread_ts)
        self.posts.append(post)
        return post

    # ---- the Web API methods the bot calls ---------------------------------------------------
    async def auth_test(self, **args: Any) -> dict[str, Any]:
        """Who the token is for."""
        self._call("auth.test", args)
        return {
            "ok": True,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
        }

    async def api_test(self, **args: Any) -> dict[str, Any]:
        """Slack answers."""
        self._call("api.test", args)
        return {"ok": True}

    async def chat_postMessage(self, **args: Any) -> dict[str, Any]:  # noqa: N802 (slack_sdk)
        """Post as the bot; a user id as the channel means the bot's DM with that user."""
        self._call("chat.postMessage", args)
        channel = self._conversation(str(args["channel"]))
        if not channel.startswith("D") and channel not in self.channels:
            raise _error("chat.postMessage", "channel_not_found")
        thread = args.get("thread_ts")
        if thread and self.message(channel, thread) is None:
            raise _error("chat.postMessage", "thread_not_found")
        post = Post(
            channel,
            self._next_ts(),
            self.bot_user_id,
            str(args.get("text") or ""),
            list(args.get("blocks") or []),
            thread,
            args.get("metadata"),
        )
        self.posts.append(post)
        return {"ok": True, "channel": channel, "ts": post.ts}

    async def chat_update(self, **args: Any) -> dict[str, Any]:
        """Edit one of the bot's messages."""
        self._call("chat.update", args)
        post = self.message(str(args["channel"]), str(args["ts"]))
        if post is None:
            raise _error("chat.update", "message_not_found")
        if post.user != self.bot_user_id:
            raise _error("chat.update", "cant_update_message")
        post.edits.append(post.shown)
        post.text = str(args.get("text") or "")
        post.blocks = list(args.get("blocks") or [])
        return {"ok": True, "channel": post.channel, "ts": post.ts}

    async def reactions_add(self, **args: Any) -> dict[str, Any]:
        """Add the bot's reaction."""
        self._call("reactions.add", args)
        post = self.message(str(args["channel"]), str(args["timestamp"]))
        if post is None:
            raise _error("reactions.add", "message_not_found")
        if args["name"] in post.reactions:
            raise _error("reactions.add", "already_reacted")
        post.reactions.add(str(args["name"]))
        return {"ok": True}

    async def reactions_remove(self, **args: Any) -> dict[str, Any]:
        """Remove the bot's reaction."""
        self._call("reactions.remove", args)
        post = self.message(str(args["channel"]), str(args["timestamp"]))
        if post is None:
            raise _error("reactions.remove", "message_not_found")
        if args["name"] not in post.reactions:
            raise _error("reactions.remove", "no_reaction")
        post.reactions.discard(str(args["name"]))
        return {"ok": True}

    async def conversations_open(self, **args: Any) -> dict[str, Any]:
        """The bot's DM with one user."""
        self._call("conversations.open", args)
        user = str(args["users"])
        if user not in self.users:
            raise _error("conversations.open", "user_not_found")
        return {"ok": True, "channel": {"id": dm_channel(user)}}

    async def conversations_info(self, **args: Any) -> dict[str, Any]:
        """A channel's info, if the bot can see it."""
        self._call("conversations.info", args)
        channel = str(args["channel"])
        if channel.startswith("D"):
            return {"ok": True, "channel": {"id": channel, "is_im": True}}
        if channel not in self.channels:
            raise _error("conversations.info", "channel_not_found")
        shared = self.channels[channel]
        return {
            "ok": True,
            "channel": {"id": channel, "is_ext_shared": shared, "is_shared": shared},
        }

    async def users_info(self, **args: Any) -> dict[str, Any]:
        """A user's profile (their team tells internal from external)."""
        self._call("users.info", args)
        user = str(args["user"])
        if user not in self.users:
            raise _error("users.info", "user_not_found")
        return {"ok": True, "user": {"id": user, "team_id": self.users[user], "is_bot": False}}

    async def chat_getPermalink(self, **args: Any) -> dict[str, Any]:  # noqa: N802 (slack_sdk)
        """A link to a message."""
        self._call("chat.getPermalink", args)
        channel, ts = str(args["channel"]), str(args["message_ts"])
        return {"ok": True, "permalink": f"https://fake.slack.test/archives/{channel}/p{ts}"}

    async def conversations_history(self, **args: Any) -> dict[str, Any]:
        """Top-level messages of a channel after `oldest`, newest first."""
        self._call("conversations.history", args)
        channel = str(args["channel"])
        found = [p for p in self.in_channel(channel) if float(p.ts) > float(args["oldest"])]
        return {"ok": True, "messages": [_as_slack(p) for p in reversed(found)]}

    async def conversations_replies(self, **args: Any) -> dict[str, Any]:
        """A thread's messages after `oldest`."""
        self._call("conversations.replies", args)
        channel, ts = str(args["channel"]), str(args["ts"])
        thread = [p for p in self.thread(channel, ts) if float(p.ts) > float(args["oldest"])]
        return {"ok": True, "messages": [_as_slack(p) for p in thread]}

    async def files_upload_v2(self, **args: Any) -> dict[str, Any]:
        """Upload one file and share it (slack_sdk's three calls, answered as the last one)."""
        self._call("files.completeUploadExternal", args)
        channel = str(args["channel"])
        if channel[:1] not in {"C", "G", "D"}:
            raise _error("files.completeUploadExternal", "invalid_arguments")
        if not channel.startswith("D") and channel not in self.channels:
            raise _error("files.completeUploadExternal", "invalid_channel")
        thread = args.get("thread_ts")
        if thread and self.message(channel, thread) is None:
            raise _error("files.completeUploadExternal", "thread_not_found")
        self._files += 1
        shared = SharedFile(
            f"F{self._files:010d}",
            str(args["filename"]),
            str(args.get("title") or args["filename"]),
            bytes(args["file"]),
            args.get("alt_txt"),
        )
        post = Post(
            channel,
            self._next_ts(),
            self.bot_user_id,
            str(args.get("initial_comment") or ""),
            thread_ts=thread,
            files=[shared],
        )
        self.posts.append(post)
        self._answered("files.completeUploadExternal")
        return {"ok": True, "files": [{"id": shared.id, "name": shared.name}]}

    async def views_open(self, **args: Any) -> dict[str, Any]:
        """Open a modal (remembered in `views`)."""
        self._call("views.open", args)
        self.views.append(dict(args["view"]))
        return {"ok": True}

    async def views_publish(self, **args: Any) -> dict[str, Any]:
        """Replace someone's App Home (remembered in `homes`)."""
        self._call("views.publish", args)
        user, view = str(args["user_id"]), dict(args["view"])
        if user not in self.users:
            raise _error("views.publish", "user_not_found")
        if view.get("type") != "home" or len(view.get("blocks") or []) > 100:
            raise _error("views.publish", "invalid_arguments")
        self.homes.setdefault(user, []).append(view)
        return {"ok": True, "view": {"id": f"V{user}", **view}}

    # ---- what a test asks --------------------------------------------------------------------
    def message(self, channel: str, ts: str) -> Post | None:
        """The message at `ts` in `channel` (or the bot's DM with that user)."""
        channel = self._conversation(channel)
        return next((p for p in self.posts if p.channel == channel and p.ts == ts), None)

    def in_channel(self, channel: str) -> list[Post]:
        """Top-level messages of a channel, oldest first."""
        channel = self._conversation(channel)
        return [p for p in self.posts if p.channel == channel and p.thread_ts in (None, p.ts)]

    def thread(self, channel: str, ts: str) -> list[Post]:
        """The replies in a message's thread, oldest first (the parent not included)."""
        channel = self._conversation(channel)
        return [p for p in self.posts if p.channel == channel and p.thread_ts == ts != p.ts]

    def by_bot(self, channel: str | None = None) -> list[Post]:
        """Everything the bot posted (in `channel`, or a DM with that user), oldest first."""
        wanted = None if channel is None else self._conversation(channel)
        return [
            p
            for p in self.posts
            if p.user == self.bot_user_id and (wanted is None or p.channel == wanted)
        ]

    def dms_to(self, user: str) -> list[Post]:
        """The bot's direct messages to one user."""
        return self.by_bot(dm_channel(user))

    def seen_by(self, user: str) -> list[Post]:
        """Every bot message in a conversation this user is in (channels and their DM)."""
        mine = {c for c, people in self.members.items() if user in people} | {dm_channel(user)}
        return [p for p in self.by_bot() if p.channel in mine]

    def home(self, user: str) -> str | None:
        """What someone's App Home shows now: every text in its blocks, one per line."""
        published = self.homes.get(user)
        return "\n".join(_block_texts(published[-1]["blocks"])) if published else None

    def called(self, method: str) -> list[dict[str, Any]]:
        """The arguments of every call of one Web API method, in order."""
        return [args for name, args in self.calls if name == method]

    def leaks(self, pattern: re.Pattern[str]) -> list[tuple[str, str]]:
        """Bot messages in shared channels whose any version matches `pattern`, or that carry a
        file (every file the bot sends is internal): the wall broke."""
        shared = [p for p in self.by_bot() if self.channels.get(p.channel)]
        return [
            (p.channel, version[:200])
            for p in shared
            for version in p.versions
            if pattern.search(version)
        ] + [(p.channel, f"file {f.name}") for p in shared for f in p.files]

    # ---- internals ---------------------------------------------------------------------------
    def _conversation(self, channel: str) -> str:
        return dm_channel(channel) if channel[:1] in {"U", "W"} else channel

    def _next_ts(self) -> str:
        # Real time, always increasing: the outbox looks for its own posts after a moment.
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"


def dm_channel(user: str) -> str:
    """The id of the bot's DM with a user in this fake."""
    return "D" + user[1:]


def _error(method: str, code: str, status: int = 200) -> SlackApiError:
    return SlackApiError(
        f"The request to the Slack API failed. (url: {method}) {code}",
        _Answer({"ok": False, "error": code}, status),
    )


def _as_slack(post: Post) -> dict[str, Any]:
    found: dict[str, Any] = {"ts": post.ts, "user": post.user, "text": post.text}
    if post.metadata:
        found["metadata"] = post.metadata
    if post.thread_ts:
        found["thread_ts"] = post.thread_ts
    if post.files:
        found["files"] = [{"id": f.id, "name": f.name, "title": f.title} for f in post.files]
    return found


def _block_texts(value: Any) -> Iterable[str]:
    """Every `text` string inside Block Kit blocks (section texts, fields, buttons...)."""
    if isinstance(value, dict):
        text = value.get("text")
        if isinstance(text, str):
            yield text
        for key, inner in value.items():
            if key != "text" or not isinstance(inner, str):
                yield from _block_texts(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _block_texts(inner)
