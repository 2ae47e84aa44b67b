"""A slower machine, simulated: processes capped at a share of one core by a Linux cgroup.

`slower(pid, 3)` puts a process in a cgroup of its own whose CPU quota is a third of a core
(CFS bandwidth control: 3.33 ms of CPU in every 10 ms period), so it runs at most a third as
fast as on this machine, as it would on a machine with cores three times slower. Each capped
process gets its own group (the bot and the emulator do not share one third). cgroup v2
(`cpu.max`) and v1 (`cpu.cfs_quota_us`) both work; it needs write access to the cgroup tree
(root in a container that mounts it writable); without it the benchmark says so and stops.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 10_000  # short periods: a capped process stalls for at most a few ms at a time


class CannotSlowDown(RuntimeError):
    """This machine does not let the benchmark cap a process's CPU."""


def _group(name: str, factor: float) -> Path:
    quota = max(1000, int(PERIOD_US / factor))
    v2 = ROOT / "cgroup.controllers"
    try:
        if v2.exists() and "cpu" in v2.read_text().split():
            group = ROOT / name
            group.mkdir(exist_ok=True)
            (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            return group
        group = ROOT / "cpu" / name
        group.mkdir(exist_ok=True)
        (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(quota))
        return group
    except OSError as exc:
        raise CannotSlowDown(f"cannot make a CPU-capped cgroup under {ROOT}: {exc}") from exc


def slower(pid: int, factor: float, name: str) -> None:
    """Cap process `pid` (its threads, and children it starts later) at 1/`factor` core."""
    if factor <= 1:
        return
    group = _group(f"connectdesk-bench-{name}-{os.getpid()}", factor)
    try:
        (group / "cgroup.procs").write_text(str(pid))
    except OSError as exc:
        raise CannotSlowDown(f"cannot move process {pid} into {group}: {exc}") from exc


def measured_factor(factor: float) -> float:
    """How much slower a CPU-bound loop runs once capped (the simulation's own check)."""
    code = (
        "import sys, time\n"
        "sys.stdin.read(1)\n"
        "t = time.perf_counter()\n"
        "s = 0\n"
        "for i in range(5_000_000): s += i\n"
        "print(time.perf_counter() - t)\n"
    )

    def timed(capped: bool) -> float:
        proc = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        if capped:
            slower(proc.pid, factor, "probe")
        out, _ = proc.communicate(b"x")
        return float(out)

    return timed(True) / timed(False)
