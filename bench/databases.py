"""The benchmarks' databases: a fresh SQLite file, or a schema of their own on a PostgreSQL
server, dropped afterwards."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from store.db import make_engine


@contextlib.asynccontextmanager
async def postgres_schema(url: str, prefix: str, *, keep: bool = False) -> AsyncIterator[str]:
    """`url` with a new schema of its own as the search path; the schema is dropped after
    (unless `keep`)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    try:
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield (
                make_url(url)
                .update_query_dict({"search_path": schema})
                .render_as_string(hide_password=False)
            )
        finally:
            if not keep:
                async with admin.begin() as conn:
                    await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await admin.dispose()


@contextlib.asynccontextmanager
async def database(url: str | None, folder: Path, prefix: str) -> AsyncIterator[str]:
    """A fresh SQLite file in `folder` (no `url`), or a fresh schema on `url`'s server."""
    if url is None:
        yield f"sqlite+aiosqlite:///{folder / 'desk.db'}"
        return
    async with postgres_schema(url, prefix) as scoped:
        yield scoped
