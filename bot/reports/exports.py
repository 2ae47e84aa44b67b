"""Export files: CSV with one header row, or JSON Lines (one object per row), written as the
rows arrive so that memory stays constant."""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterable, Sequence
from typing import Any, TextIO

from bot.reports.cells import csv_cell, json_value

EXPORT_FORMATS = ("csv", "jsonl")


async def write_export(
    rows: AsyncIterable[Sequence[Any]], columns: Sequence[str], fmt: str, out: TextIO
) -> int:
    """Write `rows` to `out` as `fmt`; how many rows were written."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (use {', '.join(EXPORT_FORMATS)})")
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        async for row in rows:
            writer.writerow([csv_cell(value) for value in row])
            count += 1
        return count
    async for row in rows:
        record = {name: json_value(value) for name, value in zip(columns, row, strict=True)}
        out.write(json.dumps(record, ensure_ascii=False, default=str))
        out.write("\n")
        count += 1
    return count
