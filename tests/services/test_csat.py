"""CSAT: when a resolved ticket's customer is asked for a rating, and what their answers do.

Asked once per resolution in the customer's thread (per tier: on by default, an optional
delay); never for duplicates or noise, nor again when the ticket is re-resolved within a day.
One answer per customer, changeable for 24 hours (the last counts); a low score alerts the
owner and the account's internal channel once per answer, never the shared channel.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.clock import ManualClock
from bot.messages.customer_csat import COMMENT_ACTION, RATE_ACTIONS
from bot.services.inputs import Caller
from tests.support import world
from tests.support.fake_slack import Post
from tests.support.service_desk import START, ServiceDesk, survey_button

# The strategic tier (Globex's) with a survey setting added.
STRATEGIC = "    renewal_watch: true\n"


def strategic(setting: str) -> str:
    """The test desk with one more line in the strategic tier."""
    return world.DESK_YML.replace(STRATEGIC, f"{STRATEGIC}    {setting}\n")


@pytest.fixture
async def request_post(desk: ServiceDesk) -> Post:
    """Carol's request, ticket #1 (Globex: strategic, receipts on)."""
    _result, post = await desk.customer_posts("Exports are broken")
    return post


async def resolved_survey(desk: ServiceDesk, post: Post, number: int = 1) -> Post:
    """Alice resolves the ticket; the one survey asked in its thread."""
    await desk.desk(f"resolve {number} fixed the export job")
    [survey] = desk.surveys(post)
    return survey


def alerts(desk: ServiceDesk) -> tuple[list[Post], list[Post]]:
    """The low-score alerts: in the owner's (Alice's) DM, and in Globex's internal channel."""
    dm = [p for p in desk.slack.dms_to(world.ALICE) if "CSAT" in p.text]
    channel = [p for p in desk.slack.by_bot(world.GLOBEX_INTERNAL) if "CSAT" in p.text]
    return dm, channel


def assert_customer_words(text: str) -> None:
    """What a customer is told privately carries nothing internal either."""
    assert not world.internal_pattern().search(text), text


# ---- asking --------------------------------------------------------------------------------
async def test_resolving_asks_the_customer_in_the_thread(
    desk: ServiceDesk, request_post: Post
) -> None:
    survey = await resolved_survey(desk, request_post)

    assert "How did we do on ticket *#1*?" in survey.text
    buttons = [survey_button(survey, action) for action in RATE_ACTIONS]
    assert [b["text"]["text"][0] for b in buttons] == ["1", "2", "3", "4", "5"]
    # After the receipt, in the customer's thread; the receipt says resolved, as before.
    assert [p.ts for p in desk.slack.thread(request_post.channel, request_post.ts)][-1] == (
        survey.ts
    )
    assert "Ticket *#1* is resolved" in desk.receipt(request_post).text
    [stored] = await desk.surveys_of(1)
    assert (stored.message_ts, stored.requester_user_id) == (survey.ts, world.CAROL)
    assert (stored.asked_at, stored.closes_at) == (START, START + timedelta(hours=24))
    assert (await desk.ticket(1)).resolution_kind == "resolved"


@pytest.mark.parametrize("desk_yml", [strategic("csat: off")])
async def test_a_tier_with_csat_off_never_asks(desk: ServiceDesk, request_post: Post) -> None:
    await desk.desk("resolve 1")
    assert desk.surveys(request_post) == []
    assert await desk.surveys_of(1) == []


async def test_an_account_that_keeps_tracking_invisible_is_never_asked(desk: ServiceDesk) -> None:
    _result, post = await desk.customer_posts(
        "Reports are slow", user=world.IVAN, channel=world.INITECH_SHARED
    )
    await desk.desk("resolve 1", user=world.BOB, channel=world.INITECH_INTERNAL)
    assert desk.bot_replies(post) == []  # receipts: false
    assert await desk.surveys_of(1) == []


async def test_duplicates_and_noise_are_closed_without_a_survey(desk: ServiceDesk) -> None:
    _r, first = await desk.customer_posts("Exports are broken")
    desk.clock.advance(timedelta(minutes=6))
    _r, second = await desk.customer_posts("Exports broken again?", user=world.DAVE)
    desk.clock.advance(timedelta(minutes=6))
    _r, third = await desk.customer_posts(
        "The Q3 numbers are in the shared folder for anyone interested", user=world.DAVE
    )

    assert await desk.desk("close 2 duplicate of #1") == (
        "Ticket #2 (Globex, P2) is closed as a duplicate, owned by <@U0ALICE>."
    )
    assert await desk.desk("noise 3") == (
        "Ticket #3 (Globex, P3) is closed as noise, owned by <@U0ALICE>."
        " Saved as an example of chatter; the classifier learns it at the next start."
    )
    for number, post, kind in ((2, second, "duplicate"), (3, third, "noise")):
        ticket = await desk.ticket(number)
        assert (ticket.status, ticket.resolution_kind) == ("resolved", kind)
        assert desk.surveys(post) == [] and await desk.surveys_of(number) == []
        assert "white_check_mark" in post.reactions
    assert (await desk.audit(2))[-1] == (
        "resolved",
        world.ALICE,
        {"note": "of #1", "kind": "duplicate"},
    )
    # Reopened and resolved for real, a closed-as-noise ticket is asked after all.
    await desk.desk("reopen 3")
    assert (await desk.ticket(3)).resolution_kind is None
    await desk.desk("resolve 3")
    assert len(desk.surveys(third)) == 1
    assert desk.surveys(first) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("close 1", "`close` needs how it ends: duplicate or noise."),
        ("close 1 solved", "'solved' is not a way to close a ticket"),
        ("close", "`close` needs a ticket number."),
        ("noise", "`noise` needs a ticket number."),
    ],
)
async def test_close_without_a_kind_says_how(
    desk: ServiceDesk, request_post: Post, text: str, problem: str
) -> None:
    reply = await desk.desk(text)
    assert problem in reply and "Usage:" in reply
    assert (await desk.ticket(1)).status == "open"


async def test_reopened_and_resolved_within_a_day_is_not_asked_again(
    desk: ServiceDesk, request_post: Post
) -> None:
    await resolved_survey(desk, request_post)
    desk.clock.advance(timedelta(hours=3))
    await desk.customer_posts("Still broken for me", thread_ts=request_post.ts)
    assert (await desk.ticket(1)).status == "open"
    desk.clock.advance(timedelta(hours=3))
    await desk.desk("resolve 1")

    assert len(desk.surveys(request_post)) == 1
    assert len(await desk.surveys_of(1)) == 1


async def test_reopened_and_resolved_after_a_day_is_asked_again(
    desk: ServiceDesk, request_post: Post
) -> None:
    await resolved_survey(desk, request_post)
    desk.clock.advance(timedelta(hours=25))
    await desk.desk("reopen 1")
    await desk.desk("resolve 1")

    assert len(desk.surveys(request_post)) == 2
    assert [s.asked_at for s in await desk.surveys_of(1)] == [
        START,
        START + timedelta(hours=25),
    ]


@pytest.mark.parametrize("desk_yml", [strategic("csat_delay: 2h")])
async def test_a_delayed_survey_is_asked_once_the_delay_has_passed(
    desk: ServiceDesk, request_post: Post
) -> None:
    await desk.desk("resolve 1")
    assert desk.surveys(request_post) == []
    [stored] = await desk.surveys_of(1)
    assert (stored.asked_at, stored.closes_at) == (
        START + timedelta(hours=2),
        START + timedelta(hours=26),
    )
    assert stored.message_ts is None
    assert await desk.unfinished_effects() == {"pending": 1}

    pass_time(desk, timedelta(hours=2))
    await desk.settle()
    [survey] = desk.surveys(request_post)
    assert (await desk.surveys_of(1))[0].message_ts == survey.ts


@pytest.mark.parametrize("desk_yml", [strategic("csat_delay: 2h")])
async def test_a_delayed_survey_is_not_asked_if_the_ticket_was_reopened_meanwhile(
    desk: ServiceDesk, request_post: Post
) -> None:
    await desk.desk("resolve 1")
    desk.clock.advance(timedelta(minutes=30))
    await desk.desk("reopen 1")
    pass_time(desk, timedelta(hours=2))
    await desk.settle()

    assert desk.surveys(request_post) == []
    assert await desk.surveys_of(1) == []  # never asked, so a later resolve asks
    await desk.desk("resolve 1")
    [stored] = await desk.surveys_of(1)
    assert stored.asked_at == START + timedelta(minutes=30, hours=2)


def pass_time(desk: ServiceDesk, delta: timedelta) -> None:
    """Real time passes for the outbox (delays are real time, like its retries)."""
    desk.services.outbox.wall = ManualClock(datetime.now(UTC) + delta + timedelta(seconds=1))


# ---- rating --------------------------------------------------------------------------------
async def test_a_low_rating_thanks_the_customer_and_alerts_the_team(
    desk: ServiceDesk, request_post: Post
) -> None:
    survey = await resolved_survey(desk, request_post)
    shared_before = len(desk.slack.by_bot(world.GLOBEX_SHARED))
    desk.clock.advance(timedelta(hours=1))

    reply = await desk.rate(survey, 1)

    assert reply.startswith("Thanks! You rated ticket *#1* 1/5 :disappointed:.")
    assert_customer_words(reply)
    # The survey, edited in place: thanks, the ratings still there, and a comment button.
    assert survey.text == ":pray: Thank you for your feedback on ticket *#1*!"
    assert "Changed your mind?" in survey.shown
    survey_button(survey, COMMENT_ACTION)
    survey_button(survey, RATE_ACTIONS[3])
    # Nothing else in the shared channel.
    assert len(desk.slack.by_bot(world.GLOBEX_SHARED)) == shared_before
    # The owner (Alice, who resolved it) and Globex's internal channel are told, with a link.
    dm, channel = alerts(desk)
    assert len(dm) == len(channel) == 1
    for alert in (dm[0], channel[0]):
        assert alert.text.startswith(":disappointed: *Low CSAT: 1/5* · #1 · Globex")
        assert "Rated by <@U0CAROL>" in alert.text and "Owner: <@U0ALICE>" in alert.text
        assert f"archives/{world.GLOBEX_SHARED}/p{request_post.ts}|Open the thread>" in alert.text
    [answer] = await desk.answers_of(1)
    assert (answer.user_id, answer.score, answer.comment) == (world.CAROL, 1, "")
    assert answer.alerted_at == START + timedelta(hours=1)
    assert ("csat_rated", world.CAROL, {"score": 1, "previous": None}) in await desk.audit(1)


async def test_a_good_rating_alerts_nobody(desk: ServiceDesk, request_post: Post) -> None:
    survey = await resolved_survey(desk, request_post)
    assert (await desk.rate(survey, 5)).startswith("Thanks! You rated ticket *#1* 5/5")
    assert alerts(desk) == ([], [])
    assert [(a.score, a.alerted_at) for a in await desk.answers_of(1)] == [(5, None)]


async def test_the_same_rating_twice_is_recorded_once(
    desk: ServiceDesk, request_post: Post
) -> None:
    survey = await resolved_survey(desk, request_post)
    await desk.rate(survey, 2)
    seen = [p.versions for p in desk.slack.by_bot()]
    audit = await desk.audit(1)

    reply = await desk.rate(survey, 2)

    assert reply == (
        "You already rated ticket *#1* 2/5 :slightly_frowning_face:; it's recorded,"
        " nothing more to do. Thanks!"
    )
    assert [p.versions for p in desk.slack.by_bot()] == seen  # no edit, no second alert
    assert await desk.audit(1) == audit
    assert [a.score for a in await desk.answers_of(1)] == [2]


async def test_a_changed_rating_replaces_the_first_and_a_drop_to_low_alerts(
    desk: ServiceDesk, request_post: Post
) -> None:
    survey = await resolved_survey(desk, request_post)
    await desk.rate(survey, 4)
    assert alerts(desk) == ([], [])
    desk.clock.advance(timedelta(hours=5))

    reply = await desk.rate(survey, 1)

    assert reply.startswith("Updated: your rating of ticket *#1* is now 1/5")
    [answer] = await desk.answers_of(1)
    assert (answer.score, answer.changed_at) == (1, START + timedelta(hours=5))
    dm, channel = alerts(desk)
    assert len(dm) == len(channel) == 1
    assert "(changed from 4/5)" in dm[0].text
    # Once per answer: going from 1 to 2 (still low) does not alert again; the last counts.
    await desk.rate(survey, 2)
    assert [len(found) for found in alerts(desk)] == [1, 1]
    assert [a.score for a in await desk.answers_of(1)] == [2]


@pytest.mark.parametrize("desk_yml", [strategic("csat_low_score: 3")])
async def test_the_low_score_is_configurable(desk: ServiceDesk, request_post: Post) -> None:
    survey = await resolved_survey(desk, request_post)
    await desk.rate(survey, 3)
    assert [len(found) for found in alerts(desk)] == [1, 1]


async def test_a_colleague_of_the_customer_answers_for_themselves(
    desk: ServiceDesk, request_post: Post
) -> None:
    survey = await resolved_survey(desk, request_post)
    await desk.rate(survey, 5)
    assert (await desk.rate(survey, 3, user=world.DAVE)).startswith("Thanks! You rated")
    assert sorted((a.user_id, a.score) for a in await desk.answers_of(1)) == [
        (world.CAROL, 5),
        (world.DAVE, 3),
    ]


@pytest.mark.parametrize("presser", [world.ALICE, world.MIA, world.IVAN])
async def test_only_the_customer_side_may_rate(
    desk: ServiceDesk, request_post: Post, presser: str
) -> None:
    survey = await resolved_survey(desk, request_post)
    seen = [p.versions for p in desk.slack.by_bot()]

    reply = await desk.rate(survey, 1, user=presser)

    assert reply == (
        "Thanks, but only the customer who asked for help with ticket *#1* (or a colleague"
        " from their organisation) can rate it, so nothing was recorded."
    )
    assert await desk.answers_of(1) == []
    assert [p.versions for p in desk.slack.by_bot()] == seen


async def test_after_24_hours_the_survey_has_closed(desk: ServiceDesk, request_post: Post) -> None:
    survey = await resolved_survey(desk, request_post)
    await desk.rate(survey, 4)
    desk.clock.advance(timedelta(hours=24))
    seen = [p.versions for p in desk.slack.by_bot()]

    for score, user in ((1, world.CAROL), (2, world.DAVE)):
        reply = await desk.rate(survey, score, user=user)
        assert reply.startswith("Sorry, the survey for ticket *#1* has closed")
        assert_customer_words(reply)
    assert await desk.press_comment(survey) == reply

    assert [(a.user_id, a.score) for a in await desk.answers_of(1)] == [(world.CAROL, 4)]
    assert [p.versions for p in desk.slack.by_bot()] == seen
    assert alerts(desk) == ([], [])


@pytest.mark.parametrize("value", ["", "x", "1", "1:9", "1:0", "1:2", "999:1", "١:١", "1:1:1"])
async def test_a_forged_or_stale_button_records_nothing(
    desk: ServiceDesk, request_post: Post, value: str
) -> None:
    await resolved_survey(desk, request_post)
    team = world.GLOBEX_ORG
    caller = Caller(team, world.CAROL, world.GLOBEX_SHARED, None, user_team=team)
    reply = await desk.services.csat.press(caller, RATE_ACTIONS[0], value)
    assert reply is not None and reply.text == "Sorry, this survey is no longer available."
    assert await desk.answers_of(1) == []


# ---- comments ------------------------------------------------------------------------------
HOSTILE = "<!channel> @here this was <@U0MIA> &lt;b&gt; *awful* <https://evil.example|fix>"


async def test_a_comment_on_a_low_score_reaches_the_team_escaped(
    desk: ServiceDesk, request_post: Post
) -> None:
    survey = await resolved_survey(desk, request_post)
    await desk.rate(survey, 1)

    assert await desk.press_comment(survey) == ""
    form = desk.slack.views[-1]
    assert form["title"]["text"] == "Add a comment"
    assert await desk.send_comment(form, HOSTILE) == {}

    [answer] = await desk.answers_of(1)
    assert answer.comment == HOSTILE
    dm, channel = alerts(desk)
    assert len(dm) == len(channel) == 2  # the alert, then the comment passed on
    for follow_up in (dm[-1], channel[-1]):
        assert follow_up.text.startswith(":speech_balloon: *Comment on a low CSAT (1/5)*")
        assert "&lt;!channel&gt; @here this was &lt;@U0MIA&gt;" in follow_up.text
        assert "&lt;https://evil.example|fix&gt;" in follow_up.text
        assert "<!channel>" not in follow_up.text and "<@U0MIA>" not in follow_up.text
    # The form opens again with what was said; sending the same again changes nothing.
    await desk.press_comment(survey)
    assert desk.slack.views[-1]["blocks"][0]["element"]["initial_value"] == HOSTILE
    assert await desk.send_comment(desk.slack.views[-1], HOSTILE) == {}
    assert [len(found) for found in alerts(desk)] == [2, 2]


async def test_a_comment_on_a_good_score_is_kept_quietly(
    desk: ServiceDesk, request_post: Post
) -> None:
    survey = await resolved_survey(desk, request_post)
    await desk.rate(survey, 5)
    await desk.press_comment(survey)
    assert await desk.send_comment(desk.slack.views[-1], "Quick and friendly, thanks!") == {}
    assert [a.comment for a in await desk.answers_of(1)] == ["Quick and friendly, thanks!"]
    assert alerts(desk) == ([], [])


async def test_a_comment_needs_a_rating_first_and_an_open_survey(
    desk: ServiceDesk, request_post: Post
) -> None:
    survey = await resolved_survey(desk, request_post)
    await desk.rate(survey, 4)  # Carol: the thanks has the comment button
    reply = await desk.press_comment(survey, user=world.DAVE)
    assert reply == "Please pick a rating for ticket *#1* first, then add your comment."

    await desk.press_comment(survey)
    form = desk.slack.views[-1]
    desk.clock.advance(timedelta(hours=24))
    assert await desk.send_comment(form, "late words") == {
        "comment": "Sorry, this survey has closed (open for 24 hours)."
    }
    assert await desk.send_comment(form, "not mine", user=world.ALICE) == {
        "comment": "Only the customer who asked for help can comment here."
    }
    assert [a.comment for a in await desk.answers_of(1)] == [""]
