"""Whether an account is a renewal risk, and why: a pure reading of its last 90 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

HEALTH_WINDOW_DAYS = 90


@dataclass(frozen=True)
class RiskRules:
    """The thresholds a support lead would set; the defaults are what peers ship."""

    min_attainment: float = 0.90  # share of SLA clocks met
    min_clocks: int = 5  # fewer finished clocks say too little to flag on
    min_csat: float = 3.5  # average rating, 1-5
    min_answers: int = 3
    renewal_soon_days: int = 90


@dataclass(frozen=True)
class AccountHealth:
    """What an account's last 90 days add up to (from the reports)."""

    clocks_met: int
    clocks_missed: int
    csat_average: float | None
    csat_answers: int
    renewal_date: date | None

    @property
    def attainment(self) -> float | None:
        """Share of finished clocks met, or None when none finished."""
        done = self.clocks_met + self.clocks_missed
        return self.clocks_met / done if done else None


@dataclass(frozen=True)
class Risk:
    """The flag and the reasons a person can act on (empty when not flagged)."""

    flagged: bool
    reasons: tuple[str, ...]


def assess(health: AccountHealth, today: date, rules: RiskRules = RiskRules()) -> Risk:
    """Flag the account when its service fell short; a near renewal is said, never a cause."""
    reasons: list[str] = []
    attainment = health.attainment
    finished = health.clocks_met + health.clocks_missed
    if attainment is not None and finished >= rules.min_clocks:
        if attainment < rules.min_attainment:
            reasons.append(
                f"SLA attainment {attainment:.0%} over {HEALTH_WINDOW_DAYS} days"
                f" ({health.clocks_missed} of {finished} clocks missed;"
                f" target {rules.min_attainment:.0%})"
            )
    if health.csat_average is not None and health.csat_answers >= rules.min_answers:
        if health.csat_average < rules.min_csat:
            reasons.append(
                f"CSAT {health.csat_average:.1f}/5 from {health.csat_answers} answers"
                f" (below {rules.min_csat:g})"
            )
    if not reasons:
        return Risk(False, ())
    if health.renewal_date is not None:
        days = (health.renewal_date - today).days
        if 0 <= days <= rules.renewal_soon_days:
            reasons.append(f"renews in {days} days ({health.renewal_date.isoformat()})")
    return Risk(True, tuple(reasons))
