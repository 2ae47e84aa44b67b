"""Event workers as child processes of `connectdesk serve --workers N`.

The edge process only stores events and acks; each child (`connectdesk work`) works the inbox,
so the work never competes with the acks for one event loop (bench/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable

log = logging.getLogger("connectdesk.workers")

RESTART_DELAY_SECONDS = 1.0
# Workers yield the CPU to the edge: when both want it, an ack (Slack's 3 s clock) comes first
# and the backlog waits a moment; with a core to spare, the niceness changes nothing.
WORKER_NICENESS = 10
CHILD_POLL_SECONDS = 0.05
STOP_GRACE_SECONDS = 15.0


class WorkerPool:
    """Runs `python -m bot work` N times, restarting any that exits, until stopped.

    `exited(pid)` hears of each child that ended (its metrics' live values are dropped).
    """

    def __init__(
        self,
        count: int,
        log_level: str = "WARNING",
        log_format: str = "text",
        exited: Callable[[int], None] | None = None,
        *,
        config_path: str | None = None,
    ) -> None:
        self.count = count
        self.log_level = log_level
        self.log_format = log_format
        self._exited = exited
        # `serve --config` reaches the children, which otherwise read only the environment.
        self.config_args = ["--config", config_path] if config_path else []
        self._procs: list[asyncio.subprocess.Process | None] = [None] * count
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def start(self) -> None:
        """Start every worker (they inherit this process's environment)."""
        self._tasks = [asyncio.create_task(self._keep(i)) for i in range(self.count)]

    async def _keep(self, index: int) -> None:
        while not self._stopping:
            # The edge cannot wake another process's worker: it polls the inbox instead.
            env = {"CONNECTDESK_INBOX_POLL": str(CHILD_POLL_SECONDS), **os.environ}
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "--log-level",
                self.log_level,
                "--log-format",
                self.log_format,
                "work",
                *self.config_args,
                env=env,
            )
            self._procs[index] = proc
            with contextlib.suppress(OSError):  # a platform without priorities runs it as is
                os.setpriority(os.PRIO_PROCESS, proc.pid, WORKER_NICENESS)
            code = await proc.wait()
            self._gone(proc.pid)
            if self._stopping:
                return
            log.error("event worker %d exited with %s; restarting", index, code)
            await asyncio.sleep(RESTART_DELAY_SECONDS)

    async def stop(self) -> None:
        """Ask every worker to finish its batch and stop; kill those that do not."""
        self._stopping = True
        running = [p for p in self._procs if p is not None and p.returncode is None]
        for proc in running:
            proc.terminate()
        for proc in running:
            try:
                await asyncio.wait_for(proc.wait(), timeout=STOP_GRACE_SECONDS)
            except TimeoutError:
                proc.kill()
                await proc.wait()
            self._gone(proc.pid)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _gone(self, pid: int) -> None:
        if self._exited is not None:
            try:
                self._exited(pid)
            except OSError:  # its files were already gone: nothing left to drop
                log.debug("nothing to clean up after worker %d", pid, exc_info=True)
