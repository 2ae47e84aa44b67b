"""A linear text model: TF-IDF over words and character n-grams, logistic regression heads.

scikit-learn fits it; scoring is done here from the fitted vocabulary, idf and weights (a dict
lookup per term and one small dot product), which keeps a call near 100 µs where scikit-learn's
own transform and predict cost several times that per single message. The parameters are plain
arrays and strings, so the model is saved without pickle and loaded without running code.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bot.triage.text import (
    CHAR_NGRAMS,
    TOKEN_PATTERN,
    WORD_NGRAMS,
    char_terms,
    word_terms,
    words,
)

__all__ = ["CHAR_NGRAMS", "WORD_NGRAMS", "Head", "LinearTextModel", "Target", "fit"]

# Character n-grams are made within words, so each word's columns are remembered: messages
# reuse words, and a lookup is cheaper than slicing a word into n-grams again.
_WORDS_REMEMBERED = 50_000


@dataclass(frozen=True)
class Target:
    """What one head learns: a label per text (None: not learnt from), C, solver, weighting."""

    labels: Sequence[str | None]
    c: float
    solver: str
    balanced: bool = False


@dataclass(frozen=True)
class Head:
    """One logistic regression over the features: its classes, weights and intercepts.

    Two classes are one sigmoid (scikit-learn's binary form: one row of weights, for the
    second class); more are a softmax.
    """

    classes: tuple[str, ...]
    weights: NDArray[np.float64]  # (features, rows): one column per class, or one for binary
    intercept: NDArray[np.float64]  # (rows,)

    def probabilities(self, features: NDArray[np.intp], values: NDArray[np.float64]) -> list[float]:
        """P(class) for each class, given the sparse feature vector."""
        scores = values @ self.weights[features] + self.intercept
        if len(self.classes) == 2:
            p = 1.0 / (1.0 + math.exp(-float(scores[0])))
            return [1.0 - p, p]
        exp = np.exp(scores - scores.max())
        return [float(x) for x in exp / exp.sum()]


@dataclass(frozen=True)
class LinearTextModel:
    """Vocabularies and idf of the two feature blocks, and the heads that read them."""

    vocabularies: tuple[dict[str, int], dict[str, int]]  # term -> column: words, characters
    idf: tuple[NDArray[np.float64], NDArray[np.float64]]
    heads: dict[str, Head]
    _word_columns: dict[str, list[int]] = field(default_factory=dict, compare=False, repr=False)

    def features(self, text: str) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """The sparse TF-IDF vector of a plain text: columns and values, each block l2-normed."""
        word_vocabulary, char_vocabulary = self.vocabularies
        blocks = (
            Counter(c for t in word_terms(text) if (c := word_vocabulary.get(t)) is not None),
            Counter(c for w in words(text) for c in self._char_columns(w)),
        )
        columns: list[int] = []
        values: list[float] = []
        offset = 0
        for counts, idf, vocabulary in zip(blocks, self.idf, self.vocabularies, strict=True):
            block = [(1.0 + math.log(n)) * idf[c] for c, n in counts.items()]
            norm = math.sqrt(sum(v * v for v in block)) or 1.0
            columns += [offset + c for c in counts]
            values += [v / norm for v in block]
            offset += len(vocabulary)
        return np.fromiter(columns, np.intp, len(columns)), np.fromiter(values, float, len(values))

    def _char_columns(self, word: str) -> list[int]:
        known = self._word_columns.get(word)
        if known is None:
            vocabulary = self.vocabularies[1]
            known = [c for t in char_terms(word) if (c := vocabulary.get(t)) is not None]
            if len(self._word_columns) >= _WORDS_REMEMBERED:
                self._word_columns.clear()
            self._word_columns[word] = known
        return known

    def predict(self, text: str) -> dict[str, list[float]]:
        """Each head's class probabilities for a plain text."""
        columns, values = self.features(text)
        return {name: head.probabilities(columns, values) for name, head in self.heads.items()}

    def save(self, directory: Path) -> None:
        """Write the model as `model.json` and `model.npz` in `directory` (no pickle)."""
        arrays: dict[str, NDArray[np.float64]] = {}
        for i, idf in enumerate(self.idf):
            arrays[f"idf{i}"] = idf
        for name, head in self.heads.items():
            arrays[f"{name}.weights"] = head.weights
            arrays[f"{name}.intercept"] = head.intercept
        with (directory / "model.npz").open("wb") as out:
            np.savez(out, **arrays)  # type: ignore[arg-type]
        meta = {
            "vocabularies": [sorted(v, key=v.__getitem__) for v in self.vocabularies],
            "heads": {name: list(head.classes) for name, head in self.heads.items()},
        }
        (directory / "model.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> LinearTextModel:
        """Read a model `save` wrote; arrays only (allow_pickle=False), so nothing runs."""
        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        with np.load(directory / "model.npz", allow_pickle=False) as arrays:
            words, chars = ({t: i for i, t in enumerate(v)} for v in meta["vocabularies"])
            return cls(
                vocabularies=(words, chars),
                idf=(arrays["idf0"], arrays["idf1"]),
                heads={
                    name: Head(
                        tuple(classes), arrays[f"{name}.weights"], arrays[f"{name}.intercept"]
                    )
                    for name, classes in meta["heads"].items()
                },
            )


def fit(
    texts: Sequence[str],
    targets: dict[str, Target],
    weights: Sequence[float],
) -> LinearTextModel:
    """Fit the vectorizers on `texts` and one logistic regression per target.

    `targets` names each head. scikit-learn is imported here only: a process that loads a saved
    model never pays for it.
    """
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    vectorizers = [
        TfidfVectorizer(ngram_range=WORD_NGRAMS, token_pattern=TOKEN_PATTERN, sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True),
    ]
    blocks = [v.fit_transform(texts) for v in vectorizers]
    matrix = hstack(blocks).tocsr()
    heads: dict[str, Head] = {}
    for name, target in targets.items():
        labels = target.labels
        rows = [i for i, label in enumerate(labels) if label is not None]
        regression = LogisticRegression(
            C=target.c,
            solver=target.solver,
            class_weight="balanced" if target.balanced else None,
            max_iter=5_000,
        )
        # One BLAS thread: on a busy machine the default pool oversubscribes the cores and the
        # same fit takes ten times longer.
        with threadpool_limits(limits=1):
            regression.fit(
                matrix[rows], [labels[i] for i in rows], sample_weight=[weights[i] for i in rows]
            )
        heads[name] = Head(
            classes=tuple(str(c) for c in regression.classes_),
            weights=np.ascontiguousarray(regression.coef_.T, dtype=np.float64),
            intercept=np.asarray(regression.intercept_, dtype=np.float64),
        )
    words, chars = ({str(t): int(i) for t, i in v.vocabulary_.items()} for v in vectorizers)
    word_idf, char_idf = (np.asarray(v.idf_, dtype=np.float64) for v in vectorizers)
    return LinearTextModel(vocabularies=(words, chars), idf=(word_idf, char_idf), heads=heads)
