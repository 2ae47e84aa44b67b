"""The survey rules, pure: when a resolve asks, and what each press of a rating means."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.csat import (
    CsatPolicy,
    Rating,
    RatingOutcome,
    parse_rating,
    rate,
    rating_value,
    should_ask,
)
from bot.domain.tickets import ResolutionKind

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
CLOSES = NOW + timedelta(hours=24)
ON = CsatPolicy()


@pytest.mark.parametrize(
    ("policy", "kind", "last", "asks"),
    [
        (ON, ResolutionKind.RESOLVED, None, True),
        (ON, "resolved", None, True),
        (CsatPolicy(enabled=False), ResolutionKind.RESOLVED, None, False),
        (ON, ResolutionKind.DUPLICATE, None, False),
        (ON, ResolutionKind.NOISE, None, False),
        (ON, None, None, False),
        (ON, ResolutionKind.RESOLVED, NOW - timedelta(hours=23, minutes=59), False),
        (ON, ResolutionKind.RESOLVED, NOW - timedelta(hours=24), True),
        # A delayed survey not yet posted counts as asked (its time is ahead).
        (ON, ResolutionKind.RESOLVED, NOW + timedelta(hours=1), False),
    ],
)
def test_when_a_resolve_asks(policy, kind, last, asks) -> None:
    assert should_ask(policy, kind, last, NOW) is asks


@pytest.mark.parametrize(
    ("score", "previous", "alerted", "now", "expected"),
    [
        (1, None, False, NOW, Rating(RatingOutcome.RECORDED, alert=True)),
        (2, None, False, NOW, Rating(RatingOutcome.RECORDED, alert=True)),
        (3, None, False, NOW, Rating(RatingOutcome.RECORDED)),
        (3, 3, False, NOW, Rating(RatingOutcome.SAME)),
        (1, 1, True, NOW, Rating(RatingOutcome.SAME)),
        (1, 4, False, NOW, Rating(RatingOutcome.CHANGED, alert=True)),
        (2, 1, True, NOW, Rating(RatingOutcome.CHANGED)),
        (1, 5, True, NOW, Rating(RatingOutcome.CHANGED)),  # once per answer
        (5, 1, True, NOW, Rating(RatingOutcome.CHANGED)),
        (1, None, False, CLOSES, Rating(RatingOutcome.CLOSED)),
        (4, 4, False, CLOSES + timedelta(days=3), Rating(RatingOutcome.CLOSED)),
    ],
)
def test_what_a_press_means(score, previous, alerted, now, expected) -> None:
    assert rate(ON, score, previous, alerted, CLOSES, now) == expected


def test_the_low_score_is_the_tiers() -> None:
    assert rate(CsatPolicy(low_score=3), 3, None, False, CLOSES, NOW).alert
    assert not rate(CsatPolicy(low_score=1), 2, None, False, CLOSES, NOW).alert


@pytest.mark.parametrize(
    "value", ["", "7", "7:", ":3", "7:0", "7:6", "x:1", "7:1:1", "٧:١", " 7:1"]
)
def test_a_button_value_that_is_not_a_rating(value: str) -> None:
    assert parse_rating(value) is None


def test_a_rating_value_reads_back() -> None:
    scores = range(1, 6)
    assert [parse_rating(rating_value(42, s)) for s in scores] == [(42, s) for s in scores]
