"""Values as they go into CSV and JSON files: times in ISO 8601, and text that a spreadsheet
would run as a formula defused."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from typing import Any

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (OWASP "CSV injection"); a quote in front makes it text, as the spreadsheets themselves do.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(text: str) -> str:
    """Text a spreadsheet shows as typed (a leading ' when it would start a formula)."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def json_value(value: Any) -> Any:
    """A value JSON can hold: datetimes as ISO 8601, enums as their value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def csv_cell(value: Any) -> str | int | float:
    """A value as one CSV cell: empty for none, true/false, ISO times, nested data as JSON,
    text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return defuse(str(value))
