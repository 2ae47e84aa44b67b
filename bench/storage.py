"""Storage benchmark: events through the desk's own services and store over simulated days,
with retention pruning, printing how big the database is each day.

    uv run python -m bench.storage [--events 1000000] [--tickets-per-day 2000]
                                   [--window-days 7] [--days 21] [--database-url URL]

No HTTP: the events go into the inbox as the edge stores them and are worked as the inbox
worker works them; the Web API is a fake client answering in-process (every call a success),
so the run measures what the store keeps, not Slack. The clock is real time plus a simulated
offset (leases and backoff still age); each simulated day ends with the retention pass the
scheduled job runs (bot/jobs/retention.py). The SLA sweep is not run: timers are not what this
measures (bench/timers.py is).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy import func, select, text

from bench import arguments, world
from bench.machine import describe
from bot.app import ConnectDesk
from bot.config.desk import parse_desk_config
from bot.config.settings import Settings
from bot.observability.metrics import Metrics
from bot.sandbox.waits import outbox_settled
from store import inbox_store, migrate
from store.db import Database
from store.models import InboxEvent, OutboxEntry, ProcessedEvent, Ticket

DAY = timedelta(days=1)
START = datetime(2026, 1, 5, tzinfo=UTC)
CHUNK = 100  # events accepted together, then worked: one batch of the inbox worker
ACCOUNTS = 200


class OffsetClock:
    """Real time plus a simulated offset: leases age as they do, days pass when told."""

    def __init__(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        """The simulated instant."""
        return datetime.now(UTC) + self._offset

    def seconds_until(self, at: datetime) -> float:
        """Real seconds until the simulated clock shows `at`."""
        return (at - self.now()).total_seconds()

    def advance(self, delta: timedelta) -> None:
        """Jump forward."""
        self._offset += delta


class FakeSlack(AsyncWebClient):
    """A Web API that answers every call at once, as a healthy Slack would."""

    _ts = itertools.count(1)

    async def api_call(  # type: ignore[override]
        self, api_method: str, *, http_verb: str = "POST", **kwargs: Any
    ) -> AsyncSlackResponse:
        """Answer `api_method` in-process."""
        args = {**(kwargs.get("params") or {}), **(kwargs.get("json") or {})}
        args.update(kwargs.get("data") or {})
        data: dict[str, Any] = {"ok": True}
        if api_method == "auth.test":
            data.update(team_id=world.VENDOR, user_id=world.BOT, bot_id="B0BOT", team="Vendor")
        elif api_method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            ts = args.get("ts") or f"{1_700_000_000 + next(self._ts)}.000000"
            data.update(channel=args.get("channel"), ts=ts, message={"ts": ts})
        elif api_method == "conversations.info":
            channel = str(args.get("channel"))
            shared = channel.startswith(world.shared_channel(0)[:2])
            data["channel"] = {"id": channel, "is_ext_shared": shared}
        elif api_method == "users.info":
            data["user"] = {"id": args.get("user"), "team_id": world.CUSTOMERS, "profile": {}}
        elif api_method in ("conversations.history", "conversations.replies"):
            data.update(messages=[], has_more=False)
        elif api_method == "chat.getPermalink":
            data["permalink"] = "https://example.slack.com/archives/C/p1"
        elif api_method == "conversations.open":
            data["channel"] = {"id": "D0DM"}
        return AsyncSlackResponse(
            client=self,
            http_verb=http_verb,
            api_url=api_method,
            req_args={},
            data=data,
            headers={},
            status_code=200,
        ).validate()


class BenchDesk(ConnectDesk):
    """The desk, every Web API client of it the fake one."""

    def _client(self, token: str | None) -> AsyncWebClient:
        return FakeSlack(token=token or "xoxb-bench")


@dataclass
class Day:
    """What one simulated day left in the store."""

    day: int
    events: int
    tickets: int
    db_bytes: int
    processed_events: int
    inbox: int
    outbox: int
    pruned: int
    cpu_ms_per_event: float


class Traffic:
    """Customer posts: each ticket a new customer's request, then replies in its thread."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)

    def day(self, tickets: int, events: int, at: datetime) -> list[dict[str, Any]]:
        """`events` Events API bodies of one day opening `tickets` tickets (roots first)."""
        bodies, roots = [], []
        for _ in range(min(tickets, events)):
            n = next(self._ids)
            account = n % ACCOUNTS
            user, channel = f"U9{n:08d}", world.shared_channel(account)
            body = self._body(
                user,
                world.CUSTOMERS,
                channel,
                f"Our exports fail since today, can you check? (r{n})",
                at,
            )
            roots.append((channel, body["event"]["ts"], user, account))
            bodies.append(body)
        for i in range(events - len(bodies)):
            channel, root, user, account = roots[i % len(roots)]
            if i % 2:
                user, team = world.owner(account % 4), world.VENDOR
            else:
                team = world.CUSTOMERS
            bodies.append(self._body(user, team, channel, f"more detail {i}", at, root))
        return bodies

    def _body(
        self,
        user: str,
        team: str,
        channel: str,
        said: str,
        at: datetime,
        thread_ts: str | None = None,
    ) -> dict[str, Any]:
        n = next(self._ts)
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": said,
            "ts": f"{at.timestamp() + n * 1e-6:.6f}",
            "team": team,
            "user_team": team,
            "source_team": team,
            "channel_type": "channel",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return {
            "type": "event_callback",
            "team_id": world.VENDOR,
            "api_app_id": "A0BENCH",
            "event": event,
            "event_id": f"Ev{n:012d}",
            "event_time": int(at.timestamp()),
            "is_ext_shared_channel": True,
        }


async def run(args: argparse.Namespace) -> list[Day]:
    """The whole run; one row per simulated day."""
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'desk.db'}"
        sizes = world.Sizes(accounts=ACCOUNTS, owners=4)
        config = parse_desk_config(world.desk_yaml(sizes))
        settings = Settings(
            CONNECTDESK_DATABASE_URL=url,
            SLACK_BOT_TOKEN="xoxb-bench",
            SLACK_SIGNING_SECRET="bench",
            CONNECTDESK_RETENTION_DAYS=args.window_days,
        )
        clock = OffsetClock(START)
        desk = BenchDesk(settings, config, clock=clock, channel_interval=0.0, metrics=Metrics())
        # The queues' own clocks too, so what they stamp ages with the simulated days.
        desk.inbox.wall = clock
        desk.services.outbox.wall = clock
        await migrate.upgrade(url)
        if desk.inbox_db is not desk.db:
            async with desk.inbox_db.connection() as conn:
                await inbox_store.create(conn)
        await desk.installs.learn()  # type: ignore[attr-defined]
        await desk.services.installs.start()
        await desk.services.triage.start()  # as `ConnectDesk.start` does: intake asks it
        # Retries and rows a failed first try left are the outbox worker's, as in the app.
        desk.services.outbox.start()
        try:
            return await _days(desk, clock, args)
        finally:
            await desk.services.outbox.close()
            await desk.db.close()
            if desk.inbox_db is not desk.db:
                await desk.inbox_db.close()


async def _days(desk: ConnectDesk, clock: OffsetClock, args: argparse.Namespace) -> list[Day]:
    traffic = Traffic()
    per_day = max(1, args.events // args.days)
    days: list[Day] = []
    sent = 0
    for day in range(1, args.days + 1):
        count = per_day if day < args.days else args.events - sent
        bodies = traffic.day(args.tickets_per_day, count, clock.now())
        cpu = time.process_time()
        for start in range(0, len(bodies), CHUNK):
            await _feed(desk, bodies[start : start + CHUNK])
        # Handled inbox rows are deleted and outcomes written before the day ends: the jump
        # of the clock must not make live leases lapse.
        await desk.inbox.close()
        await outbox_settled(desk.services.outbox, within=600)
        pruned = sum((await desk.retention.prune()).values())
        cpu_ms = (time.process_time() - cpu) * 1000 / max(1, len(bodies))
        sent += len(bodies)
        days.append(await _measure(desk, day, sent, pruned, cpu_ms))
        print(_row(days[-1]), flush=True)
        clock.advance(DAY)
    return days


async def _feed(desk: ConnectDesk, bodies: Sequence[dict[str, Any]]) -> None:
    """Store the bodies as the edge does, then work them as the inbox worker does."""
    await asyncio.gather(*(desk.inbox.accept(b, json.dumps(b)) for b in bodies))
    while await desk.inbox.work_once():
        pass


async def _measure(desk: ConnectDesk, day: int, sent: int, pruned: int, cpu: float) -> Day:
    async with desk.db.reading() as uow:
        session = uow.session
        tickets = await session.scalar(select(func.count()).select_from(Ticket)) or 0
        events = await session.scalar(select(func.count()).select_from(ProcessedEvent)) or 0
        outbox = await session.scalar(select(func.count()).select_from(OutboxEntry)) or 0
    async with desk.inbox_db.reading() as uow:
        inbox = await uow.session.scalar(select(func.count()).select_from(InboxEvent)) or 0
    size = await database_bytes(desk.db) + (
        await database_bytes(desk.inbox_db) if desk.inbox_db is not desk.db else 0
    )
    return Day(day, sent, tickets, size, events, inbox, outbox, pruned, cpu)


async def database_bytes(db: Database) -> int:
    """The database's size: a SQLite database's pages, as its connections see them (freed pages
    are reused, not given back), or
    the PostgreSQL schema's tables with their indexes and TOAST."""
    async with db.connection() as conn:
        if db.is_sqlite:
            pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()
            size = (await conn.exec_driver_sql("PRAGMA page_size")).scalar_one()
            return int(pages) * int(size)
        total = await conn.execute(
            text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            )
        )
        return int(total.scalar_one())


HEADER = (
    f"{'day':>4} {'events':>10} {'tickets':>8} {'db MB':>8} {'B/ticket':>9} "
    f"{'processed':>10} {'inbox':>6} {'outbox':>8} {'pruned':>8} {'cpu ms/ev':>9}"
)


def _row(d: Day) -> str:
    per_ticket = d.db_bytes / d.tickets if d.tickets else 0
    return (
        f"{d.day:>4} {d.events:>10,} {d.tickets:>8,} {d.db_bytes / 1e6:>8.1f} {per_ticket:>9,.0f} "
        f"{d.processed_events:>10,} {d.inbox:>6,} {d.outbox:>8,} {d.pruned:>8,} "
        f"{d.cpu_ms_per_event:>9.2f}"
    )


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m bench.storage", description=__doc__.split("\n")[0])
    p.add_argument("--events", type=arguments.positive_int, default=1_000_000)
    p.add_argument("--tickets-per-day", type=arguments.positive_int, default=2_000)
    p.add_argument(
        "--window-days", type=float, default=7.0, help="CONNECTDESK_RETENTION_DAYS (at least 1)"
    )
    p.add_argument("--days", type=arguments.positive_int, default=21, help="simulated days")
    p.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print one line per simulated day."""
    args = parser().parse_args(argv)
    print(describe())
    print(
        f"{args.events:,} events over {args.days} simulated days, {args.tickets_per_day:,}"
        f" tickets/day, retention {args.window_days:g} days"
    )
    print(HEADER, flush=True)
    started = time.monotonic()
    days = asyncio.run(run(args))
    last = days[-1]
    print(
        f"done in {time.monotonic() - started:.0f}s: {last.db_bytes / 1e6:.1f} MB for"
        f" {last.tickets:,} tickets ({last.db_bytes / max(1, last.tickets):,.0f} bytes/ticket)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
