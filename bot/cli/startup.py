"""Start-up checks for `serve` and `work`: a start that cannot work is refused in a sentence
that says what to fix, before anything is opened (so a refused start creates no database file).

The order is the order of what to fix: database URLs (no I/O), then Slack's answer to the bot
token, then the database and its schema. The config file and the tokens' presence are checked
by the CLI before this.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.config.settings import Settings
from bot.installs.cipher import TokenCipher, TokenKeyError
from bot.installs.store import EncryptedInstallationStore
from bot.slack.transport import api_failure, check_token
from store import migrate
from store.db import make_engine

SLACK_TIMEOUT_SECONDS = 10
DATABASE_TIMEOUT_SECONDS = 15.0
SLACK_DEFAULT_API = "https://slack.com/api/"
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
    """Refuse a start that cannot work (StartupError); create nothing while checking.

    The database URLs were checked when the settings were read (store/urls.py).
    """
    cipher = check_token_keys(settings) if settings.oauth else None
    await check_slack(settings)
    if await check_database(settings.database_url, upgrade_db=upgrade_db) and cipher:
        await check_stored_tokens(settings, cipher)


def check_token_keys(settings: Settings) -> TokenCipher:
    """With OAuth installs: the key(s) tokens are encrypted with are set and well formed."""
    keys = settings.token_keys.get_secret_value() if settings.token_keys else ""
    try:
        return TokenCipher.from_setting(keys)
    except TokenKeyError as exc:
        raise StartupError(f"{exc}.") from None


async def check_stored_tokens(settings: Settings, cipher: TokenCipher) -> None:
    """The keys can read the tokens already stored (a replaced key would lose every install)."""
    engine = make_engine(settings.database_url)
    try:
        store = EncryptedInstallationStore(settings.slack_client_id or "", engine, cipher)
        await store.all_bots()
    except TokenKeyError as exc:
        raise StartupError(f"{exc}.") from None
    finally:
        await engine.dispose()


async def check_slack(settings: Settings) -> None:
    """Slack answers auth.test and accepts the bot token (with OAuth: answers api.test)."""
    token = None if settings.oauth else settings.slack_bot_token.get_secret_value()
    asked = "auth.test" if token else "api.test"
    where = settings.slack_api_url or SLACK_DEFAULT_API
    try:
        await check_token(token, settings.slack_api_url, within=SLACK_TIMEOUT_SECONDS)
    except SlackApiError as exc:
        failure = api_failure(exc)
        status = failure.status or 0
        error = failure.code if failure.json else f"HTTP {status}"
        if token and error in TOKEN_REFUSED:
            hint = "" if token.startswith("xoxb-") else " (the value set does not start with xoxb-)"
            raise StartupError(
                f"Slack refused SLACK_BOT_TOKEN ({error} from auth.test){hint}. Set it to the"
                " Bot User OAuth Token (xoxb-...) on your app's OAuth & Permissions page."
            ) from None
        if status >= 500 or status == 429:
            raise StartupError(
                f"Slack's Web API at {where} answered {asked} with HTTP {status} ({error}),"
                " also when asked again: Slack may be having trouble (status.slack.com)."
                " Try again shortly."
            ) from None
        raise StartupError(
            f"Slack's Web API at {where} did not answer {asked} as Slack does ({error})."
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


async def check_database(url: str, *, upgrade_db: bool = False) -> bool:
    """The database answers and its schema is current (or `upgrade_db` will make it so);
    whether its schema is current already (what is stored can be read)."""
    where = migrate.safe_url(url)
    if not await asyncio.to_thread(_sqlite_file_there, url, upgrade_db):
        return False
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
    return problem is None


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
