"""The emulated Slack world: teams, users, channels and the messages in them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.clock import Clock, SystemClock


@dataclass(frozen=True)
class Team:
    """A Slack organisation (workspace), part of an Enterprise Grid org if `enterprise_id`."""

    id: str
    name: str
    enterprise_id: str | None = None

    @property
    def url(self) -> str:
        """The workspace's address (auth.test's `url`; its messages' links start with it)."""
        return f"https://{self.id.lower()}.slack.test/"


@dataclass(frozen=True)
class User:
    """A person (or bot) belonging to a team."""

    id: str
    name: str
    team_id: str
    real_name: str = ""
    is_bot: bool = False


@dataclass(frozen=True)
class Install:
    """The app installed in a workspace (or, org-wide, in an Enterprise Grid org): its bot."""

    team: Team
    bot_user_id: str
    bot_id: str
    enterprise_id: str | None = None
    is_enterprise_install: bool = False

    @property
    def key(self) -> str:
        """What the app's data is kept under: the workspace, or the org for an org install."""
        return (self.enterprise_id or self.team.id) if self.is_enterprise_install else self.team.id


@dataclass
class Channel:
    """A conversation; `is_ext_shared` marks a Slack Connect channel; `is_im` a DM."""

    id: str
    name: str
    is_ext_shared: bool = False
    member_ids: set[str] = field(default_factory=set)
    is_private: bool = False
    is_im: bool = False
    im_user: str | None = None


@dataclass
class StoredMessage:
    """A message as it stands now (text, blocks, reactions) plus its earlier versions.

    Each entry of `edits` is an earlier version (`text`, `blocks`) and `at`, when it was
    replaced; `posted_at` and `at` are the workspace clock's times (a test's or the demo's).
    """

    channel_id: str
    ts: str
    user: str | None
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    bot_id: str | None = None
    kind: str = "message"  # message | ephemeral
    target_user: str | None = None  # ephemerals: the one person who sees it
    reactions: dict[str, list[str]] = field(default_factory=dict)
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    metadata: dict[str, Any] | None = None  # chat.postMessage `metadata`: event_type + payload
    posted_at: datetime | None = None
    # Files shared with the message (files.completeUploadExternal), as the Web API shows them.
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StoredFile:
    """A file a bot uploaded: announced (files.getUploadURLExternal), its bytes (`data`, once
    posted to the upload URL), then completed and shared (files.completeUploadExternal).

    `shares` lists (channel id, message ts) for each message the file was shared in.
    """

    id: str
    name: str
    length: int  # as announced; `data` holds what was actually sent
    user: str
    team_id: str
    ticket: str  # the last part of its upload URL
    created: int
    alt_txt: str | None = None
    title: str = ""
    data: bytes | None = None
    completed: bool = False
    shares: list[tuple[str, str]] = field(default_factory=list)


class Workspace:
    """Our team, customer orgs, users, channels and every message, as the emulator keeps them."""

    def __init__(
        self,
        our_team: Team,
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        bot_name: str = "connectdesk",
    ) -> None:
        self.our_team = our_team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.teams: dict[str, Team] = {our_team.id: our_team}
        # Where the app is installed; the first is `our_team` with the bot given here.
        self.installs: list[Install] = [Install(our_team, bot_user_id, bot_id)]
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: list[StoredMessage] = []
        self._by_key: dict[tuple[str, str], StoredMessage] = {}
        self._last_micros = 0
        # Uploaded files by id (files.*), their bytes kept for tests to read.
        self.files: dict[str, StoredFile] = {}
        # What time people see on their messages; the emulator sets it to the bot's clock.
        self.clock: Clock = SystemClock()
        self.add_user(User(bot_user_id, bot_name, our_team.id, real_name=bot_name, is_bot=True))

    @classmethod
    def default(cls) -> Workspace:
        """A ready world: our team T0OURTEAM (bot U0BOT, alice U0ALICE, bob U0BOB, manager mia
        U0MIA), customer org T0CUSTOMER (carol U0CAROL, dave U0DAVE); shared channel C0SHARED1
        (#acme-support), internal C0INTERNAL (#acme-internal), escalation C0ESCALATE."""
        ws = cls(Team("T0OURTEAM", "Acme Vendor Inc"))
        ws.add_team(Team("T0CUSTOMER", "Customer Org"))
        for uid, name, team in [
            ("U0ALICE", "alice", "T0OURTEAM"),
            ("U0BOB", "bob", "T0OURTEAM"),
            ("U0MIA", "mia", "T0OURTEAM"),
            ("U0CAROL", "carol", "T0CUSTOMER"),
            ("U0DAVE", "dave", "T0CUSTOMER"),
        ]:
            ws.add_user(User(uid, name, team, real_name=name.title()))
        everyone = {"U0BOT", "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"}
        ws.add_channel(Channel("C0SHARED1", "acme-support", True, everyone))
        ws.add_channel(
            Channel("C0INTERNAL", "acme-internal", False, {"U0BOT", "U0ALICE", "U0BOB", "U0MIA"})
        )
        ws.add_channel(Channel("C0ESCALATE", "support-escalations", False, {"U0BOT", "U0MIA"}))
        return ws

    def add_install(self, install: Install, bot_name: str = "connectdesk") -> Install:
        """The app installed in another workspace (its bot user joins that team)."""
        self.add_team(install.team)
        self.installs = [i for i in self.installs if i.key != install.key] + [install]
        self.add_user(
            User(install.bot_user_id, bot_name, install.team.id, real_name=bot_name, is_bot=True)
        )
        return install

    def remove_install(self, key: str) -> Install | None:
        """The app uninstalled from a workspace; the install it was, if any."""
        gone = next((i for i in self.installs if i.key == key), None)
        self.installs = [i for i in self.installs if i.key != key]
        return gone

    @property
    def primary(self) -> Install:
        """The install made with the workspace (`our_team`), if it is still installed."""
        return next((i for i in self.installs if i.team.id == self.our_team.id), None) or Install(
            self.our_team, self.bot_user_id, self.bot_id
        )

    def install_in(self, channel_id: str) -> Install:
        """The install that hears what happens in a channel: the one whose bot is a member."""
        channel = self.channels.get(channel_id)
        if channel is not None:
            for install in self.installs:
                if install.bot_user_id in channel.member_ids:
                    return install
        return self.primary

    def install_of(self, user_id: str) -> Install:
        """The install serving a person's workspace (or org); the primary one otherwise."""
        team = self.users[user_id].team_id if user_id in self.users else ""
        enterprise = self.enterprise_of(team)
        for install in self.installs:
            if install.team.id == team or (
                install.is_enterprise_install and enterprise and install.enterprise_id == enterprise
            ):
                return install
        return self.primary

    def is_app_bot(self, user_id: str | None) -> bool:
        """Whether a user is one of the app's bot users (in any workspace)."""
        return user_id == self.bot_user_id or any(i.bot_user_id == user_id for i in self.installs)

    def enterprise_of(self, team_id: str) -> str | None:
        """The Enterprise Grid org a workspace belongs to, if any."""
        team = self.teams.get(team_id)
        return team.enterprise_id if team else None

    def add_team(self, team: Team) -> None:
        """Add an organisation."""
        self.teams[team.id] = team

    def add_user(self, user: User) -> None:
        """Add a person."""
        self.users[user.id] = user

    def add_channel(self, channel: Channel) -> None:
        """Add a conversation."""
        self.channels[channel.id] = channel

    def next_ts(self) -> str:
        """A unique, increasing Slack timestamp ("seconds.micros")."""
        micros = max(time.time_ns() // 1000, self._last_micros + 1)
        self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def im_for(self, user_id: str, bot_user_id: str | None = None) -> Channel:
        """A bot's DM channel with a user (opened on first use); the primary bot by default."""
        bot = bot_user_id or self.bot_user_id
        for channel in self.channels.values():
            if channel.is_im and channel.im_user == user_id and bot in channel.member_ids:
                return channel
        # The primary bot's DMs are "D" + the user's id without its "U"; another bot's differ.
        suffix = "" if bot == self.bot_user_id else f"X{bot[1:]}"
        channel = Channel(
            id="D" + user_id[1:] + suffix,
            name=f"dm-{user_id}",
            member_ids={user_id, bot},
            is_im=True,
            im_user=user_id,
        )
        self.add_channel(channel)
        return channel

    def store(self, message: StoredMessage) -> StoredMessage:
        """Keep a new message, stamped with the workspace clock's time."""
        if message.posted_at is None:
            message.posted_at = self.clock.now()
        self.messages.append(message)
        self._by_key[(message.channel_id, message.ts)] = message
        return message

    def edit(self, message: StoredMessage, text: str, blocks: list[dict[str, Any]]) -> None:
        """Replace a message's text and blocks, keeping the version it had and when it changed."""
        message.edits.append(
            {"text": message.text, "blocks": message.blocks, "at": self.clock.now()}
        )
        message.text, message.blocks = text, blocks

    def find(self, channel_id: str, ts: str) -> StoredMessage | None:
        """A stored message by channel and ts."""
        return self._by_key.get((channel_id, ts))

    def thread(self, channel_id: str, ts: str) -> list[StoredMessage]:
        """A thread as its channel sees it: the parent, then its replies, oldest first."""
        found = [
            m
            for m in self.messages
            if m.channel_id == channel_id
            and m.kind == "message"
            and not m.deleted
            and (m.ts == ts or m.thread_ts == ts)
        ]
        return sorted(found, key=lambda m: ts_key(m.ts))


def ts_key(ts: str) -> tuple[int, int]:
    """Sort key for a Slack timestamp ("seconds.micros") that never loses precision."""
    seconds, _, fraction = ts.partition(".")
    return int(seconds), int((fraction or "0").ljust(6, "0")[:6])
