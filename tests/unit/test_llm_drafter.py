"""The drafter against a fake OpenAI-compatible endpoint, and the prompt it sends: a draft
when the endpoint answers, None (never an exception, never a retry) when it hangs, fails or
says nothing; internal articles inform the model but their links are never given to it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config.llm import LlmSettings
from bot.llm.articles import NO_ARTICLES, ArticleLike
from bot.llm.drafter import NO_KEY, drafter_for
from bot.llm.prompt import ARTICLES, EXCERPT_CHARS, QUESTION_CHARS, draft_messages
from tests.support.fake_llm import FakeLlm


@dataclass(frozen=True)
class Article:
    title: str
    excerpt: str
    url: str
    audience: str


GUIDE = Article(
    "Rotating API keys", "Settings > API keys > Rotate.", "https://kb.test/keys", "customer"
)
RUNBOOK = Article(
    "Key rotation runbook",
    "Escalate to on-call if rotation fails.",
    "https://wiki.internal/rk",
    "internal",
)


class Found:
    """An article source that always finds the same articles, and remembers what it was asked."""

    def __init__(self, *articles: Article) -> None:
        self.articles = articles
        self.asked: list[tuple[str, str, int]] = []

    async def top(self, team_id: str, text: str, limit: int) -> Sequence[ArticleLike]:
        self.asked.append((team_id, text, limit))
        return self.articles[:limit]


class Broken:
    async def top(self, team_id: str, text: str, limit: int) -> Sequence[ArticleLike]:
        raise RuntimeError("index unavailable")


@pytest.fixture
async def llm() -> AsyncIterator[FakeLlm]:
    fake = await FakeLlm("Try Settings > API keys.").start()
    try:
        yield fake
    finally:
        await fake.stop()


def settings(llm: FakeLlm, timeout: float = 5.0) -> LlmSettings:
    return LlmSettings(base_url=llm.base_url, model="m1", timeout_seconds=timeout)


def test_no_section_no_drafter() -> None:
    assert drafter_for(None, "sk-anything", NO_ARTICLES) is None


async def test_a_draft_from_the_articles_found(llm: FakeLlm) -> None:
    source = Found(GUIDE, RUNBOOK)
    drafter = drafter_for(settings(llm), "sk-test", source)
    assert drafter is not None
    try:
        assert (
            await drafter.draft("T0VENDOR", "How do I rotate keys?") == "Try Settings > API keys."
        )
    finally:
        await drafter.close()
    assert source.asked == [("T0VENDOR", "How do I rotate keys?", ARTICLES)]
    [request] = llm.requests
    assert request["model"] == "m1"
    assert llm.headers[0]["Authorization"] == "Bearer sk-test"
    user = request["messages"][1]["content"]
    assert "Rotating API keys (customer-facing)" in user and "https://kb.test/keys" in user
    assert "Key rotation runbook (INTERNAL" in user and "wiki.internal" not in user


async def test_no_key_is_never_the_environments_openai_key(llm: FakeLlm, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key")
    drafter = drafter_for(settings(llm), None, NO_ARTICLES)
    assert drafter is not None
    try:
        assert await drafter.draft("T0VENDOR", "hello?")
    finally:
        await drafter.close()
    assert llm.headers[0]["Authorization"] == f"Bearer {NO_KEY}"


@pytest.mark.parametrize("mode", ["hang", "error", "empty", "source fails"])
async def test_no_answer_means_no_draft_after_one_try(llm: FakeLlm, mode: str) -> None:
    source = Broken() if mode == "source fails" else NO_ARTICLES
    if mode == "empty":
        llm.reply = "  "
    elif mode in ("hang", "error"):
        llm.mode = mode
    drafter = drafter_for(settings(llm, timeout=0.5), "k", source)
    assert drafter is not None
    started = time.monotonic()
    try:
        assert await drafter.draft("T0VENDOR", "How do I rotate keys?") is None
    finally:
        await drafter.close()
    assert time.monotonic() - started < 3.0  # the timeout bounds the wait
    assert len(llm.requests) == (0 if mode == "source fails" else 1)  # no retries


@given(question=st.text(max_size=50_000), count=st.integers(0, 6), excerpt=st.text(max_size=5000))
def test_the_prompt_is_bounded_whatever_it_is_given(question: str, count: int, excerpt: str):
    articles = [Article(f"A{n}", excerpt, f"https://kb.test/{n}", "customer") for n in range(count)]
    system, user = draft_messages(question, articles)
    assert system["role"] == "system" and user["role"] == "user"
    limit = QUESTION_CHARS + ARTICLES * (EXCERPT_CHARS + 200) + 400
    assert len(user["content"]) <= limit
    assert user["content"].count("https://kb.test/") == min(count, ARTICLES)
    assert question.strip()[:QUESTION_CHARS] in user["content"]


def test_internal_articles_are_flagged_and_their_links_withheld() -> None:
    system, user = draft_messages("q", [RUNBOOK, GUIDE])
    assert "never disclose internal details" in system["content"]
    assert "[1] Key rotation runbook (INTERNAL (team only, never disclose))" in user["content"]
    assert "Escalate to on-call" in user["content"]  # it may inform the draft
    assert "wiki.internal" not in user["content"]
    assert "(no matching articles)" in draft_messages("q", [])[1]["content"]
