"""Process settings from the environment, read once at start-up and passed down."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Driverless URLs as deployers write them, and the async driver connectdesk runs them on.
_ASYNC_DRIVERS = {
    "postgresql://": "postgresql+asyncpg://",
    "postgres://": "postgresql+asyncpg://",
    "sqlite://": "sqlite+aiosqlite://",
}


class Settings(BaseSettings):
    """Environment of a connectdesk process (see DESIGN.md, "Environment").

    Each field's description is what `connectdesk serve --help` prints for its variable.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr = Field(
        default=SecretStr(""),
        alias="SLACK_BOT_TOKEN",
        description="the app's bot token (xoxb-...); required",
    )
    slack_signing_secret: SecretStr = Field(
        default=SecretStr(""),
        alias="SLACK_SIGNING_SECRET",
        description="the app's signing secret; required over HTTP",
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        alias="SLACK_APP_TOKEN",
        description="an app-level token (xapp-...): use Socket Mode instead of HTTP",
    )
    slack_api_url: str | None = Field(
        default=None,
        alias="SLACK_API_URL",
        description="base URL of the Web API, for the emulator and tests (default Slack's)",
    )
    database_url: str = Field(
        default="sqlite+aiosqlite:///connectdesk.db",
        alias="CONNECTDESK_DATABASE_URL",
        description="sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER@HOST/DB",
    )
    # By default a file beside a SQLite database, or the same PostgreSQL database
    # (store/inbox_store.py).
    inbox_url: str | None = Field(
        default=None,
        alias="CONNECTDESK_INBOX_URL",
        description="where acknowledged events wait (default: beside the database)",
    )
    # Within one process an accepted event wakes the worker at once; `serve --workers`
    # children poll every 50 ms.
    inbox_lease_seconds: float = Field(
        default=10.0,
        alias="CONNECTDESK_INBOX_LEASE",
        description="seconds a worker's claim on stored events lasts",
    )
    inbox_poll_seconds: float = Field(
        default=1.0,
        alias="CONNECTDESK_INBOX_POLL",
        description="seconds between looks for events another process stored",
    )
    config_path: str = Field(
        default="desk.yml",
        alias="CONNECTDESK_CONFIG",
        description="the desk's config file; --config overrides it",
    )
    port: int = Field(default=3000, alias="PORT", description="HTTP port; --port overrides it")
    host: str = Field(
        default="0.0.0.0",
        alias="CONNECTDESK_HOST",
        description="HTTP address to listen on; --host overrides it",
    )
    outbox_lease_seconds: float = Field(
        default=30.0,
        alias="CONNECTDESK_OUTBOX_LEASE",
        description="seconds a side effect under way is left to its worker",
    )
    sweep_interval_seconds: float = Field(
        default=30.0,
        alias="CONNECTDESK_SWEEP_INTERVAL",
        description="seconds between safety sweeps of the SLA timers",
    )
    replica_id: str | None = Field(
        default=None,
        alias="CONNECTDESK_REPLICA_ID",
        description="names this process in logs, User-Agent and leases (default host-pid)",
    )
    broadcast_lease_seconds: float = Field(
        default=30.0,
        alias="CONNECTDESK_BROADCAST_LEASE",
        description="seconds a replica's claim on driving a broadcast lasts",
    )

    @field_validator("database_url", "inbox_url")
    @classmethod
    def _async_driver(cls, url: str | None) -> str | None:
        """Accept plain `postgresql://` and `sqlite://` URLs: run them on the async drivers."""
        if url is None:
            return None
        for plain, driver in _ASYNC_DRIVERS.items():
            if url.startswith(plain):
                return driver + url.removeprefix(plain)
        return url
