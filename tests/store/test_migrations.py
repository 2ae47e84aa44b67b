"""The migrations build exactly the schema the models describe, on each engine."""

from __future__ import annotations

from sqlalchemy import inspect

from store import migrate
from store.db import make_engine
from store.models import Base


async def test_models_and_migrations_agree(database_url: str) -> None:
    await migrate.upgrade(database_url)
    assert await migrate.diff(database_url) == []
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    state = await migrate.status(database_url)
    assert state.up_to_date and state.problem(database_url) is None


async def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    await migrate.upgrade(database_url)
    await migrate.downgrade(database_url, "base")
    assert (await migrate.status(database_url)).current is None
    await migrate.upgrade(database_url)
    assert await migrate.diff(database_url) == []
