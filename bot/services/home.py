"""The App Home: who opened it, when it is published again, and what it shows.

Publishing goes through the outbox (kind `home`) and the page is rendered from the database
when the row is sent, so a publish always shows the current state. Only people who opened
their Home get it published again when something on it changes, and at most about once per
`window` each (the debounce):

* time is cut into buckets of `window` seconds (by the outbox's clock); a publish row's key
  names the person and a bucket, and the row is due at that bucket's end; a key already
  recorded is left alone, so changes coming together share one row;
* a change first asks for the row of the bucket that just ended, due at once: after a quiet
  spell the Home updates right away (an opened Home shows at once); when that row exists
  (someone was published a moment ago), it asks for the current bucket's row, due at its end,
  which shows every change made in the meantime.

So there is at most one publish per person per bucket, and a burst of changes costs a person
one publish now and one at the end of the window.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

from bot.config.desk import DeskConfig
from bot.domain.clock import Clock
from bot.domain.health import Band
from bot.domain.policy import ClockKind
from bot.domain.sla import SlaFlag
from bot.messages.base import HomeView, InternalMessage
from bot.messages.customer import outsider_home
from bot.messages.health import AccountHealthLine
from bot.messages.home import (
    CLOCK_NAMES,
    HEALTH_SHOWN,
    MINE_SHOWN,
    UNASSIGNED_SHOWN,
    URGENT_SHOWN,
    AccountsHealth,
    AgentHome,
    HomeTicket,
    ManagerFigures,
    ManagerSection,
    OpenIncident,
    TicketList,
    agent_home,
)
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from bot.services.inputs import Caller, HomeOpened
from bot.services.people import People
from store.db import Database
from store.home_repository import ListedTicket
from store.models import OutboxEntry, Ticket
from store.repositories import Repositories

log = logging.getLogger("connectdesk.home")

# At most one publish per person per this many seconds (see the module's docstring).
HOME_WINDOW = 3.0
HOME_TAB = "home"


class FiguresSource(Protocol):
    """Where a manager's Home gets this month's figures (attainment, breaches, CSAT)."""

    async def manager_figures(self, team_id: str, now: datetime) -> ManagerFigures:
        """The figures of the month `now` falls in, for one install."""
        ...


class NoFigures:
    """No monthly figures yet: the Home says they come with the monthly report.

    The reports service takes its place (`build_services(..., figures=...)`).
    """

    async def manager_figures(self, team_id: str, now: datetime) -> ManagerFigures:
        """Only the month's name."""
        return ManagerFigures(month=now.strftime("%B %Y"))


class Listed(Protocol):
    """What a Home line is made from: a listed ticket (or a whole one)."""

    @property
    def next_due_at(self) -> datetime | None: ...
    @property
    def first_response_at(self) -> datetime | None: ...
    @property
    def first_response_due_at(self) -> datetime | None: ...
    @property
    def resolution_due_at(self) -> datetime | None: ...


def nearest_clock(ticket: Listed) -> str:
    """The name of the clock whose due time is the ticket's next one ("" when none runs).

    The ticket keeps the first response's and the resolution's due times; a next due time
    that is neither is the next response's.
    """
    due = ticket.next_due_at
    if due is None:
        return ""
    if ticket.first_response_at is None and ticket.first_response_due_at == due:
        kind = ClockKind.FIRST_RESPONSE
    elif ticket.resolution_due_at == due:
        kind = ClockKind.RESOLUTION
    else:
        kind = ClockKind.NEXT_RESPONSE
    return CLOCK_NAMES[kind.value]


def home_ticket(ticket: ListedTicket) -> HomeTicket:
    """A listed ticket as a Home line shows it."""
    return HomeTicket(
        ticket_id=ticket.id,
        number=ticket.number,
        account=ticket.account,
        priority=ticket.priority,
        status=ticket.status,
        summary=ticket.summary,
        owner=ticket.owner_user_id,
        due=ticket.next_due_at,
        clock=nearest_clock(ticket),
        sla_flag=ticket.sla_flag,
    )


class HomePages:
    """Renders someone's Home from the database as it is now (the outbox's `home` effect)."""

    def __init__(
        self,
        db: Database,
        config: DeskConfig,
        people: People,
        clock: Clock,
        figures: FiguresSource | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.people = people
        self.clock = clock
        self.figures: FiguresSource = figures or NoFigures()

    async def render(self, team_id: str, user_id: str) -> tuple[HomeView, bool]:
        """Someone's Home, and whether they are on our team (anyone else: one neutral line)."""
        if await self.people.is_internal(team_id, user_id) is not True:
            return outsider_home(), False
        now = self.clock.now()
        managers = self.config.team_for(team_id).managers
        manager: ManagerSection | None = None
        async with self.db.reading() as uow:
            opener = await uow.home.opener(team_id, user_id)
            mine, mine_total = await uow.home.open_tickets(team_id, MINE_SHOWN, owner=user_id)
            accounts = await uow.home.accounts_of(team_id, user_id)
            unassigned, unassigned_total = await uow.home.open_tickets(
                team_id, UNASSIGNED_SHOWN, unassigned_of=accounts
            )
            if user_id in managers:
                counts = await uow.home.sla_counts(team_id)
                urgent = await uow.home.flagged(
                    team_id, (SlaFlag.AT_RISK, SlaFlag.BREACHED), URGENT_SHOWN
                )
                incidents = await uow.incidents.open_for(team_id)
                # As the last health check left them in the ledger: no figures read here.
                flagged, flagged_total = await uow.health.listed(
                    team_id, (Band.AT_RISK, Band.WATCH), HEALTH_SHOWN
                )
                manager = ManagerSection(
                    open_tickets=sum(counts.values()),
                    at_risk=counts.get(SlaFlag.AT_RISK, 0),
                    breached=counts.get(SlaFlag.BREACHED, 0),
                    urgent=tuple(home_ticket(t) for t in urgent),
                    incidents=tuple(
                        OpenIncident(i.id, i.severity, i.status, i.title) for i in incidents
                    ),
                    health=AccountsHealth(
                        tuple(
                            AccountHealthLine(a.name, a.score, Band(a.band), a.reasons)
                            for a in flagged
                        ),
                        flagged_total,
                    ),
                )
        if manager is not None:
            # Read outside the transaction above: the reports may take their own.
            manager = replace(manager, figures=await self.figures.manager_figures(team_id, now))
        home = AgentHome(
            user_id=user_id,
            now=now,
            mine=TicketList(tuple(home_ticket(t) for t in mine), mine_total),
            unassigned=TicketList(tuple(home_ticket(t) for t in unassigned), unassigned_total),
            owns_accounts=bool(accounts),
            manager=manager,
            notice=opener.notice if opener is not None else "",
        )
        return agent_home(home), True


class HomeService:
    """Remembers who opened the Home and queues its publishes, debounced per person."""

    def __init__(
        self,
        db: Database,
        config: DeskConfig,
        people: People,
        outbox: Outbox,
        clock: Clock,
        *,
        window: float = HOME_WINDOW,
    ) -> None:
        self.db = db
        self.config = config
        self.people = people
        self.outbox = outbox
        self.clock = clock
        self.window = window

    async def opened(self, event: HomeOpened) -> None:
        """Someone opened their Home: remember them and publish it (a redelivery does nothing).

        The Messages tab is the bot's DMs, not the Home: nothing to do there; nor for an
        install the app no longer has.
        """
        if event.tab != HOME_TAB or not event.user_id or not event.team_id:
            return
        if await self.people.gateways.find(event.team_id) is None:
            return
        async with self.db.unit_of_work() as uow:
            if not await uow.events.claim(event.event_id, self.clock.now()):
                return
            await uow.home.opened(event.team_id, event.user_id, self.clock.now())
            await self._record(uow, event.team_id, [event.user_id])

    async def pressed(self, caller: Caller, reply: InternalMessage) -> None:
        """Someone pressed a button on their Home: its answer goes on top of it.

        `caller.team_id` is the install's key (as the desk's commands resolve it).
        """
        async with self.db.unit_of_work() as uow:
            await uow.home.pressed(caller.team_id, caller.user_id, reply.text, self.clock.now())
            await self._record(uow, caller.team_id, [caller.user_id])

    async def tickets_changed(
        self, uow: Repositories, tickets: Iterable[Ticket], also: Iterable[str | None] = ()
    ) -> None:
        """In the change's transaction: publish again the Home of whoever it shows these
        tickets to (owner, the account's team, the managers; `also`: a previous owner), if
        they opened it."""
        wanted: dict[str, set[str]] = {}
        for ticket in tickets:
            people = wanted.setdefault(ticket.team_id, set())
            people.update(ticket.account.owners or ())
            people.update(self.config.team_for(ticket.team_id).managers)
            if ticket.owner_user_id:
                people.add(ticket.owner_user_id)
            people.update(p for p in also if p)
        for team_id, people in wanted.items():
            openers = await uow.home.openers(team_id, people)
            if openers:
                await self._record(uow, team_id, sorted(openers))

    async def team_changed(self, uow: Repositories, team_id: str) -> None:
        """In the change's transaction: publish again the managers' Homes (what only they see
        changed: an incident declared or resolved), if they opened it."""
        openers = await uow.home.openers(team_id, self.config.team_for(team_id).managers)
        if openers:
            await self._record(uow, team_id, sorted(openers))

    async def _record(self, uow: Repositories, team_id: str, users: list[str]) -> None:
        """Queue one publish per person (debounced) and run it once the transaction commits."""
        now = self.outbox.wall.now()
        bucket = math.floor(now.timestamp() / self.window)
        # The bucket that just ended: its row is due at once.
        ended = [self._row(team_id, user, bucket - 1) for user in users]
        at_once = await self.outbox.record_many(uow, ended)
        started = {row.payload["user"] for row in at_once}
        later = [self._row(team_id, u, bucket) for u in users if u not in started]
        due = datetime.fromtimestamp((bucket + 1) * self.window, UTC)
        if later:
            await self.outbox.schedule(uow, later, due)
        uow.on_commit(partial(self._after_commit, at_once, due if later else None))

    def _row(self, team_id: str, user_id: str, bucket: int) -> OutboxEntry:
        return OutboxEntry(
            key=f"home:{team_id}:{user_id}:{bucket}",
            kind=OutboxKind.HOME,
            team_id=team_id,
            payload={"user": user_id},
        )

    def _after_commit(self, at_once: list[OutboxEntry], due: datetime | None) -> None:
        # One background run per person, so nobody's Home waits behind another's.
        for row in at_once:
            self.outbox.run_soon([row])
        if due is not None:
            # A little past the bucket's end, so the row is due when the worker looks.
            self.outbox.kick_at(due + timedelta(milliseconds=20))
