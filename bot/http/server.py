"""The HTTP edge: one signed endpoint for events, commands and buttons, plus a health check."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger("connectdesk.http")

MAX_BODY = 1024 * 1024


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


def _well_formed(body: str, content_type: str) -> bool:
    """Whether the body parses as Slack sends it (JSON events or form-encoded payloads)."""
    try:
        if "json" in content_type:
            return isinstance(json.loads(body), dict)
        form = parse_qs(body, keep_blank_values=True, strict_parsing=bool(body))
        if "payload" in form:
            return isinstance(json.loads(form["payload"][0]), dict)
        return bool(form)
    except (ValueError, json.JSONDecodeError):
        return False


def build_web_app(
    bolt: AsyncApp, signing_secret: str, path: str = "/slack/events"
) -> web.Application:
    """The aiohttp application serving Slack requests and `/healthz`."""
    verifier = SignatureVerifier(signing_secret)

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        if len(raw) > MAX_BODY:
            return _json_error(413, "request too large")
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _json_error(400, "body is not UTF-8")
        if not verifier.is_valid_request(body, dict(request.headers)):
            log.warning("rejected a request with a bad or stale signature")
            return _json_error(401, "invalid signature")
        if not _well_formed(body, request.headers.get("Content-Type", "")):
            return _json_error(400, "malformed body")
        bolt_request = AsyncBoltRequest(
            body=body, query=request.query_string, headers=dict(request.headers)
        )
        try:
            response = await bolt.async_dispatch(bolt_request)
        except Exception:
            log.exception("dispatch failed")
            return _json_error(500, "internal error")
        if response.status == 404:
            # Nothing listens for this (an event we do not use): acknowledge so Slack stops.
            return web.Response(status=200, text="")
        return await to_aiohttp_response(response)

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=MAX_BODY * 2)
    app.router.add_post(path, slack_events)
    app.router.add_get("/healthz", healthz)
    return app
