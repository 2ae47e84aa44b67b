"""Databases for tests: a temporary SQLite file, or a fresh PostgreSQL schema per test (in a
database of its own for each pytest-xdist worker)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

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


def worker_database_url(base_url: str, worker: str) -> str:
    """`base_url` on a database of the worker's own: `test` becomes `test_gw0` for gw0."""
    url = make_url(base_url)
    return url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)


async def create_database(base_url: str, url: str) -> None:
    """Create `url`'s database through the server of `base_url`, unless it exists already.

    Never dropped: another run (another checkout) may be using it at the same time, and each
    test works in a schema of its own inside it anyway.
    """
    name = make_url(url).database
    admin = create_async_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                try:
                    await conn.execute(text(f'CREATE DATABASE "{name}"'))
                except DBAPIError as error:  # created meanwhile by a run next to ours
                    if "already exists" not in str(error) and "duplicate key" not in str(error):
                        raise
    finally:
        await admin.dispose()
