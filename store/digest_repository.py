"""The digest ledger: claim a team's period once; a second claim (restart, replica) finds it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.dialect import insert_for
from store.models import DigestSend


class DigestRepository:
    """Rows of `digest_sends`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(
        self, team_id: str, key: str, due_at: datetime, at: datetime, recipients: int
    ) -> bool:
        """Record the send of `key` for `team_id`; False when it was recorded before."""
        stmt = (
            insert_for(self.session, DigestSend)
            .on_conflict_do_nothing(index_elements=["team_id", "key"])
            .returning(DigestSend.id)
        )
        result = await self.session.execute(
            stmt,
            [
                {
                    "team_id": team_id,
                    "key": key,
                    "due_at": due_at,
                    "sent_at": at,
                    "recipients": recipients,
                }
            ],
        )
        return result.first() is not None

    async def was_sent(self, team_id: str, key: str) -> bool:
        """Whether `key` was sent for `team_id` already."""
        found = await self.session.scalar(
            select(DigestSend.id).where(DigestSend.team_id == team_id, DigestSend.key == key)
        )
        return found is not None

    async def sent(self, team_id: str) -> Sequence[DigestSend]:
        """The team's sends, oldest first."""
        rows = await self.session.scalars(
            select(DigestSend).where(DigestSend.team_id == team_id).order_by(DigestSend.id)
        )
        return rows.all()
