"""The reports read each clock run's copy of its ticket's priority and of whether the ticket
counts as a request: every way a ticket changes keeps those copies in step, on every run of it,
stopped ones too, and the month's report follows."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.reports import current_month, zone
from tests.support import world
from tests.support.service_desk import ServiceDesk


def copies(clocks: dict) -> set[tuple[str, str, bool]]:
    """(kind, priority, counted) of each of a ticket's latest runs."""
    return {(kind, c.priority, c.counted) for kind, c in clocks.items()}


async def decided(desk: ServiceDesk) -> tuple[int, int]:
    """Clock runs met and missed in this month's report."""
    period = current_month(desk.clock.now(), zone("UTC"))
    tally = (await desk.services.reports.figures(period)).attainment.tally()
    return tally.met, tally.missed


async def test_new_runs_carry_the_ticket_priority(desk: ServiceDesk) -> None:
    await desk.customer_posts("Exports are broken")  # P2 by triage
    assert copies(await desk.clocks(1)) == {
        ("first_response", "P2", True),
        ("resolution", "P2", True),
    }


async def test_a_new_priority_reaches_the_stopped_runs_too(desk: ServiceDesk) -> None:
    _r, post = await desk.customer_posts("Exports are broken")
    desk.clock.advance(timedelta(minutes=5))
    await desk.team_posts("Looking", thread_ts=post.ts)  # first response stops, met
    assert (await desk.clocks(1))["first_response"].stopped_at is not None

    reply = await desk.desk("priority 1 P1")
    assert reply == "Ticket #1 (Globex, P1) is open, owned by <@U0ALICE>."

    assert copies(await desk.clocks(1)) == {
        ("first_response", "P1", True),
        ("resolution", "P1", True),
    }
    report = await desk.services.reports.report()
    assert report.current.attainment.tally(priority="P1", clock="first_response").met == 1
    assert report.current.attainment.tally(priority="P2").total == 0


async def test_closed_as_noise_no_run_counts_until_it_is_reopened(desk: ServiceDesk) -> None:
    _r, post = await desk.customer_posts("Exports are broken")
    desk.clock.advance(timedelta(minutes=5))
    await desk.team_posts("Looking", thread_ts=post.ts)
    assert await decided(desk) == (1, 0)

    await desk.desk("noise 1")

    assert copies(await desk.clocks(1)) == {
        ("first_response", "P2", False),
        ("resolution", "P2", False),
    }
    assert await decided(desk) == (0, 0)

    await desk.desk("reopen 1")  # a new resolution run starts, and every run counts again
    clocks = await desk.clocks(1)
    assert clocks["resolution"].cycle == 2
    assert copies(clocks) == {("first_response", "P2", True), ("resolution", "P2", True)}
    assert await decided(desk) == (2, 0)  # first response, and the first resolution run


async def test_a_customer_writing_into_a_duplicate_makes_it_count_again(
    desk: ServiceDesk,
) -> None:
    _r, post = await desk.customer_posts("Exports are broken")
    await desk.desk("close 1 duplicate of #7")
    assert {c.counted for c in (await desk.clocks(1)).values()} == {False}

    await desk.customer_posts("Still broken for us", thread_ts=post.ts)

    ticket = await desk.ticket(1)
    assert (ticket.status, ticket.resolution_kind) == ("open", None)
    assert {c.counted for c in (await desk.clocks(1)).values()} == {True}


async def test_closed_as_resolved_the_runs_keep_counting(desk: ServiceDesk) -> None:
    await desk.customer_posts("Exports are broken")
    await desk.desk("resolve 1", user=world.BOB)
    assert {c.counted for c in (await desk.clocks(1)).values()} == {True}
