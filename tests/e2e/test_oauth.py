"""OAuth installs: two workspaces installed through Slack's flow stay apart, an uninstall stops
one and leaves the other alone, tokens are encrypted at rest and rotated before they expire,
and an org-wide (Enterprise Grid) install serves its org."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.emulator import Channel, Team, User
from bot.emulator.workspace import Install
from bot.installs.cipher import TokenCipher, TokenKeyError
from bot.sandbox.sandbox import Sandbox
from bot.services.tickets import NOISE_SAVED
from store.models import SlaClock, Ticket, TriageExample, slack_bots, slack_installations
from tests.support import world as w
from tests.support.sandboxes import checked_sandbox
from tests.support.scrape import get_json, scrape
from tests.support.transports import BOTH_TRANSPORTS
from tests.support.waits import eventually

INSTALLED = "Thank you!"  # Bolt's success page


@pytest.fixture
async def two(clock, database_url: str, transport: str) -> AsyncIterator[Sandbox]:
    """The bot installed by OAuth in our two workspaces (each by one of its people)."""
    world = w.add_second_workspace(w.workspace())
    async with checked_sandbox(
        w.desk_config(w.two_workspaces_yml()),
        clock,
        database_url,
        workspace=world,
        oauth=True,
        transport=transport,
    ) as box:
        assert INSTALLED in await box.install(w.ALICE)
        assert INSTALLED in await box.install(w.SAM)
        yield box


def bot_replies(box: Sandbox, channel: str, ts: str) -> list:
    return [m for m in box.emu.thread(channel, ts) if box.emu.ws.is_app_bot(m.user) and m.ts != ts]


async def ask(box: Sandbox, user: str, channel: str, text: str) -> str:
    delivery = await box.emu.post_message(user, channel, text)
    assert delivery.status == 200, delivery.attempts
    await box.emu.wait_for(lambda: bot_replies(box, channel, delivery.ts))
    return delivery.ts


async def desk(box: Sandbox, user: str, channel: str, text: str) -> str:
    before = len([s for s in box.emu.seen_by(user) if s.kind == "ephemeral"])
    await box.emu.slash_command(user, channel, text)
    seen = await box.emu.wait_for(
        lambda: [s for s in box.emu.seen_by(user) if s.kind == "ephemeral"][before:]
    )
    return seen[-1].text


@BOTH_TRANSPORTS
async def test_two_workspaces_stay_apart_and_an_uninstall_stops_only_its_own(two: Sandbox, clock):
    box, emu = two, two.emu
    # Each workspace's customer gets a receipt from that workspace's bot, numbered on its own.
    globex = await ask(box, w.CAROL, w.GLOBEX_SHARED, "Our exports are failing")
    hooli = await ask(box, w.HANK, w.HOOLI_SHARED, "Our dashboard is down")
    [to_carol] = bot_replies(box, w.GLOBEX_SHARED, globex)
    [to_hank] = bot_replies(box, w.HOOLI_SHARED, hooli)
    assert to_carol.user == w.BOT and "ticket *#1*" in to_carol.text
    assert to_hank.user == w.SECOND_BOT and "ticket *#1*" in to_hank.text

    def cards_seen() -> bool:
        # Asked afresh on each poll: each team's internal channel shows its bot's card.
        return all(
            any(emu.ws.is_app_bot(s.author_id) for s in emu.seen_by(who, c))
            for who, c in ((w.ALICE, w.GLOBEX_INTERNAL), (w.SAM, w.HOOLI_INTERNAL))
        )

    await emu.wait_for(cards_seen)
    # Each card links its customer's message at its own workspace's address (auth.test's url,
    # asked once per install), as chat.getPermalink would answer it there.
    for who, internal, shared, ts, team in (
        (w.ALICE, w.GLOBEX_INTERNAL, w.GLOBEX_SHARED, globex, w.VENDOR),
        (w.SAM, w.HOOLI_INTERNAL, w.HOOLI_SHARED, hooli, w.SECOND),
    ):
        [card] = [s for s in emu.seen_by(who, internal) if emu.ws.is_app_bot(s.author_id)]
        address = f"https://{team.lower()}.slack.test/archives/{shared}/p{ts.replace('.', '')}"
        assert f"<{address}|open thread>" in str(card.blocks)
    assert emu.calls_to("chat.getPermalink") == []
    # Each team's queue shows its own tickets only.
    alice_queue = await desk(box, w.ALICE, w.GLOBEX_INTERNAL, "queue")
    sam_queue = await desk(box, w.SAM, w.HOOLI_INTERNAL, "queue")
    assert "Globex" in alice_queue and "Hooli" not in alice_queue
    assert "Hooli" in sam_queue and "Globex" not in sam_queue
    assert "There is no account named" in await desk(box, w.SAM, w.HOOLI_INTERNAL, "queue Globex")
    assert "owned by" in await desk(box, w.SAM, w.HOOLI_INTERNAL, "claim 1")
    # The operator's view counts both workspaces' tickets; ready means Slack answers (api.test).
    base = f"http://127.0.0.1:{box.port}"
    metrics = await scrape(base)
    assert metrics.value("connectdesk_tickets_opened_total", tier="strategic") == 2
    status, ready = await get_json(f"{base}/readyz")
    assert status == 200 and ready["checks"]["slack"] == "ok", ready
    async with box.desk.db.unit_of_work() as uow:
        assert (await uow.tickets.by_number(w.VENDOR, 1)).owner_user_id is None
        assert (await uow.tickets.by_number(w.SECOND, 1)).owner_user_id == w.SAM

    # The second workspace uninstalls the app: its tokens go, its timers stop, tickets stay.
    await emu.uninstall(w.SECOND)

    async def gone() -> bool:
        return w.SECOND not in await box.desk.gateways.keys()

    await eventually(gone, what="the uninstalled workspace's gateway is gone")
    async with box.desk.db.unit_of_work() as uow:
        session = uow.session
        bots = (await session.execute(select(slack_bots.c.team_id))).scalars().all()
        running = await session.scalar(
            select(func.count(SlaClock.id)).where(
                SlaClock.team_id == w.SECOND, SlaClock.next_step_at.is_not(None)
            )
        )
        ours = await session.scalar(
            select(func.count(SlaClock.id)).where(
                SlaClock.team_id == w.VENDOR, SlaClock.next_step_at.is_not(None)
            )
        )
        kept = await session.scalar(select(func.count(Ticket.id)).where(Ticket.team_id == w.SECOND))
    assert bots == [w.VENDOR] and running == 0 and ours >= 1 and kept == 1
    # Past every first-response target: the first workspace still escalates, the second not.
    before = len(emu.calls)
    clock.advance(timedelta(hours=5))
    await box.desk.services.escalation.sweep()
    await box.settled()
    mia = [s for s in emu.seen_by(w.MIA) if "SLA breached" in s.text]
    sue = [s for s in emu.seen_by(w.SUE) if "SLA" in s.text]
    assert mia and not sue
    # Nothing was even tried with the second workspace's revoked token.
    refused = [c for c in emu.calls[before:] if c.response.get("error") == "token_revoked"]
    assert not refused
    # The first workspace's people still work as before.
    assert "owned by" in await desk(box, w.ALICE, w.GLOBEX_INTERNAL, "claim 1")


@BOTH_TRANSPORTS
async def test_each_workspace_keeps_chatter_out_and_its_noise_examples_to_itself(two: Sandbox):
    box, emu = two, two.emu
    # Chatter in the second workspace's shared channel opens nothing there either.
    chat = await emu.post_message(w.HANK, w.HOOLI_SHARED, "Congratulations on the new office!")
    hooli = await ask(box, w.HANK, w.HOOLI_SHARED, "The Q4 numbers are in the shared folder")
    await box.settled()
    assert not bot_replies(box, w.HOOLI_SHARED, chat.ts)
    assert not emu.reactions(w.HOOLI_SHARED, chat.ts)
    assert bot_replies(box, w.HOOLI_SHARED, hooli)  # unsure: a ticket (and `/desk noise`)
    # Sam calls the false one noise: the example is his workspace's, not the first one's.
    reply = await desk(box, w.SAM, w.HOOLI_INTERNAL, "noise 1")
    assert "closed as noise" in reply and NOISE_SAVED in reply
    async with box.desk.db.reading() as uow:
        saved = (await uow.session.execute(select(TriageExample.team_id, TriageExample.text))).all()
    assert saved == [(w.SECOND, "The Q4 numbers are in the shared folder")]
    # The first workspace's ticket numbers and queue know nothing of it.
    assert "Nothing open" in await desk(box, w.ALICE, w.GLOBEX_INTERNAL, "queue")


@BOTH_TRANSPORTS
async def test_incidents_declared_in_both_workspaces_at_once_reach_each_its_own_customers(
    two: Sandbox,
):
    box, emu = two, two.emu
    # Two broadcasts at the same moment, each paced by its own workspace's budget (each post
    # taking its place early to write its mark): each customer sees their vendor's notice once.
    replies = await asyncio.gather(
        desk(
            box,
            w.ALICE,
            w.GLOBEX_INTERNAL,
            "incident declare sev2 Exports are delayed accounts: all",
        ),
        desk(box, w.SUE, w.HOOLI_INTERNAL, "incident declare sev2 Logins fail accounts: all"),
    )
    assert all("declared" in reply for reply in replies), replies
    await box.desk.services.broadcaster.idle()

    def notices(user: str, channel: str) -> list[str]:
        return [
            s.raw_text
            for s in emu.seen_by(user, channel)
            if emu.ws.is_app_bot(s.author_id) and "aware of an issue" in s.raw_text
        ]

    for user, channel, ours, theirs in (
        (w.CAROL, w.GLOBEX_SHARED, "Exports are delayed", "Logins fail"),
        (w.IVAN, w.INITECH_SHARED, "Exports are delayed", "Logins fail"),
        (w.HANK, w.HOOLI_SHARED, "Logins fail", "Exports are delayed"),
    ):
        [seen] = notices(user, channel)
        assert ours in seen and theirs not in seen and "sev2" not in seen
    # Each was posted by its own workspace's bot.
    for channel, bot in ((w.GLOBEX_SHARED, w.BOT), (w.HOOLI_SHARED, w.SECOND_BOT)):
        posted = [m for m in emu.messages(channel) if "aware of an issue" in m.text]
        assert [m.user for m in posted] == [bot]


async def test_tokens_are_encrypted_at_rest_and_a_key_rotation_keeps_them(clock, database_url: str):
    world = w.add_second_workspace(w.workspace())
    async with checked_sandbox(
        w.desk_config(w.two_workspaces_yml()),
        clock,
        database_url,
        workspace=world,
        oauth=True,
    ) as box:
        assert INSTALLED in await box.install(w.ALICE)
        issued = [t for t, held in box.emu.oauth.tokens.items() if held.install.key == w.VENDOR]
        async with box.desk.db.unit_of_work() as uow:
            rows = (await uow.session.execute(select(slack_bots.c.bot_token))).scalars().all()
            installed = (
                (await uow.session.execute(select(slack_installations.c.bot_token))).scalars().all()
            )
        # Stored, but not as the token: only the key reads it.
        assert rows and installed
        for stored in [*rows, *installed]:
            assert stored.startswith("gAAAAA") and all(t not in stored for t in issued)
            assert TokenCipher.from_setting(box.token_keys).decrypt(stored) == issued[-1]
        # Rotate the key: a new one first, the old one kept after it; re-encrypt; restart.
        old = box.token_keys
        box.token_keys = f"{TokenCipher.new_key()},{old}"
        await box.stop_bot()
        await box.start_bot()
        store = box.desk.installs.store  # type: ignore[attr-defined]
        assert await store.reencrypt() == 2
        box.token_keys = box.token_keys.split(",")[0]  # the old key can go now
        await box.restart_bot()
        await ask(box, w.CAROL, w.GLOBEX_SHARED, "Exports fail since noon")
        # A key that never encrypted them cannot read them: the start is refused, saying so.
        box.token_keys = TokenCipher.new_key()
        await box.stop_bot()
        with pytest.raises(TokenKeyError, match="no key in CONNECTDESK_TOKEN_KEYS can decrypt"):
            await box.start_bot()


async def test_tokens_that_expire_are_rotated_before_they_do(clock, database_url: str):
    async with checked_sandbox(
        w.desk_config(w.two_workspaces_yml()),
        clock,
        database_url,
        workspace=w.add_second_workspace(w.workspace()),
        oauth=True,
    ) as box:
        # Slack's rotating tokens last 12 h; these are 2 h and 2 s, inside the 2 h margin soon.
        box.emu.oauth.token_lifetime = 2 * 3600 + 2
        assert INSTALLED in await box.install(w.ALICE)
        first = [t for t, h in box.emu.oauth.tokens.items() if h.install.key == w.VENDOR][-1]
        assert first.startswith("xoxe.xoxb-")
        await asyncio.sleep(2.5)  # now inside the margin: the next use rotates it first
        await ask(box, w.CAROL, w.GLOBEX_SHARED, "Our exports are failing")
        refreshes = [
            c
            for c in box.emu.calls_to("oauth.v2.access")
            if c.params.get("grant_type") == "refresh_token"
        ]
        assert refreshes and all(c.response["ok"] for c in refreshes)
        # The receipt went out with a fresh token, and the store holds it (encrypted).
        newest = [t for t, h in box.emu.oauth.tokens.items() if h.install.key == w.VENDOR][-1]
        assert newest != first
        found = await box.desk.installs.store.find_by_key(w.VENDOR)  # type: ignore[attr-defined]
        assert found is not None and found.bot_token == newest


async def test_an_org_wide_install_serves_its_whole_org(clock, database_url: str):
    world = w.workspace()
    org, ws1, admin, agent, customer = "E0ORG", "T0ORGWS1", "U0ORGADMIN", "U0ORGAGENT", "U0ORGCUST"
    world.add_team(Team(ws1, "Org workspace", enterprise_id=org))
    world.add_team(Team("T0ORGWS2", "Org's other workspace", enterprise_id=org))
    world.add_install(Install(Team(ws1, "Org workspace", org), "U0ORGBOT", "B0ORGBOT", org, True))
    world.add_team(Team("T0ORGCUST", "Org's customer"))
    colleague = "U0ORGPEER"  # in the org's other workspace
    for uid, team in ((admin, ws1), (agent, ws1), (colleague, "T0ORGWS2"), (customer, "T0ORGCUST")):
        world.add_user(User(uid, uid.lower(), team, real_name=uid))
    world.add_channel(
        Channel("C0ORGSHARED", "org-support", True, {agent, colleague, customer, "U0ORGBOT"})
    )
    world.add_channel(
        Channel("C0ORGINT", "org-internal", False, {agent, admin, colleague, "U0ORGBOT"})
    )
    text = w.two_workspaces_yml().replace(
        "triage:\n",
        f"  - name: Orgco\n    workspace: {org}\n    tier: standard\n"
        "    shared_channels: [C0ORGSHARED]\n    internal_channel: C0ORGINT\n"
        f"    owners: [{agent}]\ntriage:\n",
        1,
    )
    async with checked_sandbox(
        w.desk_config(text), clock, database_url, workspace=world, oauth=True
    ) as box:
        assert INSTALLED in await box.install(admin, org_wide=True)
        assert org in await box.desk.gateways.keys()
        ts = await ask(box, customer, "C0ORGSHARED", "We cannot log in")
        [receipt] = bot_replies(box, "C0ORGSHARED", ts)
        assert receipt.user == "U0ORGBOT" and "ticket *#1*" in receipt.text
        async with box.desk.db.unit_of_work() as uow:
            ticket = await uow.tickets.by_number(org, 1)
        assert ticket is not None and ticket.requester_user_id == customer
        # An agent of the org runs /desk: the org's tickets, not the other workspace's.
        queue = await desk(box, agent, "C0ORGINT", "queue")
        assert "Orgco" in queue and "Globex" not in queue
        # So does a colleague from the org's other workspace: the install covers the org.
        queue = await desk(box, colleague, "C0ORGINT", "queue")
        assert "Orgco" in queue and "Globex" not in queue
        # A reply in the thread by that colleague is the team's first response.
        await box.emu.post_message(colleague, "C0ORGSHARED", "On it", thread_ts=ts)
        async with box.desk.db.unit_of_work() as uow:
            ticket = await uow.tickets.by_number(org, 1)
        assert ticket.first_response_by == colleague
