"""Database URLs as hosting providers write them: mapped once for every consumer, or one line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.cli.main import main
from bot.config.settings import Settings
from store.db import make_engine
from store.inbox_store import inbox_url_for
from store.urls import ACCEPTED, DatabaseUrlError, database_url
from tests.support import world as w
from tests.support.databases import HOW_TO_ENABLE, postgres_schema, postgres_url


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://user@host/db", "postgresql+asyncpg://user@host/db"),
        ("postgres://user:pw@host:5432/db", "postgresql+asyncpg://user:pw@host:5432/db"),
        ("postgresql+psycopg2://user@host/db", "postgresql+asyncpg://user@host/db"),
        ("postgresql+psycopg://user@host/db", "postgresql+asyncpg://user@host/db"),
        ("postgresql+asyncpg://user@host/db", "postgresql+asyncpg://user@host/db"),
        ("postgresql://u@h/db?sslmode=require", "postgresql+asyncpg://u@h/db?ssl=require"),
        (
            "postgres://u@h/db?sslmode=verify-full&search_path=desk",
            "postgresql+asyncpg://u@h/db?search_path=desk&ssl=verify-full",
        ),
        ("sqlite:///desk.db", "sqlite+aiosqlite:///desk.db"),
        ("sqlite:////var/lib/desk.db", "sqlite+aiosqlite:////var/lib/desk.db"),
        ("sqlite+aiosqlite:///desk.db", "sqlite+aiosqlite:///desk.db"),
        ("  sqlite://  ", "sqlite+aiosqlite://"),
    ],
)
def test_each_form_becomes_the_async_drivers(given: str, used: str):
    assert database_url(given) == used
    assert database_url(used) == used  # mapping twice changes nothing


def test_a_password_with_special_characters_survives():
    url = database_url("postgres://app:p%40ss%2Fw%3Ard@db.example.com:6543/prod?sslmode=require")
    parsed = make_url(url)
    assert parsed.password == "p@ss/w:rd" and parsed.port == 6543
    assert parsed.drivername == "postgresql+asyncpg" and parsed.query == {"ssl": "require"}


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("mysql://root:secret@db/app", "is a mysql:// URL, a database connectdesk does not run on"),
        ("mongodb+srv://u:secret@x/y", "is a mongodb+srv:// URL"),
        ("not a url at all", "is not a database URL"),
        ("", "is empty"),
    ],
)
def test_other_forms_get_one_sentence_naming_the_accepted_ones(given: str, says: str):
    with pytest.raises(DatabaseUrlError) as refused:
        database_url(given, "CONNECTDESK_DATABASE_URL")
    message = str(refused.value)
    assert message.startswith("CONNECTDESK_DATABASE_URL ") and says in message
    assert ACCEPTED in message and "\n" not in message
    assert "secret" not in message  # the URL (and its password) is never repeated


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("sslmode=sometimes", "sslmode=sometimes, which is not one of disable, allow, prefer"),
        ("sslmode=require&ssl=true", "has both sslmode and ssl"),
        ("channel_binding=require", "query parameter channel_binding, which asyncpg does not take"),
        ("connect_timeout=10", "query parameter connect_timeout"),
    ],
)
def test_libpq_parameters_asyncpg_lacks_are_named(query: str, says: str):
    with pytest.raises(DatabaseUrlError, match=says):
        database_url(f"postgresql://u@h/db?{query}")


def test_settings_map_both_urls_and_the_inbox_follows(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("CONNECTDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'desk.db'}")
    monkeypatch.setenv("CONNECTDESK_INBOX_URL", "postgres://u@h/db?sslmode=disable")
    settings = Settings()
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    assert settings.inbox_url == "postgresql+asyncpg://u@h/db?ssl=disable"
    assert inbox_url_for(settings.database_url).endswith("desk-inbox.db")


async def test_an_engine_made_from_a_plain_url_uses_the_async_driver(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        assert engine.dialect.driver == "aiosqlite"
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("select 1")).scalar() == 1
    finally:
        await engine.dispose()


@pytest.fixture
def deploy_env(monkeypatch, tmp_path: Path) -> None:
    """A deployment's environment: tokens and a config; the URL is each test's."""
    config = tmp_path / "desk.yml"
    config.write_text(w.DESK_YML)
    monkeypatch.setenv("CONNECTDESK_CONFIG", str(config))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")  # never reached


@pytest.mark.parametrize("command", [["serve"], ["work"], ["db", "current"], ["db", "upgrade"]])
@pytest.mark.parametrize("url", ["mysql://root:secret@db/app", "garbage", ""])
def test_every_command_refuses_a_url_it_cannot_use_in_one_line(
    deploy_env, monkeypatch, capsys, command: list[str], url: str
):
    monkeypatch.setenv("CONNECTDESK_DATABASE_URL", url)
    assert main(command) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CONNECTDESK_DATABASE_URL "), captured.err
    assert ACCEPTED in lines[0] and "Traceback" not in captured.err and not captured.out
    assert "secret" not in captured.err


async def run(*argv: str) -> int:
    """The CLI in a worker thread (it runs its own event loop, as from a shell)."""
    return await asyncio.to_thread(main, list(argv))


async def test_db_commands_take_a_plain_sqlite_url(deploy_env, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CONNECTDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'plain.db'}")
    assert await run("db", "upgrade") == 0
    assert await run("db", "current") == 0
    out = capsys.readouterr().out
    assert "sqlite+aiosqlite:///" in out and "up to date" in out


async def test_db_current_on_postgresql_written_as_providers_do(deploy_env, monkeypatch, capsys):
    base = postgres_url()
    if base is None:
        pytest.skip(HOW_TO_ENABLE)
    async with postgres_schema(base) as url:
        # As a provider writes it: postgresql://, with libpq's sslmode (the local server has no
        # TLS, so "prefer" falls back to a plain connection, as libpq would).
        plain = make_url(url).set(drivername="postgresql").update_query_dict({"sslmode": "prefer"})
        monkeypatch.setenv("CONNECTDESK_DATABASE_URL", plain.render_as_string(hide_password=False))
        assert await run("db", "current") == 1  # an empty schema: says what to run
        assert "has no connectdesk schema yet" in capsys.readouterr().out
        assert await run("db", "upgrade") == 0
        assert await run("db", "current") == 0
        captured = capsys.readouterr()
        assert "up to date" in captured.out and "postgresql+asyncpg://" in captured.out
        assert not captured.err
