"""Process settings from the environment, read once at start-up and passed down."""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.urls import DatabaseUrlError, database_url

MIN_RETENTION_DAYS = 1.0


class Settings(BaseSettings):
    """Environment of a connectdesk process (see DESIGN.md, "Environment").

    Each field's description is what `connectdesk serve --help` prints for its variable.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr = Field(
        default=SecretStr(""),
        alias="SLACK_BOT_TOKEN",
        description="the app's bot token (xoxb-...); required unless installed by OAuth",
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
    # Processed event ids and finished jobs older than this are pruned (bot/jobs/retention.py).
    retention_days: float = Field(
        default=7.0,
        alias="CONNECTDESK_RETENTION_DAYS",
        description="days processed event ids and finished jobs are kept (at least 1)",
    )

    metrics_dir: str | None = Field(
        default=None,
        alias="PROMETHEUS_MULTIPROC_DIR",
        description="where processes sharing one /metrics write samples (serve --workers sets it)",
    )
    # OAuth installs (many workspaces): with the app's credentials set, the desk serves
    # /slack/install and /slack/oauth_redirect and keeps each install's tokens encrypted.
    slack_client_id: str | None = Field(
        default=None,
        alias="SLACK_CLIENT_ID",
        description="OAuth installs in many workspaces: the app's client id",
    )
    slack_client_secret: SecretStr | None = Field(
        default=None,
        alias="SLACK_CLIENT_SECRET",
        description="OAuth installs: the app's client secret",
    )
    slack_redirect_uri: str | None = Field(
        default=None,
        alias="SLACK_REDIRECT_URI",
        description="OAuth installs: where Slack sends installers back (default: the app's)",
    )
    token_keys: SecretStr | None = Field(
        default=None,
        alias="CONNECTDESK_TOKEN_KEYS",
        description="OAuth installs: Fernet keys for tokens at rest, newest first, comma-separated",
    )
    # Only used when desk.yml has an `llm:` section; some local endpoints need no key.
    llm_api_key: SecretStr | None = Field(
        default=None,
        alias="CONNECTDESK_LLM_API_KEY",
        description="the key of the `llm:` endpoint in desk.yml (reply drafts)",
    )

    @property
    def oauth(self) -> bool:
        """Whether the app is installed by OAuth (many workspaces) rather than by one token."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @field_validator("retention_days")
    @classmethod
    def _outlasts_redelivery(cls, value: float) -> float:
        """Event ids must outlive Slack's retries (about 5 minutes); a day leaves a margin."""
        if value < MIN_RETENTION_DAYS:
            raise PydanticCustomError(
                "sentence",
                "CONNECTDESK_RETENTION_DAYS={value} is too short: processed event ids must"
                " outlive Slack's redeliveries (it retries an event for about 5 minutes), so"
                " keep them at least 1 day.",
                {"value": f"{value:g}"},
            )
        return value

    @field_validator("database_url", "inbox_url")
    @classmethod
    def _usable_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        """`postgresql://…` and the other forms deployers write, as the async drivers take them."""
        if value is None:
            return None
        alias = cls.model_fields[info.field_name or ""].alias or info.field_name or "URL"
        try:
            return database_url(value, alias)
        except DatabaseUrlError as exc:
            # A custom error keeps the sentence as it is (no "Value error, " in front).
            raise PydanticCustomError("database_url", str(exc)) from None
