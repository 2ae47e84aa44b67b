"""`connectdesk report` and `connectdesk export` run as a person would, on each engine, over the
month of tests/support/report_data.py."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli.main import main
from store import migrate
from store.db import Database
from tests.support import report_data as data
from tests.support import world as w

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEAM_ZONE_YML = w.DESK_YML.replace("team:\n", "team:\n  timezone: UTC\n", 1)


@pytest.fixture
async def desk_db(monkeypatch, tmp_path: Path, database_url: str) -> AsyncIterator[str]:
    """A desk's environment whose database holds the report month."""
    config = tmp_path / "desk.yml"
    config.write_text(TEAM_ZONE_YML)
    monkeypatch.setenv("CONNECTDESK_CONFIG", str(config))
    monkeypatch.setenv("CONNECTDESK_DATABASE_URL", database_url)
    await migrate.upgrade(database_url)
    db = Database(database_url)
    try:
        await data.seed(db)
    finally:
        await db.close()
    yield database_url


async def run(*argv: str) -> int:
    """The CLI in a worker thread (it runs its own event loop, as from a shell)."""
    return await asyncio.to_thread(main, list(argv))


def pixel_spread(png: bytes) -> float:
    """How much the image's pixels differ (0 for a blank image)."""
    from matplotlib import image

    pixels = image.imread(io.BytesIO(png), format="png")
    return float(pixels[..., :3].std())


async def test_report_text_shows_the_month_by_tier(desk_db, capsys) -> None:
    assert await run("report", "--month", data.MONTH, "--workspace", data.TEAM) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"SLA report 2026-11 (UTC), workspace {data.TEAM}; generated ")
    assert "compared with 2026-10" in out
    lines = out.splitlines()
    assert any(
        line.split() == ["SLA", "attainment", "55.6%", "100.0%", "-44.4", "pts"] for line in lines
    )
    assert any(line.split() == ["strategic", "66.7%", "100.0%", "-33.3", "pts"] for line in lines)
    assert any(line.split()[:2] == ["Breaches", "4"] for line in lines)
    assert any(
        line.split()
        == ["strategic", "P1", "first", "response", "50.0%", "(1/2)", "-"]
        + ["100.0%", "0.0%", "-", "-", "-"]
        for line in lines
    )
    # Tiers in desk.yml's order: strategic before standard.
    assert out.index("strategic  P1") < out.index("standard   P3")
    assert any(line.split() == ["Acme", "strategic", "3", "2"] for line in lines)
    assert "CSAT by tier" in out and "3.67" in out


async def test_report_json_is_one_document_with_the_figures(desk_db, capsys) -> None:
    argv = ("report", "--month", data.MONTH, "--workspace", data.TEAM, "--format", "json")
    assert await run(*argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["period"]["label"] == "2026-11" and doc["previous_period"]["label"] == "2026-10"
    assert doc["attainment"]["met"] == 5 and doc["attainment"]["missed"] == 4
    assert doc["breaches"] == 4 and doc["tickets_opened"] == 4
    assert doc["tiers"] == ["strategic", "standard"]
    first = next(
        t for t in doc["response_times"] if t["clock"] == "first_response" and t["tier"] is None
    )
    assert first["business_median_seconds"] == 1050.0
    assert first["wall_p90_seconds"] == 3060.0
    assert [b["count"] for b in doc["first_response_distribution"]] == list(
        data.EXPECTED["histogram"]
    )
    assert doc["csat"]["surveys"] == 3 and doc["csat"]["answered"] == 2
    assert doc["accounts"][0] == {
        "account": "Acme",
        "tier": "strategic",
        "opened": 3,
        "breaches": 2,
    }
    assert doc["change"]["tickets_opened"] == {"current": 4, "previous": 2, "change": 2}
    week = next(w for w in doc["attainment"]["by_tier"][0]["weeks"] if w["week"] == "2026-W46")
    assert week == {"week": "2026-W46", "met": 1, "missed": 1, "attainment": 0.5}


async def test_report_csv_is_one_long_table_with_one_header(desk_db, capsys) -> None:
    argv = ("report", "--month", data.MONTH, "--workspace", data.TEAM, "--format", "csv")
    assert await run(*argv) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:3] == ["section", "period", "week"]
    assert sum(1 for row in rows if row[0] == "section") == 1
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    month = {
        (r["tier"], r["priority"], r["clock"], r["metric"]): r["value"]
        for r in records
        if r["section"] == "attainment" and not r["week"]
    }
    for (tier, priority, clock), (met, missed) in data.EXPECTED["attainment"].items():
        assert month[(tier, priority, clock, "met")] == str(met)
        assert month[(tier, priority, clock, "missed")] == str(missed)
    headline = {
        (r["period"], r["metric"]): r["value"] for r in records if r["section"] == "headline"
    }
    assert headline[("2026-11", "tickets_opened")] == "4"
    assert headline[("2026-10", "attainment")] == "1.0"


async def test_report_chart_is_a_png_with_something_drawn(desk_db, capsys, tmp_path) -> None:
    chart = tmp_path / "chart.png"
    argv = ("report", "--month", data.MONTH, "--chart", str(chart))
    assert await run(*argv) == 0
    assert f"chart written to {chart}" in capsys.readouterr().err
    png = chart.read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    assert pixel_spread(png) > 0.05


async def test_a_month_without_data_says_so_in_text_and_in_the_chart(
    desk_db, capsys, tmp_path
) -> None:
    chart = tmp_path / "empty.png"
    assert await run("report", "--month", "2025-01", "--chart", str(chart)) == 0
    captured = capsys.readouterr()
    assert "No tickets, SLA clocks or surveys in 2025-01." in captured.out
    assert "no data in the period: the image says so" in captured.err
    png = chart.read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    assert pixel_spread(png) > 0.005  # the empty-state message, not a blank image


async def test_report_since_days_runs(desk_db, capsys) -> None:
    assert await run("report", "--since", "30d", "--format", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["period"]["kind"] == "since"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--month", "2026-13"),
            "connectdesk report: --month '2026-13' is not a month (months run from 01 to 12):"
            " give it as YYYY-MM, like 2026-11\n",
        ),
        (
            ("--month", "november"),
            "connectdesk report: --month 'november' is not a month: give it as YYYY-MM,"
            " like 2026-11\n",
        ),
        (
            ("--since", "30"),
            "connectdesk report: --since '30' has no unit (use a whole number and a unit s, m,"
            " h, d or w, like 90s, 15m, 4h, 2d, 1h30m or 1d 4h)\n",
        ),
    ],
)
async def test_a_bad_period_is_a_usage_error_in_one_sentence(
    desk_db, capsys, argv, message
) -> None:
    assert await run("report", *argv) == 2
    captured = capsys.readouterr()
    assert captured.err == message
    assert captured.out == ""


async def test_month_and_since_together_are_refused_by_the_parser(desk_db, capsys) -> None:
    assert await run("report", "--month", "2026-11", "--since", "30d") == 2
    assert "not allowed with argument" in capsys.readouterr().err


async def test_a_chart_into_a_missing_folder_is_refused_before_any_work(
    desk_db, capsys, tmp_path
) -> None:
    target = tmp_path / "nowhere" / "chart.png"
    assert await run("report", "--month", data.MONTH, "--chart", str(target)) == 1
    assert "there is no folder" in capsys.readouterr().err


async def test_report_on_a_database_without_schema_says_what_to_run(
    monkeypatch, capsys, tmp_path
) -> None:
    monkeypatch.setenv("CONNECTDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    monkeypatch.setenv("CONNECTDESK_CONFIG", str(tmp_path / "missing.yml"))
    assert await run("report") == 1
    assert "Run `connectdesk db upgrade`" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_export_tickets_csv_has_one_header_and_a_row_per_ticket(desk_db, capsys) -> None:
    assert await run("export", "tickets") == 0
    rows = _csv(capsys.readouterr().out)
    assert rows[0][:3] == ["team_id", "number", "account"]
    assert len(rows) == 1 + data.TICKETS_IN_ALL
    summaries = [row[rows[0].index("summary")] for row in rows[1:]]
    assert summaries[0] == "'" + data.FORMULA  # a formula shows as text in a spreadsheet
    kinds = {row[rows[0].index("resolution_kind")] for row in rows[1:]}
    assert "noise" in kinds  # the export leaves nothing out


async def test_export_since_a_date_and_for_one_workspace(desk_db, capsys) -> None:
    assert await run("export", "tickets", "--since", "2026-11-10") == 0
    assert len(_csv(capsys.readouterr().out)) == 1 + data.TICKETS_SINCE_NOV_10
    assert await run("export", "tickets", "--workspace", data.OTHER_TEAM) == 0
    assert len(_csv(capsys.readouterr().out)) == 2


async def test_export_csat_jsonl_has_a_row_per_answer(desk_db, capsys) -> None:
    assert await run("export", "csat", "--format", "jsonl") == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == data.SURVEY_ROWS
    assert records[0]["score"] == 5 and records[0]["comment"] == "+ fine"
    unanswered = [r for r in records if r["score"] is None]
    assert len(unanswered) == 1 and unanswered[0]["asked_at"] == "2026-11-11T09:00:00+00:00"


async def test_export_events_to_a_file(desk_db, capsys, tmp_path) -> None:
    target = tmp_path / "events.jsonl"
    assert await run("export", "events", "--format", "jsonl", "-o", str(target)) == 0
    assert f"{data.EVENTS} events rows written to {target}" in capsys.readouterr().err
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(records) == data.EVENTS
    assert records[0]["detail"] == {"priority": "P1", "text": "=1+1"}
    assert not list(tmp_path.glob(".*.partial"))
    assert await run("export", "events") == 0
    rows = _csv(capsys.readouterr().out)
    assert rows[1][rows[0].index("detail")] == '{"priority": "P1", "text": "=1+1"}'


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "0d"])
async def test_export_with_a_bad_since_is_a_usage_error(desk_db, capsys, since) -> None:
    assert await run("export", "events", "--since", since) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"connectdesk export: --since '{since}'")
    assert err.count("\n") == 1


async def test_export_of_an_unknown_thing_is_refused_by_the_parser(capsys) -> None:
    assert await run("export", "accounts") == 2
    assert "invalid choice: 'accounts'" in capsys.readouterr().err


async def test_export_into_a_pipe_closed_early_stops_quietly(desk_db) -> None:
    # `connectdesk export tickets | head -n 1` with more rows than a pipe holds (64 KiB): the
    # export finds the pipe closed; it stops without a traceback, with SIGPIPE's status.
    db = Database(desk_db)
    try:
        await data.seed_tickets(db, 1000)
    finally:
        await db.close()
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        f"set -o pipefail; {sys.executable} -m bot export tickets | head -n 1 >/dev/null",
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert b"Traceback" not in err and b"Broken pipe" not in err, err
    assert process.returncode == 141
