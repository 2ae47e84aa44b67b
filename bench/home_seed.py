"""A desk's open work and its history, written straight into the store, for the Home benchmark.

Open tickets (most unassigned, the rest with their account's owner) with running clocks whose
next ladder steps lie days ahead (the sweep has nothing to do while the benchmark runs), and
resolved tickets of the last 90 days with their stopped clocks and some CSAT surveys and
answers: the history the Home's reads must not wade through.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from bench import world
from bot.domain.sla import SlaFlag
from bot.domain.tickets import TicketStatus
from store.db import Database
from store.models import Account, CsatAnswer, CsatSurvey, SlaClock, Ticket, TicketCounter

BATCH = 2500
PRIORITIES = ("P1", "P2", "P3", "P4")
FIRST_RESPONSE = {"P1": 3600.0, "P2": 4 * 3600.0, "P3": 86400.0, "P4": 3 * 86400.0}
RESOLUTION = {"P1": 86400.0, "P2": 3 * 86400.0, "P3": 5 * 86400.0, "P4": 20 * 86400.0}
HISTORY = timedelta(days=90)
UNASSIGNED_SHARE = 0.6
WAITING_SHARE = 0.15
AT_RISK_SHARE, BREACHED_SHARE = 0.05, 0.02
SURVEYED_SHARE, ANSWERED_SHARE = 0.3, 0.4


@dataclass(frozen=True)
class Seeded:
    """What was written, for the report."""

    open_tickets: int
    resolved_tickets: int
    clocks: int
    surveys: int
    answers: int
    # Open tickets each person owns (user id -> count), e.g. the managers'.
    owned: dict[str, int]


async def desk(
    db: Database, sizes: world.Sizes, open_count: int, resolved_count: int, now: datetime
) -> Seeded:
    """Write `open_count` open and `resolved_count` resolved tickets (the accounts exist)."""
    rng = random.Random(20261203)
    async with db.reading() as uow:
        rows = (await uow.session.execute(select(Account.id, Account.name))).all()
    account_ids = {int(name.removeprefix("Account")): aid for aid, name in rows}
    total = open_count + resolved_count
    numbers = iter(range(1, total + 1))
    owned: dict[str, int] = {}
    clocks = surveys = answers = 0
    # Resolved first (older numbers), then the open ones, as a desk's history grows.
    plan = [False] * resolved_count + [True] * open_count
    for batch in _chunks(plan, BATCH):
        tickets, extras = [], []
        for is_open in batch:
            n = next(numbers)
            a = rng.randrange(sizes.accounts)
            make = _open_ticket if is_open else _resolved_ticket
            ticket, extra = make(rng, n, a, account_ids[a], sizes, now)
            tickets.append(ticket)
            extras.append(extra)
            if is_open and ticket["owner_user_id"]:
                owned[ticket["owner_user_id"]] = owned.get(ticket["owner_user_id"], 0) + 1
        async with db.unit_of_work() as uow:
            ids = (
                await uow.session.execute(
                    insert(Ticket).returning(Ticket.id, sort_by_parameter_order=True), tickets
                )
            ).scalars()
            clock_rows, survey_rows, answer_rows = [], [], []
            for ticket_id, ticket, extra in zip(ids, tickets, extras, strict=True):
                for clock in extra["clocks"]:
                    # The reports read the ticket's priority from its clocks (migration 0009).
                    clock_rows.append(
                        {**clock, "ticket_id": ticket_id, "priority": ticket["priority"]}
                    )
                if extra.get("survey"):
                    survey_rows.append({**extra["survey"], "ticket_id": ticket_id})
            await uow.session.execute(insert(SlaClock), clock_rows)
            if survey_rows:
                survey_ids = (
                    await uow.session.execute(
                        insert(CsatSurvey).returning(CsatSurvey.id, sort_by_parameter_order=True),
                        survey_rows,
                    )
                ).scalars()
                for survey_id, survey in zip(survey_ids, survey_rows, strict=True):
                    if rng.random() < ANSWERED_SHARE:
                        answer_rows.append(_answer(rng, survey_id, survey))
            if answer_rows:
                await uow.session.execute(insert(CsatAnswer), answer_rows)
            clocks += len(clock_rows)
            surveys += len(survey_rows)
            answers += len(answer_rows)
    async with db.unit_of_work() as uow:
        await uow.session.execute(
            insert(TicketCounter), [{"team_id": world.VENDOR, "last_number": total}]
        )
    return Seeded(open_count, resolved_count, clocks, surveys, answers, owned)


def _chunks(items: list[bool], size: int) -> Iterator[list[bool]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _base(n: int, a: int, account_id: int, priority: str, opened: datetime) -> dict[str, Any]:
    return {
        "team_id": world.VENDOR,
        "number": n,
        "account_id": account_id,
        "channel_id": world.shared_channel(a),
        "root_ts": f"{opened.timestamp():.0f}.{n:06d}",
        "requester_user_id": f"U9{n:07d}",
        "summary": f"Exports time out for the finance team since the upgrade (request {n})",
        "priority": priority,
        "opened_at": opened,
        "first_response_due_at": opened + timedelta(seconds=FIRST_RESPONSE[priority]),
        "resolution_due_at": opened + timedelta(seconds=RESOLUTION[priority]),
        "last_customer_at": opened,
        "card_channel_id": world.internal_channel(a),
        "card_ts": f"{opened.timestamp():.0f}.{n:06d}",
        "receipt_ts": f"{opened.timestamp() + 1:.0f}.{n:06d}",
    }


def _clock(
    account_id: int, kind: str, target: float, started: datetime, **rest: Any
) -> dict[str, Any]:
    return {
        "team_id": world.VENDOR,
        "account_id": account_id,
        "kind": kind,
        "cycle": 1,
        "calendar": "24/7",
        "target_seconds": target,
        "started_at": started,
        "elapsed_before_seconds": 0.0,
        **rest,
    }


def _open_ticket(
    rng: random.Random, n: int, a: int, account_id: int, sizes: world.Sizes, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An open (or waiting) ticket: unassigned, or with the account's owner."""
    priority = rng.choice(PRIORITIES)
    opened = now - timedelta(seconds=rng.uniform(600, 3 * 86400))
    row = _base(n, a, account_id, priority, opened)
    owner = None if rng.random() < UNASSIGNED_SHARE else world.owner(a % sizes.owners)
    waiting = owner is not None and rng.random() < WAITING_SHARE
    roll = rng.random()
    flag = (
        SlaFlag.BREACHED
        if roll < BREACHED_SHARE
        else SlaFlag.AT_RISK
        if roll < BREACHED_SHARE + AT_RISK_SHARE
        else SlaFlag.OK
    )
    # What the Home sorts by: overdue for breached, under an hour for at risk, hours away else.
    if flag == SlaFlag.BREACHED:
        due = now - timedelta(seconds=rng.uniform(60, 86400))
    elif flag == SlaFlag.AT_RISK:
        due = now + timedelta(seconds=rng.uniform(60, 3600))
    else:
        due = now + timedelta(seconds=rng.uniform(3600, 3 * 86400))
    answered = owner is not None and rng.random() < 0.5
    row.update(
        status=TicketStatus.WAITING if waiting else TicketStatus.OPEN,
        owner_user_id=owner,
        first_response_at=opened + timedelta(minutes=20) if answered else None,
        first_response_by=owner if answered else None,
        last_internal_at=opened + timedelta(minutes=20) if answered else None,
        waiting_since=now - timedelta(hours=1) if waiting else None,
        next_due_at=None if waiting else due,
        sla_flag=flag,
        updated_at=opened,
    )
    # The next ladder steps lie days ahead: nothing falls due while the benchmark runs.
    later = now + timedelta(days=2, seconds=rng.uniform(0, 86400))
    clocks = [
        _clock(
            account_id,
            "first_response",
            FIRST_RESPONSE[priority],
            opened,
            running_since=None if answered else opened,
            due_at=row["first_response_due_at"],
            next_step_at=None if answered else later,
            stopped_at=row["first_response_at"],
            outcome="met" if answered else None,
            business_seconds=1200.0 if answered else None,
        ),
        _clock(
            account_id,
            "resolution",
            RESOLUTION[priority],
            opened,
            running_since=None if waiting else opened,
            due_at=row["resolution_due_at"],
            next_step_at=None if waiting else later,
        ),
    ]
    return row, {"clocks": clocks}


def _resolved_ticket(
    rng: random.Random, n: int, a: int, account_id: int, sizes: world.Sizes, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A resolved ticket of the last 90 days with both clocks stopped (met or breached)."""
    priority = rng.choice(PRIORITIES)
    first_target, resolution_target = FIRST_RESPONSE[priority], RESOLUTION[priority]
    first_took = first_target * rng.uniform(0.05, 1.3)
    resolution_took = max(first_took + 60, resolution_target * rng.uniform(0.05, 1.2))
    # Resolved some time in the last 90 days (so this month's figures have rows too).
    resolved_at = now - timedelta(minutes=1) - HISTORY * rng.random()
    opened = resolved_at - timedelta(seconds=resolution_took)
    answered_at = opened + timedelta(seconds=first_took)
    row = _base(n, a, account_id, priority, opened)
    owner = world.owner(a % sizes.owners)
    breached = resolution_took > resolution_target or first_took > first_target
    kind = "resolved" if rng.random() < 0.9 else rng.choice(("duplicate", "noise"))
    row.update(
        status=TicketStatus.RESOLVED,
        owner_user_id=owner,
        first_response_at=answered_at,
        first_response_by=owner,
        last_internal_at=resolved_at,
        resolved_at=resolved_at,
        resolved_by=owner,
        resolution_note="Fixed in the export service.",
        resolution_kind=kind,
        next_due_at=None,
        sla_flag=SlaFlag.BREACHED if breached else SlaFlag.OK,
        updated_at=resolved_at,
    )
    clocks = []
    for clock_kind, target, took, stopped in (
        ("first_response", first_target, first_took, answered_at),
        ("resolution", resolution_target, resolution_took, resolved_at),
    ):
        late = max(0.0, took - target)
        clocks.append(
            _clock(
                account_id,
                clock_kind,
                target,
                opened,
                running_since=None,
                due_at=opened + timedelta(seconds=target),
                next_step_at=None,
                breached_at=opened + timedelta(seconds=target) if late else None,
                stopped_at=stopped,
                outcome="breached" if late else "met",
                business_seconds=took,
                late_business_seconds=late if late else None,
                late_wall_seconds=late if late else None,
            )
        )
    extra: dict[str, Any] = {"clocks": clocks}
    if kind == "resolved" and rng.random() < SURVEYED_SHARE:
        extra["survey"] = {
            "team_id": world.VENDOR,
            "account_id": account_id,
            "channel_id": row["channel_id"],
            "thread_ts": row["root_ts"],
            "requester_user_id": row["requester_user_id"],
            "asked_at": resolved_at,
            "closes_at": resolved_at + timedelta(days=1),
        }
    return row, extra


def _answer(rng: random.Random, survey_id: int, survey: dict[str, Any]) -> dict[str, Any]:
    return {
        "survey_id": survey_id,
        "team_id": survey["team_id"],
        "ticket_id": survey["ticket_id"],
        "account_id": survey["account_id"],
        "user_id": survey["requester_user_id"],
        "score": rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 2, 4, 6))[0],
        "comment": "",
        "answered_at": survey["asked_at"] + timedelta(hours=rng.uniform(0.1, 20)),
    }
