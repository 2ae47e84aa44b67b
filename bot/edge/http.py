"""The HTTP edge: one signed endpoint for events, commands and buttons."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.edge.entry import Answer, SlackEntry

log = logging.getLogger("connectdesk.http")

MAX_BODY = 1024 * 1024
EVENTS_PATH = "/slack/events"


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


def _parsed(body: str, content_type: str) -> dict[str, Any] | None:
    """The body as Slack sends it (a JSON event, or a form with a JSON payload), else None."""
    try:
        if "json" in content_type:
            parsed = json.loads(body)
            return parsed if isinstance(parsed, dict) else None
        form = parse_qs(body, keep_blank_values=True, strict_parsing=bool(body))
        if "payload" in form:
            payload = json.loads(form["payload"][0])
            return payload if isinstance(payload, dict) else None
        return {"command": form.get("command")} if form else None
    except (ValueError, json.JSONDecodeError):
        return None


def _response(answer: Answer) -> web.Response:
    if answer.body is None:
        return web.Response(status=answer.status, text="")
    return web.Response(
        status=answer.status, text=answer.body, content_type=answer.content_type.split(";")[0]
    )


def slack_route(entry: SlackEntry, signing_secret: str):
    """The aiohttp handler of `POST /slack/events`: checks, then the shared entry."""
    verifier = SignatureVerifier(signing_secret)

    async def slack_events(request: web.Request) -> web.Response:
        arrived = time.perf_counter()  # where connectdesk_ack_seconds starts
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
        parsed = _parsed(body, request.headers.get("Content-Type", ""))
        if parsed is None:
            return _json_error(400, "malformed body")

        def bolt_request() -> AsyncBoltRequest:
            return AsyncBoltRequest(
                body=body, query=request.query_string, headers=dict(request.headers)
            )

        return _response(await entry.receive(parsed, body, bolt_request, arrived=arrived))

    return slack_events


def build_web_app(
    entry: SlackEntry | None, signing_secret: str = "", *, path: str = EVENTS_PATH
) -> web.Application:
    """The aiohttp application: Slack's requests at `path` (none in Socket Mode); the app
    adds the probes (bot/edge/probes.py)."""
    app = web.Application(client_max_size=MAX_BODY * 2)
    if entry is not None:
        app.router.add_post(path, slack_route(entry, signing_secret))
    return app
