"""SLA clocks of tickets: started, paused, resumed, re-targeted and stopped as tickets change."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from functools import partial

from bot.config.desk import DeskConfig
from bot.domain.calendar import Calendar
from bot.domain.ladder import EscalationStep
from bot.domain.policy import ClockKind, SlaPolicy
from bot.domain.reports import is_request
from bot.domain.sla import (
    AT_RISK_PERCENT,
    ClockRun,
    SlaFlag,
    StepKey,
    next_firing_at,
    outcome,
    percent_used,
)
from bot.domain.tickets import Priority, TicketStatus
from bot.observability.metrics import Metrics
from store.models import SlaClock, Ticket
from store.repositories import Repositories

Waker = Callable[[datetime], None]


def run_of(clock: SlaClock) -> ClockRun:
    """The pure clock run of a stored clock."""
    return ClockRun(
        timedelta(seconds=clock.target_seconds),
        timedelta(seconds=clock.elapsed_before_seconds),
        clock.running_since,
    )


def store_run(clock: SlaClock, run: ClockRun) -> None:
    """Write a clock run back to its row."""
    clock.target_seconds = run.target.total_seconds()
    clock.elapsed_before_seconds = run.elapsed_before.total_seconds()
    clock.running_since = run.running_since


class SlaService:
    """Keeps each ticket's clock runs, due times and next ladder step in the database."""

    def __init__(self, config: DeskConfig, metrics: Metrics, waker: Waker | None = None) -> None:
        self.config = config
        self.metrics = metrics
        self._waker = waker

    def policy_for(self, ticket: Ticket) -> SlaPolicy:
        """The policy of the ticket's account tier and priority (tier gone: default tier)."""
        return self.config.policy(
            self.tier_of(ticket), Priority(ticket.priority), ticket.account.calendar
        )

    def tier_of(self, ticket: Ticket) -> str:
        """The tier whose policy the ticket follows: its account's, or the default if gone."""
        tier = ticket.account.tier
        return tier if tier in self.config.tiers else self.config.default_tier

    def count_breach(self, uow: Repositories, ticket: Ticket, clock: SlaClock) -> None:
        """Count a clock run's breach once the unit of work that marked it commits."""
        uow.on_commit(partial(self.metrics.breach, self.tier_of(ticket), clock.kind))

    def calendar(self, name: str) -> Calendar:
        """A calendar by name (unknown: always open, so no clock silently stops)."""
        return self.config.calendars.get(name) or self.config.calendars["24/7"]

    # ---- lifecycle hooks, each inside the caller's unit of work ------------------------------
    def plan_start(self, ticket: Ticket, now: datetime) -> tuple[list[SlaClock], datetime | None]:
        """A new ticket's clocks, planned, and when its first ladder step falls due.

        A new ticket has no earlier runs and nothing fired, so its clocks are planned without
        asking the database: this is intake's hot path, run under SQLite's one write lock.
        The ticket's SLA summary is filled in; the clocks are for the caller to store.
        """
        ladder = self.policy_for(ticket).ladder
        clocks = [
            self._new_clock(ticket, kind, now, cycle=1)
            for kind in (ClockKind.FIRST_RESPONSE, ClockKind.RESOLUTION)
        ]
        wake = [at for at in (self._plan(c, ladder, set()) for c in clocks) if at is not None]
        self.summarise(ticket, clocks, now)
        return clocks, min(wake) if wake else None

    def wake(self, times: Sequence[datetime]) -> None:
        """Tell the sweep scheduler about the earliest of these ladder steps."""
        if times and self._waker is not None:
            self._waker(min(times))

    async def on_team_reply(self, uow: Repositories, ticket: Ticket, now: datetime) -> None:
        """An internal reply answers the customer: response clocks stop."""
        active = await uow.sla.active(ticket.id)
        for clock in active:
            if clock.kind in (ClockKind.FIRST_RESPONSE, ClockKind.NEXT_RESPONSE):
                if self._stop(clock, now):
                    self.count_breach(uow, ticket, clock)
        await self._refresh_read(uow, ticket, active, now)

    async def on_customer_reply(self, uow: Repositories, ticket: Ticket, now: datetime) -> None:
        """The customer wrote: waiting on the team again (next response), resolution resumes."""
        active = await uow.sla.active(ticket.id)
        kinds = {c.kind for c in active}
        for clock in active:
            if clock.kind == ClockKind.RESOLUTION and clock.running_since is None:
                store_run(clock, run_of(clock).resume(now))
        started: list[SlaClock] = []
        if ClockKind.RESOLUTION not in kinds and ticket.status != TicketStatus.RESOLVED:
            started.append(await self._start_clock(uow, ticket, ClockKind.RESOLUTION, now))
        if (
            ticket.first_response_at is not None
            and ClockKind.NEXT_RESPONSE not in kinds
            and ticket.status != TicketStatus.RESOLVED
        ):
            started.append(await self._start_clock(uow, ticket, ClockKind.NEXT_RESPONSE, now))
        await self._refresh_read(uow, ticket, [*active, *started], now)

    async def on_wait(self, uow: Repositories, ticket: Ticket, now: datetime) -> None:
        """Waiting on the customer: the resolution clock pauses."""
        for clock in await uow.sla.active(ticket.id):
            if clock.kind == ClockKind.RESOLUTION and clock.running_since is not None:
                store_run(clock, run_of(clock).pause(now, self.calendar(clock.calendar)))
        await self.refresh(uow, ticket, now)

    async def on_resolve(self, uow: Repositories, ticket: Ticket, now: datetime) -> None:
        """Resolved: every clock stops and its outcome is kept; closed as a duplicate or
        noise, none of its runs counts in the reports any more."""
        for clock in await uow.sla.active(ticket.id):
            if self._stop(clock, now):
                self.count_breach(uow, ticket, clock)
        if not is_request(ticket.resolution_kind):
            await self.count_in_reports(uow, ticket)
        await self.refresh(uow, ticket, now)

    async def on_reopen(self, uow: Repositories, ticket: Ticket, now: datetime) -> None:
        """Reopened: a new resolution clock starts from now, and the ticket's runs count again
        (if it had been closed as a duplicate or noise)."""
        active = {c.kind for c in await uow.sla.active(ticket.id)}
        await self.count_in_reports(uow, ticket)
        if ClockKind.RESOLUTION not in active:
            await self._start_clock(uow, ticket, ClockKind.RESOLUTION, now)
        await self.refresh(uow, ticket, now)

    async def on_priority_change(self, uow: Repositories, ticket: Ticket, now: datetime) -> None:
        """New priority: targets change, business time already elapsed is kept; every run of
        the ticket, stopped ones too, reports under the new priority."""
        policy = self.policy_for(ticket)
        for clock in await uow.sla.active(ticket.id):
            target = policy.targets.for_clock(ClockKind(clock.kind))
            store_run(clock, run_of(clock).retarget(target))
        await uow.sla.set_priority(ticket.id, ticket.priority)
        await self.refresh(uow, ticket, now)

    async def count_in_reports(self, uow: Repositories, ticket: Ticket) -> None:
        """Copy whether the ticket counts as a request (not closed as a duplicate or noise)
        onto its clock runs and surveys, where the reports read it."""
        counted = is_request(ticket.resolution_kind)
        await uow.sla.set_counted(ticket.id, counted)
        await uow.csat.set_counted(ticket.id, counted)

    # ---- internals --------------------------------------------------------------------------
    async def _start_clock(
        self, uow: Repositories, ticket: Ticket, kind: ClockKind, now: datetime
    ) -> SlaClock:
        cycle = await uow.sla.last_cycle(ticket.id, kind.value) + 1
        return await uow.sla.add(self._new_clock(ticket, kind, now, cycle))

    def _new_clock(self, ticket: Ticket, kind: ClockKind, now: datetime, cycle: int) -> SlaClock:
        policy = self.policy_for(ticket)
        return SlaClock(
            team_id=ticket.team_id,
            ticket_id=ticket.id,
            account_id=ticket.account_id,
            kind=kind.value,
            cycle=cycle,
            priority=ticket.priority,
            counted=is_request(ticket.resolution_kind),
            calendar=policy.calendar,
            target_seconds=policy.targets.for_clock(kind).total_seconds(),
            started_at=now,
            elapsed_before_seconds=0.0,
            running_since=now,
        )

    def _plan(
        self, clock: SlaClock, ladder: tuple[EscalationStep, ...], fired: set[StepKey]
    ) -> datetime | None:
        """Set the clock's due time and next ladder step (None: nothing left to fire)."""
        calendar = self.calendar(clock.calendar)
        run = run_of(clock)
        clock.due_at = run.due_at(calendar)
        candidates = [next_firing_at(run, ladder, calendar, fired)]
        if clock.breached_at is None:
            candidates.append(clock.due_at)  # the sweep marks the breach even with no step
        times = [t for t in candidates if t is not None]
        clock.next_step_at = min(times) if times else None
        return clock.next_step_at

    def _stop(self, clock: SlaClock, now: datetime) -> bool:
        """Stop a clock run and keep its outcome; True if that marks it breached (late stop)."""
        calendar = self.calendar(clock.calendar)
        run = run_of(clock)
        result = outcome(run, clock.due_at or run.due_at(calendar), now, calendar)
        store_run(clock, run.pause(now, calendar))
        clock.stopped_at = now
        clock.next_step_at = None
        clock.outcome = "met" if result.met else "missed"
        clock.business_seconds = result.business_elapsed.total_seconds()
        clock.late_business_seconds = result.late_business.total_seconds()
        clock.late_wall_seconds = result.late_wall.total_seconds()
        if not result.met and clock.breached_at is None:
            clock.breached_at = now
            return True
        return False

    async def refresh(self, uow: Repositories, ticket: Ticket, now: datetime) -> None:
        """Recompute due times, the next ladder step and the ticket's SLA summary."""
        await self.refresh_many(uow, [ticket], now)

    async def _refresh_read(
        self, uow: Repositories, ticket: Ticket, clocks: Sequence[SlaClock], now: datetime
    ) -> None:
        """`refresh` with the ticket's clocks this transaction has read (and started) already:
        a reply's hot path, spared reading them twice."""
        live = sorted((c for c in clocks if c.stopped_at is None), key=lambda c: c.id)
        fired = await uow.sla.fired_for(c.id for c in live)
        ladder = self.policy_for(ticket).ladder
        wake = [
            at for c in live if (at := self._plan(c, ladder, fired.get(c.id, set()))) is not None
        ]
        self.summarise(ticket, live, now)
        if wake and self._waker is not None:
            self._waker(min(wake))

    async def refresh_many(
        self, uow: Repositories, tickets: Iterable[Ticket], now: datetime
    ) -> None:
        """`refresh` for many tickets, with two reads in all (the sweep's batch)."""
        by_id = {t.id: t for t in tickets}
        clocks: dict[int, list[SlaClock]] = {i: [] for i in by_id}
        for clock in await uow.sla.active_for(by_id):
            clocks[clock.ticket_id].append(clock)
        fired = await uow.sla.fired_for(c.id for cs in clocks.values() for c in cs)
        wake: list[datetime] = []
        for ticket_id, ticket in by_id.items():
            ladder = self.policy_for(ticket).ladder
            for clock in clocks[ticket_id]:
                if (at := self._plan(clock, ladder, fired.get(clock.id, set()))) is not None:
                    wake.append(at)
            self.summarise(ticket, clocks[ticket_id], now)
        if wake and self._waker is not None:
            self._waker(min(wake))

    def summarise(self, ticket: Ticket, clocks: Sequence[SlaClock], now: datetime) -> None:
        """Copy the live SLA state onto the ticket (due times, next due, flag) for lists/cards."""
        due: list[datetime] = []
        worst = 0.0
        for clock in clocks:
            if clock.kind == ClockKind.FIRST_RESPONSE and clock.due_at:
                ticket.first_response_due_at = clock.due_at
            if clock.kind == ClockKind.RESOLUTION:
                ticket.resolution_due_at = clock.due_at
            if clock.running_since is not None and clock.due_at is not None:
                due.append(clock.due_at)
                worst = max(worst, percent_used(run_of(clock), now, self.calendar(clock.calendar)))
            if clock.breached_at is not None:
                worst = max(worst, 100.0)
        ticket.next_due_at = min(due) if due else None
        ticket.sla_flag = (
            SlaFlag.BREACHED
            if worst >= 100
            else SlaFlag.AT_RISK
            if worst >= AT_RISK_PERCENT
            else SlaFlag.OK
        )
        if ticket.status == TicketStatus.RESOLVED:
            ticket.sla_flag = SlaFlag.OK
