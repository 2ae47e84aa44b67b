"""Satisfaction surveys asked in resolved tickets' threads, and the customers' answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.dialect import insert_for
from store.models import CsatAnswer, CsatSurvey


class CsatRepository:
    """Rows of csat_surveys and csat_answers."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_survey(self, survey: CsatSurvey) -> CsatSurvey:
        """Store a new survey (it gets its id)."""
        self.session.add(survey)
        await self.session.flush()
        return survey

    async def last_asked(self, ticket_id: int) -> datetime | None:
        """When the ticket's latest survey was (or is to be) asked; None if it never was."""
        return await self.session.scalar(
            select(func.max(CsatSurvey.asked_at)).where(CsatSurvey.ticket_id == ticket_id)
        )

    async def survey(self, survey_id: int) -> CsatSurvey | None:
        """One survey by id."""
        return await self.session.get(CsatSurvey, survey_id)

    async def set_message(self, survey_id: int, ts: str) -> None:
        """Where the survey was posted, so its thanks edit that message."""
        await self.session.execute(
            update(CsatSurvey).where(CsatSurvey.id == survey_id).values(message_ts=ts)
        )

    async def withdraw(self, survey_id: int) -> None:
        """Forget a survey that was never posted (its ticket was reopened before it was due)."""
        await self.session.execute(
            delete(CsatSurvey).where(CsatSurvey.id == survey_id, CsatSurvey.message_ts.is_(None))
        )

    async def set_counted(self, ticket_id: int, counted: bool) -> None:
        """Whether a ticket's surveys count in the reports (not once it is closed as a
        duplicate or noise), kept on each survey so the report need not read the ticket."""
        await self.session.execute(
            update(CsatSurvey)
            .where(CsatSurvey.ticket_id == ticket_id, CsatSurvey.counted.is_not(counted))
            .values(counted=counted)
        )

    async def answer(
        self, survey_id: int, user_id: str, *, for_update: bool = False
    ) -> CsatAnswer | None:
        """One customer's answer to a survey (row-locked to change it)."""
        stmt = select(CsatAnswer).where(
            CsatAnswer.survey_id == survey_id, CsatAnswer.user_id == user_id
        )
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(stmt)

    async def add_answer(self, answer: CsatAnswer) -> bool:
        """Store a first answer; False when that customer answered meanwhile (a double press
        racing on another replica): the caller reads it back and decides again."""
        table = CsatAnswer.__table__
        values = {c.name: getattr(answer, c.key) for c in table.columns if c.name != "id"}
        values["comment"] = values["comment"] or ""
        stmt = (
            insert_for(self.session, table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["survey_id", "user_id"])
            .returning(table.c.id)
        )
        added = (await self.session.execute(stmt)).scalar_one_or_none()
        if added is None:
            return False
        answer.id = int(added)
        return True

    async def answers(self, survey_id: int) -> Sequence[CsatAnswer]:
        """Every answer to a survey, oldest first."""
        return (
            await self.session.scalars(
                select(CsatAnswer).where(CsatAnswer.survey_id == survey_id).order_by(CsatAnswer.id)
            )
        ).all()

    async def for_ticket(self, ticket_id: int) -> Sequence[CsatSurvey]:
        """A ticket's surveys, oldest first."""
        return (
            await self.session.scalars(
                select(CsatSurvey).where(CsatSurvey.ticket_id == ticket_id).order_by(CsatSurvey.id)
            )
        ).all()
