"""A year of a busy desk for the report benchmark: tickets with their clock runs met and missed,
CSAT surveys and answers, over several workspaces, tiers, priorities and accounts, written
straight into the store in bulk (SQLite: `executemany` on the driver's own connection;
PostgreSQL: COPY), not through the services, so a million tickets take minutes, not hours.

The rows come from a seeded random generator, so the same arguments always write the same
database, whatever the schema revision (columns the schema lacks are left out): a before and an
after of a schema change run on the same data. While writing, it counts what the report of the
last month must show (`Expected`), independently of the report's SQL.
"""

from __future__ import annotations

import math
import random
import sqlite3
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from statistics import NormalDist
from typing import Any

from sqlalchemy import insert, inspect, text
from sqlalchemy.engine import make_url

from bot.domain.reports import EXCLUDED_RESOLUTIONS, percentile
from store.db import Database
from store.models import Account

# The data ends here: "now" for the report (the morning after the last month ends).
END = datetime(2026, 12, 1, tzinfo=UTC)
TEAMS = ("T0VENDOR", "T0SECOND")
TIERS = ("strategic", "growth", "standard")
PRIORITIES = ("P1", "P2", "P3", "P4")
PRIORITY_WEIGHTS = (0.05, 0.20, 0.55, 0.20)
HOUR = 3600.0
DAY = 86400.0
# Targets in business seconds by priority: first response, next response, resolution.
TARGETS: dict[str, tuple[float, float, float]] = {
    "P1": (1 * HOUR, 2 * HOUR, 1 * DAY),
    "P2": (4 * HOUR, 8 * HOUR, 3 * DAY),
    "P3": (1 * DAY, 2 * DAY, 5 * DAY),
    "P4": (3 * DAY, 5 * DAY, 20 * DAY),
}
# A business-hours calendar counts about a third of the wall clock's time.
BUSINESS_SHARE = 0.35
CLOSED_AS = (("duplicate", 0.04), ("noise", 0.02))
SCORES = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = (0.05, 0.07, 0.13, 0.30, 0.45)
# Tables migration 0009 gave columns: the generator writes them only where they exist.
TABLES_GROWN = ("sla_clocks", "csat_surveys")
BATCH = 20_000  # tickets per write (their clock runs, surveys and answers with them)

TICKET_COLUMNS = (
    "id",
    "team_id",
    "number",
    "account_id",
    "channel_id",
    "root_ts",
    "requester_user_id",
    "summary",
    "priority",
    "status",
    "owner_user_id",
    "opened_at",
    "first_response_at",
    "first_response_by",
    "first_response_due_at",
    "resolution_due_at",
    "last_customer_at",
    "last_internal_at",
    "resolved_at",
    "resolved_by",
    "resolution_note",
    "resolution_kind",
    "next_due_at",
    "sla_flag",
    "card_channel_id",
    "updated_at",
)
CLOCK_COLUMNS = (
    "id",
    "team_id",
    "ticket_id",
    "account_id",
    "kind",
    "cycle",
    "calendar",
    "target_seconds",
    "started_at",
    "elapsed_before_seconds",
    "running_since",
    "due_at",
    "next_step_at",
    "breached_at",
    "stopped_at",
    "outcome",
    "business_seconds",
    "late_business_seconds",
    "late_wall_seconds",
    # Copies of the ticket's (migration 0009): written only where the schema has them.
    "priority",
    "counted",
)
SURVEY_COLUMNS = (
    "id",
    "team_id",
    "ticket_id",
    "account_id",
    "channel_id",
    "thread_ts",
    "requester_user_id",
    "asked_at",
    "closes_at",
    "message_ts",
    "counted",  # migration 0009: written only where the schema has it
)
ANSWER_COLUMNS = (
    "id",
    "survey_id",
    "team_id",
    "ticket_id",
    "account_id",
    "user_id",
    "score",
    "comment",
    "answered_at",
)


@dataclass(frozen=True)
class Shape:
    """How much to generate: `tickets` over `months` calendar months ending at `END`."""

    tickets: int
    months: int = 12
    accounts: int = 500
    seed: int = 19

    @property
    def start(self) -> datetime:
        """The first day of the first month."""
        return month_start(END, -self.months)

    @property
    def month(self) -> tuple[datetime, datetime]:
        """The last month [start, end): the one the benchmark reports."""
        return month_start(END, -1), END


def month_start(at: datetime, months: int) -> datetime:
    """The first instant of the month `months` from `at`'s month (UTC)."""
    index = at.year * 12 + at.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


@dataclass
class Expected:
    """What the report of the last month shows (every workspace), counted while generating."""

    met: int = 0
    missed: int = 0
    opened: int = 0
    surveys: int = 0
    answered: int = 0
    answers: int = 0
    score_sum: int = 0
    first_response_business: list[float] = field(default_factory=list)
    clock_runs: int = 0  # every clock run written, whatever its month
    surveys_written: int = 0
    answers_written: int = 0

    @property
    def first_response_median(self) -> float | None:
        """Median business time of the month's first responses, in seconds."""
        return percentile(self.first_response_business, 50)


@dataclass(frozen=True)
class AccountSpec:
    """One generated account."""

    id: int
    team_id: str
    name: str
    tier: str
    business_hours: bool

    @property
    def channel(self) -> str:
        """Its shared channel."""
        return f"C2{self.id:06d}"


def accounts(shape: Shape) -> list[AccountSpec]:
    """The accounts: one in ten in the second workspace; tiers 10 / 30 / 60 %; standard ones
    on business hours."""
    found = []
    for n in range(1, shape.accounts + 1):
        tier = TIERS[0] if n % 10 == 0 else TIERS[1] if n % 10 in (3, 6, 9) else TIERS[2]
        team = TEAMS[1] if n % 10 == 7 else TEAMS[0]
        found.append(AccountSpec(n, team, f"Account{n:05d}", tier, tier == TIERS[2]))
    return found


class _Generator:
    """The rows, a batch of tickets at a time, and the figures they make."""

    def __init__(
        self, shape: Shape, clock_columns: Sequence[str], survey_columns: Sequence[str]
    ) -> None:
        self.shape = shape
        self.rng = random.Random(shape.seed)
        self.accounts = accounts(shape)
        # Some accounts write far more than others.
        weights = [1.0 / (1 + (n % 50)) ** 0.8 for n in range(len(self.accounts))]
        self.account_weights = list(_cumulative(weights))
        self.priority_weights = list(_cumulative(PRIORITY_WEIGHTS))
        self.score_weights = list(_cumulative(SCORE_WEIGHTS))
        self.clock_columns = tuple(clock_columns)
        self.survey_columns = tuple(survey_columns)
        self.month = tuple(t.timestamp() for t in shape.month)
        self.now = END.timestamp()
        self.expected = Expected()
        self.numbers = dict.fromkeys(TEAMS, 0)
        self.clock_id = 0
        self.survey_id = 0
        self.answer_id = 0

    def batches(self) -> Iterator[tuple[list[tuple], list[tuple], list[tuple], list[tuple]]]:
        """Tickets, clock runs, surveys and answers, `BATCH` tickets at a time, oldest first."""
        start = self.shape.start.timestamp()
        span = self.now - start
        rng = self.rng
        opened = sorted(start + rng.random() * span for _ in range(self.shape.tickets))
        for first in range(0, len(opened), BATCH):
            rows: tuple[list[tuple], list[tuple], list[tuple], list[tuple]] = ([], [], [], [])
            for offset, at in enumerate(opened[first : first + BATCH]):
                self._ticket(first + offset + 1, at, *rows)
            yield rows

    def _ticket(
        self,
        ticket_id: int,
        opened: float,
        tickets: list[tuple],
        clocks: list[tuple],
        surveys: list[tuple],
        answers: list[tuple],
    ) -> None:
        rng, now = self.rng, self.now
        account = self.accounts[_pick(rng, self.account_weights)]
        priority = PRIORITIES[_pick(rng, self.priority_weights)]
        first_target, next_target, resolution_target = TARGETS[priority]
        share = BUSINESS_SHARE if account.business_hours else 1.0
        roll = rng.random()
        kind = "resolved"
        for closed_as, chance in CLOSED_AS:
            if roll < chance:
                kind = closed_as
                break
            roll -= chance
        owner = f"U3{rng.randrange(200):06d}"
        self.numbers[account.team_id] += 1
        runs: list[_Run] = []

        # First response: most in time (a lognormal share of the target).
        first = _Run("first_response", 1, opened, first_target * _share(rng, 0.88), first_target)
        runs.append(first)
        answered_at = first.stop(share)
        if rng.random() < 0.5 and answered_at < now:  # the customer wrote again
            start = answered_at + rng.uniform(0.5 * HOUR, DAY)
            runs.append(
                _Run("next_response", 1, start, next_target * _share(rng, 0.85), next_target)
            )
        resolution = _Run(
            "resolution", 1, opened, resolution_target * _share(rng, 0.84), resolution_target
        )
        runs.append(resolution)
        resolved = resolution.stop(share)
        if resolved < now and rng.random() < 0.03:  # reopened a day later
            reopened = _Run(
                "resolution",
                2,
                resolved + DAY,
                resolution_target * _share(rng, 0.84),
                resolution_target,
            )
            runs.append(reopened)
            resolved = reopened.stop(share)
            resolution = reopened
        is_resolved = resolved < now
        # Closed as a duplicate or noise, it is no request; until closed, it is one.
        counted = not (is_resolved and kind in EXCLUDED_RESOLUTIONS)

        ticket_breached = False
        next_due: float | None = None
        for run in runs:
            self.clock_id += 1
            row = run.row(self.clock_id, ticket_id, account, share, now, priority, counted)
            clocks.append(tuple(row[c] for c in self.clock_columns))
            self.expected.clock_runs += 1
            if row["breached_at"] is not None:
                ticket_breached = True
            if row["stopped_at"] is None:
                due = run.start + run.target / share
                next_due = due if next_due is None else min(next_due, due)
            if counted:
                self._count(run, share, now)

        if counted and self.month[0] <= opened < self.month[1]:
            self.expected.opened += 1
        summary = f"Request {ticket_id}: the export to {account.name} fails at step {ticket_id % 7}"
        tickets.append(
            (
                ticket_id,
                account.team_id,
                self.numbers[account.team_id],
                account.id,
                account.channel,
                f"{int(opened)}.{ticket_id % 1_000_000:06d}",
                f"U9{ticket_id % 5000:06d}",
                summary,
                priority,
                "resolved" if is_resolved else "open",
                owner,
                _at(opened),
                _at(answered_at) if answered_at < now else None,
                owner if answered_at < now else None,
                _at(opened + first_target / share),
                _at(resolution.start + resolution.target / share),
                _at(opened),
                _at(answered_at) if answered_at < now else None,
                _at(resolved) if is_resolved else None,
                owner if is_resolved else None,
                "",
                kind if is_resolved else None,
                None if is_resolved else _at(next_due) if next_due else None,
                "breached" if ticket_breached else "ok",
                f"C3{account.id:06d}",
                _at(min(resolved, now) if is_resolved else opened),
            )
        )
        if is_resolved and kind == "resolved" and rng.random() < 0.6:
            self._survey(ticket_id, account, opened, resolved, surveys, answers)

    def _count(self, run: _Run, share: float, now: float) -> None:
        """Add a clock run to the month's expected figures."""
        low, high = self.month
        stop = run.stop(share)
        if stop < now and run.met and low <= stop < high:
            self.expected.met += 1
        breached = run.breached_at(share)
        if breached is not None and breached < now and low <= breached < high:
            self.expected.missed += 1
        if run.kind == "first_response" and stop < now and low <= stop < high:
            self.expected.first_response_business.append(round(run.business, 6))

    def _survey(
        self,
        ticket_id: int,
        account: AccountSpec,
        opened: float,
        asked: float,
        surveys: list[tuple],
        answers: list[tuple],
    ) -> None:
        rng = self.rng
        self.survey_id += 1
        self.expected.surveys_written += 1
        thread = f"{int(opened)}.{ticket_id % 1_000_000:06d}"
        requester = f"U9{ticket_id % 5000:06d}"
        surveys.append(
            (
                self.survey_id,
                account.team_id,
                ticket_id,
                account.id,
                account.channel,
                thread,
                requester,
                _at(asked),
                _at(asked + DAY),
                f"{int(asked)}.000001",
                True,  # asked only of tickets resolved as answered
            )[: len(self.survey_columns)]
        )
        in_month = self.month[0] <= asked < self.month[1]
        if in_month:
            self.expected.surveys += 1
        if rng.random() >= 0.45:
            return
        people = 2 if rng.random() < 0.05 else 1
        if in_month:
            self.expected.answered += 1
        for person in range(people):
            score = SCORES[_pick(rng, self.score_weights)]
            self.answer_id += 1
            self.expected.answers_written += 1
            if in_month:
                self.expected.answers += 1
                self.expected.score_sum += score
            answers.append(
                (
                    self.answer_id,
                    self.survey_id,
                    account.team_id,
                    ticket_id,
                    account.id,
                    requester if person == 0 else f"U8{ticket_id % 5000:06d}",
                    score,
                    "slow" if score <= 2 else "",
                    _at(asked + rng.uniform(60, 20 * HOUR)),
                )
            )


@dataclass(frozen=True)
class _Run:
    """One clock run: when it started and how much business time it took to stop."""

    kind: str
    cycle: int
    start: float
    business: float
    target: float

    @property
    def met(self) -> bool:
        """Stopped within the target."""
        return self.business <= self.target

    def stop(self, share: float) -> float:
        """When it stops (wall time), however far in the future."""
        return self.start + self.business / share

    def breached_at(self, share: float) -> float | None:
        """When it breaches, if it does (running or not)."""
        return None if self.met else self.start + self.target / share

    def row(
        self,
        clock_id: int,
        ticket_id: int,
        account: AccountSpec,
        share: float,
        now: float,
        priority: str,
        counted: bool,
    ) -> dict[str, Any]:
        """The clock row as of `now`: stopped with its outcome, or still running."""
        stop = self.stop(share)
        due = self.start + self.target / share
        breached = self.breached_at(share)
        stopped = stop < now
        if breached is not None and breached >= now:
            breached = None  # not yet
        late = max(0.0, self.business - self.target)
        return {
            "id": clock_id,
            "team_id": account.team_id,
            "ticket_id": ticket_id,
            "account_id": account.id,
            "kind": self.kind,
            "cycle": self.cycle,
            "calendar": "business" if account.business_hours else "24/7",
            "target_seconds": self.target,
            "started_at": _at(self.start),
            "elapsed_before_seconds": round(self.business, 6) if stopped else 0.0,
            "running_since": None if stopped else _at(self.start),
            "due_at": _at(due),
            "next_step_at": None if stopped or breached is not None else _at(due),
            "breached_at": _at(breached) if breached is not None else None,
            "stopped_at": _at(stop) if stopped else None,
            "outcome": ("met" if self.met else "missed") if stopped else None,
            "business_seconds": round(self.business, 6) if stopped else None,
            "late_business_seconds": late if stopped else None,
            "late_wall_seconds": late / share if stopped else None,
            "priority": priority,
            "counted": counted,
        }


def _share(rng: random.Random, in_time: float) -> float:
    """A lognormal multiple of the target, at most 1 with probability `in_time`."""
    sigma = 0.8
    mu = -sigma * _normal_quantile(in_time)
    return math.exp(rng.gauss(mu, sigma))


@cache
def _normal_quantile(p: float) -> float:
    return NormalDist().inv_cdf(p)


def _cumulative(weights: Sequence[float]) -> Iterator[float]:
    total = 0.0
    for w in weights:
        total += w
        yield total


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    return min(bisect(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


def _at(seconds: float) -> datetime:
    # Whole microseconds, as the database keeps them.
    return datetime.fromtimestamp(round(seconds, 6), UTC)


# ---- writing ------------------------------------------------------------------------------


async def write(db: Database, shape: Shape, progress: Callable[[str], None] = print) -> Expected:
    """Fill a migrated, empty database; what the last month's report must show."""
    async with db.engine.connect() as conn:
        clocks, surveys = await conn.run_sync(
            lambda c: [{x["name"] for x in inspect(c).get_columns(t)} for t in TABLES_GROWN]
        )
    generator = _Generator(
        shape,
        [c for c in CLOCK_COLUMNS if c in clocks],
        [c for c in SURVEY_COLUMNS if c in surveys],
    )
    async with db.unit_of_work() as uow:
        await uow.session.execute(
            insert(Account.__table__),
            [
                {
                    "id": a.id,
                    "team_id": a.team_id,
                    "name": a.name,
                    "name_key": a.name.casefold(),
                    "tier": a.tier,
                    "internal_channel_id": f"C3{a.id:06d}",
                    "owners": [],
                    "receipts": True,
                    "calendar": "business" if a.business_hours else "24/7",
                    "source": "config",
                    "created_at": shape.start,
                }
                for a in generator.accounts
            ],
        )
    tables = (
        ("tickets", TICKET_COLUMNS),
        ("sla_clocks", generator.clock_columns),
        ("csat_surveys", generator.survey_columns),
        ("csat_answers", ANSWER_COLUMNS),
    )
    if db.is_sqlite:
        await _write_sqlite(db, generator, tables, progress)
    else:
        await _write_postgres(db, generator, tables, progress)
    return generator.expected


async def _write_sqlite(
    db: Database,
    generator: _Generator,
    tables: Sequence[tuple[str, Sequence[str]]],
    progress: Callable[[str], None],
) -> None:
    """The sqlite3 driver's `executemany`, on a connection of its own, in one transaction."""
    import asyncio

    path = make_url(db.url).database
    assert path, "an SQLite URL names its file"
    await db.close()  # nothing else holds the file while it is written

    def fill() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("BEGIN")
            statements = [
                f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                for name, cols in tables
            ]
            done = 0
            for batch in generator.batches():
                for statement, rows in zip(statements, batch, strict=True):
                    conn.executemany(statement, map(_sqlite_row, rows))
                done += len(batch[0])
                if done % 200_000 == 0:
                    progress(f"  {done:,} tickets written")
            conn.execute("COMMIT")
        finally:
            conn.close()

    await asyncio.to_thread(fill)


def _sqlite_row(row: tuple) -> tuple:
    # The text form SQLAlchemy's SQLite dialect stores (and compares) datetimes in.
    return tuple(
        f"{v:%Y-%m-%d %H:%M:%S.%f}"
        if isinstance(v, datetime)
        else int(v)
        if isinstance(v, bool)
        else v
        for v in row
    )


async def _write_postgres(
    db: Database,
    generator: _Generator,
    tables: Sequence[tuple[str, Sequence[str]]],
    progress: Callable[[str], None],
) -> None:
    """COPY on asyncpg's own connection, a batch at a time; then the id sequences move past
    the ids given, and VACUUM ANALYZE."""
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        schema = await driver.fetchval("SELECT current_schema()")
        done = 0
        for batch in generator.batches():
            async with driver.transaction():
                for (name, cols), rows in zip(tables, batch, strict=True):
                    if rows:
                        await driver.copy_records_to_table(
                            name, records=rows, columns=list(cols), schema_name=schema
                        )
            done += len(batch[0])
            if done % 200_000 == 0:
                progress(f"  {done:,} tickets written")
        for name, _cols in (("accounts", ()), *tables):
            await conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"
                    f" (SELECT coalesce(max(id), 1) FROM {name}))"
                )
            )
        await conn.commit()
        # Outside a transaction (VACUUM refuses one): the state autovacuum soon brings a table
        # after a bulk load, statistics and a visibility map (index-only scans need it).
        names = ", ".join(name for name, _cols in (("accounts", ()), *tables))
        await driver.execute(f"VACUUM ANALYZE {names}")
