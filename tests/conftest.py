"""Fixtures shared by every test folder: the database each DB-touching test runs on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.databases import HOW_TO_ENABLE, postgres_schema, postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: a SQLite file, and (when configured) a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
        return
    base = postgres_url()
    if base is None:
        pytest.skip(HOW_TO_ENABLE)
    async with postgres_schema(base) as url:
        yield url


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    """Say once, at the end, how to run the PostgreSQL variants when they were skipped."""
    if postgres_url() is None:
        terminalreporter.write_line(HOW_TO_ENABLE)


@pytest.fixture
async def postgres_database_url() -> AsyncIterator[str]:
    """A PostgreSQL schema of its own, for what only a multi-writer engine can show."""
    base = postgres_url()
    if base is None:
        pytest.skip(HOW_TO_ENABLE)
    async with postgres_schema(base) as url:
        yield url
