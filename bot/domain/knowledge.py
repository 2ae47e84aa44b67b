"""The knowledge base's pure rules: a question's words, the search query built from them, how
much of a question an article covers, and the excerpt a customer is shown.

The search engine (SQLite FTS5 with bm25, PostgreSQL full-text search) ranks articles; coverage
decides whether the best one answers the question well enough for the bot to send it alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

# The least share of a question's words the best article must cover to be sent by the bot.
DEFAULT_THRESHOLD = 0.6
# A question is searched on its first words only: a pasted log must not cost a slow query.
MAX_QUERY_WORDS = 24
# How much of a question is looked at at all (a 40,000-character paste is cut to this first).
MAX_QUERY_CHARS = 2000
EXCERPT_CHARS = 240
# The words of a question actually searched for (the rarest in the base; see `telling`).
SEARCHED_WORDS = 12
FALLBACK_WORDS = 3
MIN_ARTICLES_TO_PRUNE = 20
MATCH_BUDGET = 1000

_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing about what is asked (a short list: the engines stem, we only filter).
STOP_WORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being
    below between both but by can cannot could did do does doing done down during each few for
    from further get got had has have having he her here hers him his how i if in into is it its
    itself just let me more most my myself need needs no nor not now of off on once only or other
    our ours out over own please same she should so some still such than thank thanks that the
    their theirs them then there these they this those through to too under until up us very
    want was we were what when where which while who whom why will with would you your yours
    hi hello hey team guys folks anyone someone since today yesterday tomorrow morning""".split()
)
_SUFFIXES = ("ing", "ed", "es", "s")


class Audience(StrEnum):
    """Who an article is written for: customers may be sent it; internal ones never leave us."""

    CUSTOMER = "customer"
    INTERNAL = "internal"


@dataclass(frozen=True)
class Match:
    """An article the engine found for a question: its rank score (higher is better) and the
    share of the question's words it covers (0 to 1)."""

    slug: str
    title: str
    audience: str
    url: str | None
    excerpt: str
    score: float
    coverage: float


def stem(word: str) -> str:
    """A crude stem, so "exports", "exported" and "exporting" count as "export", and "rotate",
    "rotates" and "rotating" as "rotat"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def words(text: str) -> list[str]:
    """The words of `text` that say what it is about, lower-case, in order, each once."""
    found = _WORD.findall(text[:MAX_QUERY_CHARS].lower())
    return list(dict.fromkeys(w for w in found if w not in STOP_WORDS and len(w) > 1))


def query_terms(text: str) -> list[str]:
    """The words a search is made of: at most `MAX_QUERY_WORDS`, plain [a-z0-9] only (so no
    customer text ever reaches the engine's query syntax)."""
    return words(text)[:MAX_QUERY_WORDS]


def vocabulary(text: str) -> frozenset[str]:
    """Every word of an article (title, tags and body), stemmed, for `coverage`."""
    return frozenset(stem(w) for w in _WORD.findall(text.lower()) if w not in STOP_WORDS)


def telling(
    terms: Sequence[str], documents: Mapping[str, int], total: int, limit: int = SEARCHED_WORDS
) -> list[str]:
    """The question's words worth searching for, rarest first: at most `limit`, together in
    at most `MATCH_BUDGET` articles, never one in more than half of the `total` articles
    (`documents`: articles per stemmed word); the rarest `FALLBACK_WORDS` always.

    bm25 and ts_rank weigh a word by its rarity, so a word found in most articles adds next to
    nothing to the order, while matching it makes the engine rank most of the base: leaving the
    commonest out keeps the best matches on top and the query fast whatever the base's size.
    """
    if total < MIN_ARTICLES_TO_PRUNE:
        return list(terms[:limit])
    counted = sorted(
        ((documents.get(stem(t), 0), n, t) for n, t in enumerate(terms)), key=lambda c: c[:2]
    )
    chosen: list[str] = []
    matched = 0
    for count, _n, term in counted:
        if len(chosen) >= limit:
            break
        fits = count * 2 <= total and matched + count <= MATCH_BUDGET
        if len(chosen) < FALLBACK_WORDS or fits:
            chosen.append(term)
            matched += count
    return chosen


def fts5_query(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression: any of the terms (each quoted, so none is an operator)."""
    return " OR ".join(f'"{t}"' for t in terms)


def tsquery(terms: Sequence[str]) -> str:
    """A PostgreSQL `to_tsquery` expression: any of the terms."""
    return " | ".join(terms)


def coverage(question: Iterable[str], article: frozenset[str]) -> float:
    """The share of the question's words (stemmed) found in an article's `vocabulary`."""
    asked = {stem(w) for w in question}
    if not asked:
        return 0.0
    return len(asked & article) / len(asked)


_MARKUP = re.compile(r"[*_`>#]+|\[([^\]]*)\]\([^)]*\)")


def plain(markdown: str) -> str:
    """Markdown as plain text: links keep their words, emphasis and headings their text."""
    return _MARKUP.sub(lambda m: m.group(1) or "", markdown)


def excerpt(body: str, limit: int = EXCERPT_CHARS) -> str:
    """The article's first paragraph as plain text, cut at a word within `limit` characters."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    prose = [p for p in paragraphs if not p.lstrip().startswith("#")] or paragraphs or [""]
    text = " ".join(plain(prose[0]).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def best_for_customer(matches: Sequence[Match], threshold: float) -> Match | None:
    """The customer article the bot may answer with: the one covering most of the question
    (the engine's order breaks ties), if it covers at least `threshold`; internal ones never."""
    best: Match | None = None
    for match in matches:
        if match.audience != Audience.CUSTOMER:
            continue
        if best is None or match.coverage > best.coverage:
            best = match
    return best if best is not None and best.coverage >= threshold else None
