"""The baseline: a Bolt AsyncApp that only acks message events, on Bolt's aiohttp server.

Run by the ingest benchmark as `python -m bench.bare_bolt` with PORT, SLACK_API_URL,
SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET set.
"""

from __future__ import annotations

import asyncio
import os
import signal

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def build(token: str, signing_secret: str, api_url: str) -> AsyncApp:
    """A Bolt app with one listener that does nothing (Bolt acks before running it)."""
    app = AsyncApp(
        client=AsyncWebClient(token=token, base_url=api_url),
        signing_secret=signing_secret,
        process_before_response=False,
    )

    @app.event("message")
    async def ignore() -> None:
        return None

    return app


async def serve() -> None:
    """Serve until SIGTERM/SIGINT."""
    app = build(
        os.environ["SLACK_BOT_TOKEN"],
        os.environ["SLACK_SIGNING_SECRET"],
        os.environ["SLACK_API_URL"],
    )
    web_app = app.web_app(path="/slack/events")

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(os.environ["PORT"])).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve())
