"""Service tests: the real services and store, a fake Slack, a clock that moves when told."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.clock import ManualClock
from tests.support import world
from tests.support.service_desk import ServiceDesk, migrated_template


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated empty database, made once per session (each test gets a copy)."""
    return migrated_template(tmp_path_factory.mktemp("schema"))


@pytest.fixture
def desk_yml() -> str:
    """The desk.yml the desk runs with (a test parametrizes `desk_yml` for a variant)."""
    return world.DESK_YML


@pytest.fixture
def desk_wall() -> ManualClock | None:
    """The outbox's clock: real time, unless a module overrides this to move it by hand."""
    return None


@pytest.fixture
async def desk(
    schema_template: Path, tmp_path: Path, desk_yml: str, desk_wall: ManualClock | None
) -> AsyncIterator[ServiceDesk]:
    """A desk serving the test world; after the test, nothing internal reached a customer
    and every side effect landed."""
    config = world.desk_config(desk_yml)
    async with ServiceDesk.open(schema_template, tmp_path, config, wall=desk_wall) as opened:
        yield opened
        opened.assert_wall_held()
        failed = opened.expected_failures
        assert await opened.unfinished_effects() == ({"failed": failed} if failed else {})
