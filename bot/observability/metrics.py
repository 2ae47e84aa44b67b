"""Prometheus metrics of one connectdesk process, owned by the app (no global registry).

`Metrics(multiprocess_dir=...)` is for `connectdesk serve --workers N`: the serving process
and its `connectdesk work` children each write their samples to files in that directory and
the serving process's `/metrics` adds them up (prometheus_client's multiprocess mode).
prometheus_client decides between in-memory and file-backed values once, when it is first
imported, from `PROMETHEUS_MULTIPROC_DIR`; so this module imports it only when a `Metrics` is
built (by then `serve` has set that variable) and refuses a directory it would ignore.

The queue depths are read from the database when scraped (cached a moment): the same figure
whichever process asks, and nothing to keep in step between processes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

log = logging.getLogger("connectdesk.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The classic text format: every Prometheus version reads it.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Slack wants an ack within 3 s: the buckets around it tell how close acks come.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
RECEIPT_BUCKETS = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)
DEPTH_CACHE_SECONDS = 2.0
DEPTH_TIMEOUT_SECONDS = 1.0

# name -> help of the gauges read from the database at scrape time
DEPTH_GAUGES = {
    "connectdesk_inbox_depth": "Events acknowledged and stored, waiting for a worker.",
    "connectdesk_inbox_failed": "Events given up after every attempt (kept in the inbox).",
    "connectdesk_outbox_depth": "Side effects (posts, reactions, edits) waiting or under way.",
    "connectdesk_outbox_failed": "Side effects given up for good (kept for a person to see).",
}

DepthReader = Callable[[], Awaitable[dict[str, int]]]


class Metrics:
    """The counters and histograms of one process, and their exposition."""

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram, values
        from prometheus_client.process_collector import ProcessCollector

        self.multiprocess_dir = multiprocess_dir
        self._reader: DepthReader | None = None
        self._depths = _DepthCache()
        if multiprocess_dir:
            if not getattr(values.ValueClass, "_multiprocess", False):
                raise RuntimeError(
                    f"{MULTIPROC_ENV} must be set before prometheus_client is first imported"
                )
            from prometheus_client.multiprocess import MultiProcessCollector

            # The values live in files; this registry only reads them all back at scrape time.
            own: CollectorRegistry | None = None
            self.registry = CollectorRegistry()
            MultiProcessCollector(self.registry, path=multiprocess_dir)
        else:
            own = self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.registry.register(_DepthCollector(self._depths))
        self.tickets_opened = Counter(
            "connectdesk_tickets_opened",
            "Tickets opened, by the account's tier.",
            ["tier"],
            registry=own,
        )
        self.sla_breaches = Counter(
            "connectdesk_sla_breaches",
            "SLA clock runs that breached (once per run), by tier and clock.",
            ["tier", "clock"],
            registry=own,
        )
        self.ladder_steps = Counter(
            "connectdesk_ladder_steps_fired",
            "Escalation ladder steps fired (each once per clock run, whatever its recipients).",
            registry=own,
        )
        self.slack_calls = Counter(
            "connectdesk_slack_api_calls",
            "HTTP requests to Slack's Web API (each retry counts), by method and outcome.",
            ["method", "outcome"],
            registry=own,
        )
        self.ack_seconds = Histogram(
            "connectdesk_ack_seconds",
            "From an event delivery's arrival to its acknowledgement (stored in the inbox).",
            buckets=ACK_BUCKETS,
            registry=own,
        )
        self.receipt_seconds = Histogram(
            "connectdesk_event_to_receipt_seconds",
            "From a customer's message (Slack's ts) to the receipt in its thread (a new ticket).",
            buckets=RECEIPT_BUCKETS,
            registry=own,
        )

    # ---- recording ---------------------------------------------------------------------------
    def ticket_opened(self, tier: str, count: int = 1) -> None:
        """Tickets opened (call once their transaction committed)."""
        self.tickets_opened.labels(tier=tier).inc(count)

    def breach(self, tier: str, clock: str) -> None:
        """A clock run breached (call once, after the commit that marked it)."""
        self.sla_breaches.labels(tier=tier, clock=clock).inc()

    def steps_fired(self, count: int) -> None:
        """Ladder steps this process won in the ledger (after the commit)."""
        if count:
            self.ladder_steps.inc(count)

    def slack_call(self, method: str, outcome: str) -> None:
        """One HTTP request to the Web API and how it ended."""
        self.slack_calls.labels(method=method, outcome=outcome).inc()

    def acked(self, seconds: float) -> None:
        """An event was stored and may be acknowledged, `seconds` after it arrived."""
        self.ack_seconds.observe(max(seconds, 0.0))

    def receipt_posted(self, seconds: float) -> None:
        """A new ticket's receipt reached its thread, `seconds` after the customer's message."""
        self.receipt_seconds.observe(max(seconds, 0.0))

    # ---- exposition --------------------------------------------------------------------------
    def watch_depths(self, reader: DepthReader) -> None:
        """Where scrapes read the queue depths from (names as in DEPTH_GAUGES)."""
        self._reader = reader

    async def render(self) -> bytes:
        """The text exposition of every metric (depths read fresh, at most every 2 s)."""
        from prometheus_client import generate_latest

        if self._reader is not None:
            await self._depths.refresh(self._reader)
        return generate_latest(self.registry)

    def process_exited(self, pid: int) -> None:
        """A child process is gone: drop its live gauges (its counters keep counting)."""
        if self.multiprocess_dir:
            from prometheus_client.multiprocess import mark_process_dead

            mark_process_dead(pid, self.multiprocess_dir)


class _DepthCache:
    """The last depths read; one read at a time, reused for DEPTH_CACHE_SECONDS."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def refresh(self, reader: DepthReader) -> None:
        async with self._lock:  # scrapes arriving together share one read
            if time.monotonic() - self._read_at < DEPTH_CACHE_SECONDS:
                return
            self._read_at = time.monotonic()
            try:
                self.values = await asyncio.wait_for(reader(), DEPTH_TIMEOUT_SECONDS)
            except Exception as exc:
                # A stale depth would mislead: leave the gauges out; /readyz tells the cause.
                log.warning("could not read queue depths for /metrics: %r", exc)
                self.values = {}


class _DepthCollector:
    """Yields the cached depths as gauges (prometheus_client's custom collector protocol)."""

    def __init__(self, depths: _DepthCache) -> None:
        self._depths = depths

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        for name, value in self._depths.values.items():
            if name in DEPTH_GAUGES:
                yield GaugeMetricFamily(name, DEPTH_GAUGES[name], value=value)
