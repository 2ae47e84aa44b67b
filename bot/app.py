"""The app factory: builds everything a running connectdesk needs, with nothing global."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import timedelta

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.web.async_client import AsyncWebClient

from bot.broadcast.broadcaster import LEASE, Broadcaster
from bot.config.desk import DeskConfig
from bot.config.pacing import CHANNEL_INTERVAL
from bot.config.settings import Settings
from bot.domain.clock import Clock, SystemClock
from bot.edge.entry import SlackEntry
from bot.edge.http import build_web_app
from bot.edge.probes import add_probes
from bot.edge.socket_mode import PING_INTERVAL, SocketModeEdge
from bot.inbox.inbox import Inbox, InboxObserver
from bot.installs.cipher import TokenCipher
from bot.installs.gateways import Gateways
from bot.installs.oauth import add_oauth_routes, oauth_settings
from bot.installs.registry import Installs, OAuthInstalls, TokenInstall
from bot.installs.store import EncryptedInstallationStore
from bot.jobs.alarm import Alarm
from bot.jobs.inflight import InFlight
from bot.jobs.retention import Retention
from bot.llm.articles import NO_ARTICLES
from bot.llm.drafter import Drafter, drafter_for
from bot.observability.metrics import Metrics
from bot.observability.readiness import Readiness
from bot.outbox.outbox import Outbox
from bot.services.accounts import AccountService
from bot.services.cards import CardRefresher
from bot.services.console import Console
from bot.services.container import Services
from bot.services.csat import CsatService
from bot.services.desk import DeskService
from bot.services.digests import DigestService
from bot.services.draft_replies import DraftReplies
from bot.services.drafts import DraftService
from bot.services.effects import DeskEffects
from bot.services.escalation import EscalationService
from bot.services.health import HealthScores, HealthWatch
from bot.services.home import FiguresSource, HomePages, HomeService
from bot.services.incidents import IncidentService
from bot.services.installs import InstallService
from bot.services.intake import IntakeService
from bot.services.kb_answers import KbAnswers
from bot.services.kb_effects import KbEffects
from bot.services.knowledge import SCAN_EVERY_SECONDS, KbArticles, KnowledgeBase
from bot.services.people import People
from bot.services.presenter import TicketPresenter
from bot.services.private_reports import PrivateReports, ReportFiles
from bot.services.report_requests import ReportRequests
from bot.services.reports import ReportService
from bot.services.sla import SlaService
from bot.services.tickets import TicketOps
from bot.services.triage import ClassifierLoader, MessageTriage, cached_loader
from bot.slack.http_session import SharedSession
from bot.slack.transport import Transport, make_client
from handlers.actions import register_actions
from handlers.commands import register_commands
from handlers.errors import register_error_handler
from handlers.events import EventListeners
from handlers.registry import BOT_SCOPES
from handlers.views import register_views
from schedules.periodic import (
    DIGESTS_EVERY_SECONDS,
    DIGESTS_FIRST_AFTER_SECONDS,
    HEALTH_EVERY_SECONDS,
    HEALTH_FIRST_AFTER_SECONDS,
    RETENTION_EVERY_SECONDS,
    RETENTION_FIRST_AFTER_SECONDS,
    PeriodicJob,
)
from schedules.sweep import SweepScheduler
from store import migrate
from store.db import Database
from store.inbox_store import inbox_url_for

log = logging.getLogger("connectdesk.app")

# Work still running after this is cancelled; its transaction rolls back and Slack redelivers.
SHUTDOWN_GRACE_SECONDS = 10.0


class SchemaNotReady(RuntimeError):
    """The database schema is missing or older than this version; the message says what to run."""


def build_services(
    db: Database,
    config: DeskConfig,
    clock: Clock,
    gateways: Gateways,
    metrics: Metrics,
    alarm: Alarm,
    *,
    broadcast_lease: timedelta = LEASE,
    replica: str | None = None,
    outbox_lease: float = 30.0,
    one_workspace: bool = True,
    wall: Clock | None = None,
    figures: FiguresSource | None = None,
    report_files: ReportFiles | None = None,
    classifiers: ClassifierLoader | None = None,
    drafter: Drafter | None = None,
    knowledge: KnowledgeBase | None = None,
) -> Services:
    """Build the services, each given what it needs (`one_workspace`: one bot token, not OAuth;
    `wall`: the outbox's real-time clock, which tests may move; `figures`: this month's figures
    for managers' Homes, from the reports; `report_files`: makes reports' charts, a placeholder
    by default; `drafter`: writes reply drafts, None when they are off; `classifiers`:
    loads the request classifier at start, from the model cache by default; `knowledge`: the
    knowledge base, which the drafter may read too; one of its own by default)."""
    people = People(gateways, config)
    knowledge = knowledge or KnowledgeBase(db, config, clock)
    presenter = TicketPresenter(gateways, knowledge.card_articles if knowledge.enabled else None)
    reports = ReportService(
        db,
        clock,
        timezone=config.team.timezone,
        tiers=tuple(config.tiers),
        zones={team: ws.timezone for team, ws in config.workspaces.items()},
    )
    scores = HealthScores(db, config)
    console = Console(db, config, clock, reports, scores)
    pages = HomePages(db, config, people, clock, figures or console)
    effects = DeskEffects(
        db,
        gateways,
        presenter,
        metrics,
        tiers=tuple(config.tiers),
        home=pages,
        reports=report_files or reports,
        kb=KbEffects(db, knowledge, presenter),
    )
    outbox = Outbox(db, effects, wall=wall, lease=outbox_lease)
    home = HomeService(db, config, people, outbox, clock)
    sla = SlaService(config, metrics, alarm.ring)
    broadcaster = Broadcaster(db, config, clock, gateways, lease=broadcast_lease, replica=replica)
    incidents = IncidentService(db, config, clock, gateways, broadcaster, outbox, home)
    triage = MessageTriage(db, classifiers or cached_loader())
    drafts = DraftService(db, outbox, drafter)
    intake = IntakeService(
        db,
        config,
        clock,
        gateways,
        people,
        presenter,
        sla,
        outbox,
        metrics,
        incidents,
        home,
        triage=triage,
        on_opened=drafts.opened if drafts.enabled else None,
    )
    csat = CsatService(db, config, clock, people, outbox)
    tickets = TicketOps(db, clock, presenter, sla, outbox, csat, home)
    accounts = AccountService(
        db, config, clock, gateways, outbox, one_workspace=one_workspace, health=scores
    )
    escalation = EscalationService(
        db, config, clock, sla, CardRefresher(db, presenter), outbox, metrics, home
    )
    private_reports = PrivateReports(db, outbox)
    desk = DeskService(
        db,
        config,
        people,
        tickets,
        accounts,
        escalation,
        incidents,
        outbox,
        home,
        ReportRequests(config, clock, reports, private_reports),
    )
    return Services(
        db=db,
        config=config,
        clock=clock,
        gateways=gateways,
        people=people,
        presenter=presenter,
        sla=sla,
        intake=intake,
        tickets=tickets,
        csat=csat,
        accounts=accounts,
        escalation=escalation,
        desk=desk,
        broadcaster=broadcaster,
        incidents=incidents,
        inflight=InFlight(),
        outbox=outbox,
        installs=InstallService(db, clock, gateways, accounts),
        home=home,
        private_reports=private_reports,
        reports=reports,
        console=console,
        digests=DigestService(db, config, clock, outbox, console),
        triage=triage,
        knowledge=knowledge,
        kb_answers=KbAnswers(db, clock, people, sla, outbox, tickets, home),
        drafts=drafts,
        draft_replies=DraftReplies(db, people, intake, outbox.wall),
        health=HealthWatch(db, config, clock, scores, outbox, home),
    )


class ConnectDesk:
    """One running connectdesk: database, installs and their gateways, services, Bolt, edges."""

    def __init__(
        self,
        settings: Settings,
        config: DeskConfig,
        *,
        clock: Clock | None = None,
        channel_interval: float = CHANNEL_INTERVAL,
        metrics: Metrics | None = None,
        inbox_observer: InboxObserver | None = None,
        classifiers: ClassifierLoader | None = None,
    ) -> None:
        self.settings = settings
        self.config = config
        # With PROMETHEUS_MULTIPROC_DIR (serve --workers) every process's samples add up.
        self.metrics = metrics or Metrics(settings.metrics_dir)
        self.replica = settings.replica_id or f"{socket.gethostname()}-{os.getpid()}"
        # Bolt's client (commands, the OAuth flow) and, with one bot token, auth.test's.
        self.client = self._client(settings.slack_bot_token.get_secret_value() or None)
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
        self.installs: Installs
        oauth: AsyncOAuthSettings | None = None
        if settings.oauth:
            secret = settings.slack_client_secret
            client_id, client_secret = (
                settings.slack_client_id or "",
                (secret.get_secret_value() if secret else ""),
            )
            keys = settings.token_keys.get_secret_value() if settings.token_keys else ""
            store = EncryptedInstallationStore(
                client_id, self.db.engine, TokenCipher.from_setting(keys)
            )
            self.installs = OAuthInstalls(store, self.client, client_id, client_secret)
            oauth = oauth_settings(
                client_id=client_id,
                client_secret=client_secret,
                scopes=list(BOT_SCOPES),
                store=store,
                engine=self.db.engine,
                api_url=settings.slack_api_url,
                redirect_uri=settings.slack_redirect_uri,
                on_installed=self._installed,
            )
        else:
            self.installs = TokenInstall(self.client)
        pacing = config.pacing
        self.gateways = Gateways(
            self.installs,
            self._client,
            pacing=(
                (pacing.posts.calls, pacing.posts.per.total_seconds()),
                (pacing.edits.calls, pacing.edits.per.total_seconds()),
            ),
            channel_interval=channel_interval,
        )
        # Services ring the alarm when a timer falls due earlier; the scheduler listens.
        alarm = Alarm()
        clock = clock or SystemClock()
        # One knowledge base: its cards' articles, and what reply drafts are written from.
        knowledge = KnowledgeBase(self.db, config, clock)
        self.services: Services = build_services(
            self.db,
            config,
            clock,
            self.gateways,
            self.metrics,
            alarm,
            broadcast_lease=timedelta(seconds=settings.broadcast_lease_seconds),
            replica=self.replica,
            outbox_lease=settings.outbox_lease_seconds,
            one_workspace=not settings.oauth,
            classifiers=classifiers,
            drafter=drafter_for(
                config.llm,
                settings.llm_api_key.get_secret_value() if settings.llm_api_key else None,
                KbArticles(knowledge) if knowledge.enabled else NO_ARTICLES,
            ),
            knowledge=knowledge,
        )
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            # Events never reach Bolt (the edge stores them in the inbox and acks); commands and
            # buttons ack at once and work in lazy listeners.
            process_before_response=True,
            oauth_settings=oauth,
            logger=logging.getLogger("connectdesk.bolt"),
        )
        self.scheduler = SweepScheduler(
            self.services.escalation.sweep,
            self.services.escalation.next_due,
            self.services.clock,
            interval=settings.sweep_interval_seconds,
            alarm=alarm,
        )
        self.retention = Retention(
            self.db, self.services.clock, timedelta(days=settings.retention_days)
        )
        self.pruning = PeriodicJob(
            "retention",
            self.retention.prune,
            RETENTION_EVERY_SECONDS,
            RETENTION_FIRST_AFTER_SECONDS,
        )
        self.digesting = PeriodicJob(
            "digests",
            self.services.digests.send_due,
            DIGESTS_EVERY_SECONDS,
            DIGESTS_FIRST_AFTER_SECONDS,
        )
        self.health_checks = PeriodicJob(
            "health",
            self.services.health.check,
            HEALTH_EVERY_SECONDS,
            HEALTH_FIRST_AFTER_SECONDS,
        )
        # Articles added, edited or removed in the knowledge base folder are indexed.
        self.kb_scan = PeriodicJob(
            "knowledge", self.services.knowledge.refresh, SCAN_EVERY_SECONDS, SCAN_EVERY_SECONDS
        )
        self.readiness = Readiness(settings.database_url, self._slack_problem)
        self.metrics.watch_depths(self._depths)
        register_error_handler(self.bolt)
        self.inbox = Inbox(
            self.inbox_db,
            EventListeners(self.services),
            own_schema=self.inbox_db is not self.db,
            lease=settings.inbox_lease_seconds,
            poll=settings.inbox_poll_seconds,
            worker_id=self.replica,
            metrics=self.metrics,
            observer=inbox_observer,
        )
        register_commands(self.bolt, self.services)
        register_actions(self.bolt, self.services)
        register_views(self.bolt, self.services)
        # HTTP and Socket Mode both feed this: events to the inbox, the rest to Bolt.
        self.entry = SlackEntry(self.bolt, self.inbox)
        self._session: SharedSession | None = None

    def _client(self, token: str | None) -> AsyncWebClient:
        """A Web API client for a token: every call counted, one pool of connections."""
        client = make_client(
            token or "",
            self.settings.slack_api_url,
            self.replica,
            count_calls=self.metrics.slack_call,
        )
        if token is None:
            client.token = None  # OAuth: Bolt's client acts for no install of its own
        # Without a session slack_sdk opens a new connection per call, which cost more CPU
        # than the call itself under load (bench/README.md); made at start, closed at close.
        client.session = getattr(self, "_session", None)
        return client

    async def _installed(self, installation: Installation) -> None:
        """After Bolt saved a new installation: its accounts of desk.yml, a fresh gateway."""
        assert isinstance(self.installs, OAuthInstalls)
        key = self.installs.saved(installation)
        self.gateways.forget(key)
        await self.services.installs.installed(key)

    async def _slack_problem(self) -> str | None:
        """Readiness: with one token, Slack accepts it (auth.test); with OAuth, Slack answers."""
        if isinstance(self.installs, TokenInstall):
            return await Transport(self.client).problem("auth.test")
        return await Transport(self.client).problem("api.test")

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
        if self._session is None:
            self._session = SharedSession()
            self.client.session = self._session
        if isinstance(self.installs, TokenInstall):
            await self.installs.learn()  # who the token is for (auth.test)
        loaded = await self.services.installs.start()
        # Before any stored event is worked: intake asks it of every customer post.
        await self.services.triage.start()
        self.scheduler.start()
        self.pruning.start()
        self.digesting.start()
        self.health_checks.start()
        if self.services.knowledge.enabled:
            await self._index_knowledge()
            self.kb_scan.start()
        # Side effects a crashed process had decided but not done are picked up from here.
        self.services.outbox.start()
        await self.services.broadcaster.start()
        # Events acked before a crash or restart are still in the inbox: worked from here on.
        await self.inbox.start(work=work_events)
        log.info(
            "connectdesk ready: %s",
            ", ".join(f"{key} with {n} configured account(s)" for key, n in loaded.items())
            or "no workspace installed yet",
        )

    async def _index_knowledge(self) -> None:
        """Index the knowledge base before the first ticket is looked at (a failure is logged:
        tickets then go without articles until the next scan succeeds)."""
        try:
            report = await self.services.knowledge.index()
        except Exception:
            log.exception("indexing the knowledge base failed; retried by the next scan")
            return
        if report.problems:
            log.warning(
                "knowledge base: %d article(s) left out (see `connectdesk check`)",
                len(report.problems),
            )

    def web_app(self) -> web.Application:
        """The aiohttp application (POST /slack/events, GET /healthz, /readyz, /metrics)."""
        app = build_web_app(self.entry, self.settings.slack_signing_secret.get_secret_value())
        add_probes(app, readiness=self.readiness, metrics=self.metrics)
        add_oauth_routes(app, self.bolt)  # with OAuth installs only
        return app

    def probes_app(self) -> web.Application:
        """The aiohttp application of Socket Mode: no Slack endpoint, the probes (and the
        OAuth install pages, which a browser reaches over HTTP whatever the transport)."""
        app = build_web_app(None)
        add_probes(app, readiness=self.readiness, metrics=self.metrics)
        add_oauth_routes(app, self.bolt)
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
        await self.pruning.shutdown()
        await self.digesting.shutdown()
        await self.health_checks.shutdown()
        await self.kb_scan.shutdown()
        await self.services.escalation.cards.close(grace=SHUTDOWN_GRACE_SECONDS)
        await self.services.drafts.close(grace=SHUTDOWN_GRACE_SECONDS)
        await self.services.outbox.close(grace=SHUTDOWN_GRACE_SECONDS)
        await self.db.close()
        if self.inbox_db is not self.db:
            await self.inbox_db.close()
        if self._session is not None and not self._session.closed:
            await self._session.close()


def create_app(
    settings: Settings,
    config: DeskConfig,
    *,
    clock: Clock | None = None,
    channel_interval: float = CHANNEL_INTERVAL,
    metrics: Metrics | None = None,
    inbox_observer: InboxObserver | None = None,
    classifiers: ClassifierLoader | None = None,
) -> ConnectDesk:
    """Build a connectdesk app; `channel_interval` (Slack: ~1 post/s/channel) tests compress;
    `inbox_observer` lets the sandbox wait for deliveries to be worked; `classifiers` loads the
    request classifier (default: trained once, then read from the user's cache directory)."""
    return ConnectDesk(
        settings,
        config,
        clock=clock,
        channel_interval=channel_interval,
        metrics=metrics,
        inbox_observer=inbox_observer,
        classifiers=classifiers,
    )
