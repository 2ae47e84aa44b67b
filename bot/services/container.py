"""Every service, wired once by the app factory and handed to the handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.broadcast.broadcaster import LEASE, Broadcaster
from bot.config.desk import DeskConfig
from bot.domain.clock import Clock
from bot.installs.gateways import Gateways
from bot.jobs.inflight import InFlight
from bot.observability.metrics import Metrics
from bot.outbox.effects import DeskEffects
from bot.outbox.outbox import Outbox
from bot.services.accounts import AccountService
from bot.services.cards import CardRefresher
from bot.services.desk import DeskService
from bot.services.escalation import EscalationService
from bot.services.incidents import IncidentService
from bot.services.installs import InstallService
from bot.services.intake import IntakeService
from bot.services.people import People
from bot.services.presenter import TicketPresenter
from bot.services.sla import SlaService
from bot.services.tickets import TicketOps
from store.db import Database


@dataclass(frozen=True)
class Services:
    """The services of one running app."""

    db: Database
    config: DeskConfig
    clock: Clock
    gateways: Gateways
    people: People
    presenter: TicketPresenter
    sla: SlaService
    intake: IntakeService
    tickets: TicketOps
    accounts: AccountService
    escalation: EscalationService
    desk: DeskService
    broadcaster: Broadcaster
    incidents: IncidentService
    inflight: InFlight
    outbox: Outbox
    installs: InstallService


def build_services(
    db: Database,
    config: DeskConfig,
    clock: Clock,
    gateways: Gateways,
    metrics: Metrics,
    *,
    broadcast_lease: timedelta = LEASE,
    replica: str | None = None,
    outbox_lease: float = 30.0,
    one_workspace: bool = True,
) -> Services:
    """Wire the services together (`one_workspace`: installed by one bot token, not OAuth)."""
    people = People(gateways, config)
    presenter = TicketPresenter(gateways)
    outbox = Outbox(db, lease=outbox_lease)
    outbox.effects = DeskEffects(db, gateways, presenter, metrics, tiers=tuple(config.tiers))
    sla = SlaService(config, metrics)
    broadcaster = Broadcaster(db, config, clock, gateways, lease=broadcast_lease, replica=replica)
    incidents = IncidentService(db, config, clock, gateways, presenter, broadcaster)
    intake = IntakeService(
        db, config, clock, gateways, people, presenter, sla, outbox, metrics, incidents
    )
    tickets = TicketOps(db, clock, presenter, sla, outbox)
    accounts = AccountService(db, config, clock, gateways, one_workspace=one_workspace)
    escalation = EscalationService(
        db, config, clock, sla, CardRefresher(db, presenter), outbox, metrics
    )
    desk = DeskService(db, config, people, tickets, accounts, escalation, incidents, outbox)
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
        accounts=accounts,
        escalation=escalation,
        desk=desk,
        broadcaster=broadcaster,
        incidents=incidents,
        inflight=InFlight(),
        outbox=outbox,
        installs=InstallService(db, clock, gateways, accounts),
    )
