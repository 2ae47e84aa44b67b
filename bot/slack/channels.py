"""What a Slack id says about the conversation it names, read from its prefix."""

from __future__ import annotations

# User ids start with U, or W on Enterprise Grid; direct-message channel ids with D.
_USER_PREFIXES = frozenset("UW")
_DM_PREFIX = "D"


def is_user(target: str) -> bool:
    """Whether the id names a person (a message to it goes to their DM with the bot)."""
    return target[:1] in _USER_PREFIXES


def is_direct_message(channel_id: str) -> bool:
    """Whether a message to this id lands in a DM with one of our users, never a shared channel."""
    return is_user(channel_id) or channel_id[:1] == _DM_PREFIX
