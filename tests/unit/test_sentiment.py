"""Sentiment: VADER's compound score on a bounded prefix, mentions made plain, bad input safe;
the card's mood words and the frustration rule that may raise a ticket's priority."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.tickets import Priority
from bot.domain.triage import FrustrationRule, mood, raised_priority
from bot.triage.sentiment import PREFIX_CHARS, SentimentScorer


@pytest.fixture(scope="module")
def scorer() -> SentimentScorer:
    return SentimentScorer()


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Awful. Exports are broken AGAIN and we are losing data, this is unacceptable", -1, -0.5),
        ("The export button produces an empty file since the update", -0.5, -0.05),
        ("Can you reset the password for our admin account?", -0.05, 0.05),
        ("Thanks so much, great work, we love the new dashboard!", 0.5, 1),
    ],
)
def test_scores_fall_where_a_reader_would_put_them(scorer, text, low, high):
    assert low <= scorer.score(text) <= high


@pytest.mark.parametrize("text", ["", "   \n\t", "🎉", ":tada: :+1:", "<@U0123ABCD>", "<!here>"])
def test_nothing_said_scores_neutral(scorer, text):
    assert scorer.score(text) == 0.0


def test_a_mention_is_not_a_word_of_the_customer(scorer):
    # "<!channel>" read as text would not be a word either; the score is the words' alone.
    assert scorer.score("<!channel> this is terrible") == scorer.score("@here this is terrible")
    assert scorer.score("<@U0BAD> great") == scorer.score("@user great")


def test_a_40000_character_message_is_scored_on_its_opening(scorer):
    opening = "This is awful, nothing works and nobody answers. "
    long_text = opening * 900
    assert len(long_text) > 40_000
    assert scorer.score(long_text) == scorer.score(long_text[:PREFIX_CHARS])
    assert scorer.score(long_text) < -0.5


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=3_000))
def test_any_text_gets_a_score_in_range(scorer, text):
    assert -1.0 <= scorer.score(text) <= 1.0


@pytest.mark.parametrize(
    ("score", "word"),
    [
        (None, ""),
        (-1.0, "Frustrated"),
        (-0.51, "Frustrated"),
        (-0.5, "Negative"),
        (-0.06, "Negative"),
        (-0.05, "Neutral"),
        (0.0, "Neutral"),
        (0.05, "Neutral"),
        (0.06, "Positive"),
        (1.0, "Positive"),
    ],
)
def test_mood_words(score, word):
    assert mood(score) == word


RULE = FrustrationRule(below=-0.5, tiers=("strategic",), raise_to=Priority.P1)


@pytest.mark.parametrize(
    ("priority", "score", "tier", "rule", "expected"),
    [
        (Priority.P3, -0.8, "strategic", RULE, Priority.P1),
        (Priority.P3, -0.5, "strategic", RULE, Priority.P3),  # at the bound: not below it
        (Priority.P3, -0.8, "standard", RULE, Priority.P3),  # another tier
        (Priority.P3, None, "strategic", RULE, Priority.P3),  # no score
        (Priority.P3, -0.9, "strategic", None, Priority.P3),  # no rule configured
        (Priority.P1, -0.9, "strategic", RULE, Priority.P1),
        # Never lowered: a P1 stays P1 under a rule that raises to P2.
        (
            Priority.P1,
            -0.9,
            "strategic",
            FrustrationRule(-0.5, ("strategic",), Priority.P2),
            Priority.P1,
        ),
        (
            Priority.P4,
            -0.9,
            "strategic",
            FrustrationRule(-0.5, ("strategic",), Priority.P2),
            Priority.P2,
        ),
    ],
)
def test_the_frustration_rule(priority, score, tier, rule, expected):
    assert raised_priority(priority, score, tier, rule) is expected


@given(
    priority=st.sampled_from(Priority),
    score=st.none() | st.floats(-1, 1),
    raise_to=st.sampled_from(Priority),
)
def test_the_rule_never_lowers_a_priority(priority, score, raise_to):
    rule = FrustrationRule(-0.5, ("strategic",), raise_to)
    raised = raised_priority(priority, score, "strategic", rule)
    assert raised.value <= priority.value
    assert raised in (priority, raise_to)
