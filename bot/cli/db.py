"""`connectdesk db ...`: schema migrations from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config.settings import Settings


def add_db_parser(
    sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser] | None = None
) -> None:
    """Register `db upgrade|current|stamp|revision` (`parents`: options every command takes)."""
    parents = parents or []
    db = sub.add_parser(
        "db",
        parents=parents,
        help="database schema: upgrade, current, stamp, revision",
        description=(
            "Manage the schema of $CONNECTDESK_DATABASE_URL (default"
            " sqlite+aiosqlite:///connectdesk.db) with its Alembic migrations."
        ),
    )
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = actions.add_parser(
        "upgrade",
        parents=parents,
        help="migrate $CONNECTDESK_DATABASE_URL to the newest",
        description="Create the schema, or migrate it to a revision (default: the newest).",
    )
    up.add_argument("revision", nargs="?", default="head", help="target (default head)")
    actions.add_parser(
        "current",
        parents=parents,
        help="print the schema revision and whether it is current",
        description="Print the database's schema revision; exit 1 if it is not the newest.",
    )
    stamp = actions.add_parser(
        "stamp",
        parents=parents,
        help="record a revision without running migrations",
        description=(
            "Record a revision as the schema's state without running anything (e.g. to adopt"
            " tables created before migrations: `db stamp head`)."
        ),
    )
    stamp.add_argument("revision", help="e.g. head, or 0001")
    rev = actions.add_parser(
        "revision",
        parents=parents,
        help="write a new migration from the models (dev)",
        description="Write a new migration script: what the models add over the database.",
    )
    rev.add_argument("-m", "--message", required=True, help="what the migration does")
    rev.add_argument("--empty", action="store_true", help="do not autogenerate; empty script")


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    """Run one `db` subcommand against $CONNECTDESK_DATABASE_URL (checked when read)."""
    return asyncio.run(_run(settings.database_url, args))


async def _run(url: str, args: argparse.Namespace) -> int:
    from store import migrate

    where = migrate.safe_url(url)
    try:
        if args.db_command == "upgrade":
            await migrate.upgrade(url, args.revision)
            state = await migrate.status(url)
            print(f"{where}: at revision {state.current} (newest {state.head})")
            return 0
        if args.db_command == "current":
            state = await migrate.status(url)
            print(f"{where}: revision {state.current or 'none'}, newest {state.head}")
            problem = state.problem(url)
            if problem:
                print(problem)
                return 1
            print("up to date")
            return 0
        if args.db_command == "stamp":
            await migrate.stamp(url, args.revision)
            print(f"{where}: stamped {(await migrate.status(url)).current}")
            return 0
        paths = await migrate.revision(url, args.message, autogenerate=not args.empty)
        for path in paths:
            print(f"wrote {path}")
        return 0
    except Exception as exc:  # a CLI answers with a sentence, not a traceback
        print(f"{where}: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
