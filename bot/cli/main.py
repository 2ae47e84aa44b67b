"""The `connectdesk` command line: serve, work, demo, check, db, kb, report, export.

Exit codes: 0 done, 1 refused or failed (the message says what to fix), 2 a usage error
(including `connectdesk` with no command, which prints the help).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from bot.cli.db import add_db_parser, cmd_db
from bot.cli.kb import add_kb_parser, check_articles, cmd_kb
from bot.cli.reports import add_report_parsers, cmd_export, cmd_report
from bot.cli.setup import add_setup_parsers, cmd_manifest, cmd_token_key, cmd_tokens
from bot.config.desk import ConfigError, DeskConfig, load_desk_config
from bot.config.settings import Settings
from bot.observability.logs import LOG_FORMAT_ENV, LOG_FORMATS, configure_logging

log = logging.getLogger("connectdesk.cli")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LOG_LEVEL = "WARNING"
HELP_WIDTH = 100


def _load_config(settings: Settings) -> DeskConfig | None:
    try:
        return load_desk_config(settings.config_path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        if not Path(settings.config_path).exists():
            print(
                "Start from the annotated example: cp desk.example.yml desk.yml"
                " (or point CONNECTDESK_CONFIG or --config at your file).",
                file=sys.stderr,
            )
        return None


def cmd_check(settings: Settings) -> int:
    """Validate the config file and print the resolved policy table."""
    from bot.config.report import policy_table

    config = _load_config(settings)
    if config is None:
        if Path(settings.config_path).exists():
            print(f"{settings.config_path}: invalid, see above", file=sys.stderr)
        return 1
    print(policy_table(config))
    broken = check_articles(config)
    for problem in broken:
        print(problem, file=sys.stderr)
    if broken:
        print(
            f"{settings.config_path}: OK, but {len(broken)} knowledge base problem(s) above:"
            " those articles are left out, the rest are indexed",
            file=sys.stderr,
        )
        return 1
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


async def _checked(
    settings: Settings, upgrade_db: bool, run: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """The start-up checks, then the process itself (built only once they pass)."""
    from bot.cli.startup import check_startup

    await check_startup(settings, upgrade_db=upgrade_db)
    await run()


def _tokens_problem(settings: Settings) -> str | None:
    """What is wrong with how the app is installed: one bot token, or OAuth (not both)."""
    token = bool(settings.slack_bot_token.get_secret_value())
    client_id = bool(settings.slack_client_id)
    client_secret = bool(
        settings.slack_client_secret and settings.slack_client_secret.get_secret_value()
    )
    if token and (client_id or client_secret):
        return (
            "Set either SLACK_BOT_TOKEN (the app installed in one workspace) or SLACK_CLIENT_ID"
            " and SLACK_CLIENT_SECRET (installs by OAuth in many workspaces), not both."
        )
    if client_id != client_secret:
        missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
        return f"{missing} is not set: installs by OAuth need both the client id and secret."
    if not token and not client_id:
        return (
            "SLACK_BOT_TOKEN is not set (or, to install in many workspaces by OAuth, set"
            " SLACK_CLIENT_ID and SLACK_CLIENT_SECRET; see README, 'Running for real')"
        )
    return None


def cmd_serve(
    settings: Settings,
    *,
    upgrade_db: bool = False,
    workers: int = 0,
    log_level: str = DEFAULT_LOG_LEVEL,
    worker_only: bool = False,
    log_format: str = "text",
) -> int:
    """Run the bot until interrupted; a start that cannot work is refused in a sentence (1)."""
    from bot.app import SchemaNotReady
    from bot.cli.serve import serve, work
    from bot.cli.startup import StartupError
    from bot.edge.socket_mode import SocketModeRefused

    config = _load_config(settings)
    if config is None:
        return 1
    problem = _tokens_problem(settings)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    if not settings.slack_app_token and not settings.slack_signing_secret.get_secret_value():
        print(
            "SLACK_SIGNING_SECRET is not set (or set SLACK_APP_TOKEN for Socket Mode)",
            file=sys.stderr,
        )
        return 1
    if worker_only:
        run = partial(work, settings, config)
    else:
        run = partial(
            serve,
            settings,
            config,
            upgrade_db=upgrade_db,
            workers=workers,
            log_level=log_level,
            log_format=log_format,
        )
    try:
        _run_fast(_checked(settings, upgrade_db, run))
    except (StartupError, SchemaNotReady, SocketModeRefused) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # before the signal handlers are in place: stop quietly
        return 130
    except Exception as exc:  # a start-up failure no check foresaw still ends in a sentence
        log.debug("connectdesk stopped", exc_info=True)
        name = "work" if worker_only else "serve"
        print(
            f"connectdesk {name} stopped: {type(exc).__name__}: {exc}"
            "\n(--log-level DEBUG shows where)",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_demo(speed: float, chart: str | None = None) -> int:
    """Play the scripted day against the local emulator."""
    from bot.sandbox.demo import run_demo

    return asyncio.run(run_demo(speed=speed, chart=Path(chart) if chart else None))


def environment_help() -> str:
    """The environment variables a process reads, one line each, from the Settings model."""
    fields = list(Settings.model_fields.values())
    width = max(len(field.alias or "") for field in fields)
    lines = ["environment (read once at start-up):"]
    for field in fields:
        default = field.default
        shown = (
            ""
            if default is None or default == "" or isinstance(default, SecretStr)
            else f" (default {default})"
        )
        lines.append(
            textwrap.fill(
                f"{field.alias:<{width}}  {field.description}{shown}",
                width=HELP_WIDTH,
                initial_indent="  ",
                subsequent_indent=" " * (width + 4),
            )
        )
    return "\n".join(lines)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def _version() -> str:
    try:
        return version("connectdesk")
    except PackageNotFoundError:
        return "unknown (not installed as a package)"


def build_parser() -> argparse.ArgumentParser:
    """Every command, its options and its help."""
    # Given after the command too (`connectdesk serve --log-level INFO`); SUPPRESS keeps a
    # level given before the command from being reset by the subcommand's default.
    logging_options = argparse.ArgumentParser(add_help=False)
    logging_options.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=argparse.SUPPRESS,
        help=f"how much to log on stderr (default {DEFAULT_LOG_LEVEL})",
    )
    logging_options.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=argparse.SUPPRESS,
        help=f"text (default) or json: one object per line (also ${LOG_FORMAT_ENV})",
    )
    parser = argparse.ArgumentParser(
        prog="connectdesk",
        description="A self-hosted support desk for Slack Connect.",
        epilog="`connectdesk COMMAND --help` tells more about each command.",
        parents=[logging_options],
    )
    parser.add_argument("--version", action="version", version=f"connectdesk {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    config_help = "the desk's config file (default $CONNECTDESK_CONFIG, else desk.yml)"

    serve = sub.add_parser(
        "serve",
        parents=[logging_options],
        help="run the bot (HTTP on $PORT, or Socket Mode with SLACK_APP_TOKEN)",
        description=textwrap.fill(
            "Run the bot until SIGINT/SIGTERM: HTTP on $PORT (POST /slack/events, GET /healthz),"
            " or Socket Mode when SLACK_APP_TOKEN is set. It first checks desk.yml, the tokens,"
            " Slack's answer to the bot token and the database schema, and refuses to start,"
            " saying what to fix, if any of them is wrong.",
            HELP_WIDTH,
        ),
        epilog=environment_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--config", help=config_help)
    serve.add_argument(
        "--host", help="address to listen on (default $CONNECTDESK_HOST, else 0.0.0.0)"
    )
    serve.add_argument("--port", type=_port, help="HTTP port (default $PORT, else 3000)")
    serve.add_argument(
        "--upgrade-db", action="store_true", help="migrate the database schema first if behind"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=0,
        help="work events in N child processes (`connectdesk work`); 0: in this one (default)",
    )
    work = sub.add_parser(
        "work",
        parents=[logging_options],
        help="work stored events, timers and side effects (no HTTP; see serve --workers)",
        description=textwrap.fill(
            "Work the events `connectdesk serve` stored, the SLA timers and the outbox, without"
            " serving HTTP. `serve --workers N` runs N of these; it checks what serve checks.",
            HELP_WIDTH,
        ),
        epilog=environment_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    work.add_argument("--config", help=config_help)
    demo = sub.add_parser(
        "demo",
        parents=[logging_options],
        help="play a scripted day on the local Slack emulator (no tokens needed)",
        description=(
            "Start a local Slack emulator and the bot against it, play a day in a shared channel"
            " (with time compressed) and print what the customer, the account team member and"
            " the manager each saw, each message as first posted and then its edits, and then"
            " their App Home; last, write the month's report chart (PNG) and print its path."
        ),
    )
    demo.add_argument("--speed", type=float, default=1.0, help="pace multiplier (default 1)")
    demo.add_argument(
        "--chart",
        metavar="FILE.png",
        help="where to write the month's chart (default: attainment-2026-11.png in a"
        " connectdesk-demo folder in the temp folder)",
    )
    check = sub.add_parser(
        "check",
        parents=[logging_options],
        help="validate desk.yml and print the policy table",
        description=(
            "Validate the config file and print the resolved policy table (tier x priority x"
            " targets, calendar, ladder). Exit 1 with file:line: messages on any error."
        ),
    )
    check.add_argument("--config", help=config_help)
    add_db_parser(sub, parents=[logging_options])
    add_kb_parser(sub, parents=[logging_options])
    add_report_parsers(sub, parents=[logging_options])
    add_setup_parsers(sub, parents=[logging_options])
    return parser


def _settings() -> Settings | None:
    """The environment's settings, or None after one line per problem (no traceback)."""
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"])
            # A URL error is a whole sentence that names its variable (never the URL itself).
            # So is a refused retention window.
            if error["type"] in ("database_url", "sentence"):
                print(error["msg"], file=sys.stderr)
            else:
                print(f"{name}={error.get('input')!r}: {error['msg']}", file=sys.stderr)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `connectdesk` and `python -m bot`."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse explained
        return exc.code if isinstance(exc.code, int) else 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "serve" and args.workers < 0:
        print("connectdesk serve: --workers must be 0 or more", file=sys.stderr)
        return 2
    log_level = getattr(args, "log_level", DEFAULT_LOG_LEVEL)
    log_format = getattr(args, "log_format", None) or os.environ.get(LOG_FORMAT_ENV) or "text"
    if log_format not in LOG_FORMATS:
        print(f"{LOG_FORMAT_ENV} must be text or json, not {log_format!r}", file=sys.stderr)
        return 2
    configure_logging(log_level, log_format)
    if args.command == "manifest":
        return cmd_manifest(args)
    if args.command == "token-key":
        return cmd_token_key()
    if args.command == "demo":
        return cmd_demo(args.speed, args.chart)
    settings = _settings()
    if settings is None:
        return 1
    overrides = {
        "config_path": getattr(args, "config", None),
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
    }
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})
    if args.command == "check":
        return cmd_check(settings)
    if args.command == "tokens":
        return cmd_tokens(settings)
    if args.command == "db":
        return cmd_db(settings, args)
    if args.command == "kb":
        return cmd_kb(settings, args)
    if args.command == "report":
        return cmd_report(settings, args)
    if args.command == "export":
        return cmd_export(settings, args)
    if args.command == "work":
        return cmd_serve(settings, worker_only=True, log_level=log_level, log_format=log_format)
    return cmd_serve(
        settings,
        upgrade_db=args.upgrade_db,
        workers=args.workers,
        log_level=log_level,
        log_format=log_format,
    )


if __name__ == "__main__":
    sys.exit(main())
