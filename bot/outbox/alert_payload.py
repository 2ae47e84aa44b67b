"""An alert's context as JSON, so the decision can be stored in the outbox row that sends it."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Any

from bot.messages.alerts import AlertContext

_DATETIMES = ("due_at", "now")


def context_to_json(ctx: AlertContext) -> dict[str, Any]:
    """The context with its dates as ISO strings."""
    data = asdict(ctx)
    for name in _DATETIMES:
        data[name] = data[name].isoformat() if data[name] is not None else None
    data["renewal_date"] = ctx.renewal_date.isoformat() if ctx.renewal_date else None
    return data


def context_from_json(data: dict[str, Any]) -> AlertContext:
    """The context back from `context_to_json`."""
    known = {f.name for f in fields(AlertContext)}
    values = {k: v for k, v in data.items() if k in known}
    for name in _DATETIMES:
        if values.get(name) is not None:
            values[name] = datetime.fromisoformat(values[name])
    if values.get("renewal_date"):
        values["renewal_date"] = date.fromisoformat(values["renewal_date"])
    return AlertContext(**values)
