"""What a workspace's uninstall stops: its timers, its queued side effects, its broadcasts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.incidents import PostState
from store.models import Incident, IncidentDelivery, OutboxEntry, OutboxState, SlaClock
from store.results import rows_changed

UNINSTALLED = "the app was uninstalled from this workspace"
LIVE_EFFECT = (OutboxState.PENDING, OutboxState.SENDING)
LIVE_POST = (PostState.PENDING, PostState.SENDING)


class WorkspaceRepository:
    """Bulk changes over everything one install (workspace or org) has under way."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stop(self, team_id: str, now: datetime) -> dict[str, int]:
        """Timers stop (no ladder step fires), queued posts and broadcasts fail with the
        reason; tickets, clocks' history and everything said so far stay. Counts of each."""
        clocks = await self.session.execute(
            update(SlaClock)
            .where(
                SlaClock.team_id == team_id,
                SlaClock.stopped_at.is_(None),
                SlaClock.next_step_at.is_not(None),
            )
            .values(next_step_at=None)
        )
        effects = await self.session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.team_id == team_id, OutboxEntry.state.in_(LIVE_EFFECT))
            .values(state=OutboxState.FAILED, error=UNINSTALLED, done_at=now)
        )
        incidents = select(Incident.id).where(Incident.team_id == team_id)
        deliveries = await self.session.execute(
            update(IncidentDelivery)
            .where(
                IncidentDelivery.incident_id.in_(incidents),
                IncidentDelivery.state.in_(LIVE_POST),
            )
            .values(state=PostState.FAILED, error=UNINSTALLED)
        )
        return {
            "timers": rows_changed(clocks),
            "side effects": rows_changed(effects),
            "broadcast posts": rows_changed(deliveries),
        }
