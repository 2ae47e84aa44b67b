"""A start that cannot work is refused in a line or two that say what to fix, and creates nothing.

Run as an operator would: `connectdesk serve` (or `work`) against the emulator's Web API, with
one thing wrong each time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.emulator import Emulator, Faults
from tests.support import world as w

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "xoxb-good"
NOBODY = "127.0.0.1:9"  # the discard port: nothing listens there


@dataclass
class Deployment:
    """Where a start-up test runs: its data folder (must stay empty), config and Slack."""

    data: Path
    config: Path
    emu: Emulator


@pytest.fixture
async def deployment(monkeypatch, tmp_path: Path) -> AsyncIterator[Deployment]:
    """Everything right: a config, tokens Slack accepts, a SQLite URL in an empty folder."""
    data = tmp_path / "data"
    data.mkdir()
    config = tmp_path / "desk.yml"
    config.write_text(w.DESK_YML)
    async with Emulator(w.workspace(), signing_secret="secret", bot_token=TOKEN) as emu:
        for name, value in {
            "CONNECTDESK_CONFIG": str(config),
            "CONNECTDESK_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'desk.db'}",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_API_URL": emu.api_url,
        }.items():
            monkeypatch.setenv(name, value)
        for name in ("SLACK_APP_TOKEN", "CONNECTDESK_INBOX_URL", "PORT"):
            monkeypatch.delenv(name, raising=False)
        yield Deployment(data, config, emu)


async def refused(argv: list[str], capsys, caplog) -> str:
    """Run the command (in a thread: it runs its own loop); its stderr, checked to be short."""
    code = await asyncio.to_thread(main, argv)
    err = capsys.readouterr().err
    assert code == 1, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, err
    assert "Traceback" not in err
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    return err


CASES = {
    "Slack refuses the token": (
        {"SLACK_BOT_TOKEN": "xoxb-revoked"},
        "Slack refused SLACK_BOT_TOKEN (invalid_auth from auth.test). Set it to the Bot User"
        " OAuth Token (xoxb-...)",
    ),
    "a token that is not a bot token": (
        {"SLACK_BOT_TOKEN": "xapp-1-app-level"},
        "(invalid_auth from auth.test) (the value set does not start with xoxb-)",
    ),
    "Slack refuses the connection": (
        {"SLACK_API_URL": f"http://{NOBODY}/api/"},
        f"Cannot reach Slack's Web API at http://{NOBODY}/api/: cannot connect to {NOBODY}"
        " (connection refused). Check the network (or proxy) and SLACK_API_URL.",
    ),
    "Slack's host name does not resolve": (
        {"SLACK_API_URL": "http://slack.invalid/api/"},
        "Cannot reach Slack's Web API at http://slack.invalid/api/: cannot resolve the host"
        " name slack.invalid.",
    ),
    "SLACK_API_URL is no URL": (
        {"SLACK_API_URL": "slack api"},
        "SLACK_API_URL is not a URL: 'slack api'",
    ),
    "a database URL that does not parse": (
        {"CONNECTDESK_DATABASE_URL": "sqlite+aiosqlite//desk.db"},
        "CONNECTDESK_DATABASE_URL is not a database URL; use postgresql://user:password@host:5432"
        "/db (also postgres://, postgresql+asyncpg://) or sqlite:///path/to/file.db",
    ),
    "a database URL that hides its password when wrong": (
        {"CONNECTDESK_DATABASE_URL": "postgres//desk:hunter2@db/desk"},
        "CONNECTDESK_DATABASE_URL is not a database URL; use postgresql://",
    ),
    "an engine connectdesk does not run on": (
        {"CONNECTDESK_DATABASE_URL": "mysql+aiomysql://desk@db/desk"},
        "CONNECTDESK_DATABASE_URL is a mysql+aiomysql:// URL, a database connectdesk does not run"
        " on; use postgresql://",
    ),
    "PostgreSQL is down": (
        # Plain postgresql:// is accepted and runs on asyncpg.
        {"CONNECTDESK_DATABASE_URL": f"postgresql://desk:hunter2@{NOBODY}/desk"},
        f"Cannot reach the database postgresql+asyncpg://desk:***@{NOBODY}/desk: connection"
        " refused. Is it running, and is CONNECTDESK_DATABASE_URL right?",
    ),
    "no schema yet": (
        {},
        "has no connectdesk schema yet. Run `connectdesk db upgrade` (or start with"
        " `connectdesk serve --upgrade-db`).",
    ),
    "no desk.yml": (
        {"CONNECTDESK_CONFIG": "desk.yml"},
        "desk.yml: cannot read the config file (No such file or directory)\nStart from the"
        " annotated example: cp desk.example.yml desk.yml (or point CONNECTDESK_CONFIG or"
        " --config at your file).",
    ),
    "a retention window shorter than Slack's redeliveries": (
        {"CONNECTDESK_RETENTION_DAYS": "0.5"},
        "CONNECTDESK_RETENTION_DAYS=0.5 is too short: processed event ids must outlive Slack's"
        " redeliveries (it retries an event for about 5 minutes), so keep them at least 1 day.",
    ),
    "a setting that is not a number": (
        {"PORT": "eighty"},
        "PORT='eighty': Input should be a valid integer",
    ),
}


@pytest.mark.parametrize("command", ["serve", "work"])
@pytest.mark.parametrize("case", list(CASES))
async def test_a_refused_start_says_what_to_fix_and_creates_nothing(
    deployment: Deployment, monkeypatch, tmp_path: Path, capsys, caplog, case: str, command: str
) -> None:
    env, expected = CASES[case]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # a relative desk.yml is looked for here, and is missing
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    err = await refused([command], capsys, caplog)
    assert expected in err
    assert list(deployment.data.iterdir()) == []
    assert "hunter2" not in err


async def test_upgrade_db_creates_nothing_when_slack_refuses_the_token(
    deployment: Deployment, monkeypatch, capsys, caplog
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked")
    err = await refused(["serve", "--upgrade-db"], capsys, caplog)
    assert "Slack refused SLACK_BOT_TOKEN" in err
    assert list(deployment.data.iterdir()) == []


async def test_upgrade_db_into_a_missing_folder_says_so(
    deployment: Deployment, monkeypatch, tmp_path: Path, capsys, caplog
) -> None:
    missing = tmp_path / "nowhere" / "desk.db"
    monkeypatch.setenv("CONNECTDESK_DATABASE_URL", f"sqlite+aiosqlite:///{missing}")
    err = await refused(["serve", "--upgrade-db"], capsys, caplog)
    assert f"cannot be created: the folder {missing.parent} does not exist." in err


async def test_an_invalid_desk_yml_is_named_by_file_and_line(
    deployment: Deployment, capsys, caplog
) -> None:
    text = deployment.config.read_text().replace("first_response: 15m", "first_response: soon", 1)
    deployment.config.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "soon" in row)
    code = await asyncio.to_thread(main, ["serve"])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{deployment.config}:{line}: tiers.strategic.priorities.P1.first_response" in err
    assert "Traceback" not in err and list(deployment.data.iterdir()) == []
    # Slack was not asked: the config comes first.
    assert deployment.emu.calls_to("auth.test") == []


async def test_the_refusal_is_all_an_operator_sees(deployment: Deployment) -> None:
    """As a separate process: no log line, warning or traceback beside the one sentence."""
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-revoked"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    assert out == b""
    assert err.decode() == (
        "Slack refused SLACK_BOT_TOKEN (invalid_auth from auth.test). Set it to the Bot User"
        " OAuth Token (xoxb-...) on your app's OAuth & Permissions page.\n"
    )
    assert list(deployment.data.iterdir()) == []


async def test_a_web_api_url_that_is_not_slack_says_so(
    deployment: Deployment, monkeypatch, capsys, caplog
) -> None:
    monkeypatch.setenv("SLACK_API_URL", f"{deployment.emu.base_url}/not-the-api/")
    err = await refused(["serve"], capsys, caplog)
    assert (
        f"Slack's Web API at {deployment.emu.base_url}/not-the-api/ did not answer auth.test as"
        " Slack does (HTTP 404). Check SLACK_API_URL (leave it unset for Slack itself)."
    ) in err


async def test_slack_failing_at_start_up_says_try_again(
    deployment: Deployment, capsys, caplog
) -> None:
    deployment.emu.faults = Faults(server_error=1.0, spared=frozenset())
    err = await refused(["serve"], capsys, caplog)
    assert "answered auth.test with HTTP 500 (internal_error), also when asked again" in err
    assert "Try again shortly." in err
    assert len(deployment.emu.calls_to("auth.test")) == 3  # the first try and two more
    assert list(deployment.data.iterdir()) == []


async def test_slack_not_answering_in_time_says_so(
    deployment: Deployment, monkeypatch, capsys, caplog
) -> None:
    monkeypatch.setattr("bot.cli.startup.SLACK_TIMEOUT_SECONDS", 1)
    deployment.emu.faults = Faults(slow=1.0, slow_seconds=3.0, spared=frozenset())
    err = await refused(["serve"], capsys, caplog)
    assert (
        f"Cannot reach Slack's Web API at {deployment.emu.api_url}: no answer within 1 s."
        " Check the network (or proxy) and SLACK_API_URL."
    ) in err
    assert list(deployment.data.iterdir()) == []


OAUTH_CASES = {
    "a bot token and OAuth credentials both": (
        {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "s"},
        "Set either SLACK_BOT_TOKEN (the app installed in one workspace) or SLACK_CLIENT_ID and"
        " SLACK_CLIENT_SECRET (installs by OAuth in many workspaces), not both.",
    ),
    "a client id without its secret": (
        {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": "1111.2222"},
        "SLACK_CLIENT_SECRET is not set: installs by OAuth need both the client id and secret.",
    ),
    "OAuth without a token key": (
        {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "s"},
        "CONNECTDESK_TOKEN_KEYS is not set: installs made with OAuth keep their tokens encrypted"
        " with it (make one with `connectdesk token-key`).",
    ),
    "OAuth with a key that is not one": (
        {
            "SLACK_BOT_TOKEN": "",
            "SLACK_CLIENT_ID": "1111.2222",
            "SLACK_CLIENT_SECRET": "s",
            "CONNECTDESK_TOKEN_KEYS": "hunter2",
        },
        "CONNECTDESK_TOKEN_KEYS: key 1 of 1 is not a Fernet key",
    ),
}


@pytest.mark.parametrize("case", list(OAUTH_CASES))
async def test_an_oauth_start_that_cannot_work_says_what_to_fix(
    deployment: Deployment, monkeypatch, capsys, caplog, case: str
) -> None:
    env, expected = OAUTH_CASES[case]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    err = await refused(["serve"], capsys, caplog)
    assert expected in err
    assert list(deployment.data.iterdir()) == []
    assert "hunter2" not in err


async def test_oauth_tokens_a_key_cannot_read_refuse_the_start(
    deployment: Deployment, monkeypatch, capsys, caplog
) -> None:
    """Tokens stored under one key, the start under another: refused before anything runs."""
    from slack_sdk.oauth.installation_store.models.installation import Installation

    from bot.installs.cipher import TokenCipher
    from bot.installs.store import EncryptedInstallationStore
    from store import migrate
    from store.db import make_engine

    url = f"sqlite+aiosqlite:///{deployment.data / 'desk.db'}"
    await migrate.upgrade(url)
    engine = make_engine(url)
    try:
        store = EncryptedInstallationStore(
            "1111.2222", engine, TokenCipher([TokenCipher.new_key()])
        )
        await store.async_save(
            Installation(
                app_id="A0CONNECTDESK",
                team_id="T0VENDOR",
                bot_token="xoxb-stored",
                bot_user_id="U0BOT",
                user_id="U0ALICE",
            )
        )
    finally:
        await engine.dispose()
    for name, value in {
        "SLACK_BOT_TOKEN": "",
        "SLACK_CLIENT_ID": "1111.2222",
        "SLACK_CLIENT_SECRET": "s",
        "CONNECTDESK_TOKEN_KEYS": TokenCipher.new_key(),
    }.items():
        monkeypatch.setenv(name, value)
    err = await refused(["serve"], capsys, caplog)
    assert "no key in CONNECTDESK_TOKEN_KEYS can decrypt a stored token" in err
    assert "xoxb-stored" not in err
