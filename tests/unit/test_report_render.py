"""Rendering a report: text, JSON and CSV from hand-made figures, the chart's panels with and
without data, and CSV cells a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from bot.domain.reports import (
    AccountVolume,
    AttainmentTable,
    Cell,
    CsatTally,
    Figures,
    Histogram,
    Report,
    Tally,
    TimeStats,
    month_period,
    zone,
)
from bot.reports.cells import csv_cell, defuse
from bot.reports.chart import render_chart
from bot.reports.formats import render, report_dict

PNG = b"\x89PNG\r\n\x1a\n"
PERIOD = month_period(2026, 11, zone("Europe/Berlin"))


def figures(
    *,
    cells: dict[Cell, Tally] | None = None,
    histogram: tuple[int, ...] | None = None,
    accounts: tuple[AccountVolume, ...] = (),
    csat: dict[str, CsatTally] | None = None,
    times: tuple[TimeStats, ...] = (),
    period=PERIOD,
) -> Figures:
    return Figures(
        period=period,
        weeks=period.weeks(),
        attainment=AttainmentTable(cells or {}),
        times=times,
        first_response=Histogram.from_bins(enumerate(histogram))
        if histogram
        else Histogram.empty(),
        csat=csat or {},
        accounts=accounts,
    )


def report(current: Figures, previous: Figures | None = None, tiers=("gold",)) -> Report:
    return Report(
        generated_at=datetime(2026, 12, 2, 9, tzinfo=UTC),
        team_id="T0VENDOR",
        tiers=tuple(tiers),
        current=current,
        previous=previous or figures(period=PERIOD.previous()),
    )


FULL = figures(
    cells={
        Cell("gold", "P1", "first_response", 1): Tally(3, 1),
        Cell("gold", "P2", "resolution", 2): Tally(1, 0),
        Cell("$cash$", "P1", "first_response", 3): Tally(0, 2),
    },
    histogram=(1, 4, 2),
    accounts=(AccountVolume(1, "=Evil Corp", "gold", 5, 1),),
    csat={"gold": CsatTally(4, 2, 3, 13)},
    times=(TimeStats("first_response", None, 4, 1050.0, 2880.0, 1500.0, 3060.0),),
)


def spread(png: bytes) -> float:
    from matplotlib import image

    return float(image.imread(io.BytesIO(png), format="png")[..., :3].std())


def test_the_chart_draws_both_panels() -> None:
    png = render_chart(report(FULL, tiers=("gold", "$cash$")))
    assert png.startswith(PNG) and spread(png) > 0.05


@pytest.mark.parametrize(
    "current",
    [
        figures(cells={Cell("gold", "P1", "next_response", 0): Tally(1, 0)}),  # no first response
        figures(histogram=(0, 3)),  # first responses, but no clock decided
        figures(accounts=(AccountVolume(1, "Acme", "gold", 2, 0),)),  # tickets, nothing decided
    ],
)
def test_a_panel_without_data_says_so_and_the_other_still_draws(current: Figures) -> None:
    png = render_chart(report(current))
    assert png.startswith(PNG) and spread(png) > 0.01


def test_the_empty_chart_is_a_message_not_a_blank_image() -> None:
    empty = report(figures())
    assert empty.is_empty
    png = render_chart(empty)
    assert png.startswith(PNG) and spread(png) > 0.005


def test_text_shows_percentages_durations_and_dashes() -> None:
    text = render(report(FULL, tiers=("gold", "$cash$")), "text")
    assert "SLA report 2026-11 (Europe/Berlin), workspace T0VENDOR" in text
    assert "compared with 2026-10" in text
    lines = text.splitlines()
    assert any(line.split()[:5] == ["SLA", "attainment", "57.1%", "-", "-"] for line in lines)
    assert any(line.split()[:4] == ["first", "response", "all", "4"] for line in lines)
    assert "17m 30s" in text and "48m" in text
    assert "=Evil Corp" in text  # text for a person: shown as typed
    assert "no SLA clock" not in text


def test_text_of_an_empty_month_is_one_line_after_the_header() -> None:
    text = render(report(figures()), "text")
    assert text.splitlines()[-1] == "No tickets, SLA clocks or surveys in 2026-11."


def test_json_nulls_what_cannot_be_measured() -> None:
    doc = json.loads(render(report(FULL), "json"))
    assert doc["period"]["timezone"] == "Europe/Berlin"
    assert doc["period"]["start"] == "2026-10-31T23:00:00+00:00"
    assert doc["change"]["attainment"] == {"current": 4 / 7, "previous": None, "change": None}
    assert doc["csat"]["average"] == 13 / 3
    assert doc["first_response_distribution"][0] == {
        "bin": "< 5m",
        "from_seconds": None,
        "to_seconds": 300.0,
        "count": 1,
    }
    assert doc["first_response_distribution"][-1]["to_seconds"] is None
    assert json.loads(render(report(figures()), "json"))["attainment"]["attainment"] is None


def test_csv_defuses_formulas_and_has_one_header() -> None:
    rows = list(csv.reader(io.StringIO(render(report(FULL), "csv"))))
    assert rows[0] == [
        "section",
        "period",
        "week",
        "tier",
        "priority",
        "clock",
        "account",
        "bin",
        "metric",
        "value",
    ]
    assert all(row[0] != "section" for row in rows[1:])
    accounts = {row[6] for row in rows[1:] if row[0] == "volume"}
    assert accounts == {"'=Evil Corp"}
    assert {row[3] for row in rows[1:] if row[0] == "attainment"} == {"gold", "$cash$"}


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        render(report(FULL), "xml")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"),
        ("plain", "plain"),
        (-2, -2),
        (None, ""),
        (True, "true"),
        (datetime(2026, 11, 1, tzinfo=UTC), "2026-11-01T00:00:00+00:00"),
        ({"b": 1, "a": "=x"}, '{"a": "=x", "b": 1}'),
    ],
)
def test_csv_cells(value, cell) -> None:
    assert csv_cell(value) == cell


def test_defuse_leaves_ordinary_text_alone() -> None:
    assert defuse("Acme (EMEA)") == "Acme (EMEA)"


def test_report_dict_lists_tiers_in_the_report_order() -> None:
    doc = report_dict(report(FULL, tiers=("gold", "$cash$")))
    assert [t["tier"] for t in doc["attainment"]["by_tier"]] == ["gold", "$cash$"]
    assert [line["tier"] for line in doc["attainment"]["by_tier_priority_clock"]] == [
        "gold",
        "gold",
        "$cash$",
    ]
