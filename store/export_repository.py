"""What `connectdesk export` streams: tickets, CSAT answers and the audit log, row by row.

Each export is one SELECT in primary-key order, read through a server-side cursor on
PostgreSQL (asyncpg, `yield_per`) and by stepping SQLite's cursor, a batch at a time: memory
stays constant whatever the number of rows. Nothing is left out (duplicates and noise have
their `resolution_kind`); `since` filters on when each thing happened.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.models import Account, AuditEntry, CsatAnswer, CsatSurvey, Ticket

BATCH = 1000

EXPORTS: dict[str, tuple[str, ...]] = {
    "tickets": (
        "team_id",
        "number",
        "account",
        "tier",
        "channel_id",
        "priority",
        "status",
        "resolution_kind",
        "requester_user_id",
        "owner_user_id",
        "opened_at",
        "first_response_at",
        "first_response_by",
        "first_response_due_at",
        "resolution_due_at",
        "resolved_at",
        "resolved_by",
        "sla_flag",
        "incident_id",
        "summary",
    ),
    "csat": (
        "team_id",
        "survey_id",
        "ticket_number",
        "account",
        "tier",
        "channel_id",
        "asked_at",
        "closes_at",
        "user_id",
        "score",
        "comment",
        "answered_at",
        "changed_at",
    ),
    "events": ("id", "team_id", "ticket_number", "actor", "action", "at", "detail"),
}


def _tickets(since: datetime | None, team_id: str | None) -> Select[*tuple[Any, ...]]:
    stmt: Select[*tuple[Any, ...]] = (
        select(
            Ticket.team_id,
            Ticket.number,
            Account.name,
            Account.tier,
            Ticket.channel_id,
            Ticket.priority,
            Ticket.status,
            Ticket.resolution_kind,
            Ticket.requester_user_id,
            Ticket.owner_user_id,
            Ticket.opened_at,
            Ticket.first_response_at,
            Ticket.first_response_by,
            Ticket.first_response_due_at,
            Ticket.resolution_due_at,
            Ticket.resolved_at,
            Ticket.resolved_by,
            Ticket.sla_flag,
            Ticket.incident_id,
            Ticket.summary,
        )
        .join(Account, Account.id == Ticket.account_id)
        .order_by(Ticket.id)
    )
    if since is not None:
        stmt = stmt.where(Ticket.opened_at >= since)
    if team_id is not None:
        stmt = stmt.where(Ticket.team_id == team_id)
    return stmt


def _csat(since: datetime | None, team_id: str | None) -> Select[*tuple[Any, ...]]:
    # One row per answer, and one with empty answer columns for a survey nobody answered.
    stmt: Select[*tuple[Any, ...]] = (
        select(
            CsatSurvey.team_id,
            CsatSurvey.id,
            Ticket.number,
            Account.name,
            Account.tier,
            CsatSurvey.channel_id,
            CsatSurvey.asked_at,
            CsatSurvey.closes_at,
            CsatAnswer.user_id,
            CsatAnswer.score,
            CsatAnswer.comment,
            CsatAnswer.answered_at,
            CsatAnswer.changed_at,
        )
        .join(Ticket, Ticket.id == CsatSurvey.ticket_id)
        .join(Account, Account.id == CsatSurvey.account_id)
        .outerjoin(CsatAnswer, CsatAnswer.survey_id == CsatSurvey.id)
        .order_by(CsatSurvey.id, CsatAnswer.id)
    )
    if since is not None:
        stmt = stmt.where(CsatSurvey.asked_at >= since)
    if team_id is not None:
        stmt = stmt.where(CsatSurvey.team_id == team_id)
    return stmt


def _events(since: datetime | None, team_id: str | None) -> Select[*tuple[Any, ...]]:
    stmt: Select[*tuple[Any, ...]] = (
        select(
            AuditEntry.id,
            AuditEntry.team_id,
            Ticket.number,
            AuditEntry.actor,
            AuditEntry.action,
            AuditEntry.at,
            AuditEntry.detail,
        )
        .outerjoin(Ticket, Ticket.id == AuditEntry.ticket_id)
        .order_by(AuditEntry.id)
    )
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if team_id is not None:
        stmt = stmt.where(AuditEntry.team_id == team_id)
    return stmt


STATEMENTS = {"tickets": _tickets, "csat": _csat, "events": _events}


async def stream(
    conn: AsyncConnection,
    kind: str,
    *,
    since: datetime | None = None,
    team_id: str | None = None,
    batch: int = BATCH,
) -> AsyncGenerator[Sequence[Any], None]:
    """The rows of one export (`EXPORTS[kind]` columns), a batch at a time from the server."""
    if kind not in STATEMENTS:
        raise ValueError(f"unknown export {kind!r} (use {', '.join(EXPORTS)})")
    stmt = STATEMENTS[kind](since, team_id).execution_options(yield_per=batch)
    result = await conn.stream(stmt)
    try:
        async for row in result:
            yield tuple(row)
    finally:
        await result.close()
