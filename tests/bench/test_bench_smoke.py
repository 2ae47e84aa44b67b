"""Tiny runs of each benchmark, so they keep working; the real sizes are in bench/README.md."""

from __future__ import annotations

import math

import pytest

from bench import (
    broadcast,
    home,
    ingest,
    kb,
    reports,
    startup,
    storage,
    timers,
    triage,
    web_client,
)
from tests.support.databases import HOW_TO_ENABLE, postgres_url


async def test_ingest_smoke_processes_every_post_and_compares_with_bare_bolt():
    report = await ingest.run(
        seconds=0.5, rates=[40], max_events=30, concurrency=4, repeat=1, accounts=30, warmup=5
    )
    text = ingest.render(report)
    assert "cores" in report["machine"] and "Python 3." in report["machine"]
    for rate in (40, ingest.MAX):
        ours, bare = report["figures"][rate]["ours"], report["figures"][rate]["bare"]
        assert 0 < bare["ack_p50_ms"] <= bare["ack_p99_ms"] < 3000
        assert 0 < ours["ack_p50_ms"] <= ours["ack_p99_ms"] < 3000
        assert ours["failed"] == 0 and bare["failed"] == 0
        assert ours["lost"] == 0, "every post became a fully handled ticket"
        assert ours["tickets_per_s"] > 0
        assert math.isfinite(report["figures"][rate]["p99_ratio"])
    # CPU per ticket, read from /proc: the worker is a child of the serving process and did
    # the work (0 if the meter missed it, NaN if it could not read it).
    paced = report["figures"][40]["ours"]
    assert paced["worker_cpu_ms"] > 0 and math.isfinite(paced["worker_cpu_ms"])
    assert paced["edge_cpu_ms"] >= 0 and math.isfinite(paced["edge_cpu_ms"])
    # The whole machine worked while the desk did (the desk is part of it).
    flat = report["figures"][ingest.MAX]["ours"]
    assert 0 < flat["machine_cores"] <= report["cores"] + 0.5
    assert flat["machine_cpu_ms"] >= flat["edge_cpu_ms"] + flat["worker_cpu_ms"] - 1
    # Ours alone at a quarter of bare Bolt's flat-out rate, measured in the same repeat.
    shared = report["figures"][ingest.SHARE]["ours"]
    paced = max(1, int(0.25 * report["figures"][ingest.MAX]["bare"]["sent_per_s"]))
    assert shared["lost"] == 0 and shared["e2e_p99_ms"] > 0
    assert "bare" not in report["figures"][ingest.SHARE]
    # warm-up 5 + 20 at 40/s + 30 flat out + the shared round: every one stored once.
    assert shared["stored"] == 5 + 20 + 30 + max(1, int(paced * 0.5))
    assert "p99 ours/bare" in text and "target flat out" in text
    assert "at 0.25x bare Bolt's flat-out acks" in text and "event -> done p99" in text
    assert "machine during flat out: " in text


async def test_ingest_smoke_on_postgresql_with_two_replicas_loses_and_doubles_nothing():
    url = postgres_url()
    if url is None:
        pytest.skip(HOW_TO_ENABLE)
    report = await ingest.run(
        seconds=0.5,
        rates=[40],
        max_events=30,
        concurrency=4,
        repeat=1,
        accounts=30,
        warmup=5,
        database_url=url,
        replicas=2,
    )
    flat = report["figures"][ingest.MAX]["ours"]
    assert flat["lost"] == 0 and report["figures"][40]["ours"]["lost"] == 0
    # Sent round-robin to two processes on one database: each post one ticket, none twice.
    assert flat["stored"] == 5 + 20 + 30
    assert flat["worker_cpu_ms"] > 0
    text = ingest.render(report)
    assert "2 x connectdesk serve" in text and "on PostgreSQL" in text
    assert "flat out: " in text and "x bare Bolt's acks" in text


async def test_timers_smoke_fires_every_due_warning_once():
    # 100 warnings a second for 9 s: the watched 1.5 s stay full even when seeding and start-up
    # run 7 s past the first due time on a busy machine (the window opens when the bot is up).
    report = await timers.run(tickets=900, spread=9, watch=1.5, repeat=1, lead=6, owners=300)
    text = timers.render(report)
    assert report["expected"] >= 100
    assert report["fired"] == report["expected"] == report["delivered"]
    assert report["missed"] == 0
    assert report["caught_up_fired"] == report["caught_up"]  # due before start: fired too
    # A step is never claimed before it is due, and on this load not absurdly late.
    assert 0 <= report["claim_p50_s"] <= report["claim_p99_s"] < 30
    assert 0 <= report["dm_p50_s"] <= report["dm_p99_s"] < 30
    assert 10 < report["rss_max_mb"] < 1000
    assert report["due_query_p50_ms"] > 0
    assert "bot RSS" in text


async def test_broadcast_smoke_reaches_each_channel_once_near_the_bound():
    report = await broadcast.run(channels=12, per_second=5, repeat=1, within=60)
    text = broadcast.render(report)
    assert report["missing"] == 0 and report["doubled"] == 0
    assert report["once"] == 12
    assert report["bound_s"] >= 2  # 13 posts at 5/s
    assert 0.9 <= report["ratio"] < 2.0
    assert "ratio" in text


async def test_storage_smoke_prunes_so_the_finished_rows_level_off():
    args = storage.parser().parse_args(
        ["--events", "240", "--tickets-per-day", "10", "--window-days", "1", "--days", "4"]
    )
    days = await storage.run(args)
    assert [d.events for d in days] == [60, 120, 180, 240]
    assert [d.tickets for d in days] == [10, 20, 30, 40]
    # Past the window only the last day's event ids and finished effects are left.
    assert [d.processed_events for d in days] == [60, 60, 60, 60]
    assert days[-1].outbox == days[1].outbox < days[1].outbox + days[0].outbox
    assert all(d.inbox == 0 for d in days)  # handled rows are deleted as they go
    assert days[0].pruned == 0 and all(d.pruned > 0 for d in days[1:])
    assert days[-1].db_bytes / days[-1].tickets < days[0].db_bytes / days[0].tickets
    assert "B/ticket" in storage.HEADER


async def test_reports_smoke_times_a_month_whose_figures_match_what_was_generated():
    args = reports.parser().parse_args(
        ["--tickets", "3000", "--months", "3", "--repeat", "2", "--export-repeat", "1"]
    )
    result = await reports.run(args)
    text = reports.render(result)
    assert "cores" in result["machine"] and "Python 3." in result["machine"]
    assert result["rows"]["tickets"] == 3000
    assert result["rows"]["sla_clocks"] == result["expected"].clock_runs > 6000
    assert result["rows"]["csat_surveys"] == result["expected"].surveys_written > 0
    assert result["rows"]["csat_answers"] == result["expected"].answers_written > 0
    # The report of the last month shows what the generator counted, figure for figure.
    checked = result["check"]
    assert checked.matches, (checked.expected, checked.reported)
    assert checked.reported["met"] > 0 and checked.reported["missed"] > 0
    assert checked.reported["opened"] > 0 and checked.reported["csat"][0] > 0
    assert len(result["runs_s"]) == len(result["cpu_s"]) == 2
    assert 0 < result["median_s"] < 60 and result["cold_s"] > 0
    assert set(result["statements_ms"]) >= set(reports.STATEMENTS)
    # The export wrote every ticket in a child process whose peak RSS was its own.
    (export,) = result["exports"]
    assert export.rows == 3000 and export.rows_per_s > 0 and export.file_mb > 0
    assert 20 < export.rss_mb < 1000
    assert result["export_empty"].rows == 0
    for words in ("report of", "median", "by statement", "matches the generated figures: yes"):
        assert words in text
    assert "export tickets --format csv: 3,000 rows" in text and "load average" in text


async def test_home_smoke_publishes_every_open_and_prints_the_figures():
    args = home.parse(
        ["--tickets", "60", "--resolved", "120", "--opens", "6", "--interval", "1", "--repeat", "1"]
        + ["--quiet-opens", "0"]
        + ["--managers", "2", "--agents", "2", "--owners", "6", "--accounts", "12"]
    )
    report = await home.run(args)
    text = home.render(report)
    assert report["failed"] == 0
    assert report["unpublished"] == 0, "every open got its views.publish"
    assert report["extra_publishes"] == 0  # none merged by the debounce, none doubled
    assert report["refused"] == 0  # each Home as Slack takes it
    for role, opens in ((home.MANAGER, 3), (home.AGENT, 3)):
        figures = report["roles"][role]
        assert figures["opens"] == figures["published"] == opens
        assert 0 < figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"] < 30_000
        assert figures["blocks"] > 5
    assert report["cpu_ms_per_open"] > 0 and math.isfinite(report["cpu_ms_per_open"])
    assert report["seeded"].open_tickets == 60 and report["seeded"].resolved_tickets == 120
    assert "cores" in report["machine"]
    for words in ("p99 ms", "blocks", "CPU per open", "target: manager p99"):
        assert words in text


def test_home_refuses_opens_the_debounce_would_merge():
    with pytest.raises(SystemExit):
        home.parse(["--managers", "1", "--agents", "1", "--interval", "1"])


def test_triage_smoke_meets_the_quality_targets_on_the_held_out_split():
    # The quality figures are deterministic (a fixed split, a fixed model): a real gate. The
    # latency is timed, so only checked for being measured; bench/README.md has the figures.
    report = triage.run(calls=500, cached=True)
    text = triage.render(report)
    quality = report["quality"]
    assert report["held_out"][0] >= 0.2 * (report["held_out"][0] + report["train"][0])
    assert quality["request"]["recall"] >= 0.97
    assert quality["chatter_opened"] <= 0.05
    assert quality["macro_f1"] >= 0.80
    assert all(met for name, (_, met) in report["targets"].items() if name != "p99 µs")
    assert 0 < report["latency"]["p50"] <= report["latency"]["p99"]
    assert report["latency"]["long_p50"] > 0
    for words in (
        "precision",
        "recall",
        "F1",
        "chatter opened as tickets:",
        "category macro-F1:",
        "p99",
        "40,000-character message",
    ):
        assert words in text
    for category in ("question", "bug", "access", "billing", "outage", "feature_request", "other"):
        assert category in text


async def test_kb_smoke_indexes_every_article_and_times_the_card_query():
    report = await kb.run(
        kb.parser().parse_args(["--articles", "300", "--queries", "40", "--repeat", "1"])
    )
    text = kb.render(report)
    assert report["articles"] == 300
    assert 0 < report["p50_ms"] <= report["p99_ms"] <= report["max_ms"] < 5000
    assert report["answered"] > 0.5  # most generated questions find an article
    assert report["index_s"] > 0 and report["rescan_ms"] > 0
    assert "target 30 ms" in text and "card queries" in text


async def test_startup_smoke_checks_and_serves_each_desk_and_prints_the_extra_cost():
    report = await startup.run(accounts=[40], repeat=1)
    rows = report["rows"]
    assert set(rows) == {startup.EXAMPLE_NAME, "40"}
    for row in rows.values():
        assert 0 < row["check_s"] < 120 and 0 < row["serve_s"] < 120 and row["parse_s"] > 0
    text = startup.render(report)
    assert "40 accounts: check " in text and "over the example file" in text


async def test_web_client_smoke_times_each_client_and_counts_every_call():
    report = await web_client.run(calls=30, repeat=2, warmup=5)
    figures = report["figures"]
    assert set(figures) == set(web_client.CLIENTS)
    for row in figures.values():
        assert 0 < row["cpu_us"] < 1e6 and 0 < row["wall_us"] < 1e6
    assert 0 < report["lean_to_sdk"] < 10
    # Every call of both clients went through their retry handlers (the counter is one), and
    # succeeded: 2 rounds of 5 + 30 each.
    assert report["counted"] == {"chat.postMessage ok": 2 * 2 * (30 + 5)}
    text = web_client.render(report)
    assert "cores" in text and "lean / slack_sdk CPU per call:" in text
