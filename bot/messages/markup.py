"""Slack's mrkdwn: people's words escaped, the bot's own markup kept (DESIGN.md, the twin rule).

Whatever a person typed (a customer's message, a note, a reason, an incident title, an account
name, words echoed back from a command) is escaped before it is put into a message: `&`, `<`
and `>` become `&amp;`, `&lt;` and `&gt;`, so a quoted `<!channel>` or `<@U…>` pings no one and
a quoted `<http://…|label>` is no link. `Mrkdwn` marks text that is already markup (the bot's
own mentions, date tokens and links, and escaped quotes); putting plain text into it with
`+`, `format`, `join` or `%` escapes the plain text (markupsafe's `Markup`, with Slack's three
entities instead of HTML's five), so a builder cannot forget. An f-string gives a plain `str`:
messages escape plain text whole, so a forgotten `Mrkdwn` shows the markup rather than pinging.

Text from Slack (events, slash commands) arrives with `&`, `<`, `>` already escaped, while a
mention the person made is `<!channel>`: escaping keeps `&amp;`, `&lt;` and `&gt;` as they are
(they already stand for a character), so doing it twice changes nothing.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from markupsafe import Markup

_UNSAFE = re.compile(r"&(?!(?:amp|lt|gt);)|[<>]")
_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ENTITIES = tuple(_ENTITY.values())
_ID = re.compile(r"[A-Z0-9]+")
ELLIPSIS = "…"

Text = TypeVar("Text", bound=str)


def escape_text(text: str) -> str:
    """`text` with `&`, `<`, `>` escaped as Slack asks; the three entities are kept as they are."""
    return _UNSAFE.sub(lambda m: _ENTITY[m.group()], text)


class Mrkdwn(Markup):
    """Text that is already Slack markup; plain text combined with it is escaped first."""

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any, /) -> Mrkdwn:
        """Plain text escaped (markup stays as it is)."""
        if isinstance(s, Mrkdwn):
            return s
        return cls(escape_text(str(s)))


def md(template: str, /, *args: Any, **kwargs: Any) -> Mrkdwn:
    """Fill the bot's own `template` (markup) with values, escaping each that is not Mrkdwn."""
    return Mrkdwn(template).format(*args, **kwargs)


def quote(text: str, limit: int | None = None) -> Mrkdwn:
    """A person's words, escaped, and clipped (if `limit`) without cutting an entity."""
    escaped = Mrkdwn.escape(text)
    return clip(escaped, limit) if limit is not None else escaped


def mention(user_id: str) -> Mrkdwn:
    """The bot's own mention of a user (an id that is not one is shown as text)."""
    return md("<@{}>", user_id) if _ID.fullmatch(user_id or "") else Mrkdwn.escape(user_id)


def channel(channel_id: str) -> Mrkdwn:
    """The bot's own link to a channel (an id that is not one is shown as text)."""
    if _ID.fullmatch(channel_id or ""):
        return md("<#{}>", channel_id)
    return Mrkdwn.escape(channel_id)


def link(url: str, label: str) -> Mrkdwn:
    """A link the bot makes; Slack reads `&amp;` in the URL as `&`, and `|` ends the URL."""
    return md("<{}|{}>", url.replace("|", "%7C"), label)


def clip(text: Text, limit: int) -> Text:
    """Shorten text to `limit` characters, marking the cut; never inside an entity or a token.

    A `&amp;` cut in half would show as "&am", and half a `<!date^…>` or link token as raw
    markup: the cut moves back to before either. Mrkdwn stays Mrkdwn.
    """
    if len(text) <= limit:
        return text
    cut = max(limit - len(ELLIPSIS), 0)
    start = text.rfind("&", max(cut - 4, 0), cut)
    if start != -1 and any(text.startswith(e, start) and start + len(e) > cut for e in _ENTITIES):
        cut = start
    opened = text.rfind("<", 0, cut)
    if opened != -1 and text.find(">", opened, cut) == -1:
        cut = opened
    head = str.__getitem__(text, slice(0, cut)) + ELLIPSIS
    return Mrkdwn(head) if isinstance(text, Mrkdwn) else head  # type: ignore[return-value]
