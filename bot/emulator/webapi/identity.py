"""Who is who: `auth.test` (the bot itself) and `users.info` (a person)."""

from __future__ import annotations

from typing import Any

from bot.emulator.webapi.params import Answer, ApiError, Method, need
from bot.emulator.workspace import Install, Workspace


class Identity:
    """The bot's own identity and the people it meets."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def methods(self) -> dict[str, Method]:
        """The Web API methods this family answers."""
        return {"auth.test": self.auth_test, "users.info": self.users_info}

    async def auth_test(self, params: dict[str, Any], caller: Install) -> Answer:
        """`auth.test`: the team, bot user and bot the token acts for."""
        team = caller.team
        answer = {
            "ok": True,
            "url": team.url,
            "team": team.name,
            "user": self.ws.users[caller.bot_user_id].name,
            "team_id": team.id,
            "user_id": caller.bot_user_id,
            "bot_id": caller.bot_id,
            "is_enterprise_install": caller.is_enterprise_install,
        }
        if caller.enterprise_id:
            answer["enterprise_id"] = caller.enterprise_id
        return answer

    async def users_info(self, params: dict[str, Any], caller: Install) -> Answer:
        """`users.info`: a person, marked a stranger when from outside the caller's org."""
        user = self.ws.users.get(need(params, "user"))
        if user is None:
            raise ApiError("user_not_found")
        stranger = user.team_id != caller.team.id and not (
            caller.enterprise_id and self.ws.enterprise_of(user.team_id) == caller.enterprise_id
        )
        return {
            "ok": True,
            "user": {
                "id": user.id,
                "team_id": user.team_id,
                "name": user.name,
                "real_name": user.real_name,
                "is_bot": user.is_bot,
                "deleted": False,
                "is_stranger": stranger,
                "profile": {
                    "display_name": user.name,
                    "real_name": user.real_name,
                    "team": user.team_id,
                },
                **(
                    {"enterprise_user": {"enterprise_id": enterprise, "teams": [user.team_id]}}
                    if (enterprise := self.ws.enterprise_of(user.team_id))
                    else {}
                ),
            },
        }
