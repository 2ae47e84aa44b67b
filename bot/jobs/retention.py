"""Retention: what is finished and older than the window is deleted, a small batch at a time.

Processed event ids only need to outlive Slack's redeliveries (minutes), and finished jobs
only matter while someone may ask what happened; kept forever they are most of the database
and slow every sweep's index. Each batch is its own short transaction, so an ack or a worker
waits for one batch at most. Dead-lettered jobs are never pruned: they wait for a person.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, select

from bot.domain.clock import Clock
from store import jobs
from store.db import Database
from store.incident_repository import DELIVERIES
from store.models import Incident, IncidentDelivery, ProcessedEvent
from store.outbox_repository import JOBS as OUTBOX

log = logging.getLogger("connectdesk.retention")


@dataclass(frozen=True)
class Prunable:
    """A table and which of its rows are finished before a cutoff."""

    name: str
    table: Table
    older: Callable[[datetime], ColumnElement[bool]]


def _old_events(cutoff: datetime) -> ColumnElement[bool]:
    return ProcessedEvent.received_at < cutoff


def _old_deliveries(cutoff: datetime) -> ColumnElement[bool]:
    # Only a resolved incident's: an open one's notices are the threads its updates go to.
    resolved = select(Incident.id).where(
        Incident.status == "resolved", Incident.resolved_at < cutoff
    )
    return jobs.finished_before(DELIVERIES, cutoff) & IncidentDelivery.incident_id.in_(resolved)


# The inbox is not here: a handled row is deleted at once, and only dead letters stay.
PRUNABLE = (
    Prunable("processed_events", ProcessedEvent.__table__, _old_events),
    Prunable("outbox", OUTBOX.table, lambda cutoff: jobs.finished_before(OUTBOX, cutoff)),
    Prunable("incident_deliveries", DELIVERIES.table, _old_deliveries),
)


class Retention:
    """Prunes finished rows older than `window`, in batches of `batch` rows."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        window: timedelta,
        *,
        batch: int = jobs.PRUNE_BATCH,
    ) -> None:
        self.db = db
        self.clock = clock
        self.window = window
        self.batch = batch

    async def prune(self) -> dict[str, int]:
        """One pass: every prunable table down to the window; rows deleted per table."""
        cutoff = self.clock.now() - self.window
        deleted: dict[str, int] = {}
        for target in PRUNABLE:
            deleted[target.name] = await self._prune(target, cutoff)
        if any(deleted.values()):
            log.info("retention pruned %s (older than %s)", deleted, cutoff.isoformat())
        return deleted

    async def _prune(self, target: Prunable, cutoff: datetime) -> int:
        total = 0
        while True:
            async with self.db.connection() as conn:
                n = await jobs.prune_batch(conn, target.table, target.older(cutoff), self.batch)
            total += n
            if n < self.batch:
                return total
            await asyncio.sleep(0)  # let acks and workers in between batches
