"""Linking shared channels to accounts with `/desk link`, and the hint when the bot is added."""

from __future__ import annotations

import pytest

from bot.services.desk import REFUSAL
from tests.support import world
from tests.support.service_desk import ServiceDesk


async def test_linking_a_new_account_starts_tracking_its_channel(desk: ServiceDesk) -> None:
    reply = await desk.desk(
        "link <#C0NEWSHARE|umbrella-support> Umbrella standard", channel=world.RANDOM_INTERNAL
    )

    assert reply == (
        ":link: Created *Umbrella* (tier standard): <#C0NEWSHARE> is now tracked."
        " Triage cards go to <#C0RANDOM>."
    )
    assert await desk.audit() == [
        (
            "channel_linked",
            world.ALICE,
            {
                "channel": world.NEW_SHARED,
                "account": "Umbrella",
                "tier": "standard",
                "created": True,
                "previous": None,
            },
        )
    ]
    # A request there now opens a ticket, its card in the channel the link was made from.
    result, _post = await desk.customer_posts("Billing page is broken", channel=world.NEW_SHARED)
    assert (result.outcome, result.ticket_number) == ("opened", 1)
    assert desk.card(1, world.RANDOM_INTERNAL).text.startswith("Ticket #1 · Umbrella (standard)")


async def test_linking_a_channel_to_an_existing_account_can_change_its_tier(
    desk: ServiceDesk,
) -> None:
    reply = await desk.desk("link <#C0NEWSHARE> Initech strategic")
    assert reply == (
        ":link: Updated *Initech* (tier strategic): <#C0NEWSHARE> is now tracked."
        " Triage cards go to <#C0INITINT>."
    )
    account = await desk.desk("account Initech")
    assert account.startswith(
        "*Initech* · tier *strategic*\nShared channels: <#C0INITECH>, <#C0NEWSHARE>"
    )
    result, _post = await desk.customer_posts("Reports are broken", channel=world.NEW_SHARED)
    assert result.outcome == "opened"
    assert desk.card(1, world.INITECH_INTERNAL).text.startswith("Ticket #1 · Initech (strategic)")


@pytest.mark.parametrize(
    ("user", "command", "reply"),
    [
        (
            world.ALICE,
            "link <#C0NOWHERE> Umbrella",
            ":warning: I can't see <#C0NOWHERE>. Add me to it first"
            " (`/invite @connectdesk` in that channel), then link it.",
        ),
        (
            world.ALICE,
            "link <#C0RANDOM> Umbrella",
            ":warning: <#C0RANDOM> is not shared with another organisation, so there are"
            " no customers to track there. Share it via Slack Connect first.",
        ),
        (world.CAROL, "link <#C0NEWSHARE> Umbrella", REFUSAL),
    ],
)
async def test_links_that_are_refused(
    desk: ServiceDesk, user: str, command: str, reply: str
) -> None:
    assert await desk.desk(command, user=user) == reply
    assert await desk.audit() == []
    result, _post = await desk.customer_posts("Billing is broken", channel=world.NEW_SHARED)
    assert (result.outcome, result.reason) == ("ignored", "channel not linked")


async def test_an_unknown_tier_is_refused(desk: ServiceDesk) -> None:
    # From the command line a last word that is no tier reads as part of the name
    # ("Umbrella gold"); a caller passing a tier is checked here.
    reply = await desk.services.accounts.link(
        desk.team, world.ALICE, world.NEW_SHARED, "Umbrella", "gold", world.RANDOM_INTERNAL
    )
    assert reply.text == ":warning: There is no tier 'gold'. Tiers: strategic, standard."
    assert await desk.audit() == []


async def test_added_to_an_unlinked_shared_channel_the_bot_hints_once(desk: ServiceDesk) -> None:
    assert await desk.bot_joins(world.NEW_SHARED, event_id="EvJOIN")

    [hint] = desk.slack.by_bot(world.ESCALATION)
    assert hint.text == (
        ":link: I was added to <#C0NEWSHARE>, which is shared with another organisation,"
        " but it is not linked to an account, so I'm not tracking requests there yet."
        " Link it with `/desk link <#C0NEWSHARE> &lt;account&gt; [tier]`"
        " (tiers: strategic, standard)."
    )
    # Slack delivering the same event again: no second hint.
    assert not await desk.bot_joins(world.NEW_SHARED, event_id="EvJOIN")
    assert len(desk.slack.by_bot(world.ESCALATION)) == 1
    assert desk.slack.by_bot(world.NEW_SHARED) == []  # never said in the shared channel


@pytest.mark.parametrize(
    ("channel", "why"),
    [(world.GLOBEX_SHARED, "already linked"), (world.RANDOM_INTERNAL, "not shared")],
)
async def test_no_hint_where_there_is_nothing_to_link(
    desk: ServiceDesk, channel: str, why: str
) -> None:
    assert not await desk.bot_joins(channel), why
    assert desk.slack.by_bot() == []
