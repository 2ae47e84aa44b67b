"""The examples the team labelled for the request classifier (`/desk noise`), and what they read."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.dialect import insert_for
from store.models import Ticket, TicketMessage, TriageExample
from store.results import rows_changed


class TriageRepository:
    """Rows of triage_examples."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_example(self, example: TriageExample) -> bool:
        """Save a labelled example; False when the ticket was labelled already (kept as it was)."""
        stmt = (
            insert_for(self.session, TriageExample)
            .values(
                team_id=example.team_id,
                ticket_id=example.ticket_id,
                text=example.text,
                is_request=example.is_request,
                category=example.category,
                labelled_by=example.labelled_by,
                labelled_at=example.labelled_at,
            )
            .on_conflict_do_nothing(index_elements=["team_id", "ticket_id"])
        )
        result = await self.session.execute(stmt)
        return rows_changed(result) == 1

    async def forget(self, team_id: str, ticket_id: int) -> None:
        """Drop the example a ticket gave (it was reopened: it was a request after all)."""
        await self.session.execute(
            delete(TriageExample).where(
                TriageExample.team_id == team_id, TriageExample.ticket_id == ticket_id
            )
        )

    async def examples(self) -> Sequence[TriageExample]:
        """Every workspace's examples, oldest first (the classifier learns them at start)."""
        rows = await self.session.scalars(
            select(TriageExample).order_by(TriageExample.team_id, TriageExample.id)
        )
        return rows.all()

    async def opening_text(self, ticket: Ticket) -> str:
        """The customer's words that opened the ticket (its summary if the message is gone)."""
        text = await self.session.scalar(
            select(TicketMessage.text).where(
                TicketMessage.channel_id == ticket.channel_id, TicketMessage.ts == ticket.root_ts
            )
        )
        return text if text is not None else ticket.summary
