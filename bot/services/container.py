"""Every service, wired once by the app factory and handed to the handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.broadcast.broadcaster import LEASE, Broadcaster
from bot.clock import Clock
from bot.config.desk import DeskConfig
from bot.gateway import SlackGateway
from bot.inflight import InFlight
from bot.metrics import Metrics
from bot.outbox.effects import DeskEffects
from bot.outbox.outbox import Outbox
from bot.services.accounts import AccountService
from bot.services.cards import CardRefresher
from bot.services.desk import DeskService
from bot.services.escalation import EscalationService
from bot.services.incidents import IncidentService
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
    gateway: SlackGateway
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


def build_services(
    db: Database,
    config: DeskConfig,
    clock: Clock,
    gateway: SlackGateway,
    metrics: Metrics,
    *,
    broadcast_lease: timedelta = LEASE,
    replica: str | None = None,
    outbox_lease: float = 30.0,
) -> Services:
    """Wire the services together."""
    people = People(gateway, config.team.internal_team_ids)
    presenter = TicketPresenter(gateway)
    outbox = Outbox(db, lease=outbox_lease)
    outbox.effects = DeskEffects(db, gateway, presenter, metrics)
    sla = SlaService(config, metrics)
    broadcaster = Broadcaster(db, config, clock, gateway, lease=broadcast_lease, replica=replica)
    incidents = IncidentService(db, config, clock, gateway, presenter, broadcaster)
    intake = IntakeService(
        db, config, clock, gateway, people, presenter, sla, outbox, metrics, incidents
    )
    tickets = TicketOps(db, clock, presenter, sla, outbox)
    accounts = AccountService(db, config, clock, gateway)
    escalation = EscalationService(
        db, config, clock, gateway, sla, CardRefresher(db, presenter), outbox, metrics
    )
    desk = DeskService(db, config, people, tickets, accounts, escalation, incidents, outbox)
    return Services(
        db=db,
        config=config,
        clock=clock,
        gateway=gateway,
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
    )
