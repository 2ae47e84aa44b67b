"""Durations as people write them in desk.yml: 90s, 15m, 4h, 2d, 1w, 1h30m, 1d 4h."""

from __future__ import annotations

import re
from datetime import timedelta

# Largest first: parts must follow this order, each unit at most once.
_UNITS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_SHOWN = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
_FORMS = "use a whole number and a unit s, m, h, d or w, like 90s, 15m, 4h, 2d, 1h30m or 1d 4h"
_WHOLE = re.compile(r"(?:\d+\s*[a-z]+\s*)+")
_PART = re.compile(r"(\d+)\s*([a-z]+)")


def parse_duration(text: str) -> timedelta:
    """Parse a positive duration like `90s`, `15m`, `4h`, `2d`, `1w`, `1h30m` or `1d 4h`."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a duration ({_FORMS})")
    cleaned = text.strip().lower()
    if not cleaned:
        raise ValueError(f"empty duration ({_FORMS})")
    if cleaned.isdigit():
        raise ValueError(f"'{text}' has no unit ({_FORMS})")
    if not _WHOLE.fullmatch(cleaned):
        raise ValueError(f"'{text}' is not a duration ({_FORMS})")
    order = list(_UNITS)
    last = -1
    seconds = 0
    for number, unit in _PART.findall(cleaned):
        if unit not in _UNITS:
            raise ValueError(f"'{text}': unknown unit '{unit}' ({_FORMS})")
        # Out-of-order or repeated units (`30m1h`, `1h 1h`) are more likely typos than intent.
        if order.index(unit) <= last:
            raise ValueError(f"'{text}': give units from largest to smallest, each once ({_FORMS})")
        last = order.index(unit)
        if len(number) > 12:
            raise ValueError(f"'{text}' is too long for a duration")
        seconds += int(number) * _UNITS[unit]
    if seconds == 0:
        raise ValueError(f"'{text}' is zero; a duration must be longer than zero ({_FORMS})")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"'{text}' is too long for a duration") from None


def format_duration(td: timedelta) -> str:
    """Compact form with the two largest non-zero units, rounded down: `1h 30m`, `2d 3h`, `0s`."""
    remaining = abs(td) // timedelta(seconds=1)
    parts = []
    for unit, size in _SHOWN:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    if not parts:
        return "0s"
    text = " ".join(parts[:2])
    return f"-{text}" if td < timedelta(0) else text
