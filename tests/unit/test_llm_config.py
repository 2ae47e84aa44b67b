"""desk.yml's `llm:` section: off when absent, checked (with its line) when present."""

import pytest

from bot.config.desk import ConfigError, parse_desk_config
from bot.config.llm import DEFAULT_TIMEOUT_SECONDS
from bot.config.report import policy_table
from bot.config.settings import Settings
from tests.support import world as w


def test_drafts_are_off_without_the_section() -> None:
    config = w.desk_config()
    assert config.llm is None
    assert "reply drafts: off" in policy_table(config)


def test_the_section_turns_them_on_with_a_default_timeout() -> None:
    config = w.desk_config(w.DESK_YML + "llm:\n  base_url: http://127.0.0.1:11434/v1\n  model: m\n")
    assert config.llm is not None
    assert (config.llm.base_url, config.llm.model) == ("http://127.0.0.1:11434/v1", "m")
    assert config.llm.timeout_seconds == DEFAULT_TIMEOUT_SECONDS == 8
    assert "reply drafts: m at http://127.0.0.1:11434/v1, 8s timeout" in policy_table(config)


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ("  base_url: localhost:8080\n  model: m\n", "llm.base_url: 'localhost:8080' is not"),
        ("  base_url: ftp://x/v1\n  model: m\n", "is not an http(s) URL"),
        ("  base_url: http://x/v1\n", "llm.model: Field required"),
        ("  base_url: http://x/v1\n  model: ''\n", "llm.model: String should have at least"),
        ("  base_url: http://x/v1\n  model: m\n  timeout_seconds: 0\n", "greater than 0"),
        ("  base_url: http://x/v1\n  model: m\n  timeout_seconds: 600\n", "less than or equal"),
        ("  base_url: http://x/v1\n  model: m\n  api_key: sk-123\n", "llm.api_key: unknown"),
    ],
)
def test_mistakes_are_named_with_their_line(section: str, problem: str) -> None:
    text = w.DESK_YML + "llm:\n" + section
    with pytest.raises(ConfigError) as err:
        parse_desk_config(text, source="desk.yml")
    [message] = err.value.problems
    assert problem in message, message
    assert message.startswith("desk.yml:")
    line = int(message.split(":")[1])
    assert line > w.DESK_YML.count("\n")  # within the llm section, not the top of the file


def test_the_key_comes_from_the_environment_and_is_secret(monkeypatch) -> None:
    monkeypatch.setenv("CONNECTDESK_LLM_API_KEY", "sk-test-123")
    settings = Settings()
    assert settings.llm_api_key is not None
    assert settings.llm_api_key.get_secret_value() == "sk-test-123"
    assert "sk-test-123" not in repr(settings)
    monkeypatch.delenv("CONNECTDESK_LLM_API_KEY")
    assert Settings().llm_api_key is None
