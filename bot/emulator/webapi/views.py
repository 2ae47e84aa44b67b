"""The `views.*` methods: Home tabs, and modals opened with a trigger id that expires."""

from __future__ import annotations

import copy
import itertools
import time
import uuid
from typing import Any

from bot.emulator.webapi.params import Answer, ApiError, Method, need, view_of
from bot.emulator.workspace import Install


class Views:
    """Published Home tabs, the trigger ids people's actions issue, and the modals opened."""

    def __init__(self, app_id: str, *, trigger_ttl: float = 3.0) -> None:
        self.app_id = app_id
        self.trigger_ttl = trigger_ttl
        self.published: dict[str, dict[str, Any]] = {}  # user id -> their Home tab
        self.opened: dict[str, list[dict[str, Any]]] = {}  # user id -> modals, newest last
        # trigger id -> [user, monotonic issue time, already used]
        self._triggers: dict[str, list[Any]] = {}
        self._trigger_seq = itertools.count(1)
        self._view_seq = itertools.count(1)

    def methods(self) -> dict[str, Method]:
        """The Web API methods this family answers."""
        return {"views.publish": self.views_publish, "views.open": self.views_open}

    async def views_publish(self, params: dict[str, Any], caller: Install) -> Answer:
        """`views.publish`: a person's Home tab."""
        user = need(params, "user_id")
        view = view_of(params)
        self.published[user] = view
        return {"ok": True, "view": {"id": f"V{len(self.published):08d}", **view}}

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
            "type": "modal",
            "title": view["title"],
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
