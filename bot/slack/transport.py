"""The Web API transport: the HTTP client, its retries (429 with Retry-After, 5xx, dropped
connections), call counting, and the pace of posts and edits. What may be sent is the
gateway's business (bot/slack/gateway.py); this only carries it."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config.pacing import EDITS_BUDGET, POSTS_BUDGET, PREPARE_AHEAD
from bot.jobs.lanes import UNRANKED, Rank
from bot.slack.calls import CallCounter, Count, method_of
from bot.slack.lean_client import LeanWebClient
from bot.slack.pacing import ChannelPacer, WindowBudget, wait_until

log = logging.getLogger("connectdesk.gateway")

# Errors after which the same call can never succeed; anything else is worth a retry.
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
        # views.publish for someone Slack does not know (any more)
        "user_not_found",
        # files.getUploadURLExternal / files.completeUploadExternal
        "invalid_channel",
        "posting_to_channel_denied",
        "file_uploads_disabled",
        "file_upload_size_restricted",
        "alt_txt_too_large",
    }
)
# The calls that put a message in a channel: a 5xx may come after Slack did it, so they are
# never repeated blindly (their callers look for them first).
POSTING_METHODS = frozenset({"chat.postMessage", "files.completeUploadExternal"})
# The last step of files_upload_v2, the only one that shares anything.
SHARE_METHOD = "files.completeUploadExternal"


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
    """What became of one call: the message's ts, or why not and whether trying again helps."""

    ts: str | None = None
    channel: str | None = None
    error: str | None = None
    # An upload: the file's id.
    file_id: str | None = None
    permanent: bool = False
    # The request may have reached Slack (timeout, dropped connection): check before resending.
    uncertain: bool = False
    # Not sent: the caller's last-moment check said the post was no longer wanted.
    withdrawn: bool = False

    @property
    def ok(self) -> bool:
        """Done (or found already done)."""
        return self.error is None and not self.withdrawn


REPLICA_HEADER = "X-Connectdesk-Replica"


class ReadSafeServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    """Retries any 5xx with backoff (a proxy's 502 / 504 too, JSON or not), except for a post
    or a file's share: a 5xx may come after Slack posted it.

    A failed post goes back to its caller as "maybe sent"; the outbox and the broadcaster look
    for it by its metadata key (a file: by its name in the thread) before posting again, which
    a blind resend cannot do. Announcing a file and sending its bytes share nothing: retried.
    """

    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        if method_of(request.url) in POSTING_METHODS:
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
    """A Web API client that retries 429s (honouring Retry-After), 5xx and dropped connections;
    with a session set, its plain calls take a leaner path (bot/slack/lean_client.py).

    `count_calls(method, outcome)` hears of every request, retries included (bot/slack/calls).
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
    return LeanWebClient(**kwargs)


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


@dataclass(frozen=True)
class FileUpload:
    """A file to share: its bytes, its name (with the extension that says its type), the title
    shown above it and, for an image, a description for screen readers."""

    data: bytes
    filename: str
    title: str
    alt_txt: str | None = None


def _failed(method: str, where: str, exc: Exception) -> Delivered:
    """A failed call as a result: permanent, or maybe done (check before doing it again)."""
    if isinstance(exc, SlackApiError):
        failure = api_failure(exc)
        log.warning("%s %s failed: %s", method, where, failure)
        # A 5xx or a proxy's page may come after Slack did the work.
        return Delivered(
            error=failure.code,
            permanent=failure.code in PERMANENT_ERRORS,
            uncertain=failure.uncertain,
        )
    log.warning("%s %s may not have arrived: %r", method, where, exc)
    return Delivered(error=type(exc).__name__, uncertain=True)


# aiohttp's client errors are OSErrors; a timeout is a TimeoutError.
CALL_ERRORS = (SlackApiError, TimeoutError, OSError)


class Transport:
    """Carries calls to one install's Web API: posts paced per channel and within the
    workspace budget (best rank first), edits within theirs, failures told as results."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        pacer: ChannelPacer | None = None,
        posts: WindowBudget | None = None,
        edits: WindowBudget | None = None,
    ) -> None:
        self.client = client
        self.pacer = pacer or ChannelPacer()
        # Workspace-wide: every chat.postMessage and every chat.update share one budget each.
        self.posts = posts or WindowBudget(*POSTS_BUDGET)
        self.edits = edits or WindowBudget(*EDITS_BUDGET)

    @asynccontextmanager
    async def _post_turn(
        self,
        channel: str,
        rank: Rank,
        just_before: Callable[[], Awaitable[bool]] | None = None,
    ) -> AsyncIterator[bool]:
        """The channel's turn and a place in the posts budget; yields False when `just_before`
        withdrew the post. `just_before` runs while the place frees, so its time is not lost
        from the window."""
        ahead = PREPARE_AHEAD if just_before is not None else 0.0
        async with self.pacer.turn(channel), self.posts.slot(rank, ahead=ahead) as due:
            go = just_before is None or await just_before()
            if go:
                await wait_until(due)
            yield go

    async def post(
        self,
        channel: str,
        fields: dict[str, Any],
        *,
        rank: Rank = UNRANKED,
        just_before: Callable[[], Awaitable[bool]] | None = None,
    ) -> Delivered:
        """chat.postMessage, in the channel's turn and within the budget.

        `just_before` runs once the budget holds a place for the call, at most PREPARE_AHEAD
        before the place frees, and the call follows it (False: withdraw).
        """
        try:
            async with self._post_turn(channel, rank, just_before) as go:
                if not go:
                    return Delivered(withdrawn=True)
                response = await self.client.chat_postMessage(
                    channel=channel, unfurl_links=False, **fields
                )
        except CALL_ERRORS as exc:
            return _failed("chat.postMessage", f"to {channel}", exc)
        return Delivered(ts=response["ts"], channel=response.get("channel"))

    async def edit(
        self, channel: str, ts: str, fields: dict[str, Any], *, rank: Rank = UNRANKED
    ) -> Delivered:
        """chat.update, within the edits budget."""
        try:
            async with self.edits.slot(rank):
                await self.client.chat_update(channel=channel, ts=ts, **fields)
        except CALL_ERRORS as exc:
            return _failed("chat.update", f"{channel}/{ts}", exc)
        return Delivered(ts=ts, channel=channel)

    async def upload(
        self,
        channel: str,
        file: FileUpload,
        *,
        comment: str | None = None,
        thread_ts: str | None = None,
        rank: Rank = UNRANKED,
    ) -> Delivered:
        """files_upload_v2 into a conversation id (not a user id), in the channel's turn and
        within the posts budget: its share is a message like any post.

        Only a failed share (files.completeUploadExternal) may have landed; a failure to
        announce the file or send its bytes shared nothing.
        """
        try:
            async with self._post_turn(channel, rank):
                response = await self.client.files_upload_v2(
                    channel=channel,
                    file=file.data,
                    filename=file.filename,
                    title=file.title,
                    alt_txt=file.alt_txt,
                    initial_comment=comment,
                    thread_ts=thread_ts,
                )
        except SlackRequestError as exc:  # the bytes were refused: nothing was shared
            log.warning("upload of %s to %s failed: %s", file.filename, channel, exc)
            return Delivered(error="upload_failed")
        except SlackApiError as exc:
            result = _failed("files_upload_v2", f"{file.filename} to {channel}", exc)
            url = str(getattr(exc.response, "api_url", "") or "")
            shared = not url or method_of(url) == SHARE_METHOD  # unknown: assume the share
            return replace(result, uncertain=result.uncertain and shared)
        except (TimeoutError, OSError) as exc:
            return _failed("files_upload_v2", f"{file.filename} to {channel}", exc)
        files = response.get("files") or []
        file_id = str(files[0]["id"]) if files else None
        return Delivered(ts=_share_ts(files, channel), channel=channel, file_id=file_id)

    async def publish_view(self, user_id: str, view: dict[str, Any]) -> Delivered:
        """views.publish: replace someone's App Home (doing it again does no harm)."""
        try:
            await self.client.views_publish(user_id=user_id, view=view)
        except CALL_ERRORS as exc:
            return _failed("views.publish", f"for {user_id}", exc)
        return Delivered()

    async def reaction(self, add: bool, channel: str, ts: str, name: str) -> Delivered:
        """reactions.add (already there counts as done) or reactions.remove (absent: done)."""
        try:
            if add:
                await self.client.reactions_add(channel=channel, timestamp=ts, name=name)
            else:
                await self.client.reactions_remove(channel=channel, timestamp=ts, name=name)
        except SlackApiError as exc:
            code = api_failure(exc).code
            if code == ("already_reacted" if add else "no_reaction"):
                return Delivered(ts=ts, channel=channel)
            result = _failed("reactions.add" if add else "reactions.remove", f"{name} {ts}", exc)
            gone = result.permanent or code == "message_not_found"
            return Delivered(error=result.error, permanent=gone, uncertain=result.uncertain)
        except (TimeoutError, OSError) as exc:
            return _failed("reactions", ts, exc)
        return Delivered(ts=ts, channel=channel)

    async def problem(self, method: str) -> str | None:
        """Ask Slack now whether `method` (api.test, auth.test) answers: None if so, else why."""
        try:
            probe = {"api.test": self.client.api_test, "auth.test": self.client.auth_test}
            await probe[method]()
        except SlackApiError as exc:
            return f"{method} failed: {api_failure(exc).code}"
        except Exception as exc:  # unreachable, timed out...: a probe answers, never raises
            return f"{method} failed: {type(exc).__name__}"
        return None


def _share_ts(files: list[dict[str, Any]], channel: str) -> str | None:
    """The ts of the message sharing the first file in `channel`, when Slack says already.

    It often does not: Slack shares in the background, and answers with `shares` empty.
    """
    shares = (files[0].get("shares") or {}) if files else {}
    for kind in ("private", "public"):
        found = (shares.get(kind) or {}).get(channel) or []
        if found and found[0].get("ts"):
            return str(found[0]["ts"])
    return None
