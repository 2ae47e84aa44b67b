"""Typed values the handlers parse Slack payloads into; services take only these."""

from __future__ import annotations

from dataclasses import dataclass

# Message subtypes that are a person writing something new; everything else (edits,
# deletions, joins, bot messages, topic changes...) never opens or touches a ticket.
NEW_POST_SUBTYPES = frozenset({None, "", "thread_broadcast", "file_share"})


@dataclass(frozen=True)
class IncomingMessage:
    """A message event from a channel."""

    event_id: str
    team_id: str
    channel_id: str
    user_id: str | None
    user_team: str | None
    text: str
    ts: str
    thread_ts: str | None
    subtype: str | None
    bot_id: str | None
    is_ext_shared_channel: bool = False

    @property
    def is_reply(self) -> bool:
        """Posted inside a thread rather than at the top of the channel."""
        return bool(self.thread_ts) and self.thread_ts != self.ts

    @property
    def is_new_post(self) -> bool:
        """A person's new message (not an edit, deletion, join, or bot post)."""
        return self.subtype in NEW_POST_SUBTYPES and not self.bot_id and bool(self.user_id)


@dataclass(frozen=True)
class ChannelJoined:
    """The bot was added to a channel, or a channel became shared."""

    event_id: str
    team_id: str
    channel_id: str
    user_id: str | None
    is_ext_shared: bool | None


@dataclass(frozen=True)
class HomeOpened:
    """Someone opened the app's Home (`tab` "home") or its Messages tab."""

    event_id: str
    team_id: str
    user_id: str
    tab: str


@dataclass(frozen=True)
class Caller:
    """Who ran a command or pressed a button, and where."""

    team_id: str
    user_id: str
    channel_id: str | None
    trigger_id: str | None = None  # slash commands and buttons: lets us open a modal
    user_team: str | None = None  # the person's own team, when the payload says (buttons, forms)


@dataclass(frozen=True)
class DeclareForm:
    """The incident declaration form as submitted (raw text, checked by the service)."""

    severity: str
    title: str
    accounts: str
