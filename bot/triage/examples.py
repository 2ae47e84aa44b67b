"""The labelled messages the classifier learns from: the repository's set and the team's."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "messages.csv"


class Category(StrEnum):
    """What a request is about."""

    QUESTION = "question"
    BUG = "bug"
    ACCESS = "access"
    BILLING = "billing"
    OUTAGE = "outage"
    FEATURE_REQUEST = "feature_request"
    OTHER = "other"


@dataclass(frozen=True)
class LabelledMessage:
    """A message and what it is: a request (with its category) or chatter (category None)."""

    text: str
    is_request: bool
    category: Category | None


def builtin_examples(split: str | None = None) -> list[LabelledMessage]:
    """The repository's labelled messages, all of them or one split ("train" or "test")."""
    if split not in (None, "train", "test"):
        raise ValueError(f"split must be 'train', 'test' or None, not {split!r}")
    with DATA_FILE.open(newline="", encoding="utf-8") as rows:
        return [
            LabelledMessage(
                text=row["text"],
                is_request=row["is_request"] == "1",
                category=Category(row["category"]) if row["category"] else None,
            )
            for row in csv.DictReader(rows)
            if split is None or row["split"] == split
        ]


def data_digest() -> str:
    """A hash of the labelled file, so a changed file means a new model."""
    return hashlib.sha256(DATA_FILE.read_bytes()).hexdigest()
