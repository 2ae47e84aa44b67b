"""App Home benchmark: managers and agents open their Home on a desk with 5,000 open tickets
(and 50,000 resolved ones); the time from each `app_home_opened` sent to the `views.publish`
the emulator receives for that person.

    uv run python -m bench.home [--tickets 5000] [--resolved 50000] [--opens 240]
                                [--interval 0.5] [--repeat 3] [--database-url URL]

The bot runs as `python -m bot serve` in its own process, on a generated desk.yml and a
database seeded before it starts (bench/home_seed.py); this process runs the emulator, which
sends the signed events and records when each call arrives. Opens go out at a fixed pace
(one every `--interval` s, not waiting for the last publish), in turn from each manager and
agent, so each person opens again only after the Home's debounce window (3 s) has passed and
every open is published at once, as it is for someone opening after a quiet spell.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bench import arguments, databases, home_seed, procs, seed, world
from bench.ingest import CpuMeter
from bench.machine import describe
from bench.stats import median, percentile, table
from bot.emulator import Emulator
from bot.emulator.calls import ApiCall
from bot.emulator.webapi.params import view_of
from bot.sandbox.sandbox import BOT_TOKEN, SIGNING_SECRET
from bot.services.home import HOME_WINDOW
from store.db import Database

TARGET_P99_MS = 300.0
SETTLE_SECONDS = 60.0
# Each person opens again at least this long after their last open: past the debounce window,
# with room for the bot handling one open later than the one before.
PERSON_GAP = HOME_WINDOW + 1.0
# A manager who opens after a quiet spell is shown this month's figures at hand while new
# ones are made (up to `SHOWN_FOR` old, bot/services/console.py; older ones are waited for):
# measured apart, as the open most likely to be slow.
QUIET_SECONDS = 62.0
MANAGER, AGENT, QUIET = "manager", "agent", "manager after 62 s quiet"


@dataclass
class Open:
    """One `app_home_opened` and the publish it brought."""

    user: str
    role: str
    planned: float
    sent: float = 0.0
    status: int | str = 0
    acked: float = 0.0
    published: float | None = None
    blocks: int = 0

    @property
    def ms(self) -> float | None:
        """Event sent to `views.publish` received, in ms (None: never published)."""
        return None if self.published is None else (self.published - self.sent) * 1000


@dataclass
class Run:
    """One run's opens and what the bot spent on them."""

    opens: list[Open]
    first: list[Open]  # each person's first open after start (caches cold; not counted)
    quiet: list[Open]  # managers' opens after a quiet spell (the month's figures made anew)
    cpu_ms_per_open: float
    publishes: int  # every views.publish in the measured window (one per open expected)
    refused: int  # views.publish calls refused (as Slack would) in the whole run
    seeded: home_seed.Seeded
    seed_s: float
    start_s: float


def people(managers: int, agents: int) -> list[tuple[str, str]]:
    """Who opens, in turn: managers and agents alternating (owners 0.. are the managers)."""
    ms = [(world.owner(i), MANAGER) for i in range(managers)]
    ags = [(world.owner(managers + i), AGENT) for i in range(agents)]
    turn: list[tuple[str, str]] = []
    for i in range(max(len(ms), len(ags))):
        turn += ms[i : i + 1] + ags[i : i + 1]
    return turn


async def _send(emu: Emulator, one: Open) -> None:
    await asyncio.sleep(max(0.0, one.planned - time.time()))
    one.sent = time.time()
    delivery = await emu.homes.open(one.user)
    one.status = delivery.status
    one.acked = time.time()


def _accepted(call: ApiCall) -> bool:
    return call.status == 200 and bool(call.response.get("ok"))


def _refused(emu: Emulator, since: float) -> int:
    """views.publish calls Slack would refuse (a section over 3,000 characters, ...)."""
    return sum(1 for c in emu.calls_to("views.publish") if c.at >= since and not _accepted(c))


def _match(emu: Emulator, opens: list[Open], since: float) -> int:
    """Give each open the first publish for its person after it was sent; all publishes since."""
    calls = [c for c in emu.calls_to("views.publish") if c.at >= since and _accepted(c)]
    for one in opens:
        one.published, one.blocks = None, 0
    by_user: dict[str, list[tuple[float, int]]] = {}
    for call in calls:
        blocks = len(view_of(call.params).get("blocks") or [])
        by_user.setdefault(str(call.params.get("user_id")), []).append((call.at, blocks))
    for one in sorted(opens, key=lambda o: o.sent):
        queue = by_user.get(one.user, [])
        while queue and queue[0][0] < one.sent:
            queue.pop(0)  # a publish from before this open: not its answer
        if queue:
            one.published, one.blocks = queue.pop(0)
    return len(calls)


async def _wait_published(emu: Emulator, opens: list[Open], since: float) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        _match(emu, opens, since)
        if all(o.published is not None for o in opens):
            return
        await asyncio.sleep(0.2)


async def one_run(args: argparse.Namespace) -> Run:
    """Seed, start the bot, open each person's Home once (warm), then the measured opens."""
    turn = people(args.managers, args.agents)
    sizes = world.Sizes(
        accounts=args.accounts,
        owners=args.owners,
        managers=tuple(u for u, role in turn if role == MANAGER),
    )
    emu = Emulator(world.workspace(sizes), signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    await emu.start()
    try:
        async with (
            procs.workdir() as tmp,
            databases.database(args.database_url, tmp, "bench_home") as url,
        ):
            began = time.monotonic()
            db = Database(url)
            try:
                now = datetime.now(UTC)
                await seed.accounts(db, world.desk_config(sizes), now)
                seeded = await home_seed.desk(db, sizes, args.tickets, args.resolved, now)
            finally:
                await db.close()
            seeded_at = time.monotonic()
            config = world.desk_yaml(sizes)
            async with procs.connectdesk(
                config, emu.api_url, url, tmp, workers=args.workers
            ) as bot:
                emu.app_url = bot.events_url
                started_at = time.monotonic()
                first = [Open(user, role, time.time()) for user, role in turn]
                for one in first:  # one at a time: each person's first Home, caches cold
                    await _send(emu, one)
                    await _wait_published(emu, [one], one.sent)
                await asyncio.sleep(PERSON_GAP)
                meter = CpuMeter([bot.pid])
                cpu_before = sum(meter.read())
                since = time.time()
                start = since + 0.2
                opens = [
                    Open(*turn[i % len(turn)], start + i * args.interval) for i in range(args.opens)
                ]
                await asyncio.gather(*(_send(emu, one) for one in opens))
                await _wait_published(emu, opens, since)
                cpu = sum(meter.read()) - cpu_before
                publishes = _match(emu, opens, since)
                managers = [user for user, role in turn if role == MANAGER]
                quiet = [
                    Open(managers[i % len(managers)], QUIET, 0.0) for i in range(args.quiet_opens)
                ]
                for one in quiet:
                    await asyncio.sleep(QUIET_SECONDS)
                    one.planned = time.time()
                    await _send(emu, one)
                    await _wait_published(emu, [one], one.sent)
                refused = _refused(emu, 0.0)
    finally:
        await emu.stop()
    done = sum(1 for o in opens if o.published is not None)
    return Run(
        opens,
        first,
        quiet,
        cpu * 1000 / max(1, done),
        publishes,
        refused,
        seeded,
        seeded_at - began,
        started_at - seeded_at,
    )


def _figures(runs: list[Run], role: str) -> dict:
    """Medians over runs of one role's latency percentiles."""
    mine = [[o for o in (*r.opens, *r.quiet) if o.role == role] for r in runs]
    per_run = [[o.ms for o in opens if o.ms is not None] for opens in mine]
    blocks = [o.blocks for opens in mine for o in opens if o.published]
    first = [o.ms for r in runs for o in r.first if o.role == role and o.ms is not None]
    return {
        "opens": sum(len(opens) for opens in mine),
        "published": sum(len(ms) for ms in per_run),
        "p50_ms": median([percentile(ms, 50) for ms in per_run]),
        "p90_ms": median([percentile(ms, 90) for ms in per_run]),
        "p99_ms": median([percentile(ms, 99) for ms in per_run]),
        "max_ms": median([max(ms, default=float("nan")) for ms in per_run]),
        "each_p99_ms": [percentile(ms, 99) for ms in per_run],
        "blocks": median(blocks),
        "blocks_min": min(blocks, default=0),
        "first_median_ms": median(first),
        "first_max_ms": max(first, default=float("nan")),
    }


def summarise(runs: list[Run]) -> dict:
    """Medians over runs, per role."""
    opens = [o for r in runs for o in (*r.opens, *r.quiet)]
    return {
        "roles": {role: _figures(runs, role) for role in (MANAGER, AGENT, QUIET)},
        "unpublished": sum(1 for o in opens if o.published is None),
        "failed": sum(1 for o in opens if o.status != 200),
        "extra_publishes": sum(r.publishes - sum(1 for o in r.opens if o.published) for r in runs),
        "refused": sum(r.refused for r in runs),
        "cpu_ms_per_open": median([r.cpu_ms_per_open for r in runs]),
        "lag_p99_ms": median(
            [percentile([(o.sent - o.planned) * 1000 for o in r.opens], 99) for r in runs]
        ),
        "seed_s": median([r.seed_s for r in runs]),
        "start_s": median([r.start_s for r in runs]),
        "seeded": runs[0].seeded,
        "runs": len(runs),
    }


def render(report: dict) -> str:
    """The printed report."""
    r = report
    s: home_seed.Seeded = r["seeded"]
    managers = r["roles"][MANAGER]
    owned = sorted(s.owned.get(world.owner(i), 0) for i in range(r["managers"]))
    rows = [
        [
            role,
            f["opens"],
            f["published"],
            f["p50_ms"],
            f["p90_ms"],
            f["p99_ms"],
            f["max_ms"],
            f["blocks"],
            f["first_median_ms"],
            f["first_max_ms"],
        ]
        for role, f in r["roles"].items()
        if f["opens"]
    ]
    p99 = managers["p99_ms"]
    lines = [
        f"machine: {r['machine']}",
        f"{r['database']}; {s.open_tickets} open tickets ({owned[0]}-{owned[-1]} owned by each "
        f"of {r['managers']} managers), {s.resolved_tickets} resolved, {s.clocks} SLA clocks, "
        f"{s.surveys} surveys ({s.answers} answered); {r['accounts']} accounts",
        f"opens one every {r['interval']:g}s in turn by {r['managers']} manager(s) and "
        f"{r['agents']} agent(s); medians of {r['runs']} run(s); seeding {r['seed_s']:.1f}s, "
        f"bot start {r['start_s']:.1f}s",
        table(
            [
                "who",
                "opens",
                "published",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "max ms",
                "blocks",
                "first open ms",
                "first max ms",
            ],
            rows,
        ),
        f"each run's manager p99 ms: {', '.join(f'{v:.1f}' for v in managers['each_p99_ms'])}",
        f"bot CPU per open (event to publish, whole process): {r['cpu_ms_per_open']:.1f} ms; "
        f"send lag p99 {r['lag_p99_ms']:.1f} ms; unpublished {r['unpublished']}, failed sends "
        f"{r['failed']}, extra publishes {r['extra_publishes']}, refused publishes "
        f"{r['refused']}",
        f"target: manager p99 {p99:.1f} ms (<= {TARGET_P99_MS:g}: "
        f"{'met' if p99 <= TARGET_P99_MS else 'MISSED'})",
    ]
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict:
    """Every run in turn; the summary."""
    machine = describe()
    runs = [await one_run(args) for _ in range(args.repeat)]
    where = "SQLite" if args.database_url is None else "PostgreSQL"
    return {
        **summarise(runs),
        "machine": machine,
        "database": where,
        "managers": args.managers,
        "agents": args.agents,
        "accounts": args.accounts,
        "interval": args.interval,
    }


def _postgres_url(value: str) -> str:
    if not value.startswith("postgresql"):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a PostgreSQL URL (the default is a fresh SQLite file)"
        )
    return value


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m bench.home", description=__doc__.split("\n")[0])
    p.add_argument("--tickets", type=arguments.positive_int, default=5000, help="open tickets")
    p.add_argument("--resolved", type=arguments.count, default=50_000, help="resolved tickets")
    p.add_argument(
        "--opens", type=arguments.positive_int, default=240, help="measured opens per run"
    )
    p.add_argument("--interval", type=arguments.seconds, default=0.5, help="seconds between opens")
    p.add_argument("--managers", type=arguments.positive_int, default=4, help="managers opening")
    p.add_argument("--agents", type=arguments.count, default=4, help="agents opening")
    p.add_argument(
        "--quiet-opens",
        type=arguments.count,
        default=1,
        help=f"then, each {QUIET_SECONDS:g} s after the last, a manager's open (measured apart)",
    )
    p.add_argument("--owners", type=arguments.positive_int, default=40, help="account team members")
    p.add_argument("--accounts", type=arguments.positive_int, default=200)
    p.add_argument("--repeat", type=arguments.positive_int, default=3, help="runs (medians)")
    p.add_argument(
        "--workers", type=arguments.count, default=0, help="`serve --workers N` (0: one process)"
    )
    p.add_argument(
        "--database-url",
        type=_postgres_url,
        default=None,
        help="a PostgreSQL server (a schema of our own is made and dropped); default: SQLite",
    )
    return p


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The arguments, checked: each person opens again only past the debounce window."""
    p = parser()
    args = p.parse_args(argv)
    if args.managers + args.agents > args.owners:
        p.error("--managers plus --agents must not exceed --owners")
    turn = len(people(args.managers, args.agents))
    if turn * args.interval < PERSON_GAP:
        p.error(
            f"{turn} people opening every {args.interval:g}s reopen within "
            f"{turn * args.interval:g}s: the Home's debounce ({HOME_WINDOW:g}s) would merge "
            f"opens; give at least {PERSON_GAP:g}s per person (more people or a longer interval)"
        )
    return args


def main(argv: Sequence[str] | None = None) -> dict:
    """Command line entry: run, print, return the report."""
    report = asyncio.run(run(parse(argv)))
    print(render(report))
    return report


if __name__ == "__main__":
    main()
