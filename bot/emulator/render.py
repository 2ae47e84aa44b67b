"""Slack's markup as a person reads it: dates, mentions and links."""

from __future__ import annotations

import re
from collections.abc import Mapping

_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<(https?://[^|>]+)(?:\|([^>]*))?>")


def render(text: str, user_names: Mapping[str, str], channel_names: Mapping[str, str]) -> str:
    """Replace date tokens by their fallback, mentions by @name / #name, links by label."""
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _USER.sub(lambda m: "@" + (user_names.get(m.group(1)) or m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(
        lambda m: "#" + (channel_names.get(m.group(1)) or m.group(2) or m.group(1)), text
    )
    return _LINK.sub(lambda m: m.group(2) or m.group(1), text)
