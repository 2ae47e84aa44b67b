"""Slack's markup as a person reads it: dates, mentions, links and the three escapes."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
# @channel, @here, @everyone; a user group shows its handle (or its id without one).
_BROADCAST = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_CHARACTER = {"amp": "&", "lt": "<", "gt": ">"}


def render(text: str, user_names: Mapping[str, str], channel_names: Mapping[str, str]) -> str:
    """Replace date tokens by their fallback, mentions by @name / #name, links by label, and
    `&amp;` `&lt;` `&gt;` by the characters they stand for (last, and in one pass, so escaped
    text never turns into markup)."""
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _USER.sub(lambda m: "@" + (user_names.get(m.group(1)) or m.group(2) or m.group(1)), text)
    text = _CHANNEL.sub(
        lambda m: "#" + (channel_names.get(m.group(1)) or m.group(2) or m.group(1)), text
    )
    text = _BROADCAST.sub(lambda m: "@" + m.group(1), text)
    text = _SUBTEAM.sub(lambda m: m.group(2) or "@" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return _ENTITY.sub(lambda m: _CHARACTER[m.group(1)], text)


def blocks_text(blocks: list[dict[str, Any]], read: Callable[[str], str]) -> str:
    """Block Kit as a person reads it, one line per line shown: headers and sections (fields
    one per line), context, buttons as `[Label]`, dividers as `---`; mrkdwn through `read`."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "divider":
            lines.append("---")
        elif kind == "actions":
            labels = [_text(e.get("text"), read) for e in block.get("elements") or []]
            lines.append(" ".join(f"[{label}]" for label in labels))
        elif kind == "context":
            lines.append(" ".join(_text(e, read) for e in block.get("elements") or []))
        else:
            shown = [_text(block.get("text"), read)] + [
                _text(f, read) for f in block.get("fields") or []
            ]
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "button":
                shown.append(f"[{_text(accessory.get('text'), read)}]")
            lines += [line for text in shown if text for line in text.splitlines()]
    return "\n".join(lines)


def _text(obj: Any, read: Callable[[str], str]) -> str:
    """A text object's words: mrkdwn as read, plain text as it is."""
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return ""
    return read(obj["text"]) if obj.get("type") == "mrkdwn" else str(obj["text"])
