"""`connectdesk kb index|search`: the knowledge base from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config.desk import ConfigError, DeskConfig, load_desk_config
from bot.config.kb import read_folder
from bot.config.settings import Settings


def add_kb_parser(
    sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser] | None = None
) -> None:
    """Register `kb index` and `kb search "…"` (`parents`: options every command takes)."""
    parents = parents or []
    kb = sub.add_parser(
        "kb",
        parents=parents,
        help="knowledge base: index the articles, search them",
        description=(
            "Index the knowledge base folder (`knowledge_base:` in desk.yml, default kb/ beside"
            " it) into $CONNECTDESK_DATABASE_URL, or search it as a ticket's card would."
        ),
    )
    actions = kb.add_subparsers(dest="kb_command", required=True, metavar="ACTION")
    index = actions.add_parser(
        "index",
        parents=parents,
        help="index new and edited articles, forget removed ones",
        description="Index the folder now (the bot also does, at start and when files change).",
    )
    index.add_argument("--config", help="the desk's config file (default $CONNECTDESK_CONFIG)")
    search = actions.add_parser(
        "search",
        parents=parents,
        help="the best articles for a question",
        description="Print the articles a ticket with this text would be offered, best first.",
    )
    search.add_argument("query", help="the question, as a customer would ask it")
    search.add_argument("--limit", type=int, default=5, help="how many (default 5)")
    search.add_argument("--config", help="the desk's config file (default $CONNECTDESK_CONFIG)")


def check_articles(config: DeskConfig) -> list[str]:
    """`connectdesk check`'s part: a line about the folder, then one per broken article."""
    if config.knowledge_base is None:
        return []
    read = read_folder(config.knowledge_base)
    customer = sum(1 for a in read.articles if a.audience == "customer")
    print(
        f"knowledge base {config.knowledge_base}: {len(read.articles)} article(s),"
        f" {customer} for customers, {len(read.articles) - customer} internal"
    )
    return list(read.problems)


def cmd_kb(settings: Settings, args: argparse.Namespace) -> int:
    """Run `kb index` or `kb search` against $CONNECTDESK_DATABASE_URL."""
    try:
        config = load_desk_config(settings.config_path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    if config.knowledge_base is None:
        print(
            f"{settings.config_path}: no knowledge base (set `knowledge_base:` or make a kb/"
            " folder beside it)",
            file=sys.stderr,
        )
        return 1
    return asyncio.run(_run(settings, config, args))


async def _run(settings: Settings, config: DeskConfig, args: argparse.Namespace) -> int:
    from bot.domain.clock import SystemClock
    from bot.services.knowledge import KnowledgeBase
    from store import migrate
    from store.db import Database

    url = settings.database_url
    problem = (await migrate.status(url)).problem(url)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    db = Database(url)
    try:
        knowledge = KnowledgeBase(db, config, SystemClock())
        if args.kb_command == "index":
            report = await knowledge.index()
            for line in report.problems:
                print(line, file=sys.stderr)
            print(
                f"{config.knowledge_base}: {report.added} added, {report.updated} updated,"
                f" {report.removed} removed, {report.unchanged} unchanged"
                + (f"; {len(report.problems)} left out (see above)" if report.problems else "")
            )
            return 1 if report.problems else 0
        matches = await knowledge.search(args.query, max(args.limit, 1))
        if not matches:
            print("no article matches")
            return 0
        for n, m in enumerate(matches[: args.limit], 1):
            print(
                f"{n}. [{m.audience}] {m.title} ({m.slug}) score {m.score:.2f},"
                f" covers {m.coverage:.0%} of the question"
            )
            if m.url:
                print(f"   {m.url}")
            if m.excerpt:
                print(f"   {m.excerpt}")
        return 0
    finally:
        await db.close()
