"""`connectdesk db ...` and serve's schema check, run as a deployer would (each engine)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.emulator import Emulator
from tests.support import world as w


@pytest.fixture
async def deploy_env(monkeypatch, tmp_path: Path, database_url: str) -> AsyncIterator[str]:
    """The environment of a deployment on `database_url`, with tokens, a config and Slack."""
    config = tmp_path / "desk.yml"
    config.write_text(w.DESK_YML)
    monkeypatch.setenv("CONNECTDESK_CONFIG", str(config))
    monkeypatch.setenv("CONNECTDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    # serve asks Slack about its token before it looks at the database.
    async with Emulator(w.workspace(), signing_secret="secret", bot_token="xoxb-test") as emu:
        monkeypatch.setenv("SLACK_API_URL", emu.api_url)
        yield database_url


async def run(*argv: str) -> int:
    """The CLI in a worker thread (it runs its own event loop, as from a shell)."""
    return await asyncio.to_thread(main, list(argv))


async def test_serve_refuses_an_empty_database_and_says_what_to_run(deploy_env, capsys) -> None:
    assert await run("serve") == 1
    err = capsys.readouterr().err
    assert "has no connectdesk schema yet" in err
    assert "Run `connectdesk db upgrade` (or start with `connectdesk serve --upgrade-db`)" in err


async def test_upgrade_then_current_then_stamp(deploy_env, capsys) -> None:
    from store import migrate

    head = migrate.head()
    assert head is not None and head >= "0002"
    assert await run("db", "current") == 1
    assert f"revision none, newest {head}" in capsys.readouterr().out
    assert await run("db", "upgrade") == 0
    assert f"at revision {head} (newest {head})" in capsys.readouterr().out
    assert await run("db", "current") == 0
    out = capsys.readouterr().out
    assert f"revision {head}, newest {head}" in out and "up to date" in out
    assert await run("db", "stamp", "base") == 0
    assert "stamped None" in capsys.readouterr().out
    # Tables without a migration record: serve explains how to adopt them.
    assert await run("serve") == 1
    assert "run `connectdesk db stamp head` once" in capsys.readouterr().err


def copy_migrations(source: Path, target: Path) -> Path:
    """A copy of the migrations folder, so a test never writes into the package."""
    (target / "versions").mkdir(parents=True)
    for item in source.iterdir():
        if item.is_file():
            (target / item.name).write_bytes(item.read_bytes())
    for item in (source / "versions").glob("*.py"):
        (target / "versions" / item.name).write_bytes(item.read_bytes())
    return target


async def test_revision_on_a_current_schema_writes_an_empty_migration(
    deploy_env, capsys, monkeypatch, tmp_path: Path
) -> None:
    from store import migrate

    monkeypatch.setattr(migrate, "MIGRATIONS", copy_migrations(migrate.MIGRATIONS, tmp_path / "m"))
    assert await run("db", "upgrade") == 0
    head = migrate.head()
    assert head is not None
    assert await run("db", "revision", "-m", "add nothing") == 0
    out = capsys.readouterr().out
    written = Path(out.split("wrote ")[1].strip())
    assert written.name == f"{int(head) + 1:04d}_add_nothing.py"
    body = await asyncio.to_thread(written.read_text)
    assert f"Revises: {head}" in body
    upgrade = body.split("def upgrade()")[1].split("def downgrade()")[0]
    assert "pass" in upgrade and "op." not in upgrade  # models and schema agree: nothing to do


async def test_db_with_a_database_url_that_does_not_parse_explains(monkeypatch, capsys) -> None:
    monkeypatch.setenv("CONNECTDESK_DATABASE_URL", "postgres//desk:hunter2@db/desk")
    assert await run("db", "current") == 1
    err = capsys.readouterr().err
    assert err == (
        "CONNECTDESK_DATABASE_URL is not a database URL; use postgresql://user:password@host:5432"
        "/db (also postgres://, postgresql+asyncpg://) or sqlite:///path/to/file.db (also"
        " sqlite+aiosqlite:///)\n"
    )
    assert "hunter2" not in err
