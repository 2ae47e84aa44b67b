"""Metrics objects, the Web API call classification, JSON log lines and after-commit hooks."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from slack_sdk.errors import SlackApiError

from bot.observability.logs import configure_logging, json_formatter
from bot.observability.metrics import Metrics
from bot.slack.calls import error_class, method_of, outcome_of
from store.db import Database


def test_each_app_has_its_own_metrics_and_none_are_global():
    one, two = Metrics(), Metrics()
    one.ticket_opened("strategic")
    one.breach("growth", "first_response")
    sample = ("connectdesk_tickets_opened_total", {"tier": "strategic"})
    assert one.registry.get_sample_value(*sample) == 1
    assert two.registry.get_sample_value(*sample) is None
    assert (
        REGISTRY.get_sample_value("connectdesk_tickets_opened_total", {"tier": "strategic"}) is None
    )


async def test_render_shows_what_was_recorded():
    metrics = Metrics()
    metrics.ticket_opened("standard", 3)
    metrics.acked(0.004)
    metrics.slack_call("chat.postMessage", "ok")
    text = (await metrics.render()).decode()
    assert 'connectdesk_tickets_opened_total{tier="standard"} 3.0' in text
    assert 'connectdesk_ack_seconds_bucket{le="0.005"} 1.0' in text
    assert 'connectdesk_slack_api_calls_total{method="chat.postMessage",outcome="ok"} 1.0' in text


async def test_depths_are_read_once_per_window_and_left_out_when_unreadable():
    metrics = Metrics()
    reads = []

    async def depths() -> dict[str, int]:
        reads.append(1)
        return {"connectdesk_inbox_depth": 7, "not_a_gauge_of_ours": 1}

    metrics.watch_depths(depths)
    first, second = await asyncio.gather(metrics.render(), metrics.render())
    # Both renders show the one read (the process's own CPU and memory lines may differ).
    depth = [
        [x for x in r.splitlines() if x.startswith(b"connectdesk_inbox_depth")]
        for r in (first, second)
    ]
    assert len(reads) == 1 and depth == [[b"connectdesk_inbox_depth 7.0"]] * 2
    assert b"not_a_gauge_of_ours" not in first

    async def broken() -> dict[str, int]:
        raise ConnectionRefusedError("database down")

    failing = Metrics()
    failing.watch_depths(broken)
    assert b"connectdesk_inbox_depth" not in await failing.render()


def test_a_multiprocess_dir_prometheus_client_would_ignore_is_refused(tmp_path: Path):
    # In this process prometheus_client was imported without PROMETHEUS_MULTIPROC_DIR, so its
    # values live in memory: a directory now would silently collect nothing.
    with pytest.raises(RuntimeError, match="must be set before prometheus_client"):
        Metrics(str(tmp_path))


def test_multiprocess_values_add_up_across_processes(tmp_path: Path):
    record = (
        "import asyncio, sys; from bot.observability.metrics import Metrics;"
        " m = Metrics(sys.argv[1]);"
        " m.ticket_opened('strategic'); m.acked(0.01)"
    )
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": ""}
    root = Path(__file__).resolve().parents[2]
    for _ in range(2):
        subprocess.run([sys.executable, "-c", record, str(tmp_path)], env=env, cwd=root, check=True)
    show = (
        "import asyncio, sys; from bot.observability.metrics import Metrics;"
        " print(asyncio.run(Metrics(sys.argv[1]).render()).decode())"
    )
    out = subprocess.run(
        [sys.executable, "-c", show, str(tmp_path)],
        env=env,
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert 'connectdesk_tickets_opened_total{tier="strategic"} 2.0' in out
    assert "connectdesk_ack_seconds_count 2.0" in out


@pytest.mark.parametrize(
    ("status", "body", "error", "outcome"),
    [
        (200, {"ok": True}, None, "ok"),
        (429, {"ok": False, "error": "ratelimited"}, None, "ratelimited"),
        (200, {"ok": False, "error": "ratelimited"}, None, "ratelimited"),
        (500, {"ok": False, "error": "internal_error"}, None, "http_5xx"),
        (503, None, None, "http_5xx"),
        (200, {"ok": False, "error": "invalid_auth"}, None, "error_auth"),
        (200, {"ok": False, "error": "channel_not_found"}, None, "error_not_found"),
        (200, {"ok": False, "error": "already_reacted"}, None, "error_conflict"),
        (200, {"ok": False, "error": "invalid_blocks"}, None, "error_invalid"),
        (200, {"ok": False, "error": "something_new_from_slack"}, None, "error_other"),
        (200, {"ok": False}, None, "error_other"),
        (404, None, None, "http_4xx"),
        (200, None, None, "ok"),  # a file download: no JSON
        (None, None, ConnectionResetError(), "network"),
        (None, None, TimeoutError(), "network"),
    ],
)
def test_each_request_outcome_is_one_of_a_few_labels(status, body, error, outcome):
    assert outcome_of(status, body, error) == outcome


def test_a_body_slack_could_not_send_is_a_5xx_when_the_status_says_so():
    class Response:
        status = 502

    assert outcome_of(None, None, SlackApiError("bad gateway", Response())) == "http_5xx"


def test_method_names_are_bounded():
    assert method_of("https://slack.com/api/chat.postMessage") == "chat.postMessage"
    assert method_of("http://127.0.0.1:4000/api/conversations.replies/") == "conversations.replies"
    assert method_of("https://files.slack.com/upload/v1/CwABAAAAXAoAAZ") == "other"
    assert method_of("https://slack.com/api/auth.test?x=1") == "auth.test"
    assert error_class("invalid_arguments") == "error_invalid"


def test_json_log_lines_carry_the_context_given():
    record = logging.LogRecord(
        "connectdesk.intake", logging.INFO, __file__, 1, "opened #%d", (4,), None
    )
    record.event_id, record.ticket, record.workspace = "Ev01", 4, "T0VENDOR"
    line = json.loads(json_formatter().format(record))
    assert {
        k: line[k] for k in ("level", "logger", "message", "event_id", "ticket", "workspace")
    } == {
        "level": "INFO",
        "logger": "connectdesk.intake",
        "message": "opened #4",
        "event_id": "Ev01",
        "ticket": 4,
        "workspace": "T0VENDOR",
    }
    assert line["time"].endswith("+00:00")


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="log format must be one of text, json, not 'xml'"):
        configure_logging("INFO", "xml")


async def test_after_commit_callbacks_run_only_when_the_unit_of_work_commits(tmp_path: Path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    seen: list[str] = []
    try:
        async with db.unit_of_work() as uow:
            uow.on_commit(lambda: seen.append("committed"))
            assert seen == []  # not before the commit
        with pytest.raises(RuntimeError):
            async with db.unit_of_work() as uow:
                uow.on_commit(lambda: seen.append("rolled back"))
                raise RuntimeError("the work failed")

        async with db.unit_of_work() as uow:
            uow.on_commit(lambda: 1 / 0)  # a failing callback cannot undo the commit
            uow.on_commit(lambda: seen.append("after a failing one"))
    finally:
        await db.close()
    assert seen == ["committed", "after a failing one"]
