"""Fixtures of the store tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from store import migrate
from store.db import Database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database (SQLite file, or a PostgreSQL schema when configured)."""
    await migrate.upgrade(database_url)
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.close()
