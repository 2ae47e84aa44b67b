"""Triage of customer messages: request or chatter, its category, and how the customer sounds.

The classifier is trained (or read from its cache) once, at start, off the event loop, from the
repository's labelled set plus each workspace's saved examples (`/desk noise`): a label saved
while running is learnt at the next start. Deciding is pure CPU, about 0.1 ms a message, done in
the event worker (never on the ack path).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from bot.triage.classifier import (
    Category,
    LabelledMessage,
    ModelCache,
    RequestClassifier,
    TriageDecision,
    load_classifier,
)
from bot.triage.sentiment import SentimentScorer
from store.db import Database
from store.models import TriageExample

log = logging.getLogger("connectdesk.triage")

# Trains (or reads) a classifier from the repository's examples plus these.
ClassifierLoader = Callable[[Sequence[LabelledMessage]], Awaitable[RequestClassifier]]


def cached_loader(cache: ModelCache | None = None) -> ClassifierLoader:
    """The app's loader: one model cache (memory and disk) for every classifier it loads."""
    return partial(load_classifier, cache=cache or ModelCache())


class NotLoaded(RuntimeError):
    """Triage was asked before the app loaded its classifier (`MessageTriage.start`)."""


class MessageTriage:
    """Decides what a customer's message is, with the classifier of its workspace."""

    def __init__(
        self, db: Database, loader: ClassifierLoader, sentiment: SentimentScorer | None = None
    ) -> None:
        self.db = db
        self.loader = loader
        self.scorer = sentiment or SentimentScorer()
        self._base: RequestClassifier | None = None
        self._by_team: dict[str, RequestClassifier] = {}

    async def start(self) -> None:
        """Load the classifiers once: the shared one, and one per workspace that saved examples
        (a workspace's labels speak for its own channels only)."""
        async with self.db.reading() as uow:
            saved = await uow.triage.examples()
        by_team: dict[str, list[LabelledMessage]] = {}
        for row in saved:
            by_team.setdefault(row.team_id, []).append(_labelled(row))
        self._base = await self.loader(())
        self._by_team = {team: await self.loader(extra) for team, extra in by_team.items()}
        log.info(
            "request classifier loaded (%d workspace(s) with their own examples, %d example(s))",
            len(by_team),
            len(saved),
        )

    def decide(self, team_id: str, text: str) -> TriageDecision:
        """Request or chatter, and its category (unsure: a request)."""
        classifier = self._by_team.get(team_id, self._base)
        if classifier is None:
            raise NotLoaded("the request classifier is loaded by MessageTriage.start()")
        return classifier.decide(text)

    def sentiment(self, text: str) -> float:
        """The message's sentiment score, -1 (very negative) to 1 (very positive)."""
        return self.scorer.score(text)


def _labelled(row: TriageExample) -> LabelledMessage:
    category = Category(row.category) if row.category in set(Category) else None
    return LabelledMessage(row.text, row.is_request, category if row.is_request else None)
