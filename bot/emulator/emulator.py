"""The emulator: a local Slack workspace over HTTP that the bot, tests and demo all talk to."""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web

from bot.domain.clock import Clock
from bot.emulator.delivery import Deliverer, Delivery
from bot.emulator.faults import (
    BAD_GATEWAY,
    BAD_GATEWAY_PAGE,
    RATE_LIMITED,
    SERVER_ERROR,
    SLOW,
    Faults,
)
from bot.emulator.holds import Hold, Holds
from bot.emulator.limits import Limits
from bot.emulator.oauth import OAuthServer
from bot.emulator.render import render
from bot.emulator.socket_mode import SocketModeHub
from bot.emulator.transcript import format_transcript
from bot.emulator.webapi import ApiError, WebApi
from bot.emulator.workspace import Install, StoredMessage, Workspace


@dataclass
class ApiCall:
    """One Web API call as the emulator received and answered it."""

    method: str
    params: dict[str, Any]
    response: dict[str, Any]
    status: int
    at: float = field(default_factory=time.time)
    headers: dict[str, str] = field(default_factory=dict)  # as sent, minus Authorization


@dataclass(frozen=True)
class SeenMessage:
    """Something a person could see: a channel message, a thread reply, an ephemeral, a DM."""

    channel_id: str
    channel_name: str
    ts: str
    thread_ts: str | None
    author_id: str | None
    author_name: str
    text: str
    raw_text: str
    blocks: list[dict[str, Any]]
    kind: str
    edited: bool
    posted_at: datetime | None = None
    # Every version as the person read it, first to current: (when it took effect, text).
    versions: tuple[tuple[datetime | None, str], ...] = ()
    # Reactions on it now: (name, names of who reacted).
    reactions: tuple[tuple[str, tuple[str, ...]], ...] = ()


class Emulator:
    """A Slack workspace on 127.0.0.1: Web API, signed delivery to the app, and a full record."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        signing_secret: str,
        bot_token: str,
        retry_delays: tuple[float, ...] = (0.05, 0.2, 0.5),
        ack_timeout: float = 3.0,
        echo_bot_messages: bool = True,
        trigger_ttl: float = 3.0,
        faults: Faults | None = None,
        app_token: str = "xapp-1-A0CONNECTDESK-emulator",
        transport: str = "http",
        clock: Clock | None = None,
    ) -> None:
        """`clock`: the time people see on messages (the bot's clock in the demo and tests)."""
        self.ws = workspace
        if clock is not None:
            workspace.clock = clock
        self.faults = faults or Faults()
        self.bot_token = bot_token
        self.signing_secret = signing_secret
        self.limits = Limits()
        self.calls: list[ApiCall] = []
        # Several URLs: several replicas behind a load balancer, taken in turn.
        self.app_urls: list[str] = []
        self._spread = itertools.count()
        self.echo_bot_messages = echo_bot_messages
        self.api = WebApi(workspace, self._echo, trigger_ttl=trigger_ttl)
        self.deliverer = Deliverer(signing_secret, retry_delays, ack_timeout, self.faults)
        # Socket Mode: the app opens websockets (app-level token) and takes envelopes there.
        self.app_token = app_token
        self.socket = SocketModeHub(self.deliverer, self.api.app_id)
        self.api.methods["apps.connections.open"] = self.socket.connections_open
        # Installs by OAuth; the bot token given here is the workspace's own install.
        self.oauth = OAuthServer(workspace)
        self.oauth.add_token(bot_token, workspace.primary)
        if transport not in ("http", "socket"):
            raise ValueError(f"unknown transport {transport!r}: http or socket")
        # How requests reach the app: signed HTTP POSTs, or envelopes over its websockets.
        self.transport = transport
        self._responses: dict[str, dict[str, Any]] = {}
        self._event_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0
        self.holds = Holds()

    def hold(
        self,
        method: str,
        *,
        channel: str | None = None,
        text_contains: str | None = None,
        landed: bool = True,
    ) -> Hold:
        """Pause the next matching call, after its work (`landed`) or instead of it (see holds)."""
        return self.holds.add(Hold(method, channel, text_contains, landed))

    # ---- lifecycle -------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        """Base URL of the Web API, for `AsyncWebClient(base_url=...)`."""
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def base_url(self) -> str:
        """Root URL of the emulator."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Emulator:
        """Listen on a free local port."""
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._handle_api)
        app.router.add_get("/api/{method}", self._handle_api)
        app.router.add_post("/response_url/{token}", self._handle_response_url)
        self.socket.mount(app)
        self.oauth.mount(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.socket.serve_at(self.base_url)
        await self.deliverer.start()
        return self

    async def stop(self) -> None:
        """Stop serving and delivering."""
        self.holds.release_all()
        for task in list(self._tasks):
            task.cancel()
        await self.socket.close()
        await self.deliverer.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- Web API ---------------------------------------------------------------------------
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
        handler: Callable[[dict[str, Any], Install], Any],
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
        self.calls.append(call)
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
        self.calls.append(call)
        return web.json_response(answer, status=status, headers=headers)

    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of one method."""
        return [c for c in self.calls if c.method == method]

    @property
    def rate_limited(self) -> int:
        """How many calls were answered 429."""
        return sum(1 for c in self.calls if c.status == 429)

    def rate_limited_calls(self, method: str) -> int:
        """How many calls of one method were answered 429."""
        return sum(1 for c in self.calls if c.method == method and c.status == 429)

    async def _echo(self, message: StoredMessage) -> None:
        """Slack sends the app its own posts as message events too."""
        if not self.echo_bot_messages or not self.app_reachable:
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

    def _background(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- response_url ----------------------------------------------------------------------
    def _response_url(self, user_id: str, channel_id: str, message_ts: str | None) -> str:
        token = uuid.uuid4().hex
        self._responses[token] = {
            "user": user_id,
            "channel": channel_id,
            "ts": message_ts,
            "install": self.install_of(user_id),
        }
        return f"{self.base_url}/response_url/{token}"

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        target = self._responses.get(request.match_info["token"])
        if target is None:
            return web.Response(status=404, text="expired_url")
        try:
            body = json.loads(await request.read())
        except json.JSONDecodeError:
            return web.Response(status=400, text="invalid_payload")
        self.calls.append(ApiCall("response_url", body, {"ok": True}, 200))
        self._record_response(target, body)
        return web.Response(text="ok")

    def _record_response(self, target: dict[str, Any], body: dict[str, Any]) -> None:
        original = self.ws.find(target["channel"], target["ts"]) if target.get("ts") else None
        if body.get("delete_original") and original:
            original.deleted = True
            return
        text, blocks = body.get("text") or "", body.get("blocks") or []
        if body.get("replace_original") and original:
            self.ws.edit(original, text, blocks)
            return
        in_channel = body.get("response_type") == "in_channel"
        self.ws.store(
            StoredMessage(
                channel_id=target["channel"],
                ts=self.ws.next_ts(),
                user=target.get("install", self.ws.primary).bot_user_id,
                text=text,
                blocks=blocks,
                bot_id=target.get("install", self.ws.primary).bot_id,
                kind="message" if in_channel else "ephemeral",
                target_user=None if in_channel else target["user"],
            )
        )

    # ---- delivery to the app ---------------------------------------------------------------
    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Slack signature headers for a body (for hand-made requests in tests)."""
        return self.deliverer.sign(body, timestamp)

    @property
    def app_url(self) -> str | None:
        """The app's request URL (the first, when several replicas serve it)."""
        return self.app_urls[0] if self.app_urls else None

    @app_url.setter
    def app_url(self, url: str | None) -> None:
        self.app_urls = [url] if url else []

    @property
    def app_reachable(self) -> bool:
        """Whether the app can be sent anything now (a request URL, or an open websocket)."""
        return self.socket.connected if self.transport == "socket" else bool(self.app_urls)

    async def _deliver(
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
        envelope = self._envelope(event, team_id, None, event.get("channel"))
        body = json.dumps(envelope).encode()
        if self.transport == "socket":
            return await self.socket.send_everywhere(
                Delivery(body, "application/json", envelope["event_id"], event.get("ts"))
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

    def _envelope(
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
        envelope = self._envelope(event, team_id, event_id, event.get("channel"), install)
        return Delivery(
            body=json.dumps(envelope).encode(),
            content_type="application/json",
            event_id=envelope["event_id"],
            ts=event.get("ts"),
        )

    async def send(self, delivery: Delivery, *, retries: bool = True) -> Delivery:
        """Send a prepared delivery to the app (over HTTP signed afresh on each attempt)."""
        return await self._deliver(delivery, retries=retries)

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
        return await self._deliver(
            again,
            retries=False,
            extra_headers={"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason},
            retry_num=retry_num,
            reason=reason,
        )

    async def post_message(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        thread_ts: str | None = None,
        subtype: str | None = None,
        files: list[dict[str, Any]] | None = None,
        everywhere: bool = False,
    ) -> Delivery:
        """A person posts: stored (so people see it) and delivered as a message event.

        `everywhere`: the one envelope goes to every app URL at once (a retry racing the
        original on another replica); the Delivery then lists each copy's status and URL.
        """
        delivery = self.prepare_message(user_id, channel_id, text, thread_ts, subtype, files)
        if not everywhere:
            return await self.send(delivery)
        event = json.loads(delivery.body)["event"]
        copies = await self.deliver_everywhere(event, team_id=self.ws.users[user_id].team_id)
        first = copies[0]
        first.ts = delivery.ts
        first.attempts = [c.status for c in copies]
        first.urls = [u for c in copies for u in c.urls]
        return first

    def prepare_message(
        self,
        user_id: str,
        channel_id: str,
        text: str,
        thread_ts: str | None = None,
        subtype: str | None = None,
        files: list[dict[str, Any]] | None = None,
    ) -> Delivery:
        """A person's post, stored now; its message event is returned to `send` later."""
        user = self.ws.users[user_id]
        channel = self.ws.channels[channel_id]
        if user_id not in channel.member_ids:
            raise ValueError(f"{user_id} is not in {channel_id}")
        ts = self.ws.next_ts()
        self.ws.store(
            StoredMessage(
                channel_id=channel_id, ts=ts, user=user_id, text=text, thread_ts=thread_ts
            )
        )
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel_id,
            "user": user_id,
            "text": text,
            "ts": ts,
            "team": user.team_id,
            "user_team": user.team_id,
            "source_team": user.team_id,
            "channel_type": "group" if channel.is_private else "channel",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        if subtype:
            event["subtype"] = subtype
        if files:
            event["files"] = files
        delivery = self.prepare_event(event, team_id=user.team_id)
        delivery.ts = ts
        return delivery

    async def edit_message(self, user_id: str, channel_id: str, ts: str, text: str) -> Delivery:
        """A person edits their message (subtype message_changed)."""
        message = self.ws.find(channel_id, ts)
        if message is None:
            raise ValueError("no such message")
        self.ws.edit(message, text, message.blocks)
        event = {
            "type": "message",
            "subtype": "message_changed",
            "channel": channel_id,
            "hidden": True,
            "ts": self.ws.next_ts(),
            "message": {
                "type": "message",
                "user": user_id,
                "text": text,
                "ts": ts,
                "edited": {"user": user_id, "ts": self.ws.next_ts()},
            },
            "previous_message": {"type": "message", "user": user_id, "ts": ts},
        }
        return await self.deliver_event(event, team_id=self.ws.users[user_id].team_id)

    async def delete_message(self, user_id: str, channel_id: str, ts: str) -> Delivery:
        """A person deletes their message (subtype message_deleted)."""
        message = self.ws.find(channel_id, ts)
        if message is not None:
            message.deleted = True
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "channel": channel_id,
            "hidden": True,
            "ts": self.ws.next_ts(),
            "deleted_ts": ts,
            "previous_message": {"type": "message", "user": user_id, "ts": ts},
        }
        return await self.deliver_event(event, team_id=self.ws.users[user_id].team_id)

    async def join_channel(self, user_id: str, channel_id: str) -> Delivery:
        """Someone joins: member_joined_channel, and the channel_join message Slack posts."""
        channel = self.ws.channels[channel_id]
        channel.member_ids.add(user_id)
        user = self.ws.users[user_id]
        ts = self.ws.next_ts()
        self.ws.store(
            StoredMessage(
                channel_id=channel_id,
                ts=ts,
                user=user_id,
                text=f"<@{user_id}> has joined the channel",
            )
        )
        delivery = await self.deliver_event(
            {
                "type": "member_joined_channel",
                "user": user_id,
                "channel": channel_id,
                "channel_type": "C",
                "team": user.team_id,
            },
            team_id=user.team_id,
        )
        await self.deliver_event(
            {
                "type": "message",
                "subtype": "channel_join",
                "user": user_id,
                "channel": channel_id,
                "text": f"<@{user_id}> has joined the channel",
                "ts": ts,
            },
            team_id=user.team_id,
        )
        return delivery

    async def share_channel(self, channel_id: str, with_team_id: str) -> Delivery:
        """The channel becomes a Slack Connect channel with another org."""
        channel = self.ws.channels[channel_id]
        channel.is_ext_shared = True
        return await self.deliver_event(
            {
                "type": "channel_shared",
                "connected_team_id": with_team_id,
                "channel": channel_id,
                "event_ts": f"{time.time():.6f}",
            }
        )

    async def add_reaction(self, user_id: str, channel_id: str, ts: str, name: str) -> Delivery:
        """A person reacts to a message."""
        message = self.ws.find(channel_id, ts)
        if message is None:
            raise ValueError("no such message")
        message.reactions.setdefault(name, []).append(user_id)
        return await self.deliver_event(
            {
                "type": "reaction_added",
                "user": user_id,
                "reaction": name,
                "item": {"type": "message", "channel": channel_id, "ts": ts},
                "item_user": message.user,
                "event_ts": f"{time.time():.6f}",
            },
            team_id=self.ws.users[user_id].team_id,
        )

    def install_of(self, user_id: str) -> Install:
        """The install serving a person's workspace (or org); the primary one otherwise."""
        team = self.ws.users[user_id].team_id if user_id in self.ws.users else ""
        enterprise = self.ws.enterprise_of(team)
        for install in self.ws.installs:
            if install.team.id == team or (
                install.is_enterprise_install and enterprise and install.enterprise_id == enterprise
            ):
                return install
        return self.ws.primary

    def _org_fields(self, user_id: str, *, as_form: bool = False) -> dict[str, Any]:
        """Enterprise Grid fields of a command (form strings) or an interaction payload."""
        install = self.install_of(user_id)
        enterprise = self.ws.enterprise_of(self.ws.users[user_id].team_id)
        if as_form:
            fields = {"is_enterprise_install": str(install.is_enterprise_install).lower()}
            if enterprise:
                fields["enterprise_id"] = enterprise
            return fields
        return {
            "is_enterprise_install": install.is_enterprise_install,
            "enterprise": {"id": enterprise, "name": f"Org {enterprise}"} if enterprise else None,
        }

    async def install_app(self, install_url: str, user_id: str, *, org_wide: bool = False) -> str:
        """Someone installs the app by OAuth, as in a browser: the app's install page, Slack's
        Allow (as `user_id`), back to the app's redirect. The page the app ends on (its text).

        The app's state cookie is carried by hand: it is `Secure`, and this browser talks
        plain HTTP to 127.0.0.1 (as browsers do for localhost).
        """
        async with aiohttp.ClientSession() as browser:
            async with browser.get(install_url, allow_redirects=False) as page:
                text = await page.text()
                cookies = "; ".join(
                    morsel.split(";", 1)[0] for morsel in page.headers.getall("Set-Cookie", [])
                )
                if page.status in (301, 302, 303):
                    authorize = page.headers["Location"]
                else:
                    found = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', text)
                    if found is None:
                        raise ValueError(f"no Add to Slack link on the install page: {text[:300]}")
                    authorize = html.unescape(found.group(1))
            extra = {"user": user_id, **({"org_wide": "1"} if org_wide else {})}
            async with browser.get(f"{authorize}&{urlencode(extra)}", allow_redirects=False) as ok:
                if ok.status != 302:
                    return await ok.text()
                back = ok.headers["Location"]
            async with browser.get(back, headers={"Cookie": cookies}) as done:
                return await done.text()

    async def uninstall(self, key: str) -> list[Delivery]:
        """The app is removed from a workspace (or org): its tokens stop working, and the app
        hears `tokens_revoked` and `app_uninstalled`, as from Slack."""
        install = next((i for i in self.ws.installs if i.key == key), None)
        if install is None:
            raise ValueError(f"the app is not installed in {key}")
        self.oauth.revoke(key)
        sent = [
            await self.deliver_event(
                {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [install.bot_user_id]}},
                install=install,
            ),
            await self.deliver_event({"type": "app_uninstalled"}, install=install),
        ]
        self.ws.remove_install(key)
        return sent

    async def slash_command(
        self, user_id: str, channel_id: str, text: str, command: str = "/desk"
    ) -> Delivery:
        """A person runs a slash command; the ack body, if any, is shown to them."""
        user = self.ws.users[user_id]
        channel = self.ws.channels[channel_id]
        form = {
            "token": "emulator-verification-token",
            "team_id": user.team_id,
            "team_domain": user.team_id.lower(),
            "channel_id": channel_id,
            "channel_name": channel.name,
            "user_id": user_id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": "A0CONNECTDESK",
            **self._org_fields(user_id, as_form=True),
            "response_url": self._response_url(user_id, channel_id, None),
            "trigger_id": self.api.issue_trigger(user_id),
        }
        delivery = Delivery(
            body=urlencode(form).encode(),
            content_type="application/x-www-form-urlencoded",
            kind="slash_commands",
        )
        delivery = await self._deliver(delivery, retries=False)
        self._record_ack(user_id, channel_id, delivery)
        return delivery

    async def click_button(
        self,
        user_id: str,
        channel_id: str,
        message_ts: str,
        action_id: str,
        value: str,
        block_id: str | None = None,
    ) -> Delivery:
        """A person presses a button on a message (block_actions)."""
        user = self.ws.users[user_id]
        channel = self.ws.channels[channel_id]
        message = self.ws.find(channel_id, message_ts)
        payload = {
            "type": "block_actions",
            "user": {
                "id": user_id,
                "username": user.name,
                "name": user.name,
                "team_id": user.team_id,
            },
            "api_app_id": "A0CONNECTDESK",
            "token": "emulator-verification-token",
            "team": {"id": user.team_id, "domain": user.team_id.lower()},
            **self._org_fields(user_id),
            "channel": {"id": channel_id, "name": channel.name},
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "message": {
                "type": "message",
                "ts": message_ts,
                "text": message.text,
                "blocks": message.blocks,
                "user": message.user,
            }
            if message
            else {},
            "trigger_id": self.api.issue_trigger(user_id),
            "response_url": self._response_url(user_id, channel_id, message_ts),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id or "b",
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        delivery = Delivery(
            body=urlencode({"payload": json.dumps(payload)}).encode(),
            content_type="application/x-www-form-urlencoded",
            kind="interactive",
        )
        delivery = await self._deliver(delivery, retries=False)
        self._record_ack(user_id, channel_id, delivery)
        return delivery

    async def submit_view(
        self, user_id: str, view_id: str, values: dict[str, dict[str, dict[str, Any]]]
    ) -> Delivery:
        """A person submits a modal they opened: a signed view_submission to the app."""
        view = next((v for v in self.api.opened.get(user_id, []) if v["id"] == view_id), None)
        if view is None:
            raise ValueError(f"{user_id} has no open view {view_id}")
        user = self.ws.users[user_id]
        submitted = {**view, "state": {"values": _state_values(view, values)}}
        payload = {
            "type": "view_submission",
            "team": {"id": user.team_id, "domain": user.team_id.lower()},
            "user": {
                "id": user_id,
                "username": user.name,
                "name": user.name,
                "team_id": user.team_id,
            },
            "api_app_id": self.api.app_id,
            "token": "emulator-verification-token",
            "trigger_id": self.api.issue_trigger(user_id),
            "view": submitted,
            "response_urls": [],
            **self._org_fields(user_id),
        }
        delivery = Delivery(
            body=urlencode({"payload": json.dumps(payload)}).encode(),
            content_type="application/x-www-form-urlencoded",
            kind="interactive",
        )
        return await self._deliver(delivery, retries=False)

    def views_opened(self, user_id: str) -> list[dict[str, Any]]:
        """Every modal opened for a person with views.open, newest last."""
        return list(self.api.opened.get(user_id, []))

    def _record_ack(self, user_id: str, channel_id: str, delivery: Delivery) -> None:
        body = delivery.response_body.strip()
        if not body or delivery.status != 200:
            return
        try:
            parsed = json.loads(body)
        except json.JSONDecodeError:
            parsed = {"text": body}
        if isinstance(parsed, dict) and (parsed.get("text") or parsed.get("blocks")):
            self._record_response(
                {
                    "user": user_id,
                    "channel": channel_id,
                    "ts": None,
                    "install": self.install_of(user_id),
                },
                parsed,
            )

    # ---- questions a test can ask ----------------------------------------------------------
    def messages(
        self, channel_id: str, thread_ts: str | None = None, include_replies: bool = True
    ) -> list[StoredMessage]:
        """Current (non-ephemeral, not deleted) messages of a channel, or of one thread."""
        result = []
        for m in self.ws.messages:
            if m.channel_id != channel_id or m.kind != "message" or m.deleted:
                continue
            if thread_ts is not None and not (m.thread_ts == thread_ts or m.ts == thread_ts):
                continue
            if thread_ts is None and not include_replies and m.thread_ts and m.thread_ts != m.ts:
                continue
            result.append(m)
        return result

    def thread(self, channel_id: str, ts: str) -> list[StoredMessage]:
        """A thread's parent then its replies, oldest first (no ephemerals, nothing deleted)."""
        return self.ws.thread(channel_id, ts)

    def message(self, channel_id: str, ts: str) -> StoredMessage | None:
        """One stored message."""
        return self.ws.find(channel_id, ts)

    def reactions(self, channel_id: str, ts: str) -> dict[str, list[str]]:
        """Reactions on a message: name -> user ids."""
        message = self.ws.find(channel_id, ts)
        return dict(message.reactions) if message else {}

    def render(self, text: str) -> str:
        """Slack markup as a reader sees it."""
        return render(
            text,
            {u.id: u.name for u in self.ws.users.values()},
            {c.id: c.name for c in self.ws.channels.values()},
        )

    def seen_by(
        self, user_id: str, channel_id: str | None = None, thread_ts: str | None = None
    ) -> list[SeenMessage]:
        """What one person could see, in order (messages, thread replies, ephemerals, DMs)."""
        seen = []
        for m in self.ws.messages:
            channel = self.ws.channels.get(m.channel_id)
            if channel is None or m.deleted:
                continue
            if channel_id is not None and m.channel_id != channel_id:
                continue
            if thread_ts is not None and not (m.thread_ts == thread_ts or m.ts == thread_ts):
                continue
            if m.kind == "ephemeral":
                if m.target_user != user_id:
                    continue
                kind = "ephemeral"
            elif user_id in channel.member_ids:
                kind = "dm" if channel.is_im else "message"
            else:
                continue
            author = self.ws.users.get(m.user or "")
            texts = [e["text"] for e in m.edits] + [m.text]
            times = [m.posted_at] + [e.get("at") for e in m.edits]
            seen.append(
                SeenMessage(
                    channel_id=m.channel_id,
                    channel_name=channel.name,
                    ts=m.ts,
                    thread_ts=m.thread_ts,
                    author_id=m.user,
                    author_name=author.name if author else (m.user or "?"),
                    text=self.render(m.text),
                    raw_text=m.text,
                    blocks=m.blocks,
                    kind=kind,
                    edited=bool(m.edits),
                    posted_at=m.posted_at,
                    versions=tuple(zip(times, map(self.render, texts), strict=True)),
                    reactions=tuple(
                        (name, tuple(self._name(u) for u in users))
                        for name, users in m.reactions.items()
                    ),
                )
            )
        return seen

    def shared_channel_messages(self) -> list[StoredMessage]:
        """Everything the bot put in a channel shared with another org (ephemerals included)."""
        return [
            m
            for m in self.ws.messages
            if self.ws.is_app_bot(m.user)
            and self.ws.channels.get(m.channel_id) is not None
            and self.ws.channels[m.channel_id].is_ext_shared
        ]

    async def wait_for(
        self, predicate: Callable[[], Any], within: float = 5.0, interval: float = 0.01
    ) -> Any:
        """Poll until `predicate()` is truthy and return its value; TimeoutError otherwise."""
        deadline = time.monotonic() + within
        while True:
            try:
                value = predicate()
            except (IndexError, KeyError, AttributeError, TypeError):
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {within}s")
            await asyncio.sleep(interval)

    def _name(self, user_id: str) -> str:
        user = self.ws.users.get(user_id)
        return user.name if user else user_id

    def transcript(self, user_id: str) -> str:
        """What a person saw, as they would tell it (bot/emulator/transcript.py)."""
        return format_transcript(self.seen_by(user_id))


def _state_values(
    view: dict[str, Any], given: dict[str, dict[str, dict[str, Any]]]
) -> dict[str, dict[str, dict[str, Any]]]:
    """`state.values` as Slack sends it: every input in the view, the given answers filled in."""
    elements: dict[tuple[str, str], dict[str, Any]] = {}
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view.get("blocks", []):
        element = block.get("element") or block.get("accessory")
        if not isinstance(element, dict) or not block.get("block_id"):
            continue
        if not element.get("action_id"):
            continue
        elements[(block["block_id"], element["action_id"])] = element
        if "element" in block:
            # Slack reports untouched input blocks too: their initial value, or empty.
            kind = element.get("type", "plain_text_input")
            if kind.endswith("_select"):
                empty = {"selected_option": element.get("initial_option")}
            else:
                empty = {"value": element.get("initial_value")}
            values.setdefault(block["block_id"], {})[element["action_id"]] = {"type": kind, **empty}
    for block_id, actions in given.items():
        for action_id, state in actions.items():
            element = elements.get((block_id, action_id))
            if element is None:
                raise ValueError(f"the view has no input {block_id}/{action_id}")
            state = {"type": element.get("type", state.get("type")), **state}
            option = state.get("selected_option")
            if isinstance(option, dict) and "text" not in option:
                # Callers may give just the value; Slack sends the option's text with it.
                state["selected_option"] = _option(element, option.get("value")) or option
            values.setdefault(block_id, {})[action_id] = state
    return values


def _option(element: dict[str, Any], value: Any) -> dict[str, Any] | None:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return next((dict(o) for o in options if o.get("value") == value), None)
