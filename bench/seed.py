"""Open tickets with running SLA clocks, written straight into the store (fast, for benchmarks)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select

from bench import world
from bot.config.desk import DeskConfig
from store import migrate
from store.db import Database
from store.models import Account, SlaClock, Ticket

BATCH = 5000
STEP_PERCENT = 0.75  # the bench ladder's only step: the owner is warned at 75%
FIRST_RESPONSE = timedelta(hours=1)
RESOLUTION = timedelta(days=5)


async def accounts(db: Database, config: DeskConfig, at: datetime) -> None:
    """The schema and the configured accounts, as the bot's start-up would write them."""
    await migrate.upgrade(db.url)
    rows = [
        {
            "team_id": world.VENDOR,
            "name": spec.name,
            "name_key": spec.name.casefold(),
            "tier": spec.tier,
            "internal_channel_id": spec.internal_channel,
            "owners": list(spec.owners),
            "receipts": spec.receipts,
            "calendar": spec.calendar,
            "source": "config",
            "created_at": at,
        }
        for spec in config.accounts
    ]
    async with db.unit_of_work() as uow:
        await uow.session.execute(insert(Account), rows)


async def open_tickets(
    db: Database, count: int, first_step: datetime, spread: timedelta, owners: int
) -> dict[int, datetime]:
    """Open tickets whose 75% warnings fall evenly over the spread; number -> warning due time."""
    # Two clocks each, as intake makes them: first response (1 h, warned in the spread) and
    # resolution (5 d, far beyond it).
    async with db.unit_of_work() as uow:
        accounts = (await uow.session.execute(select(Account.id, Account.name))).all()
    by_index = {int(name.removeprefix("Account")): aid for aid, name in accounts}
    due: dict[int, datetime] = {}
    for start in range(0, count, BATCH):
        numbers = range(start + 1, min(count, start + BATCH) + 1)
        tickets, plans = [], []
        for n in numbers:
            step = first_step + spread * ((n - 1) / max(1, count - 1))
            opened = step - FIRST_RESPONSE * STEP_PERCENT
            a = n % len(by_index)
            due[n] = step
            plans.append((n, by_index[a], opened, step))
            tickets.append(
                {
                    "team_id": world.VENDOR,
                    "number": n,
                    "account_id": by_index[a],
                    "channel_id": world.shared_channel(a),
                    "root_ts": f"{opened.timestamp():.6f}",
                    "requester_user_id": f"U9{n:07d}",
                    "summary": f"Request {n}",
                    "priority": "P2",
                    "status": "open",
                    "owner_user_id": world.owner(n % owners),
                    "opened_at": opened,
                    "first_response_due_at": opened + FIRST_RESPONSE,
                    "resolution_due_at": opened + RESOLUTION,
                    "last_customer_at": opened,
                    "next_due_at": opened + FIRST_RESPONSE,
                    "sla_flag": "ok",
                    "card_channel_id": world.internal_channel(a),
                    "updated_at": opened,
                }
            )
        async with db.unit_of_work() as uow:
            ids = (
                await uow.session.execute(
                    insert(Ticket).returning(
                        Ticket.id, Ticket.number, sort_by_parameter_order=True
                    ),
                    tickets,
                )
            ).all()
            clocks = []
            for (ticket_id, _number), (_n, account_id, opened, step) in zip(
                ids, plans, strict=True
            ):
                for kind, target, next_step in (
                    ("first_response", FIRST_RESPONSE, step),
                    ("resolution", RESOLUTION, opened + RESOLUTION * STEP_PERCENT),
                ):
                    clocks.append(
                        {
                            "team_id": world.VENDOR,
                            "ticket_id": ticket_id,
                            "account_id": account_id,
                            "kind": kind,
                            "cycle": 1,
                            "priority": "P2",
                            "calendar": "24/7",
                            "target_seconds": target.total_seconds(),
                            "started_at": opened,
                            "elapsed_before_seconds": 0.0,
                            "running_since": opened,
                            "due_at": opened + target,
                            "next_step_at": next_step,
                        }
                    )
            await uow.session.execute(insert(SlaClock), clocks)
    return due
