"""`llm:` in desk.yml: an OpenAI-compatible endpoint that drafts replies (off when absent).

Without this section nothing is ever sent to any model. The key is not in the file: it comes
from the environment (`CONNECTDESK_LLM_API_KEY`, bot/config/settings.py).
"""

from __future__ import annotations

from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_TIMEOUT_SECONDS = 8.0
# Longer would leave a draft arriving well after someone has started answering.
MAX_TIMEOUT_SECONDS = 60.0


class LlmSettings(BaseModel):
    """Where drafts are asked for: the endpoint's base URL, the model, how long to wait."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str
    model: str = Field(min_length=1)
    timeout_seconds: float = Field(default=DEFAULT_TIMEOUT_SECONDS, gt=0, le=MAX_TIMEOUT_SECONDS)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parsed = urlparse(value.strip())
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(
                f"'{value}' is not an http(s) URL (e.g. https://api.openai.com/v1 or"
                " http://127.0.0.1:11434/v1)"
            )
        return value.strip()
