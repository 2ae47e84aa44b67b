"""Incidents: one notice per affected shared channel, updates in its thread, a closing reply,
and a note in the thread of every open ticket linked to the incident."""

from __future__ import annotations

import pytest

from bot.services.desk import REFUSAL
from tests.support import world
from tests.support.fake_slack import Post
from tests.support.service_desk import ServiceDesk

AFFECTED = (world.GLOBEX_SHARED, world.INITECH_SHARED)


def notice_in(desk: ServiceDesk, channel: str) -> Post:
    """The incident notice the bot posted at the top of a shared channel."""
    [notice] = [p for p in desk.slack.by_bot(channel) if "We're aware of an issue" in p.text]
    return notice


async def declare(desk: ServiceDesk) -> str:
    """Incident #1, every account affected."""
    return await desk.desk("incident declare sev2 Exports are failing accounts: all")


async def test_declaring_posts_one_notice_per_shared_channel(desk: ServiceDesk) -> None:
    reply = await declare(desk)

    assert reply.startswith(
        ":rotating_light: Incident *#1* (sev2) declared: a notice is going to 2 shared"
        " channel(s) of 2 account(s)."
    )
    for channel in AFFECTED:
        notice = notice_in(desk, channel)
        assert notice.text.startswith(
            ":rotating_light: *We're aware of an issue: Exports are failing*\n"
            "*Status:* Investigating"
        )
        assert notice.thread_ts is None and len(desk.slack.by_bot(channel)) == 1
    # The declarer follows the broadcast in a DM; customers see the notice only.
    [progress] = desk.slack.dms_to(world.ALICE)
    assert "Exports are failing" in progress.shown and "sev2" in progress.shown
    assert desk.slack.seen_by(world.IVAN) == [notice_in(desk, world.INITECH_SHARED)]
    [(action, actor, detail)] = await desk.audit()
    assert (action, actor, detail["channels"], detail["severity"]) == (
        "incident_declared",
        world.ALICE,
        2,
        "sev2",
    )


async def test_an_update_goes_into_every_notice_thread(desk: ServiceDesk) -> None:
    await declare(desk)
    reply = await desk.desk("incident update 1 A fix is rolling out")

    assert reply == ":arrows_counterclockwise: Update to incident *#1* going to 2 channel(s)."
    for channel in AFFECTED:
        notice = notice_in(desk, channel)
        [update] = desk.slack.thread(channel, notice.ts)
        assert update.text.startswith(":mega: *Update:* A fix is rolling out")
        assert "*Latest:* A fix is rolling out" in notice.text  # the notice, edited in place


async def test_resolving_closes_every_thread_and_notes_linked_tickets(desk: ServiceDesk) -> None:
    await declare(desk)
    # Opened during the incident, so linked to it: one left open, one already resolved.
    _r, open_one = await desk.customer_posts("Exports fail for us too")
    assert "We're aware of an ongoing issue that may be related (*Exports are failing*)" in (
        desk.receipt(open_one).text
    )
    _r, done_one = await desk.customer_posts(
        "Export of invoices fails", user=world.IVAN, channel=world.INITECH_SHARED
    )
    await desk.desk("resolve 2", user=world.BOB)

    reply = await desk.desk("incident resolve 1 Exports work again.")

    assert reply == (
        ":white_check_mark: Incident *#1* resolved: closing reply going to 2 channel(s);"
        " 2 linked ticket(s) notified."
    )
    for channel in AFFECTED:
        notice = notice_in(desk, channel)
        [closing] = desk.slack.thread(channel, notice.ts)
        assert closing.text.startswith(":white_check_mark: *Resolved:* Exports work again.")
        assert notice.text.startswith(":white_check_mark: *We're aware of an issue")
    # The open ticket's customer is told in their own thread; the resolved one is left alone.
    notes = [p for p in desk.slack.thread(open_one.channel, open_one.ts) if p.user == world.BOT]
    assert notes[-1].text == (
        ":white_check_mark: The issue *Exports are failing* that may have affected ticket *#1*"
        " is resolved. If this request still needs help, just reply here."
    )
    assert not [
        p for p in desk.slack.thread(done_one.channel, done_one.ts) if "The issue" in p.text
    ]
    assert (await desk.ticket(1)).status == "open"  # the ticket is still the team's to close
    actions = [a for a, _w, _d in await desk.audit() if a.startswith("incident_")]
    assert actions == ["incident_declared", "incident_closing"]


@pytest.mark.parametrize(
    ("title", "problem"),
    [
        ("Sev1 exports down", "Customers would read 'Sev1', a severity label meant for staff."),
        ("Strategic exports down", "Customers would read 'strategic', one of our tier names."),
        ("Initech exports down", "Customers of other accounts would read 'Initech'."),
    ],
)
async def test_customer_facing_words_are_checked_before_anything_is_sent(
    desk: ServiceDesk, title: str, problem: str
) -> None:
    reply = await desk.desk(f"incident declare sev2 {title} accounts: all")
    assert problem in reply
    assert desk.slack.by_bot() == [] and await desk.audit() == []


@pytest.mark.parametrize(
    ("user", "before", "command", "reply"),
    [
        (world.ALICE, False, "incident update 5 still broken", "There is no incident #5."),
        (world.ALICE, True, "incident resolve 1", "Incident #1 is already resolved."),
        (
            world.ALICE,
            False,
            "incident declare sev2 Outage accounts: Nobody",
            "I don't know 'Nobody'",
        ),
        (world.CAROL, False, "incident declare sev2 Outage accounts: all", REFUSAL),
    ],
)
async def test_incident_commands_that_do_nothing(
    desk: ServiceDesk, user: str, before: bool, command: str, reply: str
) -> None:
    if before:
        await declare(desk)
        await desk.desk("incident resolve 1")
    posted = [p.shown for p in desk.slack.by_bot()]
    audited = await desk.audit()

    assert reply in await desk.desk(command, user=user)
    assert [p.shown for p in desk.slack.by_bot()] == posted
    assert await desk.audit() == audited
