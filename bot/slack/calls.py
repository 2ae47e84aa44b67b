"""Counts every HTTP request to Slack's Web API, as a hook in slack_sdk's retry loop.

slack_sdk asks each retry handler about every answer (and every failed connection) before it
decides whether to retry; one that always says no sees every request, retries included, of
the gateway's client and of the clients Bolt copies from it (they share its handlers).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler

# Error codes grouped so the outcome label stays a handful of values.
_ERROR_CLASSES = {
    "error_auth": {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "ekm_access_denied",
        "team_access_not_granted",
        "restricted_action",
        "access_denied",
        "org_login_required",
    },
    "error_not_found": {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "channel_is_archived",
        "thread_not_found",
        "message_not_found",
        "user_not_found",
        "users_not_found",
    },
    "error_conflict": {
        "already_reacted",
        "no_reaction",
        "cant_update_message",
        "edit_window_closed",
        "already_in_channel",
        "expired_trigger_id",
    },
    "error_invalid": {
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "too_many_reactions",
        "metadata_too_large",
    },
}
_CLASS_OF = {code: name for name, codes in _ERROR_CLASSES.items() for code in codes}
_METHOD = re.compile(r"^[a-z][A-Za-z]*(\.[A-Za-z]+)+$")

Count = Callable[[str, str], None]


def method_of(url: str) -> str:
    """The Web API method a request URL names ("other" for anything else: bounded labels)."""
    name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return name if _METHOD.match(name) else "other"


def error_class(error: str) -> str:
    """Slack's error code as one of a few classes."""
    if error == "ratelimited":
        return "ratelimited"
    if error in _CLASS_OF:
        return _CLASS_OF[error]
    return "error_invalid" if error.startswith("invalid_") else "error_other"


def outcome_of(status: int | None, body: Any, error: BaseException | None) -> str:
    """ok, an error class, ratelimited, http_5xx or network, for one request."""
    if error is not None:
        response = getattr(error, "response", None) if isinstance(error, SlackApiError) else None
        code = getattr(response, "status_code", None) or getattr(response, "status", None)
        return "http_5xx" if isinstance(code, int) and code >= 500 else "network"
    if status == 429:
        return "ratelimited"
    if status is not None and status >= 500:
        return "http_5xx"
    if isinstance(body, dict):
        if body.get("ok"):
            return "ok"
        return error_class(str(body.get("error") or ""))
    # Files and other non-JSON answers carry no `ok`: the status says it.
    return "ok" if status == 200 else "http_4xx"


class CallCounter(AsyncRetryHandler):
    """Reports each request's method and outcome to `count`; never asks for a retry itself.

    Put it first among the client's retry handlers: slack_sdk stops asking at the first that
    retries.
    """

    def __init__(self, count: Count) -> None:
        super().__init__(max_retry_count=0)
        self._count = count

    def __deepcopy__(self, memo: dict[int, Any]) -> CallCounter:
        # Bolt deep-copies a request for its lazy listeners, client and retry handlers too;
        # the copy must count into the same metrics (which cannot be copied anyway).
        return self

    async def can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        status = response.status_code if response is not None else None
        body = response.body if response is not None else None
        self._count(method_of(request.url), outcome_of(status, body, error))
        return False
