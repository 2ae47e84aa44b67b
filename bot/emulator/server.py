"""The emulator's one HTTP server on 127.0.0.1: each part mounts its routes on it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from aiohttp import web


class HttpServer:
    """Listens on a free local port; the Web API, response URLs, websockets and OAuth share it."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """Root URL of the emulator."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Base URL of the Web API, for `AsyncWebClient(base_url=...)`."""
        return f"http://127.0.0.1:{self.port}/api/"

    async def start(self, mounts: Iterable[Callable[[web.Application], None]]) -> None:
        """Serve every part's routes on a free local port."""
        app = web.Application(client_max_size=4 * 1024 * 1024)
        for mount in mounts:
            mount(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
