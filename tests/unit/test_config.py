"""desk.yml: the example validates, and every mistake is reported with its line."""

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config.desk import ConfigError, parse_desk_config
from bot.config.report import policy_table
from bot.domain.csat import CsatPolicy
from bot.domain.incidents import Severity
from bot.domain.tickets import Priority

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """\
team:
  managers: [U0MIA]
  escalation_channel: C0ESC
tiers:
  gold:
    priorities:
      P1: {first_response: 15m, next_response: 30m, resolution: 4h}
      P2: {first_response: 1h, next_response: 2h, resolution: 1d}
      P3: {first_response: 4h, next_response: 8h, resolution: 3d}
      P4: {first_response: 1d, next_response: 2d, resolution: 10d}
accounts:
  - name: Globex
    tier: gold
    shared_channels: [C0SHARED]
    internal_channel: C0INT
"""


def test_example_file_is_valid() -> None:
    config = parse_desk_config((ROOT / "desk.example.yml").read_text())
    assert {"strategic", "growth", "standard"} <= set(config.tiers)
    assert config.policy("strategic", Priority.P1).targets.first_response.total_seconds() == 900
    table = policy_table(config)
    assert "reports: weeks and months in Europe/Berlin" in table
    assert "strategic" in table and "15m" in table and "at 100% + 30m: directors" in table


def test_minimal_defaults() -> None:
    config = parse_desk_config(MINIMAL)
    assert config.default_priority is Priority.P3
    assert config.grouping_window.total_seconds() == 300
    assert [str(s.at) for s in config.tiers["gold"].ladder] == ["75%", "100%"]
    assert config.accounts[0].receipts is True
    assert config.team.timezone == "UTC"


def test_the_team_time_zone_and_a_workspace_of_its_own() -> None:
    text = MINIMAL.replace("team:\n", "team:\n  timezone: Europe/Berlin\n", 1)
    text += "workspaces:\n  T0EMEA:\n    timezone: Asia/Tokyo\n"
    config = parse_desk_config(text)
    assert config.team.timezone == "Europe/Berlin"
    assert config.team_for("T0EMEA").timezone == "Asia/Tokyo"
    assert config.team_for("T0OTHER").timezone == "Europe/Berlin"


def test_digest_times_default_to_monday_nine_and_can_be_set_or_turned_off() -> None:
    schedule = parse_desk_config(MINIMAL).team.digest_schedule()
    assert (schedule.weekday, schedule.at.isoformat(), schedule.weekly, schedule.monthly) == (
        0,
        "09:00:00",
        True,
        True,
    )
    text = MINIMAL.replace("team:\n", "team:\n  digest: {weekly: Fri 16:30, monthly: off}\n", 1)
    schedule = parse_desk_config(text).team.digest_schedule()
    assert (schedule.weekday, schedule.at.isoformat(), schedule.monthly) == (4, "16:30:00", False)
    text = MINIMAL.replace("team:\n", "team:\n  digest: {weekly: off}\n", 1)
    assert not parse_desk_config(text).team.digest_schedule().weekly
    problems = _error(MINIMAL.replace("team:\n", "team:\n  digest: {weekly: Funday 9}\n", 1))
    assert any("'Funday 9' is not a weekday and a time" in p for p in problems), problems


def _error(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_desk_config(text, source="desk.yml")
    return err.value.problems


@pytest.mark.parametrize(
    ("old", "new", "line", "fragment"),
    [
        ("first_response: 15m", "first_response: 15 minutes", 7, "tiers.gold.priorities.P1"),
        ("tier: gold", "tier: platinum", 13, "no tier named 'platinum'"),
        ("managers: [U0MIA]", "managerz: [U0MIA]", 2, "unknown setting"),
        (
            "      P4: {first_response: 1d, next_response: 2d, resolution: 10d}\n",
            "",
            6,
            "targets missing for P4",
        ),
        ("  escalation_channel: C0ESC\n", "", 1, "team.escalation_channel"),
        ("internal_channel: C0INT", "internal_channel: C0SHARED", 15, "cannot also be"),
        (
            "  escalation_channel: C0ESC\n",
            "  escalation_channel: C0ESC\n  timezone: Mars/Olympus\n",
            4,
            "team.timezone: 'Mars/Olympus' is not a time zone",
        ),
    ],
)
def test_errors_point_at_the_line(old: str, new: str, line: int, fragment: str) -> None:
    assert old in MINIMAL
    problems = _error(MINIMAL.replace(old, new))
    assert any(p.startswith(f"desk.yml:{line}:") and fragment in p for p in problems), problems


def test_bad_yaml_reports_line() -> None:
    problems = _error(MINIMAL.replace("tiers:", "tiers: [oops"))
    assert problems[0].startswith("desk.yml:") and "not valid YAML" in problems[0]


def test_unknown_ladder_target_and_calendar() -> None:
    text = MINIMAL.replace(
        "  gold:\n",
        "  gold:\n    calendar: nowhere\n    ladder:\n      - {at: 80%, notify: [ceo]}\n",
    )
    problems = _error(text)
    assert any("no calendar named 'nowhere'" in p for p in problems)
    assert any("unknown target 'ceo'" in p for p in problems)


def test_duplicate_channel_between_accounts() -> None:
    text = (
        MINIMAL
        + """\
  - name: Initech
    tier: gold
    shared_channels: [C0SHARED]
    internal_channel: C0INT2
"""
    )
    problems = _error(text)
    assert any(p.startswith("desk.yml:18:") and "already linked to 'Globex'" in p for p in problems)


def test_a_workspace_overrides_only_what_it_sets() -> None:
    text = MINIMAL.replace(
        "tiers:",
        "workspaces:\n  T0OTHER:\n    managers: U0BOB\n    internal_team_ids: [T0OTHER]\ntiers:",
    )
    config = parse_desk_config(text)
    other = config.team_for("T0OTHER")
    assert other.managers == ("U0BOB",)
    assert other.internal_team_ids == frozenset({"T0OTHER"})
    assert other.escalation_channel == "C0ESC"  # from `team`
    assert config.team_for("T0ELSE") == config.team
    assert config.team.managers == ("U0MIA",)


def test_incident_cadence_keeps_the_defaults_it_does_not_set() -> None:
    config = parse_desk_config(MINIMAL + "incidents:\n  update_every:\n    sev1: 10m\n")
    every = {sev.value: d.total_seconds() for sev, d in config.incidents.update_every.items()}
    assert every == {"sev1": 600, "sev2": 3600, "sev3": 7200, "sev4": 14400}
    assert parse_desk_config(MINIMAL).incidents.update_every[Severity.SEV1].total_seconds() == 1800


def test_csat_is_on_by_default_and_set_per_tier() -> None:
    assert parse_desk_config(MINIMAL).tiers["gold"].csat == CsatPolicy(True, timedelta(0), 2)
    tier = "  gold:\n"
    settings = "    csat: on\n    csat_delay: 1h30m\n    csat_low_score: 3\n"
    text = MINIMAL.replace(tier, tier + settings)
    config = parse_desk_config(text)
    assert config.csat("gold") == CsatPolicy(True, timedelta(minutes=90), 3)
    assert config.csat("gone") == CsatPolicy()  # a tier no longer configured: the defaults
    assert "csat gold: asked 1h 30m after resolved, scores <= 3 alert" in policy_table(config)
    off = parse_desk_config(MINIMAL.replace(tier, f"{tier}    csat: off\n"))
    assert off.csat("gold").enabled is False
    assert "csat gold: off" in policy_table(off)


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ("csat: maybe", "tiers.gold.csat: 'maybe' is not on or off"),
        ("csat: 1", "tiers.gold.csat: '1' is not on or off"),
        ("csat_delay: 5", "tiers.gold.csat_delay: '5' has no unit"),
        ("csat_delay: 0s", "tiers.gold.csat_delay: '0s' is zero"),
        ("csat_delay: 8d", "tiers.gold.csat_delay: the survey delay can be at most 7d"),
        ("csat_low_score: 0", "tiers.gold.csat_low_score: '0' is not a score from 1 to 5"),
        ("csat_low_score: 6", "tiers.gold.csat_low_score: '6' is not a score from 1 to 5"),
        ("csat_low_score: low", "tiers.gold.csat_low_score: 'low' is not a score from 1 to 5"),
        ("csat_low_score: true", "tiers.gold.csat_low_score: 'True' is not a score from 1 to 5"),
        ("csat_score: 2", "tiers.gold.csat_score: unknown setting"),
    ],
)
def test_csat_mistakes_are_one_sentence_with_the_line(setting: str, problem: str) -> None:
    [found] = _error(MINIMAL.replace("  gold:\n", f"  gold:\n    {setting}\n"))
    assert found.startswith("desk.yml:6: ") and problem in found, found
    assert found.count(". ") == 0, found


def test_the_frustration_rule_is_off_unless_configured_and_checked() -> None:
    assert parse_desk_config(MINIMAL).frustration is None
    text = MINIMAL + "triage:\n  frustration: {below: -0.6, tiers: [gold], raise_to: P2}\n"
    rule = parse_desk_config(text).frustration
    assert rule is not None
    assert (rule.below, rule.tiers, rule.raise_to) == (-0.6, ("gold",), Priority.P2)
    line = text.count("\n")
    problems = _error(text.replace("tiers: [gold]", "tiers: [silver]"))
    assert problems == [
        f"desk.yml:{line}: triage.frustration.tiers.0: no tier named 'silver' (tiers: gold)"
    ]
    problems = _error(text.replace("below: -0.6", "below: -2"))
    assert any(p.startswith(f"desk.yml:{line}: triage.frustration.below") for p in problems)
    problems = _error(text.replace("raise_to: P2", "raise_to: P9"))
    assert any("triage.frustration.raise_to" in p for p in problems), problems
