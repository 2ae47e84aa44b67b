"""The App Home of our own people: their tickets by time left, the unassigned tickets of their
accounts, and for managers the team's SLA state now and this month's figures.

Everything someone typed (a customer's request, an account or incident name) is escaped
where it is quoted, as in every internal message. A Home holds at most 100 blocks: each list
shows its first tickets and says how many more there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.sla import SlaFlag
from bot.domain.tickets import TicketStatus
from bot.messages.base import MAX_HOME_BLOCKS, InternalHome
from bot.messages.health import AccountHealthLine, list_line
from bot.messages.markup import Mrkdwn, md, mention, quote

HOME_CLAIM_ACTION = "home_claim"
HOME_RESOLVE_ACTION = "home_resolve"

# How many tickets each list shows (two blocks each): with the manager's section the Home
# stays well under Slack's 100 blocks.
MINE_SHOWN = 15
UNASSIGNED_SHOWN = 10
URGENT_SHOWN = 5
HEALTH_SHOWN = 5  # accounts at risk or on watch named on a manager's Home
SUMMARY_SHOWN = 150

FLAG_MARK: dict[str, str] = {SlaFlag.AT_RISK: ":warning: ", SlaFlag.BREACHED: ":red_circle: "}
CLOCK_NAMES: dict[str, str] = {
    "first_response": "first response",
    "next_response": "next response",
    "resolution": "resolution",
}


@dataclass(frozen=True)
class HomeTicket:
    """One ticket as a Home line shows it."""

    ticket_id: int
    number: int
    account: str
    priority: str
    status: str
    summary: str  # the customer's words, as Slack sent them
    owner: str | None
    due: datetime | None  # when its nearest running clock runs out
    clock: str  # that clock's name ("first response"...), "" when none runs
    sla_flag: str = SlaFlag.OK


@dataclass(frozen=True)
class TicketList:
    """The first tickets of a list, and how many it has in all."""

    tickets: tuple[HomeTicket, ...] = ()
    total: int = 0


@dataclass(frozen=True)
class AttainmentCell:
    """The share of one tier's clocks of one kind met this month (None: none ran)."""

    tier: str
    clock: str  # first_response | next_response | resolution
    percent: float | None


@dataclass(frozen=True)
class ManagerFigures:
    """This month's figures a manager's Home shows: filled in by the reports service.

    The seam between the Home and the reports: the Home renders whatever is set and says
    the figures come with the monthly report while nothing is.
    """

    month: str = ""  # how the month is named, e.g. "November 2026"
    attainment: tuple[AttainmentCell, ...] = ()
    breaches: int | None = None
    csat_average: float | None = None  # 1 to 5
    csat_response_rate: float | None = None  # share of surveys answered, 0 to 1

    @property
    def empty(self) -> bool:
        """Whether the reports gave nothing to show."""
        return (
            not self.attainment
            and self.breaches is None
            and self.csat_average is None
            and self.csat_response_rate is None
        )


@dataclass(frozen=True)
class OpenIncident:
    """An incident not yet resolved."""

    number: int
    severity: str
    status: str
    title: str  # typed by staff: quoted, escaped


@dataclass(frozen=True)
class AccountsHealth:
    """The accounts at risk or on watch as the last health check scored them, worst first:
    the first few, and how many in all."""

    accounts: tuple[AccountHealthLine, ...] = ()
    total: int = 0


@dataclass(frozen=True)
class ManagerSection:
    """What a manager sees besides their own lists: the team's SLA state now, this month."""

    open_tickets: int
    at_risk: int
    breached: int
    urgent: tuple[HomeTicket, ...] = ()  # breached and at-risk tickets, soonest due first
    incidents: tuple[OpenIncident, ...] = ()
    figures: ManagerFigures = field(default_factory=ManagerFigures)
    health: AccountsHealth = field(default_factory=AccountsHealth)


@dataclass(frozen=True)
class AgentHome:
    """Everything one of our people's Home shows, read at one instant (`now`)."""

    user_id: str
    now: datetime
    mine: TicketList
    unassigned: TicketList
    owns_accounts: bool = True
    manager: ManagerSection | None = None
    notice: str = ""  # the answer to their last press (already markup)


def short_duration(td: timedelta) -> str:
    """`2h 10m`, `3d 4h`, `15m`; under a minute `<1m` (the two largest units, whole minutes)."""
    minutes = int(td.total_seconds()) // 60
    if minutes < 1:
        return "<1m"
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts[:2])


def time_left(ticket: HomeTicket, now: datetime) -> str:
    """What is left on the ticket's nearest clock: `2h 10m left`, `overdue 15m`."""
    if ticket.due is None:
        return "waiting on the customer" if ticket.status == TicketStatus.WAITING else "no clock"
    left = ticket.due - now
    shown = (
        f"{short_duration(left)} left"
        if left >= timedelta(0)
        else f"overdue {short_duration(-left)}"
    )
    return f"{shown} ({ticket.clock})" if ticket.clock else shown


def _ticket_text(ticket: HomeTicket, now: datetime, *, show_owner: bool = False) -> Mrkdwn:
    owner = md(" · {}", mention(ticket.owner)) if show_owner and ticket.owner else ""
    return md(
        "{}*#{}* · {} · {} · *{}*{}\n> {}",
        Mrkdwn(FLAG_MARK.get(ticket.sla_flag, "")),
        ticket.number,
        ticket.account,
        ticket.priority,
        time_left(ticket, now),
        owner,
        quote(" ".join(ticket.summary.split()), SUMMARY_SHOWN),
    )


def _button(label: str, action_id: str, ticket_id: int, style: str | None = None) -> dict:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": str(ticket_id),
    }
    if style:
        button["style"] = style
    return button


def _ticket_blocks(ticket: HomeTicket, now: datetime, claimable: bool) -> list[dict]:
    buttons = []
    if claimable:
        buttons.append(_button("Claim", HOME_CLAIM_ACTION, ticket.ticket_id, "primary"))
    buttons.append(_button("Resolve", HOME_RESOLVE_ACTION, ticket.ticket_id))
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": _ticket_text(ticket, now)}},
        {"type": "actions", "block_id": f"home:{ticket.ticket_id}", "elements": buttons},
    ]


def _header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def _section(text: str | Mrkdwn) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str | Mrkdwn) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _list_blocks(
    title: str, tickets: TicketList, now: datetime, claimable: bool, empty: str, more: str
) -> list[dict]:
    blocks = [_header(f"{title} ({tickets.total})")]
    if not tickets.tickets:
        return [*blocks, _section(empty)]
    for ticket in tickets.tickets:
        blocks += _ticket_blocks(ticket, now, claimable)
    hidden = tickets.total - len(tickets.tickets)
    if hidden > 0:
        blocks.append(_context(md("…and {} more: {}", hidden, more)))
    return blocks


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} %"


def _figures_blocks(figures: ManagerFigures) -> list[dict]:
    title = f"This month ({figures.month})" if figures.month else "This month"
    if figures.empty:
        return [
            _header(title),
            _context(
                "SLA attainment by tier and clock, breaches and CSAT come with the monthly report."
            ),
        ]
    lines: list[Mrkdwn] = []
    tiers = list(dict.fromkeys(cell.tier for cell in figures.attainment))
    for tier in tiers:
        cells = {c.clock: c.percent for c in figures.attainment if c.tier == tier}
        shown = Mrkdwn(" · ").join(
            md("{} {}", name, _percent(cells[clock]))
            for clock, name in CLOCK_NAMES.items()
            if clock in cells
        )
        lines.append(md("*{}*: {}", tier, shown))
    if figures.breaches is not None:
        lines.append(md("Breaches: *{}*", figures.breaches))
    if figures.csat_average is not None or figures.csat_response_rate is not None:
        average = "—" if figures.csat_average is None else f"{figures.csat_average:.1f} / 5"
        rate = (
            "—"
            if figures.csat_response_rate is None
            else f"{figures.csat_response_rate * 100:.0f} %"
        )
        lines.append(md("CSAT: *{}* ({} answered)", average, rate))
    return [_header(title), _section(Mrkdwn("\n").join(lines))]


def _manager_blocks(section: ManagerSection, now: datetime) -> list[dict]:
    counts = [
        md("*Open tickets*\n{}", section.open_tickets),
        md("*At risk* (< 25 % of a clock left)\n{}", section.at_risk),
        md("*Breached, still open*\n{}", section.breached),
        md("*Open incidents*\n{}", len(section.incidents)),
    ]
    blocks: list[dict] = [
        {"type": "divider"},
        _header("Team now"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in counts]},
    ]
    if section.urgent:
        lines = [
            md(
                "• {}*#{}* · {} · {} · *{}* · {}",
                Mrkdwn(FLAG_MARK.get(t.sla_flag, "")),
                t.number,
                t.account,
                t.priority,
                time_left(t, now),
                mention(t.owner) if t.owner else "unassigned",
            )
            for t in section.urgent
        ]
        blocks.append(_section(md("*Most urgent*\n{}", Mrkdwn("\n").join(lines))))
    if section.incidents:
        lines = [
            md(
                ":rotating_light: *#{}* {} · {} — {}",
                i.number,
                i.severity,
                i.status,
                quote(i.title, 200),
            )
            for i in section.incidents[:URGENT_SHOWN]
        ]
        hidden = len(section.incidents) - URGENT_SHOWN
        if hidden > 0:
            lines.append(md("…and {} more: {}", hidden, "`/desk incident status <id>`"))
        blocks.append(_section(md("*Incidents under way*\n{}", Mrkdwn("\n").join(lines))))
    blocks.append(_health_block(section.health))
    return blocks + _figures_blocks(section.figures)


def _health_block(health: AccountsHealth) -> dict:
    if not health.total:
        return _section(md("*Account health*: no account at risk or on watch"))
    # The first few only: Slack refuses the whole Home when one section passes 3,000
    # characters (200 accounts with their reasons made 17,000).
    lines = [list_line(a) for a in health.accounts[:HEALTH_SHOWN]]
    hidden = health.total - len(lines)
    if hidden > 0:
        lines.append(md("…and {} more: {}", hidden, "`/desk account <name>`"))
    return _section(md("*Account health*\n{}", Mrkdwn("\n").join(lines)))


def agent_home(home: AgentHome) -> InternalHome:
    """The Home of one of our people (a manager's has the team's section after theirs)."""
    blocks: list[dict] = []
    if home.notice:
        blocks.append(_context(Mrkdwn(home.notice)))
    blocks += _list_blocks(
        "Your open tickets",
        home.mine,
        home.now,
        False,
        "Nothing open for you. :tada:",
        "`/desk mine` lists them all",
    )
    blocks.append({"type": "divider"})
    empty = (
        "Nothing unassigned in your accounts."
        if home.owns_accounts
        else "No account lists you on its team, so none is shown here."
    )
    blocks += _list_blocks(
        "Unassigned in your accounts",
        home.unassigned,
        home.now,
        True,
        empty,
        "`/desk queue <account>` lists them all",
    )
    if home.manager is not None:
        blocks += _manager_blocks(home.manager, home.now)
    blocks.append(_context(md("Updated {}", _updated(home.now))))
    return InternalHome(blocks=tuple(blocks[:MAX_HOME_BLOCKS]))


def _updated(at: datetime) -> Mrkdwn:
    return md(
        "<!date^{}^{{date_short}} {{time}}|{}>", int(at.timestamp()), at.strftime("%d %b %H:%M UTC")
    )
