"""The progress message's counts come from the database: they match counting the rows."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.broadcast.progress import delivery_rows
from bot.domain.incidents import PostKind, PostState
from bot.messages.incident_internal import tallies
from store.db import Database
from store.models import Incident, IncidentDelivery, IncidentPost

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


async def test_delivery_counts_agree_with_the_rows_in_every_state(db: Database):
    # A notice half sent (one failed, some pending or in flight), an update just started.
    states = {
        0: [PostState.SENT] * 5 + [PostState.FAILED, PostState.SENDING] + [PostState.PENDING] * 3,
        1: [PostState.SENT, PostState.PENDING, PostState.PENDING],
    }
    async with db.unit_of_work() as uow:
        incident = Incident(
            team_id="T0VENDOR",
            severity="sev2",
            title="Exports are delayed",
            declared_by="U0MIA",
            declared_at=NOW,
            updated_at=NOW,
        )
        uow.session.add(incident)
        await uow.session.flush()
        for seq, kind in ((0, PostKind.NOTICE), (1, PostKind.UPDATE)):
            post = IncidentPost(
                incident_id=incident.id, seq=seq, kind=kind, author="U0MIA", created_at=NOW
            )
            uow.session.add(post)
            await uow.session.flush()
            for i, state in enumerate(states[seq]):
                uow.session.add(
                    IncidentDelivery(
                        incident_id=incident.id,
                        post_id=post.id,
                        seq=seq,
                        channel_id=f"C{seq}{i:04d}",
                        account_id=i,
                        state=state,
                    )
                )
        incident_id = incident.id
    async with db.reading() as uow:
        counted = await uow.incidents.delivery_counts(incident_id)
        rows = delivery_rows(
            await uow.incidents.deliveries(incident_id),
            await uow.incidents.posts(incident_id),
            {},
        )
    assert [(t.seq, t.kind, dict(t.states)) for t in counted] == [
        (0, PostKind.NOTICE, {"sent": 5, "failed": 1, "sending": 1, "pending": 3}),
        (1, PostKind.UPDATE, {"sent": 1, "pending": 2}),
    ]
    assert [(t.seq, t.kind, dict(t.states)) for t in tallies(rows)] == [
        (t.seq, t.kind, dict(t.states)) for t in counted
    ]
