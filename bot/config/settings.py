"""Process settings from the environment, read once at start-up and passed down."""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.urls import DatabaseUrlError, database_url


class Settings(BaseSettings):
    """Environment of a connectdesk process (see DESIGN.md, "Environment")."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr = Field(default=SecretStr(""), alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr = Field(default=SecretStr(""), alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str | None = Field(default=None, alias="SLACK_API_URL")
    database_url: str = Field(
        default="sqlite+aiosqlite:///connectdesk.db", alias="CONNECTDESK_DATABASE_URL"
    )
    # Where Events API deliveries wait between the ack and their handling; by default a file
    # beside a SQLite database, or the same PostgreSQL database (store/inbox_store.py).
    inbox_url: str | None = Field(default=None, alias="CONNECTDESK_INBOX_URL")
    # How long a worker's claim on a batch of stored events lasts before another redoes it.
    inbox_lease_seconds: float = Field(default=10.0, alias="CONNECTDESK_INBOX_LEASE")
    # How often a worker looks for stored events another process accepted (within one process
    # an accepted event wakes the worker at once; `serve --workers` children poll every 50 ms).
    inbox_poll_seconds: float = Field(default=1.0, alias="CONNECTDESK_INBOX_POLL")
    config_path: str = Field(default="desk.yml", alias="CONNECTDESK_CONFIG")
    port: int = Field(default=3000, alias="PORT")
    host: str = Field(default="0.0.0.0", alias="CONNECTDESK_HOST")
    # How long a side effect under way is left to its worker before another retries it.
    outbox_lease_seconds: float = Field(default=30.0, alias="CONNECTDESK_OUTBOX_LEASE")
    sweep_interval_seconds: float = Field(default=30.0, alias="CONNECTDESK_SWEEP_INTERVAL")
    # How long a replica's claim on driving an incident broadcast lasts without renewal.
    # Names this process (logs, User-Agent, the incident broadcast lease); default host-pid.
    replica_id: str | None = Field(default=None, alias="CONNECTDESK_REPLICA_ID")
    broadcast_lease_seconds: float = Field(default=30.0, alias="CONNECTDESK_BROADCAST_LEASE")
    # Where processes sharing one /metrics write their samples (prometheus_client's multiprocess
    # mode); `serve --workers` sets it for itself and its children.
    metrics_dir: str | None = Field(default=None, alias="PROMETHEUS_MULTIPROC_DIR")
    # OAuth installs (many workspaces): the app's credentials; with them set the desk serves
    # /slack/install and /slack/oauth_redirect and keeps each install's tokens, encrypted with
    # CONNECTDESK_TOKEN_KEYS (Fernet keys, comma-separated, the newest first).
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    # Where Slack sends the installer back; by default the one in the app's settings.
    slack_redirect_uri: str | None = Field(default=None, alias="SLACK_REDIRECT_URI")
    token_keys: SecretStr | None = Field(default=None, alias="CONNECTDESK_TOKEN_KEYS")

    @property
    def oauth(self) -> bool:
        """Whether the app is installed by OAuth (many workspaces) rather than by one token."""
        return bool(self.slack_client_id and self.slack_client_secret)

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
