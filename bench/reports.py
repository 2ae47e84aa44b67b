"""Report benchmark: a month's report over a year of tickets, and an export of every ticket.

    uv run python -m bench.reports [--tickets 1000000] [--months 12] [--repeat 3]
                                   [--database-url URL] [--keep] [--existing URL]

A generator (`bench/report_seed.py`) fills a fresh database in bulk: N tickets opened evenly over
the months up to 1 December 2026, their clock runs met and missed, CSAT surveys and answers,
500 accounts in two workspaces and three tiers, four priorities. Then, in this process,
`ReportService.report` of the last month (November 2026, every workspace, UTC; it reads the
month before too, to compare) runs once on a fresh connection (the cold run) and `--repeat`
times more (the figure is their median); each statement's share is timed too. Last,
`connectdesk export tickets --format csv --output FILE` runs as a child process `--repeat`
times: its wall time gives rows/s and the kernel's accounting of the child (`wait4`, through
the small `bench.peak_rss`, see there why) its peak RSS; one more export of no rows (`--since`
after the data) shows what the process takes without any.

The default database is a fresh SQLite file. `--database-url postgresql+asyncpg://...` uses a
schema of the benchmark's own on that server, dropped at the end. `--keep` keeps the database
(its URL is printed) and `--existing URL` times one kept before instead of generating.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench import arguments, databases, report_seed
from bench.machine import describe
from bench.report_seed import END, TIERS, Expected, Shape
from bot.domain.clock import ManualClock
from bot.domain.reports import Report, month_period, zone
from bot.services.reports import ReportService
from store import migrate
from store.db import Database
from store.report_repository import ReportRepository

ROOT = Path(__file__).resolve().parent.parent  # where `bench` and `bot` are imported from
TARGET_REPORT_S = 2.0
TARGET_EXPORT_RSS_MB = 200.0
# What `_figures` asks the store for, each timed (`volume` includes its breaches by account).
STATEMENTS = ("stopped", "missed", "times", "csat", "volume")
UTC = zone("UTC")


@dataclass(frozen=True)
class ExportRun:
    """One `connectdesk export` child process."""

    rows: int
    seconds: float
    rss_mb: float
    file_mb: float

    @property
    def rows_per_s(self) -> float:
        """Rows written per second of the child's whole life (start-up included)."""
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Checked:
    """The report's figures against what the generator counted."""

    expected: dict[str, Any]
    reported: dict[str, Any]

    @property
    def matches(self) -> bool:
        """Every figure agrees (times to the millisecond)."""
        return self.expected == self.reported


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Generate (or open), time the report and the export; every figure in a dict."""
    shape = Shape(tickets=args.tickets, months=args.months)
    result: dict[str, Any] = {"machine": describe(), "shape": asdict(shape)}
    async with _database(args) as url:
        result["engine"] = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        expected: Expected | None = None
        if args.existing is None:
            await migrate.upgrade(url)
            db = Database(url)
            started = time.perf_counter()
            try:
                expected = await report_seed.write(db, shape, progress=_say)
            finally:
                await db.close()
            result["generate_s"] = time.perf_counter() - started
            result["expected"] = expected
        result["revision"] = (await migrate.status(url)).current
        result["rows"] = await _counts(url)
        result["database_mb"] = await _size_mb(url)
        _say(f"  {_shape_line(result)}")
        result.update(await time_reports(url, args.repeat))
        if expected is not None:
            result["check"] = check(result["report"], expected)
        result["exports"] = [
            await asyncio.to_thread(export_once, url) for _ in range(args.export_repeat)
        ]
        result["export_empty"] = await asyncio.to_thread(export_once, url, since="2027-01-01")
        result["kept"] = url if args.keep else None
    result["load_after"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return result


async def time_reports(url: str, repeat: int) -> dict[str, Any]:
    """The month's report: once on a fresh connection (cold), then `repeat` times."""
    start, _end = Shape(tickets=0).month
    period = month_period(start.year, start.month, UTC)
    db = Database(url)
    try:
        service = ReportService(db, ManualClock(END), timezone=UTC, tiers=TIERS)
        runs: list[float] = []
        shares: list[dict[str, float]] = []
        report: Report | None = None
        cpu: list[float] = []
        for _ in range(repeat + 1):
            with _statement_times() as spent:
                started, used = time.perf_counter(), time.process_time()
                report = await service.report(period)
                runs.append(time.perf_counter() - started)
                cpu.append(time.process_time() - used)
            shares.append(dict(spent))
    finally:
        await db.close()
    assert report is not None
    warm = runs[1:]
    median = statistics.median(warm)
    middle = shares[1:][sorted(range(len(warm)), key=warm.__getitem__)[len(warm) // 2]]
    return {
        "report": report,
        "cold_s": runs[0],
        "runs_s": warm,
        "median_s": median,
        # CPU of this process (SQLite works in it, in aiosqlite's thread; PostgreSQL's server
        # is another process): what the report costs whatever else the machine runs.
        "cpu_s": cpu[1:],
        "cold_cpu_s": cpu[0],
        "statements_ms": {k: v * 1000 for k, v in middle.items()},
    }


@contextmanager
def _statement_times() -> Iterator[dict[str, float]]:
    """Seconds spent in each of the store's report statements (summed over both periods)
    while the block runs."""
    spent: dict[str, float] = dict.fromkeys(STATEMENTS, 0.0)
    spent.update(dict.fromkeys((f"{name} cpu" for name in STATEMENTS), 0.0))
    originals = {name: getattr(ReportRepository, name) for name in STATEMENTS}

    def timed(name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(method)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return await method(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
                spent[f"{name} cpu"] += time.process_time() - cpu

        return wrapper

    for name, method in originals.items():
        setattr(ReportRepository, name, timed(name, method))
    try:
        yield spent
    finally:
        for name, method in originals.items():
            setattr(ReportRepository, name, method)


def check(report: Report, expected: Expected) -> Checked:
    """The month's figures the generator counted against the report's."""
    now = report.current
    total = now.attainment.tally()
    csat = now.csat_total
    first = now.time("first_response")
    median = expected.first_response_median
    return Checked(
        expected={
            "met": expected.met,
            "missed": expected.missed,
            "opened": expected.opened,
            "csat": (expected.surveys, expected.answered, expected.answers, expected.score_sum),
            "first_response_runs": len(expected.first_response_business),
            "first_response_median": None if median is None else round(median, 3),
        },
        reported={
            "met": total.met,
            "missed": total.missed,
            "opened": now.tickets_opened,
            "csat": (csat.surveys, csat.answered, csat.answers, csat.score_sum),
            "first_response_runs": first.count if first else 0,
            "first_response_median": first.business_median if first else None,
        },
    )


def export_once(url: str, since: str | None = None) -> ExportRun:
    """`connectdesk export tickets --format csv` to a file, as a child process: its rows, wall
    time, peak RSS (the kernel's, through `bench.peak_rss`) and the file's size."""
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        out, peak = Path(folder) / "tickets.csv", Path(folder) / "peak-rss-kib"
        argv = [sys.executable, "-m", "bench.peak_rss", str(peak)]
        argv += [sys.executable, "-m", "bot", "export", "tickets", "--format", "csv"]
        argv += ["--output", str(out)] + (["--since", since] if since else [])
        # No desk.yml: the export reads UTC, as without a config.
        env = {**os.environ, "CONNECTDESK_DATABASE_URL": url}
        env["CONNECTDESK_CONFIG"] = str(Path(folder) / "desk.yml")
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, cwd=folder, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"export failed ({done.returncode}): {done.stderr.strip()}")
        found = re.search(r"(\d+) tickets rows written", done.stderr)
        if found is None:
            raise RuntimeError(f"export said no count: {done.stderr.strip()}")
        return ExportRun(
            rows=int(found.group(1)),
            seconds=seconds,
            rss_mb=int(peak.read_text()) / 1024,  # KiB on Linux
            file_mb=out.stat().st_size / 1e6,
        )


@asynccontextmanager
async def _database(args: argparse.Namespace) -> AsyncIterator[str]:
    """The database to use: `--existing`, a new schema on `--database-url`'s PostgreSQL, or a
    new SQLite file; removed afterwards unless `--keep`."""
    if args.existing is not None:
        yield args.existing
        return
    given = args.database_url
    if given is None or make_url(given).get_backend_name() == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-reports-")
        url = given or f"sqlite+aiosqlite:///{Path(folder) / 'desk.db'}"
        try:
            yield url
        finally:
            if not args.keep:
                _remove_sqlite(url)
                if given is None:
                    os.rmdir(folder)
        return
    async with databases.postgres_schema(given, "bench_reports", keep=args.keep) as url:
        yield url


def _remove_sqlite(url: str) -> None:
    path = make_url(url).database
    for suffix in ("", "-wal", "-shm"):
        if path:
            Path(path + suffix).unlink(missing_ok=True)


async def _counts(url: str) -> dict[str, int]:
    """Rows of the tables the report reads."""
    db = Database(url)
    try:
        async with db.snapshot() as conn:
            return {
                name: int((await conn.execute(text(f"SELECT count(*) FROM {name}"))).scalar_one())
                for name in ("tickets", "sla_clocks", "csat_surveys", "csat_answers")
            }
    finally:
        await db.close()


async def _size_mb(url: str) -> float:
    """The database's size: SQLite's pages, or the PostgreSQL schema's tables with their
    indexes."""
    db = Database(url)
    try:
        async with db.snapshot() as conn:
            if db.is_sqlite:
                pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()
                size = (await conn.exec_driver_sql("PRAGMA page_size")).scalar_one()
                return int(pages) * int(size) / 1e6
            total = await conn.execute(
                text(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                )
            )
            return int(total.scalar_one()) / 1e6
    finally:
        await db.close()


def _say(line: str) -> None:
    print(line, flush=True)


def _shape_line(r: dict[str, Any]) -> str:
    rows = r["rows"]
    made = f"generated in {r['generate_s']:.0f} s; " if "generate_s" in r else ""
    return (
        f"{rows['tickets']:,} tickets, {rows['sla_clocks']:,} clock runs,"
        f" {rows['csat_surveys']:,} surveys, {rows['csat_answers']:,} answers on"
        f" {r['engine']} (schema {r['revision']}); {made}database {r['database_mb']:,.0f} MB"
    )


def render(r: dict[str, Any]) -> str:
    """The report as text."""
    month = r["report"].period.label
    runs = ", ".join(f"{s:.2f}" for s in r["runs_s"])
    ms = r["statements_ms"]
    spent = " | ".join(f"{k} {ms[k]:.0f} (cpu {ms[f'{k} cpu']:.0f})" for k in STATEMENTS)
    exports: list[ExportRun] = r["exports"]
    lines = [
        f"machine: {r['machine']}",
        _shape_line(r),
        f"report of {month} (with {r['report'].previous.period.label} to compare), every"
        f" workspace: cold {r['cold_s']:.2f} s, median {r['median_s']:.2f} s of"
        f" {len(r['runs_s'])} ({runs}); this process's CPU: cold {r['cold_cpu_s']:.2f} s,"
        f" median {statistics.median(r['cpu_s']):.2f} s",
        f"  by statement, median run, ms (both months): {spent}",
    ]
    if "check" in r:
        checked: Checked = r["check"]
        verdict = "yes" if checked.matches else f"NO: expected {checked.expected}"
        lines.append(f"  report matches the generated figures: {verdict}; {checked.reported}")
    if exports:
        rows_per_s = statistics.median(e.rows_per_s for e in exports)
        seconds = statistics.median(e.seconds for e in exports)
        rss = max(e.rss_mb for e in exports)
        each = ", ".join(f"{e.rss_mb:.0f}" for e in exports)
        empty: ExportRun = r["export_empty"]
        lines.append(
            f"export tickets --format csv: {exports[0].rows:,} rows, {exports[0].file_mb:,.0f}"
            f" MB in {seconds:.1f} s ({rows_per_s:,.0f} rows/s, median of {len(exports)}),"
            f" peak RSS {rss:.0f} MiB (each: {each}); of no rows {empty.rss_mb:.0f} MiB"
        )
    lines.append(f"load average at the end {r['load_after']}")
    verdicts = [
        f"report {r['median_s']:.2f} s (<= {TARGET_REPORT_S:g}:"
        f" {'met' if r['median_s'] <= TARGET_REPORT_S else 'MISSED'})"
    ]
    if exports:
        rss = max(e.rss_mb for e in exports)
        verdicts.append(
            f"export RSS {rss:.0f} MiB (<= {TARGET_EXPORT_RSS_MB:g}:"
            f" {'met' if rss <= TARGET_EXPORT_RSS_MB else 'MISSED'})"
        )
    lines.append("target: " + ", ".join(verdicts))
    if r.get("kept"):
        lines.append(f"kept: {r['kept']}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.split("\n")[0])
    p.add_argument("--tickets", type=arguments.positive_int, default=1_000_000)
    p.add_argument(
        "--months", type=arguments.positive_int, default=12, help="months the tickets span"
    )
    p.add_argument(
        "--repeat", type=arguments.positive_int, default=3, help="timed reports after the cold one"
    )
    p.add_argument(
        "--export-repeat", type=arguments.count, default=None, help="exports (default: --repeat)"
    )
    p.add_argument(
        "--database-url", default=None, help="default: a fresh SQLite file; PostgreSQL: a schema"
    )
    p.add_argument("--keep", action="store_true", help="keep the database and print its URL")
    p.add_argument("--existing", metavar="URL", help="time a kept database; generate nothing")
    return p


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print its report."""
    args = parser().parse_args(argv)
    if args.export_repeat is None:
        args.export_repeat = args.repeat
    print(describe(), flush=True)
    result = asyncio.run(run(args))
    print(render(result))
    return result


if __name__ == "__main__":
    main()
