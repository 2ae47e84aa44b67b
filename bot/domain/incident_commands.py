"""`/desk incident …`: declare, update, resolve and status, parsed into typed commands."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.incidents import Audience, Severity, parse_audience

INCIDENT_USAGE: dict[str, str] = {
    "declare": "/desk incident declare <sev1..sev4> <title> accounts: all | tier:<tier> | <names>",
    "update": "/desk incident update <id> <text>",
    "resolve": "/desk incident resolve <id> [text]",
    "status": "/desk incident status <id>",
}
INCIDENT_HELP = "\n".join(INCIDENT_USAGE.values())
MAX_TITLE = 150

_ACCOUNTS = re.compile(r"\baccounts?\s*:", re.IGNORECASE)
_ID = re.compile(r"^#?(\d{1,9})$")


class IncidentCommandError(ValueError):
    """An incident command typed wrong: the problem and the right usage."""

    def __init__(self, problem: str, usage: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.usage = usage


@dataclass(frozen=True)
class DeclareIncident:
    """Declare an incident; anything missing is asked for in a modal."""

    severity: Severity | None
    title: str | None
    audience: Audience | None

    @property
    def complete(self) -> bool:
        """Whether there is enough to declare without asking."""
        return self.severity is not None and bool(self.title) and self.audience is not None


@dataclass(frozen=True)
class UpdateIncident:
    """Post an update to every affected channel."""

    incident: int
    text: str


@dataclass(frozen=True)
class ResolveIncident:
    """Close an incident with an optional closing text."""

    incident: int
    text: str = ""


@dataclass(frozen=True)
class IncidentStatusQuery:
    """Show an incident and each channel's delivery state."""

    incident: int


IncidentCommand = DeclareIncident | UpdateIncident | ResolveIncident | IncidentStatusQuery


def parse_incident_id(text: str, usage: str) -> int:
    """`3` or `#3` → 3."""
    match = _ID.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise IncidentCommandError(f"'{text}' is not an incident number (use 3 or #3).", usage)
    return int(match.group(1))


def parse_declare(rest: str) -> DeclareIncident:
    """`sev2 Exports are delayed accounts: tier:strategic, Globex` (parts may be missing)."""
    usage = INCIDENT_USAGE["declare"]
    audience = None
    split = _ACCOUNTS.search(rest)
    if split:
        try:
            audience = parse_audience(rest[split.end() :])
        except ValueError as exc:
            raise IncidentCommandError(str(exc), usage) from None
        rest = rest[: split.start()]
    words = rest.split()
    severity = None
    if words and (words[0][:3].casefold() == "sev" or words[0] in {"1", "2", "3", "4"}):
        try:
            severity = Severity.parse(words[0])
            words = words[1:]
        except ValueError as exc:
            raise IncidentCommandError(str(exc), usage) from None
    title = " ".join(words) or None
    if title and len(title) > MAX_TITLE:
        raise IncidentCommandError(
            f"The title is too long (at most {MAX_TITLE} characters).", usage
        )
    return DeclareIncident(severity, title, audience)


def parse_incident(args: list[str], raw: str) -> IncidentCommand:
    """Parse the words after `incident`; `raw` is the text after `incident` as typed."""
    if not args:
        raise IncidentCommandError("`incident` needs a subcommand.", INCIDENT_HELP)
    sub = args[0].casefold()
    rest = raw.strip()[len(args[0]) :].strip()
    if sub == "declare":
        return parse_declare(rest)
    if sub not in INCIDENT_USAGE:
        raise IncidentCommandError(f"I don't know `incident {args[0]}`.", INCIDENT_HELP)
    usage = INCIDENT_USAGE[sub]
    if len(args) < 2:
        raise IncidentCommandError(f"`incident {sub}` needs an incident number.", usage)
    number = parse_incident_id(args[1], usage)
    text = rest[len(args[1]) :].strip()
    if sub == "update":
        if not text:
            raise IncidentCommandError("`incident update` needs the text of the update.", usage)
        return UpdateIncident(number, text)
    if sub == "resolve":
        return ResolveIncident(number, text)
    if text:
        raise IncidentCommandError(f"`incident status` takes no more words, got '{text}'.", usage)
    return IncidentStatusQuery(number)
