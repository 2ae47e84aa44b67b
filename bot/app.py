"""The app factory: builds everything a running connectdesk needs, with nothing global."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import timedelta
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock, SystemClock
from bot.config.desk import DeskConfig
from bot.config.settings import Settings
from bot.edge.entry import SlackEntry
from bot.edge.http import build_web_app
from bot.edge.probes import add_probes
from bot.edge.socket_mode import PING_INTERVAL, SocketModeEdge
from bot.gateway import ChannelPacer, SlackGateway, make_client
from bot.http_session import SharedSession
from bot.inbox.inbox import Inbox
from bot.metrics import Metrics
from bot.pacing import WindowBudget
from bot.readiness import Readiness
from bot.services.container import Services, build_services
from bot.slack_calls import CallCounter
from handlers.actions import register_actions
from handlers.commands import register_commands
from handlers.errors import register_error_handler
from handlers.events import EventListeners
from handlers.views import register_views
from schedules.sweep import SweepScheduler
from store import migrate
from store.db import Database
from store.inbox_store import inbox_url_for

log = logging.getLogger("connectdesk.app")

# Work still running after this is cancelled; its transaction rolls back and Slack redelivers.
SHUTDOWN_GRACE_SECONDS = 10.0


class SchemaNotReady(RuntimeError):
    """The database schema is missing or older than this version; the message says what to run."""


class ConnectDesk:
    """One running connectdesk: database, gateway, services, Bolt app and HTTP edge."""

    def __init__(
        self,
        settings: Settings,
        config: DeskConfig,
        *,
        clock: Clock | None = None,
        client: AsyncWebClient | None = None,
        channel_interval: float = 1.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.config = config
        # With PROMETHEUS_MULTIPROC_DIR (serve --workers) every process's samples add up.
        self.metrics = metrics or Metrics(settings.metrics_dir)
        token = settings.slack_bot_token.get_secret_value()
        replica = settings.replica_id or f"{socket.gethostname()}-{os.getpid()}"
        self._owns_client = client is None
        if client is not None and client.retry_handlers is not None:
            # A client handed in (tests, benchmarks) is counted too: every Web API call is.
            client.retry_handlers.insert(0, CallCounter(self.metrics.slack_call))
        self.client = client or make_client(
            token, settings.slack_api_url, replica, count_calls=self.metrics.slack_call
        )
        self.db = Database(settings.database_url)
        inbox_url = settings.inbox_url or inbox_url_for(settings.database_url)
        # A separate SQLite file: the ack path never queues behind the worker's transactions.
        self.inbox_db = (
            self.db
            if inbox_url == settings.database_url
            else Database(
                inbox_url,
                autocommit=inbox_url.startswith("sqlite"),
                # Its workers checkpoint it (Inbox.work_once), never an ack's commit.
                checkpoint_on_commit=False,
            )
        )
        self.inbox = Inbox(
            self.inbox_db,
            own_schema=self.inbox_db is not self.db,
            lease=settings.inbox_lease_seconds,
            poll=settings.inbox_poll_seconds,
            worker_id=replica,
            metrics=self.metrics,
        )
        pacing = config.pacing
        self.gateway = SlackGateway(
            self.client,
            pacer=ChannelPacer(channel_interval),
            posts=WindowBudget(pacing.posts.calls, pacing.posts.per.total_seconds()),
            edits=WindowBudget(pacing.edits.calls, pacing.edits.per.total_seconds()),
        )
        self.services: Services = build_services(
            self.db,
            config,
            clock or SystemClock(),
            self.gateway,
            self.metrics,
            broadcast_lease=timedelta(seconds=settings.broadcast_lease_seconds),
            replica=replica,
            outbox_lease=settings.outbox_lease_seconds,
        )
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            # Events never reach Bolt (the edge stores them in the inbox and acks); commands and
            # buttons ack at once and work in lazy listeners.
            process_before_response=True,
            logger=logging.getLogger("connectdesk.bolt"),
        )
        self.scheduler = SweepScheduler(
            self.services.escalation.sweep,
            self.services.escalation.next_due,
            self.services.clock,
            interval=settings.sweep_interval_seconds,
        )
        self.services.sla.set_waker(self.scheduler.wake_at)
        self.readiness = Readiness(settings.database_url, self.gateway.auth_problem)
        self.metrics.watch_depths(self._depths)
        register_error_handler(self.bolt)
        self.inbox.handlers = EventListeners(self.services)
        register_commands(self.bolt, self.services)
        register_actions(self.bolt, self.services)
        register_views(self.bolt, self.services)
        # HTTP and Socket Mode both feed this: events to the inbox, the rest to Bolt.
        self.entry = SlackEntry(self.bolt, self.inbox)

    async def start(self, *, upgrade_db: bool = False, work_events: bool = True) -> None:
        """Check (or upgrade) the schema, learn who we are, load configured accounts.

        `work_events=False`: stored events are left to `connectdesk work` processes.
        """
        if upgrade_db:
            await migrate.upgrade(self.settings.database_url)
        problem = (await migrate.status(self.settings.database_url)).problem(
            self.settings.database_url
        )
        if problem:
            raise SchemaNotReady(problem)
        if self._owns_client and self.client.session is None:
            # Without a session slack_sdk opens a new connection per call, which cost more CPU
            # than the call itself under load (bench/README.md); `close` closes this one.
            self.client.session = SharedSession()
        identity = await self.gateway.identity()
        count = await self.services.accounts.load_config_accounts(identity.team_id)
        self.scheduler.start()
        # Side effects a crashed process had decided but not done are picked up from here.
        self.services.outbox.start()
        await self.services.broadcaster.start()
        # Events acked before a crash or restart are still in the inbox: worked from here on.
        await self.inbox.start(work=work_events)
        log.info(
            "connectdesk ready in team %s with %d configured accounts", identity.team_id, count
        )

    def web_app(self) -> web.Application:
        """The aiohttp application (POST /slack/events, GET /healthz, /readyz, /metrics)."""
        app = build_web_app(self.entry, self.settings.slack_signing_secret.get_secret_value())
        add_probes(app, readiness=self.readiness, metrics=self.metrics)
        return app

    def probes_app(self) -> web.Application:
        """The aiohttp application of Socket Mode: the probes only, no Slack endpoint."""
        app = build_web_app(None)
        add_probes(app, readiness=self.readiness, metrics=self.metrics)
        return app

    def socket_mode(
        self, app_token: str, *, ping_interval: float = PING_INTERVAL
    ) -> SocketModeEdge:
        """A Socket Mode connection feeding the same entry as HTTP (connect it to start)."""
        return SocketModeEdge(self.entry, app_token, self.client, ping_interval=ping_interval)

    async def _depths(self) -> dict[str, int]:
        """The queue depths /metrics shows, read from the database (the same in every process)."""
        (inbox, inbox_failed), (outbox, outbox_failed) = await asyncio.gather(
            self.inbox.depth(), self.services.outbox.depth()
        )
        return {
            "connectdesk_inbox_depth": inbox,
            "connectdesk_inbox_failed": inbox_failed,
            "connectdesk_outbox_depth": outbox,
            "connectdesk_outbox_failed": outbox_failed,
        }

    async def close(self) -> None:
        """Let listener work finish, stop the timers, then release connections."""
        await self.inbox.close(grace=SHUTDOWN_GRACE_SECONDS)
        await self.services.inflight.drain(grace=SHUTDOWN_GRACE_SECONDS)
        await self.services.broadcaster.close()
        await self.scheduler.shutdown()
        await self.services.escalation.cards.close(grace=SHUTDOWN_GRACE_SECONDS)
        await self.services.outbox.close(grace=SHUTDOWN_GRACE_SECONDS)
        await self.db.close()
        if self.inbox_db is not self.db:
            await self.inbox_db.close()
        session: Any = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()


def create_app(
    settings: Settings,
    config: DeskConfig,
    *,
    clock: Clock | None = None,
    client: AsyncWebClient | None = None,
    channel_interval: float = 1.0,
    metrics: Metrics | None = None,
) -> ConnectDesk:
    """Build a connectdesk app; `channel_interval` (Slack: ~1 post/s/channel) tests compress."""
    return ConnectDesk(
        settings,
        config,
        clock=clock,
        client=client,
        channel_interval=channel_interval,
        metrics=metrics,
    )
