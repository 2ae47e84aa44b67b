"""The emulator: a local Slack workspace over HTTP that the bot, tests and demo all talk to.

`Emulator` assembles the parts and answers for them in one place, so a test holds one object:
the HTTP server (server.py) serving the Web API (endpoint.py, webapi/), response URLs
(responses.py), Socket Mode (socket_mode.py) and OAuth (oauth.py); the road to the app
(app_link.py, delivery.py); what people do (people.py, interactions.py, installing.py); and
what tests ask (queries.py, calls.py). Each method here hands over to the part that does it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.domain.clock import Clock
from bot.emulator.app_link import AppLink
from bot.emulator.calls import ApiCall, CallLog
from bot.emulator.delivery import Deliverer, Delivery
from bot.emulator.endpoint import WebApiEndpoint
from bot.emulator.faults import Faults
from bot.emulator.holds import Hold
from bot.emulator.homes import Homes
from bot.emulator.installing import Installing
from bot.emulator.interactions import Interactions
from bot.emulator.limits import Limits
from bot.emulator.oauth import OAuthServer
from bot.emulator.people import People
from bot.emulator.queries import Queries, SeenMessage, wait_for
from bot.emulator.responses import ResponseUrls
from bot.emulator.server import HttpServer
from bot.emulator.socket_mode import SocketModeHub
from bot.emulator.webapi import WebApi
from bot.emulator.workspace import Install, StoredFile, StoredMessage, Workspace

__all__ = ["ApiCall", "Emulator", "SeenMessage"]


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
        faults = faults or Faults()
        self.bot_token = bot_token
        self.signing_secret = signing_secret
        self.app_token = app_token
        self.limits = Limits()
        self.log = CallLog()
        self.server = HttpServer()
        self.deliverer = Deliverer(signing_secret, retry_delays, ack_timeout, faults)
        # Socket Mode: the app opens websockets (app-level token) and takes envelopes there.
        self.socket = SocketModeHub(self.deliverer, WebApi.app_id)
        # How requests reach the app: signed HTTP POSTs, or envelopes over its websockets.
        self.link = AppLink(
            workspace,
            self.deliverer,
            self.socket,
            transport=transport,
            echo_bot_messages=echo_bot_messages,
        )
        self.api = WebApi(
            workspace,
            self.link.echo,
            trigger_ttl=trigger_ttl,
            base_url=lambda: self.server.base_url,
        )
        self.api.methods["apps.connections.open"] = self.socket.connections_open
        # Installs by OAuth; the bot token given here is the workspace's own install.
        self.oauth = OAuthServer(workspace)
        self.oauth.add_token(bot_token, workspace.primary)
        self.endpoint = WebApiEndpoint(
            workspace, self.api, self.oauth, self.limits, self.log, faults, app_token
        )
        self.responses = ResponseUrls(workspace, self.server, self.log)
        self.people = People(workspace, self.link, self.api.views)
        self.interactions = Interactions(workspace, self.api, self.link, self.responses)
        self.installing = Installing(workspace, self.oauth, self.link)
        self.queries = Queries(workspace, self.api.views)
        # The App Home: open it, press its buttons, read it (homes.py).
        self.homes = Homes(self.people, self.interactions, self.queries, self.api.views)

    # ---- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The local port served on (0 until started)."""
        return self.server.port

    @property
    def api_url(self) -> str:
        """Base URL of the Web API, for `AsyncWebClient(base_url=...)`."""
        return self.server.api_url

    @property
    def base_url(self) -> str:
        """Root URL of the emulator."""
        return self.server.base_url

    async def start(self) -> Emulator:
        """Listen on a free local port."""
        parts = (self.endpoint, self.responses, self.socket, self.oauth)
        await self.server.start(part.mount for part in parts)
        self.socket.serve_at(self.base_url)
        await self.deliverer.start()
        return self

    async def stop(self) -> None:
        """Stop serving and delivering."""
        self.endpoint.holds.release_all()
        self.link.close()
        await self.socket.close()
        await self.deliverer.close()
        await self.server.stop()

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- settings shared by the parts ------------------------------------------------------
    @property
    def faults(self) -> Faults:
        """The Web API's injected faults (event deliveries keep the deliverer's own)."""
        return self.endpoint.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self.endpoint.faults = faults

    @property
    def transport(self) -> str:
        """How requests reach the app: "http" or "socket"."""
        return self.link.transport

    @property
    def app_urls(self) -> list[str]:
        """The app's request URLs (several replicas behind a load balancer, taken in turn)."""
        return self.link.app_urls

    @app_urls.setter
    def app_urls(self, urls: list[str]) -> None:
        self.link.app_urls = urls

    @property
    def app_url(self) -> str | None:
        """The app's request URL (the first, when several replicas serve it)."""
        return self.link.app_urls[0] if self.link.app_urls else None

    @app_url.setter
    def app_url(self, url: str | None) -> None:
        self.link.app_urls = [url] if url else []

    @property
    def app_reachable(self) -> bool:
        """Whether the app can be sent anything now (a request URL, or an open websocket)."""
        return self.link.reachable

    # ---- the Web API calls received (calls.py) ---------------------------------------------
    @property
    def calls(self) -> list[ApiCall]:
        """Every Web API call answered, in order."""
        return self.log.calls

    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of one method."""
        return self.log.calls_to(method)

    @property
    def rate_limited(self) -> int:
        """How many calls were answered 429."""
        return self.log.rate_limited

    def rate_limited_calls(self, method: str) -> int:
        """How many calls of one method were answered 429."""
        return self.log.rate_limited_calls(method)

    def hold(
        self,
        method: str,
        *,
        channel: str | None = None,
        text_contains: str | None = None,
        landed: bool = True,
    ) -> Hold:
        """Pause the next matching call, after its work (`landed`) or instead of it (holds.py)."""
        return self.endpoint.holds.add(Hold(method, channel, text_contains, landed))

    # ---- delivery to the app (app_link.py) -------------------------------------------------
    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Slack signature headers for a body (for hand-made requests in tests)."""
        return self.deliverer.sign(body, timestamp)

    async def deliver_everywhere(
        self, event: dict[str, Any], *, team_id: str | None = None
    ) -> list[Delivery]:
        """The same envelope (one event_id) to every app URL at once: a retry race."""
        return await self.link.deliver_everywhere(event, team_id=team_id)

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
        return await self.link.deliver_event(
            event, team_id=team_id, event_id=event_id, retries=retries, install=install
        )

    def prepare_event(
        self,
        event: dict[str, Any],
        *,
        team_id: str | None = None,
        event_id: str | None = None,
        install: Install | None = None,
    ) -> Delivery:
        """The envelope around `event`, ready to `send` (benchmarks build these ahead of time)."""
        return self.link.prepare_event(event, team_id=team_id, event_id=event_id, install=install)

    async def send(self, delivery: Delivery, *, retries: bool = True) -> Delivery:
        """Send a prepared delivery to the app (over HTTP signed afresh on each attempt)."""
        return await self.link.send(delivery, retries=retries)

    async def deliver_raw(
        self, body: bytes, headers: dict[str, str], content_type: str = "application/json"
    ) -> Delivery:
        """Post exactly these bytes and headers (no signing): for hostile-input tests."""
        return await self.link.deliver_raw(body, headers, content_type)

    async def redeliver(
        self, delivery: Delivery, retry_num: int = 1, reason: str = "http_timeout"
    ) -> Delivery:
        """Send the same body again, freshly signed, with Slack's retry headers."""
        return await self.link.redeliver(delivery, retry_num, reason)

    # ---- what people do (people.py, interactions.py, installing.py) ------------------------
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
        """A person posts: stored, and delivered as a message event (`everywhere`: a race)."""
        return await self.people.post_message(
            user_id, channel_id, text, thread_ts, subtype, files, everywhere
        )

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
        return self.people.prepare_message(user_id, channel_id, text, thread_ts, subtype, files)

    async def edit_message(self, user_id: str, channel_id: str, ts: str, text: str) -> Delivery:
        """A person edits their message (subtype message_changed)."""
        return await self.people.edit_message(user_id, channel_id, ts, text)

    async def delete_message(self, user_id: str, channel_id: str, ts: str) -> Delivery:
        """A person deletes their message (subtype message_deleted)."""
        return await self.people.delete_message(user_id, channel_id, ts)

    async def join_channel(self, user_id: str, channel_id: str) -> Delivery:
        """Someone joins: member_joined_channel, and the channel_join message Slack posts."""
        return await self.people.join_channel(user_id, channel_id)

    async def share_channel(self, channel_id: str, with_team_id: str) -> Delivery:
        """The channel becomes a Slack Connect channel with another org."""
        return await self.people.share_channel(channel_id, with_team_id)

    async def add_reaction(self, user_id: str, channel_id: str, ts: str, name: str) -> Delivery:
        """A person reacts to a message."""
        return await self.people.add_reaction(user_id, channel_id, ts, name)

    async def slash_command(
        self, user_id: str, channel_id: str, text: str, command: str = "/desk"
    ) -> Delivery:
        """A person runs a slash command; the ack body, if any, is shown to them."""
        return await self.interactions.slash_command(user_id, channel_id, text, command)

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
        return await self.interactions.click_button(
            user_id, channel_id, message_ts, action_id, value, block_id
        )

    async def submit_view(
        self, user_id: str, view_id: str, values: dict[str, dict[str, dict[str, Any]]]
    ) -> Delivery:
        """A person submits a modal they opened: a signed view_submission to the app."""
        return await self.interactions.submit_view(user_id, view_id, values)

    def views_opened(self, user_id: str) -> list[dict[str, Any]]:
        """Every modal opened for a person with views.open, newest last."""
        return self.interactions.views_opened(user_id)

    def install_of(self, user_id: str) -> Install:
        """The install serving a person's workspace (or org); the primary one otherwise."""
        return self.ws.install_of(user_id)

    async def install_app(self, install_url: str, user_id: str, *, org_wide: bool = False) -> str:
        """Someone installs the app by OAuth, as in a browser; the page the app ends on."""
        return await self.installing.install_app(install_url, user_id, org_wide=org_wide)

    async def uninstall(self, key: str) -> list[Delivery]:
        """The app is removed from a workspace (or org); it hears it as from Slack."""
        return await self.installing.uninstall(key)

    # ---- questions a test can ask (queries.py) ---------------------------------------------
    def messages(
        self, channel_id: str, thread_ts: str | None = None, include_replies: bool = True
    ) -> list[StoredMessage]:
        """Current (non-ephemeral, not deleted) messages of a channel, or of one thread."""
        return self.queries.messages(channel_id, thread_ts, include_replies)

    def thread(self, channel_id: str, ts: str) -> list[StoredMessage]:
        """A thread's parent then its replies, oldest first (no ephemerals, nothing deleted)."""
        return self.ws.thread(channel_id, ts)

    def message(self, channel_id: str, ts: str) -> StoredMessage | None:
        """One stored message."""
        return self.ws.find(channel_id, ts)

    def reactions(self, channel_id: str, ts: str) -> dict[str, list[str]]:
        """Reactions on a message: name -> user ids."""
        return self.queries.reactions(channel_id, ts)

    def uploaded(self, channel_id: str | None = None) -> list[StoredFile]:
        """Files uploaded (those shared in `channel_id`, if given), oldest first; bytes: `data`."""
        return [
            f
            for f in self.ws.files.values()
            if channel_id is None or any(c == channel_id for c, _ts in f.shares)
        ]

    def render(self, text: str) -> str:
        """Slack markup as a reader sees it."""
        return self.queries.render(text)

    def seen_by(
        self, user_id: str, channel_id: str | None = None, thread_ts: str | None = None
    ) -> list[SeenMessage]:
        """What one person could see, in order (messages, thread replies, ephemerals, DMs)."""
        return self.queries.seen_by(user_id, channel_id, thread_ts)

    def shared_channel_messages(self) -> list[StoredMessage]:
        """Everything the bot put in a channel shared with another org (ephemerals included)."""
        return self.queries.shared_channel_messages()

    def transcript(self, user_id: str) -> str:
        """What a person saw, as they would tell it (bot/emulator/transcript.py)."""
        return self.queries.transcript(user_id)

    async def wait_for(
        self, predicate: Callable[[], Any], within: float = 5.0, interval: float = 0.01
    ) -> Any:
        """Poll until `predicate()` is truthy and return its value; TimeoutError otherwise."""
        return await wait_for(predicate, within, interval)
