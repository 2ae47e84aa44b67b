"""The record of every Web API call the emulator answered, and the questions tests ask of it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ApiCall:
    """One Web API call as the emulator received and answered it."""

    method: str
    params: dict[str, Any]
    response: dict[str, Any]
    status: int
    at: float = field(default_factory=time.time)
    headers: dict[str, str] = field(default_factory=dict)  # as sent, minus Authorization


class CallLog:
    """Every call in the order it arrived (response_url posts included)."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []

    def record(self, call: ApiCall) -> None:
        """Keep one answered call."""
        self.calls.append(call)

    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of one method."""
        return [c for c in self.calls if c.method == method]

    @property
    def rate_limited(self) -> int:
        """How many calls were answered 429."""
        return sum(1 for c in self.calls if c.status == 429)

    def rate_limited_calls(self, method: str) -> int:
        """How many calls of one method were answered 429."""
        return sum(1 for c in self.calls if c.method == method and c.status == 429)
