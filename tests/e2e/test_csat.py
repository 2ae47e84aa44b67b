"""CSAT end to end: resolve → the survey in the customer's thread → a rating → the thanks in
place, and a low score's alert to the owner and the account's internal channel, never in the
shared channel. Bad presses (our own people, twice, after 24 hours) get a polite private answer
and record nothing twice; a hostile comment pings no one. Checked on what each person saw.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.emulator.queries import SeenMessage
from bot.sandbox.sandbox import Sandbox
from store.models import CsatAnswer
from tests.support import world as w
from tests.support.actions import desk, open_ticket
from tests.support.waits import desk_idle, eventually

PEOPLE = (w.ALICE, w.BOB, w.MIA, w.CAROL, w.DAVE)


def from_bot(box: Sandbox, user: str, channel: str | None = None) -> list[SeenMessage]:
    """Every bot message `user` can see (in `channel`), ephemerals included."""
    return [s for s in box.emu.seen_by(user, channel) if s.author_id == w.BOT]


def ephemerals(box: Sandbox, user: str) -> list[str]:
    """The private answers `user` was shown, oldest first."""
    return [s.text for s in box.emu.seen_by(user) if s.kind == "ephemeral"]


def survey_of(box: Sandbox, user: str = w.CAROL) -> SeenMessage:
    """The survey (or its thanks) as `user` sees it in Globex's shared channel."""
    [survey] = [
        s
        for s in from_bot(box, user, w.GLOBEX_SHARED)
        if s.kind == "message" and "csat:" in repr(s.blocks)
    ]
    return survey


def button(seen: SeenMessage, action_id: str) -> dict[str, Any]:
    """A button on a message as the person sees it."""
    for block in seen.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} on {seen.text!r}")


async def press(box: Sandbox, user: str, action_id: str, *, answers: int = 1) -> str:
    """`user` presses a button on the survey as they see it; the private answer they got."""
    seen = survey_of(box)
    before = len(ephemerals(box, user))
    value = button(seen, action_id)["value"]
    delivery = await box.emu.click_button(user, w.GLOBEX_SHARED, seen.ts, action_id, value)
    assert delivery.status == 200
    if not answers:
        await desk_idle(box)
        return ""
    replies = await eventually(lambda: ephemerals(box, user)[before:])
    await desk_idle(box)
    return replies[0]


async def resolved(box: Sandbox) -> SeenMessage:
    """Carol's request, resolved by Alice; the survey once it is in Carol's thread."""
    root = await open_ticket(box)
    assert "is resolved" in await desk(box, w.ALICE, "resolve 1 restarted the export job")
    survey = await eventually(lambda: survey_of(box))
    assert survey.thread_ts == root
    await desk_idle(box)
    return survey


async def answers(box: Sandbox) -> list[tuple[str, int, str]]:
    """Every CSAT answer stored: (who, score, comment)."""
    async with box.desk.services.db.reading() as uow:
        rows = (await uow.session.scalars(select(CsatAnswer).order_by(CsatAnswer.id))).all()
    return [(a.user_id, a.score, a.comment) for a in rows]


def csat_alerts(box: Sandbox, user: str) -> list[SeenMessage]:
    """The CSAT alerts `user` saw, wherever (DM or internal channel)."""
    return [s for s in from_bot(box, user) if "CSAT" in s.text]


async def test_a_low_rating_is_thanked_in_place_and_alerts_only_the_team(sandbox: Sandbox):
    box = sandbox
    survey = await resolved(box)
    # Carol and Dave see the question with five faces in the thread; the team too.
    assert survey.text.startswith("How did we do on ticket *#1*?")
    labels = [button(survey, f"csat_rate_{n}")["text"]["text"] for n in range(1, 6)]
    assert labels[0] == "1 :disappointed:" and labels[4] == "5 :star-struck:"
    shared_before = {p: len(from_bot(box, p, w.GLOBEX_SHARED)) for p in PEOPLE}

    reply = await press(box, w.CAROL, "csat_rate_1")

    assert reply.startswith("Thanks! You rated ticket *#1* 1/5 :disappointed:.")
    # The survey is edited in place into the thanks, for everyone in the channel.
    for person in (w.CAROL, w.DAVE, w.ALICE):
        thanks = survey_of(box, person)
        assert thanks.ts == survey.ts and thanks.edited
        assert thanks.text == ":pray: Thank you for your feedback on ticket *#1*!"
        button(thanks, "csat_comment")
    # Nothing new in the shared channel for anyone: only Carol's private answer.
    assert {p: len(from_bot(box, p, w.GLOBEX_SHARED)) for p in PEOPLE} == {
        **shared_before,
        w.CAROL: shared_before[w.CAROL] + 1,
    }
    assert not csat_alerts(box, w.CAROL) and not csat_alerts(box, w.DAVE)
    # Alice (the owner) by DM and in Globex's internal channel; Bob and Mia in the channel.
    alice = csat_alerts(box, w.ALICE)
    assert sorted(s.kind for s in alice) == ["dm", "message"]
    # The vendor's own workspace address, as chat.getPermalink would answer it.
    ts = survey.thread_ts.replace(".", "")
    link = f"https://t0vendor.slack.test/archives/{w.GLOBEX_SHARED}/p{ts}"
    for alert in alice:
        assert alert.text.startswith(":disappointed: *Low CSAT: 1/5*")
        assert "#1 · Globex" in alert.text and "Rated by @carol" in alert.text
        assert f"<{link}|Open the thread>" in alert.raw_text
    for person in (w.BOB, w.MIA):
        [seen] = csat_alerts(box, person)
        assert (seen.kind, seen.channel_id) == ("message", w.GLOBEX_INTERNAL)
    assert await answers(box) == [(w.CAROL, 1, "")]


async def test_bad_presses_get_a_polite_answer_and_record_nothing_twice(sandbox: Sandbox, clock):
    box = sandbox
    await resolved(box)

    # Someone from the team (a member of the shared channel) is not the customer.
    reply = await press(box, w.ALICE, "csat_rate_5")
    assert reply.startswith("Thanks, but only the customer who asked for help with ticket *#1*")
    assert await answers(box) == []
    assert not survey_of(box).edited

    # Carol rates 2, then presses 2 again: told it is recorded; one answer, one alert each.
    await press(box, w.CAROL, "csat_rate_2")
    edits = len(survey_of(box).versions)
    reply = await press(box, w.CAROL, "csat_rate_2")
    assert reply.startswith("You already rated ticket *#1* 2/5")
    assert await answers(box) == [(w.CAROL, 2, "")]
    assert len(survey_of(box).versions) == edits
    assert [s.kind for s in csat_alerts(box, w.ALICE)] == ["dm", "message"]

    # Changed to 4 within the window: the last counts.
    assert (await press(box, w.CAROL, "csat_rate_4")).startswith("Updated: your rating")
    assert await answers(box) == [(w.CAROL, 4, "")]

    # A day later the survey has closed, for Carol and for Dave.
    clock.advance(timedelta(hours=24, minutes=1))
    for person, action in ((w.CAROL, "csat_rate_1"), (w.DAVE, "csat_rate_3")):
        reply = await press(box, person, action)
        assert reply.startswith("Sorry, the survey for ticket *#1* has closed")
    assert await answers(box) == [(w.CAROL, 4, "")]
    assert len(csat_alerts(box, w.ALICE)) == 2
    # Every answer a customer got was private and said nothing internal.
    for person in (w.CAROL, w.DAVE):
        for text in ephemerals(box, person):
            assert not w.internal_pattern().search(text), text


HOSTILE = "<!channel> @here this was bad, ask <@U0MIA> or <https://evil.example|click here>"
PINGED = re.compile(r"(?<![\w<])@(?:channel|everyone)\b|<!channel>|<!here>|<@U0MIA>|<https://evil")


async def test_a_hostile_comment_reaches_the_team_as_text(sandbox: Sandbox):
    box = sandbox
    await resolved(box)
    await press(box, w.CAROL, "csat_rate_1")

    assert await press(box, w.CAROL, "csat_comment", answers=0) == ""
    [form] = box.emu.views_opened(w.CAROL)
    assert form["title"]["text"] == "Add a comment"
    values = {"comment": {"value": {"value": HOSTILE}}}
    assert (await box.emu.submit_view(w.CAROL, form["id"], values)).status == 200
    await desk_idle(box)

    assert await answers(box) == [(w.CAROL, 1, HOSTILE)]
    for person in (w.ALICE, w.BOB, w.MIA):
        follow_up = [s for s in csat_alerts(box, person) if "Comment on a low CSAT" in s.text]
        assert len(follow_up) == (2 if person == w.ALICE else 1)
        for seen in follow_up:
            # Read as typed, but as text: no @channel, no mention of Mia, no link.
            assert HOSTILE.replace("\n", " ") in seen.text
            assert not PINGED.search(seen.raw_text), seen.raw_text
    # Nobody's view of the shared channel carries the comment.
    for person in PEOPLE:
        assert not [s for s in from_bot(box, person, w.GLOBEX_SHARED) if "evil" in s.raw_text]


async def test_duplicates_and_noise_get_no_survey(sandbox: Sandbox, clock):
    box = sandbox
    await open_ticket(box)
    clock.advance(timedelta(minutes=6))
    await open_ticket(box, "Exports keep failing again, can you look?", user=w.DAVE)
    reply = await desk(box, w.ALICE, "close 2 duplicate of #1")
    assert reply == "Ticket #2 (Globex, P3) is closed as a duplicate, owned by <@U0ALICE>."
    assert "closed as noise" in await desk(box, w.ALICE, "noise 1")
    await desk_idle(box)
    assert not [s for s in from_bot(box, w.CAROL, w.GLOBEX_SHARED) if "How did we do" in s.text]
