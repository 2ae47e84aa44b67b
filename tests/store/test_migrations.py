"""The migrations build exactly the schema the models describe, on each engine."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, inspect, text

from store import migrate
from store.db import make_engine
from store.models import Base
from store.types import UtcDateTime


async def test_models_and_migrations_agree(database_url: str) -> None:
    await migrate.upgrade(database_url)
    assert await migrate.diff(database_url) == []
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            found = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    tables = {t for t in found if not migrate.is_search_index(t)}
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    state = await migrate.status(database_url)
    assert state.up_to_date and state.problem(database_url) is None


async def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    await migrate.upgrade(database_url)
    await migrate.downgrade(database_url, "base")
    assert (await migrate.status(database_url)).current is None
    await migrate.upgrade(database_url)
    assert await migrate.diff(database_url) == []


BEFORE_0009 = [
    "INSERT INTO accounts (id, team_id, name, name_key, tier, internal_channel_id, owners,"
    " receipts, source, created_at) VALUES (1, 'T0VENDOR', 'Acme', 'acme', 'strategic',"
    " 'C0INT', '[]', true, 'config', :at)",
    *(
        "INSERT INTO tickets (id, team_id, number, account_id, channel_id, root_ts,"
        " requester_user_id, summary, priority, status, opened_at, resolution_note,"
        f" resolution_kind, sla_flag, updated_at) VALUES ({n}, 'T0VENDOR', {n}, 1, 'C0SHARED',"
        f" '{n}.000', 'U0CAROL', '', '{priority}', 'resolved', :at, '', '{kind}', 'ok', :at)"
        for n, priority, kind in ((1, "P1", "resolved"), (2, "P3", "noise"))
    ),
    *(
        "INSERT INTO sla_clocks (id, team_id, ticket_id, account_id, kind, cycle, calendar,"
        f" target_seconds, started_at, elapsed_before_seconds, stopped_at, outcome) VALUES ({c},"
        f" 'T0VENDOR', {t}, 1, '{kind}', 1, '24/7', 900, :at, 0, :at, 'met')"
        for c, t, kind in ((1, 1, "first_response"), (2, 1, "resolution"), (3, 2, "resolution"))
    ),
    "INSERT INTO ladder_firings (clock_id, ticket_id, step_index, repeat, percent, fired_at)"
    " VALUES (1, 1, 0, 0, 75, :at)",
    *(
        "INSERT INTO csat_surveys (id, team_id, ticket_id, account_id, channel_id, thread_ts,"
        f" requester_user_id, asked_at, closes_at) VALUES ({t}, 'T0VENDOR', {t}, 1, 'C0SHARED',"
        f" '{t}.000', 'U0CAROL', :at, :at)"
        for t in (1, 2)
    ),
    "INSERT INTO csat_answers (survey_id, team_id, ticket_id, account_id, user_id, score,"
    " comment, answered_at) VALUES (1, 'T0VENDOR', 1, 1, 'U0CAROL', 5, '', :at)",
]


async def _rows(url: str, sql: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(text(sql))]
    finally:
        await engine.dispose()


async def test_0009_copies_what_reports_read_and_loses_no_row(database_url: str) -> None:
    await migrate.upgrade(database_url, "0008")
    engine = make_engine(database_url)
    at = bindparam("at", datetime(2026, 11, 3, tzinfo=UTC), type_=UtcDateTime())
    try:
        async with engine.begin() as conn:
            for sql in BEFORE_0009:
                await conn.execute(text(sql).bindparams(at) if ":at" in sql else text(sql))
    finally:
        await engine.dispose()

    await migrate.upgrade(database_url)

    # Each run has its ticket's priority; the noise ticket's runs and survey count nowhere.
    assert await _rows(
        database_url, "SELECT id, priority, counted FROM sla_clocks ORDER BY id"
    ) == [(1, "P1", True), (2, "P1", True), (3, "P3", False)]
    assert await _rows(database_url, "SELECT id, counted FROM csat_surveys ORDER BY id") == [
        (1, True),
        (2, False),
    ]
    # SQLite must not copy a table to alter it: dropping the old one would cascade.
    counted = "SELECT (SELECT count(*) FROM ladder_firings), (SELECT count(*) FROM csat_answers)"
    assert await _rows(database_url, counted) == [(1, 1)]
    await migrate.downgrade(database_url, "0008")
    assert await _rows(database_url, counted) == [(1, 1)]
    assert await _rows(database_url, "SELECT count(*) FROM sla_clocks") == [(3,)]
