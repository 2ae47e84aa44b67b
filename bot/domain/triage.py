"""Triage: which priority a customer's words imply, and which words are only pleasantries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.tickets import Priority


@dataclass(frozen=True)
class TriageRule:
    """Messages containing any of `keywords` (whole words, case-insensitive) get `priority`."""

    priority: Priority
    keywords: tuple[str, ...]


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[\w']+", text.casefold())) + " "


def classify_priority(text: str, rules: Sequence[TriageRule], default: Priority) -> Priority:
    """The most urgent priority whose rule matches `text`, else `default`."""
    haystack = _words(text)
    matched = [
        rule.priority
        for rule in rules
        if any(_words(keyword) in haystack for keyword in rule.keywords if keyword.strip())
    ]
    return min(matched, key=lambda p: p.value) if matched else default


@dataclass(frozen=True)
class FrustrationRule:
    """A customer message scoring below `below` on an account of `tiers` raises the ticket to
    `raise_to` (desk.yml `triage.frustration`; no rule, no change)."""

    below: float
    tiers: tuple[str, ...]
    raise_to: Priority


def raised_priority(
    priority: Priority, score: float | None, tier: str, rule: FrustrationRule | None
) -> Priority:
    """The ticket's priority once a message scoring `score` is taken in: raised (never lowered)
    when the rule applies to the tier and the message is frustrated enough."""
    if rule is None or score is None or tier not in rule.tiers or score >= rule.below:
        return priority
    return min(priority, rule.raise_to, key=lambda p: p.value)


# Where the card's mood words start (VADER's compound score; VADER's authors call a text
# positive above 0.05 and negative below -0.05).
FRUSTRATED_BELOW = -0.5
NEGATIVE_BELOW = -0.05
POSITIVE_ABOVE = 0.05


def mood(score: float | None) -> str:
    """The word the card shows for a sentiment score ("" when there is none)."""
    if score is None:
        return ""
    if score < FRUSTRATED_BELOW:
        return "Frustrated"
    if score < NEGATIVE_BELOW:
        return "Negative"
    if score > POSITIVE_ABOVE:
        return "Positive"
    return "Neutral"
