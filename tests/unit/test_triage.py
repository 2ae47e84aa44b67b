"""Triage keywords."""

import pytest

from bot.domain.ladder import StepTime
from bot.domain.tickets import Priority, parse_ticket_ref
from bot.domain.triage import TriageRule, classify_priority

RULES = (
    TriageRule(Priority.P1, ("outage", "down", "not working")),
    TriageRule(Priority.P2, ("error", "slow")),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Our dashboard is DOWN since 9am", Priority.P1),
        ("login not working for anyone", Priority.P1),
        ("we get an error, and now an outage", Priority.P1),
        ("Seeing an error on export", Priority.P2),
        ("Can you add a CSV export?", Priority.P3),
        ("downloads are fine", Priority.P3),  # whole words only: "downloads" is not "down"
        ("", Priority.P3),
    ],
)
def test_classify(text: str, expected: Priority) -> None:
    assert classify_priority(text, RULES, Priority.P3) == expected


@pytest.mark.parametrize(("text", "n"), [("42", 42), ("#42", 42), (" #7 ", 7)])
def test_ticket_refs(text: str, n: int) -> None:
    assert parse_ticket_ref(text) == n


@pytest.mark.parametrize("text", ["", "#", "abc", "-1", "0", "4.2", "#0"])
def test_bad_ticket_refs(text: str) -> None:
    with pytest.raises(ValueError, match="not a ticket number"):
        parse_ticket_ref(text)


@pytest.mark.parametrize(
    ("text", "percent", "minutes"),
    [("75%", 75, 0), ("100%", 100, 0), ("100% + 30m", 100, 30), ("150%+1h", 150, 60)],
)
def test_step_times(text: str, percent: int, minutes: int) -> None:
    step = StepTime.parse(text)
    assert (step.percent, step.offset.total_seconds()) == (percent, minutes * 60)


@pytest.mark.parametrize("text", ["75", "%", "0%", "100% + soon", "abc"])
def test_bad_step_times(text: str) -> None:
    with pytest.raises(ValueError):
        StepTime.parse(text)
