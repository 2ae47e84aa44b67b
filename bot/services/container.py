"""Every service of a running app, as the app factory (bot/app.py) built them for the handlers."""

from __future__ import annotations

from dataclasses import dataclass

from bot.broadcast.broadcaster import Broadcaster
from bot.config.desk import DeskConfig
from bot.domain.clock import Clock
from bot.installs.gateways import Gateways
from bot.jobs.inflight import InFlight
from bot.outbox.outbox import Outbox
from bot.services.accounts import AccountService
from bot.services.console import Console
from bot.services.csat import CsatService
from bot.services.desk import DeskService
from bot.services.digests import DigestService
from bot.services.draft_replies import DraftReplies
from bot.services.drafts import DraftService
from bot.services.escalation import EscalationService
from bot.services.health import HealthWatch
from bot.services.home import HomeService
from bot.services.incidents import IncidentService
from bot.services.installs import InstallService
from bot.services.intake import IntakeService
from bot.services.kb_answers import KbAnswers
from bot.services.knowledge import KnowledgeBase
from bot.services.people import People
from bot.services.presenter import TicketPresenter
from bot.services.private_reports import PrivateReports
from bot.services.reports import ReportService
from bot.services.sla import SlaService
from bot.services.tickets import TicketOps
from bot.services.triage import MessageTriage
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
    csat: CsatService
    accounts: AccountService
    escalation: EscalationService
    desk: DeskService
    broadcaster: Broadcaster
    incidents: IncidentService
    inflight: InFlight
    outbox: Outbox
    installs: InstallService
    home: HomeService
    private_reports: PrivateReports
    reports: ReportService
    console: Console
    digests: DigestService
    triage: MessageTriage
    # The knowledge base (articles on cards, the bot's answers) and the presses on them.
    knowledge: KnowledgeBase
    kb_answers: KbAnswers
    # Reply drafts from a model (off unless desk.yml has `llm:`) and sending them.
    drafts: DraftService
    draft_replies: DraftReplies
    health: HealthWatch
