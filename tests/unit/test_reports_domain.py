"""Report arithmetic: periods and weeks in a time zone, percentiles, attainment, CSAT, change."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.reports import (
    FIRST_RESPONSE_EDGES,
    AttainmentTable,
    Cell,
    CsatTally,
    Delta,
    Histogram,
    PeriodKind,
    Tally,
    bin_index,
    current_month,
    month_period,
    ordered_tiers,
    parse_instant,
    parse_month,
    parse_since,
    percentile,
    percentile_at,
    ranks,
    ranks_needed,
    zone,
)

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
BERLIN = zone("Europe/Berlin")
NEW_YORK = zone("America/New_York")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11", "2026-11-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00"),
        ("2026-12", "2026-12-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"),
        ("2026-1", "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00"),
        (" 2024-02 ", "2024-02-01T00:00:00+00:00", "2024-03-01T00:00:00+00:00"),
    ],
)
def test_a_month_in_utc(text: str, start: str, end: str) -> None:
    period = parse_month(text, zone("UTC"))
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)
    assert period.kind is PeriodKind.MONTH


def test_a_month_starts_at_local_midnight_whatever_daylight_saving_time_does() -> None:
    # Berlin: UTC+1 on 1 November (summer time ended 25 October), UTC+2 on 1 October.
    november = parse_month("2026-11", BERLIN)
    assert november.start == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert november.end == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    october = november.previous()
    assert october.start == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
    assert october.end == november.start
    assert october.label == "2026-10"
    # A month with the change in it lasts an hour more (or less) than its days.
    assert october.length == timedelta(days=31, hours=1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "'2026-13' is not a month (months run from 01 to 12): give it as YYYY-MM"),
        ("2026-00", "'2026-00' is not a month (months run from 01 to 12)"),
        ("13-2026", "'13-2026' is not a month: give it as YYYY-MM, like 2026-11"),
        ("november", "'november' is not a month: give it as YYYY-MM"),
        ("", "'' is not a month"),
        ("2026-11-01", "is not a month: give it as YYYY-MM"),
        ("1969-12", "'1969-12' is before 1970"),
    ],
)
def test_a_bad_month_is_refused_in_one_sentence(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_month(text, zone("UTC"))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_january_compares_with_december_of_the_year_before() -> None:
    january = parse_month("2027-01", NEW_YORK)
    assert january.previous().label == "2026-12"
    assert current_month(NOW, NEW_YORK).label == "2026-11"
    # 1 December 03:00 UTC is still 30 November in New York.
    assert current_month(datetime(2026, 12, 1, 3, tzinfo=UTC), NEW_YORK).label == "2026-11"


def test_weeks_run_monday_to_monday_cut_to_the_month() -> None:
    weeks = parse_month("2026-11", zone("UTC")).weeks()
    assert [w.label for w in weeks] == [
        "2026-W44",  # Sunday 1 November only
        "2026-W45",
        "2026-W46",
        "2026-W47",
        "2026-W48",
        "2026-W49",  # Monday 30 November only
    ]
    assert weeks[0].end - weeks[0].start == timedelta(days=1)
    assert weeks[1].start == datetime(2026, 11, 2, tzinfo=UTC)
    assert weeks[-1].end == datetime(2026, 12, 1, tzinfo=UTC)
    assert all(a.end == b.start for a, b in zip(weeks, weeks[1:], strict=False))
    assert [w.index for w in weeks] == list(range(6))


def test_weeks_start_at_local_midnight_across_a_clock_change() -> None:
    # New York falls back on Sunday 1 November 2026: the week of 26 October starts at
    # 04:00 UTC (EDT) and the next at 05:00 UTC (EST).
    weeks = parse_month("2026-11", NEW_YORK).weeks()
    assert weeks[0].start == datetime(2026, 11, 1, 4, tzinfo=UTC)
    assert weeks[1].start == datetime(2026, 11, 2, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "length"),
    [("30d", timedelta(days=30)), ("2w", timedelta(days=14)), ("12h", timedelta(hours=12))],
)
def test_since_is_the_time_up_to_now(text: str, length: timedelta) -> None:
    period = parse_since(text, NOW, BERLIN)
    assert (period.start, period.end, period.kind) == (NOW - length, NOW, PeriodKind.SINCE)
    previous = period.previous()
    assert (previous.start, previous.end) == (NOW - 2 * length, NOW - length)


def test_a_since_period_is_labelled_by_its_local_dates() -> None:
    assert parse_since("30d", NOW, BERLIN).label == "2026-10-25 to 2026-11-24"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30", "has no unit"),
        ("soon", "is not a duration"),
        ("0d", "is zero"),
        ("4000d", "longer than 3660d"),
        ("-3d", "is not a duration"),
    ],
)
def test_a_bad_since_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_since(text, NOW, BERLIN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", NOW - timedelta(days=30)),
        ("2026-11-01", datetime(2026, 10, 31, 23, tzinfo=UTC)),  # Berlin midnight
        ("2026-11-01T09:30", datetime(2026, 11, 1, 8, 30, tzinfo=UTC)),
        ("2026-11-01T09:30:00+00:00", datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
    ],
)
def test_an_export_start_is_a_duration_a_date_or_a_time(text: str, expected: datetime) -> None:
    assert parse_instant(text, NOW, BERLIN) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "", "99999999999w"])
def test_an_export_start_that_is_none_of_these_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text, NOW, BERLIN)


def test_an_unknown_time_zone_is_named() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")


@pytest.mark.parametrize(
    ("values", "percent", "expected"),
    [
        ([1.0], 50, 1.0),
        ([1.0], 90, 1.0),
        ([1.0, 2.0], 50, 1.5),
        ([1.0, 2.0, 3.0], 50, 2.0),
        ([3.0, 1.0, 2.0, 4.0], 50, 2.5),
        ([600.0, 900.0, 1200.0, 3600.0], 90, 2880.0),
        (list(map(float, range(1, 11))), 90, 9.1),
        (list(map(float, range(1, 12))), 90, 10.0),
        ([5.0, 5.0, 5.0], 90, 5.0),
        ([], 50, None),
    ],
)
def test_percentiles_interpolate_between_ranks(values, percent, expected) -> None:
    assert percentile(values, percent) == (None if expected is None else pytest.approx(expected))


def test_ranks_are_exact_integers() -> None:
    # (11 - 1) * 0.9 is 9.000000000000002 in floating point; the ranks are exactly 9 and 9.
    assert ranks(11, 90) == ranks(11, 90).__class__(9, 9, 0.0)
    assert ranks(4, 90).low == 2 and ranks(4, 90).high == 3
    assert ranks(4, 90).weight == pytest.approx(0.7)
    assert ranks_needed(4) == {1, 2, 3}
    assert ranks_needed(0) == frozenset()
    with pytest.raises(ValueError):
        ranks(0, 50)


@given(
    st.lists(st.floats(0, 1e7, allow_nan=False), min_size=1, max_size=60),
    st.sampled_from([50, 90]),
)
def test_percentile_agrees_with_the_standard_library_and_with_its_ranks(values, percent) -> None:
    expected = percentile(values, percent)
    assert expected is not None
    if len(values) > 1:
        quantiles = statistics.quantiles(values, n=100, method="inclusive")
        assert expected == pytest.approx(quantiles[percent - 1], rel=1e-9, abs=1e-6)
    ordered = sorted(values)
    at = {r: ordered[r] for r in ranks_needed(len(values))}
    assert percentile_at(at, len(values), percent) == expected
    assert min(values) <= expected <= max(values)


TIERS = st.sampled_from(["strategic", "growth", "standard"])
CELLS = st.builds(
    Cell,
    tier=TIERS,
    priority=st.sampled_from(["P1", "P2", "P3", "P4"]),
    clock=st.sampled_from(["first_response", "next_response", "resolution"]),
    week=st.integers(0, 5),
)
TALLIES = st.builds(Tally, met=st.integers(0, 1000), missed=st.integers(0, 1000))


@given(st.lists(st.tuples(CELLS, TALLIES), max_size=40), TIERS, st.integers(0, 5))
def test_attainment_is_met_over_decided_and_any_slice_adds_up(counts, tier, week) -> None:
    table = AttainmentTable.from_counts(counts)
    total = table.tally()
    assert total.met == sum(t.met for _, t in counts)
    assert total.missed == sum(t.missed for _, t in counts)
    for tally in (total, table.tally(tier=tier), table.tally(tier=tier, week=week)):
        if tally.total == 0:
            assert tally.attainment is None
        else:
            assert tally.attainment is not None
            assert 0.0 <= tally.attainment <= 1.0
            assert tally.attainment == tally.met / (tally.met + tally.missed)
    # The tiers' tallies (or the weeks') add up to the whole.
    assert sum((table.tally(tier=t) for t in table.tiers()), Tally()) == total
    assert sum((table.tally(week=w) for w in range(6)), Tally()) == total


def test_a_tally_cannot_be_negative() -> None:
    with pytest.raises(ValueError):
        Tally(met=-1)


def test_no_decided_clock_is_no_attainment_not_zero() -> None:
    assert Tally().attainment is None
    assert Tally(met=0, missed=3).attainment == 0.0
    assert Tally(met=3).attainment == 1.0


def test_the_attainment_table_lists_its_lines_in_clock_order() -> None:
    table = AttainmentTable.from_counts(
        [
            (Cell("standard", "P3", "resolution", 1), Tally(1, 0)),
            (Cell("standard", "P3", "first_response", 0), Tally(0, 1)),
            (Cell("standard", "P3", "first_response", 2), Tally(2, 0)),
            (Cell("growth", "P1", "next_response", 0), Tally(1, 1)),
        ]
    )
    assert table.lines() == (
        ("growth", "P1", "next_response"),
        ("standard", "P3", "first_response"),
        ("standard", "P3", "resolution"),
    )
    assert table.tally(tier="standard", clock="first_response") == Tally(2, 1)


def test_configured_tiers_come_first_in_their_order() -> None:
    assert ordered_tiers(["strategic", "standard"], ["zeta", "standard", "alpha"]) == (
        "strategic",
        "standard",
        "alpha",
        "zeta",
    )


@pytest.mark.parametrize(
    ("value", "index"),
    [(0.0, 0), (299.9, 0), (300.0, 1), (899.0, 1), (900.0, 2), (172_800.0, 9), (1e9, 9)],
)
def test_first_response_bins(value: float, index: int) -> None:
    assert bin_index(value) == index


def test_histogram_labels_and_counts() -> None:
    histogram = Histogram.from_bins([(0, 2), (9, 1), (0, 1)])
    assert histogram.counts[0] == 3 and histogram.total == 4
    assert histogram.labels[0] == "< 5m"
    assert histogram.labels[1] == "5m-15m"
    assert histogram.labels[-1] == ">= 2d"
    assert len(histogram.labels) == len(FIRST_RESPONSE_EDGES) + 1
    with pytest.raises(ValueError):
        Histogram((1.0,), (1,))


def test_csat_average_and_response_rate() -> None:
    tally = CsatTally(surveys=4, answered=2, answers=3, score_sum=12) + CsatTally(1, 0, 0, 0)
    assert tally.average == 4.0
    assert tally.response_rate == 2 / 5
    assert CsatTally().average is None and CsatTally().response_rate is None


@pytest.mark.parametrize(
    ("current", "previous", "change", "relative"),
    [
        (0.9, 0.8, pytest.approx(0.1), pytest.approx(0.125)),
        (10, 0, 10, None),
        (None, 0.5, None, None),
        (0.5, None, None, None),
        (0, 4, -4, -1.0),
    ],
)
def test_change_from_the_period_before(current, previous, change, relative) -> None:
    delta = Delta(current, previous)
    assert delta.change == change
    assert delta.relative == relative


def test_month_period_refuses_month_13() -> None:
    with pytest.raises(ValueError):
        month_period(2026, 13, zone("UTC"))
