"""The Socket Mode edge: envelopes from Slack's websocket into the same entry as HTTP requests.

An `events_api` envelope is acknowledged only once its event is stored in the inbox (as an HTTP
delivery is answered 200 only then); one that could not be stored is left unacknowledged and
Slack sends it again (`retry_attempt`), which the inbox's unique `event_id` makes harmless.
Commands and interactions are acknowledged with Bolt's answer as the envelope's payload.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.edge.entry import Answer, SlackEntry
from bot.slack.identity import socket_url
from bot.slack.transport import api_failure

log = logging.getLogger("connectdesk.socket_mode")


class SocketModeRefused(RuntimeError):
    """Slack would not open a Socket Mode connection (the app-level token, usually)."""

    def __init__(self, error: str) -> None:
        super().__init__(
            f"Slack refused to open a Socket Mode connection ({error}): check SLACK_APP_TOKEN"
            " (an app-level `xapp-` token with the connections:write scope) and that Socket"
            " Mode is enabled for the app."
        )


# Seconds between the client's pings; a connection silent for four of them is replaced.
PING_INTERVAL = 10.0


def _retry_headers(req: SocketModeRequest) -> dict[str, str | Sequence[str]]:
    # As HTTP carries them, so Bolt and the logs see a redelivery the same way on both.
    headers: dict[str, str | Sequence[str]] = {}
    if req.retry_attempt is not None:
        headers["x-slack-retry-num"] = str(req.retry_attempt)
    if req.retry_reason is not None:
        headers["x-slack-retry-reason"] = str(req.retry_reason)
    return headers


def _payload(answer: Answer) -> dict[str, Any] | None:
    """An answer's body as the envelope ack's payload (Bolt's socket adapter does the same)."""
    if not answer.body:
        return None
    if answer.content_type.startswith("application/json"):
        try:
            parsed = json.loads(answer.body)
        except ValueError:
            return {"text": answer.body}
        return parsed if isinstance(parsed, dict) else None
    return {"text": answer.body}


class SocketModeEdge:
    """One Socket Mode connection (slack_sdk's aiohttp client) feeding the shared entry."""

    def __init__(
        self,
        entry: SlackEntry,
        app_token: str,
        web_client: AsyncWebClient,
        *,
        ping_interval: float = PING_INTERVAL,
    ) -> None:
        self.entry = entry
        self.client = SocketModeClient(
            app_token=app_token,
            web_client=web_client,
            ping_interval=ping_interval,
            logger=logging.getLogger("connectdesk.socket_mode.client"),
        )
        self.client.socket_mode_request_listeners.append(self._on_request)

    async def connect(self) -> None:
        """Open the websocket (apps.connections.open, then connect); reconnects by itself.

        The first URL is asked for here, so a refused app-level token is one clear error at
        start-up rather than the client's endless retries.
        """
        try:
            url = await socket_url(self.client.web_client, self.client.app_token)
        except SlackApiError as exc:
            raise SocketModeRefused(api_failure(exc).code) from None
        self.client.wss_uri = url
        await self.client.connect()

    async def close(self) -> None:
        """Close the websocket; envelopes not yet acknowledged are sent again by Slack."""
        await self.client.close()

    async def _on_request(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        arrived = time.perf_counter()  # where connectdesk_ack_seconds starts
        if req.type in ("events_api", "slash_commands", "interactive"):
            # The event is stored as HTTP would have carried it (the payload is that body).
            raw = json.dumps(req.payload) if req.type == "events_api" else ""
            answer = await self.entry.receive(
                req.payload,
                raw,
                lambda: AsyncBoltRequest(
                    body=req.payload, mode="socket_mode", headers=_retry_headers(req)
                ),
                arrived=arrived,
            )
        else:
            log.info("acknowledged a Socket Mode envelope of unknown type %r", req.type)
            answer = Answer()
        if not answer.acked:
            return  # not kept: left for Slack to send again
        response = SocketModeResponse(envelope_id=req.envelope_id, payload=_payload(answer))
        try:
            await client.send_socket_mode_response(response)
        except (ConnectionError, RuntimeError) as exc:
            # The connection went down between receiving and acking: Slack sends the envelope
            # again on the next one, and what was stored is not stored twice.
            log.warning(
                "could not ack envelope %s (%s); Slack will resend it", req.envelope_id, exc
            )
