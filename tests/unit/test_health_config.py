"""desk.yml `health:`: the weights default to the code's, any can be set, mistakes have a line."""

from __future__ import annotations

import pytest

from bot.config.desk import ConfigError, parse_desk_config
from bot.domain.health import HealthRules
from tests.support import world


def test_health_rules_default_to_the_codes_and_can_be_set() -> None:
    assert parse_desk_config(world.DESK_YML).health == HealthRules()
    text = world.DESK_YML + "health:\n  per_breach: 8\n  csat_target: 3.5\n  rearm_above: 60\n"
    rules = parse_desk_config(text).health
    assert rules == HealthRules(per_breach=8, csat_target=3.5, rearm_above=60)
    assert isinstance(rules.per_breach, int)


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ("per_breech: 5", "health.per_breech: unknown setting (one of healthy_from, watch_from"),
        ("per_breach: 2.5", "health.per_breach: must be a whole number"),
        ("per_breach: lots", "health.per_breach: Input should be a valid number"),
        ("per_breach: -1", "health: per_breach must not be negative"),
        ("healthy_from: 40", "health: watch_from must be at most healthy_from"),
        ("rearm_above: 40", "health: rearm_above must be between watch_from and 100"),
    ],
)
def test_health_mistakes_name_the_setting_and_its_line(setting: str, problem: str) -> None:
    text = world.DESK_YML + f"health:\n  {setting}\n"
    line = text.count("\n") - 1
    with pytest.raises(ConfigError) as caught:
        parse_desk_config(text)
    [found] = caught.value.problems
    assert found.startswith(f"desk.yml:{line}: ") or found.startswith(f"desk.yml:{line + 1}: ")
    assert problem in found, found
