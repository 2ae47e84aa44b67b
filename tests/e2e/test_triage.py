"""Request or chatter, category and mood, end to end: what the customer, the account team and the
manager each saw when customers chat, ask, reply under an incident notice, or get frustrated."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.domain.clock import ManualClock
from bot.sandbox.sandbox import Sandbox
from bot.services.tickets import NOISE_SAVED
from bot.triage.classifier import LabelledMessage, RequestClassifier, train_classifier
from store.models import Ticket, TicketMessage, TriageExample
from tests.support import world as w
from tests.support.actions import card_of, declare, desk, open_ticket
from tests.support.sandboxes import checked_sandbox
from tests.support.transports import BOTH_TRANSPORTS

pytestmark = BOTH_TRANSPORTS

CHATTER = (
    "Sure thing, will check tomorrow",
    "Congratulations on the new office!",
    "Good morning all ☀️",
    "Out until Thursday, back then",
    "thanks!",
)
FRUSTRATED = (
    "Awful. Exports are broken AGAIN and we are losing data, this is unacceptable"  # VADER -0.89
)
FRUSTRATION_YML = w.DESK_YML + "  frustration: {below: -0.5, tiers: [strategic], raise_to: P1}\n"


def bot_in(box: Sandbox, user: str, channel: str) -> list:
    """What `user` saw from the bot in `channel`."""
    return [s for s in box.emu.seen_by(user, channel) if s.author_id == w.BOT]


def shown(card) -> str:
    """Every text of a card's blocks, one per line (sections and their fields)."""
    texts = []
    for block in card.blocks:
        texts.append(block.get("text", {}).get("text", ""))
        texts += [field["text"] for field in block.get("fields", [])]
    return "\n".join(texts)


async def tickets(box: Sandbox) -> list[Ticket]:
    assert box.desk is not None
    async with box.desk.db.reading() as uow:
        return list(await uow.session.scalars(select(Ticket).order_by(Ticket.number)))


async def examples(box: Sandbox) -> list[TriageExample]:
    assert box.desk is not None
    async with box.desk.db.reading() as uow:
        return list(await uow.triage.examples())


async def test_chatter_opens_nothing_and_a_request_opens_a_ticket_with_its_category(
    sandbox: Sandbox,
):
    emu = sandbox.emu
    chatter = [await emu.post_message(w.CAROL, w.GLOBEX_SHARED, text) for text in CHATTER]
    await sandbox.drained()
    # Then a request: worked after the chatter, so by now the chatter was decided too.
    ts = await open_ticket(sandbox, "The export button produces an empty file since the update")
    [ticket] = await tickets(sandbox)
    assert (ticket.number, ticket.root_ts, ticket.category) == (1, ts, "bug")
    # Carol saw one receipt, in her request's thread; nothing on her chatter.
    [receipt] = bot_in(sandbox, w.CAROL, w.GLOBEX_SHARED)
    assert receipt.thread_ts == ts and "ticket *#1*" in receipt.text
    for post in chatter:
        assert emu.reactions(w.GLOBEX_SHARED, post.ts) == {}
    # Alice's card names the category and the customer's mood.
    card = card_of(sandbox, 1)
    assert "*Triage*\nBug · Negative" in shown(card)


async def test_a_40000_character_request_is_classified_on_its_opening(sandbox: Sandbox):
    opening = "Hi team, our nightly export fails with a timeout, log below\n"
    await open_ticket(sandbox, opening + "ERROR upstream timeout req=4f2a " * 1_300)
    [ticket] = await tickets(sandbox)
    assert ticket.category == "bug" and ticket.sentiment is not None
    assert len(card_of(sandbox, 1).raw_text) < 4000


async def incident_notice(box: Sandbox) -> str:
    """Alice declares an incident for Globex; the ts of the notice Carol saw."""
    await declare(box, "sev2 Exports are delayed accounts: Globex")
    [notice] = [
        s for s in bot_in(box, w.CAROL, w.GLOBEX_SHARED) if "aware of an issue" in s.raw_text
    ]
    return notice.ts


async def test_a_request_under_an_incident_notice_opens_a_linked_ticket_in_its_thread(
    sandbox: Sandbox,
):
    emu = sandbox.emu
    notice = await incident_notice(sandbox)
    thanks = await emu.post_message(
        w.CAROL, w.GLOBEX_SHARED, "thanks for the update", thread_ts=notice
    )
    await sandbox.drained()
    await sandbox.settled()
    assert await tickets(sandbox) == []
    assert emu.reactions(w.GLOBEX_SHARED, thanks.ts) == {}
    question = await emu.post_message(
        w.DAVE,
        w.GLOBEX_SHARED,
        "Still failing for our EU users, can you confirm an ETA?",
        thread_ts=notice,
    )
    await sandbox.drained()
    await sandbox.settled()
    [ticket] = await tickets(sandbox)
    assert (ticket.root_ts, ticket.thread_ts, ticket.category) == (question.ts, notice, "outage")
    assert ticket.incident_id is not None
    # Dave sees 👀 on his question and the receipt in the notice's thread, nothing internal.
    assert w.BOT in emu.reactions(w.GLOBEX_SHARED, question.ts).get("eyes", [])
    receipts = [s for s in bot_in(sandbox, w.DAVE, w.GLOBEX_SHARED) if "ticket *#1*" in s.text]
    assert [r.thread_ts for r in receipts] == [notice]
    # Alice's card says the ticket is linked to the incident, and the incident lists it.
    card = card_of(sandbox, 1)
    assert "Linked to incident #1 (sev2, investigating): Exports are delayed" in shown(card)
    assert "Outage · Frustrated" in shown(card)
    # Its link opens Dave's reply in the notice's thread: the address chat.getPermalink gives.
    expected = (
        f"https://t0vendor.slack.test/archives/{w.GLOBEX_SHARED}/p{question.ts.replace('.', '')}"
        f"?thread_ts={notice}&amp;cid={w.GLOBEX_SHARED}"  # mrkdwn's `&`, which Slack reads as &
    )
    assert f"<{expected}|open thread>" in str(card.blocks)
    assert emu.calls_to("chat.getPermalink") == []  # built, not asked for each card
    status = await desk(sandbox, w.MIA, "incident status 1")
    assert "Linked tickets: #1" in status
    # Bob answers in the notice's thread: the first response of Dave's ticket.
    await emu.post_message(w.BOB, w.GLOBEX_SHARED, "Rolling back now, ETA 20 minutes", notice)
    await sandbox.drained()
    [ticket] = await tickets(sandbox)
    assert ticket.first_response_by == w.BOB and ticket.owner_user_id == w.BOB
    # Dave's next reply there joins his ticket; Carol's chatter still opens nothing.
    await emu.post_message(w.DAVE, w.GLOBEX_SHARED, "ok, we'll wait for it", thread_ts=notice)
    await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Good morning all ☀️", thread_ts=notice)
    await sandbox.drained()
    assert len(await tickets(sandbox)) == 1
    async with sandbox.desk.db.reading() as uow:
        said = [m.user_id for m in await uow.messages.for_ticket(ticket.id)]
    assert said == [w.DAVE, w.BOB, w.DAVE]
    # Resolved: the survey is asked in the notice's thread too.
    await desk(sandbox, w.BOB, "resolve 1")
    await sandbox.settled()
    survey = await emu.wait_for(
        lambda: [s for s in bot_in(sandbox, w.DAVE, w.GLOBEX_SHARED) if "How did we do" in s.text]
    )
    assert {s.thread_ts for s in survey} == {notice}


async def test_a_reply_under_a_notice_in_an_unrelated_thread_changes_nothing(sandbox: Sandbox):
    emu = sandbox.emu
    ts = await open_ticket(sandbox, "Hi, can someone help us rotate our API key?")
    other = await emu.post_message(w.ALICE, w.GLOBEX_SHARED, "Heads-up: maintenance tonight")
    await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Can we move it to Friday?", other.ts)
    await sandbox.drained()
    [ticket] = await tickets(sandbox)
    assert ticket.root_ts == ts


async def test_noise_closes_a_false_ticket_saves_an_example_and_counts_nowhere(sandbox: Sandbox):
    await open_ticket(sandbox, "The Q3 numbers are in the shared folder for anyone interested")
    sandbox.clock.advance(timedelta(minutes=6))
    await open_ticket(sandbox, "Can you resend the invoice for October?", user=w.DAVE)
    # A customer cannot call it noise.
    refused = await desk(sandbox, w.CAROL, "noise 1", channel=w.GLOBEX_SHARED)
    assert "only for the support team" in refused
    assert await examples(sandbox) == []
    reply = await desk(sandbox, w.ALICE, "noise 1")
    assert reply == "Ticket #1 (Globex, P3) is closed as noise, owned by <@U0ALICE>. " + NOISE_SAVED
    [example] = await examples(sandbox)
    assert (example.text, example.is_request, example.labelled_by) == (
        "The Q3 numbers are in the shared folder for anyone interested",
        False,
        w.ALICE,
    )
    # Again: nothing more saved, the ticket is already closed.
    assert "already resolved" in await desk(sandbox, w.ALICE, "noise 1")
    assert len(await examples(sandbox)) == 1
    await sandbox.settled()
    # Carol was never asked for a rating; the report counts Dave's request alone.
    assert not [s for s in bot_in(sandbox, w.CAROL, w.GLOBEX_SHARED) if "How did we do" in s.text]
    report = await sandbox.desk.services.reports.report(team_id=w.VENDOR)
    assert report.current.tickets_opened == 1
    assert [(a.name, a.opened) for a in report.current.accounts if a.opened] == [("Globex", 1)]
    # Reopened, it was a request after all: the example goes.
    assert "is open" in await desk(sandbox, w.ALICE, "reopen 1")
    assert await examples(sandbox) == []


@pytest.fixture(scope="module")
def classifier() -> RequestClassifier:
    """The app's classifier, trained (or read from the cache) once for the module."""
    return train_classifier()


async def test_the_app_loads_the_saved_examples_when_it_starts(
    clock: ManualClock, database_url: str, transport: str, classifier: RequestClassifier
):
    loaded: list[tuple[LabelledMessage, ...]] = []

    async def recording(extra: Sequence[LabelledMessage]) -> RequestClassifier:
        loaded.append(tuple(extra))
        return classifier  # training with the extras is the unit tests' business

    async with checked_sandbox(
        w.desk_config(), clock, database_url, classifiers=recording, transport=transport
    ) as box:
        assert loaded == [()]
        await open_ticket(box, "The Q4 numbers are in the shared folder for anyone interested")
        await desk(box, w.ALICE, "noise 1")
        await box.restart_bot()
        assert loaded[1:] == [
            (),
            (
                LabelledMessage(
                    "The Q4 numbers are in the shared folder for anyone interested", False, None
                ),
            ),
        ]


@pytest.fixture
async def frustration(
    clock: ManualClock, database_url: str, transport: str
) -> AsyncIterator[Sandbox]:
    """The test world with `triage.frustration` on for the strategic tier (Globex)."""
    async with checked_sandbox(
        w.desk_config(FRUSTRATION_YML), clock, database_url, transport=transport
    ) as box:
        yield box


async def test_a_frustrated_message_on_a_strategic_account_raises_its_priority(
    frustration: Sandbox,
):
    box, emu = frustration, frustration.emu
    calm = await open_ticket(box, "Can you resend the invoice for October?")
    assert "#1 · Globex (strategic) · P3" in card_of(box, 1).text
    await emu.post_message(w.CAROL, w.GLOBEX_SHARED, FRUSTRATED, thread_ts=calm)
    await box.drained()
    await box.settled()
    card = card_of(box, 1)
    assert "#1 · Globex (strategic) · P1" in card.text
    assert "Billing · Frustrated" in shown(card)
    async with box.desk.db.reading() as uow:
        ticket = await uow.tickets.by_number(w.VENDOR, 1)
        scores = list(
            await uow.session.scalars(
                select(TicketMessage.sentiment)
                .where(TicketMessage.ticket_id == ticket.id)
                .order_by(TicketMessage.id)
            )
        )
        audit = [(a.action, a.detail.get("via")) for a in await uow.audit.for_ticket(ticket.id)]
    assert scores[0] is not None and scores[0] > -0.5 and scores[1] < -0.5
    assert ticket.sentiment == scores[1]
    assert ("priority", "frustration") in audit
    # Opened frustrated on a standard account (Initech): its priority comes from the rules only.
    await open_ticket(box, FRUSTRATED, user=w.IVAN, channel=w.INITECH_SHARED)
    [initech] = [
        s for s in emu.seen_by(w.BOB, w.INITECH_INTERNAL) if s.author_id == w.BOT and "#2" in s.text
    ]
    assert "Initech (standard) · P2" in initech.text
    assert "Bug · Frustrated" in shown(initech)
    # Opened frustrated on Globex: P1 from the start.
    box.clock.advance(timedelta(minutes=6))
    await open_ticket(box, FRUSTRATED, user=w.DAVE)
    assert "#3 · Globex (strategic) · P1" in card_of(box, 3).text


async def test_a_customers_mentions_are_never_echoed_as_mentions(sandbox: Sandbox):
    emu = sandbox.emu
    text = "<!channel> can someone help? <@U0ALICE> our SSO login fails with an error"
    await open_ticket(sandbox, text)
    card = card_of(sandbox, 1)
    assert "&lt;!channel&gt;" in shown(card) and "<!channel>" not in shown(card)
    notice = await incident_notice(sandbox)
    await emu.post_message(
        w.DAVE, w.GLOBEX_SHARED, "<!here> still failing for us, any ETA?", thread_ts=notice
    )
    await sandbox.drained()
    await sandbox.settled()
    card = card_of(sandbox, 2)
    assert "&lt;!here&gt;" in shown(card)
    # After the test: no bot message anywhere carries a broadcast mention (checked_sandbox).
