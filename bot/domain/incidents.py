"""Incident vocabulary: severities, states, who is affected, and each channel's delivery state."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.domain.levels import parse_level


class Severity(StrEnum):
    """How bad an incident is, for staff only (customers never see the label)."""

    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"
    SEV4 = "sev4"

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse `sev1`..`sev4` (case-insensitive, `1`..`4` accepted); ValueError otherwise."""
        return parse_level(cls, text, "sev", "severity")


class IncidentStatus(StrEnum):
    """Where an incident stands; the customer-facing status line shows its label."""

    INVESTIGATING = "investigating"
    RESOLVED = "resolved"


class PostState(StrEnum):
    """One channel's delivery of one incident post."""

    PENDING = "pending"
    SENDING = "sending"  # claimed and maybe sent: checked against the channel before a retry
    SENT = "sent"
    FAILED = "failed"


class PostKind(StrEnum):
    """What an incident post is: the notice, an update in its thread, or the closing reply."""

    NOTICE = "notice"
    UPDATE = "update"
    CLOSING = "closing"


# When customers are told to expect the next update, unless desk.yml says otherwise.
DEFAULT_UPDATE_EVERY: dict[Severity, timedelta] = {
    Severity.SEV1: timedelta(minutes=30),
    Severity.SEV2: timedelta(hours=1),
    Severity.SEV3: timedelta(hours=2),
    Severity.SEV4: timedelta(hours=4),
}


@dataclass(frozen=True)
class Audience:
    """Which accounts an incident affects: all of them, some tiers, and/or named accounts."""

    everyone: bool = False
    tiers: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def describe(self) -> str:
        """Short internal description, e.g. `all accounts` or `tier:strategic, Globex`."""
        if self.everyone:
            return "all accounts"
        return ", ".join([f"tier:{t}" for t in self.tiers] + list(self.names))

    def includes(self, name: str, tier: str) -> bool:
        """Whether an account with this name and tier is affected."""
        return (
            self.everyone
            or tier.casefold() in {t.casefold() for t in self.tiers}
            or name.casefold() in {n.casefold() for n in self.names}
        )


_SPLIT = re.compile(r"\s*,\s*")


def parse_audience(text: str) -> Audience:
    """Parse `all`, `tier:<tier>` and account names, comma-separated; ValueError if empty."""
    parts = [p.strip() for p in _SPLIT.split(text.strip()) if p.strip()]
    if not parts:
        raise ValueError("say which accounts are affected: `all`, `tier:<tier>` or names")
    if any(p.casefold() == "all" for p in parts):
        return Audience(everyone=True)
    tiers: list[str] = []
    names: list[str] = []
    for part in parts:
        if part.casefold().startswith("tier:"):
            tier = part.split(":", 1)[1].strip()
            if not tier:
                raise ValueError("`tier:` needs a tier name, e.g. `tier:strategic`")
            tiers.append(tier.casefold())
        else:
            names.append(part)
    return Audience(tiers=tuple(tiers), names=tuple(names))


@dataclass(frozen=True)
class PostTally:
    """Where one post's deliveries stand: its place in the order, its kind, rows per state."""

    seq: int
    kind: str
    states: Mapping[str, int]
