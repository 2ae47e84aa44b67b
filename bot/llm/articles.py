"""What a draft is written from: knowledge-base articles found for the customer's words.

The knowledge base provides an `ArticleSource` (an adapter over its index); until one is
wired, `NO_ARTICLES` finds nothing and the model drafts from the question alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class ArticleLike(Protocol):
    """An article as a draft uses it; `audience` is "customer" or "internal"."""

    @property
    def title(self) -> str: ...

    @property
    def excerpt(self) -> str: ...

    @property
    def url(self) -> str: ...

    @property
    def audience(self) -> str: ...


class ArticleSource(Protocol):
    """Finds the articles that best match a customer's message in a workspace."""

    async def top(self, team_id: str, text: str, limit: int) -> Sequence[ArticleLike]:
        """At most `limit` articles, best first."""
        ...


class _NoArticles:
    """An article source with nothing in it."""

    async def top(self, team_id: str, text: str, limit: int) -> Sequence[ArticleLike]:
        """No articles, ever."""
        return []


NO_ARTICLES: ArticleSource = _NoArticles()
