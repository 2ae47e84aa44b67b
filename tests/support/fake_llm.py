"""A fake OpenAI-compatible endpoint (aiohttp): `POST /v1/chat/completions`, every request kept.

`mode` says how it answers: "ok" (a chat completion whose text is `reply`), "hang" (no answer
until the test ends), "error" (HTTP 500). Tests read `requests` to see what was asked, or
that nothing was.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web


class FakeLlm:
    """A local chat-completions endpoint; `base_url` is what desk.yml's `llm:` points at."""

    def __init__(self, reply: str = "Thanks for reaching out! Please try again.") -> None:
        self.reply = reply
        self.mode = "ok"
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """The endpoint's base URL (with /v1, as OpenAI's clients take it)."""
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> FakeLlm:
        """Listen on a free local port."""
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Let hanging requests go, then stop listening."""
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        if self.mode == "hang":
            await self._release.wait()
            return web.json_response({"error": {"message": "gave up"}}, status=504)
        if self.mode == "error":
            return web.json_response(
                {"error": {"message": "upstream exploded", "type": "server_error"}}, status=500
            )
        body = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.requests[-1].get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.reply},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }
        return web.json_response(body)
