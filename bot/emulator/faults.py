"""Injected faults: Web API calls answered 429 / 500 / slowly, event acks lost and redelivered.

Rates are per call (or per delivery attempt), drawn from a seeded generator so a failing run
can be replayed. A 429 or 500 is answered before the method runs (Slack did nothing), so a
client retry is safe; a slow answer runs the method after the delay. A bad gateway is a proxy
in front of Slack answering 502 with its own HTML page instead of Slack's JSON, labelled in
turn `text/html`, `text/plain` and (wrongly) `application/json`; a share of them come after
Slack did the work (the proxy gave up waiting for the answer).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

RATE_LIMITED = "ratelimited"
SERVER_ERROR = "server_error"
SLOW = "slow"
BAD_GATEWAY = "bad_gateway"
BAD_GATEWAY_TYPES = ("text/html", "text/plain", "application/json")
BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
ACK_LOST = "ack_lost"
NOT_DELIVERED = "not_delivered"


@dataclass
class Faults:
    """How often each fault happens; `counts` says how many were injected."""

    rate_limited: float = 0.0
    retry_after: int = 1
    server_error: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 0.2
    bad_gateway: float = 0.0
    # The share of bad gateways answered after the method ran (a post may have landed).
    bad_gateway_after_work: float = 0.5
    # An event delivery attempt either never reaches the app or its 2xx never reaches Slack.
    event_unacked: float = 0.0
    # Methods never faulted (auth.test: the bot asks it once at start-up).
    spared: frozenset[str] = frozenset({"auth.test"})
    seed: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    @property
    def any(self) -> bool:
        """Whether any fault is switched on."""
        return bool(
            self.rate_limited
            or self.server_error
            or self.slow
            or self.bad_gateway
            or self.event_unacked
        )

    def web_api(self, method: str) -> str | None:
        """The fault for this Web API call, if any (counted)."""
        if method in self.spared:
            return None
        roll = self._random.random()
        for kind, rate in (
            (RATE_LIMITED, self.rate_limited),
            (SERVER_ERROR, self.server_error),
            (SLOW, self.slow),
            (BAD_GATEWAY, self.bad_gateway),
        ):
            if roll < rate:
                self.counts[kind] += 1
                return kind
            roll -= rate
        return None

    def bad_gateway_answer(self) -> tuple[str, bool]:
        """The content type of the next bad gateway page, and whether the method runs first."""
        kind = BAD_GATEWAY_TYPES[(self.counts[BAD_GATEWAY] - 1) % len(BAD_GATEWAY_TYPES)]
        return kind, self._random.random() < self.bad_gateway_after_work

    def event_attempt(self, last: bool) -> str | None:
        """The fault for one event delivery attempt; the last retry is spared.

        Slack drops an event for good after its third retry; sparing that attempt keeps the
        suite measuring the bot rather than Slack giving up.
        """
        if last or self._random.random() >= self.event_unacked:
            return None
        kind = ACK_LOST if self._random.random() < 0.5 else NOT_DELIVERED
        self.counts[kind] += 1
        return kind

    @property
    def injected(self) -> int:
        """How many faults were injected in all."""
        return sum(self.counts.values())
