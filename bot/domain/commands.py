"""The `/desk` command language: text in, a typed command (or a clear usage error) out."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.incident_commands import (
    INCIDENT_HELP,
    IncidentCommand,
    IncidentCommandError,
    parse_incident,
)
from bot.domain.reports import parse_month
from bot.domain.tickets import Priority, ResolutionKind, parse_ticket_ref

USAGE: dict[str, str] = {
    "help": "/desk help",
    "claim": "/desk claim <ticket>",
    "assign": "/desk assign <ticket> @user",
    "resolve": "/desk resolve <ticket> [note]",
    "close": "/desk close <ticket> duplicate|noise [note]",
    "noise": "/desk noise <ticket> [note]",
    "reopen": "/desk reopen <ticket>",
    "wait": "/desk wait <ticket>",
    "priority": "/desk priority <ticket> P1|P2|P3|P4",
    "escalate": "/desk escalate <ticket> [reason]",
    "mine": "/desk mine",
    "queue": "/desk queue [account]",
    "account": "/desk account <name|#channel>",
    "report": "/desk report [YYYY-MM]",
    "link": "/desk link #channel <account> [tier]",
    "incident": INCIDENT_HELP,
}


class CommandError(ValueError):
    """A command the user typed wrong: what was wrong and the right usage."""

    def __init__(self, problem: str, usage: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.usage = usage


@dataclass(frozen=True)
class Help:
    """Show the command list."""


@dataclass(frozen=True)
class Claim:
    """Take ownership of a ticket."""

    ticket: int


@dataclass(frozen=True)
class Assign:
    """Give a ticket to a teammate."""

    ticket: int
    user_id: str


@dataclass(frozen=True)
class Resolve:
    """Mark a ticket resolved, optionally with an internal note."""

    ticket: int
    note: str = ""


@dataclass(frozen=True)
class Close:
    """Close a ticket that needed no answer (a duplicate, or noise): no survey is asked."""

    ticket: int
    kind: ResolutionKind
    note: str = ""


@dataclass(frozen=True)
class Reopen:
    """Reopen a resolved ticket."""

    ticket: int


@dataclass(frozen=True)
class Wait:
    """Mark a ticket as waiting on the customer."""

    ticket: int


@dataclass(frozen=True)
class SetPriority:
    """Change a ticket's priority."""

    ticket: int
    priority: Priority


@dataclass(frozen=True)
class Escalate:
    """Escalate a ticket to the managers now."""

    ticket: int
    reason: str = ""


@dataclass(frozen=True)
class Mine:
    """List the caller's open tickets."""


@dataclass(frozen=True)
class Queue:
    """List open tickets, optionally of one account."""

    account: str | None = None


@dataclass(frozen=True)
class AccountInfo:
    """Show an account by name or by one of its channels."""

    name: str | None = None
    channel_id: str | None = None


@dataclass(frozen=True)
class SendReport:
    """Send the caller (a manager) a month's SLA report with its chart, by DM."""

    month: str | None = None  # YYYY-MM; None: this month so far


@dataclass(frozen=True)
class Link:
    """Link a shared channel to an account (created when new)."""

    channel_id: str
    account: str
    tier: str | None = None


DeskCommand = (
    Help
    | Claim
    | Assign
    | Resolve
    | Close
    | Reopen
    | Wait
    | SetPriority
    | Escalate
    | Mine
    | Queue
    | AccountInfo
    | SendReport
    | Link
    | IncidentCommand
)

# The words `close` takes for how a ticket ends without an answer.
CLOSE_KINDS = {
    "duplicate": ResolutionKind.DUPLICATE,
    "dup": ResolutionKind.DUPLICATE,
    "noise": ResolutionKind.NOISE,
}

UTC_ZONE = ZoneInfo("UTC")  # only to check a month's form; the team's zone places it
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
_RAW_CHANNEL = re.compile(r"^[CG][A-Z0-9]{6,}$")
MAX_COMMAND_TEXT = 4000


def parse_user(token: str, usage: str) -> str:
    """A user id from Slack's mention markup `<@U123|name>`."""
    match = _USER.match(token)
    if not match:
        raise CommandError(
            f"'{token}' is not a user mention: type @ and pick the person so Slack links them",
            usage,
        )
    return match.group(1)


def parse_channel(token: str, usage: str) -> str:
    """A channel id from Slack's markup `<#C123|name>` or a bare channel id."""
    match = _CHANNEL.match(token)
    if match:
        return match.group(1)
    if _RAW_CHANNEL.match(token):
        return token
    raise CommandError(
        f"'{token}' is not a channel: type # and pick the channel so Slack links it", usage
    )


def _ref(args: list[str], name: str) -> int:
    if not args:
        raise CommandError(f"`{name}` needs a ticket number.", USAGE[name])
    try:
        return parse_ticket_ref(args[0])
    except ValueError as exc:
        raise CommandError(str(exc), USAGE[name]) from None


def _no_extra(args: list[str], name: str) -> None:
    if args:
        raise CommandError(f"`{name}` takes no more words, got '{' '.join(args)}'.", USAGE[name])


def parse_command(text: str, tiers: Collection[str] = ()) -> DeskCommand:
    """Parse the text after `/desk` into a command; CommandError says what is wrong and how.

    `tiers` are the configured tier names, so `link` can tell a trailing tier from a
    multi-word account name.
    """
    if len(text) > MAX_COMMAND_TEXT:
        raise CommandError(f"That command is too long ({len(text)} characters).", USAGE["help"])
    words = text.split()
    if not words:
        return Help()
    name, args = words[0].casefold(), words[1:]
    if name in {"help", "?"}:
        return Help()
    if name == "claim":
        ticket = _ref(args, name)
        _no_extra(args[1:], name)
        return Claim(ticket)
    if name == "assign":
        ticket = _ref(args, name)
        if len(args) != 2:
            raise CommandError("`assign` needs a ticket and one @user.", USAGE[name])
        return Assign(ticket, parse_user(args[1], USAGE[name]))
    if name == "resolve":
        return Resolve(_ref(args, name), " ".join(args[1:]))
    if name == "close":
        ticket = _ref(args, name)
        if len(args) < 2:
            raise CommandError("`close` needs how it ends: duplicate or noise.", USAGE[name])
        kind = CLOSE_KINDS.get(args[1].casefold())
        if kind is None:
            raise CommandError(
                f"'{args[1]}' is not a way to close a ticket: use duplicate or noise"
                " (`/desk resolve` for an answered request).",
                USAGE[name],
            )
        return Close(ticket, kind, " ".join(args[2:]))
    if name == "noise":
        return Close(_ref(args, name), ResolutionKind.NOISE, " ".join(args[1:]))
    if name == "reopen":
        ticket = _ref(args, name)
        _no_extra(args[1:], name)
        return Reopen(ticket)
    if name == "wait":
        ticket = _ref(args, name)
        _no_extra(args[1:], name)
        return Wait(ticket)
    if name == "priority":
        ticket = _ref(args, name)
        if len(args) != 2:
            raise CommandError("`priority` needs a ticket and a priority.", USAGE[name])
        try:
            return SetPriority(ticket, Priority.parse(args[1]))
        except ValueError as exc:
            raise CommandError(str(exc), USAGE[name]) from None
    if name == "escalate":
        return Escalate(_ref(args, name), " ".join(args[1:]))
    if name == "mine":
        _no_extra(args, name)
        return Mine()
    if name == "queue":
        return Queue(" ".join(args) or None)
    if name == "account":
        if not args:
            raise CommandError("`account` needs an account name or a #channel.", USAGE[name])
        if args[0].startswith("<#") or _RAW_CHANNEL.match(args[0]):
            _no_extra(args[1:], name)
            return AccountInfo(channel_id=parse_channel(args[0], USAGE[name]))
        return AccountInfo(name=" ".join(args))
    if name == "report":
        if len(args) > 1:
            raise CommandError("`report` takes at most one month, like 2026-11.", USAGE[name])
        if args:
            try:
                parse_month(args[0], UTC_ZONE)
            except ValueError as exc:
                raise CommandError(f"{str(exc)[0].upper()}{str(exc)[1:]}.", USAGE[name]) from None
        return SendReport(args[0] if args else None)
    if name == "link":
        if len(args) < 2:
            raise CommandError("`link` needs a #channel and an account name.", USAGE[name])
        channel = parse_channel(args[0], USAGE[name])
        rest = args[1:]
        tier = None
        if len(rest) > 1 and rest[-1].casefold() in {t.casefold() for t in tiers}:
            tier = rest.pop().casefold()
        return Link(channel_id=channel, account=" ".join(rest), tier=tier)
    if name == "incident":
        try:
            return parse_incident(args, text.strip()[len(words[0]) :])
        except IncidentCommandError as exc:
            raise CommandError(exc.problem, exc.usage) from None
    raise CommandError(f"I don't know the command '{words[0]}'.", USAGE["help"])
