"""What the app answers a person's command or click with: through a `response_url`, or in
the body of its acknowledgement; shown to that person (or, `in_channel`, to everyone)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

from bot.emulator.calls import ApiCall, CallLog
from bot.emulator.delivery import Delivery
from bot.emulator.server import HttpServer
from bot.emulator.workspace import StoredMessage, Workspace

PATH = "/response_url/{token}"


class ResponseUrls:
    """The response URLs handed out with commands and clicks, and where each answer lands."""

    def __init__(self, ws: Workspace, server: HttpServer, log: CallLog) -> None:
        self.ws = ws
        self.server = server
        self.log = log
        self._responses: dict[str, dict[str, Any]] = {}

    def mount(self, app: web.Application) -> None:
        """Take posts to response URLs on the emulator's HTTP app."""
        app.router.add_post(PATH, self._handle)

    def issue(self, user_id: str, channel_id: str, message_ts: str | None) -> str:
        """A fresh response URL for what `user_id` did in a channel (on a message, if any)."""
        token = uuid.uuid4().hex
        self._responses[token] = {
            "user": user_id,
            "channel": channel_id,
            "ts": message_ts,
            "install": self.ws.install_of(user_id),
        }
        return f"{self.server.base_url}/response_url/{token}"

    async def _handle(self, request: web.Request) -> web.Response:
        target = self._responses.get(request.match_info["token"])
        if target is None:
            return web.Response(status=404, text="expired_url")
        try:
            body = json.loads(await request.read())
        except json.JSONDecodeError:
            return web.Response(status=400, text="invalid_payload")
        self.log.record(ApiCall("response_url", body, {"ok": True}, 200))
        self._record(target, body)
        return web.Response(text="ok")

    def record_ack(self, user_id: str, channel_id: str, delivery: Delivery) -> None:
        """A message in the app's acknowledgement is shown as a response would be."""
        body = delivery.response_body.strip()
        if not body or delivery.status != 200:
            return
        try:
            parsed = json.loads(body)
        except json.JSONDecodeError:
            parsed = {"text": body}
        if isinstance(parsed, dict) and (parsed.get("text") or parsed.get("blocks")):
            self._record(
                {
                    "user": user_id,
                    "channel": channel_id,
                    "ts": None,
                    "install": self.ws.install_of(user_id),
                },
                parsed,
            )

    def _record(self, target: dict[str, Any], body: dict[str, Any]) -> None:
        original = self.ws.find(target["channel"], target["ts"]) if target.get("ts") else None
        if body.get("delete_original") and original:
            original.deleted = True
            return
        text, blocks = body.get("text") or "", body.get("blocks") or []
        if body.get("replace_original") and original:
            self.ws.edit(original, text, blocks)
            return
        in_channel = body.get("response_type") == "in_channel"
        self.ws.store(
            StoredMessage(
                channel_id=target["channel"],
                ts=self.ws.next_ts(),
                user=target.get("install", self.ws.primary).bot_user_id,
                text=text,
                blocks=blocks,
                bot_id=target.get("install", self.ws.primary).bot_id,
                kind="message" if in_channel else "ephemeral",
                target_user=None if in_channel else target["user"],
            )
        )
