"""Running the bot for real: HTTP (behind a load balancer) or Socket Mode."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal

from aiohttp import web

from bot.app import create_app
from bot.config.desk import DeskConfig
from bot.config.settings import Settings
from bot.startup import announce
from bot.workers import WorkerPool

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


async def serve(
    settings: Settings,
    config: DeskConfig,
    *,
    upgrade_db: bool = False,
    workers: int = 0,
    log_level: str = "WARNING",
) -> None:
    """Start the app and run until SIGINT/SIGTERM (SchemaNotReady if the schema is behind).

    `workers`: events are worked by that many `connectdesk work` child processes instead of
    this one, which then only acks, answers commands and buttons, and runs the timers.
    """
    desk = create_app(settings, config)
    try:
        await desk.start(upgrade_db=upgrade_db, work_events=workers == 0)
    except BaseException:
        await desk.close()
        raise
    _tune_collector()
    stop = _stop_on_signals()
    pool = WorkerPool(workers, log_level, settings.config_path) if workers else None
    if pool is not None:
        pool.start()
    runner = None
    socket_handler = None
    try:
        if settings.slack_app_token and settings.slack_app_token.get_secret_value():
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            socket_handler = AsyncSocketModeHandler(
                desk.bolt, settings.slack_app_token.get_secret_value()
            )
            await socket_handler.connect_async()
            announce("connectdesk ready: connected to Slack in Socket Mode")
        else:
            runner = web.AppRunner(desk.web_app())
            await runner.setup()
            await web.TCPSite(runner, settings.host, settings.port).start()
            announce(
                f"connectdesk ready: listening on http://{settings.host}:{settings.port}"
                " (POST /slack/events, GET /healthz); events worked "
                + (f"by {workers} worker process(es)" if workers else "in this process")
            )
        await stop.wait()
    finally:
        if socket_handler is not None:
            await socket_handler.close_async()
        if runner is not None:
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
