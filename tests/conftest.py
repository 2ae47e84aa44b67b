"""Fixtures shared by every test folder: the database each DB-touching test runs on."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.databases import (
    HOW_TO_ENABLE,
    POSTGRES_ENV,
    create_database,
    postgres_schema,
    postgres_url,
    worker_database_url,
)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:  # noqa: ARG001
    """Two workers per core for `-n auto`: most tests wait on real timers, sockets and child
    processes (one worker per core kept the cores about 40% busy), so a second worker per core
    fills that wait. PYTEST_XDIST_AUTO_NUM_WORKERS still overrides it."""
    return 2 * (os.cpu_count() or 1)


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker runs on a PostgreSQL database of its own (`test_gw0`...):
    workers then never wait on each other's locks (migrations, advisory locks)."""
    worker = getattr(config, "workerinput", {}).get("workerid")
    base = postgres_url()
    if worker is None or base is None:
        return
    url = worker_database_url(base, worker)
    asyncio.run(create_database(base, url))
    os.environ[POSTGRES_ENV] = url  # what `postgres_url()` returns from now on, in this worker


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
