"""Running the bot for real: HTTP (behind a load balancer) or Socket Mode."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

from bot.app import create_app
from bot.config.desk import DeskConfig
from bot.config.settings import Settings
from bot.edge.workers import WorkerPool
from bot.observability.logs import announce
from bot.observability.metrics import MULTIPROC_ENV

log = logging.getLogger("connectdesk.serve")


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


# Objects allocated between young-generation collections (Python's default: 700). Each event
# and Web API call allocates thousands of short-lived objects that die by reference count; at
# 700 the collector ran hundreds of times a second for nothing (about a tenth of a worker's
# CPU per ticket: bench/README.md). A young collection stays cheap at this size.
YOUNG_COLLECTION_THRESHOLD = 50_000


def _tune_collector() -> None:
    # What exists once the app is up (modules, Bolt, the desk's config, caches) lives as long
    # as the process; left to the collector, every full collection walks it all again: with
    # a thousand accounts that was 100-270 ms every few seconds of a broadcast, a stall of
    # the event loop each time (bench/README.md). Frozen, collections walk new objects only.
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


@contextmanager
def _shared_metrics(settings: Settings, workers: int) -> Iterator[Settings]:
    """With worker processes: a private directory where each process writes its metrics.

    prometheus_client takes it from the environment (in this process as in the children,
    which inherit it), so it is set there until serving ends, then removed with the files.
    A directory the operator set is theirs: used as it is, and left alone.
    """
    if not workers or settings.metrics_dir:
        yield settings
        return
    with tempfile.TemporaryDirectory(prefix="connectdesk-metrics-") as path:
        log.info("metrics of this process and its workers are gathered in %s", path)
        os.environ[MULTIPROC_ENV] = path
        try:
            yield settings.model_copy(update={"metrics_dir": path})
        finally:
            os.environ.pop(MULTIPROC_ENV, None)


async def serve(
    settings: Settings,
    config: DeskConfig,
    *,
    upgrade_db: bool = False,
    workers: int = 0,
    log_level: str = "WARNING",
    log_format: str = "text",
) -> None:
    """Start the app and run until SIGINT/SIGTERM (SchemaNotReady if the schema is behind).

    `workers`: events are worked by that many `connectdesk work` child processes instead of
    this one, which then only acks, answers commands and buttons, and runs the timers; their
    metrics are added up in this one's /metrics.
    """
    with _shared_metrics(settings, workers) as settings:
        await _serve(settings, config, upgrade_db, workers, log_level, log_format)


async def _serve(
    settings: Settings,
    config: DeskConfig,
    upgrade_db: bool,
    workers: int,
    log_level: str,
    log_format: str,
) -> None:
    desk = create_app(settings, config)
    try:
        await desk.start(upgrade_db=upgrade_db, work_events=workers == 0)
    except BaseException:
        await desk.close()
        raise
    _tune_collector()
    stop = _stop_on_signals()
    pool = (
        WorkerPool(
            workers,
            log_level,
            log_format,
            desk.metrics.process_exited,
            config_path=settings.config_path,
        )
        if workers
        else None
    )
    if pool is not None:
        pool.start()
    socket_edge = None
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    runner = web.AppRunner(desk.probes_app() if app_token else desk.web_app(), access_log=None)
    try:
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        probes = f"http://{settings.host}:{settings.port}"
        events = f"by {workers} worker process(es)" if workers else "in this process"
        if app_token:
            # Events, commands and buttons arrive over the websocket, into the same entry as
            # HTTP's; the port serves only the probes (and metrics) for the orchestrator.
            socket_edge = desk.socket_mode(app_token)
            await socket_edge.connect()
            announce(
                f"connectdesk ready: connected to Slack in Socket Mode; probes on {probes}"
                f" (GET /healthz, /readyz, /metrics); events worked {events}"
            )
        else:
            announce(
                f"connectdesk ready: listening on {probes} (POST /slack/events, GET /healthz,"
                f" /readyz, /metrics); events worked {events}"
            )
        await stop.wait()
    finally:
        if socket_edge is not None:
            await socket_edge.close()
        await runner.cleanup()
        if pool is not None:
            await pool.stop()
        await desk.close()


async def work(settings: Settings, config: DeskConfig) -> None:
    """Work stored events (and timers, side effects) until SIGINT/SIGTERM; no HTTP."""
    desk = create_app(settings, config)
    try:
        await desk.start()
    except BaseException:
        await desk.close()
        raise
    _tune_collector()
    announce(f"connectdesk event worker running (pid {os.getpid()})")
    try:
        await _stop_on_signals().wait()
    finally:
        await desk.close()
