"""Reply drafts end to end: with `llm:` in desk.yml a model's draft appears in the triage card's
thread (the team's side only), "Edit and send" posts the agent's edited reply in the customer's
thread and stops the first-response clock. Without `llm:` nothing is asked of anyone; an
endpoint that hangs or fails means no draft, and the receipt and card are not held up. Words
from the customer or the model never ping anyone. Checked on what each person saw.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.emulator.queries import SeenMessage
from bot.sandbox.sandbox import Sandbox
from store.models import Ticket
from tests.support import world as w
from tests.support.actions import open_ticket
from tests.support.fake_llm import FakeLlm
from tests.support.sandboxes import checked_sandbox
from tests.support.transports import BOTH_TRANSPORTS
from tests.support.waits import desk_idle, eventually

pytestmark = BOTH_TRANSPORTS

QUESTION = "How do I rotate the API key for our staging workspace?"
DRAFT = "Hi! You can rotate it under Settings > API keys: press Rotate, then update your apps."
PINGS = re.compile(r"<!channel>|<!here>|<@U0MIA>")


def llm_yml(llm: FakeLlm, timeout: float = 8.0) -> str:
    """The test world's desk.yml with drafts on, asking the fake endpoint."""
    return (
        w.DESK_YML
        + f"llm:\n  base_url: {llm.base_url}\n  model: test-model\n  timeout_seconds: {timeout}\n"
    )


@pytest.fixture
async def llm() -> AsyncIterator[FakeLlm]:
    """A fake OpenAI-compatible endpoint, answering with DRAFT unless told otherwise."""
    fake = await FakeLlm(DRAFT).start()
    try:
        yield fake
    finally:
        await fake.stop()


def drafts_seen(box: Sandbox, user: str) -> list[SeenMessage]:
    """The reply drafts `user` saw from the bot, anywhere."""
    return [
        s for s in box.emu.seen_by(user) if s.author_id == w.BOT and "Suggested reply" in s.text
    ]


def button(seen: SeenMessage, action_id: str) -> dict[str, Any]:
    """A button on a message as the person sees it."""
    for block in seen.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} on {seen.text!r}")


async def ticket(box: Sandbox, number: int = 1) -> Ticket:
    """A ticket as stored now."""
    async with box.desk.services.db.reading() as uow:
        return (await uow.session.scalars(select(Ticket).where(Ticket.number == number))).one()


async def edit_and_send(box: Sandbox, user: str, draft: SeenMessage, text: str | None) -> dict:
    """`user` presses "Edit and send" on the draft, then sends the form (as is, or `text`);
    the form as it opened and the answer to the submission."""
    value = button(draft, "draft_edit")["value"]
    before = len(box.emu.views_opened(user))
    pressed = await box.emu.click_button(user, draft.channel_id, draft.ts, "draft_edit", value)
    assert pressed.status == 200
    forms = await eventually(lambda: box.emu.views_opened(user)[before:])
    [form] = forms
    values = {"draft_reply": {"text": {"value": text}}} if text is not None else {}
    submitted = await box.emu.submit_view(user, form["id"], values)
    assert submitted.status == 200
    await desk_idle(box)
    body = submitted.response_body.strip()
    return {"form": form, "answer": json.loads(body) if body else {}}


async def test_a_draft_shows_on_the_card_and_edit_and_send_answers_the_customer(
    llm: FakeLlm, clock, database_url: str, transport: str
):
    async with checked_sandbox(
        w.desk_config(llm_yml(llm)), clock, database_url, transport=transport
    ) as box:
        root = await open_ticket(box, QUESTION)
        [draft] = await eventually(lambda: drafts_seen(box, w.ALICE), within=10)
        await desk_idle(box)

        # The model was asked once, with the customer's words and the rules for internal notes.
        [asked] = llm.requests
        assert asked["model"] == "test-model"
        system, user = asked["messages"]
        assert "never disclose internal details" in system["content"]
        assert QUESTION in user["content"]
        # In the card's thread in Globex's internal channel, for the team only.
        card = await ticket(box)
        assert (draft.channel_id, draft.thread_ts) == (w.GLOBEX_INTERNAL, card.card_ts)
        assert "Settings &gt; API keys: press Rotate" in json.dumps(draft.blocks)
        assert drafts_seen(box, w.BOB) and drafts_seen(box, w.MIA)
        for customer in (w.CAROL, w.DAVE):
            assert not drafts_seen(box, customer)
            assert not [s for s in box.emu.seen_by(customer) if "Settings" in s.text]
        assert card.first_response_at is None

        sent = await edit_and_send(box, w.ALICE, draft, DRAFT + " Let me know if that works.")

        assert sent["form"]["title"]["text"] == "Reply on #1"
        [field] = [b for b in sent["form"]["blocks"] if b.get("block_id") == "draft_reply"]
        assert field["element"]["initial_value"] == DRAFT
        # Carol reads Alice's edited reply in her request's thread, signed with Alice's name.
        replies = [
            s
            for s in box.emu.seen_by(w.CAROL, w.GLOBEX_SHARED, root)
            if s.author_id == w.BOT and "rotate" in s.text
        ]
        [reply] = replies
        assert reply.thread_ts == root
        assert reply.text == DRAFT + " Let me know if that works."
        assert "— Alice" in repr(reply.blocks)
        # It is Alice's first response: the clock stopped, she owns it, the card says so.
        card = await ticket(box)
        assert card.first_response_at == clock.now()
        assert card.first_response_by == w.ALICE
        assert card.owner_user_id == w.ALICE
        shown = [
            s
            for s in box.emu.seen_by(w.ALICE, w.GLOBEX_INTERNAL)
            if s.ts == card.card_ts and s.author_id == w.BOT
        ]
        assert shown and "answered" in repr(shown[0].blocks)
        # The bot's post came back as an event: it is not a second reply.
        assert len(llm.requests) == 1
        # Send pressed again with the same words (its first answer was slow, say): the reply
        # already in the thread is found, not posted twice.
        await edit_and_send(box, w.ALICE, draft, DRAFT + " Let me know if that works.")
        assert [
            s.text
            for s in box.emu.seen_by(w.CAROL, w.GLOBEX_SHARED, root)
            if s.author_id == w.BOT and "rotate" in s.text
        ] == [DRAFT + " Let me know if that works."]


async def test_without_an_llm_section_nothing_is_sent_anywhere(llm: FakeLlm, sandbox: Sandbox):
    box = sandbox
    assert not box.desk.services.drafts.enabled
    await open_ticket(box, QUESTION)
    await open_ticket(box, "Exports fail with error 500", user=w.IVAN, channel=w.INITECH_SHARED)
    await desk_idle(box)

    assert llm.requests == []
    assert not drafts_seen(box, w.ALICE) and not drafts_seen(box, w.BOB)


@pytest.mark.parametrize("mode", ["hang", "error"])
async def test_an_endpoint_that_hangs_or_fails_means_no_draft_and_no_delay(
    llm: FakeLlm,
    clock,
    database_url: str,
    transport: str,
    mode: str,
    caplog: pytest.LogCaptureFixture,
):
    llm.mode = mode
    caplog.set_level(logging.WARNING, "connectdesk.llm")
    config = w.desk_config(llm_yml(llm, timeout=1.5))
    async with checked_sandbox(config, clock, database_url, transport=transport) as box:
        root = await open_ticket(box, QUESTION)
        # The receipt and the card are out while the model is still being asked (a hang).
        receipt = await eventually(
            lambda: [
                s
                for s in box.emu.seen_by(w.CAROL, w.GLOBEX_SHARED, root)
                if s.author_id == w.BOT and "ticket *#1*" in s.raw_text
            ]
        )
        assert receipt
        await eventually(lambda: llm.requests)
        if mode == "hang":
            assert box.desk.services.drafts.asking == 1  # still waiting on the model
        # Initech's ticket meanwhile is not held up either (no receipt: cards only).
        await open_ticket(box, "Exports fail with error 500", user=w.IVAN, channel=w.INITECH_SHARED)

        await box.desk.services.drafts.idle()
        await desk_idle(box)

        assert len(llm.requests) == 2  # one try each, no retries
        assert not drafts_seen(box, w.ALICE) and not drafts_seen(box, w.BOB)
        assert [r.getMessage() for r in caplog.records if "no reply draft" in r.getMessage()]
        # The tickets are as they would be without drafts.
        assert (await ticket(box)).card_ts is not None
        assert (await ticket(box, 2)).card_ts is not None


async def test_mentions_from_the_customer_or_the_model_ping_no_one(
    llm: FakeLlm, clock, database_url: str, transport: str
):
    llm.reply = "Hi <!channel>! Asking <@U0MIA> & the team: <https://evil.example|click here>."
    hostile = "<!channel> <@U0MIA> how do I rotate our API key?"
    async with checked_sandbox(
        w.desk_config(llm_yml(llm)), clock, database_url, transport=transport
    ) as box:
        root = await open_ticket(box, hostile)
        [draft] = await eventually(lambda: drafts_seen(box, w.ALICE), within=10)
        await desk_idle(box)

        # The customer's words reached the model as they wrote them; it saw them as data.
        assert hostile in llm.requests[0]["messages"][1]["content"]
        # The draft shows the model's words as text: no @channel, no mention of Mia, no link.
        assert not PINGS.search(draft.raw_text + json.dumps(draft.blocks))
        assert "&lt;!channel&gt;" in json.dumps(draft.blocks)
        assert "<https://evil" not in json.dumps(draft.blocks)

        # Sent as it is, it reaches Carol as text too.
        sent = await edit_and_send(box, w.ALICE, draft, None)
        assert sent["form"]["blocks"][1]["element"]["initial_value"] == llm.reply
        [reply] = [
            s
            for s in box.emu.seen_by(w.CAROL, w.GLOBEX_SHARED, root)
            if s.author_id == w.BOT and "Asking" in s.text
        ]
        assert not PINGS.search(reply.raw_text + json.dumps(reply.blocks))
        assert "<https://evil" not in reply.raw_text + json.dumps(reply.blocks)
        # (checked_sandbox also checks that no bot message ever carried a broadcast mention)


async def test_only_the_team_can_send_a_draft_and_an_empty_reply_is_refused(
    llm: FakeLlm, clock, database_url: str, transport: str
):
    async with checked_sandbox(
        w.desk_config(llm_yml(llm)), clock, database_url, transport=transport
    ) as box:
        root = await open_ticket(box, QUESTION)
        [draft] = await eventually(lambda: drafts_seen(box, w.ALICE), within=10)
        await desk_idle(box)

        # Alice clears the text: the form says what is wrong, nothing is posted.
        sent = await edit_and_send(box, w.ALICE, draft, "   ")
        assert sent["answer"].get("response_action") == "errors"
        assert sent["answer"]["errors"] == {"draft_reply": "Write the reply first."}
        # A reply that would not fit one message once escaped (each `<` takes four
        # characters) is refused, not cut short behind the agent's back.
        sent = await edit_and_send(box, w.ALICE, draft, "<" * 1000)
        assert sent["answer"].get("response_action") == "errors"
        assert "too long" in sent["answer"]["errors"]["draft_reply"]
        # A customer who got hold of the button's value is refused privately.
        value = button(draft, "draft_edit")["value"]
        await box.emu.click_button(w.CAROL, w.GLOBEX_SHARED, root, "draft_edit", value)
        refusals = await eventually(
            lambda: [s for s in box.emu.seen_by(w.CAROL) if s.kind == "ephemeral"]
        )
        assert refusals[-1].text == "Only the support team can send replies."
        # A forged value opens nothing.
        await box.emu.click_button(w.ALICE, w.GLOBEX_INTERNAL, draft.ts, "draft_edit", "{}")
        await desk_idle(box)
        assert len(box.emu.views_opened(w.CAROL)) == 0
        assert len(box.emu.views_opened(w.ALICE)) == 2  # the two she opened herself

        await desk_idle(box)
        assert not [
            s for s in box.emu.seen_by(w.CAROL, w.GLOBEX_SHARED, root) if "rotate" in s.text
        ][1:]
        assert (await ticket(box)).first_response_at is None
