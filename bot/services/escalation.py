"""The escalation ladder: the timer sweep fires due steps once each; managers can escalate."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config.desk import DeskConfig
from bot.domain.clock import Clock
from bot.domain.sla import StepFiring, due_firings
from bot.domain.tickets import TicketStatus
from bot.messages.alerts import AlertContext
from bot.messages.base import InternalMessage
from bot.messages.internal import notice
from bot.messages.markup import channel, md
from bot.observability.metrics import Metrics
from bot.outbox.alert_payload import context_to_json
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from bot.services.cards import CardRefresher
from bot.services.home import HomeService
from bot.services.sla import SlaService, run_of
from bot.services.tickets import TicketNotFound, TicketRef
from store.db import Database
from store.models import AuditEntry, OutboxEntry, SlaClock, Ticket
from store.repositories import Repositories

log = logging.getLogger("connectdesk.escalation")

RENEWAL_WINDOW = timedelta(days=90)
SKIPPED_PASSES = 20
SKIPPED_PAUSE_SECONDS = 0.05


@dataclass(frozen=True)
class Alert:
    """A decided notification: the message context and whom it goes to."""

    ticket_id: int
    team_id: str
    context: AlertContext
    notify: tuple[str, ...]
    internal_channel: str
    root: tuple[str, ...]  # where the customer's message is (Ticket.root_ref), for its link


class EscalationService:
    """Fires due ladder steps exactly once per clock run and delivers the alerts."""

    def __init__(
        self,
        db: Database,
        config: DeskConfig,
        clock: Clock,
        sla: SlaService,
        cards: CardRefresher,
        outbox: Outbox,
        metrics: Metrics,
        home: HomeService | None = None,
    ) -> None:
        self.db = db
        self.home = home
        self.metrics = metrics
        self.outbox = outbox
        self.config = config
        self.clock = clock
        self.sla = sla
        self.cards = cards
        self._lock = asyncio.Lock()

    async def sweep(self) -> int:
        """Fire every ladder step that is due now; how many alerts were decided."""
        decided = 0
        for _ in range(SKIPPED_PASSES):
            fired, skipped = await self._sweep_once()
            decided += fired
            if not skipped:
                break
            # Due tickets another transaction held (a reply being recorded, another replica's
            # sweep): look again once it has committed, without ever waiting on a row lock.
            await asyncio.sleep(SKIPPED_PAUSE_SECONDS)
        return decided

    async def _sweep_once(self) -> tuple[int, int]:
        async with self._lock:  # one sweep at a time per process; the ledger guards replicas
            now = self.clock.now()
            async with self.db.unit_of_work() as uow:
                due = await uow.sla.due(now)
                alerts = await self._fire(uow, due.clocks, now)
                rows = [row for key, alert in alerts for row in self._rows(key, alert)]
                recorded = await self.outbox.record_many(uow, rows)
                touched = {clock.ticket_id: clock.ticket for clock in due.clocks}
                flags = {ticket_id: t.sla_flag for ticket_id, t in touched.items()}
                await self.sla.refresh_many(uow, touched.values(), now)
                if self.home is not None:
                    # An SLA flag that changed (at risk, breached) changes the Homes showing it.
                    flagged = [t for i, t in touched.items() if t.sla_flag != flags[i]]
                    await self.home.tickets_changed(uow, flagged)
        # The ledger entries and the outbox rows committed together: each alert is sent once,
        # by the outbox in the background, so a slow recipient never holds up the next sweep.
        self.metrics.steps_fired(len(alerts))
        self._deliver(recorded)
        self.cards.want(t.id for t in touched.values() if t.card_ts and t.card_channel_id)
        return len(alerts), due.skipped

    def _deliver(self, recorded: list[OutboxEntry]) -> None:
        """One run per recipient, in order: only its own posts wait for its 1 post/s slot."""
        by_target: dict[str, list[OutboxEntry]] = {}
        for entry in recorded:
            by_target.setdefault(entry.payload["target"], []).append(entry)
        for entries in by_target.values():
            self.outbox.run_soon(entries)

    async def next_due(self) -> datetime | None:
        """When the sweep next has work."""
        async with self.db.unit_of_work() as uow:
            return await uow.sla.earliest_next_step()

    async def _fire(
        self, uow: Repositories, clocks: Sequence[SlaClock], now: datetime
    ) -> list[tuple[str, Alert]]:
        """Claim the due steps of all `clocks` in one statement; the alerts this sweep won."""
        fired = await uow.sla.fired_for(clock.id for clock in clocks)
        wanted: list[tuple[SlaClock, StepFiring]] = []
        for clock in clocks:
            ladder = self.sla.policy_for(clock.ticket).ladder
            calendar = self.sla.calendar(clock.calendar)
            done = fired.get(clock.id, set())
            for firing in due_firings(run_of(clock), ladder, calendar, now, done):
                wanted.append((clock, firing))
        won = await uow.sla.claim_firings(
            [(c, f.index, f.repeat, f.step.at.percent) for c, f in wanted], now
        )
        # A firing missing from `won` was recorded first by another sweep or replica.
        mine: dict[int, list[StepFiring]] = {}
        for clock, firing in wanted:
            if (clock.id, firing.index, firing.repeat) in won:
                mine.setdefault(clock.id, []).append(firing)
        last = await uow.messages.last_customer_texts(c.ticket_id for c in clocks if c.id in mine)
        alerts: list[tuple[str, Alert]] = []
        steps: list[AuditEntry] = []
        for clock in clocks:
            # In clock order, so a renewal-risk count sees this sweep's earlier breaches only.
            if self._mark_breach(clock, now):
                self.sla.count_breach(uow, clock.ticket, clock)
            ticket = clock.ticket
            for firing in mine.get(clock.id, ()):
                percent = firing.step.at.percent
                text = last.get(ticket.id, "")
                alert = await self._alert(
                    uow, ticket, clock, percent, firing.step.notify, now, text
                )
                alerts.append((f"alert:{clock.id}:{firing.index}:{firing.repeat}", alert))
                log.info(
                    "ticket #%d: %s ladder step at %d%% fires",
                    ticket.number,
                    clock.kind,
                    percent,
                    extra={"ticket": ticket.number, "workspace": ticket.team_id},
                )
                detail = {"clock": clock.kind, "percent": percent, "repeat": firing.repeat}
                steps.append(
                    AuditEntry(
                        team_id=ticket.team_id,
                        ticket_id=ticket.id,
                        actor="connectdesk",
                        action="sla_step",
                        detail=detail,
                        at=now,
                    )
                )
        await uow.audit.record_many(steps)
        return alerts

    def _mark_breach(self, clock: SlaClock, now: datetime) -> bool:
        """Mark the clock run breached if it is past its target; True if this marked it."""
        calendar = self.sla.calendar(clock.calendar)
        run = run_of(clock)
        if clock.breached_at is None and run.elapsed(now, calendar) >= run.target:
            clock.breached_at = run.due_at(calendar) or now
            return True
        return False

    async def _alert(
        self,
        uow: Repositories,
        ticket: Ticket,
        clock: SlaClock | None,
        percent: int,
        notify: tuple[str, ...],
        now: datetime,
        last_customer_message: str,
    ) -> Alert:
        account = ticket.account
        tier = self.config.tiers.get(account.tier)
        risk = False
        if percent >= 100 and tier is not None and tier.renewal_watch and account.renewal_date:
            renewal = datetime.combine(account.renewal_date, datetime.min.time(), now.tzinfo)
            if renewal - RENEWAL_WINDOW <= now <= renewal + timedelta(days=1):
                risk = await uow.sla.breaches_since(account.id, renewal - RENEWAL_WINDOW) >= 2
        context = AlertContext(
            number=ticket.number,
            account=account.name,
            tier=account.tier,
            arr=account.arr,
            priority=ticket.priority,
            clock=clock.kind if clock else "",
            percent=percent,
            due_at=clock.due_at if clock else ticket.next_due_at,
            now=now,
            owner=ticket.owner_user_id,
            permalink=None,
            last_customer_message=last_customer_message,
            renewal_date=account.renewal_date,
            renewal_risk=risk,
        )
        return Alert(
            ticket.id,
            ticket.team_id,
            context,
            tuple(notify),
            account.internal_channel_id,
            tuple(ticket.root_ref),
        )

    def _rows(
        self, key: str, alert: Alert, style: str = "ladder", actor: str = "", reason: str = ""
    ) -> list[OutboxEntry]:
        """One outbox row per recipient, for the transaction that decided the alert."""
        payload = {
            "context": context_to_json(alert.context),
            "root": list(alert.root),
            "style": style,
            "actor": actor,
            "reason": reason,
        }
        return [
            OutboxEntry(
                key=f"{key}:{target}",
                kind=OutboxKind.ALERT,
                team_id=alert.team_id,
                ticket_id=alert.ticket_id,
                payload={**payload, "target": target},
            )
            for target in self._recipients(alert)
        ]

    def _recipients(self, alert: Alert) -> list[str]:
        team = self.config.team_for(alert.team_id)
        out: list[str] = []
        for name in alert.notify:
            if name == "owner":
                out.append(alert.context.owner or alert.internal_channel)
            elif name == "managers":
                out.extend(team.managers)
            elif name == "escalation_channel":
                out.append(team.escalation_channel)
            else:
                out.extend(team.groups.get(name, ()))
        return list(dict.fromkeys(out))  # each person or channel once

    async def escalate(self, ref: TicketRef, actor: str, reason: str) -> InternalMessage:
        """Escalate by hand: managers and the escalation channel get the full context."""
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            ticket = await (
                uow.tickets.by_id(ref.ticket_id)
                if ref.ticket_id is not None
                else uow.tickets.by_number(ref.team_id, ref.number or 0)
            )
            if ticket is None or ticket.team_id != ref.team_id:
                raise TicketNotFound(
                    f"There is no ticket {ref.label()}. `/desk queue` lists the open ones."
                )
            if ticket.status == TicketStatus.RESOLVED:
                return notice(f":warning: Ticket #{ticket.number} is resolved; reopen it first.")
            due = {c: c.due_at for c in await uow.sla.active(ticket.id) if c.due_at is not None}
            clock = min(due, key=due.__getitem__) if due else None
            last = (await uow.messages.last_customer_texts([ticket.id])).get(ticket.id, "")
            alert = await self._alert(
                uow, ticket, clock, 0, ("managers", "escalation_channel"), now, last
            )
            await uow.audit.record(
                ref.team_id, actor, "escalated", now, ticket.id, reason=reason[:500]
            )
            key = f"escalate:{ticket.id}:{uuid.uuid4().hex}"
            rows = self._rows(key, alert, "manual", actor, reason[:500])
            recorded = await self.outbox.record_many(uow, rows)
        await self.outbox.run(recorded)
        return notice(
            md(
                ":mega: Ticket #{} escalated to the managers and {}.",
                ticket.number,
                channel(self.config.team_for(ref.team_id).escalation_channel),
            )
        )
