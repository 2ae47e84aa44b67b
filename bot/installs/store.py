"""slack_sdk's SQLAlchemy installation store on the desk's database, with tokens encrypted.

A wrapper rather than a subclass: the inner store's `async_save` saves the bot through its own
`async_save_bot`, so encrypting on the way in happens exactly once here.
"""

from __future__ import annotations

import copy
from typing import TypeVar

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from sqlalchemy import and_, delete, desc, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.installs.cipher import TokenCipher
from store.models import TOKEN_COLUMNS, slack_bots, slack_installations

Stored = TypeVar("Stored", Installation, Bot)


class EncryptedInstallationStore(AsyncInstallationStore):
    """Saves installations with every token encrypted; finds them decrypted."""

    def __init__(self, client_id: str, engine: AsyncEngine, cipher: TokenCipher) -> None:
        self.inner = AsyncSQLAlchemyInstallationStore(client_id, engine)
        # The desk's own table objects (wider token columns; created by the migrations).
        self.inner.installations = slack_installations
        self.inner.bots = slack_bots
        self.cipher = cipher
        self.engine = engine
        self.client_id = client_id

    @property
    def logger(self):
        """slack_sdk's logger for this store."""
        return self.inner.logger

    def _sealed(self, item: Stored) -> Stored:
        sealed = copy.copy(item)
        for name in TOKEN_COLUMNS:
            if hasattr(sealed, name):
                setattr(sealed, name, self.cipher.encrypt(getattr(sealed, name)))
        return sealed

    def _opened(self, item: Stored | None) -> Stored | None:
        if item is None:
            return None
        for name in TOKEN_COLUMNS:
            if hasattr(item, name):
                setattr(item, name, self.cipher.decrypt(getattr(item, name)))
        return item

    async def async_save(self, installation: Installation) -> None:
        """Store an installation (and its bot) with the tokens encrypted."""
        await self.inner.async_save(self._sealed(installation))

    async def async_save_bot(self, bot: Bot) -> None:
        """Store a bot (a rotated token, say) with the tokens encrypted."""
        await self.inner.async_save_bot(self._sealed(bot))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The newest bot of a workspace (or of an org, for an org-wide install)."""
        return self._opened(
            await self.inner.async_find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The newest installation of a workspace (or org)."""
        return self._opened(
            await self.inner.async_find_installation(
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=is_enterprise_install,
            )
        )

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget a workspace's bot tokens."""
        await self.inner.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Forget a workspace's installation(s)."""
        await self.inner.async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget everything stored for a workspace (uninstalled)."""
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    async def all_bots(self) -> list[Bot]:
        """The newest bot of every installed workspace or org, decrypted."""
        c = slack_bots.c
        query = (
            select(slack_bots)
            .where(c.client_id == self.client_id, c.bot_token.is_not(None))
            .order_by(c.installed_at)
        )
        newest: dict[tuple[str | None, str | None], Bot] = {}
        async with self.engine.connect() as conn:
            for row in (await conn.execute(query)).mappings():
                bot = SQLAlchemyInstallationStore.build_bot_entity(row)
                newest[(bot.enterprise_id, bot.team_id)] = bot  # later rows win
        return [self._opened(bot) for bot in newest.values()]  # type: ignore[misc]

    async def find_by_key(self, key: str) -> Bot | None:
        """The newest bot of the install kept under `key`: a workspace (team id, in an org or
        not) or an org-wide install (enterprise id)."""
        c = slack_bots.c
        mine = c.client_id == self.client_id
        if key.startswith("E"):
            where = and_(mine, c.enterprise_id == key, c.is_enterprise_install.is_(True))
        else:
            where = and_(mine, c.team_id == key, c.is_enterprise_install.is_(False))
        query = (
            select(slack_bots)
            .where(where, c.bot_token.is_not(None))
            .order_by(desc(c.installed_at))
            .limit(1)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return self._opened(SQLAlchemyInstallationStore.build_bot_entity(row)) if row else None

    async def delete_by_key(self, key: str) -> None:
        """Forget every token of the install kept under `key` (its data stays)."""
        async with self.engine.begin() as conn:
            for table in (slack_bots, slack_installations):
                c = table.c
                if key.startswith("E"):
                    where = and_(c.enterprise_id == key, c.is_enterprise_install.is_(True))
                else:
                    where = and_(c.team_id == key, c.is_enterprise_install.is_(False))
                await conn.execute(delete(table).where(c.client_id == self.client_id, where))

    async def reencrypt(self) -> int:
        """Encrypt every stored token with the newest key (after adding one); rows changed."""
        changed = 0
        async with self.engine.begin() as conn:
            for table in (slack_installations, slack_bots):
                columns = [table.c[name] for name in TOKEN_COLUMNS if name in table.c]
                rows = (await conn.execute(select(table.c.id, *columns))).mappings().all()
                for row in rows:
                    values = {c.name: self.cipher.rotate(row[c.name]) for c in columns}
                    await conn.execute(update(table).where(table.c.id == row["id"]).values(values))
                    changed += 1
        return changed
