"""SLA clocks of a ticket: due times from its account's tier, priority and calendar."""

from __future__ import annotations

from datetime import datetime

from bot.config.desk import DeskConfig
from bot.domain.calendar import deadline
from bot.domain.policy import SlaPolicy
from bot.domain.tickets import Priority
from store.models import Ticket


class SlaService:
    """Sets and moves a ticket's SLA due times as it changes."""

    def __init__(self, config: DeskConfig) -> None:
        self.config = config

    def policy_for(self, ticket: Ticket) -> SlaPolicy:
        """The policy of the ticket's account tier and priority (tier gone: default tier)."""
        tier = ticket.account.tier if ticket.account.tier in self.config.tiers else None
        return self.config.policy(
            tier or self.config.default_tier, Priority(ticket.priority), ticket.account.calendar
        )

    async def start(self, uow: object, ticket: Ticket, now: datetime) -> None:
        """Start the first-response and resolution clocks of a new ticket."""
        policy = self.policy_for(ticket)
        calendar = self.config.calendars[policy.calendar]
        ticket.first_response_due_at = deadline(now, policy.targets.first_response, calendar)
        ticket.resolution_due_at = deadline(now, policy.targets.resolution, calendar)

    async def on_team_reply(self, uow: object, ticket: Ticket, now: datetime) -> None:
        """An internal reply in the thread (first response is recorded by intake)."""

    async def on_customer_reply(self, uow: object, ticket: Ticket, now: datetime) -> None:
        """A customer reply in the thread."""

    async def on_priority_change(self, uow: object, ticket: Ticket, now: datetime) -> None:
        """Re-plan due times after a priority change, from the original open time."""
        policy = self.policy_for(ticket)
        calendar = self.config.calendars[policy.calendar]
        if ticket.first_response_at is None:
            ticket.first_response_due_at = deadline(
                ticket.opened_at, policy.targets.first_response, calendar
            )
        ticket.resolution_due_at = deadline(ticket.opened_at, policy.targets.resolution, calendar)

    async def on_reopen(self, uow: object, ticket: Ticket, now: datetime) -> None:
        """Restart the resolution clock from now."""
        policy = self.policy_for(ticket)
        calendar = self.config.calendars[policy.calendar]
        ticket.resolution_due_at = deadline(now, policy.targets.resolution, calendar)
