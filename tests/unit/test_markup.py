"""Escaping people's words for Slack: the three entities, once, never cut in half."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.emulator.render import render
from bot.messages.base import InternalMessage, stored_message
from bot.messages.internal import command_error, notice, when
from bot.messages.markup import Mrkdwn, channel, clip, escape_text, link, md, mention, quote

# Text with the characters that matter over-represented.
texts = st.text(alphabet=st.sampled_from("<>&!@#|^;ltgamp x\n🔥\u202e"), max_size=60) | st.text()
HALF_ENTITY = re.compile(r"&(?:a|am|amp|l|lt|g|gt)?…$")


def test_the_three_characters_are_escaped_and_nothing_else():
    assert escape_text("<!channel> & <@U1|x> > `code` *b* _i_ 'q' \"d\"") == (
        "&lt;!channel&gt; &amp; &lt;@U1|x&gt; &gt; `code` *b* _i_ 'q' \"d\""
    )
    assert escape_text("") == ""


def test_text_from_slack_keeps_its_escapes():
    # A customer who typed "<b> & co" arrives as Slack escaped it; shown as typed, not "&lt;".
    assert escape_text("&lt;b&gt; &amp; co") == "&lt;b&gt; &amp; co"
    # An ampersand that starts no entity is escaped.
    assert escape_text("AT&T &ltx &amp") == "AT&amp;T &amp;ltx &amp;amp"


@given(texts)
def test_escaping_twice_changes_nothing(text: str):
    once = escape_text(text)
    assert escape_text(once) == once
    assert "<" not in once and ">" not in once


@given(texts.filter(lambda t: "&" not in t))
def test_a_reader_sees_exactly_what_was_typed(text: str):
    assert render(quote(text), {}, {}) == text


def test_values_are_escaped_and_markup_kept():
    built = md("*{}* for {} at {}", "<!here> & co", mention("U0ALICE"), channel("C0X"))
    assert built == "*&lt;!here&gt; &amp; co* for <@U0ALICE> at <#C0X>"
    assert isinstance(built, Mrkdwn)
    # Joining, adding and formatting keep escaping plain parts; markup passes through.
    assert Mrkdwn("\n").join(["<a>", mention("U1")]) == "&lt;a&gt;\n<@U1>"
    assert Mrkdwn("x") + "<b>" == "x&lt;b&gt;" and "<b>" + Mrkdwn("x") == "&lt;b&gt;x"
    assert md("{:,.0f}", 250000.0) == "250,000"
    # Markup made once is not escaped again when reused.
    assert md("{}", md("{}", "<!channel>")) == "&lt;!channel&gt;"


def test_ids_that_are_not_ids_are_shown_as_text():
    assert mention("U0EVIL>|x") == "U0EVIL&gt;|x"
    assert channel("<!channel>") == "&lt;!channel&gt;"


def test_links_escape_the_url_and_the_label():
    assert link("https://x.slack.com/a?b=1&c=2", "open <it>") == (
        "<https://x.slack.com/a?b=1&amp;c=2|open &lt;it&gt;>"
    )
    assert link("https://x/a|b", "l") == "<https://x/a%7Cb|l>"


def test_clipping_never_cuts_an_entity_in_half():
    # "<" becomes "&lt;": a cut through it would leave "&l", which Slack shows as is.
    for start in range(5):
        for limit in range(start + 2, start + 5):  # each cut that falls inside "&lt;"
            assert quote("x" * start + "<!channel>", limit) == "x" * start + "…"
    assert quote("aaaa<b", 7) == "aaaa…"  # "aaaa&lt;b": cut at 6 would split "&lt;"
    assert quote("aaaa<b", 9) == "aaaa&lt;b"  # fits


def test_clipping_never_cuts_a_token_of_the_bot():
    text = md("due {} soon", when(datetime(2026, 11, 23, 15, 0, tzinfo=UTC)))
    clipped = clip(text, 20)
    assert clipped == "due …" and isinstance(clipped, Mrkdwn)


@given(texts, st.integers(min_value=1, max_value=80))
def test_a_clipped_quote_is_short_whole_and_a_prefix(text: str, limit: int):
    full = quote(text)
    clipped = quote(text, limit)
    assert len(clipped) <= limit
    assert not HALF_ENTITY.search(clipped)
    assert clipped == full or full.startswith(clipped.removesuffix("…"))


def test_messages_escape_plain_text_whole():
    assert notice("<!channel> is down & out").text == "&lt;!channel&gt; is down &amp; out"
    assert notice(md("{} said", mention("U1"))).text == "<@U1> said"
    message = InternalMessage(
        text="t", blocks=({"type": "section", "text": {"type": "mrkdwn", "text": "<!here>"}},)
    )
    assert message.blocks[0]["text"]["text"] == "&lt;!here&gt;"


def test_a_stored_message_comes_back_as_it_was_built():
    built = InternalMessage(text=md("{} asked: {}", mention("U1"), "<!here>"))
    again = stored_message(built.payload())
    assert again.text == built.text == "<@U1> asked: &lt;!here&gt;"


@pytest.mark.parametrize(
    ("problem", "seen"),
    [
        ("'<!channel>' is not a ticket number", ":warning: '&lt;!channel&gt;' is not a ticket"),
        ("`tier:<tier>` or names", ":warning: `tier:&lt;tier&gt;` or names"),
    ],
)
def test_command_errors_escape_the_echoed_words_and_the_usage(problem: str, seen: str):
    text = command_error(problem, "/desk claim <ticket>").text
    assert text.startswith(seen) and text.endswith("Usage: `/desk claim &lt;ticket&gt;`")


def test_the_emulator_shows_broadcasts_and_escapes_as_slack_does():
    assert render("<!channel> <!here|here> <!everyone>", {}, {}) == "@channel @here @everyone"
    assert render("<!subteam^S1|@oncall> <!subteam^S2>", {}, {}) == "@oncall @S2"
    # Escaped text reads as typed; `&amp;lt;` is a typed "&lt;", not a "<".
    assert render("&lt;!channel&gt; &amp;lt; &amp;", {}, {}) == "<!channel> &lt; &"
