"""Account health: table-driven scores and reasons, properties over any figures, and the
once-per-crossing alert state with its hysteresis."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.health import (
    Band,
    HealthFigures,
    HealthRules,
    after_check,
    assess,
    band_of,
)

TODAY = date(2026, 12, 2)
SOON = TODAY + timedelta(days=30)


@pytest.mark.parametrize(
    ("figures", "score", "band", "reasons"),
    [
        (HealthFigures(), 100, Band.HEALTHY, ()),
        (HealthFigures(clocks_met=50, csat_average=4.8, csat_answers=10), 100, Band.HEALTHY, ()),
        (HealthFigures(breaches=1), 95, Band.HEALTHY, ("1 breach in 90 days (-5)",)),
        (HealthFigures(breaches=3), 85, Band.HEALTHY, ("3 breaches in 90 days (-15)",)),
        (HealthFigures(breaches=40), 70, Band.WATCH, ("40 breaches in 90 days (-30)",)),
        (
            HealthFigures(csat_average=2.5, csat_answers=4),
            78,
            Band.HEALTHY,
            ("CSAT 2.5/5 from 4 answers (target 4) (-22)",),
        ),
        (HealthFigures(csat_average=1.0, csat_answers=2), 100, Band.HEALTHY, ()),  # too few
        (HealthFigures(csat_average=4.0, csat_answers=9), 100, Band.HEALTHY, ()),
        (
            HealthFigures(opened_recent=10, opened_before=5),
            90,
            Band.HEALTHY,
            ("10 tickets in 30 days, up 100% on the 30 before (-10)",),
        ),
        (HealthFigures(opened_recent=7, opened_before=5), 100, Band.HEALTHY, ()),  # +40 %
        (HealthFigures(opened_recent=4, opened_before=1), 100, Band.HEALTHY, ()),  # too few
        (
            HealthFigures(opened_recent=6),
            85,
            Band.HEALTHY,
            ("6 tickets in 30 days, none the 30 before (-15)",),
        ),
        (
            HealthFigures(negative_messages=5, scored_messages=10),
            80,
            Band.HEALTHY,
            ("5 of 10 customer messages negative (50%) (-20)",),
        ),
        (HealthFigures(negative_messages=1, scored_messages=10), 100, Band.HEALTHY, ()),
        (HealthFigures(negative_messages=4, scored_messages=4), 100, Band.HEALTHY, ()),  # few
        (
            HealthFigures(open_p1=1),
            90,
            Band.HEALTHY,
            ("1 open P1 ticket (-10)",),
        ),
        (HealthFigures(open_p1=5), 80, Band.HEALTHY, ("5 open P1 tickets (-20)",)),
        # A renewal alone is no deduction; with something else it weighs.
        (HealthFigures(renewal_date=SOON), 100, Band.HEALTHY, ()),
        (
            HealthFigures(breaches=2, renewal_date=SOON),
            80,
            Band.HEALTHY,
            ("2 breaches in 90 days (-10)", "renews in 30 days (2027-01-01) (-10)"),
        ),
        (
            HealthFigures(breaches=2, renewal_date=TODAY - timedelta(days=1)),
            90,
            Band.HEALTHY,
            ("2 breaches in 90 days (-10)",),
        ),
        (
            HealthFigures(breaches=2, renewal_date=TODAY + timedelta(days=91)),
            90,
            Band.HEALTHY,
            ("2 breaches in 90 days (-10)",),
        ),
        # Everything at once, largest deduction first.
        (
            HealthFigures(
                breaches=3,
                csat_average=1.5,
                csat_answers=4,
                negative_messages=6,
                scored_messages=10,
                open_p1=1,
                renewal_date=SOON,
            ),
            10,
            Band.AT_RISK,
            (
                "CSAT 1.5/5 from 4 answers (target 4) (-30)",
                "6 of 10 customer messages negative (60%) (-25)",
                "3 breaches in 90 days (-15)",
                "1 open P1 ticket (-10)",
                "renews in 30 days (2027-01-01) (-10)",
            ),
        ),
    ],
)
def test_scores_and_reasons(
    figures: HealthFigures, score: int, band: Band, reasons: tuple[str, ...]
) -> None:
    health = assess(figures, TODAY)
    assert (health.score, health.band, health.reasons) == (score, band, reasons)


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (100, Band.HEALTHY),
        (75, Band.HEALTHY),
        (74, Band.WATCH),
        (50, Band.WATCH),
        (49, Band.AT_RISK),
        (0, Band.AT_RISK),
    ],
)
def test_bands(score: int, band: Band) -> None:
    assert band_of(score) is band


def test_rules_are_settable() -> None:
    strict = HealthRules(per_breach=20, healthy_from=90)
    health = assess(HealthFigures(breaches=1), TODAY, strict)
    assert (health.score, health.band, health.reasons) == (
        80,
        Band.WATCH,
        ("1 breach in 90 days (-20)",),
    )
    assert assess(HealthFigures(breaches=1), TODAY).band is Band.HEALTHY


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        (HealthRules(per_breach=-1), "per_breach must not be negative"),
        (HealthRules(watch_from=80), "watch_from must be at most healthy_from"),
        (HealthRules(rearm_above=40), "rearm_above must be between watch_from and 100"),
    ],
)
def test_bad_rules_are_named(rules: HealthRules, problem: str) -> None:
    assert any(p.startswith(problem) for p in rules.problems())
    assert HealthRules().problems() == []


counts = st.integers(0, 10_000)
figures_st = st.builds(
    HealthFigures,
    clocks_met=counts,
    breaches=counts,
    csat_average=st.none() | st.floats(1.0, 5.0),
    csat_answers=counts,
    opened_recent=counts,
    opened_before=counts,
    negative_messages=counts,
    scored_messages=counts,
    open_p1=st.integers(0, 100),
    renewal_date=st.none() | st.dates(date(2020, 1, 1), date(2035, 1, 1)),
)


@given(figures=figures_st)
def test_the_score_stays_within_0_and_100_and_matches_its_band_and_reasons(
    figures: HealthFigures,
) -> None:
    health = assess(figures, TODAY)
    assert 0 <= health.score <= 100
    assert health.band is band_of(health.score)
    assert health.score == max(0, 100 - sum(d.points for d in health.deductions))
    assert all(d.points > 0 for d in health.deductions)
    assert (health.score == 100) == (not health.deductions)


@given(figures=figures_st, more=st.integers(1, 50))
def test_worse_figures_never_raise_the_score(figures: HealthFigures, more: int) -> None:
    score = assess(figures, TODAY).score
    worse = [
        replace(figures, breaches=figures.breaches + more),
        replace(figures, open_p1=figures.open_p1 + more),
        replace(figures, opened_recent=figures.opened_recent + more),
        # Another message scored negative.
        replace(
            figures,
            negative_messages=min(figures.negative_messages, figures.scored_messages) + 1,
            scored_messages=figures.scored_messages + 1,
        ),
    ]
    if figures.csat_average is not None:
        worse.append(replace(figures, csat_average=max(1.0, figures.csat_average - more / 10)))
    for changed in worse:
        assert assess(changed, TODAY).score <= score, changed


@given(figures=figures_st)
def test_a_renewal_soon_alone_never_costs_anything(figures: HealthFigures) -> None:
    without = assess(replace(figures, renewal_date=None), TODAY)
    soon = assess(replace(figures, renewal_date=SOON), TODAY)
    assert (soon.score == 100) == (without.score == 100)
    assert soon.score <= without.score


@pytest.mark.parametrize(
    ("alerted", "score", "after", "alert_now"),
    [
        (False, 80, False, False),
        (False, 50, False, False),
        (False, 49, True, True),  # the crossing: alerted once
        (True, 30, True, False),  # still at risk: no second alert
        (True, 52, True, False),  # back to watch, but not above 55: still alerted
        (True, 55, True, False),
        (True, 56, False, False),  # recovered: re-armed
        (False, 10, True, True),  # and a new crossing alerts again
    ],
)
def test_the_alert_fires_once_per_crossing_with_hysteresis(
    alerted: bool, score: int, after: bool, alert_now: bool
) -> None:
    state = after_check(alerted, score)
    assert (state.alerted, state.alert_now) == (after, alert_now)


@given(scores=st.lists(st.integers(0, 100), max_size=60))
def test_alerts_never_repeat_without_a_recovery_in_between(scores: list[int]) -> None:
    alerted, recovered_since_alert, alerts = False, True, 0
    for score in scores:
        state = after_check(alerted, score)
        if state.alert_now:
            assert recovered_since_alert and score < 50
            alerts += 1
            recovered_since_alert = False
        if score > 55:
            recovered_since_alert = True
        alerted = state.alerted
    assert alerts <= len(scores)
