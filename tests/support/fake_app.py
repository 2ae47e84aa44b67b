"""A minimal app endpoint for the emulator's own tests, and the secret and token they share."""

from __future__ import annotations

import asyncio

from aiohttp import web

SECRET, TOKEN = "emu-secret", "xoxb-emu"


class FakeApp:
    """A minimal app endpoint that records what it receives and answers as told."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.delay = 0.0
        self.reply = ""
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        """Record the request, wait `delay`, answer `status` with `reply`."""
        self.requests.append((dict(request.headers), await request.read()))
        await asyncio.sleep(self.delay)  # an app that is slow to ack, on purpose
        return web.Response(status=self.status, text=self.reply)

    async def start(self) -> str:
        """Serve on a free local port; the events URL."""
        app = web.Application()
        app.router.add_post("/slack/events", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}/slack/events"
