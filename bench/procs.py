"""Processes under test: `connectdesk serve` or a bare Bolt app, each in its own interpreter."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.sandbox.sandbox import BOT_TOKEN, SIGNING_SECRET

STARTUP_SECONDS = 60.0


@dataclass(frozen=True)
class Served:
    """A running server process: its pid and the URL Slack posts events to."""

    pid: int
    events_url: str
    log_path: Path


def free_port() -> str:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


@asynccontextmanager
async def serving(
    module: str, args: list[str], env: dict[str, str], workdir: Path
) -> AsyncIterator[Served]:
    """Run `python -m module args…` with `env`; yield once its /healthz answers; stop it after."""
    port = free_port()
    full_env = {
        **os.environ,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "PORT": port,
        "CONNECTDESK_HOST": "127.0.0.1",
        **env,
    }
    log_path = workdir / f"{module.replace('.', '-')}-{port}.log"
    # BENCH_PROFILE=<folder>: run the server under cProfile; it writes <module>.prof on exit.
    profile = os.environ.get("BENCH_PROFILE")
    runner = ["-m", "cProfile", "-o", f"{profile}/{module}.prof"] if profile else []
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *runner, "-m", module, *args, env=full_env, stdout=log, stderr=log
        )
    try:
        await wait_healthy(f"http://127.0.0.1:{port}/healthz", proc, log_path)
        yield Served(proc.pid, f"http://127.0.0.1:{port}/slack/events", log_path)
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout=20)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def wait_healthy(
    url: str,
    proc: asyncio.subprocess.Process,
    log_path: Path | str,
    within: float = STARTUP_SECONDS,
) -> None:
    """Return once `url` (a /healthz) answers 200; fail early if the process exits."""
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.returncode is not None:
                raise RuntimeError(f"server exited {proc.returncode}; its log: {log_path}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {within}s; its log: {log_path}")


@asynccontextmanager
async def connectdesk(
    config_text: str,
    api_url: str,
    database_url: str,
    workdir: Path,
    sweep_interval: float = 30,
    workers: int = 0,
) -> AsyncIterator[Served]:
    """`connectdesk serve` (as `python -m bot serve`) on this config, Web API and database.

    `workers`: events worked by that many `connectdesk work` children (`serve --workers`).
    """
    config = workdir / "desk.yml"
    config.write_text(config_text)
    env = {
        "SLACK_API_URL": api_url,
        "CONNECTDESK_DATABASE_URL": database_url,
        "CONNECTDESK_CONFIG": str(config),
        "CONNECTDESK_SWEEP_INTERVAL": str(sweep_interval),
    }
    args = ["serve", "--upgrade-db", "--workers", str(workers)]
    async with serving("bot", args, env, workdir) as served:
        yield served


@asynccontextmanager
async def bare_bolt(api_url: str, workdir: Path) -> AsyncIterator[Served]:
    """A Bolt AsyncApp that only acknowledges, on Bolt's own aiohttp server."""
    async with serving("bench.bare_bolt", [], {"SLACK_API_URL": api_url}, workdir) as served:
        yield served


@asynccontextmanager
async def workdir() -> AsyncIterator[Path]:
    """A temporary folder for the config, database and server logs."""
    with tempfile.TemporaryDirectory(prefix="connectdesk-bench-") as tmp:
        yield Path(tmp)
