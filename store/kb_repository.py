"""The knowledge base's articles and full-text search, and the articles offered on tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.knowledge import fts5_query, tsquery
from store.dialect import insert_for, is_postgres
from store.models import KbAnswer, KbArticle

# SQLite: bm25 weights of the FTS5 columns (title, tags, body); a smaller score is better.
_SQLITE_SEARCH = text(
    "SELECT a.id, a.slug, a.title, a.tags, a.audience, a.url, a.body, a.excerpt,"
    " -s.rank AS score FROM ("
    # Ranked in the full-text index alone, then the few best joined: joined first, SQLite
    # sorted every match with its article (three times slower at 10,000 articles).
    "SELECT rowid AS id, bm25(kb_fts, 8.0, 4.0, 1.0) AS rank FROM kb_fts"
    " WHERE kb_fts MATCH :q ORDER BY rank LIMIT :n"
    ") AS s JOIN kb_articles a ON a.id = s.id ORDER BY s.rank"
)
_POSTGRES_SEARCH = text(
    "SELECT a.id, a.slug, a.title, a.tags, a.audience, a.url, a.body, a.excerpt,"
    " ts_rank(a.search, q) AS score"
    " FROM kb_articles a, to_tsquery('english', :q) AS q"
    " WHERE a.search @@ q ORDER BY score DESC LIMIT :n"
)


@dataclass(frozen=True)
class Found:
    """An article the search found, best first; `score` is higher for a better match."""

    slug: str
    title: str
    tags: str
    audience: str
    url: str | None
    body: str
    excerpt: str
    score: float


class KbRepository:
    """Indexed articles (written by the indexer) and what tickets were offered."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ---- articles ----------------------------------------------------------------------------
    async def checksums(self) -> dict[str, str]:
        """Each indexed article's checksum by slug."""
        rows = await self.session.execute(select(KbArticle.slug, KbArticle.checksum))
        return {slug: checksum for slug, checksum in rows.all()}

    async def upsert(self, articles: Sequence[dict[str, object]]) -> None:
        """Add articles or replace what their slugs held (the search index follows)."""
        if not articles:
            return
        stmt = insert_for(self.session, KbArticle.__table__)
        stmt = stmt.on_conflict_do_update(
            index_elements=["slug"],
            set_={
                c: stmt.excluded[c]
                for c in ("title", "tags", "audience", "url", "body", "excerpt", "checksum")
            }
            | {"indexed_at": stmt.excluded.indexed_at},
        )
        connection = await self.session.connection()
        await connection.execute(stmt, list(articles))

    async def remove(self, slugs: Sequence[str]) -> None:
        """Forget articles whose files are gone."""
        if slugs:
            await self.session.execute(delete(KbArticle).where(KbArticle.slug.in_(list(slugs))))

    async def article(self, slug: str) -> KbArticle | None:
        """An article as indexed now."""
        return await self.session.scalar(select(KbArticle).where(KbArticle.slug == slug))

    async def count(self) -> dict[str, int]:
        """How many articles are indexed, per audience."""
        rows = await self.session.execute(
            select(KbArticle.audience, func.count()).group_by(KbArticle.audience)
        )
        return {audience: n for audience, n in rows.all()}

    async def search(self, terms: Sequence[str], limit: int) -> list[Found]:
        """The articles matching any of `terms` (plain words), best first."""
        if not terms:
            return []
        if is_postgres(self.session):
            query, q = _POSTGRES_SEARCH, tsquery(terms)
        else:
            query, q = _SQLITE_SEARCH, fts5_query(terms)
        rows = await self.session.execute(query, {"q": q, "n": limit})
        return [
            Found(r.slug, r.title, r.tags, r.audience, r.url, r.body, r.excerpt, float(r.score))
            for r in rows
        ]

    # ---- offered on tickets ------------------------------------------------------------------
    async def offered(self, ticket_id: int) -> list[KbAnswer]:
        """The articles a ticket was offered, in the card's order."""
        rows = await self.session.scalars(
            select(KbAnswer).where(KbAnswer.ticket_id == ticket_id).order_by(KbAnswer.position)
        )
        return list(rows.all())

    async def add_offers(self, offers: Sequence[KbAnswer]) -> None:
        """Store a ticket's suggestions (a repeat of the same ticket's is ignored)."""
        if not offers:
            return
        rows = [
            {c.key: getattr(o, c.key) for c in KbAnswer.__table__.columns if c.key != "id"}
            for o in offers
        ]
        stmt = insert_for(self.session, KbAnswer.__table__).on_conflict_do_nothing(
            index_elements=["ticket_id", "slug"]
        )
        connection = await self.session.connection()
        await connection.execute(stmt, rows)

    async def answer(self, answer_id: int, *, for_update: bool = False) -> KbAnswer | None:
        """One offered article by id."""
        stmt = select(KbAnswer).where(KbAnswer.id == answer_id)
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def set_message(self, answer_id: int, ts: str, at: datetime) -> None:
        """The ts of the customer post that carried an offered article."""
        answer = await self.answer(answer_id)
        if answer is not None and answer.message_ts is None:
            answer.message_ts = ts
            answer.sent_at = answer.sent_at or at
