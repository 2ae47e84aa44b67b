"""The command line: check, demo and serve, run as a user would."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import os
import signal
import socket
import struct
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import aiohttp
import pytest

from bench.procs import STARTUP_SECONDS, wait_healthy
from bot.cli.main import build_parser, main
from bot.config.settings import Settings
from bot.edge.workers import WORKER_NICENESS
from bot.emulator import Emulator
from bot.sandbox.sandbox import TRANSPORTS
from tests.support import world as w
from tests.support.scrape import Scrape, get_json, scrape
from tests.support.waits import describe, eventually

ROOT = Path(__file__).resolve().parents[1]


def test_check_prints_policy_table(capsys, tmp_path: Path) -> None:
    assert main(["check", "--config", str(ROOT / "desk.example.yml")]) == 0
    out = capsys.readouterr().out
    assert "tier" in out and "first response" in out and "strategic" in out
    assert "desk.example.yml: OK" in out


def test_check_fails_with_line_precise_message(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "desk.yml"
    bad.write_text(
        (ROOT / "desk.example.yml")
        .read_text()
        .replace("first_response: 15m", "first_response: soon", 1)
    )
    assert main(["check", "--config", str(bad)]) == 1
    err = capsys.readouterr().err
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1) if "soon" in text)
    assert f"{bad}:{line}: tiers.strategic.priorities.P1.first_response" in err
    assert "'soon' is not a duration" in err


def test_check_missing_file(capsys, tmp_path: Path) -> None:
    assert main(["check", "--config", str(tmp_path / "nope.yml")]) == 1
    assert "cannot read the config file" in capsys.readouterr().err


@pytest.fixture(scope="module")
def demo_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the demo run below writes its chart (a folder it has to make)."""
    return tmp_path_factory.mktemp("demo") / "charts" / "attainment-2026-11.png"


@pytest.fixture(scope="module")
def demo_output(demo_chart: Path) -> str:
    """`connectdesk demo` (paced 50 times faster), run once for the tests that read it."""
    printed = io.StringIO()
    desk_logs = logging.getLogger("connectdesk")
    level = desk_logs.level
    with contextlib.redirect_stdout(printed):
        assert main(["demo", "--speed", "50", "--chart", str(demo_chart)]) == 0
    # The demo quiets the desk's logs while it plays, and only then (tests after it read them).
    assert desk_logs.level == level
    return printed.getvalue()


def _views(out: str) -> tuple[str, str, str]:
    carol = out.split("=== What Carol")[1].split("=== What Alice")[0]
    alice = out.split("=== What Alice")[1].split("=== What Mia")[0]
    return carol, alice, out.split("=== What Mia")[1]


def test_demo_runs_and_shows_each_person(demo_output: str) -> None:
    out = demo_output
    for who in ("Carol (customer, Globex)", "Alice (account team)", "Mia (support manager)"):
        assert f"=== What {who} saw ===" in out
    carol, alice, mia = _views(out)
    assert "Ticket *#1* is resolved" in carol and "strategic" not in carol
    assert "Internal details in the shared channel: 0" in out
    assert alice.count("*SLA warning* (75%) · #2") == 1 and "SLA breached" not in alice
    assert mia.count("[DM] connectdesk: :rotating_light: *SLA breached* (100%) · #2") == 1
    assert mia.count("[#support-escalations] connectdesk: :rotating_light: *SLA breached*") == 1
    assert "SLA" not in carol
    # The incident: one notice for Carol (its edits under it), the update and the closing
    # reply in its thread.
    posted = [line for line in carol.splitlines() if "] connectdesk: " in line]  # not replies
    assert len([line for line in posted if "We're aware of an issue: Scheduled" in line]) == 1
    assert "(thread) connectdesk: :mega: *Update:* The mail queue is draining." in carol
    assert "(thread) connectdesk: :white_check_mark: *Resolved:* All delayed reports" in carol
    assert "sev2" not in carol
    assert "• closing reply: posted 1/1, 0 failed" in mia


def test_demo_shows_a_low_csat_answer_to_the_team_and_only_thanks_to_the_customer(
    demo_output: str,
) -> None:
    carol, alice, mia = _views(demo_output)
    # Carol: her private answer; nothing of the alert, her comment or the scale's meaning.
    assert (
        "19:27 [#globex-support] (only you) connectdesk: Thanks! You rated ticket *#1* 2/5"
        " :slightly_frowning_face:." in carol
    )
    assert "CSAT" not in carol and "nobody told us why" not in carol
    # Alice, the owner: by DM and in Globex's internal channel, the score then the comment,
    # each with the link to Carol's thread.
    for where in ("[DM]", "[#globex-team]"):
        low = f"19:27 {where} connectdesk: :disappointed: *Low CSAT: 2/5* · #1 · Globex"
        comment = (
            f"19:28 {where} connectdesk: :speech_balloon: *Comment on a low CSAT (2/5)*"
            " · #1 · Globex"
        )
        assert alice.count(low) == 1 and alice.count(comment) == 1
    alert = alice.split("*Low CSAT: 2/5*")[1].split("\n19:")[0]
    assert "• Rated by @carol" in alert and "• Owner: @alice" in alert
    assert "• Open the thread" in alert
    assert alice.count("• Comment: _Fixed in the end, but exports were down all morning") == 2
    # Mia sees the channel's alerts (she is in #globex-team), not the owner's DM.
    assert mia.count("[#globex-team] connectdesk: :disappointed: *Low CSAT: 2/5*") == 1
    assert "[DM] connectdesk: :disappointed:" not in mia
    # No weekly digest: the demo's week has no week before it to sum up.
    assert "digest" not in mia


def test_demo_ends_with_the_managers_and_the_agents_home(demo_output: str) -> None:
    carol, alice, mia = _views(demo_output)
    home = mia.split("\n[App Home]\n")[1].split("\n\n")[0].splitlines()
    assert [line.strip() for line in home[home.index("      Team now") :][:9]] == [
        "Team now",
        "*Open tickets*",
        "1",
        "*At risk* (< 25 % of a clock left)",
        "0",
        "*Breached, still open*",
        "0",
        "*Open incidents*",
        "0",
    ]
    # This month's figures, from the reports: #1 met both clocks, #2 missed its first
    # response; Carol's 2/5 is the one survey asked and answered.
    month = home.index("      This month (November 2026)")
    assert home[month + 1 :] == [
        "      *strategic*: first response 50 % · next response — · resolution 100 %",
        "      Breaches: *1*",
        "      CSAT: *2.0 / 5* (100 % answered)",
        "      Updated 23 Nov 19:33 UTC",
    ]
    # No health check ran in the demo's compressed day: nothing scored at risk or on watch.
    assert home[month - 1] == "      *Account health*: no account at risk or on watch"
    # Alice: her one open ticket with what is left on its nearest clock; no team figures.
    home = alice.split("\n[App Home]\n")[1].split("\n\n")[0].splitlines()
    assert home[:4] == [
        "      Your open tickets (1)",
        "      *#2* · Globex · P3 · *2d 18h left (resolution)*",
        "      > Could you add SSO for our contractors' accounts?",
        "      [Resolve]",
    ]
    assert "Team now" not in alice
    assert "[App Home]" not in carol


def test_demo_writes_the_months_chart_and_says_where(demo_output: str, demo_chart: Path) -> None:
    assert "November's report chart is drawn (what `connectdesk report --chart` writes)" in (
        demo_output
    )
    assert demo_output.rstrip().splitlines()[-1] == (
        f"Chart written to {demo_chart} (SLA attainment by tier per week, first-response times)"
    )
    png = demo_chart.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (1100, 480)  # width, height
    assert not [p for p in demo_chart.parent.iterdir() if p != demo_chart]  # no part left


def test_demo_refuses_a_chart_path_it_cannot_write_before_playing(tmp_path: Path, capsys) -> None:
    assert main(["demo", "--chart", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out == f"connectdesk demo: cannot write the chart to {tmp_path}: it is a folder\n"
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    chart = tmp_path / "notes.txt" / "chart.png"
    assert main(["demo", "--chart", str(chart)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(
        f"connectdesk demo: cannot write the chart to {chart}: cannot make the folder"
        f" {chart.parent}"
    )


def test_demo_shows_each_message_as_first_posted_then_its_edits(demo_output: str) -> None:
    """The receipt as Carol first read it (number, first reply time), its edits after it at
    the demo clock's times, replies under their parent, reactions, markup as read."""
    carol, alice, mia = _views(demo_output)
    lines = carol.strip().splitlines()
    request = lines.index(
        "14:00 [#globex-support] carol: Our exports are down since 9am, nothing downloads."
        "  [:eyes: by connectdesk] [:white_check_mark: by connectdesk]"
    )
    assert lines[request + 1] == (
        "      14:00 (thread) connectdesk: :eyes: Thanks, we've got your request. It's ticket"
        " *#1*. You can expect a first reply from the team by Mon 23 Nov 2026, 14:15 UTC."
        " Add any details by replying in this thread."
    )
    assert lines[request + 2].startswith("            ↳ edited at 14:07: :eyes: Ticket *#1*: ")
    assert lines[request + 3].startswith(
        "            ↳ edited at 14:16: :white_check_mark: Ticket *#1* is resolved."
    )
    assert lines[request + 4] == (
        "      14:07 (thread) alice: Hi Carol, on it: the export workers are restarting."
    )
    # Resolved: the satisfaction survey is asked in the same thread.
    assert lines[request + 5].startswith(
        "      14:16 (thread) connectdesk: How did we do on ticket *#1*?"
    )
    # Answered at 19:27 (the demo's second half): the survey became the thanks, in place.
    assert lines[request + 6] == (
        "            ↳ edited at 19:27: :pray: Thank you for your feedback on ticket *#1*!"
    )
    assert lines[request + 7].startswith("14:01 [#globex-support] carol: Also the scheduled")
    # The incident notice: its status line as first posted, then what each edit changed.
    notice = next(i for i, line in enumerate(lines) if "We're aware of an issue" in line)
    assert lines[notice].startswith("18:36 [#globex-support] connectdesk: :rotating_light:")
    assert lines[notice + 1].startswith("      *Status:* Investigating · next update by")
    edits = [line for line in lines[notice:] if "↳ edited at" in line]
    assert [line.split(",")[0].strip() for line in edits] == [
        "↳ edited at 18:56",
        "↳ edited at 19:21",
    ]
    assert "*Status:* Resolved (Mon 23 Nov 2026, 19:21 UTC)" in carol
    update = lines.index(
        "      18:56 (thread) connectdesk: :mega: *Update:* The mail queue is draining."
    )
    assert update > notice
    # Markup is rendered for every reader: names, not ids; times, not tokens; no escapes.
    for view in (carol, alice, mia):
        for raw in ("<@U", "<#C", "<!date", "&lt;", "&gt;", "&amp;"):
            assert raw not in view
    assert "↳ edited at 14:04: Ticket #1 · Globex (strategic) · P1 · Open — owner: @alice" in alice


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("workers", [0, 1])
async def test_serve_runs_for_real_against_slack_api(
    tmp_path: Path, database_url: str, workers: int, transport: str
) -> None:
    """`connectdesk serve --upgrade-db [--workers 1]` as a separate process, against Slack,
    over HTTP or in Socket Mode (where the port serves the probes only).

    With a worker, the config file, address and port come as options that override the
    environment (which names a missing file and a port nobody may use): the child gets them.
    """
    config = tmp_path / "desk.yml"
    config.write_text(w.DESK_YML)
    async with Emulator(
        w.workspace(),
        signing_secret="real-secret",
        bot_token="xoxb-real",
        app_token="xapp-1-real",
        transport=transport,
    ) as emu:
        port = _free_port()
        where = {
            "PORT": str(port),
            "CONNECTDESK_HOST": "127.0.0.1",
            "CONNECTDESK_CONFIG": str(config),
        }
        options = []
        if workers:
            where = {"PORT": "1", "CONNECTDESK_CONFIG": str(tmp_path / "missing.yml")}
            options = ["--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-real",
            "SLACK_SIGNING_SECRET": "real-secret",
            "SLACK_API_URL": emu.api_url,
            "CONNECTDESK_DATABASE_URL": database_url,
            **where,
        }
        if transport == "socket":
            env["SLACK_APP_TOKEN"] = "xapp-1-real"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--upgrade-db",
            "--workers",
            str(workers),
            *options,
            env=env,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await wait_healthy(
                f"http://127.0.0.1:{port}/healthz", proc, "its output below", STARTUP_SECONDS
            )
            events = f"http://127.0.0.1:{port}/slack/events"
            if transport == "socket":
                await emu.wait_for(lambda: emu.socket.connected, within=STARTUP_SECONDS)
                async with aiohttp.ClientSession() as http, http.post(events, data=b"{}") as r:
                    assert r.status == 404  # no Slack endpoint: the websocket carries it all
            else:
                emu.app_url = events
            delivery = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "The API is down")
            receipt = await emu.wait_for(
                lambda: [s for s in emu.seen_by(w.CAROL) if s.author_id == w.BOT],
                within=STARTUP_SECONDS,
            )
            assert "ticket *#1*" in receipt[0].text and receipt[0].thread_ts == delivery.ts
            # A command, answered through its response_url by the serving process.
            await emu.slash_command(w.ALICE, w.GLOBEX_INTERNAL, "claim 1")
            await emu.wait_for(
                lambda: any("owned by" in s.text for s in emu.seen_by(w.ALICE)),
                within=STARTUP_SECONDS,
            )
            if workers:
                # The child works at a lower priority: acks come first when the CPU is short.
                listed = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
                kids = (await asyncio.to_thread(listed.read_text)).split()
                edge = os.getpriority(os.PRIO_PROCESS, proc.pid)
                assert [os.getpriority(os.PRIO_PROCESS, int(k)) for k in kids] == [
                    max(WORKER_NICENESS, edge)
                ]
        finally:
            proc.send_signal(signal.SIGTERM)
            output = (await asyncio.wait_for(proc.communicate(), 10))[0].decode()
        assert proc.returncode == 0, output
        # The edge left the events to its child (whose log shares this output), or kept them.
        expected = "by 1 worker process(es)" if workers else "events worked in this process"
        assert expected in output and ("event worker running" in output) == bool(workers)
        # A normal start says it is ready in one line, and nothing looks like a problem.
        ready = (
            f"connectdesk ready: listening on http://127.0.0.1:{port} (POST /slack/events"
            if transport == "http"
            else "connectdesk ready: connected to Slack in Socket Mode; probes on"
            f" http://127.0.0.1:{port}"
        )
        assert output.count(ready) == 1, output
        assert "WARNING" not in output and "ERROR" not in output and "Traceback" not in output
        assert "xoxb-real" not in output and "real-secret" not in output


def test_serve_without_tokens_explains(capsys, monkeypatch, tmp_path: Path) -> None:
    config = tmp_path / "desk.yml"
    config.write_text(w.DESK_YML)
    monkeypatch.setenv("CONNECTDESK_CONFIG", str(config))
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert main(["serve"]) == 1
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err


def test_serve_with_a_negative_worker_count_explains(capsys) -> None:
    assert main(["serve", "--workers", "-1"]) == 2
    assert "--workers must be 0 or more" in capsys.readouterr().err


async def _children(pid: int) -> list[int]:
    listed = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(k) for k in (await asyncio.to_thread(listed.read_text)).split()]


async def _scrape_until(base: str, done, within: float = STARTUP_SECONDS) -> Scrape:
    """Scrape /metrics until `done(scrape)` (a child's samples land when its commit does)."""

    async def scraped() -> Scrape | None:
        metrics = await scrape(base)
        return metrics if done(metrics) else None

    return await eventually(scraped, within=within, interval=0.05, what=describe(done))


async def test_serve_with_a_worker_adds_up_its_metrics_and_logs_json(
    tmp_path: Path, database_url: str
) -> None:
    """`serve --workers 1`: the child opens the ticket, the parent's /metrics shows it."""
    config = tmp_path / "desk.yml"
    config.write_text(w.DESK_YML)
    async with Emulator(w.workspace(), signing_secret="real-secret", bot_token="xoxb-real") as emu:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-real",
            "SLACK_SIGNING_SECRET": "real-secret",
            "SLACK_API_URL": emu.api_url,
            "PORT": str(port),
            "CONNECTDESK_HOST": "127.0.0.1",
            "CONNECTDESK_CONFIG": str(config),
            "CONNECTDESK_DATABASE_URL": database_url,
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        args = ["--log-level", "INFO", "--log-format", "json", "serve", "--upgrade-db"]
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            "--workers",
            "1",
            env=env,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await wait_healthy(f"{base}/healthz", proc, "its output below", STARTUP_SECONDS)
            emu.app_url = f"{base}/slack/events"
            delivery = await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "The API is down")
            receipt = await emu.wait_for(
                lambda: [s for s in emu.seen_by(w.CAROL) if s.author_id == w.BOT],
                within=STARTUP_SECONDS,
            )
            assert "ticket *#1*" in receipt[0].text and receipt[0].thread_ts == delivery.ts
            metrics = await _scrape_until(
                base, lambda m: m.value("connectdesk_event_to_receipt_seconds_count") == 1
            )
            # The parent acked; the child opened the ticket and posted: one /metrics for both.
            assert 'connectdesk_tickets_opened_total{tier="strategic"} 1.0' in metrics.text
            assert metrics.value("connectdesk_event_to_receipt_seconds_count") == 1
            assert metrics.value("connectdesk_ack_seconds_count") >= 1
            calls = "connectdesk_slack_api_calls_total"
            assert metrics.value(calls, method="chat.postMessage", outcome="ok") >= 2
            assert metrics.value(calls, method="auth.test", outcome="ok") == 2  # one each
            assert (await get_json(f"{base}/readyz"))[0] == 200  # the parent asks auth.test

            # A worker that dies takes nothing it counted with it; its replacement adds on.
            [child] = await _children(proc.pid)
            os.kill(child, signal.SIGKILL)
            replaced = await _scrape_until(
                base,
                lambda m: m.value(calls, method="auth.test", outcome="ok") == 4,
                within=STARTUP_SECONDS,
            )
            assert replaced.value(calls, method="auth.test", outcome="ok") == 4
            assert replaced.value("connectdesk_tickets_opened_total", tier="strategic") == 1.0
            assert await _children(proc.pid) not in ([], [child])
        finally:
            proc.send_signal(signal.SIGTERM)
            output = (await asyncio.wait_for(proc.communicate(), 15))[0].decode()
        assert proc.returncode == 0, output
    records = [json.loads(line) for line in output.splitlines()]  # every line is one object
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    opened = [r for r in records if r["logger"] == "connectdesk.intake"]
    assert [(r["event_id"], r["ticket"], r["workspace"]) for r in opened] == [
        (delivery.event_id, 1, w.VENDOR)
    ]
    assert opened[0]["message"] == "message opened ticket #1"
    # Both processes wrote JSON: the edge's lines and the worker's (the intake line above too).
    messages = [r["message"] for r in records]
    assert any(m.startswith("connectdesk ready: listening on http://127.0.0.1") for m in messages)
    assert any(m.startswith("connectdesk event worker running") for m in messages)
    assert any("event worker 0 exited with -9; restarting" in m for m in messages)
    # The metrics directory lived as long as serve did.
    [gathered] = [m for m in messages if m.startswith("metrics of this process")]
    assert not await asyncio.to_thread(Path(gathered.rsplit(" ", 1)[1]).exists)
    assert "xoxb-real" not in output and "real-secret" not in output


def test_a_bad_log_format_explains(capsys, monkeypatch) -> None:
    monkeypatch.setenv("CONNECTDESK_LOG_FORMAT", "xml")
    assert main(["check", "--config", str(ROOT / "desk.example.yml")]) == 2
    assert "CONNECTDESK_LOG_FORMAT must be text or json, not 'xml'" in capsys.readouterr().err
    assert main(["--log-format", "yaml", "check"]) == 2
    assert "argument --log-format: invalid choice: 'yaml'" in capsys.readouterr().err


# ---- the command line itself: help, version, options --------------------------------------

CONSOLE_SCRIPT = Path(sys.executable).with_name("connectdesk")  # what `uv run connectdesk` runs


def _flat(text: str) -> str:
    """Text with its line wrapping undone (argparse wraps help to the terminal's width)."""
    return " ".join(text.split())


def test_no_command_prints_the_help_as_a_usage_error(capsys) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: connectdesk")
    for command in ("serve", "work", "demo", "check", "db"):
        assert f"\n    {command} " in err


def test_version_comes_from_the_package(capsys) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"connectdesk {version('connectdesk')}\n"


def test_the_installed_command_answers_version_and_help() -> None:
    done = subprocess.run(
        [CONSOLE_SCRIPT, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout) == (0, f"connectdesk {version('connectdesk')}\n")
    done = subprocess.run([CONSOLE_SCRIPT], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and "usage: connectdesk" in done.stderr and not done.stdout


def test_serve_help_lists_every_environment_variable_it_reads(capsys) -> None:
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--config CONFIG", "--host HOST", "--port PORT", "--upgrade-db", "--workers"):
        assert option in out
    listed = out.split("environment (read once at start-up):")[1]
    for field in Settings.model_fields.values():
        assert field.alias and field.description, "every setting needs a one-line description"
        line = next(line for line in listed.splitlines() if line.split()[:1] == [field.alias])
        assert _flat(field.description)[:30] in _flat(line)
    assert "PORT" in listed and "(default 3000)" in _flat(listed)


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _commands(sub, (*path, name))


def test_every_command_explains_itself_in_its_help(capsys) -> None:
    commands = list(_commands(build_parser()))
    assert {c for c, _ in commands} >= {
        ("serve",), ("work",), ("demo",), ("check",), ("db",), ("db", "upgrade"),
        ("db", "current"), ("db", "stamp"), ("db", "revision"),
    }  # fmt: skip
    for command, parser in commands:
        assert parser.description, f"`connectdesk {' '.join(command)}` has no description"
        assert main([*command, "--help"]) == 0
        out = capsys.readouterr().out
        assert _flat(parser.description) in _flat(out), command
        assert "--log-level {DEBUG,INFO,WARNING,ERROR}" in out, command


def test_a_bad_log_level_is_a_usage_error_naming_the_choices(capsys) -> None:
    for argv in (["serve", "--log-level", "LOUD"], ["--log-level", "LOUD", "check"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "invalid choice: 'LOUD' (choose from 'DEBUG', 'INFO', 'WARNING', 'ERROR')" in err


@pytest.mark.parametrize(
    ("argv", "informs"),
    [
        (["--log-level", "INFO", "db", "upgrade"], True),
        (["db", "--log-level", "info", "upgrade"], True),
        (["db", "upgrade", "--log-level", "INFO"], True),
        (["db", "upgrade"], False),
    ],
)
def test_log_level_works_before_or_after_the_command(
    tmp_path: Path, argv: list[str], informs: bool
) -> None:
    """Alembic says what it does at INFO: shown when asked for, wherever the option is."""
    env = {**os.environ, "CONNECTDESK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/d.db"}
    done = subprocess.run(
        [CONSOLE_SCRIPT, *argv], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert ("INFO alembic.runtime.migration" in done.stderr) == informs, done.stderr


def test_a_port_that_is_not_a_number_is_a_usage_error(capsys) -> None:
    assert main(["serve", "--port", "eighty"]) == 2
    assert "argument --port: 'eighty' is not a port number" in capsys.readouterr().err
    assert main(["serve", "--port", "70000"]) == 2
    assert "argument --port: 70000 is not a port number (0-65535)" in capsys.readouterr().err


def test_token_keys_and_reencrypting_stored_tokens(capsys, monkeypatch, tmp_path: Path) -> None:
    """A key from `token-key`; after adding a newer key, `tokens reencrypt` moves every stored
    token to it, and the old key can then go."""
    from bot.installs.cipher import TokenCipher
    from store.models import slack_bots

    assert main(["token-key"]) == 0
    old = capsys.readouterr().out.strip()
    TokenCipher([old])  # a real key
    url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setenv("CONNECTDESK_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    asyncio.run(_store_a_token(url, old))
    monkeypatch.setenv("SLACK_CLIENT_ID", "1111.2222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "s")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    new = TokenCipher.new_key()
    monkeypatch.setenv("CONNECTDESK_TOKEN_KEYS", f"{new},{old}")
    capsys.readouterr()
    assert main(["tokens", "reencrypt"]) == 0
    assert "re-encrypted the tokens of 2 stored row(s)" in capsys.readouterr().out
    stored = asyncio.run(_stored(url, slack_bots.c.bot_token))
    assert [TokenCipher([new]).decrypt(s) for s in stored] == ["xoxb-kept"]
    # Without the newest key in front, the old one alone no longer reads them.
    monkeypatch.setenv("CONNECTDESK_TOKEN_KEYS", old)
    assert main(["tokens", "reencrypt"]) == 1
    assert "no key in CONNECTDESK_TOKEN_KEYS can decrypt" in capsys.readouterr().err


async def _store_a_token(url: str, key: str) -> None:
    from slack_sdk.oauth.installation_store.models.installation import Installation

    from bot.installs.cipher import TokenCipher
    from bot.installs.store import EncryptedInstallationStore
    from store.db import make_engine

    engine = make_engine(url)
    try:
        store = EncryptedInstallationStore("1111.2222", engine, TokenCipher([key]))
        await store.async_save(
            Installation(
                app_id="A0CONNECTDESK",
                team_id="T0VENDOR",
                bot_token="xoxb-kept",
                bot_user_id="U0BOT",
                user_id="U0ALICE",
            )
        )
    finally:
        await engine.dispose()


async def _stored(url: str, column) -> list[str]:
    from sqlalchemy import select

    from store.db import make_engine

    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(select(column))).scalars())
    finally:
        await engine.dispose()
