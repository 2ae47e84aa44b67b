"""The one entry for Slack's requests, whatever carried them (HTTP or Socket Mode).

Events are stored in the durable inbox and acknowledged once that commits; their work happens
after the ack, on the inbox's workers. Slash commands, buttons and modal submissions go to Bolt,
whose listeners ack at once and work lazily. Both transports call this and only translate the
answer into their own form (an HTTP response, or an envelope ack).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.inbox.inbox import Inbox

log = logging.getLogger("connectdesk.edge")

_OBJECTS = ("user", "team", "channel", "container", "message", "view", "enterprise")


def shape_ok(body: object) -> bool:
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


@dataclass(frozen=True)
class Answer:
    """What to acknowledge with: a status, and a body for Slack to show (commands, modals).

    `acked=False`: nothing was kept, so Slack must not consider it delivered (HTTP 5xx; in
    Socket Mode no envelope ack, so Slack sends it again).
    """

    status: int = 200
    body: str | None = None
    content_type: str = "application/json"

    @property
    def acked(self) -> bool:
        """Whether Slack should count the request as delivered."""
        return 200 <= self.status < 300


ACK = Answer()
NOT_KEPT = Answer(500, '{"ok": false, "error": "internal error"}')


class SlackEntry:
    """Stores events in the inbox (then acks) and hands everything else to Bolt."""

    def __init__(self, bolt: AsyncApp, inbox: Inbox) -> None:
        self.bolt = bolt
        self.inbox = inbox

    async def receive(
        self,
        body: dict[str, Any],
        raw: str,
        request: Callable[[], AsyncBoltRequest],
        *,
        arrived: float | None = None,
    ) -> Answer:
        """Route one parsed request: `raw` is the body as stored for an event, `request` builds
        Bolt's view of anything else (only then: events skip that cost on the ack path);
        `arrived`: `time.perf_counter()` when the transport got it (the ack time's start)."""
        if not shape_ok(body):
            # From Slack but not a shape we act on: acknowledged (so it is not sent again and
            # again) and ignored; nothing reaches a listener.
            log.warning("ignored a request with fields of unexpected types")
            return ACK
        if body.get("type") == "event_callback":
            return await self.event(body, raw, arrived)
        return await self.dispatch(request())

    async def event(self, body: dict[str, Any], raw: str, arrived: float | None = None) -> Answer:
        """Keep the event for the inbox workers and ack; what cannot matter is acked and dropped."""
        if not self.inbox.wants(body):
            return ACK
        try:
            await self.inbox.accept(body, raw, arrived=arrived)
        except Exception:
            # Not stored, so not acknowledged: Slack sends it again.
            log.exception("could not store an event")
            return NOT_KEPT
        return ACK

    async def dispatch(self, request: AsyncBoltRequest) -> Answer:
        """A command, button or modal submission, through Bolt's listeners."""
        try:
            # Listener errors go to the app's error handler; what escapes is Bolt's own reading
            # of a body whose shape it did not expect.
            response = await self.bolt.async_dispatch(request)
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            log.warning("ignored a request Bolt could not read: %r", exc)
            return ACK
        except Exception:
            log.exception("dispatch failed")
            return NOT_KEPT
        if response.status == 404:
            # Nothing listens for this (an event or action we do not use): acknowledged.
            return ACK
        content_type = (response.headers.get("content-type") or ["application/json"])[0]
        return Answer(response.status, response.body or None, content_type)
