"""What a write statement reports back."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def rows_changed(result: Result[Any]) -> int:
    """How many rows an INSERT, UPDATE or DELETE changed (0 if the driver cannot tell).

    A session's `execute` is typed as returning any Result; for a write it is a CursorResult.
    """
    return cast("CursorResult[Any]", result).rowcount or 0
