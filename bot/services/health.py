"""Account health: each account's score read from the store (`HealthScores`), and the periodic
check that writes it to the health ledger and tells a crossing into *at risk* (`HealthWatch`).

The check runs every few minutes (schedules/periodic.py). The managers' Home reads the ledger
it writes, never the figures themselves, so the Home stays as cheap as it was. A crossing is
claimed in the ledger and its DMs recorded in the outbox in one transaction: a restart, an
overlapping pass or a second replica finds the claim and tells nobody again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config.desk import DeskConfig
from bot.domain.clock import Clock
from bot.domain.health import (
    HEALTH_WINDOW_DAYS,
    TREND_WINDOW_DAYS,
    Band,
    Health,
    HealthFigures,
    after_check,
    assess,
)
from bot.domain.reports import zone
from bot.messages.health import AccountHealthLine, crossed_into_risk
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from bot.services.home import HomeService
from store.db import Database
from store.health_repository import Checked, HealthReadings
from store.models import HealthState
from store.report_repository import Range, ReportRepository
from store.repositories import Repositories

log = logging.getLogger("connectdesk.health")


@dataclass(frozen=True)
class AccountStanding:
    """An account's figures as health reads them, and its score."""

    account_id: int
    name: str
    owners: tuple[str, ...]
    figures: HealthFigures
    health: Health

    def line(self) -> AccountHealthLine:
        """The account as a list shows it."""
        return AccountHealthLine(
            self.name, self.health.score, self.health.band, self.health.reasons
        )


class HealthScores:
    """Reads every account's figures (one grouped statement per factor) and scores them."""

    def __init__(self, db: Database, config: DeskConfig) -> None:
        self.db = db
        self.config = config

    async def standings(
        self, team_id: str, now: datetime, account_id: int | None = None
    ) -> list[AccountStanding]:
        """Each account's (or one account's) figures and health at `now`, by name."""
        since = now - timedelta(days=HEALTH_WINDOW_DAYS)
        recent = now - timedelta(days=TREND_WINDOW_DAYS)
        before = recent - timedelta(days=TREND_WINDOW_DAYS)
        async with self.db.snapshot() as conn:
            readings = HealthReadings(conn)
            accounts = await readings.accounts(team_id, account_id)
            if not accounts:
                return []
            counts = await ReportRepository(conn).account_health(Range(since, now, team_id))
            volume = await readings.volume(team_id, before, recent, now)
            sentiment = await readings.sentiment(team_id, since, now)
            open_p1 = await readings.open_p1(team_id)
        today = now.astimezone(zone(self.config.team_for(team_id).timezone)).date()
        found = []
        for account in accounts:
            c = counts.get(account.account_id)
            v = volume.get(account.account_id)
            s = sentiment.get(account.account_id)
            figures = HealthFigures(
                clocks_met=c.met if c else 0,
                breaches=c.missed if c else 0,
                csat_average=c.csat_average if c else None,
                csat_answers=c.answers if c else 0,
                opened_recent=v.recent if v else 0,
                opened_before=v.before if v else 0,
                negative_messages=s.negative if s else 0,
                scored_messages=s.scored if s else 0,
                open_p1=open_p1.get(account.account_id, 0),
                renewal_date=account.renewal_date,
            )
            health = assess(figures, today, self.config.health)
            found.append(
                AccountStanding(account.account_id, account.name, account.owners, figures, health)
            )
        return found

    async def flagged(self, team_id: str, now: datetime) -> list[AccountHealthLine]:
        """The accounts at risk or on watch, worst first (the digest)."""
        standings = await self.standings(team_id, now)
        lines = [s.line() for s in standings if s.health.band is not Band.HEALTHY]
        return sorted(lines, key=lambda line: line.score)


class HealthWatch:
    """The periodic check: scores into the ledger, and each crossing into at risk told once."""

    def __init__(
        self,
        db: Database,
        config: DeskConfig,
        clock: Clock,
        scores: HealthScores,
        outbox: Outbox,
        home: HomeService,
    ) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.scores = scores
        self.outbox = outbox
        self.home = home

    async def check(self) -> int:
        """Score every account of every workspace; how many crossings were told."""
        async with self.db.reading() as uow:
            teams = await uow.accounts.team_ids()
        told = 0
        for team_id in teams:
            told += await self._check(team_id)
        return told

    async def _check(self, team_id: str) -> int:
        now = self.clock.now()
        standings = await self.scores.standings(team_id, now)
        checked = {
            s.account_id: Checked(s.account_id, s.health.band, s.health.score, s.health.reasons)
            for s in standings
        }
        rules = self.config.health
        rows: list[int] = []
        told = 0
        async with self.db.unit_of_work() as uow:
            await uow.health.add_absent(team_id, checked.values(), now)
            states = await uow.health.of_team(team_id)
            shown_changed = False
            for standing in standings:
                state = states.get(standing.account_id)
                if state is None:
                    continue  # the account went away meanwhile
                found = checked[standing.account_id]
                if _moved(state, found):
                    shown_changed = shown_changed or _shown(state, found)
                    await uow.health.record(state, found, now)
                alerting = after_check(state.alerted, found.score, rules)
                if alerting.alert_now:
                    crossing = await uow.health.claim_crossing(state.id)
                    if crossing is not None:  # None: another pass or replica told it
                        rows += await self._tell(uow, team_id, standing, crossing)
                        told += 1
                elif state.alerted and not alerting.alerted:
                    await uow.health.rearm(state.id)
            if shown_changed:
                await self.home.team_changed(uow, team_id)
        if told:
            log.info("%d account(s) of %s crossed into at risk", told, team_id)
        self.outbox.run_soon(rows)
        return told

    async def _tell(
        self, uow: Repositories, team_id: str, standing: AccountStanding, crossing: int
    ) -> list[int]:
        """Record the DMs of one crossing: the account's owners, then the managers."""
        message = crossed_into_risk(standing.line())
        people = dict.fromkeys((*standing.owners, *self.config.team_for(team_id).managers))
        rows = []
        for person in people:
            row = await self.outbox.record(
                uow,
                f"health:{team_id}:{standing.account_id}:{crossing}:{person}",
                OutboxKind.DM,
                team_id,
                payload={"target": person, **message.payload()},
            )
            if row is not None:
                rows.append(row)
        return rows


def _moved(state: HealthState, found: Checked) -> bool:
    """Whether the check found anything the ledger does not say yet."""
    return (state.band, state.score, tuple(state.reasons or ())) != (
        found.band,
        found.score,
        found.reasons,
    )


def _shown(state: HealthState, found: Checked) -> bool:
    """Whether the managers' Home shows the change (it lists accounts not healthy)."""
    return state.band != found.band or found.band != Band.HEALTHY
