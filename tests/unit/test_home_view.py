"""The App Home's views: what is left on a clock, the manager's figures, Slack's block limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.health import Band
from bot.domain.sla import SlaFlag
from bot.messages.base import CustomerHome, HomeView
from bot.messages.health import AccountHealthLine
from bot.messages.home import (
    MINE_SHOWN,
    UNASSIGNED_SHOWN,
    URGENT_SHOWN,
    AccountsHealth,
    AgentHome,
    AttainmentCell,
    HomeTicket,
    ManagerFigures,
    ManagerSection,
    OpenIncident,
    TicketList,
    agent_home,
    short_duration,
    time_left,
)

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def ticket(number: int, due: timedelta | None = timedelta(hours=1), **given) -> HomeTicket:
    fields = {
        "ticket_id": number,
        "number": number,
        "account": "Globex",
        "priority": "P2",
        "status": "open",
        "summary": f"Request {number}",
        "owner": None,
        "due": NOW + due if due is not None else None,
        "clock": "first response" if due is not None else "",
    }
    return HomeTicket(**{**fields, **given})


def texts(view: HomeView) -> str:
    return json.dumps(view.blocks, ensure_ascii=False)


@pytest.mark.parametrize(
    ("left", "shown"),
    [
        (timedelta(seconds=59), "<1m"),
        (timedelta(minutes=15, seconds=59), "15m"),
        (timedelta(hours=2, minutes=10), "2h 10m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=3, hours=4, minutes=5), "3d 4h"),
        (timedelta(days=2, minutes=5), "2d 5m"),
    ],
)
def test_short_durations_show_the_two_largest_units(left: timedelta, shown: str) -> None:
    assert short_duration(left) == shown


def test_time_left_on_the_nearest_clock() -> None:
    assert time_left(ticket(1, timedelta(hours=2, minutes=10)), NOW) == (
        "2h 10m left (first response)"
    )
    assert time_left(ticket(1, -timedelta(minutes=15), clock="resolution"), NOW) == (
        "overdue 15m (resolution)"
    )
    assert time_left(ticket(1, timedelta(0)), NOW) == "<1m left (first response)"
    assert time_left(ticket(1, None, status="waiting"), NOW) == "waiting on the customer"
    assert time_left(ticket(1, None), NOW) == "no clock"


def test_monthly_figures_show_once_the_reports_fill_them_in() -> None:
    figures = ManagerFigures(
        month="November 2026",
        attainment=(
            AttainmentCell("strategic", "first_response", 96.4),
            AttainmentCell("strategic", "next_response", None),
            AttainmentCell("strategic", "resolution", 88.0),
            AttainmentCell("<standard>", "first_response", 100.0),
        ),
        breaches=4,
        csat_average=4.26,
        csat_response_rate=0.625,
    )
    assert not figures.empty and ManagerFigures().empty
    health = AccountsHealth(
        (
            AccountHealthLine(
                "Globex & <!here>", 35, Band.AT_RISK, ("2 breaches in 90 days (-10)",)
            ),
        ),
        1,
    )
    section = ManagerSection(open_tickets=3, at_risk=1, breached=0, figures=figures, health=health)
    home = agent_home(AgentHome("U0MIA", NOW, TicketList(), TicketList(), manager=section))

    shown = texts(home)
    assert "This month (November 2026)" in shown
    assert "*strategic*: first response 96 % · next response — · resolution 88 %" in shown
    assert "*&lt;standard&gt;*: first response 100 %" in shown
    assert "Breaches: *4*" in shown and "CSAT: *4.3 / 5* (62 % answered)" in shown
    assert (
        "*Account health*\\n• *Globex &amp; &lt;!here&gt;* *35*/100 :red_circle: at risk"
        " · 2 breaches in 90 days (-10)"
    ) in shown
    assert "come with the monthly report" not in shown


def test_a_full_managers_home_stays_within_slacks_100_blocks() -> None:
    mine = TicketList(tuple(ticket(n, owner="U0MIA") for n in range(MINE_SHOWN)), 400)
    unassigned = TicketList(tuple(ticket(n) for n in range(UNASSIGNED_SHOWN)), 4600)
    urgent = tuple(ticket(n, sla_flag=SlaFlag.BREACHED) for n in range(URGENT_SHOWN))
    incidents = tuple(OpenIncident(n, "sev1", "investigating", "x" * 300) for n in range(12))
    section = ManagerSection(5000, 120, 40, urgent, incidents)
    home = AgentHome("U0MIA", NOW, mine, unassigned, manager=section, notice="Done.")

    view = agent_home(home)

    assert len(view.blocks) <= 100
    shown = texts(view)
    assert "Your open tickets (400)" in shown and "…and 385 more" in shown
    assert "Unassigned in your accounts (4600)" in shown
    assert "…and 4590 more: `/desk queue &lt;account&gt;` lists them all" in shown
    assert "…and 7 more: `/desk incident status &lt;id&gt;`" in shown
    assert "*Account health*: no account at risk or on watch" in shown
    assert all(len(json.dumps(b)) < 3500 for b in view.blocks)


def test_a_managers_home_names_the_first_accounts_by_health_and_counts_the_rest() -> None:
    reasons = ("x" * 300 + " (-30)", "6 breaches in 90 days (-30)", "1 open P1 ticket (-10)")
    flagged = tuple(
        AccountHealthLine(f"Account{n:06d}", 30, Band.AT_RISK, reasons) for n in range(5)
    )
    figures = ManagerFigures(month="December 2026", breaches=143)
    section = ManagerSection(5000, 120, 40, figures=figures, health=AccountsHealth(flagged, 200))

    view = agent_home(AgentHome("U0MIA", NOW, TicketList(), TicketList(), manager=section))

    shown = texts(view)
    assert "• *Account000004* *30*/100 :red_circle: at risk · xxx" in shown
    assert "…and 195 more: `/desk account &lt;name&gt;`" in shown
    assert "open P1" not in shown  # the two largest deductions only, clipped
    # Slack refuses a Home with any section text over 3,000 characters.
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in view.blocks)


def test_a_home_over_the_limit_or_a_customer_home_made_elsewhere_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 100 blocks"):
        HomeView(blocks=tuple({"type": "divider"} for _ in range(101)))
    with pytest.raises(TypeError, match="only by bot.messages.customer"):
        CustomerHome(blocks=({"type": "divider"},))
