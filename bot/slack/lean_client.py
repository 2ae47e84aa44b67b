"""A Web API client with a shorter path for plain calls (chat.postMessage, reactions.add...).

slack_sdk's AsyncWebClient spends about as much CPU per call around aiohttp as aiohttp itself:
it joins the URL with urljoin, builds the headers anew, formats its debug lines whether or not
anyone reads them (its logger's level is unset), checks the method against deprecations. Here
those are done once per method, token and headers; what reaches the wire, the retry loop with
the client's retry handlers, the answer and the errors stay exactly slack_sdk's (issue 21).
Files, byte data, custom headers or auth, deprecated methods and a client without an open
session take slack_sdk's own path.

Two differences, both on purpose: `client.timeout` bounds each request (slack_sdk leaves a
shared session's own timeout, 5 minutes for aiohttp's default, in force), and the debug lines
are short and only written when someone listens.
"""

from __future__ import annotations

import json as jsonlib
import logging
from typing import Any

import aiohttp
from aiohttp import FormData
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.request import HttpRequest as RetryHttpRequest
from slack_sdk.http_retry.response import HttpResponse as RetryHttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import deprecation
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.internal_utils import (
    _build_unexpected_body_error_message,
    _get_headers,
    _get_url,
    _set_default_params,
    convert_bool_to_0_or_1,
)

# slack_sdk's own safety bound on attempts per call (async_internal_utils).
MOST_ATTEMPTS = 100
# Header sets kept per client: a token or two, JSON or form; more means tokens keep changing.
MOST_HEADER_SETS = 16
UTF_8 = frozenset({"utf-8", "utf8"})
DEPRECATED_PREFIXES = (
    *deprecation.deprecated_method_prefixes_2020_01,
    *deprecation.deprecated_method_prefixes_2023_07,
    *deprecation.deprecated_method_prefixes_2024_09,
)


class LeanWebClient(AsyncWebClient):
    """AsyncWebClient whose plain JSON and form calls skip slack_sdk's per-call overhead."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[tuple[str, str], str | None] = {}
        # Keyed by everything they are built from: Bolt and app.py set `token` after creation
        # and Bolt's per-request clients share (and rewrite) the `headers` dict.
        self._headers: dict[tuple[Any, ...], dict[str, str]] = {}
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    async def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict | None = None,
        data: dict | FormData | None = None,
        params: dict | None = None,
        json: dict | None = None,
        headers: dict | None = None,
        auth: dict | None = None,
    ) -> AsyncSlackResponse:
        """slack_sdk's api_call; a plain one (no files, data, headers or auth) goes the lean way."""
        session = self.session
        url = self._url(api_method) if session is not None and not session.closed else None
        if (
            url is None
            or files is not None
            or data is not None
            or headers is not None
            or auth is not None
            or (json is not None and http_verb != "POST")  # slack_sdk refuses it
        ):
            return await super().api_call(
                api_method,
                http_verb=http_verb,
                files=files,
                data=data,
                params=params,
                json=json,
                headers=headers,
                auth=auth,
            )
        return await self._lean_call(http_verb, url, params, json)

    def _url(self, api_method: str) -> str | None:
        """The method's URL, or None for a deprecated method (slack_sdk warns about those)."""
        key = (self.base_url, api_method)
        if key not in self._urls:
            deprecated = api_method.lstrip("/").startswith(DEPRECATED_PREFIXES)
            self._urls[key] = None if deprecated else _get_url(self.base_url, api_method)
        return self._urls[key]

    def _request_headers(self, token: str | None, has_json: bool) -> dict[str, str]:
        """slack_sdk's headers for this token and the client's headers (a fresh dict)."""
        key = (token, has_json, *self.headers.items())
        built = self._headers.get(key)
        if built is None:
            merged = dict(self.headers)
            built = _get_headers(
                headers=merged,
                token=token,
                has_json=has_json,
                has_files=False,
                request_specific_headers=merged,
            )
            if len(self._headers) >= MOST_HEADER_SETS:
                self._headers.clear()
            self._headers[key] = built
        return dict(built)  # a retry handler or a paging response may change its own copy

    def _timeout(self) -> aiohttp.ClientTimeout:
        """The client's timeout for one request."""
        timeout = self._timeouts.get(self.timeout)
        if timeout is None:
            timeout = self._timeouts[self.timeout] = aiohttp.ClientTimeout(total=self.timeout)
        return timeout

    async def _lean_call(
        self, http_verb: str, api_url: str, params: dict | None, json: dict | None
    ) -> AsyncSlackResponse:
        """What slack_sdk's api_call, _send and _request_with_session do for a plain call."""
        token = self.token
        if params is not None:
            params = {k: v for k, v in params.items() if v is not None}
            _set_default_params(params, self.default_params)
            token = params.pop("token", token)
        if json is not None:
            _set_default_params(json, self.default_params)
            token = json.pop("token", token)
        req_args: dict[str, Any] = {
            "headers": self._request_headers(token, json is not None),
            "data": None,
            "params": convert_bool_to_0_or_1(params),
            "json": json,
            "ssl": self.ssl,
            "proxy": self.proxy,
            "auth": None,
        }
        answer = await self._attempts(http_verb, api_url, req_args)
        return AsyncSlackResponse(
            client=self, http_verb=http_verb, api_url=api_url, req_args=req_args, **answer
        ).validate()

    async def _attempts(self, http_verb: str, api_url: str, req_args: dict) -> dict[str, Any]:
        """slack_sdk's retry loop: every handler hears each answer and each error, in order."""
        session = self.session
        assert session is not None
        retry_request = RetryHttpRequest(
            method=http_verb,
            url=api_url,
            headers=req_args["headers"],
            body_params=req_args["params"],
            data=None,
        )
        state = RetryState()
        timeout = self._timeout()
        last_error: Exception | None = None
        for _ in range(MOST_ATTEMPTS):
            state.next_attempt_requested = False
            retry_response: RetryHttpResponse | None = None
            if self._logger.isEnabledFor(logging.DEBUG):
                self._logger.debug("Sending a request - url: %s %s", http_verb, api_url)
            try:
                async with session.request(http_verb, api_url, timeout=timeout, **req_args) as res:
                    data, retry_response = await _read(res)
                    if self._logger.isEnabledFor(logging.DEBUG):
                        self._logger.debug("Received a response - status: %s", res.status)
                    await self._ask_handlers(state, retry_request, retry_response, None)
                    if not state.next_attempt_requested:
                        return {"data": data, "headers": res.headers, "status_code": res.status}
            except Exception as e:
                last_error = e
                await self._ask_handlers(state, retry_request, retry_response, e)
                if not state.next_attempt_requested:
                    raise
        assert last_error is not None
        raise last_error

    async def _ask_handlers(
        self,
        state: RetryState,
        request: RetryHttpRequest,
        response: RetryHttpResponse | None,
        error: Exception | None,
    ) -> None:
        """The first retry handler that wants another attempt prepares it (waits, counts)."""
        for handler in self.retry_handlers:
            if await handler.can_retry_async(
                state=state, request=request, response=response, error=error
            ):
                await handler.prepare_for_next_attempt_async(
                    state=state, request=request, response=response, error=error
                )
                return


async def _read(res: aiohttp.ClientResponse) -> tuple[Any, RetryHttpResponse]:
    """The answer's data as slack_sdk reads it, by content type; a body labelled JSON that is
    not JSON raises SlackApiError with aiohttp's response, as slack_sdk does."""
    headers: Any = res.headers
    if res.content_type == "application/gzip":  # admin.analytics.getFile
        data: Any = await res.read()
        return data, RetryHttpResponse(status_code=res.status, headers=headers, data=data)
    if res.content_type == "text/plain":
        data = await res.text()
        return data, RetryHttpResponse(status_code=res.status, headers=headers, data=data)
    try:
        data = await _json(res)
    except aiohttp.ContentTypeError:
        return {}, RetryHttpResponse(status_code=res.status, headers=headers)
    except jsonlib.JSONDecodeError:
        # slack_sdk wraps its own error once more; bot/slack/transport.py `api_failure` reads
        # the body out of that message.
        try:
            message = _build_unexpected_body_error_message(await res.text())
            raise SlackApiError(message, res)
        except Exception as e:
            raise SlackApiError(f"Unexpectedly failed to read the response body: {e!s}", res) from e
    return data, RetryHttpResponse(status_code=res.status, headers=headers, body=data)


async def _json(res: aiohttp.ClientResponse) -> Any:
    """aiohttp's `res.json()`; Slack's own answer (JSON in UTF-8) skips its charset lookup."""
    if res.content_type != "application/json" or (res.charset or "utf-8").lower() not in UTF_8:
        return await res.json()
    stripped = (await res.read()).strip()
    return jsonlib.loads(stripped.decode("utf-8")) if stripped else None
