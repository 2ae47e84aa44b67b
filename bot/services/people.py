"""Who is on our side: internal users versus customers from other organisations."""

from __future__ import annotations

from bot.gateway import SlackGateway


class People:
    """Classifies users as internal (our team and configured extra teams) or external."""

    def __init__(self, gateway: SlackGateway, extra_team_ids: frozenset[str]) -> None:
        self.gateway = gateway
        self.extra_team_ids = extra_team_ids

    async def our_ids(self) -> frozenset[str]:
        """The installing team plus the configured extra team and enterprise ids."""
        identity = await self.gateway.identity()
        return self.extra_team_ids | {identity.team_id}

    async def is_internal(self, user_id: str | None, user_team: str | None = None) -> bool | None:
        """True for our people, False for others, None when Slack cannot tell us."""
        if not user_id:
            return None
        ours = await self.our_ids()
        if user_team:
            return user_team in ours
        profile = await self.gateway.user(user_id)
        if not profile:
            return None
        if profile.get("is_stranger"):
            return False
        enterprise = (profile.get("enterprise_user") or {}).get("enterprise_id")
        return profile.get("team_id") in ours or (enterprise is not None and enterprise in ours)
