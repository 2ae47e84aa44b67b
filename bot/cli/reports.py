"""`connectdesk report` and `connectdesk export`: figures and files from the desk's database.

Both read $CONNECTDESK_DATABASE_URL in one read-only snapshot that blocks no writer, so they
can run beside a serving desk. Weeks, months and dates without an offset are the team's time
zone (`team.timezone` in desk.yml; UTC without a desk.yml).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import textwrap
from collections.abc import Iterator
from contextlib import aclosing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.config.desk import ConfigError, DeskConfig, load_desk_config
from bot.config.settings import Settings
from bot.domain.clock import SystemClock
from bot.reports.exports import EXPORT_FORMATS
from bot.reports.formats import FORMATS

EXPORT_CHOICES = ("tickets", "csat", "events")
HELP_WIDTH = 100

if TYPE_CHECKING:
    from bot.domain.reports import Period, Report


def add_report_parsers(
    sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser] | None = None
) -> None:
    """Register `report` and `export` (`parents`: options every command takes)."""
    parents = parents or []
    config_help = "the desk's config file, for the team's time zone (default desk.yml)"
    workspace_help = "one workspace's figures (its team id, T...); default: every workspace"
    report = sub.add_parser(
        "report",
        parents=parents,
        help="SLA attainment, response times, CSAT and volume for a month or the last days",
        description=textwrap.fill(
            "Print SLA attainment (share of clocks met) by tier x priority x clock, per week and"
            " for the period; median and p90 first-response and resolution times (business and"
            " wall time); breaches; CSAT; tickets by account; and the change from the period"
            " before. Tickets closed as duplicates or noise count nowhere.",
            HELP_WIDTH,
        ),
    )
    when = report.add_mutually_exclusive_group()
    when.add_argument("--month", metavar="YYYY-MM", help="a calendar month (default: this one)")
    when.add_argument("--since", metavar="DURATION", help="the last 30d, 2w, 12h... up to now")
    report.add_argument(
        "--format", choices=FORMATS, default="text", help="text (default), json or csv"
    )
    report.add_argument(
        "--chart",
        metavar="FILE.png",
        help="also write the chart: attainment by tier per week, first-response times",
    )
    report.add_argument("--workspace", metavar="TEAM_ID", help=workspace_help)
    report.add_argument("--config", help=config_help)

    export = sub.add_parser(
        "export",
        parents=parents,
        help="stream tickets, CSAT answers or audit events as CSV or JSON Lines",
        description=textwrap.fill(
            "Write every ticket, CSAT answer (a row per answer; unanswered surveys too) or audit"
            " event, oldest first, as CSV with one header row or as JSON Lines. Rows are"
            " streamed: memory stays constant however many there are. CSV cells that a"
            " spreadsheet would run as formulas start with a quote.",
            HELP_WIDTH,
        ),
    )
    export.add_argument("what", choices=EXPORT_CHOICES, help="tickets, csat or events")
    export.add_argument(
        "--format", choices=EXPORT_FORMATS, default="csv", help="csv (default) or jsonl"
    )
    export.add_argument(
        "--since",
        metavar="WHEN",
        help="only from then: 30d (ago), a date 2026-11-01 or a time 2026-11-01T09:00",
    )
    export.add_argument("--output", "-o", metavar="FILE", help="write to FILE (default stdout)")
    export.add_argument("--workspace", metavar="TEAM_ID", help=workspace_help)
    export.add_argument("--config", help=config_help)


def _team_zone(settings: Settings, workspace: str | None) -> tuple[str, tuple[str, ...]] | None:
    """The team's time zone and the configured tiers; UTC and none without a desk.yml; None
    (after saying why) when the file is there but wrong."""
    path = Path(settings.config_path)
    if not path.exists():
        return "UTC", ()
    try:
        config: DeskConfig = load_desk_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None
    team = config.team_for(workspace) if workspace else config.team
    return team.timezone, tuple(config.tiers)


def _database_problem(url: str) -> str | None:
    """Why the database cannot be read (missing, unreachable, schema behind), or None."""
    from bot.cli.startup import StartupError, check_database

    try:
        asyncio.run(check_database(url))
    except StartupError as exc:
        return str(exc)
    return None


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """Print a report (and write its chart); 2 on a bad month or duration, 1 on a failure."""
    from bot.domain.reports import choose_period, zone

    team = _team_zone(settings, args.workspace)
    if team is None:
        return 1
    timezone, tiers = team
    clock = SystemClock()
    try:
        period = choose_period(clock.now(), zone(timezone), month=args.month, since=args.since)
    except ValueError as exc:
        option = "--month " if args.month is not None else ""
        print(f"connectdesk report: {option}{exc}", file=sys.stderr)
        return 2
    chart = Path(args.chart) if args.chart else None
    if chart is not None and not chart.absolute().parent.is_dir():
        print(
            f"connectdesk report: cannot write the chart to {chart}: there is no folder"
            f" {chart.absolute().parent}",
            file=sys.stderr,
        )
        return 1
    problem = _database_problem(settings.database_url)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    try:
        report = asyncio.run(_report(settings.database_url, timezone, tiers, period, args))
    except Exception as exc:  # a CLI answers with a sentence, not a traceback
        print(f"connectdesk report failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    from bot.reports.formats import render

    try:
        sys.stdout.write(render(report, args.format))
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    if chart is not None:
        from bot.reports.chart import render_chart

        try:
            chart.write_bytes(render_chart(report))
        except OSError as exc:
            print(f"connectdesk report: cannot write {chart}: {exc.strerror}", file=sys.stderr)
            return 1
        note = " (no data in the period: the image says so)" if report.is_empty else ""
        print(f"chart written to {chart}{note}", file=sys.stderr)
    return 0


async def _report(
    url: str, timezone: str, tiers: tuple[str, ...], period: Period, args: argparse.Namespace
) -> Report:
    from bot.services.reports import ReportService
    from store.db import Database

    db = Database(url)
    try:
        reports = ReportService(db, SystemClock(), timezone=timezone, tiers=tiers)
        return await reports.report(period, team_id=args.workspace)
    finally:
        await db.close()


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    """Stream one export to stdout or a file; 2 on a bad --since, 1 on a failure."""
    from bot.domain.reports import parse_instant, zone

    team = _team_zone(settings, args.workspace)
    if team is None:
        return 1
    timezone, _tiers = team
    try:
        since = (
            parse_instant(args.since, SystemClock().now(), zone(timezone))
            if args.since is not None
            else None
        )
    except ValueError as exc:
        print(f"connectdesk export: --since {exc}", file=sys.stderr)
        return 2
    problem = _database_problem(settings.database_url)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    target = Path(args.output) if args.output else None
    if target is not None and not target.absolute().parent.is_dir():
        print(
            f"connectdesk export: cannot write {target}: there is no folder"
            f" {target.absolute().parent}",
            file=sys.stderr,
        )
        return 1
    # A file is written beside its name and renamed when complete: a failed export never
    # leaves half a file where a whole one is expected.
    partial = target.with_name(f".{target.name}.partial") if target is not None else None
    try:
        with _opened(partial) as out:
            count = asyncio.run(_export(settings.database_url, timezone, args, since, out))
            out.flush()
    except BrokenPipeError:
        # The reader stopped reading (`| head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # a CLI answers with a sentence, not a traceback
        if partial is not None:
            partial.unlink(missing_ok=True)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        print(f"connectdesk export failed: {type(exc).__name__}: {reason}", file=sys.stderr)
        return 1
    if target is not None and partial is not None:
        partial.replace(target)
        print(f"{count} {args.what} rows written to {target}", file=sys.stderr)
    return 0


@contextmanager
def _opened(path: Path | None) -> Iterator[TextIO]:
    """`path` opened for writing text, or stdout (left open) when there is none."""
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8", newline="") as out:
        yield out


async def _export(
    url: str, timezone: str, args: argparse.Namespace, since: datetime | None, out: TextIO
) -> int:
    from bot.reports.exports import write_export
    from bot.services.exports import ExportService
    from store.db import Database

    db = Database(url)
    try:
        exports = ExportService(db, SystemClock(), timezone=timezone)
        columns = exports.columns(args.what)
        # Closed here, in this loop, whatever happens to the writing (a closed pipe...).
        async with aclosing(exports.rows(args.what, since=since, team_id=args.workspace)) as rows:
            return await write_export(rows, columns, args.format, out)
    finally:
        await db.close()
