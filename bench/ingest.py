"""Ingest benchmark: signed customer posts at fixed rates and flat out, ack latency and
fully-processed tickets/s, beside a bare Bolt app served the same way; then the desk alone at a
share of bare Bolt's flat-out rate (event -> done p99), and how busy the whole machine was.

    uv run python -m bench.ingest [--seconds 5] [--rates 100,200,400] [--repeat 3] [--share 0.25]

Process layout (see bench/README.md): this process runs the emulator; the load generator
(bench/sender.py), connectdesk (`python -m bot serve`) and the bare Bolt app each run in their
own process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import func, select

from bench import arguments, databases, procs, sender, world
from bench.machine import busy_seconds, children, cores, cpu_seconds, describe
from bench.stats import median, percentile, table
from bench.tracking import Ticket, Tracker
from bot.emulator import Delivery, Emulator
from bot.sandbox.sandbox import BOT_TOKEN, SIGNING_SECRET
from store.db import Database
from store.models import Ticket as StoredTicket

MAX = 0  # a rate of 0 means "as fast as the server answers" with `concurrency` senders
# The round at a share of bare Bolt's flat-out rate (measured in the same repeat) is keyed so.
SHARE = -1
TARGET_RATE, TARGET_RATIO, TARGET_P99_MS, TARGET_TPS = 200, 5.0, 25.0, 300.0
TARGET_SHARE_DONE_P99_MS = 500.0


@dataclass(frozen=True)
class Round:
    """One load run against one server."""

    server: str
    rate: int
    sent: int
    seconds: float
    ack_ms: list[float]
    lag_ms: list[float]  # how late the generator sent each event (its own health)
    failed: int
    processed_tps: float = float("nan")
    e2e_ms: list[float] | None = None
    stored: int | None = None
    # CPU the bot spent per finished ticket (ms): its serving process, its event workers.
    edge_cpu_ms: float = float("nan")
    worker_cpu_ms: float = float("nan")
    # The whole machine (every process: the desk, this emulator, the load generator, the
    # database) while the round ran: CPU per finished ticket (ms) and cores kept busy.
    machine_cpu_ms: float = float("nan")
    machine_cores: float = float("nan")


class Load:
    """Builds customer posts (each a new ticket) and sends them at a rate."""

    def __init__(self, emu: Emulator, sizes: world.Sizes) -> None:
        self.emu = emu
        self.sizes = sizes
        self._seq = itertools.count()

    def posts(self, count: int) -> list[tuple[int, Ticket, Delivery]]:
        """`count` signed-later posts from new customers, round-robin over the accounts."""
        out = []
        for _ in range(count):
            i = next(self._seq)
            account = i % self.sizes.accounts
            user = world.add_customer(self.emu.ws, i, account)
            channel = world.shared_channel(account)
            delivery = self.emu.prepare_message(
                user, channel, f"Exports are slow since this morning (req{i:07d})"
            )
            out.append((i, Ticket(channel, str(delivery.ts)), delivery))
        return out

    async def send(
        self,
        urls: list[str],
        batch: list[tuple[int, Ticket, Delivery]],
        rate: int,
        concurrency: int,
    ) -> tuple[list[float], list[float], int, float]:
        """Send the batch from a generator process of its own (bench/sender.py).

        Ack latencies (ms), generator lag (ms), failures, seconds taken.
        """
        plan = sender.Plan(
            urls=urls,
            secret=self.emu.deliverer.signing_secret,
            rate=0 if rate == MAX else rate,
            concurrency=concurrency,
            bodies=[d.body.decode() for _i, _t, d in batch],
        )
        with tempfile.TemporaryDirectory(prefix="bench-send-") as tmp:
            plan_path, result_path = Path(tmp) / "plan.json", Path(tmp) / "result.json"
            plan_path.write_text(json.dumps(asdict(plan)))
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.sender", str(plan_path), str(result_path)
            )
            if await proc.wait() != 0:
                raise RuntimeError("the load generator failed (its output is above)")
            outcome = sender.Outcome(**json.loads(result_path.read_text()))
        for (_i, ticket, _d), sent_at in zip(batch, outcome.sent_at, strict=True):
            ticket.sent_at = sent_at
        failed = sum(1 for status in outcome.status if status != 200)
        return outcome.ack_ms, outcome.lag_ms, failed, outcome.seconds


class CpuMeter:
    """CPU time of served processes and of their children (the event workers), from /proc."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)

    def read(self) -> tuple[float, float, float]:
        """(serving processes, their children, the whole machine) CPU seconds so far."""
        edge = sum(cpu_seconds(pid) for pid in self.pids)
        workers = sum(cpu_seconds(child) for pid in self.pids for child in children(pid))
        return edge, workers, busy_seconds()


async def _round(
    load: Load,
    server: str,
    urls: list[str],
    rate: int,
    count: int,
    concurrency: int,
    tracker: Tracker | None,
    db: Database | None,
    settle: float,
    meter: CpuMeter | None = None,
    key: int | None = None,
) -> Round:
    """Send `count` posts at `rate` (MAX: flat out); the Round is filed under `key` (the rate)."""
    batch = load.posts(count)
    tickets = [t for _i, t, _d in batch]
    if tracker is not None:
        for i, ticket, _d in batch:
            tracker.expect(i, ticket)
    key = rate if key is None else key
    cpu_before = meter.read() if meter else (0.0, 0.0, 0.0)
    started = time.monotonic()
    acks, lags, failed, seconds = await load.send(urls, batch, rate, concurrency)
    if tracker is None or db is None:
        return Round(server, key, count, seconds, acks, lags, failed)
    with contextlib.suppress(TimeoutError):  # what never finished is reported, not hidden
        await load.emu.wait_for(lambda: tracker.done(tickets), within=settle, interval=0.05)
    cpu_after = meter.read() if meter else (float("nan"),) * 3
    elapsed = time.monotonic() - started
    finished = [t.done_at for t in tickets if t.done_at is not None]
    first = min(t.sent_at for t in tickets)
    tps = len(finished) / (max(finished) - first) if finished else 0.0
    e2e = [(t.done_at - t.sent_at) * 1000 for t in tickets if t.done_at is not None]
    async with db.unit_of_work() as uow:
        stored = await uow.session.scalar(select(func.count(StoredTicket.id)))
    per_ticket = [
        (after - before) * 1000 / max(1, len(finished))
        for before, after in zip(cpu_before, cpu_after, strict=True)
    ]
    machine_cores = (cpu_after[2] - cpu_before[2]) / elapsed
    return Round(
        server,
        key,
        count,
        seconds,
        acks,
        lags,
        failed,
        tps,
        e2e,
        int(stored or 0),
        *per_ticket,
        machine_cores,
    )


async def run(
    *,
    seconds: float = 5.0,
    rates: Sequence[int] = (100, 200, 400),
    max_events: int = 2000,
    concurrency: int = 32,
    repeat: int = 3,
    accounts: int = 1000,
    warmup: int = 100,
    settle: float = 60.0,
    workers: int = 1,
    database_url: str | None = None,
    replicas: int = 1,
    share: float = 0.25,
) -> dict:
    """Run every round `repeat` times; the rounds and the medians per (server, rate).

    `database_url`: a PostgreSQL server to run on (in a schema of its own, dropped after);
    `replicas`: that many `connectdesk serve` processes on the one database, sent to in turn;
    `share`: after each flat-out pair, ours alone at that share of bare Bolt's flat-out ack
    rate for `seconds` (0: not run).
    """
    machine = describe()
    sizes = world.Sizes(accounts=accounts)
    emu = Emulator(world.workspace(sizes), signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN)
    await emu.start()
    rounds: list[Round] = []
    try:
        async with (
            procs.workdir() as tmp,
            databases.database(database_url, tmp, "bench_ingest") as url,
        ):
            db = Database(url)
            try:
                async with contextlib.AsyncExitStack() as stack:
                    ours = []
                    for n in range(replicas):
                        folder = tmp / f"replica{n}"
                        folder.mkdir()
                        ours.append(
                            await stack.enter_async_context(
                                procs.connectdesk(
                                    world.desk_yaml(sizes),
                                    emu.api_url,
                                    url,
                                    folder,
                                    workers=workers,
                                )
                            )
                        )
                    bare = await stack.enter_async_context(procs.bare_bolt(emu.api_url, tmp))
                    ours_urls = [o.events_url for o in ours]
                    bare_urls = [bare.events_url]
                    load, tracker = Load(emu, sizes), Tracker(emu)
                    meter = CpuMeter([o.pid for o in ours])
                    await _round(load, "bare", bare_urls, MAX, warmup, 8, None, None, 0)
                    await _round(load, "ours", ours_urls, MAX, warmup, 8, tracker, db, settle)
                    plan = [*rates, MAX]
                    for _ in range(repeat):
                        for rate in plan:
                            count = max_events if rate == MAX else max(1, int(rate * seconds))
                            bare_round = await _round(
                                load,
                                "bare",
                                bare_urls,
                                rate,
                                count,
                                concurrency,
                                None,
                                None,
                                0,
                            )
                            rounds.append(bare_round)
                            rounds.append(
                                await _round(
                                    load,
                                    "ours",
                                    ours_urls,
                                    rate,
                                    count,
                                    concurrency,
                                    tracker,
                                    db,
                                    settle,
                                    meter,
                                )
                            )
                        if share > 0:  # bare_round is this repeat's flat-out one
                            paced = max(1, int(share * bare_round.sent / bare_round.seconds))
                            rounds.append(
                                await _round(
                                    load,
                                    "ours",
                                    ours_urls,
                                    paced,
                                    max(1, int(paced * seconds)),
                                    concurrency,
                                    tracker,
                                    db,
                                    settle,
                                    meter,
                                    key=SHARE,
                                )
                            )
            finally:
                await db.close()
    finally:
        await emu.stop()
    backend = "PostgreSQL" if database_url else "SQLite"
    return {
        **summarise(rounds),
        "machine": machine,
        "workers": workers,
        "replicas": replicas,
        "database": backend,
        "share": share,
        "cores": cores(),
    }


def summarise(rounds: list[Round]) -> dict:
    """Medians over repeats of each (server, rate): ack p50/p99, lag, tickets/s, ratio."""
    rows = []
    keyed: dict[tuple[str, int], list[Round]] = {}
    for r in rounds:
        keyed.setdefault((r.server, r.rate), []).append(r)
    figures: dict[int, dict] = {}
    for (server, rate), runs in keyed.items():
        entry = figures.setdefault(rate, {})
        entry[server] = {
            "ack_p50_ms": median([percentile(r.ack_ms, 50) for r in runs]),
            "ack_p99_ms": median([percentile(r.ack_ms, 99) for r in runs]),
            "sent_per_s": median([r.sent / r.seconds for r in runs]),
            "lag_p99_ms": median([percentile(r.lag_ms, 99) for r in runs]),
            "failed": sum(r.failed for r in runs),
            "tickets_per_s": median([r.processed_tps for r in runs]),
            "e2e_p99_ms": median([percentile(r.e2e_ms or [], 99) for r in runs]),
            "lost": sum(r.sent - len(r.e2e_ms or []) for r in runs) if server == "ours" else 0,
            "stored": max((r.stored or 0) for r in runs),
            "edge_cpu_ms": median([r.edge_cpu_ms for r in runs]),
            "worker_cpu_ms": median([r.worker_cpu_ms for r in runs]),
            "machine_cpu_ms": median([r.machine_cpu_ms for r in runs]),
            "machine_cores": median([r.machine_cores for r in runs]),
            "runs": len(runs),
        }
    for entry in figures.values():
        if "ours" in entry and "bare" in entry:
            entry["p99_ratio"] = entry["ours"]["ack_p99_ms"] / entry["bare"]["ack_p99_ms"]
    for rate in sorted(figures, key=lambda r: (r == SHARE, r == MAX, r)):
        entry = figures[rate]
        for server in ("bare", "ours"):
            if server not in entry:
                continue
            f = entry[server]
            rows.append(
                [
                    {MAX: "max", SHARE: "share"}.get(rate, rate),
                    server,
                    f["sent_per_s"],
                    f["ack_p50_ms"],
                    f["ack_p99_ms"],
                    entry.get("p99_ratio", float("nan")) if server == "ours" else "",
                    f["tickets_per_s"] if server == "ours" else "",
                    f["e2e_p99_ms"] if server == "ours" else "",
                    f["lost"] if server == "ours" else "",
                    f["lag_p99_ms"],
                    f["edge_cpu_ms"] if server == "ours" else "",
                    f["worker_cpu_ms"] if server == "ours" else "",
                ]
            )
    return {"figures": figures, "rows": rows, "rounds": len(rounds)}


HEADERS = [
    "rate/s",
    "server",
    "sent/s",
    "ack p50 ms",
    "ack p99 ms",
    "p99 ours/bare",
    "tickets/s",
    "done p99 ms",
    "unfinished",
    "gen lag p99 ms",
    "edge cpu ms/t",
    "worker cpu ms/t",
]


def render(report: dict) -> str:
    """The printed report: machine, table, targets."""
    workers = report.get("workers", 0)
    replicas = report.get("replicas", 1)
    lines = [
        f"machine: {report['machine']}",
        f"ours: {replicas} x connectdesk serve --workers {workers}"
        + (" (events worked in the serving process)" if not workers else "")
        + f" on {report.get('database', 'SQLite')}",
        table(HEADERS, report["rows"]),
    ]
    at = report["figures"].get(TARGET_RATE)
    flat = report["figures"].get(MAX, {}).get("ours")
    if at and "ours" in at:
        p99, ratio = at["ours"]["ack_p99_ms"], at.get("p99_ratio", float("nan"))
        lines.append(
            f"target at {TARGET_RATE}/s: ack p99 {p99:.1f} ms (<= {TARGET_P99_MS:g}: "
            f"{'met' if p99 <= TARGET_P99_MS else 'MISSED'}), {ratio:.2f}x bare Bolt "
            f"(<= {TARGET_RATIO:g}x: {'met' if ratio <= TARGET_RATIO else 'MISSED'})"
        )
    bare_flat = report["figures"].get(MAX, {}).get("bare")
    if flat and bare_flat:
        tps, acks = flat["tickets_per_s"], bare_flat["sent_per_s"]
        lines.append(
            f"flat out: {tps:.0f} tickets/s = {tps / acks:.2f}x bare Bolt's acks ({acks:.0f}/s);"
            f" CPU per ticket: edge {flat['edge_cpu_ms']:.2f} ms, worker "
            f"{flat['worker_cpu_ms']:.2f} ms"
        )
    if flat:
        tps, busy = flat["tickets_per_s"], flat["machine_cores"]
        lines.append(
            f"machine during flat out: {busy:.2f} of {report.get('cores', 0)} cores busy; CPU per"
            f" ticket, every process: {flat['machine_cpu_ms']:.2f} ms (the desk's "
            f"{flat['edge_cpu_ms'] + flat['worker_cpu_ms']:.2f} ms; the rest is the emulator, "
            "the load generator and the database)"
        )
        lines.append(
            f"target flat out: {tps:.0f} tickets/s processed (>= {TARGET_TPS:g}: "
            f"{'met' if tps >= TARGET_TPS else 'MISSED'})"
        )
    shared = report["figures"].get(SHARE, {}).get("ours")
    if shared:
        done = shared["e2e_p99_ms"]
        lines.append(
            f"at {report.get('share', 0):g}x bare Bolt's flat-out acks "
            f"({shared['sent_per_s']:.0f} events/s sent): event -> done p99 {done:.0f} ms "
            f"(<= {TARGET_SHARE_DONE_P99_MS:g}: "
            f"{'met' if done <= TARGET_SHARE_DONE_P99_MS else 'MISSED'}), "
            f"{shared['lost']} unfinished, {shared['tickets_per_s']:.0f} tickets/s"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict:
    """Command line entry: run, print, return the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument(
        "--seconds", type=arguments.seconds, default=5.0, help="length of each fixed-rate run"
    )
    parser.add_argument(
        "--rates", type=arguments.rates, default="100,200,400", help="fixed rates, events/s"
    )
    parser.add_argument(
        "--max-events", type=arguments.positive_int, default=2000, help="events in the flat-out run"
    )
    parser.add_argument(
        "--concurrency", type=arguments.positive_int, default=32, help="senders in the flat-out run"
    )
    parser.add_argument(
        "--repeat", type=arguments.positive_int, default=3, help="runs of each round (medians)"
    )
    parser.add_argument(
        "--accounts", type=arguments.positive_int, default=1000, help="accounts (channel pairs)"
    )
    parser.add_argument(
        "--warmup", type=arguments.count, default=100, help="events sent first, not counted"
    )
    parser.add_argument(
        "--workers",
        type=arguments.count,
        default=1,
        help="`serve --workers N` (0: events in one process)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL server to run on (a schema of its own, dropped after); default SQLite",
    )
    parser.add_argument(
        "--replicas",
        type=arguments.positive_int,
        default=1,
        help="`connectdesk serve` processes on the one database, sent to round-robin",
    )
    parser.add_argument(
        "--share",
        type=arguments.fraction,
        default=0.25,
        help="also run ours at this share of bare Bolt's flat-out rate (0: not run)",
    )
    args = parser.parse_args(argv)
    report = asyncio.run(
        run(
            seconds=args.seconds,
            rates=args.rates,
            max_events=args.max_events,
            concurrency=args.concurrency,
            repeat=args.repeat,
            accounts=args.accounts,
            warmup=args.warmup,
            workers=args.workers,
            database_url=args.database_url,
            replicas=args.replicas,
            share=args.share,
        )
    )
    print(render(report))
    return report


if __name__ == "__main__":
    main()
