"""The `connectdesk` command line: serve, demo, check, db."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from pydantic import ValidationError

from bot.config.desk import ConfigError, DeskConfig, load_desk_config
from bot.config.settings import Settings
from bot.db_cli import add_db_parser, cmd_db
from bot.logs import LOG_FORMAT_ENV, LOG_FORMATS, configure_logging


def _read_settings() -> Settings | None:
    """The environment's settings, or None after one line per problem (no traceback)."""
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            # A URL error is a whole sentence that names its variable already.
            line = error["msg"] if error["type"] == "database_url" else f"{where}: {error['msg']}"
            print(line, file=sys.stderr)
        return None


def _load_config(settings: Settings) -> DeskConfig | None:
    try:
        return load_desk_config(settings.config_path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return None


def cmd_check(settings: Settings) -> int:
    """Validate the config file and print the resolved policy table."""
    from bot.config.report import policy_table

    config = _load_config(settings)
    if config is None:
        print(f"{settings.config_path}: invalid, see above", file=sys.stderr)
        return 1
    print(policy_table(config))
    print(f"{settings.config_path}: OK")
    return 0


def _run_fast(main: Coroutine[Any, Any, None]) -> None:
    """Run a long-lived process on uvloop where it is installed, else on asyncio's own loop.

    With uvloop the edge spent 15% and a worker 5-12% less CPU per ticket than on asyncio's
    loop in paired benchmark runs (bench/README.md); the code runs the same on either.
    """
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


def cmd_serve(
    settings: Settings,
    *,
    upgrade_db: bool = False,
    workers: int = 0,
    log_level: str = "WARNING",
    worker_only: bool = False,
    log_format: str = "text",
) -> int:
    """Run the bot until interrupted (refuses an out-of-date schema unless `upgrade_db`)."""
    from bot.app import SchemaNotReady
    from bot.serve import serve, work

    config = _load_config(settings)
    if config is None:
        return 1
    if not settings.slack_bot_token.get_secret_value():
        print("SLACK_BOT_TOKEN is not set (see README, 'Running for real')", file=sys.stderr)
        return 1
    if not settings.slack_app_token and not settings.slack_signing_secret.get_secret_value():
        print(
            "SLACK_SIGNING_SECRET is not set (or set SLACK_APP_TOKEN for Socket Mode)",
            file=sys.stderr,
        )
        return 1
    if worker_only:
        run = work(settings, config)
    else:
        run = serve(
            settings,
            config,
            upgrade_db=upgrade_db,
            workers=workers,
            log_level=log_level,
            log_format=log_format,
        )
    try:
        _run_fast(run)
    except SchemaNotReady as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def cmd_demo(speed: float) -> int:
    """Play the scripted day against the local emulator."""
    from bot.demo import run_demo

    return asyncio.run(run_demo(speed=speed))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `connectdesk` and `python -m bot`."""
    parser = argparse.ArgumentParser(prog="connectdesk", description=__doc__)
    parser.add_argument("--log-level", default="WARNING", help="logging level (default WARNING)")
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        help=f"text (default) or json: one object per line (also ${LOG_FORMAT_ENV})",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="run the bot (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)"
    )
    serve.add_argument(
        "--upgrade-db", action="store_true", help="migrate the database schema first if behind"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=0,
        help="work events in N child processes (`connectdesk work`); 0: in this one (default)",
    )
    sub.add_parser(
        "work", help="work stored events, timers and side effects (no HTTP; see --workers)"
    )
    demo = sub.add_parser("demo", help="play a scripted day on the local Slack emulator")
    demo.add_argument("--speed", type=float, default=1.0, help="pace multiplier (default 1)")
    check = sub.add_parser("check", help="validate desk.yml and print the policy table")
    check.add_argument("--config", help="config file (default $CONNECTDESK_CONFIG or desk.yml)")
    add_db_parser(sub)
    args = parser.parse_args(argv)
    log_format = args.log_format or os.environ.get(LOG_FORMAT_ENV) or "text"
    if log_format not in LOG_FORMATS:
        print(f"{LOG_FORMAT_ENV} must be text or json, not {log_format!r}", file=sys.stderr)
        return 2
    configure_logging(args.log_level, log_format)
    if args.command == "demo":
        return cmd_demo(args.speed)
    settings = _read_settings()
    if settings is None:
        return 1
    if args.command == "check":
        if args.config:
            settings = settings.model_copy(update={"config_path": args.config})
        return cmd_check(settings)
    if args.command == "db":
        return cmd_db(settings, args)
    if args.command == "work":
        return cmd_serve(settings, worker_only=True)
    if args.workers < 0:
        print("--workers must be 0 or more", file=sys.stderr)
        return 2
    return cmd_serve(
        settings,
        upgrade_db=args.upgrade_db,
        workers=args.workers,
        log_level=args.log_level,
        log_format=log_format,
    )


if __name__ == "__main__":
    sys.exit(main())
