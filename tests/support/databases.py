"""Databases for tests: a temporary SQLite file, or a fresh PostgreSQL schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from store.db import make_engine

POSTGRES_ENV = "CONNECTDESK_TEST_POSTGRES_URL"
EXAMPLE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
HOW_TO_ENABLE = (
    f"PostgreSQL variants are skipped: run them with `{POSTGRES_ENV}={EXAMPLE_URL} uv run pytest`"
)


def postgres_url() -> str | None:
    """The PostgreSQL server the tests may use, if one was given."""
    return os.environ.get(POSTGRES_ENV) or None


@asynccontextmanager
async def postgres_schema(base_url: str) -> AsyncIterator[str]:
    """A new empty schema on `base_url`, as a URL whose connections use it; dropped after."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base_url)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield (
                make_url(base_url)
                .update_query_dict({"search_path": schema})
                .render_as_string(hide_password=False)
            )
        finally:
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await admin.dispose()
