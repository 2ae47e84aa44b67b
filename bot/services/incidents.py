"""Incidents: declare, update, resolve and report; the broadcaster and the outbox do the posting."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.broadcast.broadcaster import Broadcaster
from bot.broadcast.progress import delivery_rows, incident_view
from bot.config.desk import DeskConfig
from bot.domain.clock import Clock
from bot.domain.incident_commands import (
    INCIDENT_USAGE,
    DeclareIncident,
    IncidentCommand,
    IncidentStatusQuery,
    ResolveIncident,
    UpdateIncident,
)
from bot.domain.incidents import Audience, IncidentStatus, PostKind, Severity
from bot.domain.tickets import TicketStatus
from bot.installs.gateways import Gateways
from bot.messages import incident_internal
from bot.messages.base import InternalMessage
from bot.messages.incident_modal import declare_modal
from bot.messages.internal import command_error, notice
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from bot.services.home import HomeService
from bot.services.inputs import Caller
from bot.services.tickets import record_refresh
from store.db import Database
from store.models import Account, Incident, IncidentPost, Ticket
from store.repositories import Repositories

log = logging.getLogger("connectdesk.incidents")

SEVERITY_WORDS = re.compile(r"\bsev(?:erity)?[\s-]?[1-4]\b", re.IGNORECASE)


class IncidentInputError(ValueError):
    """Something in an incident command cannot go ahead; `field` says which part."""

    def __init__(self, problem: str, field: str = "title") -> None:
        super().__init__(problem)
        self.problem = problem
        self.field = field


@dataclass(frozen=True)
class Declared:
    """The outcome of a declaration: the reply for the declarer, or what to fix."""

    reply: InternalMessage
    errors: dict[str, str] | None = None


class IncidentService:
    """Turns incident commands into stored posts and per-channel deliveries."""

    def __init__(
        self,
        db: Database,
        config: DeskConfig,
        clock: Clock,
        gateways: Gateways,
        broadcaster: Broadcaster,
        outbox: Outbox,
        home: HomeService | None = None,
    ) -> None:
        self.db = db
        self.home = home
        self.config = config
        self.clock = clock
        self.gateways = gateways
        self.broadcaster = broadcaster
        self.outbox = outbox

    async def run(self, caller: Caller, command: IncidentCommand) -> InternalMessage:
        """Run one `/desk incident …` command for an internal user."""
        try:
            match command:
                case DeclareIncident():
                    return await self._declare_or_ask(caller, command)
                case UpdateIncident(incident=number, text=text):
                    return await self.update(caller, number, text)
                case ResolveIncident(incident=number, text=text):
                    return await self.resolve(caller, number, text)
                case IncidentStatusQuery(incident=number):
                    return await self.status(caller.team_id, number)
        except IncidentInputError as exc:
            return command_error(exc.problem, None)
        return command_error("Unknown incident command.", INCIDENT_USAGE["declare"])

    # ---- declare -----------------------------------------------------------------------------
    async def _declare_or_ask(self, caller: Caller, command: DeclareIncident) -> InternalMessage:
        if command.complete:
            declared = await self.declare(caller, command)
            return declared.reply
        if caller.trigger_id:
            accounts = command.audience.describe() if command.audience else None
            view = declare_modal(command.severity, command.title, accounts, caller.channel_id)
            gateway = await self.gateways.at(caller.team_id)
            if (await gateway.open_view(caller.trigger_id, view)).ok:
                return notice("Fill in the incident form to declare it.")
        return command_error(
            "An incident needs a severity, a title and the affected accounts.",
            INCIDENT_USAGE["declare"],
        )

    async def declare(self, caller: Caller, command: DeclareIncident) -> Declared:
        """Store the incident and a notice for every shared channel of every affected account."""
        assert command.severity and command.title and command.audience
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            accounts = list(await uow.accounts.all(caller.team_id))
            try:
                self._check_words(command.title, accounts)
                affected = _affected(accounts, command.audience)
            except IncidentInputError as exc:
                return Declared(command_error(exc.problem, None), {exc.field: exc.problem})
            channels = {c.channel_id: a.id for a in affected for c in a.channels if c.is_shared}
            if not channels:
                problem = "None of those accounts has a shared channel linked yet."
                return Declared(command_error(problem, None), {"accounts": problem})
            incident = await uow.incidents.add(
                Incident(
                    team_id=caller.team_id,
                    severity=command.severity.value,
                    title=command.title,
                    status=IncidentStatus.INVESTIGATING.value,
                    audience={
                        "everyone": command.audience.everyone,
                        "tiers": list(command.audience.tiers),
                        "names": [a.name for a in affected] if command.audience.names else [],
                    },
                    declared_by=caller.user_id,
                    declared_at=now,
                    next_update_at=now + self._cadence(command.severity.value),
                    updated_at=now,
                )
            )
            await uow.incidents.add_post(
                IncidentPost(
                    incident_id=incident.id,
                    seq=0,
                    kind=PostKind.NOTICE,
                    text=command.title,
                    author=caller.user_id,
                    created_at=now,
                ),
                channels,
            )
            await uow.audit.record(
                caller.team_id,
                caller.user_id,
                "incident_declared",
                now,
                None,
                incident=incident.id,
                severity=incident.severity,
                channels=len(channels),
            )
            number = incident.id
            if self.home is not None:
                await self.home.team_changed(uow, caller.team_id)
        self.broadcaster.kick(number)
        return Declared(
            notice(
                f":rotating_light: Incident *#{number}* ({command.severity.value}) declared:"
                f" a notice is going to {len(channels)} shared channel(s) of"
                f" {len(affected)} account(s). Progress comes to you by DM;"
                f" `/desk incident status {number}` lists every channel."
            )
        )

    # ---- update / resolve --------------------------------------------------------------------
    async def update(self, caller: Caller, number: int, text: str) -> InternalMessage:
        """Post an update in every notice's thread and refresh the status lines."""
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            incident = await self._open_incident(uow, caller.team_id, number)
            self._check_words(text, list(await uow.accounts.all(caller.team_id)))
            incident.latest_text = text
            incident.next_update_at = now + self._cadence(incident.severity)
            incident.version += 1
            incident.updated_at = now
            count = await self._add_post(uow, incident, PostKind.UPDATE, text, caller.user_id, now)
        self.broadcaster.kick(number)
        return notice(
            f":arrows_counterclockwise: Update to incident *#{number}* going to {count} channel(s)."
        )

    async def resolve(self, caller: Caller, number: int, text: str) -> InternalMessage:
        """Close the incident: a closing reply everywhere, and a note on linked tickets."""
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            incident = await self._open_incident(uow, caller.team_id, number)
            if text:
                self._check_words(text, list(await uow.accounts.all(caller.team_id)))
            incident.status = IncidentStatus.RESOLVED.value
            if text:
                incident.latest_text = text
            incident.resolved_at, incident.resolved_by = now, caller.user_id
            incident.next_update_at = None
            incident.version += 1
            incident.updated_at = now
            count = await self._add_post(uow, incident, PostKind.CLOSING, text, caller.user_id, now)
            linked = list(await uow.incidents.linked_tickets(incident.id))
            # Recorded with the resolution itself: a crash after the commit loses no note.
            rows = []
            for ticket in linked:
                if ticket.status != TicketStatus.RESOLVED:
                    rows.append(await self._record_note(uow, incident, ticket))
                rows.append(await record_refresh(self.outbox, uow, ticket, receipt=False))
            if self.home is not None:
                await self.home.team_changed(uow, caller.team_id)
        self.broadcaster.kick(number)
        await self.outbox.run(rows)
        return notice(
            f":white_check_mark: Incident *#{number}* resolved: closing reply going to"
            f" {count} channel(s); {len(linked)} linked ticket(s) notified."
        )

    async def status(self, team_id: str, number: int) -> InternalMessage:
        """The incident and each channel's delivery state."""
        async with self.db.unit_of_work() as uow:
            incident = await uow.incidents.get(team_id, number)
            if incident is None:
                raise IncidentInputError(f"There is no incident #{number}.")
            deliveries = list(await uow.incidents.deliveries(incident.id))
            posts = await uow.incidents.posts(incident.id)
            accounts = await uow.accounts.names(team_id)
            linked = [t.number for t in await uow.incidents.linked_tickets(incident.id)]
            return incident_internal.status(
                incident_view(incident, linked), delivery_rows(deliveries, posts, accounts)
            )

    # ---- tickets -----------------------------------------------------------------------------
    async def incident_for(
        self,
        uow: Repositories,
        account: Account,
        known: dict[str, list[Incident]] | None = None,
    ) -> Incident | None:
        """The newest open incident affecting this account, to link a new ticket to.

        `known`: open incidents per workspace already read in this transaction (filled in).
        """
        known = {} if known is None else known
        if account.team_id not in known:
            known[account.team_id] = list(await uow.incidents.open_for(account.team_id))
        for incident in known[account.team_id]:
            audience = incident.audience or {}
            if Audience(
                everyone=bool(audience.get("everyone")),
                tiers=tuple(audience.get("tiers", ())),
                names=tuple(audience.get("names", ())),
            ).includes(account.name, account.tier):
                return incident
        return None

    # ---- helpers -----------------------------------------------------------------------------
    async def _record_note(
        self, uow: Repositories, incident: Incident, ticket: Ticket
    ) -> int | None:
        """Queue the note in a linked ticket's thread that its incident is resolved."""
        return await self.outbox.record(
            uow,
            f"incident{incident.id}:note:t{ticket.id}",
            OutboxKind.INCIDENT_NOTE,
            incident.team_id,
            ticket_id=ticket.id,
            payload={
                "channel": ticket.channel_id,
                "thread_ts": ticket.thread,
                "number": ticket.number,
                "title": incident.title,
            },
        )

    async def _open_incident(self, uow: Repositories, team_id: str, number: int) -> Incident:
        # Locked: two replicas adding updates at once would both take the same next seq.
        incident = await uow.incidents.get(team_id, number, for_update=True)
        if incident is None:
            raise IncidentInputError(f"There is no incident #{number}.")
        if incident.status == IncidentStatus.RESOLVED.value:
            raise IncidentInputError(f"Incident #{number} is already resolved.")
        return incident

    async def _add_post(
        self, uow: Repositories, incident: Incident, kind: PostKind, text: str, author: str, now
    ) -> int:
        notices = await uow.incidents.notices(incident.id)
        channels = {c: d.account_id for c, d in notices.items()}
        seq = await uow.incidents.next_seq(incident.id)
        await uow.incidents.add_post(
            IncidentPost(
                incident_id=incident.id,
                seq=seq,
                kind=kind,
                text=text,
                author=author,
                created_at=now,
            ),
            channels,
        )
        await uow.audit.record(
            incident.team_id, author, f"incident_{kind}", now, None, incident=incident.id, seq=seq
        )
        return len(channels)

    def _cadence(self, severity: str):
        return self.config.incidents.update_every[Severity(severity)]

    def _check_words(self, text: str, accounts: Sequence[Account]) -> None:
        """Refuse customer-facing text that carries staff vocabulary or a customer's name."""
        found = SEVERITY_WORDS.search(text)
        if found:
            raise IncidentInputError(
                f"Customers would read '{found.group(0)}', a severity label meant for staff."
                " Describe the impact instead."
            )
        lowered = text.casefold()
        for tier in self.config.tiers:
            if re.search(rf"\b{re.escape(tier.casefold())}\b", lowered):
                raise IncidentInputError(
                    f"Customers would read '{tier}', one of our tier names. Please reword."
                )
        for account in accounts:
            if re.search(rf"\b{re.escape(account.name.casefold())}\b", lowered):
                raise IncidentInputError(
                    f"Customers of other accounts would read '{account.name}'."
                    " Leave account names out of what customers see."
                )


def _affected(accounts: Sequence[Account], audience: Audience) -> list[Account]:
    known_tiers = {a.tier.casefold() for a in accounts}
    unknown_tiers = [t for t in audience.tiers if t not in known_tiers]
    by_name = {a.name.casefold(): a for a in accounts}
    unknown = [n for n in audience.names if n.casefold() not in by_name]
    if unknown or unknown_tiers:
        missing = [f"'{n}'" for n in unknown] + [f"tier '{t}'" for t in unknown_tiers]
        raise IncidentInputError(
            f"I don't know {', '.join(missing)}. Use `all`, `tier:<tier>` or account names.",
            "accounts",
        )
    return [a for a in accounts if audience.includes(a.name, a.tier)]
