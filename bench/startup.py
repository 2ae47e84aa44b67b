"""Start-up benchmark: what a big desk.yml costs `connectdesk check` and `connectdesk serve`.

    uv run python -m bench.startup [--accounts 1000,5000] [--repeat 3]

Each size is a generated desk.yml (bench.world: every account with a shared and an internal
channel and an owner); the baseline is the repository's desk.example.yml. Three figures each,
medians of `--repeat` runs, every run a fresh interpreter:
- `check`: wall time of `python -m bot check --config FILE` (parse, validate, print the table);
- `serve`: wall time from spawning `python -m bot serve --upgrade-db` (SQLite, the emulator as
  Slack) to its /healthz answering;
- `parse`: the config load alone in this process (`load_desk_config`), to show it grows linearly.
The target (issue 21): serve and check with 5,000 accounts cost at most 1 s more than with the
example file.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import arguments, procs, world
from bench.machine import describe
from bench.stats import median, table
from bot.config.desk import load_desk_config
from bot.emulator import Emulator
from bot.sandbox.sandbox import BOT_TOKEN, SIGNING_SECRET

EXAMPLE = Path(__file__).resolve().parents[1] / "desk.example.yml"
TARGET_EXTRA_S = 1.0
EXAMPLE_NAME = "example"


def _check_seconds(config: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"check failed on {config}: {result.stdout}{result.stderr}")
    return seconds


def _parse_seconds(config: Path) -> float:
    started = time.perf_counter()
    load_desk_config(config)
    return time.perf_counter() - started


def _served_text(path: Path) -> str:
    """The config as `serve` gets it in a folder of its own: a relative knowledge base folder
    (the example's `kb`) made absolute."""
    lines = []
    for line in path.read_text().splitlines(keepends=True):
        key, _, value = line.partition(":")
        if key == "knowledge_base" and value.strip() and not Path(value.strip()).is_absolute():
            line = f"knowledge_base: {path.parent / value.strip()}\n"
        lines.append(line)
    return "".join(lines)


async def _serve_seconds(config_text: str, api_url: str) -> float:
    async with procs.workdir() as tmp:
        url = f"sqlite+aiosqlite:///{tmp / 'desk.db'}"
        started = time.perf_counter()
        async with procs.connectdesk(config_text, api_url, url, tmp):
            return time.perf_counter() - started


async def run(accounts: Sequence[int] = (1000, 5000), repeat: int = 3) -> dict[str, Any]:
    """Median check / serve / parse seconds for the example file and each size."""
    largest = max(accounts, default=1)
    sizes = world.Sizes(accounts=largest)
    emu = Emulator(world.workspace(sizes), signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    await emu.start()
    rows: dict[str, dict[str, float]] = {}
    try:
        async with procs.workdir() as tmp:
            files = {EXAMPLE_NAME: EXAMPLE}
            for n in accounts:
                path = tmp / f"desk-{n}.yml"
                path.write_text(world.desk_yaml(world.Sizes(accounts=n)))
                files[str(n)] = path
            for name, path in files.items():
                checks, serves, parses = [], [], []
                for _ in range(repeat):
                    checks.append(await asyncio.to_thread(_check_seconds, path))
                    serves.append(await _serve_seconds(_served_text(path), emu.api_url))
                    parses.append(_parse_seconds(path))
                rows[name] = {
                    "check_s": median(checks),
                    "serve_s": median(serves),
                    "parse_s": median(parses),
                }
    finally:
        await emu.stop()
    return {"machine": describe(), "repeat": repeat, "rows": rows}


def render(report: dict[str, Any]) -> str:
    """The report as text: a table, then the extra cost over the example file."""
    rows = report["rows"]
    base = rows[EXAMPLE_NAME]
    lines = [
        f"machine: {report['machine']}",
        f"medians of {report['repeat']} runs, each in a fresh interpreter",
        "",
        table(
            ["desk.yml", "check s", "serve start s", "config load ms"],
            [
                [
                    name if name == EXAMPLE_NAME else f"{name} accounts",
                    f"{row['check_s']:.2f}",
                    f"{row['serve_s']:.2f}",
                    f"{row['parse_s'] * 1000:.0f}",
                ]
                for name, row in rows.items()
            ],
        ),
        "",
    ]
    for name, row in rows.items():
        if name == EXAMPLE_NAME:
            continue
        extra = max(row["check_s"] - base["check_s"], row["serve_s"] - base["serve_s"])
        verdict = "met" if extra <= TARGET_EXTRA_S else "MISSED"
        lines.append(
            f"{name} accounts: check +{row['check_s'] - base['check_s']:.2f} s, serve "
            f"+{row['serve_s'] - base['serve_s']:.2f} s over the example file "
            f"(target <= {TARGET_EXTRA_S:.0f} s: {verdict})"
        )
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    p.add_argument("--accounts", type=arguments.rates, default=[1000, 5000])
    p.add_argument("--repeat", type=arguments.positive_int, default=3)
    return p


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Command line entry: run, print, return the report."""
    args = parser().parse_args(argv)
    report = asyncio.run(run(args.accounts, args.repeat))
    print(render(report))
    return report


if __name__ == "__main__":
    main()
