"""`connectdesk serve` as a real process that a test can SIGKILL and start again."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

from bench.procs import STARTUP_SECONDS, wait_healthy

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_env(
    api_url: str, port: int, config: Path, database_url: str, token: str, secret: str
) -> dict[str, str]:
    """The environment of a `connectdesk serve` against the emulator at `api_url`."""
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": api_url,
        "PORT": str(port),
        "CONNECTDESK_HOST": "127.0.0.1",
        "CONNECTDESK_CONFIG": str(config),
        "CONNECTDESK_DATABASE_URL": database_url,
    }


class BotProcess:
    """The bot as a separate process that can be killed and started again."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start `connectdesk serve` (upgrading the database) and wait until /healthz answers."""
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--upgrade-db",
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=out,
            )
        try:
            # Generous: on a busy shared machine the interpreter alone can take many seconds.
            await wait_healthy(
                f"http://127.0.0.1:{self.port}/healthz", self.proc, self.log, STARTUP_SECONDS
            )
        except BaseException:
            await self.kill()  # never leave a half-started bot behind
            raise

    async def kill(self) -> None:
        """SIGKILL: no shutdown of any kind, as when the machine dies."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int:
        """SIGTERM and wait; the exit code."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), 20)
        return self.proc.returncode
