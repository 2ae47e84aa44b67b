"""The operator's view end to end: /metrics scraped over HTTP, /readyz and /healthz."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import text

from bot.app import create_app
from bot.emulator.faults import Faults
from bot.sandbox.sandbox import Sandbox
from store import migrate
from tests.support import world as w
from tests.support.actions import bot_posts, open_ticket, sweep
from tests.support.sandboxes import checked_sandbox
from tests.support.scrape import base_of, get_json, scrape

OPENED = "connectdesk_tickets_opened_total"
BREACHES = "connectdesk_sla_breaches_total"
STEPS = "connectdesk_ladder_steps_fired_total"
CALLS = "connectdesk_slack_api_calls_total"


def receipts_seen_by(box: Sandbox, user: str) -> list:
    return [s for s in box.emu.seen_by(user) if s.author_id == w.BOT and "ticket *#" in s.text]


async def test_a_ticket_is_counted_once_and_scraped_over_http(sandbox: Sandbox):
    emu = sandbox.emu
    delivery = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Our exports fail since 9am")
    await emu.wait_for(lambda: receipts_seen_by(sandbox, w.CAROL))
    again = await emu.redeliver(delivery, retry_num=1, reason="http_timeout")
    follow_up = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "It is the CSV export")
    await open_ticket(
        sandbox,
        "Our sync is not working since this morning, can you check?",
        user=w.IVAN,
        channel=w.INITECH_SHARED,
    )
    assert (delivery.status, again.status, follow_up.status) == (200, 200, 200)
    await sandbox.settled()

    # What people saw: Carol one receipt for her request (the retry and follow-up add none).
    [receipt] = receipts_seen_by(sandbox, w.CAROL)
    assert "ticket *#1*" in receipt.text and receipt.thread_ts == delivery.ts
    assert not receipts_seen_by(sandbox, w.IVAN)  # Initech has receipts off

    metrics = await scrape(base_of(emu.app_url))
    assert f'{OPENED}{{tier="strategic"}} 1.0' in metrics.text
    assert metrics.value(OPENED, tier="standard") == 1.0
    # Four deliveries stored and acknowledged (the retry too), each well within Slack's 3 s.
    acks = metrics.value("connectdesk_ack_seconds_count")
    assert acks is not None and acks >= 4
    assert metrics.value("connectdesk_ack_seconds_bucket", le="3.0") == acks
    # Every post is counted, as the emulator (Slack) answered it: 2 receipts-and-cards + 1 card.
    posted = [c for c in emu.calls_to("chat.postMessage") if c.response.get("ok")]
    assert len(posted) == 3
    assert metrics.value(CALLS, method="chat.postMessage", outcome="ok") == 3
    # 👀 on Carol's request and on her follow-up that joined it.
    assert metrics.value(CALLS, method="reactions.add", outcome="ok") == 2
    assert metrics.total(CALLS) == len(emu.calls)
    # One receipt, so one observation: from Carol's message (Slack's ts) to the receipt's ts.
    assert metrics.value("connectdesk_event_to_receipt_seconds_count") == 1
    waited = metrics.value("connectdesk_event_to_receipt_seconds_sum")
    assert waited == pytest.approx(float(receipt.ts) - float(delivery.ts)) and 0 < waited < 10
    for gauge in ("inbox_depth", "inbox_failed", "outbox_depth", "outbox_failed"):
        assert metrics.value(f"connectdesk_{gauge}") == 0, gauge
    assert metrics.value(STEPS) == 0 and metrics.labels(BREACHES) == []


async def test_inbox_depth_shows_events_acked_and_not_yet_worked(sandbox: Sandbox):
    emu = sandbox.emu
    emu.deliverer.after_send = None
    await sandbox.desk.inbox.close()  # nothing works the inbox now; the edge still acks
    first = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Exports are failing")
    second = await emu.post_message(w.IVAN, w.INITECH_SHARED, "Invoices are missing")
    assert (first.status, second.status) == (200, 200)
    metrics = await scrape(base_of(emu.app_url))
    assert metrics.value("connectdesk_inbox_depth") == 2
    assert metrics.labels(OPENED) == [] and metrics.value("connectdesk_ack_seconds_count") == 2
    assert not receipts_seen_by(sandbox, w.CAROL)


async def _ledger(box: Sandbox) -> tuple[int, dict[str, int]]:
    """Ladder firings in the ledger, and breached clock runs by clock, across tickets 1-2."""
    firings, breached = 0, {}
    async with box.desk.db.unit_of_work() as uow:
        for number in (1, 2):
            ticket = await uow.tickets.by_number(w.VENDOR, number)
            firings += len(await uow.sla.firings(ticket.id))
            for clock in await uow.sla.for_ticket(ticket.id):
                if clock.breached_at is not None:
                    breached[clock.kind] = breached.get(clock.kind, 0) + 1
    return firings, breached


async def test_breaches_count_once_per_clock_run(sandbox: Sandbox, clock):
    emu = sandbox.emu
    await open_ticket(sandbox, "Exports are slow")  # strategic P3: first response in 4h
    clock.advance(timedelta(hours=5))
    await sweep(sandbox)  # #1's first response breached: 75% and 100% steps fire
    await sweep(sandbox)  # nothing new
    second = await open_ticket(sandbox, "The API is down", user=w.DAVE)  # P1: 15 minutes
    clock.advance(timedelta(minutes=20))
    # Answered late before any sweep looked: stopping the clock marks the breach.
    await emu.post_message(w.ALICE, w.GLOBEX_SHARED, "Looking into it", thread_ts=second)
    await sweep(sandbox)
    await emu.post_message(w.ALICE, w.GLOBEX_SHARED, "Found it", thread_ts=second)

    # What people saw: one breach alert on #1 for Mia, one warning for Alice; none for #2.
    breach_alerts = bot_posts(sandbox, w.MIA, "SLA breached")
    assert len([a for a in breach_alerts if "#1 ·" in a.raw_text]) == 2  # DM + escalation
    assert len(bot_posts(sandbox, w.ALICE, "SLA warning")) == 1
    assert not [a for a in breach_alerts if "#2 ·" in a.raw_text]

    metrics = await scrape(base_of(emu.app_url))
    firings, breached = await _ledger(sandbox)
    assert breached == {"first_response": 2}
    assert metrics.value(BREACHES, tier="strategic", clock="first_response") == 2
    assert metrics.labels(BREACHES) == [{"tier": "strategic", "clock": "first_response"}]
    assert metrics.value(STEPS) == firings == 2


async def test_every_slack_call_is_counted_with_its_outcome(database_url: str):
    faults = Faults(rate_limited=0.25, server_error=0.2, seed=4)
    options = {"emulator_options": {"faults": faults}, "channel_interval": 0.05}
    async with checked_sandbox(w.desk_config(), None, database_url, **options) as box:
        carol = await box.emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Exports are slow")
        dave = await box.emu.post_message(w.DAVE, w.GLOBEX_SHARED, "Login is broken")
        await box.settled(within=60)
        metrics = await scrape(base_of(box.emu.app_url))
        calls = box.emu.calls
        # Under the faults each request still got exactly one receipt in its thread.
        threads = sorted(r.thread_ts for r in receipts_seen_by(box, w.CAROL))
        assert threads == sorted([carol.ts, dave.ts])
    assert faults.counts["ratelimited"] and faults.counts["server_error"], faults.counts
    # Each request as the emulator answered it, retries included.
    assert metrics.total(CALLS, outcome="ratelimited") == sum(c.status == 429 for c in calls)
    assert metrics.total(CALLS, outcome="http_5xx") == sum(c.status == 500 for c in calls)
    assert metrics.total(CALLS, outcome="ok") == sum(bool(c.response.get("ok")) for c in calls)
    assert metrics.total(CALLS) == len(calls)
    for method in {c.method for c in calls}:
        assert metrics.total(CALLS, method=method) == len([c for c in calls if c.method == method])


async def test_readyz_is_ready_and_healthz_alive(sandbox: Sandbox):
    base = base_of(sandbox.emu.app_url)
    ready = {"ok": True, "checks": {"database": "ok", "schema": "ok", "slack": "ok"}}
    assert await get_json(f"{base}/readyz") == (200, ready)
    assert await get_json(f"{base}/healthz") == (200, {"ok": True})


async def test_readyz_names_a_schema_behind(sandbox: Sandbox):
    await migrate.stamp(sandbox.database_url, "0002")  # as if a newer version's rows were gone
    status, body = await get_json(f"{base_of(sandbox.emu.app_url)}/readyz")
    assert status == 503 and body["ok"] is False and body["failed"] == ["schema"]
    schema = body["checks"]["schema"]
    assert "is at schema revision 0002" in schema and "connectdesk db upgrade" in schema
    assert body["checks"]["database"] == "ok" and body["checks"]["slack"] == "ok"
    await migrate.stamp(sandbox.database_url, "head")


async def test_readyz_stays_ready_on_a_schema_a_newer_version_migrated(sandbox: Sandbox):
    # A rolling upgrade migrates first; the old replicas must keep serving while they drain.
    async with sandbox.desk_db() as db, db.connection() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    status, body = await get_json(f"{base_of(sandbox.emu.app_url)}/readyz")
    assert (status, body["checks"]["schema"]) == (200, "ok")


async def _probe(box: Sandbox, path: str, **changes: object) -> tuple[int, object]:
    """GET `path` from a second, unstarted app on the sandbox's world with `changes` made."""
    desk = create_app(box.settings().model_copy(update=changes), box.config)
    runner = web.AppRunner(desk.web_app())
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return await get_json(f"http://127.0.0.1:{runner.addresses[0][1]}{path}")
    finally:
        await runner.cleanup()
        await desk.close()


async def test_readyz_names_slack_when_the_token_is_refused(sandbox: Sandbox):
    status, body = await _probe(sandbox, "/readyz", slack_bot_token=SecretStr("xoxb-revoked"))
    assert status == 503 and body["failed"] == ["slack"]
    assert body["checks"]["slack"] == "auth.test failed: invalid_auth"
    assert await _probe(sandbox, "/healthz", slack_bot_token=SecretStr("x")) == (200, {"ok": True})


async def test_readyz_names_an_unreachable_database(sandbox: Sandbox, tmp_path):
    nowhere = f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'desk.db'}"
    status, body = await _probe(sandbox, "/readyz", database_url=nowhere)
    assert status == 503 and body["failed"] == ["database", "schema"]
    assert body["checks"]["database"].startswith("unreachable: OperationalError")
    assert body["checks"]["slack"] == "ok"


async def test_metrics_without_a_database_leave_the_depths_out(sandbox: Sandbox, tmp_path):
    nowhere = f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'desk.db'}"
    desk = create_app(
        sandbox.settings().model_copy(update={"database_url": nowhere}), w.desk_config()
    )
    try:
        text = (await desk.metrics.render()).decode()
    finally:
        await desk.close()
    # Still an answer (Prometheus sees the process), with no depth it could not read.
    assert "connectdesk_inbox_depth" not in text and "connectdesk_outbox_depth" not in text
    assert "# TYPE connectdesk_tickets_opened_total counter" in text


async def test_concurrent_scrapes_share_one_depth_read(sandbox: Sandbox):
    reads = 0
    real = sandbox.desk._depths

    async def counted() -> dict[str, int]:
        nonlocal reads
        reads += 1
        return await real()

    sandbox.desk.metrics.watch_depths(counted)
    base = base_of(sandbox.emu.app_url)
    scrapes = await asyncio.gather(*(scrape(base) for _ in range(5)))
    assert reads == 1 and all(s.value("connectdesk_inbox_depth") == 0 for s in scrapes)
