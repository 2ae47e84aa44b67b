"""Durations as people write them in desk.yml: 90s, 15m, 4h, 2d, 1h30m."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)\s*([smhdw])")
_FORMS = "use forms like 90s, 15m, 4h, 2d or 1h30m"


def parse_duration(text: str) -> timedelta:
    """Parse a duration such as `90s`, `15m`, `4h`, `2d`, `1h30m`; ValueError otherwise."""
    cleaned = str(text).strip().lower()
    if not cleaned:
        raise ValueError(f"empty duration ({_FORMS})")
    compact = re.sub(r"\s+", "", cleaned)
    if not re.fullmatch(r"(\d+[smhdw])+", compact):
        raise ValueError(f"'{text}' is not a duration ({_FORMS})")
    seconds = sum(int(n) * _UNITS[u] for n, u in _PART.findall(compact))
    if seconds <= 0:
        raise ValueError(f"'{text}' must be longer than zero ({_FORMS})")
    return timedelta(seconds=seconds)


def format_duration(td: timedelta) -> str:
    """A compact human form of a duration: `1h 30m`, `45s`, `2d 3h`."""
    seconds = int(abs(td.total_seconds()))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    text = " ".join(parts[:2]) or "0s"
    return f"-{text}" if td < timedelta(0) else text
