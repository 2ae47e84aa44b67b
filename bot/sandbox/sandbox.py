"""A bot running against the local Slack emulator over real HTTP (demo, tests, benchmarks)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from bot.app import ConnectDesk, create_app
from bot.config.desk import DeskConfig
from bot.config.pacing import CHANNEL_INTERVAL
from bot.config.settings import Settings
from bot.domain.clock import Clock
from bot.edge.socket_mode import SocketModeEdge
from bot.emulator import Emulator, Workspace
from bot.installs.cipher import TokenCipher
from bot.sandbox.waits import InboxTracker, outbox_settled
from bot.services.triage import ClassifierLoader
from store import migrate
from store.db import Database

SIGNING_SECRET = "sandbox-signing-secret"
BOT_TOKEN = "xoxb-sandbox-token"
APP_TOKEN = "xapp-1-A0CONNECTDESK-sandbox"
TRANSPORTS = ("http", "socket")
# A dropped websocket is noticed within a few pings; tests should not wait long for that.
SOCKET_PING_INTERVAL = 1.0


class Sandbox:
    """An emulated workspace plus a connectdesk app serving it on a local port."""

    def __init__(
        self,
        config: DeskConfig,
        *,
        workspace: Workspace | None = None,
        clock: Clock | None = None,
        database_url: str | None = None,
        emulator_options: dict[str, Any] | None = None,
        channel_interval: float = CHANNEL_INTERVAL,
        outbox_lease: float = 30.0,
        transport: str = "http",
        oauth: bool = False,
        classifiers: ClassifierLoader | None = None,
    ) -> None:
        """`transport`: how Slack's requests reach the bot, "http" or "socket" (Socket Mode);
        `oauth`: the bot has no token of its own and is installed by OAuth (`install`);
        `classifiers`: loads the bot's request classifier (the app's default otherwise)."""
        self.config = config
        self.classifiers = classifiers
        self.workspace = workspace or Workspace.default()
        self.clock = clock
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if database_url is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="connectdesk-")
            database_url = f"sqlite+aiosqlite:///{Path(self._tmp.name) / 'desk.db'}"
        self.database_url = database_url
        self.channel_interval = channel_interval
        self.outbox_lease = outbox_lease
        self.transport = transport
        self.oauth = oauth
        # Tokens at rest are encrypted with this (a fresh key per sandbox).
        self.token_keys = TokenCipher.new_key()
        # People see the bot's time on messages (the demo's compressed day).
        timed: dict[str, Any] = {"clock": clock} if clock is not None else {}
        self.emu = Emulator(
            self.workspace,
            signing_secret=SIGNING_SECRET,
            bot_token=BOT_TOKEN,
            app_token=APP_TOKEN,
            transport=transport,
            **timed,
            **(emulator_options or {}),
        )
        self.desk: ConnectDesk | None = None
        self._runner: web.AppRunner | None = None
        self._socket: SocketModeEdge | None = None
        self._tracker: InboxTracker | None = None

    def settings(self) -> Settings:
        """The settings the bot runs with: the emulator's Web API, a local database."""
        oauth: dict[str, Any] = (
            {
                "SLACK_CLIENT_ID": self.emu.oauth.client_id,
                "SLACK_CLIENT_SECRET": SecretStr(self.emu.oauth.client_secret),
                "CONNECTDESK_TOKEN_KEYS": SecretStr(self.token_keys),
            }
            if self.oauth
            else {}
        )
        return Settings(
            SLACK_BOT_TOKEN=SecretStr("" if self.oauth else BOT_TOKEN),
            SLACK_SIGNING_SECRET=SecretStr(SIGNING_SECRET),
            SLACK_API_URL=self.emu.api_url,
            CONNECTDESK_DATABASE_URL=self.database_url,
            CONNECTDESK_OUTBOX_LEASE=self.outbox_lease,
            SLACK_APP_TOKEN=SecretStr(APP_TOKEN) if self.transport == "socket" else None,
            **oauth,
        )

    async def install(self, user_id: str, *, org_wide: bool = False) -> str:
        """`user_id` installs the app in their workspace (or org) by OAuth, as in a browser;
        the page the bot ends on."""
        url = f"http://127.0.0.1:{self.port}/slack/install"
        return await self.emu.install_app(url, user_id, org_wide=org_wide)

    async def start(self) -> Sandbox:
        """Start the emulator, then the bot, and point the emulator at the bot."""
        await self.emu.start()
        # The schema comes from the migrations, as in production, so they are exercised.
        await migrate.upgrade(self.database_url)
        await self.start_bot()
        return self

    async def start_bot(self) -> ConnectDesk:
        """Start (or restart) the bot process on the same database."""
        tracker = InboxTracker()
        desk = create_app(
            self.settings(),
            self.config,
            clock=self.clock,
            channel_interval=self.channel_interval,
            inbox_observer=tracker,
            classifiers=self.classifiers,
        )
        try:
            await desk.start()
        except BaseException:
            await desk.close()
            raise
        socket = self.transport == "socket"
        runner = web.AppRunner(desk.probes_app() if socket else desk.web_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = runner.addresses[0][1]
        self.desk, self._runner = desk, runner
        # The app's Redirect URL, as its OAuth settings at Slack would say.
        self.emu.oauth.redirect_uri = f"http://127.0.0.1:{self.port}/slack/oauth_redirect"
        if socket:
            self._socket = desk.socket_mode(APP_TOKEN, ping_interval=SOCKET_PING_INTERVAL)
            await self._socket.connect()
            await self.emu.wait_for(lambda: self.emu.socket.connected)
        else:
            self.emu.app_url = f"http://127.0.0.1:{self.port}/slack/events"
        # Tests and the demo read the outcome right after a delivery, as they did when events
        # were worked before the ack; the bot itself no longer waits.
        self.emu.deliverer.after_send = tracker.drained
        self._tracker = tracker
        return desk

    async def quiet(self) -> None:
        """Wait until the bot has nothing under way: listener work, broadcasts, side effects
        and card edits (what a step set off has landed, before the clock moves on)."""
        if self.desk is None:
            return
        services = self.desk.services
        await services.inflight.drain(grace=30.0)
        await services.broadcaster.idle()
        await services.drafts.idle()
        await outbox_settled(services.outbox)
        await services.escalation.cards.idle()

    async def drained(self, within: float = 30.0) -> None:
        """Wait until every event delivered to the bot so far was worked by its inbox."""
        assert self._tracker is not None, "the bot is not running"
        await self._tracker.drained(within)

    async def settled(self, within: float = 30.0) -> dict[str, int]:
        """Wait until the bot's outbox has nothing pending or sending; the counts per state."""
        assert self.desk is not None, "the bot is not running"
        return await outbox_settled(self.desk.services.outbox, within)

    async def stop_bot(self) -> None:
        """Stop the bot (as a crash or deploy would), leaving the emulator and database."""
        self.emu.deliverer.after_send = None
        if self._socket is not None:
            await self._socket.close()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.desk is not None:
            await self.desk.close()
            self.desk = None

    @asynccontextmanager
    async def desk_db(self) -> AsyncIterator[Database]:
        """The bot's database, opened on its own (e.g. to look or meddle while it is down)."""
        db = Database(self.database_url)
        try:
            yield db
        finally:
            await db.close()

    async def restart_bot(self) -> ConnectDesk:
        """Stop and start the bot on the same database."""
        await self.stop_bot()
        return await self.start_bot()

    async def stop(self) -> None:
        """Stop everything and remove the temporary database."""
        await self.stop_bot()
        await self.emu.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def __aenter__(self) -> Sandbox:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
