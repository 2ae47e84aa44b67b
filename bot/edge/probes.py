"""The operator's routes: `/healthz` (alive), `/readyz` (can work), `/metrics` (Prometheus).

Mounted on whichever aiohttp app a process serves on $PORT: the HTTP edge's, or in Socket
Mode a small one of its own (`add_probes(web.Application(), ...)`).
"""

from __future__ import annotations

from aiohttp import web

from bot.observability.metrics import CONTENT_TYPE, Metrics
from bot.observability.readiness import Readiness


def add_probes(app: web.Application, *, readiness: Readiness, metrics: Metrics) -> None:
    """Add GET /healthz, /readyz and /metrics to `app`."""

    async def healthz(_request: web.Request) -> web.Response:
        # Alive only: a restart cannot fix a database or Slack outage, so nothing else here.
        return web.json_response({"ok": True})

    async def readyz(_request: web.Request) -> web.Response:
        report = await readiness.report()
        body: dict[str, object] = {"ok": report.ready, "checks": report.checks}
        if not report.ready:
            body["failed"] = report.failed
        return web.json_response(body, status=200 if report.ready else 503)

    async def scrape(_request: web.Request) -> web.Response:
        return web.Response(body=await metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", scrape)
