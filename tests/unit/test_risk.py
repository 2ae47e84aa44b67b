"""The renewal-risk rule: table-driven cases and properties over any figures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.risk import AccountHealth, RiskRules, assess

TODAY = date(2026, 12, 2)


def health(met=0, missed=0, csat=None, answers=0, renewal=None) -> AccountHealth:
    return AccountHealth(met, missed, csat, answers, renewal)


@pytest.mark.parametrize(
    ("figures", "reasons"),
    [
        (health(), ()),
        (health(met=95, missed=5), ()),
        (
            health(met=89, missed=11),
            ("SLA attainment 89% over 90 days (11 of 100 clocks missed; target 90%)",),
        ),
        (health(met=1, missed=3), ()),  # four clocks are too few to judge
        (
            health(met=1, missed=4),
            ("SLA attainment 20% over 90 days (4 of 5 clocks missed; target 90%)",),
        ),
        (health(met=50, csat=2.5, answers=4), ("CSAT 2.5/5 from 4 answers (below 3.5)",)),
        (health(met=50, csat=1.0, answers=2), ()),  # two answers are not a trend
        (health(met=50, csat=3.5, answers=10), ()),
        (
            health(met=8, missed=2, renewal=TODAY + timedelta(days=30)),
            (
                "SLA attainment 80% over 90 days (2 of 10 clocks missed; target 90%)",
                "renews in 30 days (2027-01-01)",
            ),
        ),
        (health(met=100, renewal=TODAY + timedelta(days=5)), ()),  # renewal alone is no risk
        (
            health(met=8, missed=2, renewal=TODAY - timedelta(days=1)),
            ("SLA attainment 80% over 90 days (2 of 10 clocks missed; target 90%)",),
        ),
    ],
)
def test_risk_reasons(figures: AccountHealth, reasons: tuple[str, ...]) -> None:
    risk = assess(figures, TODAY)
    assert risk.reasons == reasons
    assert risk.flagged == bool(reasons)


def test_rules_are_settable() -> None:
    strict = RiskRules(min_attainment=0.99, min_clocks=1)
    assert assess(health(met=98, missed=2), TODAY, strict).flagged
    assert not assess(health(met=98, missed=2), TODAY).flagged


@given(
    met=st.integers(0, 10_000),
    missed=st.integers(0, 10_000),
    csat=st.none() | st.floats(1.0, 5.0),
    answers=st.integers(0, 1_000),
    renewal=st.none() | st.dates(date(2020, 1, 1), date(2035, 1, 1)),
)
def test_flag_follows_the_service_not_the_calendar(met, missed, csat, answers, renewal) -> None:
    figures = health(met, missed, csat, answers, renewal)
    risk = assess(figures, TODAY)
    assert risk.flagged == bool(risk.reasons)
    # The renewal date alone never flags: the same figures without one flag the same way.
    assert risk.flagged == assess(health(met, missed, csat, answers, None), TODAY).flagged
    attainment = figures.attainment
    assert attainment is None or 0.0 <= attainment <= 1.0
    # Meeting every clock with good ratings is never a risk.
    assert not assess(health(met, 0, 5.0 if csat else None, answers, renewal), TODAY).flagged
