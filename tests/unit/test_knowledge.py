"""The knowledge base's pure rules and its article files: words, the engines' queries, coverage,
the excerpt, which words are searched, the bot's pick, and front matter read or refused."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config.kb import ArticleFile, parse_article
from bot.domain.knowledge import (
    Match,
    best_for_customer,
    coverage,
    excerpt,
    fts5_query,
    query_terms,
    stem,
    telling,
    tsquery,
    vocabulary,
    words,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi team, our exports are failing!", ["exports", "failing"]),
        ("How do I rotate my API key?", ["rotate", "api", "key"]),
        ("<!channel> <@U0MIA> exports", ["channel", "u0mia", "exports"]),
        ("", []),
        ("thanks!!", []),
    ],
)
def test_words_keep_what_a_question_is_about(text: str, expected: list[str]) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    ("word", "stemmed"),
    [
        ("exports", "export"),
        ("exported", "export"),
        ("exporting", "export"),
        ("ssl", "ssl"),
        ("keys", "key"),
        ("is", "is"),
    ],
)
def test_stem(word: str, stemmed: str) -> None:
    assert stem(word) == stemmed


@pytest.mark.parametrize(
    ("question", "article", "share"),
    [
        ("exports failing", "Scheduled exports failing or stuck", 1.0),
        ("rotate leaked api key", "Creating and rotating API keys", 0.75),
        ("invoice vat", "Rotating API keys", 0.0),
        ("", "anything", 0.0),
    ],
)
def test_coverage_is_the_share_of_the_question_an_article_holds(
    question: str, article: str, share: float
) -> None:
    assert coverage(words(question), vocabulary(article)) == pytest.approx(share)


def test_the_excerpt_is_the_first_prose_paragraph_as_plain_text_cut_at_a_word() -> None:
    body = "# Heading\n\nOpen **Settings** and [press](https://x.test) `Run`.\n\nMore."
    assert excerpt(body) == "Open Settings and press Run."
    long = " ".join(["word"] * 100)
    cut = excerpt(long, 50)
    assert len(cut) <= 50 and cut.endswith("…") and not cut.endswith(" …")


@given(st.text(max_size=300))
def test_queries_hold_only_plain_quoted_words(text: str) -> None:
    terms = query_terms(text)
    assert len(terms) <= 24
    assert all(re.fullmatch(r"[a-z0-9]+", t) for t in terms)
    assert re.fullmatch(r'(|"[a-z0-9]+"( OR "[a-z0-9]+")*)', fts5_query(terms))
    assert re.fullmatch(r"(|[a-z0-9]+( \| [a-z0-9]+)*)", tsquery(terms))


@given(
    st.lists(st.from_regex(r"[a-z]{3,8}", fullmatch=True), unique=True, max_size=30),
    st.dictionaries(st.from_regex(r"[a-z]{3,8}", fullmatch=True), st.integers(0, 10_000)),
    st.integers(0, 10_000),
)
def test_telling_keeps_the_rarest_few_of_the_question(
    terms: list[str], documents: dict[str, int], total: int
) -> None:
    chosen = telling(terms, documents, total)
    assert set(chosen) <= set(terms) and len(chosen) <= 12
    assert len(chosen) >= min(len(terms), 3)


def test_telling_leaves_out_words_most_articles_hold() -> None:
    documents = {"export": 900, "fail": 40, "schedul": 30, "help": 990, "queu": 20, "cron": 5}
    terms = ["help", "exports", "failing", "scheduled", "queue", "cron"]
    assert telling(terms, documents, 1000) == ["cron", "queue", "scheduled", "failing"]
    # A small base is searched on every word.
    assert telling(terms, documents, 10) == terms


def _match(slug: str, audience: str, share: float) -> Match:
    return Match(slug, slug, audience, None, "", 1.0, share)


@pytest.mark.parametrize(
    ("matches", "threshold", "picked"),
    [
        ([_match("a", "customer", 0.8), _match("b", "customer", 0.9)], 0.6, "b"),
        ([_match("a", "internal", 1.0), _match("b", "customer", 0.7)], 0.6, "b"),
        ([_match("a", "internal", 1.0)], 0.6, None),
        ([_match("a", "customer", 0.5)], 0.6, None),
        ([_match("a", "customer", 0.6), _match("b", "customer", 0.6)], 0.6, "a"),
        ([], 0.6, None),
    ],
)
def test_the_bot_answers_only_with_a_customer_article_covering_enough(
    matches: list[Match], threshold: float, picked: str | None
) -> None:
    best = best_for_customer(matches, threshold)
    assert (best.slug if best else None) == picked


GOOD = "---\ntitle: Rotating keys\ntags: [api, keys]\naudience: customer\nurl: https://x.test/k\n---\nBody."


def test_a_good_article_is_read() -> None:
    article = parse_article("api/keys", GOOD, "kb/api/keys.md")
    assert isinstance(article, ArticleFile)
    assert (article.title, article.tags, article.audience, article.url, article.body) == (
        "Rotating keys",
        ("api", "keys"),
        "customer",
        "https://x.test/k",
        "Body.",
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("No front matter", "f.md:1: no front matter"),
        ("---\ntitle: x\naudience: customer\n", "f.md:1: the front matter is not closed"),
        ("---\ntitle: x\ntags: [a\naudience: customer\n---\n", "f.md:3: front matter is not valid"),
        ("---\ntags: [a]\naudience: customer\n---\n", "f.md:1: title: missing"),
        ("---\ntitle: x\naudience: everyone\n---\n", "f.md:3: audience: 'everyone': say"),
        ("---\ntitle: x\naudience: customer\nurl: javascript:x\n---\n", "f.md:4: url: an http"),
        ("---\ntitle: x\naudience: internal\ntags: {a: 1}\n---\n", "f.md:4: tags: a list"),
        ("---\n- a list\n---\n", "f.md:2: front matter must be"),
    ],
)
def test_broken_front_matter_is_named_with_its_line(text: str, problem: str) -> None:
    problems = parse_article("f", text, "f.md")
    assert isinstance(problems, list)
    assert problems[0].startswith(problem), problems
