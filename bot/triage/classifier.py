"""Request or chatter, and which kind of request: the decision intake acts on."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bot.triage.examples import Category, LabelledMessage, builtin_examples
from bot.triage.model import LinearTextModel
from bot.triage.store import ModelCache
from bot.triage.text import plain, says_anything
from bot.triage.training import CHATTER

__all__ = [
    "Category",
    "LabelledMessage",
    "ModelCache",
    "RequestClassifier",
    "TriageDecision",
    "builtin_examples",
    "load_classifier",
    "train_classifier",
]

# A message is a request when P(request) reaches this; unsure ones open a ticket (a missed
# request is worse than an extra ticket, which `/desk noise` closes). Measured on the held-out
# split with `python -m bench.triage`: request recall stays on its plateau (0.98) from 0.3 up to
# here, while the chatter opened as tickets falls from 10.3 % to 4.5 %; above it recall drops.
REQUEST_THRESHOLD = 0.5

REQUEST_HEAD = "request"
KIND_HEAD = "kind"


@dataclass(frozen=True)
class TriageDecision:
    """Whether a message is a request, its likeliest category, and P(request)."""

    is_request: bool
    category: Category
    confidence: float


_NOTHING = TriageDecision(is_request=False, category=Category.OTHER, confidence=0.0)


class RequestClassifier:
    """Decides request / not a request and the category of one message (pure CPU)."""

    def __init__(self, model: LinearTextModel, threshold: float = REQUEST_THRESHOLD) -> None:
        self._model = model
        self._threshold = threshold
        kinds = model.heads[KIND_HEAD].classes
        self._chatter = kinds.index(CHATTER)
        self._kinds = [None if k == CHATTER else Category(k) for k in kinds]

    def decide(self, text: str) -> TriageDecision:
        """The decision for a message; empty, emoji- or markup-only ones are never requests."""
        cleaned = plain(text)
        if not says_anything(cleaned):
            return _NOTHING
        predicted = self._model.predict(cleaned)
        kinds = predicted[KIND_HEAD]
        # The mean of the two heads' P(request): each errs on different messages.
        p_request = (predicted[REQUEST_HEAD][1] + 1.0 - kinds[self._chatter]) / 2
        best = max((i for i in range(len(kinds)) if i != self._chatter), key=kinds.__getitem__)
        category = self._kinds[best] or Category.OTHER
        return TriageDecision(
            is_request=p_request >= self._threshold, category=category, confidence=p_request
        )


def train_classifier(
    extra: Sequence[LabelledMessage] = (),
    *,
    cache: ModelCache | None = None,
    cache_dir: Path | None = None,
) -> RequestClassifier:
    """The classifier trained on every repository example plus the team's `extra` examples.

    Every row, the held-out split too: `bench.triage` measures the same training on the train
    split alone, and the app's model gains from the held-out phrasings.

    Trained at most once per `cache` for the same data and extras, and kept on disk (its
    directory; without a cache, `cache_dir` or the user's cache directory) so the next process
    only reads it.
    """
    models = cache or ModelCache(cache_dir)
    return RequestClassifier(models.model(builtin_examples(), tuple(extra)))


async def load_classifier(
    extra: Sequence[LabelledMessage] = (),
    *,
    cache: ModelCache | None = None,
    cache_dir: Path | None = None,
) -> RequestClassifier:
    """`train_classifier` off the event loop (a worker thread): training takes seconds."""
    return await asyncio.to_thread(
        partial(train_classifier, tuple(extra), cache=cache, cache_dir=cache_dir)
    )
