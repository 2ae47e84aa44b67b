"""Socket Mode as Slack runs it: `apps.connections.open`, a websocket per connection, envelopes
that wait for an ack by `envelope_id`, and redelivery of what was not acknowledged in time.

Each connection is one app process (or replica); envelopes are spread over the open
connections in turn, as Slack spreads them over up to 10, and a redelivery may go to another.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from bot.emulator.delivery import Deliverer, Delivery
from bot.emulator.faults import ACK_LOST, NOT_DELIVERED
from bot.emulator.webapi import Answer, ApiError

PATH = "/socket-mode"
MAX_CONNECTIONS = 10


def envelope_payload(delivery: Delivery) -> dict[str, Any]:
    """What an HTTP request would have carried, as the envelope's `payload` object."""
    text = delivery.body.decode("utf-8")
    if "json" in delivery.content_type:
        return json.loads(text)
    form = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        return json.loads(form["payload"])
    return form


class SocketModeHub:
    """The app's open websockets, and the envelopes each is waiting to have acknowledged."""

    def __init__(self, deliverer: Deliverer, app_id: str) -> None:
        self.deliverer = deliverer  # its retry delays, ack timeout, faults and after_send hook
        self.app_id = app_id
        self.connections: list[web.WebSocketResponse] = []
        self._transports: dict[int, Any] = {}  # id(ws) -> its TCP transport, to cut it
        self._labels: dict[int, str] = {}  # id(ws) -> "socket-N", N in order of opening
        self.opened = 0  # connections ever opened (reconnects included)
        self.envelopes_sent = 0
        self._tickets: set[str] = set()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._turn = itertools.count()
        self._base_url = ""

    def mount(self, app: web.Application) -> None:
        """Serve the websocket endpoint on the emulator's HTTP app."""
        app.router.add_get(PATH, self._websocket)

    def serve_at(self, base_url: str) -> None:
        """The emulator's root URL (known once it listens)."""
        self._base_url = base_url.replace("http://", "ws://", 1)

    @property
    def connected(self) -> bool:
        """Whether any app connection is open."""
        return any(not ws.closed for ws in self.connections)

    async def connections_open(self, _params: dict[str, Any], _caller: object = None) -> Answer:
        """`apps.connections.open`: a single-use websocket URL."""
        if len(self.connections) >= MAX_CONNECTIONS:
            raise ApiError("too_many_websockets")
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        return {"ok": True, "url": f"{self._base_url}{PATH}?ticket={ticket}"}

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self._tickets:
            return web.Response(status=401, text="invalid_ticket")
        self._tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections.append(ws)
        self._transports[id(ws)] = request.transport
        self.opened += 1
        self._labels[id(ws)] = f"socket-{self.opened}"
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": len(self.connections),
                    "debug_info": {"host": "emulator", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": self.app_id},
                }
            )
        )
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._acked(message.data)
        finally:
            if ws in self.connections:
                self.connections.remove(ws)
            self._transports.pop(id(ws), None)
        return ws

    def _acked(self, text: str) -> None:
        try:
            ack = json.loads(text)
        except ValueError:
            return
        if not isinstance(ack, dict):
            return
        waiting = self._acks.get(str(ack.get("envelope_id")))
        if waiting is not None and not waiting.done():
            waiting.set_result(ack)

    def label(self, ws: web.WebSocketResponse | None) -> str:
        """Which connection an attempt went to (`socket-N`), like a URL names a replica."""
        return self._labels.get(id(ws), "socket-none") if ws is not None else "socket-none"

    def _next(self) -> web.WebSocketResponse | None:
        live = [ws for ws in self.connections if not ws.closed]
        return live[next(self._turn) % len(live)] if live else None

    async def _one(
        self,
        ws: web.WebSocketResponse | None,
        delivery: Delivery,
        attempt: int,
        reason: str,
        lose_ack: bool = False,
    ) -> tuple[int | str, str]:
        """Send one envelope and wait for its ack: (200, the ack's payload) or what failed."""
        if ws is None:
            return "connection_failed: no socket connection", ""
        envelope_id = str(uuid.uuid4())
        waiting: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = waiting
        envelope = {
            "envelope_id": envelope_id,
            "type": delivery.kind,
            "payload": envelope_payload(delivery),
            "accepts_response_payload": delivery.kind != "events_api",
        }
        if delivery.kind == "events_api":
            envelope["retry_attempt"] = attempt
            envelope["retry_reason"] = reason if attempt else ""
        try:
            await ws.send_str(json.dumps(envelope))
            self.envelopes_sent += 1
            ack = await asyncio.wait_for(waiting, self.deliverer.ack_timeout)
        except (TimeoutError, ConnectionError, RuntimeError):
            return "timeout", ""
        finally:
            self._acks.pop(envelope_id, None)
        if lose_ack:
            return "timeout", ""
        payload = ack.get("payload")
        return 200, json.dumps(payload) if payload else ""

    async def send(
        self,
        delivery: Delivery,
        *,
        retries: bool = True,
        first_attempt: int = 0,
        reason: str = "timeout",
    ) -> Delivery:
        """Deliver an envelope; without an ack in time, send it again (events only), as Slack."""
        delays = self.deliverer.retry_delays if retries else ()
        for index in range(len(delays) + 1):
            attempt = first_attempt + index
            last = index == len(delays)
            fault = self.deliverer.faults.event_attempt(last=last) if retries else None
            ws = self._next()
            status: int | str
            if fault == NOT_DELIVERED:
                status, text = "connection_failed: injected", ""
            else:
                status, text = await self._one(ws, delivery, attempt, reason, fault == ACK_LOST)
            delivery.attempts.append(status)
            delivery.urls.append(self.label(ws))
            delivery.status, delivery.response_body = status, text
            if status == 200:
                break
            if index < len(delays):
                await asyncio.sleep(delays[index])
        if self.deliverer.after_send is not None:
            await self.deliverer.after_send()
        return delivery

    async def send_everywhere(self, delivery: Delivery) -> list[Delivery]:
        """The same event on every open connection at once (a redelivery racing the first)."""
        live = [ws for ws in self.connections if not ws.closed]
        copies = [Delivery(delivery.body, delivery.content_type, delivery.event_id) for _ in live]

        async def one(ws: web.WebSocketResponse, copy: Delivery) -> Delivery:
            copy.status, copy.response_body = await self._one(ws, copy, 0, "timeout")
            copy.attempts.append(copy.status)
            copy.urls.append(self.label(ws))
            return copy

        return list(await asyncio.gather(*(one(ws, c) for ws, c in zip(live, copies, strict=True))))

    async def send_payload(self, kind: str, payload: object) -> bool:
        """One envelope with exactly this type and payload (hostile-input tests); acked?"""
        ws = self._next()
        if ws is None:
            return False
        envelope_id = str(uuid.uuid4())
        waiting: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = waiting
        try:
            await ws.send_str(
                json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload})
            )
            await asyncio.wait_for(waiting, self.deliverer.ack_timeout)
        except (TimeoutError, ConnectionError, RuntimeError):
            return False
        finally:
            self._acks.pop(envelope_id, None)
        return True

    async def drop(self) -> int:
        """Cut every connection at once, as a network failure would (no closing handshake);
        envelopes waiting for their ack on them are sent again. How many were cut."""
        live = [ws for ws in self.connections if not ws.closed]
        for ws in live:
            transport = self._transports.pop(id(ws), None)
            if transport is not None:
                transport.abort()
            if ws in self.connections:
                self.connections.remove(ws)
        return len(live)

    async def refresh(self, reason: str = "refresh_requested") -> None:
        """Ask every connection to reconnect (Slack's `disconnect` message)."""
        for ws in [ws for ws in self.connections if not ws.closed]:
            await ws.send_str(json.dumps({"type": "disconnect", "reason": reason}))

    async def close(self) -> None:
        """Close every connection (the emulator is stopping)."""
        for ws in list(self.connections):
            await ws.close()
