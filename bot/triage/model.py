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
        return self.from_scores((values @ self.weights[features]).tolist())

    def from_scores(self, products: list[float]) -> list[float]:
        """P(class) for each class, given the features' products with the weights' columns."""
        scores = [p + b for p, b in zip(products, self.intercept.tolist(), strict=True)]
        if len(self.classes) == 2:
            p = 1.0 / (1.0 + math.exp(-scores[0]))
            return [1.0 - p, p]
        top = max(scores)
        exp = [math.exp(s - top) for s in scores]
        total = sum(exp)
        return [e / total for e in exp]


@dataclass(frozen=True)
class LinearTextModel:
    """Vocabularies and idf of the two feature blocks, and the heads that read them."""

    vocabularies: tuple[dict[str, int], dict[str, int]]  # term -> column: words, characters
    idf: tuple[NDArray[np.float64], NDArray[np.float64]]
    heads: dict[str, Head]
    _word_columns: dict[str, list[int]] = field(default_factory=dict, compare=False, repr=False)
    _idf_lists: tuple[list[float], list[float]] = field(init=False, compare=False, repr=False)
    _all_weights: NDArray[np.float64] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Python floats: indexing a list is several times cheaper than a NumPy scalar read.
        object.__setattr__(self, "_idf_lists", (self.idf[0].tolist(), self.idf[1].tolist()))
        stacked = np.hstack([head.weights for head in self.heads.values()])
        object.__setattr__(self, "_all_weights", np.ascontiguousarray(stacked))

    def features(self, text: str) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """The sparse TF-IDF vector of a plain text: columns and values, each block l2-normed."""
        word_vocabulary = self.vocabularies[0]
        word_columns = [c for t in word_terms(text) if (c := word_vocabulary.get(t)) is not None]
        char_columns = [c for w in words(text) for c in self._char_columns(w)]
        word_ids, word_values = _tf_idf(word_columns, self._idf_lists[0])
        char_ids, char_values = _tf_idf(char_columns, self._idf_lists[1])
        offset = len(word_vocabulary)
        ids = word_ids + [c + offset for c in char_ids]
        return np.array(ids, dtype=np.intp), np.array(word_values + char_values)

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
        # One gather from all heads' weights side by side, then each head its own columns.
        products = (values @ self._all_weights[columns]).tolist()
        predicted = {}
        start = 0
        for name, head in self.heads.items():
            width = head.weights.shape[1]
            predicted[name] = head.from_scores(products[start : start + width])
            start += width
        return predicted

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


def _tf_idf(columns: list[int], idf: list[float]) -> tuple[list[int], list[float]]:
    # As TfidfVectorizer(sublinear_tf=True, norm="l2") computes one block of one row; in plain
    # Python, which for a message's hundred-odd terms beats NumPy's per-call overhead.
    counts = Counter(columns)
    values = [(1.0 + math.log(n)) * idf[c] if n > 1 else idf[c] for c, n in counts.items()]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return list(counts), [v / norm for v in values]


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
