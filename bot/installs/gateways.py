"""One Web API gateway per install: its token, its bot identity, its own pacing.

Slack's rate limits are per workspace per app, so each install paces its own posts and edits;
the HTTP connections are shared by all.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from bot.config.pacing import CHANNEL_INTERVAL
from bot.installs.registry import Install, Installs, NotInstalled
from bot.slack.gateway import Identity, SlackGateway
from bot.slack.pacing import ChannelPacer, WindowBudget
from bot.slack.transport import Transport


class Gateways:
    """The gateway of each install, made on first use and kept while its token is current."""

    def __init__(
        self,
        installs: Installs,
        client_for: Callable[[str], AsyncWebClient],
        *,
        pacing: tuple[tuple[int, float], tuple[int, float]],
        channel_interval: float = CHANNEL_INTERVAL,
    ) -> None:
        """`client_for(token)`: a Web API client; `pacing`: (calls, seconds) for posts, edits."""
        self.installs = installs
        self.client_for = client_for
        self.pacing = pacing
        self.channel_interval = channel_interval
        self._gateways: dict[str, tuple[Install, SlackGateway]] = {}

    async def at(self, key: str) -> SlackGateway:
        """The gateway of the install kept under `key`; NotInstalled if there is none."""
        install = await self.installs.find(key)
        if install is None:
            self._gateways.pop(key, None)
            raise NotInstalled(f"the app is not installed in {key or 'this workspace'}")
        known = self._gateways.get(key)
        if known is not None:
            held, gateway = known
            if held.bot_token != install.bot_token:
                gateway.client.token = install.bot_token  # rotated: same caches, new token
                self._gateways[key] = (install, gateway)
            return gateway
        (posts, posts_per), (edits, edits_per) = self.pacing
        transport = Transport(
            self.client_for(install.bot_token),
            pacer=ChannelPacer(self.channel_interval),
            posts=WindowBudget(posts, posts_per),
            edits=WindowBudget(edits, edits_per),
        )
        gateway = SlackGateway(
            transport,
            identity=Identity(
                team_id=install.key,
                bot_user_id=install.bot_user_id,
                bot_id=install.bot_id,
                enterprise_id=install.enterprise_id,
                url=None if install.is_enterprise_install else install.url,
            ),
        )
        self._gateways[key] = (install, gateway)
        return gateway

    async def find(self, key: str) -> SlackGateway | None:
        """The gateway under `key`, or None when the app is not installed there."""
        try:
            return await self.at(key)
        except NotInstalled:
            return None

    async def keys(self) -> list[str]:
        """Every install's key."""
        return await self.installs.keys()

    async def home(self, key: str) -> str:
        """The install a command or button with this team (or org) belongs to."""
        return await self.installs.home(key)

    def forget(self, key: str) -> None:
        """Drop the gateway of an install that is gone."""
        self._gateways.pop(key, None)
