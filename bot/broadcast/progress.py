"""The declarer's live view of a broadcast: one message, edited in place, at most once a second."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.installs.gateways import Gateways
from bot.messages import incident_internal as view
from store.db import Database
from store.models import Incident, IncidentDelivery, IncidentPost

log = logging.getLogger("connectdesk.broadcast")

EVERY_SECONDS = 1.0


def incident_view(incident: Incident, linked: list[int] | None = None) -> view.IncidentView:
    """What staff see of an incident."""
    audience = incident.audience or {}
    parts = ["all accounts"] if audience.get("everyone") else []
    parts += [f"tier:{t}" for t in audience.get("tiers", [])] + list(audience.get("names", []))
    return view.IncidentView(
        number=incident.id,
        severity=incident.severity,
        title=incident.title,
        status=incident.status,
        audience=", ".join(parts) or "nobody",
        declared_by=incident.declared_by,
        next_update_at=incident.next_update_at,
        linked_tickets=tuple(linked or ()),
    )


def delivery_rows(
    deliveries: Sequence[IncidentDelivery],
    posts: dict[int, IncidentPost],
    accounts: dict[int, str],
) -> list[view.DeliveryRow]:
    """Delivery rows as the internal messages show them (`accounts`: names by id)."""
    return [
        view.DeliveryRow(
            seq=d.seq,
            kind=posts[d.post_id].kind,
            channel_id=d.channel_id,
            account=accounts.get(d.account_id, "?"),
            state=d.state,
            ts=d.ts,
            error=d.error,
        )
        for d in deliveries
    ]


class ProgressReporter:
    """Keeps each incident's progress message current, without flooding chat.update."""

    def __init__(self, db: Database, gateways: Gateways) -> None:
        self.db = db
        self.gateways = gateways
        self._dirty: set[int] = set()
        self._pending: dict[int, asyncio.Task[None]] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        # Where each progress message was posted, also kept here: if recording it failed (a
        # busy database), the next refresh edits that message instead of posting a second one.
        self._posted: dict[int, tuple[str, str]] = {}

    async def close(self) -> None:
        """Drop scheduled refreshes (the next driver shows progress again)."""
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._pending.clear()

    def changed(self, incident_id: int) -> None:
        """Something moved; show it within a second."""
        if not incident_id:
            return
        self._dirty.add(incident_id)
        task = self._pending.get(incident_id)
        if task is None or task.done():
            self._pending[incident_id] = asyncio.create_task(self._later(incident_id))

    async def _later(self, incident_id: int) -> None:
        await asyncio.sleep(EVERY_SECONDS)
        if incident_id in self._dirty:
            await self.show(incident_id)

    async def show(self, incident_id: int, *, final: bool = False) -> None:
        """Post or edit the progress message now."""
        self._dirty.discard(incident_id)
        if final:
            task = self._pending.pop(incident_id, None)
            if task is not None and task is not asyncio.current_task():
                task.cancel()
        async with self._locks.setdefault(incident_id, asyncio.Lock()):
            await self._show(incident_id)

    async def _show(self, incident_id: int) -> None:
        try:
            # Reads only, once a second during a broadcast: no write lock (on SQLite the
            # broadcast's own writes would queue behind it), and counts rather than rows (ten
            # thousand rows a second cost the broadcast's own posts their CPU).
            async with self.db.reading() as uow:
                incident = await uow.incidents.by_id(incident_id)
                if incident is None:
                    return
                counts = await uow.incidents.delivery_counts(incident_id)
                message = view.progress(incident_view(incident), counts)
                channel, ts = incident.progress_channel_id, incident.progress_ts
                if not (channel and ts) and incident_id in self._posted:
                    channel, ts = self._posted[incident_id]
                declarer = incident.declared_by
                team = incident.team_id
            gateway = await self.gateways.find(team)
            if gateway is None:
                return  # uninstalled: nobody to tell there
            if channel and ts:
                await gateway.update(channel, ts, message)
                return
            posted = await gateway.deliver(declarer, message)
            if posted.ts:
                self._posted[incident_id] = (posted.channel or declarer, posted.ts)
                async with self.db.unit_of_work() as uow:
                    incident = await uow.incidents.by_id(incident_id)
                    if incident is not None:
                        # A DM's channel id is the conversation's, not the user's: chat.update
                        # needs it, so keep what Slack answered.
                        incident.progress_channel_id = posted.channel or declarer
                        incident.progress_ts = posted.ts
        except Exception:
            log.exception("could not show the progress of incident %s", incident_id)
