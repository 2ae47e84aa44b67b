"""Alembic environment: migrates a connection handed in by `store.migrate`, or the URL given.

`store.migrate` passes an open connection (so the app's engine options, e.g. the PostgreSQL
search_path, apply); the plain `alembic` command line gets an engine built from the URL.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from store.db import make_engine
from store.migrate import include_object
from store.models import Base
from store.types import UtcDateTime

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as plain SQLAlchemy ones: a migration must not import app code."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_item=render_item,
        include_object=include_object,
        compare_type=True,
        **kwargs,
    )


def run_on(connection: Connection) -> None:
    """Run the migrations on one connection, in one transaction."""
    # SQLite alters tables by copying them ("batch" mode); PostgreSQL alters in place.
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


async def _run_online(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(run_on)
            await conn.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    run_on(config.attributes["connection"])
else:
    asyncio.run(_run_online(config.get_main_option("sqlalchemy.url") or ""))
