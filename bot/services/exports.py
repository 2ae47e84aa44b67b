"""Exports: tickets, CSAT answers and the audit log streamed out of the database, for the
command line (and anything else that wants every row without holding them all)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.clock import Clock
from bot.domain.reports import parse_instant, zone
from store import export_repository
from store.db import Database

EXPORT_KINDS: tuple[str, ...] = tuple(export_repository.EXPORTS)


class ExportService:
    """Streams one export's rows from a read-only snapshot that blocks no writer."""

    def __init__(self, db: Database, clock: Clock, *, timezone: str | ZoneInfo = "UTC") -> None:
        """`timezone`: how a `--since` date without an offset is read (the team's zone)."""
        self.db = db
        self.clock = clock
        self.tz = timezone if isinstance(timezone, ZoneInfo) else zone(timezone)

    def since(self, text: str) -> datetime:
        """A start as people give it (`30d`, `2026-11-01`, `2026-11-01T09:00`); ValueError."""
        return parse_instant(text, self.clock.now(), self.tz)

    @staticmethod
    def columns(kind: str) -> tuple[str, ...]:
        """The columns of one export, in order."""
        if kind not in export_repository.EXPORTS:
            raise ValueError(f"unknown export {kind!r} (use {', '.join(EXPORT_KINDS)})")
        return export_repository.EXPORTS[kind]

    async def rows(
        self, kind: str, *, since: datetime | None = None, team_id: str | None = None
    ) -> AsyncGenerator[Sequence[Any], None]:
        """Every row of the export `kind` (oldest first), read a batch at a time."""
        self.columns(kind)
        async with self.db.snapshot() as conn:
            async for row in export_repository.stream(conn, kind, since=since, team_id=team_id):
                yield row
