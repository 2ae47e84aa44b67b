"""Start-up checks for `serve` and `work`: a start that cannot work is refused in a sentence
that says what to fix, before anything is opened (so a refused start creates no database file).

The order is the order of what to fix: database URLs (no I/O), then Slack's answer to the bot
token, then the database and its schema. The config file and the tokens' presence are checked
by the CLI before this.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from bot.config.settings import Settings
from bot.gateway import check_token
from store import migrate

SLACK_TIMEOUT_SECONDS = 10
DATABASE_TIMEOUT_SECONDS = 15.0
SLACK_DEFAULT_API = "https://slack.com/api/"
URL_EXAMPLES = "sqlite+aiosqlite:///connectdesk.db or postgresql+asyncpg://user:password@host/db"
DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
# auth.test errors that mean "this token will not do", whatever the network says.
TOKEN_REFUSED = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
    }
)


class StartupError(Exception):
    """A start refused for a reason the operator can fix; the message says what to fix."""


async def check_startup(settings: Settings, *, upgrade_db: bool = False) -> None:
    """Refuse a start that cannot work (StartupError); create nothing while checking."""
    check_database_urls(settings)
    await check_slack(settings)
    await check_database(settings.database_url, upgrade_db=upgrade_db)


def check_database_urls(settings: Settings) -> None:
    """Both database URLs parse and name an engine and async driver connectdesk runs on."""
    check_database_url("CONNECTDESK_DATABASE_URL", settings.database_url)
    if settings.inbox_url is not None:
        check_database_url("CONNECTDESK_INBOX_URL", settings.inbox_url)


def check_database_url(name: str, url: str) -> URL:
    """`url` parsed, or StartupError naming the variable `name` and what was expected."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StartupError(
            f"{name} is not a database URL: {_masked(url)!r}. Expected {URL_EXAMPLES}."
        ) from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend not in DRIVERS:
        raise StartupError(
            f"{name}: connectdesk runs on SQLite or PostgreSQL, not {backend!r}."
            f" Expected {URL_EXAMPLES}."
        )
    if driver != DRIVERS[backend]:
        raise StartupError(
            f"{name}: use the {DRIVERS[backend]} driver ({backend}+{DRIVERS[backend]}://...),"
            f" not {driver!r}."
        )
    return parsed


def _masked(url: str) -> str:
    # An unparsable URL may still carry a password between "user:" and "@".
    return re.sub(r":[^:/@]*@", ":***@", url)


async def check_slack(settings: Settings) -> None:
    """Slack answers auth.test and accepts the bot token."""
    token = settings.slack_bot_token.get_secret_value()
    where = settings.slack_api_url or SLACK_DEFAULT_API
    try:
        await check_token(token, settings.slack_api_url, within=SLACK_TIMEOUT_SECONDS)
    except SlackApiError as exc:
        error, status = _slack_error(exc)
        if error in TOKEN_REFUSED:
            hint = "" if token.startswith("xoxb-") else " (the value set does not start with xoxb-)"
            raise StartupError(
                f"Slack refused SLACK_BOT_TOKEN ({error} from auth.test){hint}. Set it to the"
                " Bot User OAuth Token (xoxb-...) on your app's OAuth & Permissions page."
            ) from None
        if status >= 500 or status == 429:
            raise StartupError(
                f"Slack's Web API at {where} answered auth.test with HTTP {status} ({error}),"
                " also when asked again: Slack may be having trouble (status.slack.com)."
                " Try again shortly."
            ) from None
        raise StartupError(
            f"Slack's Web API at {where} did not answer auth.test as Slack does ({error})."
            " Check SLACK_API_URL (leave it unset for Slack itself)."
        ) from None
    except aiohttp.InvalidURL:
        raise StartupError(
            f"SLACK_API_URL is not a URL: {where!r} (leave it unset for Slack itself)."
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise StartupError(
            f"Cannot reach Slack's Web API at {where}: {_network_reason(exc)}."
            " Check the network (or proxy) and SLACK_API_URL."
        ) from None


def _slack_error(exc: SlackApiError) -> tuple[str, int]:
    """Slack's error code (or the HTTP status when the answer had none) and the status."""
    response = exc.response
    status = int(getattr(response, "status_code", 0) or 0)
    data = getattr(response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"]), status
    return f"HTTP {status}", status


def _network_reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {SLACK_TIMEOUT_SECONDS} s"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve the host name {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port} ({_os_reason(exc.os_error)})"
    if isinstance(exc, OSError):
        return _os_reason(exc)
    return str(exc) or type(exc).__name__


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return exc.strerror or str(exc) or type(exc).__name__


async def check_database(url: str, *, upgrade_db: bool = False) -> None:
    """The database answers and its schema is current (or `upgrade_db` will make it so)."""
    where = migrate.safe_url(url)
    if not await asyncio.to_thread(_sqlite_file_there, url, upgrade_db):
        return
    try:
        status = await asyncio.wait_for(migrate.status(url), DATABASE_TIMEOUT_SECONDS)
    except TimeoutError:
        raise StartupError(
            f"Cannot reach the database {where}: no answer within {DATABASE_TIMEOUT_SECONDS:g} s."
            " Is it running, and is CONNECTDESK_DATABASE_URL right?"
        ) from None
    except OSError as exc:
        raise StartupError(
            f"Cannot reach the database {where}: {_os_reason(exc)}."
            " Is it running, and is CONNECTDESK_DATABASE_URL right?"
        ) from None
    except DBAPIError as exc:
        raise StartupError(
            f"The database {where} refused the connection: {str(exc.orig).strip()}."
            " Check CONNECTDESK_DATABASE_URL."
        ) from None
    problem = status.problem(url)
    if problem and not upgrade_db:
        raise StartupError(problem)


def _sqlite_file_there(url: str, upgrade_db: bool) -> bool:
    """False for a SQLite file `upgrade_db` will create; StartupError if it cannot or may not.

    Connecting would create the file, so it is looked for first.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return True
    path = Path(parsed.database)
    if path.exists():
        return True
    if not upgrade_db:
        raise StartupError(migrate.SchemaStatus(None, migrate.head(), False).problem(url))
    folder = path.absolute().parent
    if not folder.is_dir():
        raise StartupError(
            f"The database {migrate.safe_url(url)} cannot be created: the folder {folder}"
            " does not exist."
        )
    return False
