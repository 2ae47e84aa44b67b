"""What the classifier reads of a message: a bounded prefix, Slack markup made plain, the terms."""

from __future__ import annotations

import re

# A 40,000-character message costs what a 1,000-character one does: its opening says enough.
PREFIX_CHARS = 1_000
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)
# The same token pattern is given to scikit-learn's vectorizer when training (model.py).
TOKEN_PATTERN = r"(?u)\b\w+\b"

_TOKEN = re.compile(TOKEN_PATTERN)
_SPACES = re.compile(r"\s\s+")
_MARKUP = [
    (re.compile(r"<[@][UW][A-Z0-9]+(?:\|[^>]*)?>"), " @user "),
    (re.compile(r"<!(?:here|channel|everyone)[^>]*>"), " @here "),
    (re.compile(r"<!subteam\^[A-Z0-9]+(?:\|[^>]*)?>"), " @group "),
    (re.compile(r"<#C[A-Z0-9]+(?:\|[^>]*)?>"), " #channel "),
    (re.compile(r"<(?:https?|mailto):[^|>]*\|([^>]*)>"), r" \1 link "),
    (re.compile(r"<(?:https?|mailto):[^>]*>"), " link "),
]
# What is left once markup, emoji codes and symbols are gone: a message with none says nothing.
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-']+:")
_WORDISH = re.compile(r"[^\W_]")


def plain(text: str) -> str:
    """The bounded prefix of `text`, lowercased, with mentions and links as plain tokens."""
    return unmarked(text[:PREFIX_CHARS]).lower()


def unmarked(text: str) -> str:
    """`text` with Slack's mentions and links as plain tokens (case and punctuation kept)."""
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return text


def says_anything(text: str) -> bool:
    """Whether a plain text has a letter or digit besides mentions, links and emoji."""
    stripped = _EMOJI_CODE.sub(" ", text)
    for token in (" @user ", " @here ", " @group ", " #channel ", " link "):
        stripped = stripped.replace(token, " ")
    return _WORDISH.search(stripped) is not None


def word_terms(text: str) -> list[str]:
    """Word unigrams and bigrams, as scikit-learn's word analyzer makes them."""
    tokens = _TOKEN.findall(text)
    low, high = WORD_NGRAMS
    terms = tokens[:] if low == 1 else []
    for n in range(max(low, 2), high + 1):
        terms += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return terms


def words(text: str) -> list[str]:
    """The whitespace-separated words that character n-grams are made within."""
    return text.split()


def char_terms(text: str) -> list[str]:
    """Character n-grams inside padded words, as scikit-learn's `char_wb` analyzer makes them."""
    low, high = CHAR_NGRAMS
    terms: list[str] = []
    for word in _SPACES.sub(" ", text).split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            terms += [padded[i : i + n] for i in range(max(size - n + 1, 1))]
            if size <= n:  # the whole word is already in: scikit-learn stops there too
                break
    return terms
