"""Words from one side never act on the other: hostile text quoted in every kind of message.

A customer's `<!channel>` in a request, a staff member's `<@U…>` in an incident update, a link
in an escalation reason: each is shown as the characters typed and pings or links no one. The
texts are given as Slack sends them (a mention the person made is `<!channel>`; a `<` they typed
is `&lt;`). Checked on what each person saw, in every version of every bot message.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.sandbox.sandbox import Sandbox
from tests.support import world as w
from tests.support.actions import declare, desk, open_ticket
from tests.support.sandboxes import (
    assert_no_broadcast_mentions,
    bot_message_versions,
    checked_sandbox,
)
from tests.support.transports import BOTH_TRANSPORTS

EVIL_USER, EVIL_CHANNEL = "U0EVIL", "C0EVIL"
HOSTILE = (
    "<!channel> please look at this",
    "<!here> anyone around?",
    "<!everyone> read this",
    "<!subteam^S0EVIL|@oncall> wake up",
    f"<@{EVIL_USER}> you are needed",
    f"<@{EVIL_USER}|evil> with a label",
    f"<#{EVIL_CHANNEL}|secret> go look there",
    "<http://evil.example/login|click here to fix it>",
    "&lt;!channel&gt; is what I typed, &amp; that's all",
    "&gt; a quote marker\n&gt;&gt;&gt; a block quote",
    "`<!channel>` in code and ```<@U0EVIL>``` in a block",
    "🔥🚨 emoji <!here> 🙏🏽",
    "\u202eRTL override <!channel>\u202c שלום مرحبا",
    # A mention straddling each place a quote is cut: a queue line (80 characters), an alert
    # (300), the stored summary (500).
    "a" * 77 + "<!channel>",
    "b" * 297 + f"<@{EVIL_USER}>",
    "c" * 497 + "<!everyone>",
)
# The same words as requests (the classifier opens no ticket for most of them alone), asked
# after the hostile part so that each straddles the same cut.
REQUESTS = tuple(f"{text} (our export fails, can you check?)" for text in HOSTILE)
# Whatever came from the text and would act if left unescaped.
ACTIVE = re.compile(
    r"<!(?:channel|here|everyone)|<!subteam|<@"
    + EVIL_USER
    + r"|<#"
    + EVIL_CHANNEL
    + r"|<http://evil"
)
# As the reader sees it (the emulator renders markup): a real mention shows as @channel.
PINGED = re.compile(
    r"@(?:channel|here|everyone)\b|(?<!<)@" + EVIL_USER + r"|(?<!<)#" + EVIL_CHANNEL
)
PEOPLE = (w.ALICE, w.BOB, w.MIA, w.CAROL, w.DAVE, w.IVAN)
# Only the grouping window is short (each text its own ticket) and the budgets lifted.
FAST_YML = (
    w.DESK_YML.replace("grouping_window: 5m", "grouping_window: 1s")
    + "pacing:\n  posts: {calls: 1000, per: 1s}\n  edits: {calls: 1000, per: 1s}\n"
)


def typed(text: str) -> str:
    """What the person typed: Slack's three escapes read back as characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def assert_nobody_pinged(box: Sandbox) -> None:
    """No bot message, in any version, carries markup that came from someone's words."""
    active = [(c, m.group(0)) for c, raw in bot_message_versions(box) for m in ACTIVE.finditer(raw)]
    assert not active, active
    for person in PEOPLE:
        for seen in bot_seen(box, person):
            assert not PINGED.search(seen.text), (person, seen.text[:300])
    assert_no_broadcast_mentions(box)


def bot_seen(box: Sandbox, person: str, word: str = "", channel: str | None = None) -> list:
    """The bot's messages a person saw (rendered as they read them) that contain `word`."""
    return [
        s
        for s in box.emu.seen_by(person, channel)
        if s.author_id == w.BOT and word in s.text + box.emu.render(repr(s.blocks))
    ]


def shown(box: Sandbox, seen) -> str:
    """Everything a person read in one message: its text and its blocks' text."""
    parts = [seen.text]
    for block in seen.blocks or []:
        texts = [block.get("text") or {}, *(block.get("fields") or [])]
        parts += [box.emu.render(t.get("text", "")) for t in texts if isinstance(t, dict)]
    return "\n".join(parts)


@BOTH_TRANSPORTS
async def test_customer_words_ping_no_one_in_cards_alerts_lists_and_escalations(
    clock, database_url, transport
):
    config = w.desk_config(FAST_YML)
    async with checked_sandbox(
        config, clock, database_url, channel_interval=0.01, transport=transport
    ) as box:
        for text in REQUESTS:
            await open_ticket(box, text)
            clock.advance(timedelta(seconds=2))  # past the grouping window: a ticket each
        count = len(REQUESTS)
        # Receipts (they quote nothing), and the triage cards quoting each request as typed.
        await box.emu.wait_for(lambda: len(bot_seen(box, w.CAROL, "It's ticket")) == count)
        cards = bot_seen(box, w.ALICE, "", w.GLOBEX_INTERNAL)
        assert len(cards) == count
        for number, text in enumerate(REQUESTS, start=1):
            [card] = [c for c in cards if f"#{number} · Globex" in c.text]
            first_line = typed(text).split("\n")[0][:60]
            assert f"> {first_line}" in shown(box, card), (number, shown(box, card))
        # Past the first-response target: a warning (to the account's channel, nobody owns
        # them) and a breach alert (manager's DM, escalation channel) quote each request.
        clock.advance(timedelta(hours=5))
        await box.desk.services.escalation.sweep()
        await box.settled()
        for person, channel, kind in (
            (w.ALICE, w.GLOBEX_INTERNAL, "SLA warning"),
            (w.MIA, None, "SLA breached"),
        ):
            alerts = bot_seen(box, person, kind, channel)
            assert len(alerts) == count * (2 if channel is None else 1), kind
            for text in REQUESTS:
                words = typed(text).replace("\n", " ")[:40]
                assert any(f"Last customer message: _{words}" in a.text for a in alerts), words
        # The lists quote each request's first words.
        queue = box.emu.render(await desk(box, w.MIA, "queue"))
        for number, text in enumerate(REQUESTS, start=1):
            assert f"*#{number}*" in queue and typed(text).replace("\n", " ")[:30] in queue
        for number in (1, 5, 14):
            await desk(box, w.BOB, f"claim {number}")
        mine = box.emu.render(await desk(box, w.BOB, "mine"))
        assert sorted(int(n) for n in re.findall(r"\*#(\d+)\*", mine)) == [1, 5, 14]
        assert "a" * 77 + "…" in mine  # cut before the mention, not through its escape
        # Escalated by hand with each hostile reason, and by the card's button.
        for number, reason in enumerate(HOSTILE, start=1):
            assert "escalated" in await desk(box, w.BOB, f"escalate {number} {reason}")
        card = bot_seen(box, w.ALICE, "#2 · Globex", w.GLOBEX_INTERNAL)[0]
        await box.emu.click_button(w.BOB, w.GLOBEX_INTERNAL, card.ts, "ticket_escalate", "2")
        await box.emu.wait_for(lambda: len(bot_seen(box, w.BOB, "Ticket #2 escalated")) == 2)
        await box.emu.wait_for(lambda: len(bot_seen(box, w.MIA, "Escalated by")) == 2 * (count + 1))
        escalations = bot_seen(box, w.MIA, "Escalated by", w.ESCALATION)
        for reason in HOSTILE:
            words = typed(reason).split()[0][:40]
            assert any(f"Reason: {words}" in e.text for e in escalations), words
        # A reason is cut at 500 characters: before the escaped mention, not through it.
        assert any(f"Reason: {'c' * 497}…" in e.text for e in escalations)
        assert any("Reason: (none given)" in e.text for e in escalations)
        # A resolve note is kept for the record; no message shows it.
        for number, note in ((3, HOSTILE[0]), (4, "&lt;!here&gt; fixed <@U0EVIL> <!here>")):
            assert "is resolved" in await desk(box, w.BOB, f"resolve {number} {note}")
        assert_nobody_pinged(box)


@BOTH_TRANSPORTS
async def test_staff_words_ping_no_customer_in_incident_posts(sandbox: Sandbox):
    box = sandbox
    title = f"<!channel> Exports &amp; <@{EVIL_USER}> <http://evil.example|see status>"
    reply = await declare(box, f"sev2 {title} accounts: all")
    assert "declared" in reply
    ts = await open_ticket(box, "Our exports fail")  # linked: the receipt names the incident
    await desk(box, w.ALICE, f"incident update 1 <!here> rolling back, ask <@{EVIL_USER}>")
    await desk(box, w.ALICE, "incident resolve 1 <!everyone> fixed &lt;for real&gt;")
    await box.desk.services.broadcaster.idle()
    status = box.emu.render(await desk(box, w.ALICE, "incident status 1"))
    assert typed(title) in status
    for person, channel in ((w.CAROL, w.GLOBEX_SHARED), (w.IVAN, w.INITECH_SHARED)):
        [notice] = bot_seen(box, person, "aware of an issue", channel)
        assert (
            typed(title) in notice.text and "*Latest:* <!everyone> fixed <for real>" in notice.text
        )
        thread = [s.text for s in bot_seen(box, person, "", channel) if s.thread_ts == notice.ts]
        assert any(f"*Update:* <!here> rolling back, ask <@{EVIL_USER}>" in t for t in thread)
        assert any("*Resolved:* <!everyone> fixed <for real>" in t for t in thread)
    receipt = bot_seen(box, w.CAROL, "ongoing issue", w.GLOBEX_SHARED)
    assert receipt and typed(title) in receipt[0].text and receipt[0].thread_ts == ts
    [note] = bot_seen(box, w.CAROL, "may have affected", w.GLOBEX_SHARED)
    assert typed(title) in note.text
    progress = bot_seen(box, w.ALICE, "Incident #1")
    assert progress and typed(title) in progress[0].text
    # A title typed into the form arrives as typed (no Slack escapes): escaped all the same.
    await desk(box, w.ALICE, "incident declare sev3")
    [view] = box.emu.views_opened(w.ALICE)
    form_title = f"<!here> Slow <@{EVIL_USER}> & <b>"
    values = {
        "title": {"value": {"value": form_title}},
        "accounts": {"value": {"value": "Globex"}},
    }
    assert (await box.emu.submit_view(w.ALICE, view["id"], values)).status == 200
    await box.emu.wait_for(lambda: bot_seen(box, w.CAROL, form_title, w.GLOBEX_SHARED))
    await box.desk.services.broadcaster.idle()
    await box.emu.wait_for(
        lambda: bot_seen(box, w.ALICE, f"Incident #2 · sev3 · investigating · {form_title}")
    )
    assert_nobody_pinged(box)


@BOTH_TRANSPORTS
async def test_words_echoed_in_command_errors_ping_no_one(sandbox: Sandbox):
    box = sandbox
    await open_ticket(box, "Our exports fail")
    for command, echoed in (
        ("claim <!channel>", "'<!channel>' is not a ticket number"),
        ("<!here>", "I don't know the command '<!here>'"),
        ("assign 1 <!subteam^S0EVIL|@oncall>", "'<!subteam^S0EVIL|@oncall>' is not a user mention"),
        ("link <!everyone> Acme", "'<!everyone>' is not a channel"),
        (f"mine <@{EVIL_USER}>", f"takes no more words, got '<@{EVIL_USER}>'"),
        ("queue <!channel> &amp; co", "no account named '<!channel> & co'"),
        (f"account &lt;#{EVIL_CHANNEL}&gt;", f"no account named '<#{EVIL_CHANNEL}>'"),
        ("account <http://evil.example|x>", "no account named '<http://evil.example|x>'"),
        ("incident status 1 <!here>", "takes no more words, got '<!here>'"),
        ("incident update <!channel> x", "'<!channel>' is not an incident number"),
        ("incident declare sev2 Slow accounts: <!channel>", "I don't know '<!channel>'"),
        ("link &lt;#C0EVIL&gt; Acme", "'<#C0EVIL>' is not a channel"),
    ):
        reply = box.emu.render(await desk(box, w.ALICE, command))
        assert echoed in reply, (command, reply)
    assert_nobody_pinged(box)


@BOTH_TRANSPORTS
async def test_an_account_name_typed_in_link_pings_no_one(sandbox: Sandbox):
    box = sandbox
    name = f"<!channel> Evil &amp; Co <@{EVIL_USER}>"
    reply = await desk(
        box, w.ALICE, f"link <#{w.NEW_SHARED}|umbrella-support> {name}", channel=w.RANDOM_INTERNAL
    )
    assert f"Created *{typed(name)}* (tier standard)" in box.emu.render(reply)
    assert typed(name) in box.emu.render(await desk(box, w.ALICE, f"account {name}"))
    await box.emu.join_channel(w.BOT, w.NEW_SHARED)
    await box.emu.join_channel(w.CAROL, w.NEW_SHARED)
    await open_ticket(box, "Can someone help us set up SSO?", user=w.CAROL, channel=w.NEW_SHARED)
    [card] = bot_seen(box, w.ALICE, "#1 ·", w.RANDOM_INTERNAL)
    assert f"#1 · {typed(name)} (standard) · P3 · Open" in card.text
    assert f"Open tickets of {typed(name)}" in box.emu.render(
        await desk(box, w.MIA, f"queue {name}")
    )
    await desk(box, w.ALICE, "escalate 1")
    await box.emu.wait_for(
        lambda: bot_seen(box, w.MIA, f"#1 · {typed(name)} (standard", w.ESCALATION)
    )
    assert_nobody_pinged(box)


async def test_the_fixture_catches_a_broadcast_mention(sandbox: Sandbox):
    """The guard every e2e test ends with fails when the bot sends an @channel."""
    from bot.messages.base import InternalMessage
    from bot.messages.markup import Mrkdwn

    assert_no_broadcast_mentions(sandbox)
    # Marked as the bot's own markup on purpose: the one way past the builders' escaping.
    ts = (
        await (await sandbox.desk.gateways.at(w.VENDOR)).deliver(
            w.RANDOM_INTERNAL, InternalMessage(text=Mrkdwn("<!here> hi"))
        )
    ).ts
    try:
        assert_no_broadcast_mentions(sandbox)
    except AssertionError as exc:
        assert "<!here>" in str(exc)
    else:
        raise AssertionError("the guard let <!here> through")
    # Taken away again, so the fixture's own check at the end passes.
    sandbox.emu.ws.messages.remove(sandbox.emu.message(w.RANDOM_INTERNAL, ts))
