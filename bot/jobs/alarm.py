"""The timer sweep's alarm: services ring it with a due time, the sweep scheduler listens.

It exists before both, so neither needs the other to be built first: the scheduler sweeps
with the escalation service, whose SLA clocks ring this when a step falls due earlier.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime


class Alarm:
    """Hands each due time rung to every listener (in practice: the sweep scheduler)."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[datetime], None]] = []

    def listen(self, listener: Callable[[datetime], None]) -> None:
        """Call `listener` with every due time rung from now on."""
        self._listeners.append(listener)

    def ring(self, due: datetime) -> None:
        """Something falls due at `due` (the injected clock's time)."""
        for listener in self._listeners:
            listener(due)
