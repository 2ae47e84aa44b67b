"""An account's health, 0 to 100, and why: a pure reading of its recent figures.

Every account starts at 100; each factor that looks bad takes points off, each with a reason a
person can act on ("3 breaches in 90 days (-15)"). The score puts the account in a band; a
crossing into *at risk* is told to its owners and the managers once, and re-armed only when the
score climbs back above `rearm_above` (hysteresis: an account hovering at the line is not
announced at every check).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from enum import StrEnum

HEALTH_WINDOW_DAYS = 90  # breaches, CSAT and sentiment are read over this many days
TREND_WINDOW_DAYS = 30  # volume: the last 30 days against the 30 before
NEGATIVE_SENTIMENT = -0.05  # a VADER compound score below this is a negative message
FULL_SCORE = 100


class Band(StrEnum):
    """Where the score puts an account."""

    HEALTHY = "healthy"
    WATCH = "watch"
    AT_RISK = "at_risk"


BAND_NAMES: dict[Band, str] = {
    Band.HEALTHY: "healthy",
    Band.WATCH: "watch",
    Band.AT_RISK: "at risk",
}


@dataclass(frozen=True)
class HealthRules:
    """The weights and thresholds a support lead may set (desk.yml `health:`)."""

    healthy_from: int = 75
    watch_from: int = 50
    rearm_above: int = 55  # an account alerted at risk is re-armed above this score
    per_breach: int = 5
    max_breaches: int = 30
    csat_target: float = 4.0  # each point of average below this costs `per_csat_point`
    per_csat_point: int = 15
    max_csat: int = 30
    min_csat_answers: int = 3  # fewer ratings are not a trend
    volume_rise: float = 0.5  # a rise of at least this share (50 %) counts
    per_volume_doubling: int = 10  # points per 100 % rise
    max_volume: int = 15
    min_volume: int = 5  # tickets in the last 30 days before a rise counts
    negative_allowance: float = 0.1  # this share of negative messages is normal
    per_negative_share: int = 50  # points per 100 % of negative messages past the allowance
    max_negative: int = 25
    min_scored_messages: int = 5
    per_open_p1: int = 10
    max_open_p1: int = 20
    renewal_soon_days: int = 90
    renewal: int = 10  # a renewal soon weighs only when something else took points off

    def problems(self) -> list[str]:
        """What makes these rules unusable, in plain words (empty when fine)."""
        found = [
            f"{f.name} must not be negative" for f in fields(self) if getattr(self, f.name) < 0
        ]
        if not 0 <= self.watch_from <= self.healthy_from <= FULL_SCORE:
            found.append("watch_from must be at most healthy_from, both between 0 and 100")
        if not self.watch_from <= self.rearm_above <= FULL_SCORE:
            found.append("rearm_above must be between watch_from and 100")
        return found


@dataclass(frozen=True)
class HealthFigures:
    """What an account's recent weeks add up to (from the store)."""

    clocks_met: int = 0  # SLA clock runs met in the 90 days
    breaches: int = 0  # clock runs missed in the 90 days
    csat_average: float | None = None
    csat_answers: int = 0
    opened_recent: int = 0  # tickets opened in the last 30 days
    opened_before: int = 0  # in the 30 days before
    negative_messages: int = 0  # customer messages scored below NEGATIVE_SENTIMENT
    scored_messages: int = 0  # customer messages with a score (not yet scored: unknown)
    open_p1: int = 0
    renewal_date: date | None = None

    @property
    def attainment(self) -> float | None:
        """Share of decided clock runs met, or None when none was decided."""
        decided = self.clocks_met + self.breaches
        return self.clocks_met / decided if decided else None


@dataclass(frozen=True)
class Deduction:
    """Points one factor took off, and why."""

    points: int
    why: str

    @property
    def reason(self) -> str:
        """The reason as people read it: "3 breaches in 90 days (-15)"."""
        return f"{self.why} (-{self.points})"


@dataclass(frozen=True)
class Health:
    """An account's score, its band and what took points off (largest first)."""

    score: int
    band: Band
    deductions: tuple[Deduction, ...] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        """Each deduction in plain words."""
        return tuple(d.reason for d in self.deductions)


def band_of(score: int, rules: HealthRules = HealthRules()) -> Band:
    """The band a score falls in."""
    if score >= rules.healthy_from:
        return Band.HEALTHY
    if score >= rules.watch_from:
        return Band.WATCH
    return Band.AT_RISK


def assess(figures: HealthFigures, today: date, rules: HealthRules = HealthRules()) -> Health:
    """The account's score from its figures; `today` is the team's day (for the renewal)."""
    found = [
        d
        for d in (
            _breaches(figures, rules),
            _csat(figures, rules),
            _volume(figures, rules),
            _sentiment(figures, rules),
            _open_p1(figures, rules),
        )
        if d is not None and d.points > 0
    ]
    if found:
        renewal = _renewal(figures, today, rules)
        if renewal is not None and renewal.points > 0:
            found.append(renewal)
    score = max(0, FULL_SCORE - sum(d.points for d in found))
    ordered = sorted(found, key=lambda d: -d.points)  # stable: factor order among equals
    return Health(score, band_of(score, rules), tuple(ordered))


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _breaches(f: HealthFigures, rules: HealthRules) -> Deduction | None:
    if f.breaches <= 0:
        return None
    points = min(rules.max_breaches, f.breaches * rules.per_breach)
    return Deduction(
        points, f"{_plural(f.breaches, 'breach', 'breaches')} in {HEALTH_WINDOW_DAYS} days"
    )


def _csat(f: HealthFigures, rules: HealthRules) -> Deduction | None:
    if f.csat_average is None or f.csat_answers < rules.min_csat_answers:
        return None
    short = rules.csat_target - f.csat_average
    if short <= 0:
        return None
    points = min(rules.max_csat, round(short * rules.per_csat_point))
    return Deduction(
        points,
        f"CSAT {f.csat_average:.1f}/5 from {f.csat_answers} answers (target {rules.csat_target:g})",
    )


def _volume(f: HealthFigures, rules: HealthRules) -> Deduction | None:
    if f.opened_recent < max(1, rules.min_volume):
        return None
    recent = _plural(f.opened_recent, "ticket", "tickets")
    if f.opened_before == 0:
        return Deduction(
            rules.max_volume,
            f"{recent} in {TREND_WINDOW_DAYS} days, none the {TREND_WINDOW_DAYS} before",
        )
    rise = f.opened_recent / f.opened_before - 1
    if rise < rules.volume_rise:
        return None
    points = min(rules.max_volume, round(rise * rules.per_volume_doubling))
    return Deduction(
        points,
        f"{recent} in {TREND_WINDOW_DAYS} days, up {rise:.0%} on the {TREND_WINDOW_DAYS} before",
    )


def _sentiment(f: HealthFigures, rules: HealthRules) -> Deduction | None:
    if f.scored_messages < max(1, rules.min_scored_messages):
        return None
    negative = min(f.negative_messages, f.scored_messages)
    share = negative / f.scored_messages
    past = share - rules.negative_allowance
    if past <= 0:
        return None
    points = min(rules.max_negative, round(past * rules.per_negative_share))
    return Deduction(
        points,
        f"{negative} of {f.scored_messages} customer messages negative ({share:.0%})",
    )


def _open_p1(f: HealthFigures, rules: HealthRules) -> Deduction | None:
    if f.open_p1 <= 0:
        return None
    points = min(rules.max_open_p1, f.open_p1 * rules.per_open_p1)
    return Deduction(points, _plural(f.open_p1, "open P1 ticket", "open P1 tickets"))


def _renewal(f: HealthFigures, today: date, rules: HealthRules) -> Deduction | None:
    if f.renewal_date is None:
        return None
    days = (f.renewal_date - today).days
    if not 0 <= days <= rules.renewal_soon_days:
        return None
    return Deduction(rules.renewal, f"renews in {days} days ({f.renewal_date.isoformat()})")


@dataclass(frozen=True)
class Alerting:
    """Whether an account stands alerted at risk after a check, and whether to alert now."""

    alerted: bool
    alert_now: bool


def after_check(alerted: bool, score: int, rules: HealthRules = HealthRules()) -> Alerting:
    """The alert state after a check: into *at risk* while armed alerts (once); an alerted
    account is re-armed only once its score is back above `rules.rearm_above`."""
    if not alerted and band_of(score, rules) is Band.AT_RISK:
        return Alerting(alerted=True, alert_now=True)
    if alerted and score > rules.rearm_above:
        return Alerting(alerted=False, alert_now=False)
    return Alerting(alerted=alerted, alert_now=False)
