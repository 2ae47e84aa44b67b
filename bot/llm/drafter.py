"""Asks an OpenAI-compatible endpoint for a reply draft; a timeout or an error is no draft.

Built only when desk.yml has an `llm:` section (`drafter_for`): otherwise there is no client
and nothing is ever sent. The `openai` package is imported then, not before (it is slow to
import and most desks never use it). The key is always passed explicitly, so the client never
falls back to an `OPENAI_API_KEY` of the environment (which would send it to `base_url`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.config.llm import LlmSettings
from bot.llm.articles import ArticleSource
from bot.llm.prompt import ARTICLES, draft_messages

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = logging.getLogger("connectdesk.llm")

# Enough for a short reply; a draft is read and edited by a person, not an essay.
MAX_TOKENS = 500
# The key sent when none is configured (local endpoints such as Ollama want none).
NO_KEY = "none"


class Drafter:
    """Writes reply drafts from a customer's message and the articles found for it."""

    def __init__(self, client: AsyncOpenAI, settings: LlmSettings, articles: ArticleSource) -> None:
        self.client = client
        self.settings = settings
        self.articles = articles

    async def draft(self, team_id: str, question: str) -> str | None:
        """A draft reply, or None (no answer within the timeout, an error, an empty answer).

        Never raises: the caller goes on as if drafts were off. The timeout bounds the whole
        request, the article lookup included, however slowly the endpoint trickles its answer.
        """
        try:
            async with asyncio.timeout(self.settings.timeout_seconds):
                found = await self.articles.top(team_id, question, ARTICLES)
                response = await self.client.chat.completions.create(
                    model=self.settings.model,
                    messages=draft_messages(question, found),  # type: ignore[arg-type]
                    max_tokens=MAX_TOKENS,
                    temperature=0.2,
                )
        except TimeoutError:
            log.warning(
                "no reply draft: %s gave no answer within %gs",
                self.settings.base_url,
                self.settings.timeout_seconds,
            )
            return None
        except Exception as exc:  # the endpoint's errors (HTTP, parsing) and the source's alike
            log.warning("no reply draft: %s: %s", type(exc).__name__, str(exc)[:200])
            return None
        choices = getattr(response, "choices", None) or []
        text = (choices[0].message.content or "").strip() if choices else ""
        if not text:
            log.warning("no reply draft: %s answered with no text", self.settings.base_url)
            return None
        return text

    async def close(self) -> None:
        """Release the client's connections."""
        await self.client.close()


def drafter_for(
    settings: LlmSettings | None, api_key: str | None, articles: ArticleSource
) -> Drafter | None:
    """A drafter for desk.yml's `llm:` section, or None when there is none (drafts off)."""
    if settings is None:
        return None
    from openai import AsyncOpenAI  # only when drafts are on (see the module's docstring)

    client = AsyncOpenAI(
        api_key=api_key or NO_KEY,
        base_url=settings.base_url,
        timeout=settings.timeout_seconds,
        max_retries=0,  # a retry would only make the draft later; none is fine
    )
    return Drafter(client, settings, articles)
