"""How requests reach the app: signed HTTP POSTs to its URLs (taken in turn, as a load
balancer would) or envelopes over its Socket Mode websockets; Events API envelopes built as
Slack builds them, and the app's own posts echoed back to it."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Coroutine
from typing import Any

from bot.emulator.delivery import Deliverer, Delivery
from bot.emulator.socket_mode import SocketModeHub
from bot.emulator.workspace import Install, StoredMessage, Workspace

TRANSPORTS = ("http", "socket")


class AppLink:
    """The road to the app, by the transport in use, and every event sent along it."""

    def __init__(
        self,
        ws: Workspace,
        deliverer: Deliverer,
        socket: SocketModeHub,
        *,
        transport: str = "http",
        echo_bot_messages: bool = True,
    ) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {transport!r}: http or socket")
        self.ws = ws
        self.deliverer = deliverer
        self.socket = socket
        self.transport = transport
        self.echo_bot_messages = echo_bot_messages
        # Several URLs: several replicas behind a load balancer, taken in turn.
        self.app_urls: list[str] = []
        self._spread = itertools.count()
        self._event_ids = itertools.count(1)
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def reachable(self) -> bool:
        """Whether the app can be sent anything now (a request URL, or an open websocket)."""
        return self.socket.connected if self.transport == "socket" else bool(self.app_urls)

    def close(self) -> None:
        """Cancel the echoes still on their way."""
        for task in list(self._tasks):
            task.cancel()

    async def deliver(
        self,
        delivery: Delivery,
        *,
        retries: bool = True,
        extra_headers: dict[str, str] | None = None,
        retry_num: int = 0,
        reason: str = "timeout",
    ) -> Delivery:
        """Send a request to the app by the transport in use; retried like Slack if `retries`."""
        if self.transport == "socket":
            return await self.socket.send(
                delivery, retries=retries, first_attempt=retry_num, reason=reason
            )
        return await self.deliverer.send(
            self._next_url, delivery, retries=retries, extra_headers=extra_headers
        )

    def _next_url(self) -> str:
        """Spread requests over the app's URLs in turn, as a load balancer would."""
        if not self.app_urls:
            raise RuntimeError("emulator.app_url is not set: start the bot first")
        return self.app_urls[next(self._spread) % len(self.app_urls)]

    async def deliver_everywhere(
        self, event: dict[str, Any], *, team_id: str | None = None
    ) -> list[Delivery]:
        """The same envelope (one event_id) to every app URL at once: a retry race."""
        envelope = self.envelope(event, team_id, None, event.get("channel"))
        body = json.dumps(envelope).encode()
        if self.transport == "socket":
            return await self.socket.send_everywhere(
                Delivery(body, "application/json", envelope["event_id"], ts=event.get("ts"))
            )
        deliveries = [
            Delivery(
                body=body,
                content_type="application/json",
                event_id=envelope["event_id"],
                ts=event.get("ts"),
            )
            for _ in self.app_urls
        ]
        return list(
            await asyncio.gather(
                *(
                    self.deliverer.send(url, d, retries=False)
                    for url, d in zip(self.app_urls, deliveries, strict=True)
                )
            )
        )

    def envelope(
        self,
        event: dict[str, Any],
        team_id: str | None,
        event_id: str | None,
        channel_id: str | None,
        install: Install | None = None,
    ) -> dict[str, Any]:
        """Slack's envelope; `authorizations` names the one install that receives it (the one
        whose bot is in the channel), while the outer team can be another org's."""
        channel = self.ws.channels.get(channel_id or "")
        install = install or self.ws.install_in(channel_id or "")
        now = int(time.time())
        envelope = {
            "token": "emulator-verification-token",
            "team_id": team_id or install.team.id,
            "api_app_id": "A0CONNECTDESK",
            "event": {**event, "event_ts": event.get("ts") or f"{time.time():.6f}"},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._event_ids):010d}",
            "event_time": now,
            "authed_users": [install.bot_user_id],  # deprecated by Slack, still sent
            "authorizations": [
                {
                    "enterprise_id": install.enterprise_id,
                    "team_id": install.team.id,
                    "user_id": install.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": install.is_enterprise_install,
                }
            ],
            "is_ext_shared_channel": bool(channel and channel.is_ext_shared),
            "event_context": uuid.uuid4().hex,
        }
        if install.enterprise_id:
            envelope["enterprise_id"] = install.enterprise_id
        return envelope

    async def deliver_event(
        self,
        event: dict[str, Any],
        *,
        team_id: str | None = None,
        event_id: str | None = None,
        retries: bool = True,
        install: Install | None = None,
    ) -> Delivery:
        """Deliver an Events API envelope around `event` (signed, retried like Slack)."""
        delivery = self.prepare_event(event, team_id=team_id, event_id=event_id, install=install)
        return await self.send(delivery, retries=retries)

    def prepare_event(
        self,
        event: dict[str, Any],
        *,
        team_id: str | None = None,
        event_id: str | None = None,
        install: Install | None = None,
    ) -> Delivery:
        """The envelope around `event`, ready to `send` (benchmarks build these ahead of time)."""
        envelope = self.envelope(event, team_id, event_id, event.get("channel"), install)
        return Delivery(
            body=json.dumps(envelope).encode(),
            content_type="application/json",
            event_id=envelope["event_id"],
            ts=event.get("ts"),
        )

    async def send(self, delivery: Delivery, *, retries: bool = True) -> Delivery:
        """Send a prepared delivery to the app (over HTTP signed afresh on each attempt)."""
        return await self.deliver(delivery, retries=retries)

    async def deliver_raw(
        self, body: bytes, headers: dict[str, str], content_type: str = "application/json"
    ) -> Delivery:
        """Post exactly these bytes and headers (no signing): for hostile-input tests."""
        delivery = Delivery(body=body, content_type=content_type)
        return await self.deliverer.send(
            self._next_url, delivery, retries=False, extra_headers=headers, signed=False
        )

    async def redeliver(
        self, delivery: Delivery, retry_num: int = 1, reason: str = "http_timeout"
    ) -> Delivery:
        """Send the same body again, freshly signed, with Slack's retry headers."""
        again = Delivery(
            body=delivery.body,
            content_type=delivery.content_type,
            event_id=delivery.event_id,
            ts=delivery.ts,
            kind=delivery.kind,
        )
        return await self.deliver(
            again,
            retries=False,
            extra_headers={"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason},
            retry_num=retry_num,
            reason=reason,
        )

    async def echo(self, message: StoredMessage) -> None:
        """Slack sends the app its own posts as message events too."""
        if not self.echo_bot_messages or not self.reachable:
            return
        event = {
            "type": "message",
            "channel": message.channel_id,
            "user": message.user,
            "bot_id": message.bot_id,
            "text": message.text,
            "ts": message.ts,
        }
        if message.thread_ts:
            event["thread_ts"] = message.thread_ts
        install = next((i for i in self.ws.installs if i.bot_user_id == message.user), None)
        if install is not None:
            self._background(self.deliver_event(event, team_id=install.team.id, install=install))

    def _background(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
