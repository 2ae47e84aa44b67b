"""Run a command and write its peak RSS: `python -m bench.peak_rss FILE COMMAND...`.

The kernel's accounting of a child (`wait4`'s `ru_maxrss`) starts from the RSS of the process
that spawned it: Python starts children with vfork and exec, and exec keeps the larger of the
old and new high-water marks. Measured from the benchmark itself, a lean export looked as big
as the benchmark process holding its generated data. This small interpreter spawns the
command instead, so the figure is the command's own: FILE gets its peak RSS in KiB, and this
exits with the command's status.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run `argv[1:]`, write its peak RSS (KiB) to `argv[0]`, return its exit status."""
    if len(argv) < 2:
        print("usage: python -m bench.peak_rss FILE COMMAND...", file=sys.stderr)
        return 2
    child = subprocess.Popen(argv[1:])
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    Path(argv[0]).write_text(f"{usage.ru_maxrss}\n")
    return child.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
