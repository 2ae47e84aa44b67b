"""Incidents end to end: what each customer channel, the declarer and linked tickets saw."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.sandbox.sandbox import Sandbox
from tests.support import world as w
from tests.support.actions import declare, desk, open_ticket
from tests.support.transports import BOTH_TRANSPORTS

SHARED = (w.GLOBEX_SHARED, w.INITECH_SHARED)


def notices(box: Sandbox, user: str, channel: str) -> list:
    return [
        s
        for s in box.emu.seen_by(user, channel)
        if s.author_id == w.BOT and "aware of an issue" in s.raw_text and not s.thread_ts
    ]


def thread_replies(box: Sandbox, channel: str, ts: str) -> list[str]:
    return [
        m.text
        for m in box.emu.messages(channel)
        if m.thread_ts == ts and m.ts != ts and m.user == w.BOT
    ]


async def test_declare_update_resolve_reach_every_affected_channel_once(sandbox: Sandbox, clock):
    reply = await declare(sandbox)
    assert (
        "Incident *#1* (sev2) declared" in reply and "2 shared channel(s) of 2 account(s)" in reply
    )
    for user, channel in ((w.CAROL, w.GLOBEX_SHARED), (w.IVAN, w.INITECH_SHARED)):
        seen = notices(sandbox, user, channel)
        assert len(seen) == 1, channel
        assert "Exports are delayed" in seen[0].raw_text
        assert "*Status:* Investigating · next update by" in seen[0].raw_text
        assert "sev2" not in seen[0].raw_text
    clock.advance(timedelta(minutes=20))
    reply = await desk(
        sandbox, w.ALICE, "incident update 1 We found the cause and are rolling back."
    )
    assert "going to 2 channel(s)" in reply
    await sandbox.desk.services.broadcaster.idle()
    for channel in SHARED:
        notice = [m for m in sandbox.emu.messages(channel) if "aware of an issue" in m.text][0]
        replies = thread_replies(sandbox, channel, notice.ts)
        assert len(replies) == 1
        assert "*Update:* We found the cause and are rolling back." in replies[0]
        assert "*Latest:* We found the cause" in notice.text and notice.edits  # edited in place
    reply = await desk(sandbox, w.ALICE, "incident resolve 1 Exports are flowing again.")
    assert "resolved" in reply
    await sandbox.desk.services.broadcaster.idle()
    for channel in SHARED:
        notice = [m for m in sandbox.emu.messages(channel) if "aware of an issue" in m.text][0]
        replies = thread_replies(sandbox, channel, notice.ts)
        assert len(replies) == 2 and "*Resolved:* Exports are flowing again." in replies[1]
        assert "*Status:* Resolved" in notice.text
        assert "*Latest:* Exports are flowing again." in notice.text
    # The declarer's progress DM, edited in place to the final counts.
    progress = [s for s in sandbox.emu.seen_by(w.ALICE) if "Incident #1 ·" in s.raw_text]
    assert len(progress) == 1
    text = progress[0].raw_text
    for line in (
        "notice: posted 2/2, 0 failed",
        "update 1: posted 2/2",
        "closing reply: posted 2/2",
    ):
        assert line in text
    status = await desk(sandbox, w.MIA, "incident status 1")
    assert "Incident #1 · sev2 · resolved · Exports are delayed" in status
    assert "notice: posted 2/2, 0 failed" in status and "<#C0GLOBEX> (Globex)" in status


async def test_audience_by_tier_and_name(sandbox: Sandbox):
    await declare(sandbox, "sev3 Slow dashboards accounts: tier:standard")
    assert not notices(sandbox, w.CAROL, w.GLOBEX_SHARED)
    assert len(notices(sandbox, w.IVAN, w.INITECH_SHARED)) == 1
    await declare(sandbox, "sev3 Login delays accounts: globex")
    assert len(notices(sandbox, w.CAROL, w.GLOBEX_SHARED)) == 1
    assert len(notices(sandbox, w.IVAN, w.INITECH_SHARED)) == 1


async def test_internal_words_are_refused_before_anything_is_posted(sandbox: Sandbox):
    for text, word in (
        ("sev1 sev1 outage of exports accounts: all", "sev1"),
        ("sev2 Delays for strategic customers accounts: all", "strategic"),
        ("sev2 Globex exports broken accounts: all", "Globex"),
    ):
        reply = await desk(sandbox, w.ALICE, f"incident declare {text}")
        assert f"'{word}'" in reply, reply
    assert not sandbox.emu.shared_channel_messages()


async def test_bad_incident_commands_get_clear_answers(sandbox: Sandbox):
    cases = {
        "incident": "needs a subcommand",
        "incident declare sev9 Foo accounts: all": "'sev9' is not a severity",
        "incident declare sev2 Foo accounts: Umbrella": "I don't know 'Umbrella'",
        "incident declare sev2 Foo accounts: tier:gold": "I don't know tier 'gold'",
        "incident update 7 hello": "There is no incident #7.",
        "incident update x hello": "'x' is not an incident number",
        "incident status 1 extra": "takes no more words",
    }
    for text, expected in cases.items():
        assert expected in await desk(sandbox, w.ALICE, text), text
    await declare(sandbox)
    await desk(sandbox, w.ALICE, "incident resolve 1")
    assert "already resolved" in await desk(sandbox, w.ALICE, "incident update 1 more")


async def test_customers_cannot_declare(sandbox: Sandbox):
    reply = await desk(
        sandbox, w.CAROL, "incident declare sev1 Everything is down accounts: all", w.GLOBEX_SHARED
    )
    assert "only for the support team" in reply
    assert not [m for m in sandbox.emu.shared_channel_messages() if "aware of an issue" in m.text]


async def test_ticket_during_incident_is_linked_and_noted_on_resolve(sandbox: Sandbox):
    await declare(sandbox, "sev2 Exports are delayed accounts: Globex")
    ts = await open_ticket(sandbox, "My export has been spinning for an hour")
    receipt = [m for m in sandbox.emu.messages(w.GLOBEX_SHARED) if m.thread_ts == ts][0]
    assert "aware of an ongoing issue that may be related (*Exports are delayed*)" in receipt.text
    card = [s for s in sandbox.emu.seen_by(w.ALICE, w.GLOBEX_INTERNAL) if "#1 ·" in s.raw_text][0]
    assert "#1 (sev2, investigating): Exports are delayed" in repr(card.blocks)
    # Initech is not affected: its ticket is not linked.
    await open_ticket(
        sandbox, "Where can I download our invoices?", user=w.IVAN, channel=w.INITECH_SHARED
    )
    reply = await desk(sandbox, w.ALICE, "incident resolve 1")
    assert "1 linked ticket(s) notified" in reply
    await sandbox.emu.wait_for(
        lambda: any(
            "may have affected ticket *#1*" in m.text for m in sandbox.emu.messages(w.GLOBEX_SHARED)
        )
    )
    note = [m for m in sandbox.emu.messages(w.GLOBEX_SHARED) if "may have affected" in m.text][0]
    assert note.thread_ts == ts
    assert not [m for m in sandbox.emu.messages(w.INITECH_SHARED) if "may have affected" in m.text]


@BOTH_TRANSPORTS
async def test_declare_without_arguments_opens_a_form_that_checks_and_declares(sandbox: Sandbox):
    reply = await desk(sandbox, w.ALICE, "incident declare sev1")
    assert "Fill in the incident form" in reply
    [view] = sandbox.emu.views_opened(w.ALICE)
    assert view["callback_id"] == "incident_declare"
    # Pre-filled with what the command said; each wrong field is named in the form.
    for title, accounts, field, word in (
        ("Globex dashboards are slow", "Globex", "title", "'Globex'"),
        ("Dashboards are slow", "Umbrella", "accounts", "'Umbrella'"),
    ):
        submitted = await sandbox.emu.submit_view(
            w.ALICE,
            view["id"],
            {"title": {"value": {"value": title}}, "accounts": {"value": {"value": accounts}}},
        )
        answer = json.loads(submitted.response_body)
        assert answer["response_action"] == "errors"
        assert word in answer["errors"][field], answer
    assert not sandbox.emu.shared_channel_messages()
    submitted = await sandbox.emu.submit_view(
        w.ALICE,
        view["id"],
        {
            "title": {"value": {"value": "Dashboards are slow"}},
            "accounts": {"value": {"value": "Globex"}},
        },
    )
    assert submitted.status == 200 and not submitted.response_body.strip()
    await sandbox.emu.wait_for(lambda: notices(sandbox, w.CAROL, w.GLOBEX_SHARED))
    await sandbox.desk.services.broadcaster.idle()
    [seen] = notices(sandbox, w.CAROL, w.GLOBEX_SHARED)
    assert "Dashboards are slow" in seen.raw_text and "sev1" not in seen.raw_text
    assert not notices(sandbox, w.IVAN, w.INITECH_SHARED)
    await sandbox.emu.wait_for(
        lambda: any(
            "Incident *#1* (sev1) declared" in s.raw_text for s in sandbox.emu.seen_by(w.ALICE)
        )
    )


@BOTH_TRANSPORTS
async def test_form_fields_are_checked_one_by_one(sandbox: Sandbox):
    await desk(sandbox, w.ALICE, "incident declare")
    [view] = sandbox.emu.views_opened(w.ALICE)
    submitted = await sandbox.emu.submit_view(w.ALICE, view["id"], {})
    errors = json.loads(submitted.response_body)["errors"]
    assert set(errors) == {"severity", "title", "accounts"}
    assert not sandbox.emu.shared_channel_messages()
