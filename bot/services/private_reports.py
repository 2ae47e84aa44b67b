"""A report sent privately to one person: its text in their DM, and a PNG chart under it.

`PrivateReports.send` records one outbox row (kind `report`) and runs it soon after; the
row holds the person, the text and a `ChartRef`, never image bytes: the effect
(bot/services/effects.py) asks a `ReportFiles` for the PNG when it sends, and uploads it into
the thread of the text it posted (why a thread: `DeskEffects._private_report`).
"""

from __future__ import annotations

import struct
import uuid
import zlib
from dataclasses import dataclass
from typing import Any, Protocol

from bot.messages.base import InternalMessage
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from store.db import Database
from store.repositories import Repositories


class ReportFiles(Protocol):
    """Makes the files a report carries, when it is sent (so no bytes wait in the outbox)."""

    async def chart_png(self, team_id: str, period: str) -> bytes:
        """The PNG chart of one install's report for a period ("2026-11")."""
        ...


@dataclass(frozen=True)
class ChartRef:
    """Which chart to make and how it is shown: the file's name, its title, its alt text."""

    period: str
    filename: str
    title: str
    alt_txt: str | None = None

    @classmethod
    def attainment(cls, period: str) -> ChartRef:
        """The SLA attainment chart of a month ("2026-11")."""
        return cls(
            period=period,
            filename=f"attainment-{period}.png",
            title=f"SLA attainment, {period}",
            alt_txt=f"Chart of SLA attainment by tier and priority for {period}",
        )

    def to_json(self) -> dict[str, Any]:
        """As stored in the outbox row's payload."""
        return {
            "period": self.period,
            "filename": self.filename,
            "title": self.title,
            "alt_txt": self.alt_txt,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChartRef:
        """Back from the payload."""
        return cls(
            period=str(data["period"]),
            filename=str(data["filename"]),
            title=str(data["title"]),
            alt_txt=None if data.get("alt_txt") is None else str(data["alt_txt"]),
        )


class PrivateReports:
    """Queues reports for one person's DM: text now (as the outbox posts), the chart with it."""

    def __init__(self, db: Database, outbox: Outbox) -> None:
        self.db = db
        self.outbox = outbox

    async def record(
        self,
        uow: Repositories,
        team_id: str,
        person: str,
        message: InternalMessage,
        chart: ChartRef | None,
        *,
        key: str | None = None,
    ) -> int | None:
        """Add the report's row in the caller's transaction (run it after the commit).

        `key` makes a repeat of the same request a no-op (None: every call is a new report).
        """
        payload: dict[str, Any] = {"target": person, **message.payload()}
        if chart is not None:
            payload["chart"] = chart.to_json()
        return await self.outbox.record(
            uow,
            key or f"report:{person}:{uuid.uuid4().hex}",
            OutboxKind.REPORT,
            team_id,
            payload=payload,
        )

    async def send(
        self,
        team_id: str,
        person: str,
        message: InternalMessage,
        chart: ChartRef | None,
        *,
        key: str | None = None,
    ) -> None:
        """Send `person` (a user id of install `team_id`) the report by DM, not waiting.

        Who may receive it is the caller's check (managers only for `/desk report`); the
        gateway keeps it and its file out of shared channels whatever the caller does.
        """
        async with self.db.unit_of_work() as uow:
            row = await self.record(uow, team_id, person, message, chart, key=key)
        self.outbox.run_soon([row])


class PlaceholderCharts:
    """A plain grey PNG for every chart, until the reports render real ones."""

    def __init__(self, width: int = 320, height: int = 160) -> None:
        self.width = width
        self.height = height

    async def chart_png(self, team_id: str, period: str) -> bytes:
        """The same small image whatever is asked."""
        return solid_png(self.width, self.height, (0xEE, 0xEE, 0xEE))


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour (8-bit RGB), built with the standard library only."""
    row = b"\x00" + bytes(rgb) * width  # each scanline: filter type 0, then the pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * height))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
