"""Where the app is installed, and the bot token and identity of each install.

Everything the desk stores is kept under an install's key: the workspace's team id, or, for an
org-wide (Enterprise Grid) install, the org's enterprise id. One workspace installed with
`SLACK_BOT_TOKEN` is one install whose key `auth.test` tells; with OAuth every installation in
the store is one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.installs.store import EncryptedInstallationStore
from bot.slack.identity import who_am_i

log = logging.getLogger("connectdesk.installs")

# Rotate a token this long before it expires (Bolt's default too).
ROTATE_BEFORE_SECONDS = 120 * 60
# How long an install read from the store is trusted before it is read again: another replica
# may have rotated its token or seen it uninstalled.
CACHE_SECONDS = 60.0


class NotInstalled(LookupError):
    """The app is not (or no longer) installed where this was meant to happen."""


@dataclass(frozen=True)
class Install:
    """The app installed in one workspace (or org): the bot's token and who the bot is."""

    key: str
    team_id: str | None
    enterprise_id: str | None
    is_enterprise_install: bool
    bot_token: str
    bot_user_id: str
    bot_id: str | None = None
    expires_at: datetime | None = None
    # The workspace's address (auth.test's `url`), for building links to its messages;
    # None when not known yet (an OAuth install: its gateway asks auth.test once).
    url: str | None = None

    @property
    def our_ids(self) -> frozenset[str]:
        """The team and org ids whose people are this install's own team."""
        return frozenset(i for i in (self.key, self.team_id, self.enterprise_id) if i)


def install_key(team_id: str | None, enterprise_id: str | None, org_wide: bool) -> str:
    """The key an install's data is kept under: the org for an org-wide install, else the team."""
    if org_wide and enterprise_id:
        return enterprise_id
    return team_id or enterprise_id or ""


class Installs(Protocol):
    """What the desk asks about installs (one workspace by token, or many by OAuth)."""

    async def find(self, key: str) -> Install | None:
        """The install kept under `key`, with a token good for now; None if not installed."""
        ...

    async def keys(self) -> list[str]:
        """Every install's key."""
        ...

    async def forget(self, key: str) -> None:
        """The app was uninstalled (or its tokens revoked) there: drop what we hold."""
        ...

    async def home(self, key: str) -> str:
        """The install a command or button naming this team (or org) belongs to."""
        ...


class TokenInstall:
    """One workspace, installed by hand with `SLACK_BOT_TOKEN` (the default)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._install: Install | None = None
        self._revoked = False

    async def learn(self) -> Install:
        """Ask Slack who the token is for (auth.test, once); raises SlackApiError if refused."""
        if self._install is None:
            auth = await who_am_i(self.client)
            org_wide = bool(auth.get("is_enterprise_install"))
            enterprise = auth.get("enterprise_id")
            self._install = Install(
                key=install_key(auth["team_id"], enterprise, org_wide),
                team_id=auth["team_id"],
                enterprise_id=enterprise,
                is_enterprise_install=org_wide,
                bot_token=self.client.token or "",
                bot_user_id=auth["user_id"],
                bot_id=auth.get("bot_id"),
                url=auth.get("url"),
            )
        return self._install

    async def find(self, key: str) -> Install | None:
        """The one install, if `key` is its key and it was not uninstalled."""
        install = await self.learn()
        return install if key == install.key and not self._revoked else None

    async def keys(self) -> list[str]:
        """The one install's key (none once uninstalled)."""
        return [] if self._revoked else [(await self.learn()).key]

    async def home(self, key: str) -> str:
        """The one install: a payload may name the caller's own team (or org) instead."""
        return (await self.learn()).key

    async def forget(self, key: str) -> None:
        """Uninstalled: the token is dead; nothing is deleted (it lives in the environment)."""
        if self._install is not None and key == self._install.key:
            self._revoked = True


class OAuthInstalls:
    """Every workspace and org that installed the app by OAuth, from the encrypted store."""

    def __init__(
        self,
        store: EncryptedInstallationStore,
        client: AsyncWebClient,
        client_id: str,
        client_secret: str,
    ) -> None:
        self.store = store
        self.rotator = AsyncTokenRotator(
            client_id=client_id, client_secret=client_secret, client=client
        )
        self._cache: dict[str, tuple[Install, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def find(self, key: str) -> Install | None:
        """The install under `key` (its token rotated first when it expires soon)."""
        cached = self._cache.get(key)
        if cached is not None and cached[1] > time.monotonic() and not _expiring(cached[0]):
            return cached[0]
        async with self._locks.setdefault(key, asyncio.Lock()):
            bot = await self.store.find_by_key(key)
            if bot is None:
                self._cache.pop(key, None)
                return None
            if bot.bot_refresh_token and _expiring(_install(key, bot)):
                bot = await self._rotate(key, bot)
            install = _install(key, bot)
            self._cache[key] = (install, time.monotonic() + CACHE_SECONDS)
            return install

    async def _rotate(self, key: str, bot: Bot) -> Bot:
        try:
            rotated = await self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_BEFORE_SECONDS // 60
            )
        except SlackApiError as exc:
            # Another replica may have rotated it a moment ago: its token is in the store.
            log.warning("token rotation for %s failed (%s); reading the store", key, exc)
            return await self.store.find_by_key(key) or bot
        if rotated is None:
            return bot
        await self.store.async_save_bot(rotated)
        log.info("rotated the bot token of %s", key)
        return rotated

    async def home(self, key: str) -> str:
        """The key as given: each workspace (or org) is its own install."""
        return key

    async def keys(self) -> list[str]:
        """Every installed workspace or org."""
        return [key_of_bot(bot) for bot in await self.store.all_bots()]

    async def forget(self, key: str) -> None:
        """Delete the tokens of an install (uninstalled or revoked); its data stays."""
        self._cache.pop(key, None)
        await self.store.delete_by_key(key)

    def saved(self, installation: Any) -> str:
        """A new installation was saved (the OAuth callback): its key, with no stale cache."""
        key = install_key(
            installation.team_id,
            installation.enterprise_id,
            bool(installation.is_enterprise_install),
        )
        self._cache.pop(key, None)
        return key


def key_of_bot(bot: Bot) -> str:
    """The key of the install a stored bot belongs to."""
    return install_key(bot.team_id, bot.enterprise_id, bool(bot.is_enterprise_install))


def _install(key: str, bot: Bot) -> Install:
    expires = None
    if bot.bot_token_expires_at:
        expires = datetime.fromtimestamp(bot.bot_token_expires_at, UTC)
    return Install(
        key=key,
        team_id=bot.team_id,
        enterprise_id=bot.enterprise_id,
        is_enterprise_install=bool(bot.is_enterprise_install),
        bot_token=bot.bot_token or "",
        bot_user_id=bot.bot_user_id or "",
        bot_id=bot.bot_id,
        expires_at=expires,
    )


def _expiring(install: Install) -> bool:
    if install.expires_at is None:
        return False
    left = (install.expires_at - datetime.now(UTC)).total_seconds()
    return left < ROTATE_BEFORE_SECONDS
