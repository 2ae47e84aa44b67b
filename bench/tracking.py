"""Follows the emulator's record of Web API calls to see when each ticket was fully handled."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from bot.emulator import Emulator

TOKEN = re.compile(r"req(\d{7})")


@dataclass
class Ticket:
    """One customer post and when the bot finished each thing it owes it (emulator time)."""

    channel: str
    ts: str
    sent_at: float = 0.0
    reacted_at: float | None = None
    receipt_at: float | None = None
    card_at: float | None = None

    @property
    def done_at(self) -> float | None:
        """When the last of 👀, receipt and card arrived; None while any is missing."""
        times = (self.reacted_at, self.receipt_at, self.card_at)
        return None if None in times else max(times)  # type: ignore[type-var]


@dataclass
class Tracker:
    """Reads only the calls it has not seen yet, so polling stays cheap."""

    emu: Emulator
    by_ts: dict[str, Ticket] = field(default_factory=dict)
    by_index: dict[int, Ticket] = field(default_factory=dict)
    _seen: int = 0

    def expect(self, index: int, ticket: Ticket) -> None:
        """Track a post that should become a ticket; its text carries `req<index>`."""
        self.by_ts[ticket.ts] = ticket
        self.by_index[index] = ticket

    def poll(self) -> None:
        """Fold in the calls recorded since the last poll."""
        calls = self.emu.calls
        for call in calls[self._seen :]:
            if call.status != 200 or not call.response.get("ok"):
                continue
            params = call.params
            if call.method == "reactions.add":
                ticket = self.by_ts.get(str(params.get("timestamp")))
                if ticket is not None and ticket.reacted_at is None:
                    ticket.reacted_at = call.at
            elif call.method == "chat.postMessage":
                ticket = self.by_ts.get(str(params.get("thread_ts")))
                if ticket is not None and ticket.receipt_at is None:
                    ticket.receipt_at = call.at
                    continue
                found = TOKEN.search(json.dumps(params.get("blocks")) + params.get("text", ""))
                card = self.by_index.get(int(found.group(1))) if found else None
                if card is not None and card.card_at is None and not params.get("thread_ts"):
                    card.card_at = call.at
        self._seen = len(calls)

    def done(self, tickets: list[Ticket]) -> bool:
        """Whether every one of these tickets is fully handled."""
        self.poll()
        return all(t.done_at is not None for t in tickets)
