"""Held Web API calls: a test pauses one call mid-flight, e.g. to kill the app while it waits.

A hold catches the first call of its method that matches (channel, words in the text) and
pauses it either after Slack did the work (`landed=True`: the message is recorded, the answer
is what waits) or before (`landed=False`: nothing is recorded; once released the call is
answered with an error and never does its work, as if the request had been lost).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Hold:
    """One call to catch; `reached` once it is held, released by `release()`."""

    method: str
    channel: str | None = None
    text_contains: str | None = None
    landed: bool = True
    caught: dict[str, Any] | None = None
    _reached: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _released: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        """Whether a call is the one this hold waits for."""
        if self.caught is not None or method != self.method:
            return False
        # files.completeUploadExternal names its channel `channel_id`, its text otherwise.
        channel = params.get("channel") or params.get("channel_id")
        if self.channel is not None and channel != self.channel:
            return False
        text = str(params.get("text") or params.get("initial_comment") or "")
        return self.text_contains is None or self.text_contains in text

    async def reached(self, within: float = 10.0) -> dict[str, Any]:
        """Wait until the call is held; its parameters."""
        await asyncio.wait_for(self._reached.wait(), within)
        assert self.caught is not None
        return self.caught

    def release(self) -> None:
        """Let the held call answer (a `landed=False` one answers an error, having done nothing)."""
        self._released.set()

    async def pause(self) -> None:
        """Hold the caught call until released."""
        self._reached.set()
        await self._released.wait()


class Holds:
    """The holds a test has set; each catches one call."""

    def __init__(self) -> None:
        self._waiting: list[Hold] = []
        self._set: list[Hold] = []

    def add(self, hold: Hold) -> Hold:
        """Catch the next call that matches `hold`."""
        self._waiting.append(hold)
        self._set.append(hold)
        return hold

    def take(self, method: str, params: dict[str, Any]) -> Hold | None:
        """The hold this call is caught by, if any (each hold catches one call only)."""
        for hold in self._waiting:
            if hold.matches(method, params):
                self._waiting.remove(hold)
                hold.caught = params
                return hold
        return None

    def release_all(self) -> None:
        """Let every held call go (the emulator is stopping)."""
        for hold in self._set:
            hold.release()
