"""The `views.*` methods: Home tabs, and modals opened with a trigger id that expires."""

from __future__ import annotations

import copy
import itertools
import time
import uuid
from typing import Any

from bot.emulator.webapi.params import Answer, ApiError, Method, need, view_of
from bot.emulator.workspace import Install, Workspace

# Slack: a Home tab or a modal holds at most 100 blocks.
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT, MAX_FIELD_TEXT = 3000, 2000


def _too_long(block: Any) -> bool:
    """A section whose text passes 3,000 characters or a field 2,000: Slack refuses the view."""
    if not isinstance(block, dict) or block.get("type") != "section":
        return False
    text = (block.get("text") or {}).get("text") or ""
    fields = [(f or {}).get("text") or "" for f in block.get("fields") or []]
    return len(text) > MAX_SECTION_TEXT or any(len(f) > MAX_FIELD_TEXT for f in fields)


class Views:
    """Published Home tabs, the trigger ids people's actions issue, and the modals opened."""

    def __init__(self, ws: Workspace, app_id: str, *, trigger_ttl: float = 3.0) -> None:
        self.ws = ws
        self.app_id = app_id
        self.trigger_ttl = trigger_ttl
        self.published: dict[str, dict[str, Any]] = {}  # user id -> their Home tab now
        self.homes: dict[str, list[dict[str, Any]]] = {}  # user id -> every Home, oldest first
        self.opened: dict[str, list[dict[str, Any]]] = {}  # user id -> modals, newest last
        # trigger id -> [user, monotonic issue time, already used]
        self._triggers: dict[str, list[Any]] = {}
        self._trigger_seq = itertools.count(1)
        self._view_seq = itertools.count(1)

    def methods(self) -> dict[str, Method]:
        """The Web API methods this family answers."""
        return {"views.publish": self.views_publish, "views.open": self.views_open}

    async def views_publish(self, params: dict[str, Any], caller: Install) -> Answer:
        """`views.publish`: replace a person's Home tab (the whole view each time).

        Slack's arguments: `user_id`, `view` (JSON), optional `hash` (the hash of the view
        being replaced: `hash_conflict` when another publish came first). The answer carries
        the view as stored, with its id (the same for one person's Home) and a new hash.
        """
        user = need(params, "user_id")
        view = view_of(params)
        if user not in self.ws.users:
            raise ApiError("user_not_found")
        blocks = view.get("blocks")
        if view.get("type") != "home" or not isinstance(blocks, list):
            raise ApiError("invalid_arguments")
        if len(blocks) > MAX_VIEW_BLOCKS or len(str(view.get("private_metadata") or "")) > 3000:
            raise ApiError("invalid_arguments")
        if any(_too_long(block) for block in blocks):
            raise ApiError("invalid_arguments")
        current = self.published.get(user)
        given = params.get("hash")
        if given and current is not None and given != current["hash"]:
            raise ApiError("hash_conflict")
        view_id = current["id"] if current is not None else f"V{next(self._view_seq):010d}"
        home = self._view_json(view_id, "home", view, blocks, caller)
        self.published[user] = home
        self.homes.setdefault(user, []).append(home)
        return {"ok": True, "view": copy.deepcopy(home)}

    def issue_trigger(self, user_id: str) -> str:
        """A fresh trigger id for something `user_id` did (valid for `trigger_ttl` seconds)."""
        seq = next(self._trigger_seq)
        # Slack's shape: "<digits>.<digits>.<hex>"; the sequence number keeps ids unique.
        trigger = f"{seq}.{int(time.time())}.{uuid.uuid4().hex[:24]}"
        self._triggers[trigger] = [user_id, time.monotonic(), False]
        return trigger

    async def views_open(self, params: dict[str, Any], caller: Install) -> Answer:
        """`views.open`: a modal, once per trigger id and only while it is fresh."""
        trigger = need(params, "trigger_id")
        view = view_of(params)
        issued = self._triggers.get(trigger)
        if issued is None:
            raise ApiError("invalid_trigger_id")
        user, at, used = issued
        if used:
            raise ApiError("exchanged_trigger_id")
        if time.monotonic() - at > self.trigger_ttl:
            raise ApiError("expired_trigger_id")
        if view.get("type") != "modal" or not isinstance(view.get("title"), dict):
            raise ApiError("invalid_arguments")
        blocks = view.get("blocks") or []
        if not isinstance(blocks, list) or len(blocks) > 100:
            raise ApiError("invalid_arguments")
        if len(str(view.get("private_metadata") or "")) > 3000:
            raise ApiError("invalid_arguments")
        issued[2] = True
        opened = self._modal_json(view, blocks, caller)
        self.opened.setdefault(user, []).append(opened)
        return {"ok": True, "view": copy.deepcopy(opened)}

    def _modal_json(
        self, view: dict[str, Any], blocks: list[dict[str, Any]], caller: Install
    ) -> dict[str, Any]:
        view_id = f"V{next(self._view_seq):010d}"
        return self._view_json(view_id, "modal", view, blocks, caller)

    def _view_json(
        self,
        view_id: str,
        kind: str,
        view: dict[str, Any],
        blocks: list[dict[str, Any]],
        caller: Install,
    ) -> dict[str, Any]:
        """A view as Slack answers it (views.open, views.publish) and sends it back later."""
        blocks = copy.deepcopy(blocks)
        for n, block in enumerate(blocks):
            # Slack fills in ids the app left out, so state.values always has keys.
            block.setdefault("block_id", f"blk{n}")
            element = block.get("element")
            if isinstance(element, dict):
                element.setdefault("action_id", f"act{n}")
        team = caller.team.id
        return {
            "id": view_id,
            "team_id": team,
            "type": kind,
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": blocks,
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "external_id": view.get("external_id") or "",
            "app_installed_team_id": team,
            "bot_id": caller.bot_id,
        }
