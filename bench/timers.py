"""Timer benchmark: 100,000 open tickets whose SLA warnings fall due over the next minutes;
how late each fired step is, how long the sweep's queries take, and the bot's RSS.

    uv run python -m bench.timers [--tickets 100000] [--spread 1800] [--watch 60] [--lead 90]
                                  [--repeat 3]

The bot runs as `python -m bot serve` in its own process; this process runs the emulator
(which receives the warnings), seeds the database and watches.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bench import arguments, procs, seed, world
from bench.machine import describe, rss_mb
from bench.stats import median, percentile, table
from bot.emulator import Emulator
from bot.sandbox.sandbox import BOT_TOKEN, SIGNING_SECRET
from store.db import Database
from store.models import LadderFiring, SlaClock, Ticket

TARGET_P99_S, TARGET_RSS_MB = 1.0, 250.0
SETTLE_SECONDS = 120.0
LADDER = "    ladder:\n      - at: 75%\n        notify: [owner]\n"
NUMBER = re.compile(r"#(\d+)")


@dataclass(frozen=True)
class Run:
    """One run's figures."""

    tickets: int
    expected: int
    # Fell due before the bot was up (not counted in the lateness) and how many of them fired.
    caught_up: int
    caught_up_fired: int
    fired: int
    delivered: int
    claim_late_s: list[float]
    delivered_late_s: list[float]
    due_query_ms: list[float]
    next_query_ms: list[float]
    rss_mb: list[float]
    seed_s: float
    start_s: float


async def _sample_queries(db: Database, until: float, out_due: list, out_next: list) -> None:
    """Time the sweep's two queries on their own connection, about once a second (at least once)."""
    while not out_due or time.monotonic() < until:
        now = datetime.now(UTC)
        async with db.unit_of_work() as uow:
            t0 = time.perf_counter()
            await uow.sla.due(now)
            t1 = time.perf_counter()
            await uow.sla.earliest_next_step()
            t2 = time.perf_counter()
        out_due.append((t1 - t0) * 1000)
        out_next.append((t2 - t1) * 1000)
        await asyncio.sleep(1.0)


async def _sample_rss(pid: int, until: float, out: list[float]) -> None:
    out.append(rss_mb(pid))  # at least once, even when a slow start ate the watched time
    while time.monotonic() < until:
        await asyncio.sleep(0.5)
        out.append(rss_mb(pid))


async def one_run(tickets: int, spread: float, watch: float, lead: float, owners: int) -> Run:
    """Seed, start the bot, watch `watch` seconds of warnings fall due, collect figures."""
    sizes = world.Sizes(accounts=100, owners=owners, ladder=LADDER)
    emu = Emulator(world.workspace(sizes), signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    await emu.start()
    try:
        async with procs.workdir() as tmp:
            url = f"sqlite+aiosqlite:///{tmp / 'desk.db'}"
            config = world.desk_yaml(sizes)
            db = Database(url)
            try:
                began = time.monotonic()
                first = datetime.now(UTC) + timedelta(seconds=lead)
                await seed.accounts(db, world.desk_config(sizes), datetime.now(UTC))
                due = await seed.open_tickets(db, tickets, first, timedelta(seconds=spread), owners)
                seeded = time.monotonic()
                async with procs.connectdesk(config, emu.api_url, url, tmp) as bot:
                    started = time.monotonic()
                    # Steps due before the bot answered are late by however long seeding and
                    # start-up took, which says nothing about the sweep: the watched window
                    # opens when the bot is up (seeding alone can outlast `lead` on a busy day).
                    window = max(first, datetime.now(UTC))
                    last = window + timedelta(seconds=watch)
                    expected = {n for n, at in due.items() if window <= at <= last}
                    early = {n for n, at in due.items() if at < window}
                    until = time.monotonic() + (last - datetime.now(UTC)).total_seconds() + 1
                    due_ms: list[float] = []
                    next_ms: list[float] = []
                    rss: list[float] = []
                    await asyncio.gather(
                        _sample_queries(db, until, due_ms, next_ms),
                        _sample_rss(bot.pid, until, rss),
                    )
                    # Late alerts still count: wait (a bounded while) for every one to arrive.
                    settle = time.monotonic() + SETTLE_SECONDS
                    while len(_deliveries(emu).keys() & expected) < len(expected):
                        if time.monotonic() > settle:
                            break
                        await asyncio.sleep(0.5)
                    claimed = await _claims(db)
                    delivered = _deliveries(emu)
            finally:
                await db.close()
    finally:
        await emu.stop()
    claim_late = [(claimed[n] - due[n]).total_seconds() for n in expected if n in claimed]
    delivered_late = [delivered[n] - due[n].timestamp() for n in expected if n in delivered]
    return Run(
        tickets,
        len(expected),
        len(early),
        len(early & claimed.keys()),
        len(claim_late),
        len(delivered_late),
        claim_late,
        delivered_late,
        due_ms,
        next_ms,
        rss,
        seeded - began,
        started - seeded,
    )


async def _claims(db: Database) -> dict[int, datetime]:
    """Ticket number -> when the sweep claimed its warning in the ledger."""
    async with db.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(Ticket.number, LadderFiring.fired_at)
            .join(SlaClock, SlaClock.id == LadderFiring.clock_id)
            .join(Ticket, Ticket.id == SlaClock.ticket_id)
            .where(SlaClock.kind == "first_response")
        )
        return {int(n): at for n, at in rows.all()}


def _deliveries(emu: Emulator) -> dict[int, float]:
    """Ticket number -> when its warning DM reached the emulator (first one)."""
    out: dict[int, float] = {}
    for call in emu.calls_to("chat.postMessage"):
        text = call.params.get("text", "")
        found = NUMBER.search(text) if "warning" in text.lower() else None
        if found and call.status == 200:
            out.setdefault(int(found.group(1)), call.at)
    return out


def summarise(runs: list[Run]) -> dict:
    """Medians over runs."""
    return {
        "tickets": runs[0].tickets,
        "expected": median([r.expected for r in runs]),
        "caught_up": median([r.caught_up for r in runs]),
        "caught_up_fired": median([r.caught_up_fired for r in runs]),
        "fired": median([r.fired for r in runs]),
        "delivered": median([r.delivered for r in runs]),
        "missed": sum(r.expected - r.fired for r in runs),
        "claim_p50_s": median([percentile(r.claim_late_s, 50) for r in runs]),
        "claim_p99_s": median([percentile(r.claim_late_s, 99) for r in runs]),
        "claim_max_s": median([max(r.claim_late_s, default=float("nan")) for r in runs]),
        "dm_p50_s": median([percentile(r.delivered_late_s, 50) for r in runs]),
        "dm_p99_s": median([percentile(r.delivered_late_s, 99) for r in runs]),
        "dm_max_s": median([max(r.delivered_late_s, default=float("nan")) for r in runs]),
        "due_query_p50_ms": median([percentile(r.due_query_ms, 50) for r in runs]),
        "due_query_max_ms": median([max(r.due_query_ms, default=float("nan")) for r in runs]),
        "next_query_p50_ms": median([percentile(r.next_query_ms, 50) for r in runs]),
        "next_query_max_ms": median([max(r.next_query_ms, default=float("nan")) for r in runs]),
        "rss_max_mb": median([max(r.rss_mb, default=float("nan")) for r in runs]),
        "seed_s": median([r.seed_s for r in runs]),
        "start_s": median([r.start_s for r in runs]),
        "runs": len(runs),
    }


def render(report: dict) -> str:
    """The printed report."""
    r = report
    rows = [
        ["ladder step claimed (ledger)", r["claim_p50_s"], r["claim_p99_s"], r["claim_max_s"]],
        ["warning DM delivered", r["dm_p50_s"], r["dm_p99_s"], r["dm_max_s"]],
    ]
    p99 = max(r["claim_p99_s"], r["dm_p99_s"])
    lines = [
        f"machine: {r['machine']}",
        f"{r['tickets']} open tickets ({2 * r['tickets']} clock rows); {r['expected']:.0f} warnings"
        f" fell due in the watched {r['watch']:g}s (spread {r['spread']:g}s); fired "
        f"{r['fired']:.0f}, delivered {r['delivered']:.0f}, never fired {r['missed']}; "
        f"medians of {r['runs']} run(s)",
        f"{r['caught_up']:.0f} fell due before the bot was up (not counted); "
        f"{r['caught_up_fired']:.0f} of them fired",
        table(["lateness, s", "p50", "p99", "max"], rows),
        table(
            ["sweep query (own connection), ms", "p50", "max"],
            [
                ["due steps (LIMIT 500)", r["due_query_p50_ms"], r["due_query_max_ms"]],
                ["earliest next step", r["next_query_p50_ms"], r["next_query_max_ms"]],
            ],
        ),
        f"bot RSS max {r['rss_max_mb']:.0f} MiB; seeding took {r['seed_s']:.1f}s, "
        f"bot start {r['start_s']:.1f}s",
        f"target: p99 lateness {p99:.2f}s (<= {TARGET_P99_S:g}: "
        f"{'met' if p99 <= TARGET_P99_S else 'MISSED'}), RSS {r['rss_max_mb']:.0f} MiB "
        f"(<= {TARGET_RSS_MB:g}: {'met' if r['rss_max_mb'] <= TARGET_RSS_MB else 'MISSED'})",
    ]
    return "\n".join(lines)


async def run(
    tickets: int, spread: float, watch: float, repeat: int, lead: float, owners: int
) -> dict:
    """Every run in turn; the summary."""
    machine = describe()
    runs = [await one_run(tickets, spread, watch, lead, owners) for _ in range(repeat)]
    return {**summarise(runs), "machine": machine, "watch": watch, "spread": spread}


def main(argv: Sequence[str] | None = None) -> dict:
    """Command line entry: run, print, return the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.timers", description=__doc__)
    parser.add_argument(
        "--tickets", type=arguments.positive_int, default=100_000, help="open tickets"
    )
    parser.add_argument(
        "--spread", type=arguments.seconds, default=1800, help="warnings fall due over (s)"
    )
    parser.add_argument(
        "--watch", type=arguments.seconds, default=60, help="seconds of due warnings watched"
    )
    parser.add_argument(
        "--lead",
        type=arguments.seconds,
        default=90,
        help="seconds from the start of seeding to the first due step (the watched window "
        "opens then, or when the bot is up if that is later); seeding alone took 20-47 s",
    )
    parser.add_argument(
        "--owners", type=arguments.positive_int, default=2000, help="people warned (DM targets)"
    )
    parser.add_argument("--repeat", type=arguments.positive_int, default=3, help="runs (medians)")
    args = parser.parse_args(argv)
    report = asyncio.run(
        run(args.tickets, args.spread, args.watch, args.repeat, args.lead, args.owners)
    )
    print(render(report))
    return report


if __name__ == "__main__":
    main()
