"""Keeps the triage cards of swept tickets current in the background (their SLA state)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from bot.services.presenter import TicketPresenter
from store.db import Database

log = logging.getLogger("connectdesk.cards")

PASS = 500  # tickets read per pass (well under the databases' bound-parameter limits)


class CardRefresher:
    """Edits cards after the sweep without holding it up; a ticket asked for twice is read once.

    Each pass reads the tickets as they are stored, so a card edited late (the edit budget is
    small) still shows the ticket's current state, not the sweep's older copy.
    """

    def __init__(self, db: Database, presenter: TicketPresenter) -> None:
        self.db = db
        self.presenter = presenter
        self._wanted: set[int] = set()
        self._task: asyncio.Task[None] | None = None

    def want(self, ticket_ids: Iterable[int]) -> None:
        """Refresh these tickets' cards soon (the caller has committed their change)."""
        self._wanted.update(ticket_ids)
        if self._wanted and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._run(), name="card-refresh")

    async def _run(self) -> None:
        while self._wanted:
            batch = sorted(self._wanted)[:PASS]
            self._wanted.difference_update(batch)
            try:
                async with self.db.reading() as uow:
                    tickets = await uow.tickets.by_ids(batch)
            except Exception:  # cards are best effort: the ticket's next change edits it again
                log.exception("could not read %d tickets to refresh their cards", len(batch))
                continue
            # Each card is its own message; the gateway paces channels and the edit budget.
            done = await asyncio.gather(
                *(self.presenter.refresh(t, receipt=False) for t in tickets),
                return_exceptions=True,
            )
            for ticket, outcome in zip(tickets, done, strict=True):
                if isinstance(outcome, Exception):
                    log.error("card of ticket %s not refreshed: %r", ticket.id, outcome)

    async def idle(self) -> None:
        """Wait until no card is being refreshed (tests, demo)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])

    async def close(self, grace: float = 10.0) -> None:
        """Let a pass under way finish within `grace` seconds, then cancel it."""
        task, self._task = self._task, None
        if task is None:
            return
        _done, late = await asyncio.wait([task], timeout=grace)
        for pending in late:
            pending.cancel()
        await asyncio.gather(task, return_exceptions=True)
