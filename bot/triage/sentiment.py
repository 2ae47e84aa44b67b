"""How a customer sounds: VADER's compound score (-1 very negative .. 1 very positive).

VADER is a lexicon and a few rules, tuned on social-media text: short, informal messages such
as a shared channel's. Pure CPU, about half a millisecond for a long message: the score reads a
bounded prefix, so a 40,000-character paste costs what a 2,000-character one does.
"""

from __future__ import annotations

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bot.triage.text import plain, says_anything, unmarked

PREFIX_CHARS = 2_000


class SentimentScorer:
    """Scores a message's sentiment; build one per app (it reads VADER's lexicon once)."""

    def __init__(self) -> None:
        self._vader = SentimentIntensityAnalyzer()

    def score(self, text: str) -> float:
        """The compound score of the message's opening, in [-1, 1]; 0.0 when it says nothing.

        Mentions and links are made plain first (a `<@U…>` is no word of the customer's);
        the text keeps its case and punctuation, which VADER reads ("NOT working!!!").
        """
        opening = text[:PREFIX_CHARS]
        if not says_anything(plain(opening)):
            return 0.0
        compound = self._vader.polarity_scores(unmarked(opening))["compound"]
        return max(-1.0, min(1.0, float(compound)))
