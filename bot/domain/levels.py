"""Numbered levels typed by people: `P2`, `sev1`, or just the digit."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


def parse_level(kind: type[E], text: str, prefix: str, noun: str) -> E:
    """`<prefix>1`..`<prefix>4` (any case, the bare digit accepted) as a member of `kind`."""
    cleaned = text.strip().casefold()
    if cleaned in {"1", "2", "3", "4"}:
        cleaned = prefix.casefold() + cleaned
    for member in kind:
        if member.value.casefold() == cleaned:
            return member
    names = [m.value for m in kind]
    raise ValueError(f"'{text}' is not a {noun} (use {', '.join(names[:-1])} or {names[-1]})")
