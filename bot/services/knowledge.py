"""The knowledge base: its folder indexed into the database (at start, then whenever a file
changes), searched for a ticket's question, and the articles each ticket was offered.

One folder serves the whole desk, so articles belong to no workspace; what a ticket was
offered (`kb_answers`) belongs to the ticket's.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.config.desk import DeskConfig
from bot.config.kb import ArticleFile, folder_state, read_folder
from bot.domain.clock import Clock
from bot.domain.knowledge import (
    Audience,
    Match,
    best_for_customer,
    coverage,
    excerpt,
    query_terms,
    telling,
    vocabulary,
)
from bot.domain.tickets import TicketStatus
from bot.messages.kb_card import CARD_ARTICLES, CardArticle
from store.db import Database
from store.models import KbAnswer, Ticket

log = logging.getLogger("connectdesk.knowledge")

# How many matches a search weighs (the card shows the best few; the bot's answer is the
# customer article covering most of the question among these).
SEARCH_DEPTH = 10
# How often the folder is looked at for added, edited or removed articles (schedules/).
SCAN_EVERY_SECONDS = 30.0


@dataclass(frozen=True)
class IndexReport:
    """What one indexing pass did, and the articles it left out (`file:line: what`)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    problems: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ArticleHit:
    """An article found for a question, as a draft writer uses it."""

    title: str
    excerpt: str
    url: str
    audience: str


class KnowledgeBase:
    """Indexes the configured folder and answers searches; does nothing without a folder."""

    def __init__(self, db: Database, config: DeskConfig, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.folder: Path | None = config.knowledge_base
        # The folder as last indexed (names, sizes, times), to skip a pass when nothing changed.
        self._seen: tuple[tuple[str, int, int], ...] | None = None
        # How many articles hold each (stemmed) word, as of this process's last indexing pass:
        # the words most articles hold are not searched for (`telling`).
        self._documents: dict[str, int] = {}
        self._articles = 0

    @property
    def enabled(self) -> bool:
        """Whether the desk has a knowledge base folder."""
        return self.folder is not None

    # ---- indexing ----------------------------------------------------------------------------
    async def index(self) -> IndexReport:
        """Bring the index in line with the folder: new and edited articles (re)indexed, those
        whose files are gone forgotten; broken files are reported and left out."""
        if self.folder is None:
            return IndexReport()
        folder = self.folder
        state = await asyncio.to_thread(folder_state, folder)
        read = await asyncio.to_thread(read_folder, folder)
        for problem in read.problems:
            log.warning("knowledge base: %s (article left out)", problem)
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            known = await uow.kb.checksums()
            changed = [a for a in read.articles if known.get(a.slug) != a.checksum]
            await uow.kb.upsert([_row(a, now) for a in changed])
            gone = sorted(set(known) - {a.slug for a in read.articles})
            await uow.kb.remove(gone)
        self._seen = state
        self._documents, self._articles = await asyncio.to_thread(_documents, read.articles)
        added = sum(1 for a in changed if a.slug not in known)
        report = IndexReport(
            added=added,
            updated=len(changed) - added,
            removed=len(gone),
            unchanged=len(read.articles) - len(changed),
            problems=read.problems,
        )
        if changed or gone:
            log.info(
                "knowledge base indexed: %d added, %d updated, %d removed",
                report.added,
                report.updated,
                report.removed,
            )
        return report

    async def refresh(self) -> IndexReport | None:
        """Index again if a file was added, edited or removed since the last pass (None: not)."""
        if self.folder is None:
            return None
        state = await asyncio.to_thread(folder_state, self.folder)
        if state == self._seen:
            return None
        return await self.index()

    # ---- searching ---------------------------------------------------------------------------
    async def search(self, text: str, limit: int = SEARCH_DEPTH) -> list[Match]:
        """The articles best matching a question, best first, each with its coverage of it."""
        terms = query_terms(text)
        if self.folder is None or not terms:
            return []
        searched = telling(terms, self._documents, self._articles)
        async with self.db.reading() as uow:
            found = await uow.kb.search(searched, limit)
        return [
            Match(
                slug=f.slug,
                title=f.title,
                audience=f.audience,
                url=f.url,
                excerpt=f.excerpt,
                score=f.score,
                coverage=coverage(terms, vocabulary(f"{f.title} {f.tags} {f.body}")),
            )
            for f in found
        ]

    # ---- a ticket's articles -----------------------------------------------------------------
    async def suggest(self, ticket: Ticket) -> KbAnswer | None:
        """Find and keep the articles for a new ticket's card (once: a repeat keeps the first);
        the bot's own answer, if its tier answers and an article covers enough of the question
        and it is not posted yet."""
        async with self.db.reading() as uow:
            offered = await uow.kb.offered(ticket.id)
        if not offered:
            matches = await self.search(ticket.summary)
            threshold = self._answers_at(ticket)
            best = best_for_customer(matches, threshold) if threshold is not None else None
            shown = matches[:CARD_ARTICLES]
            if best is not None and best not in shown:
                shown.append(best)
            now = self.clock.now()
            offers = [_offer(ticket, m, n, now, auto=m is best) for n, m in enumerate(shown, 1)]
            async with self.db.unit_of_work() as uow:
                await uow.kb.add_offers(offers)
                offered = await uow.kb.offered(ticket.id)
        auto = next((a for a in offered if a.auto), None)
        if auto is None or auto.message_ts is not None:
            return None
        # A retry may come after a person answered, or after the article changed: the answer
        # goes out only while the ticket still waits and the article is still for customers.
        if self._answers_at(ticket) is None or not await self.for_customers(auto.slug):
            return None
        return auto

    async def for_customers(self, slug: str) -> bool:
        """Whether the article is in the base now, written for customers."""
        async with self.db.reading() as uow:
            article = await uow.kb.article(slug)
        return article is not None and article.audience == Audience.CUSTOMER

    def _answers_at(self, ticket: Ticket) -> float | None:
        """The coverage the bot's answer needs on this ticket; None: the bot does not answer
        (its tier does not, the account tracks silently, or a person answered already)."""
        tier = self.config.tiers.get(ticket.account.tier)
        if tier is None or tier.auto_answer is None or not ticket.account.receipts:
            return None
        if ticket.status != TicketStatus.OPEN or ticket.first_response_at is not None:
            return None
        return tier.auto_answer

    async def card_articles(self, ticket: Ticket) -> tuple[CardArticle, ...]:
        """The articles a ticket's card shows (none without a knowledge base)."""
        if self.folder is None:
            return ()
        async with self.db.reading() as uow:
            offered = await uow.kb.offered(ticket.id)
        return tuple(
            CardArticle(
                answer_id=a.id,
                title=a.title,
                audience=a.audience,
                url=a.url,
                excerpt=a.excerpt,
                coverage=a.coverage,
                sent_by=a.sent_by,
                auto=a.auto,
                outcome=a.outcome,
            )
            for a in offered
        )

    async def posted(self, answer_id: int, ts: str) -> None:
        """The customer post carrying an offered article is in the thread: keep its ts."""
        async with self.db.unit_of_work() as uow:
            await uow.kb.set_message(answer_id, ts, self.clock.now())


class KbArticles:
    """The knowledge base as a draft writer asks it: the best articles for a text."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self.knowledge = knowledge

    async def top(self, team_id: str, text: str, limit: int) -> list[ArticleHit]:
        """The `limit` best articles for `text` (the base is the desk's, whatever the team)."""
        # Customer articles only: a draft is written to be sent to the customer, and a prompt
        # is no wall (a customer's message can ask the model to repeat what it was given).
        matches = await self.knowledge.search(text, max(limit, 1) * 3)
        return [
            ArticleHit(title=m.title, excerpt=m.excerpt, url=m.url or "", audience=m.audience)
            for m in matches
            if m.audience == Audience.CUSTOMER
        ][:limit]


def _documents(articles: Sequence[ArticleFile]) -> tuple[dict[str, int], int]:
    """How many of the articles hold each stemmed word, and how many articles there are."""
    counts: Counter[str] = Counter()
    for article in articles:
        counts.update(vocabulary(f"{article.title} {' '.join(article.tags)} {article.body}"))
    return dict(counts), len(articles)


def _row(article: ArticleFile, now: datetime) -> dict[str, object]:
    return {
        "slug": article.slug,
        "title": article.title,
        "tags": " ".join(article.tags),
        "audience": article.audience.value,
        "url": article.url,
        "body": article.body,
        "excerpt": excerpt(article.body),
        "checksum": article.checksum,
        "indexed_at": now,
    }


def _offer(ticket: Ticket, match: Match, position: int, now: datetime, *, auto: bool) -> KbAnswer:
    return KbAnswer(
        team_id=ticket.team_id,
        ticket_id=ticket.id,
        slug=match.slug,
        position=position,
        title=match.title,
        audience=match.audience,
        url=match.url,
        excerpt=match.excerpt,
        coverage=round(match.coverage, 4),
        suggested_at=now,
        sent_by=None,
        sent_at=now if auto else None,
        auto=auto and match.audience == Audience.CUSTOMER,
        message_ts=None,
        outcome=None,
        outcome_by=None,
        outcome_at=None,
    )
