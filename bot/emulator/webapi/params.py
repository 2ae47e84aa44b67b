"""What every Web API method shares: Slack's error codes, and reading the parameters it takes."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator.workspace import Install, ts_key

Answer = dict[str, Any]
# One Web API method: its parameters and the install whose token called it, to Slack's answer.
Method = Callable[[dict[str, Any], Install], Awaitable[Answer]]


class ApiError(Exception):
    """A Slack error code (`channel_not_found`, ...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def need(params: dict[str, Any], name: str) -> str:
    """A required parameter; `invalid_arguments` when missing or empty."""
    value = params.get(name)
    if value in (None, ""):
        raise ApiError("invalid_arguments")
    return str(value)


def blocks_of(params: dict[str, Any]) -> list[dict[str, Any]]:
    """`blocks` as a list (JSON text or a list), at most 50."""
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except json.JSONDecodeError:
            raise ApiError("invalid_blocks") from None
    if blocks is None:
        return []
    if not isinstance(blocks, list) or len(blocks) > 50:
        raise ApiError("invalid_blocks")
    return blocks


def flag(params: dict[str, Any], name: str) -> bool:
    """A boolean parameter."""
    # slack_sdk sends booleans as "1"/"0" in query strings; JSON bodies carry real booleans.
    return str(params.get(name, "")).strip().lower() in {"1", "true"}


def limit_of(params: dict[str, Any], default: int, most: int) -> int:
    """`limit`, between 1 and `most`; `default` when absent or 0."""
    raw = params.get("limit")
    if raw in (None, "", 0, "0"):
        return default
    try:
        return max(1, min(int(raw), most))
    except (TypeError, ValueError):
        raise ApiError("invalid_limit") from None


def bound(params: dict[str, Any], name: str) -> tuple[int, int] | None:
    """`oldest` or `latest` as a sort key, if given."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return ts_key(str(raw))
    except ValueError:
        raise ApiError(f"invalid_ts_{name}") from None


def cursor_of(params: dict[str, Any]) -> tuple[int, int] | None:
    """Where a page starts, from `cursor`, if given."""
    raw = params.get("cursor")
    if raw in (None, ""):
        return None
    try:
        # Slack's cursors are base64 of "next_ts:<ts>"; callers must treat them as opaque.
        decoded = base64.b64decode(str(raw), validate=True).decode()
        return ts_key(decoded.removeprefix("next_ts:"))
    except ValueError:
        raise ApiError("invalid_cursor") from None


def next_cursor(ts: str) -> str:
    """The cursor of the page starting at `ts`."""
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def within(
    key: tuple[int, int],
    oldest: tuple[int, int] | None,
    latest: tuple[int, int] | None,
    inclusive: bool,
) -> bool:
    """Whether a message's sort key falls between `oldest` and `latest`."""
    if oldest is not None and (key < oldest or (key == oldest and not inclusive)):
        return False
    return latest is None or key < latest or (key == latest and inclusive)


def metadata_of(params: dict[str, Any]) -> dict[str, Any] | None:
    """chat.postMessage `metadata` (event_type + event_payload), if given."""
    raw = params.get("metadata")
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise ApiError("invalid_metadata_format") from None
    if not isinstance(raw, dict):
        raise ApiError("invalid_metadata_format")
    event_type, payload = raw.get("event_type"), raw.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        raise ApiError("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": payload}


def view_of(params: dict[str, Any]) -> dict[str, Any]:
    """`view` as an object (JSON text or an object)."""
    view = params.get("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except json.JSONDecodeError:
            raise ApiError("invalid_arguments") from None
    if not isinstance(view, dict):
        raise ApiError("invalid_arguments")
    return view
