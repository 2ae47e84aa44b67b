"""Installs coming and going: a new one gets its accounts from desk.yml, an uninstalled one
stops its timers and broadcasts and loses its tokens, and keeps its tickets."""

from __future__ import annotations

import logging

from bot.domain.clock import Clock
from bot.installs.gateways import Gateways
from bot.services.accounts import AccountService
from store.db import Database

log = logging.getLogger("connectdesk.installs")


class InstallService:
    """What follows an install, an uninstall or revoked tokens, per workspace (or org)."""

    def __init__(
        self, db: Database, clock: Clock, gateways: Gateways, accounts: AccountService
    ) -> None:
        self.db = db
        self.clock = clock
        self.gateways = gateways
        self.accounts = accounts

    async def start(self) -> dict[str, int]:
        """Every install's configured accounts loaded; accounts per install."""
        loaded = {}
        for key in await self.gateways.keys():
            loaded[key] = await self.accounts.load_config_accounts(key)
        return loaded

    async def installed(self, key: str) -> int:
        """A new (or renewed) install: its accounts of desk.yml; how many."""
        count = await self.accounts.load_config_accounts(key)
        log.info("installed in %s: %d configured account(s)", key, count, extra={"workspace": key})
        return count

    async def uninstalled(self, key: str, why: str) -> dict[str, int]:
        """The app can no longer act there: stop what was under way and drop its tokens."""
        async with self.db.unit_of_work() as uow:
            stopped = await uow.workspaces.stop(key, self.clock.now())
        await self.gateways.installs.forget(key)
        self.gateways.forget(key)
        log.warning(
            "%s in %s: stopped %s; its tickets are kept",
            why,
            key,
            ", ".join(f"{n} {what}" for what, n in stopped.items()),
            extra={"workspace": key},
        )
        return stopped
