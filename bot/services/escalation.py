"""The escalation ladder: the timer sweep fires due steps once each; managers can escalate."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.config.desk import DeskConfig
from bot.domain.sla import due_firings
from bot.gateway import SlackGateway
from bot.messages.alerts import AlertContext
from bot.messages.base import InternalMessage
from bot.messages.internal import notice
from bot.outbox.alert_payload import context_to_json
from bot.outbox.effects import ALERT
from bot.outbox.outbox import Outbox
from bot.services.presenter import TicketPresenter
from bot.services.sla import SlaService, run_of
from bot.services.tickets import TicketNotFound, TicketRef
from store.db import Database
from store.models import SlaClock, Ticket
from store.repositories import Repositories

log = logging.getLogger("connectdesk.escalation")

RENEWAL_WINDOW = timedelta(days=90)
SKIPPED_PASSES = 20
SKIPPED_PAUSE_SECONDS = 0.05


@dataclass(frozen=True)
class Alert:
    """A decided notification: the message context and whom it goes to."""

    ticket_id: int
    context: AlertContext
    notify: tuple[str, ...]
    internal_channel: str
    root: tuple[str, str]  # channel, ts of the customer's message (for the permalink)


class EscalationService:
    """Fires due ladder steps exactly once per clock run and delivers the alerts."""

    def __init__(
        self,
        db: Database,
        config: DeskConfig,
        clock: Clock,
        gateway: SlackGateway,
        sla: SlaService,
        presenter: TicketPresenter,
        outbox: Outbox,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.config = config
        self.clock = clock
        self.gateway = gateway
        self.sla = sla
        self.presenter = presenter
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
            fired = 0
            rows: list[int | None] = []
            touched: dict[int, Ticket] = {}
            async with self.db.unit_of_work() as uow:
                due = await uow.sla.due(now)
                for clock in due.clocks:
                    for key, alert in await self._fire(uow, clock, now):
                        fired += 1
                        rows += await self._record(uow, key, alert)
                    touched[clock.ticket_id] = clock.ticket
                for ticket in touched.values():
                    await self.sla.refresh(uow, ticket, now)
        # The ledger entry and the outbox rows committed together: each alert is sent once.
        await self.outbox.run(rows, together=True)
        # Each card is its own message; the gateway paces channels and the edit budget.
        await asyncio.gather(*(self.presenter.refresh(t, receipt=False) for t in touched.values()))
        return fired, due.skipped

    async def next_due(self) -> datetime | None:
        """When the sweep next has work."""
        async with self.db.unit_of_work() as uow:
            return await uow.sla.earliest_next_step()

    async def _fire(
        self, uow: Repositories, clock: SlaClock, now: datetime
    ) -> list[tuple[str, Alert]]:
        ticket = clock.ticket
        policy = self.sla.policy_for(ticket)
        calendar = self.sla.calendar(clock.calendar)
        run = run_of(clock)
        if clock.breached_at is None and run.elapsed(now, calendar) >= run.target:
            clock.breached_at = run.due_at(calendar) or now
        fired = await uow.sla.fired(clock.id)
        due = due_firings(run, policy.ladder, calendar, now, fired)
        alerts = []
        for firing in due:
            percent = firing.step.at.percent
            if not await uow.sla.claim_firing(clock, firing.index, firing.repeat, percent, now):
                continue  # another sweep or replica fired it
            alert = await self._alert(uow, ticket, clock, percent, firing.step.notify, now)
            alerts.append((f"alert:{clock.id}:{firing.index}:{firing.repeat}", alert))
            await uow.audit.record(
                ticket.team_id,
                "connectdesk",
                "sla_step",
                now,
                ticket.id,
                clock=clock.kind,
                percent=percent,
                repeat=firing.repeat,
            )
        return alerts

    async def _alert(
        self,
        uow: Repositories,
        ticket: Ticket,
        clock: SlaClock | None,
        percent: int,
        notify: tuple[str, ...],
        now: datetime,
    ) -> Alert:
        account = ticket.account
        tier = self.config.tiers.get(account.tier)
        risk = False
        if percent >= 100 and tier is not None and tier.renewal_watch and account.renewal_date:
            renewal = datetime.combine(account.renewal_date, datetime.min.time(), now.tzinfo)
            if renewal - RENEWAL_WINDOW <= now <= renewal + timedelta(days=1):
                risk = await uow.sla.breaches_since(account.id, renewal - RENEWAL_WINDOW) >= 2
        messages = await uow.messages.for_ticket(ticket.id)
        last = next((m.text for m in reversed(messages) if not m.is_internal), "")
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
            last_customer_message=last,
            renewal_date=account.renewal_date,
            renewal_risk=risk,
        )
        return Alert(
            ticket.id,
            context,
            tuple(notify),
            account.internal_channel_id,
            (ticket.channel_id, ticket.root_ts),
        )

    async def _record(
        self,
        uow: Repositories,
        key: str,
        alert: Alert,
        style: str = "ladder",
        actor: str = "",
        reason: str = "",
    ) -> list[int | None]:
        """One outbox row per recipient, in the transaction that decided the alert."""
        payload = {
            "context": context_to_json(alert.context),
            "root": list(alert.root),
            "style": style,
            "actor": actor,
            "reason": reason,
        }
        team = (await uow.tickets.by_id(alert.ticket_id)).team_id
        return [
            await self.outbox.record(
                uow,
                f"{key}:{target}",
                ALERT,
                team,
                ticket_id=alert.ticket_id,
                payload={**payload, "target": target},
            )
            for target in self._recipients(alert)
        ]

    def _recipients(self, alert: Alert) -> list[str]:
        team = self.config.team
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
            if ticket.status == "resolved":
                return notice(f":warning: Ticket #{ticket.number} is resolved; reopen it first.")
            clocks = [c for c in await uow.sla.active(ticket.id) if c.due_at is not None]
            clock = min(clocks, key=lambda c: c.due_at) if clocks else None
            alert = await self._alert(
                uow, ticket, clock, 0, ("managers", "escalation_channel"), now
            )
            await uow.audit.record(
                ref.team_id, actor, "escalated", now, ticket.id, reason=reason[:500]
            )
            key = f"escalate:{ticket.id}:{uuid.uuid4().hex}"
            rows = await self._record(uow, key, alert, "manual", actor, reason[:500])
        await self.outbox.run(rows)
        return notice(
            f":mega: Ticket #{ticket.number} escalated to the managers and"
            f" <#{self.config.team.escalation_channel}>."
        )
