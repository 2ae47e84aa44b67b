"""Whether this process can do its job: database reachable, schema current, Slack token good."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from store import migrate

# Probes from a load balancer and Kubernetes together share one check in this window.
CACHE_SECONDS = 5.0
CHECK_TIMEOUT_SECONDS = 3.0
OK = "ok"


@dataclass(frozen=True)
class ReadyReport:
    """Each check's answer: "ok" or what is wrong."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """True when every check said ok."""
        return all(answer == OK for answer in self.checks.values())

    @property
    def failed(self) -> list[str]:
        """The names of the checks that did not say ok."""
        return [name for name, answer in self.checks.items() if answer != OK]


class Readiness:
    """Runs the readiness checks, at most once per CACHE_SECONDS, each bounded in time."""

    def __init__(
        self,
        database_url: str,
        auth_problem: Callable[[], Awaitable[str | None]],
        *,
        cache_seconds: float = CACHE_SECONDS,
        timeout: float = CHECK_TIMEOUT_SECONDS,
    ) -> None:
        self.database_url = database_url
        self._auth_problem = auth_problem
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self._last: ReadyReport | None = None
        self._at = float("-inf")
        self._lock = asyncio.Lock()

    async def report(self) -> ReadyReport:
        """The checks' answers, fresh or from the last few seconds."""
        async with self._lock:  # probes arriving together share one round of checks
            if self._last is None or time.monotonic() - self._at >= self.cache_seconds:
                self._last = await self._check()
                self._at = time.monotonic()
            return self._last

    async def _check(self) -> ReadyReport:
        (database, schema), slack = await asyncio.gather(self._database(), self._slack())
        return ReadyReport({"database": database, "schema": schema, "slack": slack})

    async def _database(self) -> tuple[str, str]:
        """Whether the database answers, and whether its schema is this version's (one trip)."""
        not_checked = "not checked: the database did not answer"
        try:
            status = await asyncio.wait_for(migrate.status(self.database_url), self.timeout)
        except TimeoutError:
            return f"no answer within {self.timeout:g}s", not_checked
        except Exception as exc:  # refused, unknown host, bad password, unreadable file...
            return f"unreachable: {type(exc).__name__}: {_first_line(exc)}", not_checked
        if status.current is not None and not migrate.ships(status.current):
            # Migrated by a newer version during a rolling upgrade: migrations are additive,
            # so this replica keeps working while it drains (docs/deployment.md).
            return OK, OK
        return OK, status.problem(self.database_url) or OK

    async def _slack(self) -> str:
        """Whether Slack accepts our token right now (auth.test)."""
        try:
            problem = await asyncio.wait_for(self._auth_problem(), self.timeout)
        except TimeoutError:
            return f"auth.test: no answer within {self.timeout:g}s"
        return problem or OK


def _first_line(exc: BaseException) -> str:
    # Driver messages can run to many lines (SQL, parameters); the first says what happened.
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""
