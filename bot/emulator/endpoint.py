"""The Web API over HTTP: read the call, check its token, inject faults and rate limits,
run the method and record the call with its answer. Also the upload URLs that
files.getUploadURLExternal hands out (recorded as `upload_url` calls)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web

from bot.emulator.calls import ApiCall, CallLog
from bot.emulator.faults import (
    BAD_GATEWAY,
    BAD_GATEWAY_PAGE,
    RATE_LIMITED,
    SERVER_ERROR,
    SLOW,
    Faults,
)
from bot.emulator.holds import Holds
from bot.emulator.limits import Limits
from bot.emulator.oauth import OAuthServer
from bot.emulator.webapi import ApiError, Method, WebApi
from bot.emulator.webapi.files import UPLOAD_PATH
from bot.emulator.workspace import Install, Workspace

# How the call log names a POST of a file's bytes to its upload URL (not a Web API method).
UPLOAD_CALL = "upload_url"


class WebApiEndpoint:
    """`/api/{method}`: Slack's token rules, then the faults and limits set, then the method."""

    def __init__(
        self,
        ws: Workspace,
        api: WebApi,
        oauth: OAuthServer,
        limits: Limits,
        log: CallLog,
        faults: Faults,
        app_token: str,
    ) -> None:
        self.ws = ws
        self.api = api
        self.oauth = oauth
        self.limits = limits
        self.log = log
        self.faults = faults  # Web API faults only; a test may swap them mid-run
        self.app_token = app_token
        self.holds = Holds()  # calls a test pauses mid-flight (holds.py)

    def mount(self, app: web.Application) -> None:
        """Serve the Web API on the emulator's HTTP app."""
        app.router.add_post("/api/{method}", self._handle_api)
        app.router.add_get("/api/{method}", self._handle_api)
        app.router.add_post(UPLOAD_PATH + "{ticket}", self._handle_upload)

    async def _handle_upload(self, request: web.Request) -> web.Response:
        """A file's bytes, raw (slack_sdk) or as the first part of a multipart form (curl -F)."""
        arrived = time.time()
        sent = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        if request.content_type.startswith("multipart/"):
            data = b""
            async for part in await request.multipart():
                if isinstance(part, BodyPartReader):
                    data = bytes(await part.read(decode=False))
                    break
        else:
            data = await request.read()
        ticket = request.match_info["ticket"]
        status, text = self.api.files.receive(ticket, data)
        answer = {"ok": status == 200, "text": text}
        call = ApiCall(UPLOAD_CALL, {"ticket": ticket, "bytes": len(data)}, answer, status)
        call.at, call.headers = arrived, sent
        self.log.record(call)
        return web.Response(status=status, text=text, content_type="text/plain")

    async def _handle_api(self, request: web.Request) -> web.Response:
        arrived = time.time()  # before reading the body, so ApiCall.at is the arrival time
        method = request.match_info["method"]
        sent = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        params: dict[str, Any] = dict(parse_qsl(request.query_string))
        raw = await request.read()
        content_type = request.headers.get("Content-Type", "")
        if raw:
            if "json" in content_type:
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    return self._answer(
                        method,
                        params,
                        {"ok": False, "error": "invalid_json"},
                        at=arrived,
                        sent=sent,
                    )
                if isinstance(body, dict):
                    params.update(body)
            else:
                params.update(dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)))
        if isinstance(params.get("blocks"), str):
            try:
                params["blocks"] = json.loads(params["blocks"])
            except json.JSONDecodeError:
                pass
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = token or params.get("token", "")
        recorded = {k: v for k, v in params.items() if k != "token"}
        if method == "api.test":
            # Takes no token: whether the Web API answers at all.
            answer = {"ok": True, "args": {k: v for k, v in recorded.items() if k != "token"}}
            return self._answer(method, recorded, answer, at=arrived, sent=sent)
        if not token:
            return self._answer(
                method, recorded, {"ok": False, "error": "not_authed"}, at=arrived, sent=sent
            )
        caller: Install | None = None
        if method == "oauth.v2.access":
            # No token: the app's client id and secret (form fields or HTTP Basic auth).
            try:
                answer = await self.oauth.access(params, request.headers.get("Authorization", ""))
            except ApiError as exc:
                answer = {"ok": False, "error": exc.code}
            return self._answer(method, recorded, answer, at=arrived, sent=sent)
        if method == "apps.connections.open":
            # The app-level token, which nothing else takes.
            error = None if token == self.app_token else "invalid_auth"
            if token != self.app_token and not isinstance(self.oauth.check(token), str):
                error = "not_allowed_token_type"
        elif token == self.app_token:
            error = "not_allowed_token_type"
        else:
            checked = self.oauth.check(token)
            error, caller = (checked, None) if isinstance(checked, str) else (None, checked)
        if error is not None:
            return self._answer(
                method, recorded, {"ok": False, "error": error}, at=arrived, sent=sent
            )
        handler = self.api.methods.get(method)
        if handler is None:
            return self._answer(
                method,
                recorded,
                {"ok": False, "error": "unknown_method"},
                404,
                at=arrived,
                sent=sent,
            )
        fault = self.faults.web_api(method)
        if fault == RATE_LIMITED:
            return self._answer(
                method,
                recorded,
                {"ok": False, "error": "ratelimited"},
                429,
                {"Retry-After": str(self.faults.retry_after)},
                at=arrived,
            )
        if fault == SERVER_ERROR:
            return self._answer(
                method, recorded, {"ok": False, "error": "internal_error"}, 500, at=arrived
            )
        if fault == SLOW:
            await asyncio.sleep(self.faults.slow_seconds)
        if fault == BAD_GATEWAY:
            return await self._bad_gateway(
                method, recorded, handler, params, caller or self.ws.primary, arrived
            )
        wait = self.limits.check(method, params.get("channel"))
        if wait:
            return self._answer(
                method,
                recorded,
                {"ok": False, "error": "ratelimited"},
                429,
                {"Retry-After": str(wait)},
                at=arrived,
                sent=sent,
            )
        hold = self.holds.take(method, params)
        if hold is not None and not hold.landed:  # lost on its way: held, then never done
            await hold.pause()
            return self._answer(method, recorded, {"ok": False, "error": "internal_error"}, 500)
        try:
            answer = await handler(params, caller or self.ws.primary)
        except ApiError as exc:
            answer = {"ok": False, "error": exc.code}
        if hold is not None:  # done, and its answer held
            await hold.pause()
        return self._answer(method, recorded, answer, at=arrived, sent=sent)

    async def _bad_gateway(
        self,
        method: str,
        recorded: dict[str, Any],
        handler: Method,
        params: dict[str, Any],
        caller: Install,
        arrived: float,
    ) -> web.Response:
        """A proxy's HTML 502 instead of Slack's answer; the method may have run behind it."""
        content_type, after_work = self.faults.bad_gateway_answer()
        if after_work:
            try:
                await handler(params, caller)
            except ApiError:
                pass
        call = ApiCall(method, recorded, {"ok": False, "html": BAD_GATEWAY_PAGE}, 502, at=arrived)
        self.log.record(call)
        return web.Response(
            status=502, text=BAD_GATEWAY_PAGE, content_type=content_type, charset="utf-8"
        )

    def _answer(
        self,
        method: str,
        params: dict[str, Any],
        answer: dict[str, Any],
        status: int = 200,
        headers: dict[str, str] | None = None,
        *,
        at: float | None = None,
        sent: dict[str, str] | None = None,
    ) -> web.Response:
        call = ApiCall(method, params, answer, status, headers=sent or {})
        if at is not None:
            call.at = at
        self.log.record(call)
        return web.json_response(answer, status=status, headers=headers)
