"""The one outbound gateway to Slack's Web API: paces, retries, and guards the wall."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.messages.base import CustomerMessage, InternalMessage, OutboundMessage
from bot.slack.calls import CallCounter, Count
from bot.slack.channels import is_direct_message
from bot.slack.pacing import WindowBudget

log = logging.getLogger("connectdesk.gateway")

# Message metadata event type marking our broadcast posts, so a resend can find the original.
POST_KEY_EVENT = "connectdesk_post"


class WallViolation(RuntimeError):
    """An internal message was headed for a channel shared with customers; it was not sent.

    `transient` when Slack could not say whether the channel is shared (fail closed for now,
    but a later try may learn it is internal).
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


# Errors after which the same post can never succeed; anything else is worth a retry.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "channel_is_archived",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "restricted_action",
        "team_access_not_granted",
        "thread_not_found",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "ekm_access_denied",
    }
)


@dataclass(frozen=True)
class ApiFailure:
    """What a failed Web API call answered, whatever its body was (see `api_failure`)."""

    # Slack's `error`, or `http_<status>` when the answer was not Slack's JSON (a proxy's page).
    code: str
    status: int | None
    # The start of a body that was not JSON, on one line ("" for Slack's own answers).
    body: str = ""
    json: bool = True

    @property
    def uncertain(self) -> bool:
        """The call may have been done: a 5xx, or an answer that was not Slack's."""
        return self.status is None or self.status >= 500 or not self.json

    def __str__(self) -> str:
        if self.json:
            return self.code
        shown = f": {self.body!r}" if self.body else ""
        return f"HTTP {self.status}, not Slack's JSON answer{shown}"


NON_JSON_PREFIX = "Received a response in a non-JSON format: "
BODY_SHOWN = 80


def api_failure(exc: SlackApiError) -> ApiFailure:
    """The error code of any SlackApiError, whatever its body.

    slack_sdk puts Slack's JSON in `exc.response.data`, but a proxy's HTML 502 arrives as a
    string there (`text/plain`), as `{}` (`text/html`), or not at all (`application/json`
    that is not JSON: `exc.response` is then aiohttp's response and the body is in the message).
    """
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    data = getattr(response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return ApiFailure(str(data["error"]), status)
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    if isinstance(data, str):
        body = data
    else:
        message = str(exc.args[0]) if exc.args else ""
        body = message.split(NON_JSON_PREFIX, 1)[1] if NON_JSON_PREFIX in message else ""
        body = body.split("\nThe server responded with:", 1)[0]
    body = re.sub(r"\s+", " ", body).strip()[:BODY_SHOWN]
    return ApiFailure(f"http_{status}" if status else "no_answer", status, body, json=False)


@dataclass(frozen=True)
class Delivered:
    """What became of one post: its ts, or why not and whether trying again can help."""

    ts: str | None = None
    channel: str | None = None
    error: str | None = None
    permanent: bool = False
    # The request may have reached Slack (timeout, dropped connection): check before resending.
    uncertain: bool = False
    # Not sent: the caller's last-moment check said the post was no longer wanted.
    withdrawn: bool = False


@dataclass(frozen=True)
class Identity:
    """Who the bot is in the install it serves: `team_id` is the install's key (the workspace,
    or the org of an org-wide install), the one everything it stores is kept under."""

    team_id: str
    bot_user_id: str
    bot_id: str | None
    enterprise_id: str | None = None


REPLICA_HEADER = "X-Connectdesk-Replica"
# Links to customer messages remembered (least recently used dropped first): about 2 MB.
PERMALINKS_KEPT = 10_000


class ReadSafeServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """Retries any 5xx with backoff (a proxy's 502 / 504 too, JSON or not), except for a post:
    a 5xx may come after Slack posted it.

    A failed post goes back to its caller as "maybe sent"; the outbox and the broadcaster look
    for it by its metadata key before posting again, which a blind resend cannot do.
    """

    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        if request.url.rstrip("/").endswith("chat.postMessage"):
            return False
        if response is not None:
            return response.status_code >= 500
        # A body labelled JSON that is not: slack_sdk raises before it has a response for us.
        return isinstance(error, SlackApiError) and (api_failure(error).status or 0) >= 500


def make_client(
    token: str,
    base_url: str | None,
    replica: str | None = None,
    *,
    count_calls: Count | None = None,
) -> AsyncWebClient:
    """A Web API client that retries 429s (honouring Retry-After), 5xx and dropped connections.

    `count_calls(method, outcome)` hears of every request, retries included (bot/slack_calls).
    """
    counter = [CallCounter(count_calls)] if count_calls is not None else []
    handlers = [
        *counter,
        AsyncRateLimitErrorRetryHandler(max_retry_count=8),
        ReadSafeServerErrorRetryHandler(max_retry_count=5),
        AsyncConnectionErrorRetryHandler(max_retry_count=3),
    ]
    kwargs: dict[str, Any] = {"token": token, "retry_handlers": handlers}
    if replica:
        # Names the replica on each call, for whoever reads the traffic. Not in User-Agent:
        # Bolt's per-request clients share this dict and rewrite that one key.
        kwargs["headers"] = {REPLICA_HEADER: replica}
    if base_url:
        kwargs["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
    return AsyncWebClient(**kwargs)


async def check_token(token: str | None, base_url: str | None, *, within: float) -> None:
    """For a start-up check: Slack accepts the token (auth.test) or, with none, answers at all
    (api.test). Raises SlackApiError when Slack refuses, aiohttp's errors when it cannot be
    reached. A refused connection is not retried, a 429 or 5xx twice: the operator waits.
    """
    client = make_client(token or "", base_url)
    client.retry_handlers = [
        AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ReadSafeServerErrorRetryHandler(max_retry_count=2),
    ]
    client.timeout = int(within)
    if token:
        await client.auth_test()
    else:
        client.token = None
        await client.api_test()


class ChannelPacer:
    """At most one post per `interval` seconds per channel (Slack: ~1 message/s/channel)."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}

    async def wait(self, channel: str) -> None:
        """Sleep until this channel may take another message, reserving the slot first."""
        now = time.monotonic()
        slot = max(now, self._next.get(channel, 0.0))
        self._next[channel] = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


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

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        pacer: ChannelPacer | None = None,
        posts: WindowBudget | None = None,
        edits: WindowBudget | None = None,
        identity: Identity | None = None,
    ) -> None:
        """`identity`: who the bot is, when the install already says (else auth.test tells)."""
        self.client = client
        self.channels = SharedChannels(client)
        self.pacer = pacer or ChannelPacer()
        # Workspace-wide: every chat.postMessage and every chat.update share one budget each.
        self.posts = posts or WindowBudget(10, 6.0)
        self.edits = edits or WindowBudget(50, 60.0)
        self._identity: Identity | None = identity
        self._users: dict[str, dict[str, Any] | None] = {}
        self._dms: dict[str, str] = {}
        self._permalinks: OrderedDict[tuple[str, str], str] = OrderedDict()

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
            )
        return self._identity

    async def api_problem(self) -> str | None:
        """Ask Slack now whether its Web API answers (api.test, no token): None if so."""
        try:
            await self.client.api_test()
        except SlackApiError as exc:
            return f"api.test failed: {api_failure(exc).code}"
        except Exception as exc:  # unreachable, timed out...: a probe answers, never raises
            return f"api.test failed: {type(exc).__name__}"
        return None

    async def auth_problem(self) -> str | None:
        """Ask Slack now whether our token works (auth.test): None if so, else why not."""
        try:
            await self.client.auth_test()
        except SlackApiError as exc:
            return f"auth.test failed: {api_failure(exc).code}"
        except Exception as exc:  # unreachable, timed out...: a probe answers, never raises
            return f"auth.test failed: {type(exc).__name__}"
        return None

    async def _guard(self, channel: str, message: OutboundMessage) -> None:
        if isinstance(message, CustomerMessage):
            return
        if not isinstance(message, InternalMessage):
            raise TypeError(f"unknown message kind {type(message).__name__}")
        shared = await self.channels.lookup(channel)
        if shared is None:
            log.error("wall: refused an internal message to %s: cannot tell if shared", channel)
            raise WallViolation(f"{channel} may be shared; not sent for now", transient=True)
        if shared:
            log.error("wall: refused an internal message to shared channel %s", channel)
            raise WallViolation(f"internal message refused for shared channel {channel}")

    async def post(
        self, channel: str, message: OutboundMessage, *, thread_ts: str | None = None
    ) -> str | None:
        """Post a message (paced per channel); its ts, or None if Slack refused it."""
        await self._guard(channel, message)
        await self.pacer.wait(channel)
        try:
            async with self.posts.slot():
                response = await self.client.chat_postMessage(
                    channel=channel, thread_ts=thread_ts, unfurl_links=False, **message.payload()
                )
        except SlackApiError as exc:
            log.warning("chat.postMessage to %s failed: %s", channel, api_failure(exc))
            return None
        return response["ts"]

    async def deliver(
        self,
        channel: str,
        message: OutboundMessage,
        *,
        thread_ts: str | None = None,
        key: dict[str, Any] | None = None,
        just_before: Callable[[], Awaitable[bool]] | None = None,
    ) -> Delivered:
        """Post and say exactly what happened; `key` goes into the message's metadata.

        `just_before` runs once the budget allows the call, right before it (False: withdraw).
        """
        await self._guard(channel, message)
        await self.pacer.wait(channel)
        extra: dict[str, Any] = {}
        if key is not None:
            extra["metadata"] = {"event_type": POST_KEY_EVENT, "event_payload": key}
        try:
            async with self.posts.slot():
                if just_before is not None and not await just_before():
                    return Delivered(withdrawn=True)
                response = await self.client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread_ts,
                    unfurl_links=False,
                    **message.payload(),
                    **extra,
                )
        except SlackApiError as exc:
            failure = api_failure(exc)
            log.warning("chat.postMessage to %s failed: %s", channel, failure)
            # A 5xx or a proxy's page may come after Slack did the work: check before posting.
            return Delivered(
                error=failure.code,
                permanent=failure.code in PERMANENT_ERRORS,
                uncertain=failure.uncertain,
            )
        except (TimeoutError, OSError) as exc:  # aiohttp's client errors are OSErrors
            log.warning("chat.postMessage to %s may not have arrived: %r", channel, exc)
            return Delivered(error=type(exc).__name__, uncertain=True)
        return Delivered(ts=response["ts"], channel=response.get("channel"))

    async def find_own_post(
        self, channel: str, key: dict[str, Any], *, thread_ts: str | None, oldest: float
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

    async def react_result(self, channel: str, ts: str, name: str) -> Delivered:
        """Add a reaction and say what happened (already there counts as done)."""
        try:
            await self.client.reactions_add(channel=channel, timestamp=ts, name=name)
        except SlackApiError as exc:
            failure = api_failure(exc)
            if failure.code == "already_reacted":
                return Delivered(ts=ts, channel=channel)
            log.warning("reactions.add %s on %s failed: %s", name, ts, failure)
            gone = failure.code in PERMANENT_ERRORS or failure.code == "message_not_found"
            return Delivered(error=failure.code, permanent=gone)
        except (TimeoutError, OSError) as exc:
            return Delivered(error=type(exc).__name__, uncertain=True)
        return Delivered(ts=ts, channel=channel)

    async def open_view(self, trigger_id: str, view: dict[str, Any]) -> bool:
        """Open a modal for the person whose command gave us `trigger_id`."""
        try:
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.warning("views.open failed: %s", api_failure(exc))
            return False
        return True

    async def dm(self, user_id: str, message: InternalMessage) -> str | None:
        """Send one of our users a direct message."""
        return await self.post(user_id, message)

    async def update(self, channel: str, ts: str, message: OutboundMessage) -> bool:
        """Replace the text of a message the bot posted earlier."""
        await self._guard(channel, message)
        try:
            async with self.edits.slot():
                await self.client.chat_update(channel=channel, ts=ts, **message.payload())
        except SlackApiError as exc:
            log.warning("chat.update %s/%s failed: %s", channel, ts, api_failure(exc))
            return False
        return True

    async def react(self, channel: str, ts: str, name: str) -> bool:
        """Add a reaction (already there counts as done)."""
        try:
            await self.client.reactions_add(channel=channel, timestamp=ts, name=name)
        except SlackApiError as exc:
            failure = api_failure(exc)
            if failure.code == "already_reacted":
                return True
            log.warning("reactions.add %s on %s failed: %s", name, ts, failure)
            return False
        return True

    async def unreact(self, channel: str, ts: str, name: str) -> bool:
        """Remove the bot's reaction (absent counts as done)."""
        try:
            await self.client.reactions_remove(channel=channel, timestamp=ts, name=name)
        except SlackApiError as exc:
            failure = api_failure(exc)
            if failure.code == "no_reaction":
                return True
            log.warning("reactions.remove %s on %s failed: %s", name, ts, failure)
            return False
        return True

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

    async def permalink(self, channel: str, ts: str) -> str | None:
        """A link to a message, or None (remembered: a message's link never changes)."""
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
