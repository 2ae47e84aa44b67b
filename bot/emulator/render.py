"""Slack's markup as a person reads it: dates, mentions, links and escaped characters."""

from __future__ import annotations

import re
from collections.abc import Mapping

_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_GROUP = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def render(text: str, user_names: Mapping[str, str], channel_names: Mapping[str, str]) -> str:
    """Dates by their fallback, mentions by @name / #name, links by label, `&lt;` as `<`.

    `*bold*` and `_italics_` stay as written: in plain text they still read as emphasis.
    """
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _USER.sub(lambda m: "@" + (user_names.get(m.group(1)) or m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(
        lambda m: "#" + (channel_names.get(m.group(1)) or m.group(2) or m.group(1)), text
    )
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _GROUP.sub(lambda m: m.group(1) or "@group", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    # Slack escapes only &, < and > (so not html.unescape); after the tokens, so that an
    # escaped "&lt;@U1&gt;" stays text; &amp; last, so "&amp;lt;" reads "&lt;".
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
