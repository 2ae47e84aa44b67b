"""The one outbound gateway to Slack's Web API, as policy: what may be sent where (the wall
keeps internal messages and every file out of shared channels), what kind of message each
is, and how our posts are found again. Carrying the calls (pacing, retries) is
bot/slack/transport.py's job.

One call style: every call that changes something in Slack answers a `Delivered`.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.jobs.lanes import UNRANKED, Rank
from bot.messages.base import (
    CustomerMessage,
    HomeView,
    InternalHome,
    InternalMessage,
    OutboundMessage,
)
from bot.slack.channels import is_direct_message, is_user
from bot.slack.links import message_link
from bot.slack.transport import CALL_ERRORS, Delivered, FileUpload, Transport, api_failure

log = logging.getLogger("connectdesk.gateway")

# Message metadata event type marking our posts, so a resend can find the original.
POST_KEY_EVENT = "connectdesk_post"
# Links to customer messages remembered (least recently used dropped first): about 2 MB.
PERMALINKS_KEPT = 10_000


class WallViolation(RuntimeError):
    """An internal message was headed for a channel shared with customers; it was not sent.

    `transient` when Slack could not say whether the channel is shared (fail closed for now,
    but a later try may learn it is internal).
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Identity:
    """Who the bot is in the install it serves: `team_id` is the install's key (the workspace,
    or the org of an org-wide install), the one everything it stores is kept under."""

    team_id: str
    bot_user_id: str
    bot_id: str | None
    enterprise_id: str | None = None
    # The workspace's address (auth.test's `url`): links to its messages are built from it.
    # None for an org-wide install (its messages live in many workspaces) or when not known.
    url: str | None = None


class SharedChannels:
    """Knows which channels are shared with another organisation; unsure means shared."""

    def __init__(self, client: AsyncWebClient, ttl: float = 300.0) -> None:
        self._client = client
        self._ttl = ttl
        self._linked: set[str] = set()
        self._cache: dict[str, tuple[bool, float]] = {}

    def mark_shared(self, channel_ids: Iterable[str]) -> None:
        """Remember channels known to be shared (linked accounts, channel_shared events)."""
        for channel in channel_ids:
            self._linked.add(channel)
            self._cache.pop(channel, None)

    def forget(self, channel_id: str) -> None:
        """Drop what is cached about a channel (it was shared or unshared)."""
        self._cache.pop(channel_id, None)

    async def is_shared(self, channel_id: str) -> bool:
        """True if the channel is, or may be, visible to another organisation."""
        return await self.lookup(channel_id) is not False

    async def lookup(self, channel_id: str) -> bool | None:
        """Whether the channel is shared with another organisation; None if Slack cannot say."""
        if is_direct_message(channel_id):
            return False
        if channel_id in self._linked:
            return True
        cached = self._cache.get(channel_id)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        try:
            info = (await self._client.conversations_info(channel=channel_id))["channel"]
        except SlackApiError as exc:
            log.warning(
                "conversations.info %s failed (%s): treating as shared",
                channel_id,
                api_failure(exc),
            )
            return None
        shared = bool(
            info.get("is_ext_shared")
            or info.get("is_pending_ext_shared")
            or info.get("is_shared")
            and not info.get("is_org_shared")
        )
        self._cache[channel_id] = (shared, time.monotonic() + self._ttl)
        return shared


class SlackGateway:
    """Every Web API call the bot makes goes through here."""

    def __init__(self, transport: Transport, *, identity: Identity | None = None) -> None:
        """`identity`: who the bot is, when the install already says (else auth.test tells)."""
        self.transport = transport
        self.channels = SharedChannels(transport.client)
        self._identity: Identity | None = identity
        self._users: dict[str, dict[str, Any] | None] = {}
        self._dms: dict[str, str] = {}
        self._permalinks: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._link_base: str | None = identity.url if identity is not None else None
        self._link_base_asked = self._link_base is not None

    @property
    def client(self) -> AsyncWebClient:
        """The install's Web API client (its token is rotated here)."""
        return self.transport.client

    async def identity(self) -> Identity:
        """The installing team and the bot's user id (auth.test, asked once)."""
        if self._identity is None:
            auth = await self.client.auth_test()
            org_wide = bool(auth.get("is_enterprise_install"))
            enterprise = auth.get("enterprise_id")
            self._identity = Identity(
                team_id=(enterprise if org_wide and enterprise else auth["team_id"]),
                bot_user_id=auth["user_id"],
                bot_id=auth.get("bot_id"),
                enterprise_id=enterprise,
                url=None if org_wide else auth.get("url"),
            )
            if not self._link_base_asked:
                self._link_base, self._link_base_asked = self._identity.url, True
        return self._identity

    async def _workspace_url(self) -> str | None:
        """The workspace's address for links (auth.test, asked once); None: ask Slack per link."""
        if not self._link_base_asked:
            try:
                auth = await self.client.auth_test()
            except CALL_ERRORS as exc:  # asked again for the next link
                log.info("auth.test failed (%r): this message link is asked of Slack", exc)
                return None
            self._link_base_asked = True
            url = auth.get("url")
            if isinstance(url, str) and url and not auth.get("is_enterprise_install"):
                self._link_base = url
        return self._link_base

    async def _guard(self, channel: str, message: OutboundMessage) -> None:
        if isinstance(message, CustomerMessage):
            return
        if not isinstance(message, InternalMessage):
            raise TypeError(f"unknown message kind {type(message).__name__}")
        await self._internal_only(channel, "an internal message")

    async def _internal_only(self, channel: str, what: str) -> None:
        """WallViolation unless the channel is a DM or known not to be shared."""
        shared = await self.channels.lookup(channel)
        if shared is None:
            log.error("wall: refused %s to %s: cannot tell if shared", what, channel)
            raise WallViolation(f"{channel} may be shared; not sent for now", transient=True)
        if shared:
            log.error("wall: refused %s to shared channel %s", what, channel)
            raise WallViolation(f"{what} refused for shared channel {channel}")

    async def deliver(
        self,
        channel: str,
        message: OutboundMessage,
        *,
        thread_ts: str | None = None,
        key: dict[str, Any] | None = None,
        landed_since: float | None = None,
        rank: Rank = UNRANKED,
        just_before: Callable[[], Awaitable[bool]] | None = None,
    ) -> Delivered:
        """Post (a user id: their DM) and say exactly what happened. WallViolation when an
        internal message is headed for a shared channel.

        `key` goes into the message's metadata. `landed_since` (epoch seconds): an earlier try
        may have landed since then, so the channel (or thread) is looked at once for a post
        carrying `key` before posting again. `rank` orders posts waiting for the workspace
        budget; `just_before` runs once the budget holds the call's place, right before the call
        (False: withdraw).
        """
        await self._guard(channel, message)
        if key is not None and landed_since is not None:
            try:
                found = await self._find_own_post(channel, key, thread_ts, landed_since)
            except Exception as exc:  # cannot tell: do not risk a second post, try later
                return Delivered(error=f"lookup failed: {type(exc).__name__}", uncertain=True)
            if found:
                log.info("%s: the earlier try had landed (%s)", key, found)
                return Delivered(ts=found, channel=channel)
        fields: dict[str, Any] = {"thread_ts": thread_ts, **message.payload()}
        if key is not None:
            fields["metadata"] = {"event_type": POST_KEY_EVENT, "event_payload": key}
        return await self.transport.post(channel, fields, rank=rank, just_before=just_before)

    async def _find_own_post(
        self, channel: str, key: dict[str, Any], thread_ts: str | None, oldest: float
    ) -> str | None:
        """The ts of our post carrying `key`, if it reached the channel (one look, no polling)."""
        try:
            if thread_ts:
                response = await self.client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=f"{oldest:.6f}", include_all_metadata=True
                )
            else:
                response = await self.client.conversations_history(
                    channel=channel, oldest=f"{oldest:.6f}", limit=200, include_all_metadata=True
                )
        except SlackApiError as exc:
            log.warning("could not check %s for an earlier post: %s", channel, api_failure(exc))
            raise
        for message in response.get("messages") or []:
            meta = message.get("metadata") or {}
            if meta.get("event_type") == POST_KEY_EVENT and meta.get("event_payload") == key:
                return str(message["ts"])
        return None

    async def upload(
        self,
        channel: str,
        file: FileUpload,
        *,
        comment: InternalMessage | None = None,
        thread_ts: str | None = None,
        landed_since: float | None = None,
        rank: Rank = UNRANKED,
    ) -> Delivered:
        """Share a file in a DM (a user id: theirs) or an internal channel, with `comment` as
        its message's text. Files are internal (reports, charts): WallViolation for a channel
        shared with another organisation, or one Slack cannot say is not.

        `landed_since` (epoch seconds): an earlier try may have landed since then, so the
        channel (or thread) is looked at once for our message carrying a file of this name
        before uploading again. Exact only where nothing else of ours shares a file of that
        name in that time, such as a thread of our own (file shares carry no metadata).
        """
        if is_user(channel):
            opened = await self.open_dm(channel)
            if opened is None:
                return Delivered(error="conversations.open failed")
            channel = opened  # files.completeUploadExternal takes no user id
        await self._internal_only(channel, "a file")
        if landed_since is not None:
            try:
                found = await self._find_own_file(channel, file.filename, thread_ts, landed_since)
            except Exception as exc:  # cannot tell: do not risk a second share, try later
                return Delivered(error=f"lookup failed: {type(exc).__name__}", uncertain=True)
            if found is not None:
                log.info("%s in %s: the earlier upload had landed", file.filename, channel)
                return Delivered(ts=found[0], channel=channel, file_id=found[1])
        text = comment.text if comment is not None else None
        return await self.transport.upload(
            channel, file, comment=text, thread_ts=thread_ts, rank=rank
        )

    async def _find_own_file(
        self, channel: str, filename: str, thread_ts: str | None, oldest: float
    ) -> tuple[str, str] | None:
        """(ts, file id) of our message sharing a file named `filename` (one look)."""
        me = await self.identity()
        try:
            if thread_ts:
                response = await self.client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=f"{oldest:.6f}"
                )
            else:
                response = await self.client.conversations_history(
                    channel=channel, oldest=f"{oldest:.6f}", limit=200
                )
        except SlackApiError as exc:
            log.warning("could not check %s for an earlier upload: %s", channel, api_failure(exc))
            raise
        for message in response.get("messages") or []:
            if message.get("user") != me.bot_user_id:
                continue
            for shared in message.get("files") or []:
                if shared.get("name") == filename:
                    return str(message["ts"]), str(shared.get("id") or "")
        return None

    async def update(
        self, channel: str, ts: str, message: OutboundMessage, *, rank: Rank = UNRANKED
    ) -> Delivered:
        """Replace the text of a message the bot posted earlier (the wall applies)."""
        await self._guard(channel, message)
        return await self.transport.edit(channel, ts, message.payload(), rank=rank)

    async def react(self, channel: str, ts: str, name: str) -> Delivered:
        """Add a reaction (already there counts as done)."""
        return await self.transport.reaction(True, channel, ts, name)

    async def unreact(self, channel: str, ts: str, name: str) -> Delivered:
        """Remove the bot's reaction (absent counts as done)."""
        return await self.transport.reaction(False, channel, ts, name)

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> Delivered:
        """Open a modal for the person whose command gave us `trigger_id`."""
        try:
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.warning("views.open failed: %s", api_failure(exc))
            return Delivered(error=api_failure(exc).code)
        return Delivered()

    async def publish_home(self, user_id: str, view: HomeView, *, ours: bool) -> Delivered:
        """Replace someone's App Home (views.publish). WallViolation for an internal Home
        bound for someone not known to be on our team (`ours`: the caller checked)."""
        if isinstance(view, InternalHome) and not ours:
            log.error("wall: refused an internal Home for %s, who is not on our team", user_id)
            raise WallViolation(f"internal Home refused for {user_id}")
        return await self.transport.publish_view(user_id, view.view())

    async def open_dm(self, user_id: str) -> str | None:
        """The id of the bot's DM channel with a user (conversations.open, remembered), or None."""
        if user_id not in self._dms:
            try:
                response = await self.client.conversations_open(users=user_id)
            except SlackApiError as exc:
                log.warning("conversations.open %s failed: %s", user_id, api_failure(exc))
                return None
            self._dms[user_id] = str(response["channel"]["id"])
        return self._dms[user_id]

    async def user(self, user_id: str) -> dict[str, Any] | None:
        """A user's profile (users.info), cached; None if Slack has none for us."""
        if user_id not in self._users:
            try:
                self._users[user_id] = (await self.client.users_info(user=user_id))["user"]
            except SlackApiError as exc:
                log.info("users.info %s failed: %s", user_id, api_failure(exc))
                return None
        return self._users[user_id]

    async def conversation(self, channel: str) -> dict[str, Any] | None:
        """A conversation's info (conversations.info), or None if the bot cannot see it."""
        try:
            return (await self.client.conversations_info(channel=channel))["channel"]
        except SlackApiError as exc:
            log.info("conversations.info %s failed: %s", channel, api_failure(exc))
            return None

    async def permalink(self, channel: str, ts: str, thread_ts: str | None = None) -> str | None:
        """A link to a message (`thread_ts`: the thread it is a reply in), or None.

        Built from the workspace's address like chat.getPermalink's answer, without a call;
        asked of Slack (and remembered: a link never changes) where the address is not known.
        """
        base = await self._workspace_url()
        if base is not None:
            return message_link(base, channel, ts, thread_ts)
        key = (channel, ts)
        if (known := self._permalinks.get(key)) is not None:
            self._permalinks.move_to_end(key)
            return known
        try:
            link = (await self.client.chat_getPermalink(channel=channel, message_ts=ts))[
                "permalink"
            ]
        except SlackApiError:
            return None
        # A breach alert to three people and the card edit after it ask for the same link.
        self._permalinks[key] = link
        if len(self._permalinks) > PERMALINKS_KEPT:
            self._permalinks.popitem(last=False)
        return link
