"""Events API listeners: parse each stored event and hand it to one service.

Events do not go through Bolt's listeners: the edge stores them in the inbox and acks, and the
inbox worker hands them here in batches (see bot/inbox).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

from bot.services.container import Services
from bot.services.home import HOME_TAB
from handlers.parsing import (
    channel_joined,
    home_opened,
    incoming_message,
    installation_team,
    revoked_bot,
)
from handlers.registry import EVENTS

JOINS = ("member_joined_channel", "channel_shared")
HOME_OPENED = "app_home_opened"


class EventListeners:
    """The event types connectdesk acts on, and which service each goes to."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def wants(self, body: dict[str, Any]) -> bool:
        """Whether the event can change anything: our types, and of messages only new posts."""
        event = body.get("event")
        if not isinstance(event, dict) or event.get("type") not in EVENTS:
            return False
        if event["type"] == HOME_OPENED:
            # The Messages tab (the bot's DMs) changes nothing: acknowledged, not stored.
            return event.get("tab", HOME_TAB) == HOME_TAB
        if event["type"] != "message":
            return True
        # Edits, deletions, joins and every bot's posts (our own echoes among them) never
        # touch a ticket, so they are acknowledged without being stored.
        return self.services.intake.wants(incoming_message(body, event))

    async def handle(self, bodies: Sequence[dict[str, Any]]) -> None:
        """Handle events in order; consecutive messages are decided in one transaction."""
        for is_message, run in groupby(bodies, key=lambda b: b["event"].get("type") == "message"):
            group = list(run)
            if is_message:
                await self.services.intake.on_messages(
                    [incoming_message(b, b["event"]) for b in group]
                )
                continue
            for body in group:
                kind = body["event"].get("type")
                if kind in JOINS:
                    await self.services.accounts.on_channel_joined(
                        channel_joined(body, body["event"])
                    )
                elif kind == HOME_OPENED:
                    await self.services.home.opened(home_opened(body, body["event"]))
                elif kind == "app_uninstalled" or (
                    kind == "tokens_revoked" and revoked_bot(body["event"])
                ):
                    why = "uninstalled" if kind == "app_uninstalled" else "bot token revoked"
                    await self.services.installs.uninstalled(installation_team(body), why)
