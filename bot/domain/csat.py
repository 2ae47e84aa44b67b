"""Customer satisfaction surveys: when to ask, and what a press of a rating button means.

Pure rules (time comes in as arguments): a resolved ticket is asked once; a re-resolve within
a day of the last survey is not asked again; duplicates and noise never are. Each customer
gives one answer per survey, changeable while the survey is open (the last one counts); a low
score alerts the team once per answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.tickets import ResolutionKind

SCORES = range(1, 6)
# How long answers may be given or changed after the survey is asked.
ANSWER_WINDOW = timedelta(hours=24)
# A ticket re-resolved this soon after its last survey is not asked again.
ASK_AGAIN_AFTER = timedelta(hours=24)
DEFAULT_LOW_SCORE = 2
_RATING = re.compile(r"([0-9]{1,12}):([1-5])")
# Longer than this is more likely a typo than a wish (desk.yml refuses it).
MAX_DELAY = timedelta(days=7)


@dataclass(frozen=True)
class CsatPolicy:
    """A tier's survey settings: asked at all, how long after the resolve, what counts as low."""

    enabled: bool = True
    delay: timedelta = timedelta(0)
    low_score: int = DEFAULT_LOW_SCORE

    def is_low(self, score: int) -> bool:
        """Whether `score` alerts the team."""
        return score <= self.low_score


def should_ask(
    policy: CsatPolicy,
    kind: ResolutionKind | str | None,
    last_asked_at: datetime | None,
    now: datetime,
) -> bool:
    """Whether resolving a ticket now asks its customer for a rating.

    `last_asked_at`: when the ticket's latest survey was (or is to be) asked, if any.
    """
    if not policy.enabled or kind != ResolutionKind.RESOLVED:
        return False
    return last_asked_at is None or now - last_asked_at >= ASK_AGAIN_AFTER


class RatingOutcome(StrEnum):
    """What a press of a rating button did."""

    RECORDED = "recorded"  # a first answer
    CHANGED = "changed"  # a different score replaced the earlier one
    SAME = "same"  # the score already recorded: nothing written
    CLOSED = "closed"  # the survey is past its window: nothing written


@dataclass(frozen=True)
class Rating:
    """The decision on one press: its outcome and whether the team is alerted."""

    outcome: RatingOutcome
    alert: bool = False

    @property
    def writes(self) -> bool:
        """Whether the answer is stored (first or changed)."""
        return self.outcome in (RatingOutcome.RECORDED, RatingOutcome.CHANGED)


def rate(
    policy: CsatPolicy,
    score: int,
    previous: int | None,
    alerted: bool,
    closes_at: datetime,
    now: datetime,
) -> Rating:
    """Decide a press of `score` by someone whose earlier answer was `previous` (None: none).

    `alerted`: that answer already alerted the team (once per answer: a change from 4 to 1
    alerts, from 1 to 2 does not alert again).
    """
    if now >= closes_at:
        return Rating(RatingOutcome.CLOSED)
    if previous == score:
        return Rating(RatingOutcome.SAME)
    outcome = RatingOutcome.RECORDED if previous is None else RatingOutcome.CHANGED
    return Rating(outcome, alert=policy.is_low(score) and not alerted)


def parse_rating(value: str) -> tuple[int, int] | None:
    """A rating button's value `"<survey id>:<score>"`; None if it is not one."""
    match = _RATING.fullmatch(value)
    return (int(match.group(1)), int(match.group(2))) if match else None


def rating_value(survey_id: int, score: int) -> str:
    """The value a rating button carries (read back by `parse_rating`)."""
    return f"{survey_id}:{score}"
