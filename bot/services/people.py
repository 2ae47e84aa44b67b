"""Who is on our side: internal users versus customers from other organisations."""

from __future__ import annotations

from bot.config.desk import DeskConfig
from bot.installs.gateways import Gateways


class People:
    """Classifies users as internal (the install's team or org, and configured extra teams)
    or external, per install."""

    def __init__(self, gateways: Gateways, config: DeskConfig) -> None:
        self.gateways = gateways
        self.config = config

    async def our_ids(self, team: str) -> frozenset[str]:
        """The install's team (and org) plus the configured extra team and enterprise ids."""
        identity = await (await self.gateways.at(team)).identity()
        ours = {identity.team_id} | ({identity.enterprise_id} if identity.enterprise_id else set())
        return self.config.team_for(team).internal_team_ids | ours

    async def is_internal(
        self, team: str, user_id: str | None, user_team: str | None = None
    ) -> bool | None:
        """True for our people, False for others, None when Slack cannot tell us.

        `team`: the install asking; `user_team`: the poster's team, when the event says.
        """
        if not user_id:
            return None
        gateway = await self.gateways.at(team)
        identity = await gateway.identity()
        ours = await self.our_ids(team)
        if user_team:
            if user_team in ours:
                return True
            if identity.enterprise_id is None:
                return False
            # In an Enterprise Grid org people of its other workspaces are ours too: the
            # profile names their org (looked up once per person).
        profile = await gateway.user(user_id)
        if not profile:
            return None
        if profile.get("is_stranger"):
            return False
        enterprise = (profile.get("enterprise_user") or {}).get("enterprise_id")
        return profile.get("team_id") in ours or (enterprise is not None and enterprise in ours)

    async def speaks_for(
        self, team: str, user_id: str, user_team: str | None, requester_user_id: str
    ) -> bool:
        """Whether a user may answer for a customer: the requester, or a colleague from the
        same organisation (never one of our people; unknown counts as no)."""
        if await self.is_internal(team, user_id, user_team) is not False:
            return False
        if user_id == requester_user_id:
            return True
        gateway = await self.gateways.at(team)
        requester = await gateway.user(requester_user_id)
        theirs = requester.get("team_id") if requester else None
        mine = user_team
        if mine is None:
            profile = await gateway.user(user_id)
            mine = profile.get("team_id") if profile else None
        return theirs is not None and theirs == mine
