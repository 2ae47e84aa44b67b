"""The HTTP edge: one signed endpoint for events, commands and buttons (probes: probes.py)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.inbox.inbox import Inbox

log = logging.getLogger("connectdesk.http")

MAX_BODY = 1024 * 1024


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


_OBJECTS = ("user", "team", "channel", "container", "message", "view", "enterprise")


def _shape_ok(body: object) -> bool:
    """Whether the parts Bolt reads before any listener have the types Slack sends.

    Bolt itself indexes `event`, `authorizations`, `user`, `team`... without checking, so a
    hostile body with `"event": null` would otherwise end as a 500.
    """
    if not isinstance(body, dict):
        return False
    if body.get("type") == "event_callback" or "event" in body:
        event = body.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return False
    auths = body.get("authorizations")
    if auths is not None and not (
        isinstance(auths, list) and all(isinstance(a, dict) for a in auths)
    ):
        return False
    for part in (body, body.get("event")):
        # Events carry ids as strings, interactivity as objects; Bolt reads both, nothing else.
        for key in _OBJECTS:
            value = part.get(key) if isinstance(part, dict) else None
            if value is not None and not isinstance(value, str | dict):
                return False
    if "view" in body and not isinstance(body["view"], dict):
        return False  # Bolt reads view.type even to log an unhandled request
    actions = body.get("actions")
    if actions is not None and not (
        isinstance(actions, list)
        # Bolt's action matcher indexes action_id (and block_id) without looking first.
        and all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
    ):
        return False
    return all(
        body.get(key) is None or isinstance(body[key], str)
        for key in ("type", "team_id", "enterprise_id", "api_app_id", "callback_id")
    )


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


async def _store_event(
    inbox: Inbox, parsed: dict[str, Any], body: str, arrived: float
) -> web.Response:
    """Keep the event for the inbox worker and ack; what cannot matter is acked and dropped."""
    if not inbox.wants(parsed):
        return web.Response(status=200, text="")
    try:
        await inbox.accept(parsed, body, arrived=arrived)
    except Exception:
        # Not stored, so not acknowledged: Slack retries it.
        log.exception("could not store an event")
        return _json_error(500, "internal error")
    return web.Response(status=200, text="")


def build_web_app(
    bolt: AsyncApp, signing_secret: str, *, inbox: Inbox, path: str = "/slack/events"
) -> web.Application:
    """The aiohttp application serving Slack requests (the app adds the probes: probes.py).

    Events are stored in the inbox and acknowledged as soon as that commits; their work
    happens after the ack. Commands, buttons and modals go to Bolt.
    """
    verifier = SignatureVerifier(signing_secret)

    async def slack_events(request: web.Request) -> web.Response:
        arrived = time.perf_counter()  # the start of connectdesk_ack_seconds (Inbox.accept)
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
        if not _shape_ok(parsed):
            # Signed by Slack but not a shape we act on: acknowledge (so it is not retried
            # again and again) and ignore; nothing reaches a listener.
            log.warning("ignored a signed request with fields of unexpected types")
            return web.Response(status=200, text="")
        if parsed.get("type") == "event_callback":
            return await _store_event(inbox, parsed, body, arrived)
        try:
            bolt_request = AsyncBoltRequest(
                body=body, query=request.query_string, headers=dict(request.headers)
            )
            # Listener errors go to the app's error handler; what escapes is Bolt's own reading
            # of a body whose shape it did not expect.
            response = await bolt.async_dispatch(bolt_request)
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            log.warning("ignored a signed request Bolt could not read: %r", exc)
            return web.Response(status=200, text="")
        except Exception:
            log.exception("dispatch failed")
            return _json_error(500, "internal error")
        if response.status == 404:
            # Nothing listens for this (an event we do not use): acknowledge so Slack stops.
            return web.Response(status=200, text="")
        return await to_aiohttp_response(response)

    app = web.Application(client_max_size=MAX_BODY * 2)
    app.router.add_post(path, slack_events)
    return app
