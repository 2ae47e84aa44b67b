"""The App Home as a person meets it: opening it, pressing its buttons, reading it.

Opening sends `app_home_opened` like any event (people.py); a press is `block_actions` from the
view, with no channel and no response URL (interactions.py); what the person reads is the
latest view the app published for them (views.publish, webapi/views.py), as text (queries.py).
"""

from __future__ import annotations

from typing import Any

from bot.emulator.delivery import Delivery
from bot.emulator.interactions import Interactions
from bot.emulator.people import People
from bot.emulator.queries import Queries
from bot.emulator.webapi.views import Views


class Homes:
    """Each person's App Home in the emulated workspace."""

    def __init__(
        self, people: People, interactions: Interactions, queries: Queries, views: Views
    ) -> None:
        self._people = people
        self._interactions = interactions
        self._queries = queries
        self._views = views

    async def open(self, user_id: str, tab: str = "home") -> Delivery:
        """A person opens the app's Home tab (or Messages): app_home_opened to the app."""
        return await self._people.open_home(user_id, tab)

    async def press(self, user_id: str, action_id: str, value: str | None = None) -> Delivery:
        """A person presses a button their Home shows (the first with `action_id`, or the one
        with `value`); ValueError for a button it does not show."""
        return await self._interactions.press_home_button(user_id, action_id, value)

    def text(self, user_id: str) -> str | None:
        """A person's Home as they read it now (None: the app never published one for them)."""
        return self._queries.home(user_id)

    def published(self, user_id: str) -> list[dict[str, Any]]:
        """Every Home the app published for a person, oldest first (as Slack stored it)."""
        return list(self._views.homes.get(user_id, []))
