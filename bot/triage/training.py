"""How the model is trained: which examples, which weights, which regularisation."""

from __future__ import annotations

from collections.abc import Sequence

from bot.triage import model
from bot.triage.examples import LabelledMessage
from bot.triage.model import LinearTextModel, Target
from bot.triage.text import plain

# The team's own labels (`/desk noise`) speak for their channels: each counts as this many
# examples of the repository's, so one correction moves its near-duplicates.
EXTRA_WEIGHT = 8.0
C = 10.0
CHATTER = "chatter"
# Part of the model's identity: a change here means a new model, also on disk.
SETTINGS = (
    f"v3 words{model.WORD_NGRAMS} chars{model.CHAR_NGRAMS} extra={EXTRA_WEIGHT} C={C} "
    "request:liblinear-balanced kind:newton-cg"
)


def train_model(
    examples: Sequence[LabelledMessage], extra: Sequence[LabelledMessage] = ()
) -> LinearTextModel:
    """Fit two heads on every example: request or not, and kind (chatter or a category).

    Two views of the same question, averaged by the classifier: on the held-out split the
    average separates requests from chatter better than either (bench/README.md).
    """
    rows = [*examples, *extra]
    return model.fit(
        texts=[plain(m.text) for m in rows],
        targets={
            "request": Target(
                ["yes" if m.is_request else "no" for m in rows], C, "liblinear", True
            ),
            "kind": Target([_kind(m) for m in rows], C, "newton-cg"),
        },
        weights=[1.0] * len(examples) + [EXTRA_WEIGHT] * len(extra),
    )


def _kind(message: LabelledMessage) -> str | None:
    # A request labelled without a category teaches "request", not a category: the kind head
    # skips it rather than learn it as chatter.
    if not message.is_request:
        return CHATTER
    return message.category.value if message.category else None
