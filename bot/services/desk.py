"""The `/desk` command: who may run it, and which service answers each subcommand."""

from __future__ import annotations

import logging
import uuid

from bot.config.desk import DeskConfig
from bot.domain import commands as cmd
from bot.domain.incident_commands import (
    DeclareIncident,
    IncidentStatusQuery,
    ResolveIncident,
    UpdateIncident,
)
from bot.domain.incidents import Severity, parse_audience
from bot.domain.sla import SlaFlag
from bot.installs.registry import NotInstalled
from bot.messages.base import InternalMessage
from bot.messages.home import HOME_CLAIM_ACTION, HOME_RESOLVE_ACTION
from bot.messages.internal import (
    CLAIM_ACTION,
    ESCALATE_ACTION,
    RESOLVE_ACTION,
    SLA_MARK,
    QueueLine,
    command_error,
    help_text,
    notice,
    ticket_list,
)
from bot.messages.markup import md, mention
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from bot.services.accounts import AccountService
from bot.services.escalation import EscalationService
from bot.services.home import HomeService
from bot.services.incidents import Declared, IncidentService
from bot.services.inputs import Caller, DeclareForm
from bot.services.people import People
from bot.services.report_requests import ReportRequests
from bot.services.tickets import TicketNotFound, TicketOps, TicketRef
from store.db import Database
from store.models import Ticket

log = logging.getLogger("connectdesk.desk")

# The App Home's buttons do what the triage card's do.
HOME_BUTTONS = {HOME_CLAIM_ACTION: CLAIM_ACTION, HOME_RESOLVE_ACTION: RESOLVE_ACTION}

REFUSAL = (
    "Sorry, `/desk` is only for the support team of this workspace."
    " If you need help, just post your question in the channel and the team will pick it up."
)


class DeskService:
    """Runs `/desk` commands for internal users; refuses everyone else without changing anything."""

    def __init__(
        self,
        db: Database,
        config: DeskConfig,
        people: People,
        tickets: TicketOps,
        accounts: AccountService,
        escalate: EscalationService | None = None,
        incidents: IncidentService | None = None,
        outbox: Outbox | None = None,
        home: HomeService | None = None,
        reports: ReportRequests | None = None,
    ) -> None:
        self.db = db
        self.reports = reports
        self.outbox = outbox
        self.home = home
        self.config = config
        self.people = people
        self.tickets = tickets
        self.accounts = accounts
        self.escalate = escalate
        self.incidents = incidents

    async def run(self, caller: Caller, text: str) -> InternalMessage:
        """Run one command; always returns the reply to show the caller (ephemeral)."""
        caller = await self._in_our_workspace(caller)
        if not await self._ours(caller):
            log.info("refused /desk from non-internal user %s", caller.user_id)
            return notice(REFUSAL)
        try:
            command = cmd.parse_command(text, tiers=list(self.config.tiers))
        except cmd.CommandError as exc:
            return command_error(exc.problem, exc.usage)
        try:
            return await self._dispatch(caller, command)
        except TicketNotFound as exc:
            return notice(f":warning: {exc}")

    async def submit_declare(self, caller: Caller, form: DeclareForm) -> Declared:
        """The incident form: refuse outsiders, check each field, then declare."""
        caller = await self._in_our_workspace(caller)
        if not await self._ours(caller) or self.incidents is None:
            return Declared(notice(REFUSAL), {"title": "Only the support team can declare."})
        errors: dict[str, str] = {}
        try:
            severity = Severity.parse(form.severity)
        except ValueError as exc:
            errors["severity"] = str(exc)
        if not form.title.strip():
            errors["title"] = "Say what customers are told is affected."
        try:
            audience = parse_audience(form.accounts)
        except ValueError as exc:
            errors["accounts"] = str(exc)
        if errors:
            return Declared(notice(":warning: Please fix the form."), errors)
        command = DeclareIncident(severity, form.title.strip(), audience)
        return await self.incidents.declare(caller, command)

    async def tell(self, caller: Caller, message: InternalMessage) -> None:
        """Send someone a reply by DM (modal submissions have no response_url), not waiting.

        Queued in the outbox: the modal's acknowledgement need not wait for the post.
        """
        if self.outbox is None:
            await (await self.people.gateways.at(caller.team_id)).deliver(caller.user_id, message)
            return
        async with self.db.unit_of_work() as uow:
            row = await self.outbox.record(
                uow,
                f"dm:{caller.user_id}:{uuid.uuid4().hex}",
                OutboxKind.DM,
                caller.team_id,
                payload={"target": caller.user_id, **message.payload()},
            )
        self.outbox.run_soon([row])

    async def press(self, caller: Caller, action_id: str, value: str) -> InternalMessage:
        """A triage-card button: the same checks and operations as the commands."""
        caller = await self._in_our_workspace(caller)
        if not await self._ours(caller):
            log.info("refused button %s from non-internal user %s", action_id, caller.user_id)
            return notice(REFUSAL)
        if not value.isdigit():
            return notice(":warning: That button is out of date; use `/desk queue` instead.")
        ref = TicketRef(caller.team_id, ticket_id=int(value))
        try:
            if action_id == CLAIM_ACTION:
                return await self.tickets.claim(ref, caller.user_id)
            if action_id == RESOLVE_ACTION:
                return await self.tickets.resolve(ref, caller.user_id)
            if action_id == ESCALATE_ACTION and self.escalate is not None:
                return await self.escalate.escalate(ref, caller.user_id, "")
        except TicketNotFound as exc:
            return notice(f":warning: {exc}")
        return notice(":warning: That button does nothing any more.")

    async def press_home(self, caller: Caller, action_id: str, value: str) -> None:
        """A button on someone's App Home: the card's Claim or Resolve, then their Home shows
        the answer on top (a Home press has no response_url to answer by)."""
        card_action = HOME_BUTTONS.get(action_id, action_id)
        reply = await self.press(caller, card_action, value)
        if self.home is not None:
            await self.home.pressed(await self._in_our_workspace(caller), reply)

    async def _in_our_workspace(self, caller: Caller) -> Caller:
        # Data belongs to the install the request came through: with one bot token that is the
        # one workspace, whatever team a payload names (a caller's own org in a shared channel).
        home = await self.people.gateways.home(caller.team_id)
        return Caller(home, caller.user_id, caller.channel_id, caller.trigger_id)

    async def _ours(self, caller: Caller) -> bool:
        """Whether the caller is on the install's own team (no install there: nobody is)."""
        try:
            return bool(await self.people.is_internal(caller.team_id, caller.user_id))
        except NotInstalled:
            return False

    async def _dispatch(self, caller: Caller, command: cmd.DeskCommand) -> InternalMessage:
        team, user = caller.team_id, caller.user_id
        match command:
            case cmd.Help():
                return help_text()
            case cmd.Claim(ticket=n):
                return await self.tickets.claim(TicketRef(team, n), user)
            case cmd.Assign(ticket=n, user_id=owner):
                owner_internal = await self.people.is_internal(team, owner)
                if owner_internal is None:
                    return notice(
                        md(":warning: I can't find {} in this workspace.", mention(owner))
                    )
                if not owner_internal:
                    return notice(
                        md(
                            ":warning: {} is not on our team, so cannot own tickets.",
                            mention(owner),
                        )
                    )
                return await self.tickets.assign(TicketRef(team, n), user, owner)
            case cmd.Resolve(ticket=n, note=note):
                return await self.tickets.resolve(TicketRef(team, n), user, note)
            case cmd.Close(ticket=n, kind=kind, note=note):
                return await self.tickets.resolve(TicketRef(team, n), user, note, kind)
            case cmd.Reopen(ticket=n):
                return await self.tickets.reopen(TicketRef(team, n), user)
            case cmd.Wait(ticket=n):
                return await self.tickets.wait(TicketRef(team, n), user)
            case cmd.SetPriority(ticket=n, priority=p):
                return await self.tickets.set_priority(TicketRef(team, n), user, p)
            case cmd.Escalate(ticket=n, reason=reason):
                if self.escalate is None:
                    return command_error("Escalation is not available.", None)
                return await self.escalate.escalate(TicketRef(team, n), user, reason)
            case cmd.Mine():
                return await self._list(
                    team, md("Your open tickets, {}", mention(user)), owner=user
                )
            case cmd.Queue(account=name):
                return await self._queue(team, name)
            case cmd.AccountInfo(name=name, channel_id=channel):
                return await self.accounts.describe(team, name, channel)
            case cmd.SendReport(month=month):
                if self.reports is None:
                    return command_error("Reports are not available.", None)
                return await self.reports.send(caller, month)
            case cmd.Link(channel_id=channel, account=name, tier=tier):
                return await self.accounts.link(team, user, channel, name, tier, caller.channel_id)
            case DeclareIncident() | UpdateIncident() | ResolveIncident() | IncidentStatusQuery():
                if self.incidents is None:
                    return command_error("Incidents are not available.", None)
                return await self.incidents.run(caller, command)
        return help_text()

    async def _queue(self, team: str, name: str | None) -> InternalMessage:
        if not name:
            return await self._list(team, "Open tickets")
        async with self.db.unit_of_work() as uow:
            account = await uow.accounts.by_name(team, name)
        if account is None:
            return notice(f":warning: There is no account named '{name}'.")
        return await self._list(team, f"Open tickets of {account.name}", account_id=account.id)

    async def _list(
        self, team: str, title: str, *, owner: str | None = None, account_id: int | None = None
    ) -> InternalMessage:
        async with self.db.unit_of_work() as uow:
            rows = await uow.tickets.open_tickets(team, owner=owner, account_id=account_id)
        return ticket_list(title, [_line(t) for t in rows], "Nothing open. :tada:")


def _line(ticket: Ticket) -> QueueLine:
    return QueueLine(
        number=ticket.number,
        account=ticket.account.name,
        priority=ticket.priority,
        status=ticket.status,
        owner=ticket.owner_user_id,
        summary=ticket.summary,
        opened_at=ticket.opened_at,
        due=ticket.next_due_at,
        sla_state="" if ticket.sla_flag == SlaFlag.OK else SLA_MARK.get(ticket.sla_flag, ""),
    )
