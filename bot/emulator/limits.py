"""Rate limits like Slack's: per channel and workspace-wide, answered with 429 + Retry-After."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """Allowed calls of one method: per channel per second and/or workspace-wide windows."""

    per_channel_per_second: float | None = None
    workspace_per_minute: float | None = None
    workspace_calls: int | None = None
    workspace_window_seconds: float = 60.0


class Limits:
    """Sliding-window accounting; `check` says how long to wait (0 when the call may pass)."""

    def __init__(self) -> None:
        self._rules: dict[str, Limit] = {}
        self._channel: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        # Keyed by (method, which rule) so two workspace rules never count a call twice.
        self._workspace: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self.rejected = 0

    def set(
        self,
        method: str,
        per_channel_per_second: float | None = None,
        workspace_per_minute: float | None = None,
        *,
        workspace_calls: int | None = None,
        workspace_window_seconds: float = 60.0,
    ) -> None:
        """Limit a Web API method; `workspace_calls` per any `workspace_window_seconds` window."""
        if workspace_calls is not None and workspace_window_seconds <= 0:
            raise ValueError("workspace_window_seconds must be positive")
        self._rules[method] = Limit(
            per_channel_per_second, workspace_per_minute, workspace_calls, workspace_window_seconds
        )

    def clear(self) -> None:
        """Remove every limit."""
        self._rules.clear()
        self._channel.clear()
        self._workspace.clear()

    def check(self, method: str, channel: str | None) -> int:
        """Record the call if allowed and return 0; else the Retry-After in whole seconds."""
        rule = self._rules.get(method)
        if rule is None:
            return 0
        now = time.monotonic()
        waits = []
        windows: list[tuple[deque[float], float, int]] = []
        if rule.per_channel_per_second and channel:
            # A 1-second window holding at most ceil(rate) calls.
            windows.append(
                (
                    self._channel[(method, channel)],
                    1.0,
                    max(1, math.ceil(rule.per_channel_per_second)),
                )
            )
        if rule.workspace_per_minute:
            windows.append(
                (self._workspace[(method, "minute")], 60.0, max(1, int(rule.workspace_per_minute)))
            )
        if rule.workspace_calls is not None:
            windows.append(
                (
                    self._workspace[(method, "window")],
                    rule.workspace_window_seconds,
                    max(1, rule.workspace_calls),
                )
            )
        for window, span, allowed in windows:
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= allowed:
                waits.append(window[len(window) - allowed] + span - now)
        if waits:
            self.rejected += 1
            # Slack's Retry-After is whole seconds and never 0.
            return max(1, math.ceil(max(waits)))
        for window, _span, _allowed in windows:
            window.append(now)
        return 0
