"""Broadcast benchmark: an incident notice to 1,000 shared channels with the emulator enforcing
Slack-like limits (1 post/s per channel, N posts per second workspace-wide); elapsed time
divided by the least time those limits allow, and whether every channel got exactly one.

    uv run python -m bench.broadcast [--channels 1000] [--per-second 50] [--repeat 3]

The bot runs as `python -m bot serve` in its own process; this process runs the emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench import arguments, procs, slow_cpu, world
from bench.machine import cpu_seconds, describe
from bench.stats import median, table
from bot.emulator import Emulator
from bot.sandbox.sandbox import BOT_TOKEN, SIGNING_SECRET

TARGET_RATIO = 1.05
NOTICE = "aware of an issue"


@dataclass(frozen=True)
class Run:
    """One broadcast's figures."""

    channels: int
    posts: int
    elapsed: float
    bound: float
    once: int
    twice: int
    missing: int
    rejected: int
    # The bot's CPU (user + system) from the declaration to the last notice, per post made.
    cpu_ms_per_post: float = math.nan


def bound(posts: int, per_window: int, window: float) -> float:
    """The least time `posts` posts take when a window of `window` s allows `per_window`."""
    return (math.ceil(posts / per_window) - 1) * window


def _notices(emu: Emulator, channels: set[str]) -> dict[str, int]:
    counts = dict.fromkeys(channels, 0)
    for call in emu.calls_to("chat.postMessage"):
        channel = call.params.get("channel")
        if call.status == 200 and channel in counts and NOTICE in call.params.get("text", ""):
            counts[channel] += 1
    return counts


async def one_run(channels: int, per_second: int, within: float, slower: float = 1) -> Run:
    """Declare an incident for every account and wait for its notices (`slower`: the bot
    capped at 1/`slower` of a core, as this process is by `run`)."""
    sizes = world.Sizes(accounts=channels, posts_per_second=per_second, edits_per_second=1000)
    emu = Emulator(world.workspace(sizes), signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    emu.limits.set(
        "chat.postMessage",
        per_channel_per_second=1,
        workspace_calls=per_second,
        workspace_window_seconds=1.0,
    )
    await emu.start()
    shared = {world.shared_channel(a) for a in range(channels)}
    try:
        async with procs.workdir() as tmp:
            url = f"sqlite+aiosqlite:///{tmp / 'desk.db'}"
            async with procs.connectdesk(world.desk_yaml(sizes), emu.api_url, url, tmp) as bot:
                emu.app_url = bot.events_url
                slow_cpu.slower(bot.pid, slower, "bot")
                cpu_before = cpu_seconds(bot.pid)
                started = time.time()
                await emu.slash_command(
                    world.MANAGER,
                    world.ESCALATION,
                    "incident declare sev2 Exports are delayed accounts: all",
                )
                with contextlib.suppress(TimeoutError):  # what never arrived counts as lost
                    await emu.wait_for(
                        lambda: all(_notices(emu, shared).values()), within=within, interval=0.2
                    )
                cpu_used = cpu_seconds(bot.pid) - cpu_before
                await asyncio.sleep(1.0)  # a duplicate would show up by now
    finally:
        await emu.stop()
    counts = _notices(emu, shared)
    notices = [
        c
        for c in emu.calls_to("chat.postMessage")
        if c.status == 200 and c.params.get("channel") in shared and NOTICE in c.params["text"]
    ]
    finished = max((c.at for c in notices), default=started)
    # The limits bind every post the bot made meanwhile (the declarer's progress DM too).
    made = [
        c
        for c in emu.calls_to("chat.postMessage")
        if c.status == 200 and started <= c.at <= finished
    ]
    return Run(
        channels,
        len(made),
        finished - started,
        bound(len(made), per_second, 1.0),
        sum(1 for n in counts.values() if n == 1),
        sum(1 for n in counts.values() if n > 1),
        sum(1 for n in counts.values() if n == 0),
        emu.rate_limited_calls("chat.postMessage"),
        1000 * cpu_used / len(made) if made else math.nan,
    )


def summarise(runs: list[Run]) -> dict:
    """Medians over runs; lost and doubled channels summed."""
    return {
        "channels": runs[0].channels,
        "posts": median([r.posts for r in runs]),
        "elapsed_s": median([r.elapsed for r in runs]),
        "bound_s": median([r.bound for r in runs]),
        "ratio": median([r.elapsed / r.bound if r.bound else math.nan for r in runs]),
        "ratios": [r.elapsed / r.bound if r.bound else math.nan for r in runs],
        "missing": sum(r.missing for r in runs),
        "doubled": sum(r.twice for r in runs),
        "once": median([r.once for r in runs]),
        "rejected": median([r.rejected for r in runs]),
        "cpu_ms_per_post": median([r.cpu_ms_per_post for r in runs]),
        "runs": len(runs),
    }


def render(report: dict) -> str:
    """The printed report."""
    r = report
    ratio_ok = r["ratio"] <= TARGET_RATIO
    lost_ok = r["missing"] == 0 and r["doubled"] == 0
    return "\n".join(
        [
            f"machine: {r['machine']}",
            *(
                [
                    f"simulated slower machine: the bot and the emulator each capped at 1/"
                    f"{r['slower']:g} of a core (cgroup CPU quota); a CPU-bound loop ran "
                    f"{r['slowdown']:.2f}x slower"
                ]
                if r.get("slower", 1) > 1
                else []
            ),
            f"limits: chat.postMessage 1/s per channel, {r['per_second']}/s workspace-wide "
            f"(emulator and the bot's pacing budget); medians of {r['runs']} run(s)",
            table(
                [
                    "channels",
                    "posts",
                    "elapsed s",
                    "bound s",
                    "ratio",
                    "429s",
                    "once",
                    "lost",
                    "doubled",
                    "bot cpu ms/post",
                ],
                [
                    [
                        r["channels"],
                        r["posts"],
                        r["elapsed_s"],
                        r["bound_s"],
                        r["ratio"],
                        r["rejected"],
                        r["once"],
                        r["missing"],
                        r["doubled"],
                        r["cpu_ms_per_post"],
                    ]
                ],
            ),
            "each run's ratio: " + ", ".join(f"{x:.3f}" for x in r["ratios"]),
            f"target: ratio {r['ratio']:.3f} "
            f"(<= {TARGET_RATIO}: {'met' if ratio_ok else 'MISSED'}), "
            f"lost {r['missing']} doubled {r['doubled']} (zero: {'met' if lost_ok else 'MISSED'})",
        ]
    )


async def run(
    channels: int, per_second: int, repeat: int, within: float, slower: float = 1
) -> dict:
    """Every run in turn; the summary (`slower` > 1: on a simulated slower machine)."""
    machine = describe()
    slowdown = 1.0
    if slower > 1:
        slowdown = slow_cpu.measured_factor(slower)
        slow_cpu.slower(os.getpid(), slower, "emulator")
    runs = [await one_run(channels, per_second, within, slower) for _ in range(repeat)]
    return {
        **summarise(runs),
        "machine": machine,
        "per_second": per_second,
        "slower": slower,
        "slowdown": slowdown,
    }


def main(argv: Sequence[str] | None = None) -> dict:
    """Command line entry: run, print, return the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__)
    parser.add_argument(
        "--channels", type=arguments.positive_int, default=1000, help="shared channels (accounts)"
    )
    parser.add_argument(
        "--per-second", type=arguments.positive_int, default=50, help="workspace-wide posts/s"
    )
    parser.add_argument("--repeat", type=arguments.positive_int, default=3, help="runs (medians)")
    parser.add_argument("--within", type=arguments.seconds, default=300, help="give up after (s)")
    parser.add_argument(
        "--slower",
        type=float,
        default=1,
        help="simulate cores N times slower: the bot and the emulator each capped at 1/N of a "
        "core by a cgroup CPU quota (needs a writable /sys/fs/cgroup)",
    )
    args = parser.parse_args(argv)
    report = asyncio.run(run(args.channels, args.per_second, args.repeat, args.within, args.slower))
    print(render(report))
    return report


if __name__ == "__main__":
    main()
