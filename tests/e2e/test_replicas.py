"""Two real `connectdesk serve` processes on one PostgreSQL, behind the emulator's balancer.

The emulator spreads events and commands over both URLs (a retry goes to the other one) and
delivers some events to both at once. Shown: one ticket per customer message, every ladder
step fired once, and an incident broadcast driven by one replica at a time, taken over by the
other when its driver is killed mid-broadcast.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import IO

import pytest
from sqlalchemy import func, select

from bench.procs import STARTUP_SECONDS, wait_healthy
from bot.emulator import Channel, Emulator, Team, User, Workspace
from bot.sandbox.sandbox import TRANSPORTS
from bot.slack.transport import REPLICA_HEADER
from store.db import Database
from store.models import Incident, LadderFiring, Ticket
from tests.support import world as w
from tests.support.sandboxes import assert_calls_match_spec, assert_wall_held

ROOT = Path(__file__).resolve().parents[2]
SECRET, TOKEN, APP_TOKEN = "replica-secret", "xoxb-replica", "xapp-1-A0CONNECTDESK-replica"
FLEET, PER_FLEET = 4, 6  # extra strategic accounts and their shared channels
LEASE_SECONDS = 3
POSTS_PER_SECOND = 3


def fleet_channel(a: int, i: int) -> str:
    return f"C2{a:02d}{i:03d}"


def fleet_user(a: int) -> str:
    return f"U2{a:04d}"


def replica_yml() -> str:
    """The test world with 4 s first-response targets, a fleet of accounts, slow pacing."""
    fleet = "".join(
        f"  - name: Fleet{a:02d}\n    tier: strategic\n"
        f"    shared_channels: [{', '.join(fleet_channel(a, i) for i in range(PER_FLEET))}]\n"
        f"    internal_channel: {w.RANDOM_INTERNAL}\n"
        for a in range(FLEET)
    )
    head, tail = w.FAST_YML.split("triage:\n")
    return f"{head}{fleet}triage:\n{tail}pacing:\n  posts: {{calls: {POSTS_PER_SECOND}, per: 1s}}\n"


def replica_workspace() -> Workspace:
    ws = w.workspace()
    for a in range(FLEET):
        ws.add_team(Team(f"T2{a:04d}", f"Fleet customer {a}"))
        ws.add_user(User(id=fleet_user(a), name=f"fleet{a}", team_id=f"T2{a:04d}", real_name="F"))
        for i in range(PER_FLEET):
            ws.add_channel(
                Channel(
                    id=fleet_channel(a, i),
                    name=f"fleet-{a}-{i}",
                    is_ext_shared=True,
                    member_ids={w.BOT, fleet_user(a)},
                )
            )
    return ws


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log(path: Path) -> IO[bytes]:
    return path.open("wb")


class Replica:
    """One `connectdesk serve --upgrade-db` process."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name, self.port = name, _free_port()
        self.env = {**env, "CONNECTDESK_REPLICA_ID": name, "PORT": str(self.port)}
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    async def start(self) -> None:
        out = _log(self.log)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", "--upgrade-db", env=self.env, cwd=ROOT,
            stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out.close()

    async def healthy(self) -> None:
        assert self.proc is not None
        await wait_healthy(
            f"http://127.0.0.1:{self.port}/healthz", self.proc, self.log, STARTUP_SECONDS
        )

    async def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        return await asyncio.wait_for(self.proc.wait(), 20)


def _spread(by_url: Counter, pair: list[Replica]) -> str:
    """How many copies each replica's URL, or each Socket Mode connection, took."""
    sockets = sorted((u, n) for u, n in by_url.items() if u.startswith("socket"))
    if sockets:
        return ", ".join(f"{u}: {n}" for u, n in sockets)
    return ", ".join(f"{name}: {by_url[r.url]}" for r, name in zip(pair, "ab", strict=True))


def replica_of(call) -> str:
    return call.headers.get(REPLICA_HEADER, "?")


def sla_posts(emu: Emulator, word: str, number: int) -> list:
    return [
        c
        for c in emu.calls_to("chat.postMessage")
        if c.status == 200
        and word in c.params.get("text", "")
        and f"#{number} ·" in c.params["text"]
    ]


def notices(emu: Emulator, channels: list[str]) -> dict[str, list]:
    by_channel: dict[str, list] = {c: [] for c in channels}
    for call in emu.calls_to("chat.postMessage"):
        if call.status == 200 and call.params.get("channel") in by_channel:
            if "aware of an issue" in call.params.get("text", ""):
                by_channel[call.params["channel"]].append(call)
    return by_channel


@pytest.fixture(params=TRANSPORTS)
async def replicas(postgres_database_url: str, tmp_path: Path, request: pytest.FixtureRequest):
    """Two replicas behind the emulator: HTTP behind a balancer, or two Socket Mode
    connections over which the emulator spreads envelopes (as Slack does over up to 10)."""
    transport = request.param
    config = tmp_path / "desk.yml"
    config.write_text(replica_yml())
    async with Emulator(
        replica_workspace(),
        signing_secret=SECRET,
        bot_token=TOKEN,
        app_token=APP_TOKEN,
        transport=transport,
    ) as emu:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": emu.api_url,
            "CONNECTDESK_HOST": "127.0.0.1",
            "CONNECTDESK_CONFIG": str(config),
            "CONNECTDESK_DATABASE_URL": postgres_database_url,
            "CONNECTDESK_SWEEP_INTERVAL": "1",
            "CONNECTDESK_BROADCAST_LEASE": str(LEASE_SECONDS),
        }
        if transport == "socket":
            env["SLACK_APP_TOKEN"] = APP_TOKEN
        pair = [Replica(n, env, tmp_path / f"replica-{n}.log") for n in ("a", "b")]
        try:
            # Started together: both run the migrations' upgrade and load desk.yml at once.
            await asyncio.gather(*(r.start() for r in pair))
            await asyncio.gather(*(r.healthy() for r in pair))
            if transport == "socket":
                await emu.wait_for(lambda: len(emu.socket.connections) == 2, within=10)
            else:
                emu.app_urls = [r.url for r in pair]
            db = Database(postgres_database_url)
            try:
                yield SimpleNamespace(emu=emu, replicas=pair, db=db, transport=transport)
            finally:
                await db.close()
        finally:
            for r in pair:
                await r.stop()


async def test_two_replicas_one_postgres(replicas) -> None:
    emu, db, pair = replicas.emu, replicas.db, replicas.replicas
    box = SimpleNamespace(emu=emu)  # what the wall and spec checks read

    # ---- events: each delivered to both replicas at once, then retried once more ----------
    asks = [
        (w.CAROL, w.GLOBEX_SHARED, "Exports are slow today"),
        (w.DAVE, w.GLOBEX_SHARED, "Can we get a copy of last month's invoice?"),
        (fleet_user(0), fleet_channel(0, 0), "The dashboard takes a minute to load"),
        (fleet_user(1), fleet_channel(1, 0), "How do we add a new admin?"),
    ]
    sent = []
    for user, channel, text in asks:
        delivery = await emu.post_message(user, channel, text, everywhere=True)
        sent.append((channel, delivery))
        retry = await emu.redeliver(delivery, retry_num=1, reason="http_timeout")
        assert delivery.attempts == [200, 200] and retry.status == 200
    deliveries = sum(len(d.urls) for _, d in sent) + len(sent)
    # Where each copy went: a replica's URL, or a Socket Mode connection.
    by_url = Counter(u for _, d in sent for u in d.urls)

    def receipts(channel: str, ts: str) -> list:
        return [m for m in emu.thread(channel, ts) if m.user == w.BOT]

    await emu.wait_for(lambda: all(receipts(c, d.ts) for c, d in sent), within=15)
    # ---- the SLA ladder: warning at 75% (3 s), breach at 100% (4 s) ----------------------
    numbers = range(1, len(asks) + 1)
    await emu.wait_for(
        lambda: all(len(sla_posts(emu, "SLA breached", n)) >= 2 for n in numbers), within=20
    )
    await asyncio.sleep(2.5)  # two more sweeps on each replica: anything doubled shows now
    async with db.unit_of_work() as uow:
        tickets = await uow.session.scalar(select(func.count(Ticket.id)))
        firings = await uow.session.scalar(select(func.count(LadderFiring.id)))
    warnings = {n: sla_posts(emu, "SLA warning", n) for n in numbers}
    breaches = {n: sla_posts(emu, "SLA breached", n) for n in numbers}
    alert_senders = Counter(replica_of(c) for n in numbers for c in warnings[n] + breaches[n])
    # The same alert (ticket, kind, recipient) seen more than once.
    alert_copies = Counter(
        (n, kind, c.params["channel"])
        for kind, posts in (("warning", warnings), ("breach", breaches))
        for n in numbers
        for c in posts[n]
    )
    duplicates = sum(count - 1 for count in alert_copies.values())

    # ---- an incident broadcast; its driver is killed mid-way -----------------------------
    emu.limits.set(
        "chat.postMessage",
        per_channel_per_second=1,
        workspace_calls=2 * POSTS_PER_SECOND,
        workspace_window_seconds=1.0,
    )
    shared = [w.GLOBEX_SHARED, w.INITECH_SHARED] + [
        fleet_channel(a, i) for a in range(FLEET) for i in range(PER_FLEET)
    ]
    declared_at = time.time()
    await emu.slash_command(
        w.ALICE, w.RANDOM_INTERNAL, "incident declare sev2 Exports are delayed accounts: all"
    )
    await emu.wait_for(lambda: sum(map(bool, notices(emu, shared).values())) >= 6, within=20)
    async with db.unit_of_work() as uow:
        driver = (await uow.session.scalar(select(Incident.driver).where(Incident.id == 1))) or ""
    victim = next(r for r in pair if r.name == driver)
    survivor = next(r for r in pair if r is not victim)
    killed_rc = await victim.stop(signal.SIGKILL)
    killed_at = time.time()
    posted_before = sum(map(bool, notices(emu, shared).values()))
    if replicas.transport == "http":
        emu.app_urls = [survivor.url]  # the balancer's health check drops the dead one
    # (In Socket Mode the dead replica's connection closed with it.)
    await emu.wait_for(lambda: all(notices(emu, shared).values()), within=60)
    counts = {c: len(calls) for c, calls in notices(emu, shared).items()}
    calls = sorted((c for cs in notices(emu, shared).values() for c in cs), key=lambda c: c.at)
    before = {replica_of(c) for c in calls if c.at <= killed_at}
    after = [c for c in calls if c.at > killed_at]
    took_over = (after[0].at - killed_at) if after else 0.0
    # Rows the dead driver left `sending`: the survivor looked in the channel before posting.
    looked = [
        c
        for c in emu.calls
        if c.method in ("conversations.history", "conversations.replies") and c.at > killed_at
    ]
    await emu.wait_for(
        lambda: [
            s
            for s in emu.seen_by(w.ALICE)
            if f"notice: posted {len(shared)}/{len(shared)}, 0 failed" in s.raw_text
        ],
        within=15,
    )

    print(
        f"\nreplicas ({replicas.transport}): 2 `connectdesk serve` processes (a, b) on one"
        f" PostgreSQL schema\n"
        f"events sent: {len(asks)} event ids in {deliveries} deliveries "
        f"({_spread(by_url, pair)} at once, + {len(sent)} retries spread), all acknowledged\n"
        f"tickets: {tickets} (receipts per message: {[len(receipts(c, d.ts)) for c, d in sent]})\n"
        f"ladder steps fired: {firings} (warnings {sum(map(len, warnings.values()))}, breach "
        f"alerts {sum(map(len, breaches.values()))}, sent by {dict(alert_senders)}); "
        f"duplicates = {duplicates}\n"
        f"broadcast: driven by {victim.name}, killed (rc {killed_rc}) after "
        f"{posted_before}/{len(shared)} channels, {survivor.name} took over "
        f"{took_over:.1f}s later (lease {LEASE_SECONDS}s) and looked in {len(looked)} "
        f"channel(s) for posts in flight at the kill; finished "
        f"{max(c.at for c in calls) - declared_at:.1f}s after declare\n"
        f"channels posted once: {sum(1 for n in counts.values() if n == 1)}/{len(shared)}, "
        f"twice or more: {sum(1 for n in counts.values() if n > 1)}; posts before the kill by "
        f"{sorted(before)}, after by {sorted({replica_of(c) for c in after})}"
    )
    # What the customers saw: one receipt and one 👀 per message, whichever replica took it.
    assert tickets == len(asks)
    for channel, delivery in sent:
        assert len(receipts(channel, delivery.ts)) == 1
        assert emu.reactions(channel, delivery.ts) == {"eyes": [w.BOT]}
    # What the team saw: each ticket's warning once (its account channel), breach to Mia and
    # the escalation channel once each.
    assert firings == 2 * len(asks) and duplicates == 0
    for n in numbers:
        assert len(warnings[n]) == 1, warnings[n]
        # A DM goes to the IM channel the bot opened with Mia.
        where = [emu.ws.channels[c.params["channel"]] for c in breaches[n]]
        assert sorted(ch.im_user or ch.id for ch in where) == sorted([w.MIA, w.ESCALATION])
    # The broadcast: one driver at a time, every channel exactly once.
    assert killed_rc == -signal.SIGKILL
    assert before == {victim.name} and {replica_of(c) for c in after} == {survivor.name}
    assert 0 < posted_before < len(shared)
    assert counts == dict.fromkeys(shared, 1)
    assert_wall_held(box)  # type: ignore[arg-type]
    assert_calls_match_spec(box)  # type: ignore[arg-type]
    assert await survivor.stop() == 0
