"""Durations as written in desk.yml: parsing good and bad input, and the compact format."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d 4h", timedelta(days=1, hours=4)),
        ("1d4h30m15s", timedelta(days=1, hours=4, minutes=30, seconds=15)),
        ("  2h  ", timedelta(hours=2)),
        ("1 h 30 m", timedelta(hours=1, minutes=30)),
        ("1H30M", timedelta(hours=1, minutes=30)),
        ("0h30m", timedelta(minutes=30)),
        ("1w 2d", timedelta(days=9)),
        ("120m", timedelta(hours=2)),
    ],
)
def test_parse_good(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty duration"),
        ("   ", "empty duration"),
        ("90", "has no unit"),
        ("0m", "must be longer than zero"),
        ("0s 0m", "is not a duration|largest to smallest"),
        ("-5m", "is not a duration"),
        ("1.5h", "is not a duration"),
        ("h", "is not a duration"),
        ("5 minutes", "unknown unit 'minutes'"),
        ("3y", "unknown unit 'y'"),
        ("30m1h", "largest to smallest"),
        ("1h 1h", "largest to smallest"),
        ("1h30", "is not a duration"),
        ("1 5m", "is not a duration"),
        ("1h, 30m", "is not a duration"),
        ("9999999999999d", "too long"),
        ("999999999w", "too long"),
    ],
)
def test_parse_bad(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        parse_duration(text)
    if message != "too long":
        assert "like 90s, 15m, 4h, 2d, 1h30m" in str(caught.value)  # the accepted forms


def test_parse_rejects_non_strings() -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(90)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("td", "expected"),
    [
        (timedelta(0), "0s"),
        (timedelta(milliseconds=500), "0s"),
        (timedelta(seconds=45), "45s"),
        (timedelta(seconds=90), "1m 30s"),
        (timedelta(minutes=15), "15m"),
        (timedelta(hours=1, minutes=30), "1h 30m"),
        (timedelta(hours=1, minutes=30, seconds=59), "1h 30m"),
        (timedelta(days=2, hours=3), "2d 3h"),
        (timedelta(days=2, hours=3, minutes=59), "2d 3h"),
        (timedelta(days=1, minutes=5), "1d 5m"),
        (timedelta(weeks=2), "14d"),
        (timedelta(hours=-1, minutes=-30), "-1h 30m"),
        (timedelta(milliseconds=-500), "0s"),
    ],
)
def test_format(td: timedelta, expected: str) -> None:
    assert format_duration(td) == expected


@given(
    st.integers(0, 60),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59),
)
def test_format_parses_back_when_two_units_suffice(d: int, h: int, m: int, s: int) -> None:
    td = timedelta(days=d, hours=h, minutes=m, seconds=s)
    if sum(1 for part in (d, h, m, s) if part) in (1, 2):
        assert parse_duration(format_duration(td)) == td
    else:
        assert format_duration(td) == "0s" or parse_duration(format_duration(td)) <= td
