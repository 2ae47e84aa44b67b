"""Reply drafts: once a ticket is opened, a model drafts a reply for the team, in the background.

Off unless desk.yml has an `llm:` section (no drafter: nothing is asked, nothing is sent). The
request is made after the opening transaction has committed, beside the ticket's receipt and
card, never before them: each ticket's request runs in a lane of its own
(`llm:<team>:<number>`) on a small pool of its own, so a slow or hanging endpoint holds none
of the outbox's workers and delays no receipt, card or alert. A draft that came back is an
outbox row (`OutboxKind.DRAFT`), written in its own transaction, which posts it in the card's
thread once the card is there. A request under way when the process stops is dropped (a draft
is a convenience: the ticket opened and was announced without it); a timeout or an error is
logged and means no draft.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.jobs.lanes import UNRANKED, Lane, Lanes
from bot.llm.drafter import Drafter
from bot.messages.markup import clip
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from bot.services.opening import STORED_TEXT_LIMIT, Opening
from store.db import Database
from store.models import OutboxEntry

log = logging.getLogger("connectdesk.drafts")

# Requests to the endpoint at once; more wait their turn (holding nothing of the desk's).
DRAFT_WORKERS = 4
# Past this many requests waiting or under way, new tickets get no draft (an endpoint that
# hangs during a burst must not pile up work that would arrive long after anyone needs it).
MAX_PENDING = 200
# What of a draft is kept (a Slack section shows about 3,000 characters).
DRAFT_CHARS = 2900


@dataclass(frozen=True)
class DraftRequest:
    """What a draft is asked from: the new ticket and its customer's words."""

    ticket_id: int
    team_id: str
    number: int
    card_channel: str
    question: str


class DraftService:
    """Asks for a reply draft for each new ticket and queues it for the card's thread."""

    def __init__(self, db: Database, outbox: Outbox, drafter: Drafter | None) -> None:
        """`drafter`: None when drafts are off (then `opened` does nothing)."""
        self.db = db
        self.outbox = outbox
        self.drafter = drafter
        self._lanes = Lanes(DRAFT_WORKERS)
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def enabled(self) -> bool:
        """Whether drafts are on (desk.yml has an `llm:` section)."""
        return self.drafter is not None

    @property
    def asking(self) -> int:
        """Drafts being asked for now (waiting for their turn or for the endpoint)."""
        return len(self._tasks)

    def opened(self, openings: Sequence[Opening]) -> None:
        """Tickets just committed: ask for their drafts in the background (never waited for)."""
        if self.drafter is None:
            return
        for opening in openings:
            ticket = opening.ticket
            if ticket is None:
                continue
            if len(self._tasks) >= MAX_PENDING:
                log.warning("no reply draft for #%d: too many drafts waiting", ticket.number)
                continue
            request = DraftRequest(
                ticket_id=ticket.id,
                team_id=ticket.team_id,
                number=ticket.number,
                card_channel=ticket.card_channel_id or opening.account.internal_channel_id,
                question=clip(opening.msg.text, STORED_TEXT_LIMIT),
            )
            task = asyncio.create_task(
                self._draft(request), name=f"llm:{request.team_id}:{request.number}"
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _draft(self, request: DraftRequest) -> None:
        """Ask for one draft (in its ticket's lane); queue it for the card's thread if any."""
        assert self.drafter is not None
        lane = Lane(f"llm:{request.team_id}:{request.number}", UNRANKED)
        try:
            async with self._lanes.turn(lane):
                text = await self.drafter.draft(request.team_id, request.question)
            if text is None:
                return
            row = OutboxEntry(
                key=f"t{request.ticket_id}:draft",
                kind=OutboxKind.DRAFT,
                team_id=request.team_id,
                ticket_id=request.ticket_id,
                payload={"text": clip(text, DRAFT_CHARS), "channel": request.card_channel},
            )
            async with self.db.unit_of_work() as uow:
                added = await self.outbox.record_many(uow, [row])
            self.outbox.run_soon(added)
        except Exception:  # a draft is optional: whatever failed, the ticket goes on without
            log.warning("no reply draft for #%d", request.number, exc_info=True)

    async def idle(self) -> None:
        """Wait until no draft is being asked for (tests, the sandbox's `quiet`)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, grace: float = 10.0) -> None:
        """Let requests under way finish within `grace` seconds (then drop them); close."""
        running = [t for t in self._tasks if not t.done()]
        if running:
            _done, late = await asyncio.wait(running, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self.drafter is not None:
            await self.drafter.close()
