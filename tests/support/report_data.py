"""A month of tickets, clock runs, surveys and audit entries with known report figures.

November 2026 in workspace T0VENDOR (UTC; Sunday 1 November, so its weeks are 2026-W44 (the
1st only) to 2026-W49 (the 30th)). Every figure the report should show is worked out in
`EXPECTED` below, by hand; the store, service and CLI tests assert them on each engine.

Acme (strategic):
  A1 P1, 3 Nov 10:00: first response met (10 min), resolution met (2 h).
  A2 P1, 10 Nov 09:00: first response breached 09:15, stopped 09:30 (15 min business,
     30 min wall); resolution met after 24 h.
  A3 P2, 17 Nov 08:00: first response met (20 min); resolution still running; a next-response
     run breached 18 Nov 10:00, still running.
Globex (standard):
  G1 P3, 4 Nov 12:00: first response met (1 h); resolution breached 6 Nov 12:00, stopped 7 Nov.
  G2 P3, 24 Nov: closed as noise: counts nowhere (its met clock and its answered survey).
  G3 P3, 28 Oct: first response met in October; resolution breached 2 Nov, stops 1 Dec.
October: Acme A0 P2, 5 Oct: first response met (15 min), resolution met (1 d), CSAT 3.
Hooli (growth) is in another workspace (T0SECOND): a ticket on 5 Nov, first response met.

CSAT in November (workspace T0VENDOR): A1 asked, answered 5 and 4 (two customers); A2 asked,
no answer; G1 asked, answered 2.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from store.db import Database
from store.models import (
    Account,
    AuditEntry,
    CsatAnswer,
    CsatSurvey,
    SlaClock,
    Ticket,
)

TEAM, OTHER_TEAM = "T0VENDOR", "T0SECOND"
MONTH = "2026-11"
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # after the month: a past month's report


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    """A time in 2026 (UTC)."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


FORMULA = '=HYPERLINK("http://evil.example")'
MIN = 60.0
HOUR = 3600.0
DAY = 86400.0

# What the November report of T0VENDOR shows, worked out by hand from the data above.
EXPECTED: dict[str, Any] = {
    # (tier, priority, clock) -> (met, missed) over the month
    "attainment": {
        ("strategic", "P1", "first_response"): (1, 1),
        ("strategic", "P1", "resolution"): (2, 0),
        ("strategic", "P2", "first_response"): (1, 0),
        ("strategic", "P2", "next_response"): (0, 1),
        ("standard", "P3", "first_response"): (1, 0),
        ("standard", "P3", "resolution"): (0, 2),
    },
    # (tier, ISO week) -> (met, missed), every clock and priority together
    "weekly": {
        ("strategic", "2026-W45"): (2, 0),  # A1 first response and resolution
        ("strategic", "2026-W46"): (1, 1),  # A2 resolution met (11th), first response missed
        ("strategic", "2026-W47"): (1, 1),  # A3 first response met, next response missed
        ("standard", "2026-W45"): (1, 2),  # G1 first response met; G1, G3 resolutions missed
    },
    "weeks": ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"],
    "met": 5,
    "missed": 4,
    # first response, business: 600, 900, 1200 (strategic), 3600 (standard)
    # first response, wall: 600, 1800, 1200 (strategic), 3600 (standard)
    "first_response": {
        None: {"count": 4, "b50": 1050.0, "b90": 2880.0, "w50": 1500.0, "w90": 3060.0},
        "strategic": {"count": 3, "b50": 900.0, "b90": 1140.0, "w50": 1200.0, "w90": 1680.0},
        "standard": {"count": 1, "b50": 3600.0, "b90": 3600.0, "w50": 3600.0, "w90": 3600.0},
    },
    # resolution: 7200, 86400 (strategic), 259200 (standard); wall the same (24/7)
    "resolution": {
        None: {"count": 3, "b50": 86400.0, "b90": 224640.0, "w50": 86400.0, "w90": 224640.0},
        "strategic": {
            "count": 2,
            "b50": 46800.0,
            "b90": 78480.0,
            "w50": 46800.0,
            "w90": 78480.0,
        },
        "standard": {
            "count": 1,
            "b50": 259200.0,
            "b90": 259200.0,
            "w50": 259200.0,
            "w90": 259200.0,
        },
    },
    # bins: < 5m, 5m-15m, 15m-30m, 30m-1h, 1h-2h, ...: 600 | 900, 1200 | 3600
    "histogram": (0, 1, 2, 0, 1, 0, 0, 0, 0, 0),
    # tier -> (surveys, answered, answers, score sum)
    "csat": {"strategic": (2, 1, 2, 9), "standard": (1, 1, 1, 2)},
    "csat_average": 11 / 3,
    "csat_rate": 2 / 3,
    # account -> (opened, breaches), busiest first
    "accounts": [("Acme", "strategic", 3, 2), ("Globex", "standard", 1, 2)],
    "opened": 4,
    # October: 3 met (A0 x2, G3 first response), 0 missed; opened A0, G3; CSAT 3 of 1 survey.
    "previous": {"met": 3, "missed": 0, "opened": 2, "csat_average": 3.0, "fr_median": 750.0},
}

# Tickets in the export: every row of `tickets`, whatever its workspace or how it closed.
TICKETS_IN_ALL = 8
TICKETS_SINCE_NOV_10 = 3  # A2 (10 Nov), A3 (17 Nov), G2 (24 Nov)
SURVEY_ROWS = 6  # a row per answer, or one for a survey without: A1 x2, A2, G1, G2, A0
EVENTS = 8  # one "opened" audit entry per ticket


class _Seeder:
    def __init__(self) -> None:
        self.accounts: list[dict[str, Any]] = []
        self.tickets: list[dict[str, Any]] = []
        self.clocks: list[dict[str, Any]] = []
        self.surveys: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []

    def account(self, id_: int, team: str, name: str, tier: str) -> int:
        self.accounts.append(
            {
                "id": id_,
                "team_id": team,
                "name": name,
                "name_key": name.casefold(),
                "tier": tier,
                "internal_channel_id": f"C0{name.upper()}INT",
                "owners": [],
                "receipts": True,
                "source": "config",
                "created_at": at(1, month=1),
            }
        )
        return id_

    def ticket(
        self,
        account: int,
        team: str,
        priority: str,
        opened: datetime,
        *,
        resolution_kind: str | None = None,
        resolved: datetime | None = None,
        summary: str = "",
    ) -> int:
        id_ = len(self.tickets) + 1
        self.tickets.append(
            {
                "id": id_,
                "team_id": team,
                "number": id_,
                "account_id": account,
                "channel_id": "C0SHARED",
                "root_ts": f"{opened.timestamp():.6f}",
                "requester_user_id": "U0CUSTOMER",
                "summary": summary or f"request {id_}",
                "priority": priority,
                "status": "resolved" if resolved else "open",
                "opened_at": opened,
                "resolved_at": resolved,
                "resolution_kind": resolution_kind,
                "updated_at": opened,
                "sla_flag": "ok",
                "resolution_note": "",
            }
        )
        self.audit.append(
            {
                "team_id": team,
                "ticket_id": id_,
                "actor": "U0CUSTOMER",
                "action": "opened",
                "detail": {"priority": priority, "text": "=1+1"},
                "at": opened,
            }
        )
        return id_

    def clock(
        self,
        ticket: int,
        kind: str,
        started: datetime,
        *,
        stopped: datetime | None = None,
        breached: datetime | None = None,
        business: float | None = None,
        cycle: int = 1,
    ) -> None:
        row = self.tickets[ticket - 1]
        outcome = None
        if stopped is not None:
            outcome = "missed" if breached is not None else "met"
        self.clocks.append(
            {
                "team_id": row["team_id"],
                "ticket_id": ticket,
                "account_id": row["account_id"],
                "kind": kind,
                "cycle": cycle,
                "calendar": "24/7",
                "target_seconds": 900.0,
                "started_at": started,
                "elapsed_before_seconds": business or 0.0,
                "running_since": None if stopped else started,
                "breached_at": breached,
                "stopped_at": stopped,
                "outcome": outcome,
                "business_seconds": business if stopped else None,
            }
        )

    def survey(self, ticket: int, asked: datetime, *scores: int) -> None:
        row = self.tickets[ticket - 1]
        survey_id = len(self.surveys) + 1
        self.surveys.append(
            {
                "id": survey_id,
                "team_id": row["team_id"],
                "ticket_id": ticket,
                "account_id": row["account_id"],
                "channel_id": "C0SHARED",
                "thread_ts": row["root_ts"],
                "requester_user_id": "U0CUSTOMER",
                "asked_at": asked,
                "closes_at": asked + timedelta(days=1),
            }
        )
        for n, score in enumerate(scores):
            self.answers.append(
                {
                    "survey_id": survey_id,
                    "team_id": row["team_id"],
                    "ticket_id": ticket,
                    "account_id": row["account_id"],
                    "user_id": f"U0CUST{n}",
                    "score": score,
                    "comment": "+ fine" if n == 0 else "",
                    "answered_at": asked + timedelta(hours=1),
                }
            )


def build() -> _Seeder:
    """The rows described in the module's docstring."""
    s = _Seeder()
    acme = s.account(1, TEAM, "Acme", "strategic")
    globex = s.account(2, TEAM, "Globex", "standard")
    hooli = s.account(3, OTHER_TEAM, "Hooli", "growth")
    fr, nr, res = "first_response", "next_response", "resolution"

    # A summary a spreadsheet would run as a formula: the CSV export must defuse it.
    a1 = s.ticket(acme, TEAM, "P1", at(3, 10), resolved=at(3, 12), summary=FORMULA)
    s.clock(a1, fr, at(3, 10), stopped=at(3, 10, 10), business=10 * MIN)
    s.clock(a1, res, at(3, 10), stopped=at(3, 12), business=2 * HOUR)
    s.survey(a1, at(3, 12), 5, 4)

    a2 = s.ticket(acme, TEAM, "P1", at(10, 9), resolved=at(11, 9))
    s.clock(a2, fr, at(10, 9), stopped=at(10, 9, 30), breached=at(10, 9, 15), business=15 * MIN)
    s.clock(a2, res, at(10, 9), stopped=at(11, 9), business=DAY)
    s.survey(a2, at(11, 9))

    a3 = s.ticket(acme, TEAM, "P2", at(17, 8))
    s.clock(a3, fr, at(17, 8), stopped=at(17, 8, 20), business=20 * MIN)
    s.clock(a3, res, at(17, 8))
    s.clock(a3, nr, at(18, 9), breached=at(18, 10))

    g1 = s.ticket(globex, TEAM, "P3", at(4, 12), resolved=at(7, 12))
    s.clock(g1, fr, at(4, 12), stopped=at(4, 13), business=HOUR)
    s.clock(g1, res, at(4, 12), stopped=at(7, 12), breached=at(6, 12), business=3 * DAY)
    s.survey(g1, at(7, 12), 2)

    g2 = s.ticket(globex, TEAM, "P3", at(24, 12), resolution_kind="noise", resolved=at(24, 13))
    s.clock(g2, fr, at(24, 12), stopped=at(24, 12, 5), business=5 * MIN)
    s.clock(g2, res, at(24, 12), stopped=at(24, 13), breached=at(24, 12, 30), business=HOUR)
    s.survey(g2, at(24, 13), 1)

    g3 = s.ticket(globex, TEAM, "P3", at(28, 9, month=10), resolved=at(1, 9, month=12))
    s.clock(g3, fr, at(28, 9, month=10), stopped=at(28, 9, 10, month=10), business=10 * MIN)
    s.clock(
        g3,
        res,
        at(28, 9, month=10),
        stopped=at(1, 9, month=12),
        breached=at(2, 9),
        business=34 * DAY,
    )

    a0 = s.ticket(acme, TEAM, "P2", at(5, 9, month=10), resolved=at(6, 9, month=10))
    s.clock(a0, fr, at(5, 9, month=10), stopped=at(5, 9, 15, month=10), business=15 * MIN)
    s.clock(a0, res, at(5, 9, month=10), stopped=at(6, 9, month=10), business=DAY)
    s.survey(a0, at(6, 9, month=10), 3)

    h1 = s.ticket(hooli, OTHER_TEAM, "P1", at(5, 10), resolved=at(5, 11))
    s.clock(h1, fr, at(5, 10), stopped=at(5, 10, 1), business=MIN)
    return s


async def seed(db: Database) -> _Seeder:
    """Write the rows into a migrated database; what was written."""
    s = build()
    async with db.unit_of_work() as uow:
        for model, rows in (
            (Account, s.accounts),
            (Ticket, s.tickets),
            (SlaClock, s.clocks),
            (CsatSurvey, s.surveys),
            (CsatAnswer, s.answers),
            (AuditEntry, s.audit),
        ):
            if rows:
                await uow.session.execute(insert(model.__table__), rows)
    return s


async def seed_tickets(db: Database, count: int) -> None:
    """`count` more tickets of Acme in December (for exports bigger than a pipe holds)."""
    start = at(1, month=12)
    rows = [
        {
            # Ids given, as `seed` gives them (PostgreSQL's sequence has not moved past them).
            "id": 1000 + n,
            "team_id": TEAM,
            "number": 1000 + n,
            "account_id": 1,
            "channel_id": "C0BULK",
            "root_ts": f"{n}.000100",
            "requester_user_id": "U0CUSTOMER",
            "summary": "a request long enough to fill a pipe quickly " * 4,
            "priority": "P3",
            "status": "open",
            "opened_at": start + timedelta(minutes=n),
            "updated_at": start + timedelta(minutes=n),
            "sla_flag": "ok",
            "resolution_note": "",
        }
        for n in range(count)
    ]
    async with db.unit_of_work() as uow:
        await uow.session.execute(insert(Ticket.__table__), rows)
