"""Incidents, what was said about them, and each channel's delivery of each post."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.incidents import IncidentStatus, PostState, PostTally
from store import jobs
from store.jobs import JobTable
from store.models import Incident, IncidentDelivery, IncidentPost, Ticket
from store.results import rows_changed

WORK_STATES = (PostState.PENDING, PostState.SENDING)
# A delivery goes pending -> sending (claimed; maybe sent) -> sent | failed (the dead letters).
# Its driver holds the incident's lease (one driver orders the posts); each row is claimed
# through the job engine just before its call, with a lease of its own.
DELIVERIES = JobTable(
    IncidentDelivery.__table__,
    done=PostState.SENT,
    finished_at="sent_at",
    claimed_at="claimed_at",
    not_before=None,
    running=PostState.SENDING,
)


class IncidentRepository:
    """Queries over incidents, their posts and deliveries."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, incident: Incident) -> Incident:
        """Store a new incident and give it its number."""
        self.session.add(incident)
        await self.session.flush()
        return incident

    async def get(
        self, team_id: str, incident_id: int, *, for_update: bool = False
    ) -> Incident | None:
        """An incident of this workspace by number (row-locked to add a post or change it)."""
        incident = await self.session.get(
            Incident, incident_id, with_for_update=for_update, populate_existing=for_update
        )
        return incident if incident is not None and incident.team_id == team_id else None

    async def by_id(self, incident_id: int) -> Incident | None:
        """An incident by id, whatever its workspace (the broadcaster's view)."""
        return await self.session.get(Incident, incident_id)

    async def open_for(self, team_id: str) -> Sequence[Incident]:
        """The workspace's open incidents, newest first."""
        result = await self.session.execute(
            select(Incident)
            .where(Incident.team_id == team_id, Incident.status != IncidentStatus.RESOLVED)
            .order_by(Incident.id.desc())
        )
        return result.scalars().all()

    async def add_post(self, post: IncidentPost, channels: dict[str, int]) -> IncidentPost:
        """Store a post and a pending delivery of it to each channel (channel → account id)."""
        self.session.add(post)
        await self.session.flush()
        if channels:
            # One statement for every channel, no objects: an incident for all accounts is a
            # thousand rows, and as ORM objects they took 0.4 s before the first notice.
            await self.session.execute(
                insert(IncidentDelivery.__table__),
                [
                    {
                        "incident_id": post.incident_id,
                        "post_id": post.id,
                        "seq": post.seq,
                        "channel_id": channel,
                        "account_id": account_id,
                        "state": PostState.PENDING,
                    }
                    for channel, account_id in channels.items()
                ],
            )
        return post

    async def next_seq(self, incident_id: int) -> int:
        """The sequence number of the next post."""
        result = await self.session.execute(
            select(func.max(IncidentPost.seq)).where(IncidentPost.incident_id == incident_id)
        )
        last = result.scalar_one_or_none()
        return 0 if last is None else last + 1

    async def posts(self, incident_id: int) -> dict[int, IncidentPost]:
        """Every post of an incident by id."""
        result = await self.session.execute(
            select(IncidentPost).where(IncidentPost.incident_id == incident_id)
        )
        return {p.id: p for p in result.scalars()}

    async def delivery_counts(self, incident_id: int) -> list[PostTally]:
        """How each post's deliveries stand (rows per state), counted by the database."""
        d, p = IncidentDelivery, IncidentPost
        result = await self.session.execute(
            select(d.seq, p.kind, d.state, func.count())
            .join(p, p.id == d.post_id)
            .where(d.incident_id == incident_id)
            .group_by(d.seq, p.kind, d.state)
        )
        found: dict[tuple[int, str], dict[str, int]] = {}
        for seq, kind, state, count in result.all():
            found.setdefault((seq, kind), {})[state] = count
        return [PostTally(seq, kind, states) for (seq, kind), states in sorted(found.items())]

    async def deliveries(self, incident_id: int) -> Sequence[IncidentDelivery]:
        """Every delivery of an incident, in post order then channel."""
        result = await self.session.execute(
            select(IncidentDelivery)
            .where(IncidentDelivery.incident_id == incident_id)
            .order_by(IncidentDelivery.seq, IncidentDelivery.channel_id)
        )
        return result.scalars().all()

    async def notices(self, incident_id: int) -> dict[str, IncidentDelivery]:
        """The notice delivery per channel (its ts is the thread for everything after)."""
        result = await self.session.execute(
            select(IncidentDelivery).where(
                IncidentDelivery.incident_id == incident_id, IncidentDelivery.seq == 0
            )
        )
        return {d.channel_id: d for d in result.scalars()}

    async def delivery(
        self, delivery_id: int, *, for_update: bool = False
    ) -> IncidentDelivery | None:
        """One delivery row (row-locked to change its state)."""
        return await self.session.get(
            IncidentDelivery, delivery_id, with_for_update=for_update, populate_existing=for_update
        )

    async def deliveries_by_id(
        self, delivery_ids: Sequence[int], *, for_update: bool = False
    ) -> dict[int, IncidentDelivery]:
        """Delivery rows by id, in one query (row-locked to change their states)."""
        stmt = select(IncidentDelivery).where(IncidentDelivery.id.in_(list(delivery_ids)))
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return {d.id: d for d in (await self.session.scalars(stmt))}

    async def notice_at(self, team_id: str, channel_id: str, ts: str) -> Incident | None:
        """The incident whose notice was posted at `ts` in a channel (a reply's thread), if any."""
        return await self.session.scalar(
            select(Incident)
            .join(IncidentDelivery, IncidentDelivery.incident_id == Incident.id)
            .where(
                IncidentDelivery.channel_id == channel_id,
                IncidentDelivery.ts == ts,
                IncidentDelivery.seq == 0,
                Incident.team_id == team_id,
            )
            .limit(1)
        )

    async def with_work(self) -> Sequence[int]:
        """Incidents with deliveries still to make or status lines still to refresh."""
        pending = select(IncidentDelivery.incident_id).where(
            IncidentDelivery.state.in_(WORK_STATES)
        )
        stale = (
            select(IncidentDelivery.incident_id)
            .join(Incident, Incident.id == IncidentDelivery.incident_id)
            .where(
                IncidentDelivery.seq == 0,
                IncidentDelivery.state == PostState.SENT,
                IncidentDelivery.shown_version < Incident.version,
            )
        )
        result = await self.session.execute(pending.union(stale))
        return sorted({row[0] for row in result})

    async def claim_lease(
        self, incident_id: int, driver: str, now: datetime, until: datetime
    ) -> bool:
        """Become the one replica driving this incident's broadcast (or keep being it)."""
        result = await self.session.execute(
            update(Incident)
            .where(
                Incident.id == incident_id,
                or_(
                    Incident.driver.is_(None),
                    Incident.driver == driver,
                    Incident.lease_until.is_(None),
                    Incident.lease_until < now,
                ),
            )
            .values(driver=driver, lease_until=until)
        )
        return rows_changed(result) == 1

    async def release_lease(self, incident_id: int, driver: str) -> None:
        """Stop driving (the broadcast is done)."""
        await self.session.execute(
            update(Incident)
            .where(Incident.id == incident_id, Incident.driver == driver)
            .values(driver=None, lease_until=None)
        )

    async def claim(
        self, delivery_ids: Sequence[int], driver: str, now: datetime, lease: timedelta
    ) -> set[int]:
        """Claim these rows for one try each (marked `sending`); the ids this claim got.

        A row held by another claim that has not lapsed (a dead driver's) is not taken.
        """
        rows = await jobs.claim(
            await self.session.connection(),
            DELIVERIES,
            driver,
            now,
            lease,
            len(delivery_ids),
            only=delivery_ids,
        )
        return {row[0] for row in rows}

    async def release_claims(self, driver: str) -> None:
        """Give back a stopping driver's claims; a `sending` row stays maybe-sent."""
        table = IncidentDelivery.__table__
        await self.session.execute(
            update(table)
            .where(table.c.claimed_by == driver, table.c.state.in_(WORK_STATES))
            .values(claimed_by=None)
        )

    async def dead_letter(self, delivery_id: int, reason: str) -> None:
        """Give up on a delivery for good, with `reason` (kept for a person to look at)."""
        await jobs.dead_letter(await self.session.connection(), DELIVERIES, delivery_id, reason)

    async def linked_tickets(self, incident_id: int) -> Sequence[Ticket]:
        """Tickets opened while this incident was open in one of its accounts."""
        result = await self.session.execute(
            select(Ticket).where(Ticket.incident_id == incident_id).order_by(Ticket.number)
        )
        return result.scalars().all()

    async def touching_account(
        self, account_id: int, since: datetime, limit: int = 5
    ) -> Sequence[Incident]:
        """Incidents declared since `since` that told the account's channels or had one of its
        tickets linked, newest first."""
        told = select(IncidentDelivery.incident_id).where(IncidentDelivery.account_id == account_id)
        linked = select(Ticket.incident_id).where(
            Ticket.account_id == account_id, Ticket.incident_id.is_not(None)
        )
        rows = await self.session.scalars(
            select(Incident)
            .where(
                Incident.declared_at >= since,
                or_(Incident.id.in_(told), Incident.id.in_(linked)),
            )
            .order_by(Incident.declared_at.desc(), Incident.id.desc())
            .limit(limit)
        )
        return rows.all()
