"""The managers' weekly digest and monthly report: sent once per period, by DM, via the outbox.

Every pass (each minute, and at start) asks the domain which sends are due in each team's
zone; a send is claimed in the digest ledger and its DMs recorded in the same transaction, so a
restart, an overlapping pass or a second replica finds the claim and sends nothing again.
"""

from __future__ import annotations

import logging
from typing import Protocol

from bot.config.desk import DeskConfig
from bot.domain.clock import Clock
from bot.domain.digests import DigestDue, due_now
from bot.messages.base import InternalMessage
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from store.db import Database

log = logging.getLogger("connectdesk.digests")


class DigestContent(Protocol):
    """What a digest says: the figures of the period it covers."""

    async def digest(self, team_id: str, due: DigestDue) -> InternalMessage:
        """The message for `team_id`'s managers about `due`'s period."""
        ...


class DigestService:
    """Sends each due digest once to the team's managers."""

    def __init__(
        self, db: Database, config: DeskConfig, clock: Clock, outbox: Outbox, content: DigestContent
    ) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.outbox = outbox
        self.content = content

    async def send_due(self) -> int:
        """Send what is due now and not yet in the ledger; the number of sends made."""
        now = self.clock.now()
        async with self.db.reading() as uow:
            teams = await uow.accounts.team_ids()
        made = 0
        for team_id in teams:
            team = self.config.team_for(team_id)
            for due in due_now(team.digest_schedule(), now):
                async with self.db.reading() as uow:
                    if await uow.digests.was_sent(team_id, due.key):
                        continue
                message = await self.content.digest(team_id, due)
                if await self._send(team_id, due, team.managers, message):
                    made += 1
        return made

    async def _send(
        self, team_id: str, due: DigestDue, managers: tuple[str, ...], message: InternalMessage
    ) -> bool:
        rows: list[int] = []
        async with self.db.unit_of_work() as uow:
            at = self.clock.now()
            if not await uow.digests.claim(team_id, due.key, due.due_at, at, len(managers)):
                return False  # another pass or replica sent it
            for manager in managers:
                row = await self.outbox.record(
                    uow,
                    f"digest:{team_id}:{due.key}:{manager}",
                    OutboxKind.DM,
                    team_id,
                    payload={"target": manager, **message.payload()},
                )
                if row is not None:
                    rows.append(row)
        log.info("sent %s to %d managers of %s", due.key, len(rows), team_id)
        self.outbox.run_soon(rows)
        return True
