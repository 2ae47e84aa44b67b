"""The knowledge base end to end: a question it answers gets the right article on the card and
reaches the customer in one press; internal articles are never sent (not even by a forged
press); the bot's own answer (a tier with `auto_answer: on`) solves a ticket or hands it to a
person, with the SLA clocks running all along. Checked on what each person saw.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.config.desk import DeskConfig
from bot.domain.clock import ManualClock
from bot.emulator.queries import SeenMessage
from bot.sandbox.sandbox import Sandbox
from bot.services.knowledge import KbArticles
from store.models import KbAnswer
from tests.support import world as w
from tests.support.actions import card_of, open_ticket, sweep
from tests.support.sandboxes import checked_sandbox
from tests.support.transports import BOTH_TRANSPORTS
from tests.support.waits import desk_idle, eventually

pytestmark = BOTH_TRANSPORTS

ARTICLES = {
    "exports-failing": (
        "Scheduled exports failing or stuck",
        "[exports, schedule, failed]",
        "customer",
        "https://help.example.com/exports/failing",
        "If a scheduled export fails, open Settings → Exports and press Run again: most"
        " failures come from a destination that refused the upload.",
    ),
    "api-keys": (
        "Creating and rotating API keys",
        "[api, key, rotate, leaked]",
        "customer",
        "https://help.example.com/api/keys",
        "Admins rotate API keys under Settings → API: press New key, switch your integration"
        " to it, then revoke the old key. Revoke a leaked key at once.",
    ),
    "runbook-export-worker": (
        "Runbook: restarting a stuck export worker",
        "[exports, worker, restart]",
        "internal",
        "https://wiki.example.test/runbooks/export-worker",
        "When a customer's exports stay stuck, restart the export worker with kubectl rollout"
        " restart deploy/export-worker.",
    ),
    "invoices": (
        "Invoices and billing contacts",
        "[billing, invoice]",
        "customer",
        "https://help.example.com/billing",
        "Invoices are emailed on the 1st of each month to the billing contacts.",
    ),
}
EXPORTS_QUESTION = "Our scheduled exports keep failing, what should we do?"
KEY_QUESTION = "How do I rotate our API key? The old one leaked"


def write_kb(folder: Path) -> Path:
    """The test world's knowledge base: three customer articles and an internal runbook."""
    folder.mkdir(parents=True, exist_ok=True)
    for slug, (title, tags, audience, url, body) in ARTICLES.items():
        (folder / f"{slug}.md").write_text(
            f'---\ntitle: "{title}"\ntags: {tags}\naudience: {audience}\nurl: {url}\n---\n{body}\n',
            encoding="utf-8",
        )
    return folder


def kb_config(folder: Path, auto_answer: bool = False) -> DeskConfig:
    """The test desk with the knowledge base (and Globex's tier answering, if asked)."""
    text = w.DESK_YML + f"knowledge_base: {folder}\n"
    if auto_answer:
        text = text.replace(
            "    renewal_watch: true\n", "    renewal_watch: true\n    auto_answer: on\n", 1
        )
    return w.desk_config(text)


@pytest.fixture
async def kb_box(
    tmp_path: Path, clock: ManualClock, database_url: str, transport: str
) -> AsyncIterator[Sandbox]:
    """The bot with a knowledge base; no bot answers."""
    config = kb_config(write_kb(tmp_path / "kb"))
    async with checked_sandbox(config, clock, database_url, transport=transport) as box:
        yield box


@pytest.fixture
async def answering(
    tmp_path: Path, clock: ManualClock, database_url: str, transport: str
) -> AsyncIterator[Sandbox]:
    """The bot with a knowledge base, Globex's tier answering from it."""
    config = kb_config(write_kb(tmp_path / "kb"), auto_answer=True)
    async with checked_sandbox(config, clock, database_url, transport=transport) as box:
        yield box


def buttons(seen: SeenMessage) -> list[dict[str, Any]]:
    """Every button on a message as a person sees it."""
    found = []
    for block in seen.blocks:
        found += [e for e in block.get("elements") or [] if e.get("type") == "button"]
        if (block.get("accessory") or {}).get("type") == "button":
            found.append(block["accessory"])
    return found


def kb_lines(card: SeenMessage) -> list[str]:
    """The card's knowledge base lines, best first."""
    return [
        b["text"]["text"]
        for b in card.blocks
        if b.get("type") == "section" and ":book:" in b.get("text", {}).get("text", "")
    ]


def from_bot(box: Sandbox, user: str, channel: str) -> list[SeenMessage]:
    return [s for s in box.emu.seen_by(user, channel) if s.author_id == w.BOT]


def posts_in_shared(box: Sandbox) -> list[Any]:
    """What the bot posted in shared channels for everyone to see (not private answers)."""
    return [m for m in box.emu.shared_channel_messages() if m.kind != "ephemeral"]


def ephemerals(box: Sandbox, user: str) -> list[str]:
    return [s.raw_text for s in box.emu.seen_by(user) if s.kind == "ephemeral"]


async def press(box: Sandbox, user: str, channel: str, seen: SeenMessage, action: str, value: str):
    """`user` presses a button on `seen`; the private answer they then got."""
    before = len(ephemerals(box, user))
    delivery = await box.emu.click_button(user, channel, seen.ts, action, value)
    assert delivery.status == 200
    replies = await eventually(lambda: ephemerals(box, user)[before:])
    await desk_idle(box)
    return replies[0]


async def offers(box: Sandbox) -> dict[str, KbAnswer]:
    async with box.desk.services.db.reading() as uow:
        rows = (await uow.session.scalars(select(KbAnswer))).all()
    return {a.slug: a for a in rows}


async def ticket(box: Sandbox, number: int = 1):
    async with box.desk.db.reading() as uow:
        return await uow.tickets.by_number(w.VENDOR, number)


async def test_the_right_article_is_on_the_card_and_reaches_the_customer_in_one_press(
    kb_box: Sandbox,
):
    box = kb_box
    root = await open_ticket(box, EXPORTS_QUESTION)
    await desk_idle(box)
    card = card_of(box, 1)
    lines = kb_lines(card)
    assert "Scheduled exports failing or stuck" in lines[0]
    assert len(lines) <= 3
    internal = [line for line in lines if "Runbook" in line]
    assert internal and ":lock: _internal" in internal[0]
    # Only customer articles carry the button: here the exports article (and any other).
    sends = [b for b in buttons(card) if b["action_id"] == "kb_send"]
    by_title = {
        line: b
        for line, b in zip([line for line in lines if ":lock:" not in line], sends, strict=True)
    }
    assert len(sends) == len(lines) - len(internal)
    send = next(b for line, b in by_title.items() if "Scheduled exports" in line)
    # No one has answered yet: Carol's thread holds only the receipt.
    assert [s.text for s in from_bot(box, w.CAROL, w.GLOBEX_SHARED) if s.thread_ts == root][
        0
    ].startswith(":eyes:")

    reply = await press(box, w.ALICE, w.GLOBEX_INTERNAL, card, "kb_send", send["value"])

    assert "Sent “Scheduled exports failing or stuck” to the customer on ticket #1" in reply
    thread = [s for s in from_bot(box, w.CAROL, w.GLOBEX_SHARED) if s.thread_ts == root]
    shared = [s for s in thread if "shared an article" in s.raw_text]
    assert len(shared) == 1
    text = shared[0].raw_text
    assert text.startswith("<@U0ALICE> shared an article that should help with ticket *#1*")
    assert "<https://help.example.com/exports/failing|*Scheduled exports failing or stuck*>" in text
    assert "press Run again" in text  # the excerpt
    # Dave (Carol's colleague) sees it in the thread too; nothing else of the KB reached them.
    assert any("shared an article" in s.raw_text for s in from_bot(box, w.DAVE, w.GLOBEX_SHARED))
    assert not any("Runbook" in s.raw_text for s in from_bot(box, w.CAROL, w.GLOBEX_SHARED))
    # The agent chose it: it is Alice's first response, and she owns the ticket.
    t = await ticket(box)
    assert t.first_response_by == w.ALICE and t.owner_user_id == w.ALICE
    assert t.first_response_at == box.clock.now()
    # The card says who sent it, and offers it no more.
    card = card_of(box, 1)
    assert any("sent by <@U0ALICE>" in line for line in kb_lines(card))
    assert not [b for b in buttons(card) if b["action_id"] == "kb_send" and b == send]
    # Pressing again (an old copy of the card) sends nothing twice.
    again = await press(box, w.BOB, w.GLOBEX_INTERNAL, card, "kb_send", send["value"])
    assert "already sent" in again
    assert len([s for s in from_bot(box, w.CAROL, w.GLOBEX_SHARED) if "shared an" in s.text]) == 1


async def test_an_internal_article_is_never_sent_even_by_a_forged_press(kb_box: Sandbox):
    box = kb_box
    await open_ticket(box, EXPORTS_QUESTION)
    await desk_idle(box)
    runbook = (await offers(box))["runbook-export-worker"]
    card = card_of(box, 1)
    shared_before = len(posts_in_shared(box))

    reply = await press(box, w.ALICE, w.GLOBEX_INTERNAL, card, "kb_send", str(runbook.id))

    assert "internal" in reply and "never sent to customers" in reply
    assert len(posts_in_shared(box)) == shared_before
    assert (await offers(box))["runbook-export-worker"].sent_at is None
    assert (await ticket(box)).first_response_at is None
    # A customer pressing the card's button (a forged payload) is refused the same way.
    exports = (await offers(box))["exports-failing"]
    reply = await press(box, w.CAROL, w.GLOBEX_SHARED, card, "kb_send", str(exports.id))
    assert "only the support team" in reply
    assert (await offers(box))["exports-failing"].sent_at is None
    # Garbage values are refused politely too.
    reply = await press(box, w.ALICE, w.GLOBEX_INTERNAL, card, "kb_send", "1; DROP TABLE")
    assert "out of date" in reply
    assert len(posts_in_shared(box)) == shared_before


async def test_a_hostile_question_is_never_echoed_unescaped(kb_box: Sandbox):
    box = kb_box
    await open_ticket(box, "<!channel> <@U0MIA> our scheduled exports keep failing")
    await desk_idle(box)
    card = card_of(box, 1)
    assert "Scheduled exports failing or stuck" in kb_lines(card)[0]
    assert "<!channel>" not in repr(card.blocks)


async def test_an_article_made_internal_after_it_was_offered_is_not_sent(
    kb_box: Sandbox, tmp_path: Path
):
    box = kb_box
    await open_ticket(box, EXPORTS_QUESTION)
    await desk_idle(box)
    exports = (await offers(box))["exports-failing"]
    assert exports.audience == "customer"
    # The article is re-labelled internal and indexed again before anyone presses Send.
    path = tmp_path / "kb" / "exports-failing.md"
    path.write_text(path.read_text().replace("audience: customer", "audience: internal"))
    await box.desk.services.knowledge.index()
    shared_before = len(posts_in_shared(box))

    reply = await press(
        box, w.ALICE, w.GLOBEX_INTERNAL, card_of(box, 1), "kb_send", str(exports.id)
    )

    assert "never sent to customers" in reply
    assert len(posts_in_shared(box)) == shared_before
    assert (await ticket(box)).first_response_at is None


async def test_an_articles_own_markup_is_never_live_for_anyone(kb_box: Sandbox, tmp_path: Path):
    box = kb_box
    (tmp_path / "kb" / "hostile.md").write_text(
        '---\ntitle: "Exports <!channel> failing <@U0MIA>"\ntags: [exports, failing]\n'
        "audience: customer\nurl: https://help.example.com/x\n---\n"
        "Scheduled exports failing? <https://evil.example|click here> <!here> to fix.\n",
        encoding="utf-8",
    )
    await box.desk.services.knowledge.index()
    root = await open_ticket(box, "Our scheduled exports keep failing, exports failing again")
    await desk_idle(box)
    card = card_of(box, 1)
    hostile = (await offers(box)).get("hostile")
    assert hostile is not None, "the hostile article is among the card's articles"
    for raw in ("<!channel>", "<!here>", "<@U0MIA>", "<https://evil.example|"):
        assert raw not in repr(card.blocks) and raw not in card.raw_text
    await press(box, w.ALICE, w.GLOBEX_INTERNAL, card, "kb_send", str(hostile.id))
    [shared] = [
        s
        for s in from_bot(box, w.CAROL, w.GLOBEX_SHARED)
        if s.thread_ts == root and "shared an article" in s.raw_text
    ]
    assert "&lt;!channel&gt;" in shared.raw_text
    for raw in ("<!channel>", "<!here>", "<@U0MIA>", "<https://evil.example|"):
        assert raw not in shared.raw_text and raw not in repr(shared.blocks)


async def test_reply_drafts_are_written_from_customer_articles_only(kb_box: Sandbox):
    # A prompt is no wall: what a model is given, a customer's message can ask it to repeat.
    articles = KbArticles(kb_box.desk.services.knowledge)
    everything = await kb_box.desk.services.knowledge.search(EXPORTS_QUESTION)
    assert any(m.audience == "internal" for m in everything)  # the runbook matches too

    top = await articles.top(w.VENDOR, EXPORTS_QUESTION, 3)

    assert top and top[0].title == "Scheduled exports failing or stuck"
    assert all(a.audience == "customer" for a in top)


def bot_answer(box: Sandbox, root: str) -> SeenMessage:
    [answer] = [
        s
        for s in from_bot(box, w.CAROL, w.GLOBEX_SHARED)
        if s.thread_ts == root and ":robot_face:" in s.raw_text
    ]
    return answer


async def test_the_bots_answer_solves_the_ticket_on_the_customers_press(answering: Sandbox):
    box = answering
    root = await open_ticket(box, KEY_QUESTION)
    answer = await eventually(lambda: bot_answer(box, root))
    await desk_idle(box)
    assert "Creating and rotating API keys" in answer.raw_text
    assert "<https://help.example.com/api/keys|" in answer.raw_text
    value = next(b["value"] for b in buttons(answer) if b["action_id"] == "kb_solved")
    # Never a first response: the clocks run on.
    assert (await ticket(box)).first_response_at is None
    # Alice (ours) cannot answer for the customer.
    refused = await press(box, w.ALICE, w.GLOBEX_SHARED, answer, "kb_solved", value)
    assert "only the person who asked" in refused
    assert (await ticket(box)).status == "open"

    thanks = await press(box, w.CAROL, w.GLOBEX_SHARED, answer, "kb_solved", value)

    assert "Ticket *#1* is resolved" in thanks
    t = await ticket(box)
    assert t.status == "resolved" and t.resolved_by == w.CAROL and t.owner_user_id is None
    assert t.first_response_at is None
    # The answer turned into its outcome, for everyone; the survey follows (strategic: csat on).
    settled = bot_answer(box, root)
    assert settled.edited and not buttons(settled)
    assert "Glad it helped" in settled.raw_text
    await eventually(
        lambda: [s for s in from_bot(box, w.CAROL, w.GLOBEX_SHARED) if "How did we do" in s.text]
    )
    # A second press is answered, and changes nothing.
    again = await press(box, w.DAVE, w.GLOBEX_SHARED, settled, "kb_solved", value)
    assert "already answered" in again
    assert any("the customer said it solved it" in line for line in kb_lines(card_of(box, 1)))


async def test_still_needing_a_person_pings_the_owner_and_the_clocks_keep_running(
    answering: Sandbox, clock: ManualClock
):
    box = answering
    root = await open_ticket(box, KEY_QUESTION)
    answer = await eventually(lambda: bot_answer(box, root))
    await desk_idle(box)
    value = next(b["value"] for b in buttons(answer) if b["action_id"] == "kb_person")

    reply = await press(box, w.CAROL, w.GLOBEX_SHARED, answer, "kb_person", value)

    assert "a person will reply" in reply
    settled = bot_answer(box, root)
    assert not buttons(settled) and "Someone from the team will follow up" in settled.raw_text
    ping = await eventually(
        lambda: [
            s
            for s in from_bot(box, w.ALICE, w.GLOBEX_INTERNAL)
            if "still needs a person" in s.raw_text
        ]
    )
    # No owner yet: the account's team (Alice) is pinged, with the thread.
    assert ping[0].raw_text.startswith(":raising_hand: <@U0ALICE> ticket *#1* (Globex)")
    assert "open thread" in ping[0].raw_text
    t = await ticket(box)
    assert t.status == "open" and t.first_response_at is None
    # The first-response clock (strategic P3: 4h) ran all along: warned at 75%, breached at 100%.
    clock.advance(timedelta(hours=3, minutes=1))
    await sweep(box)
    await desk_idle(box)
    assert [s for s in box.emu.seen_by(w.ALICE) if "SLA warning" in s.raw_text]
    clock.advance(timedelta(hours=1))
    await sweep(box)
    await desk_idle(box)
    assert [s for s in box.emu.seen_by(w.MIA) if "SLA breached" in s.raw_text]
    assert (await ticket(box)).sla_flag == "breached"


async def run_cli(*argv: str) -> int:
    """The CLI in a worker thread (it runs its own event loop, as from a shell)."""
    from bot.cli.main import main

    return await asyncio.to_thread(main, list(argv))


async def test_check_names_a_broken_article_and_the_rest_are_indexed_and_searched(
    transport: str,  # the command line: the same over either transport
    monkeypatch,
    tmp_path: Path,
    database_url: str,
    capsys,
):
    config = tmp_path / "desk.yml"
    config.write_text(w.DESK_YML)  # no knowledge_base: the kb/ folder beside it is the default
    folder = write_kb(tmp_path / "kb")
    (folder / "broken.md").write_text(
        "---\ntitle: Half an article\ntags: [exports\naudience: customer\n---\nBody.\n"
    )
    (folder / "no-audience.md").write_text("---\ntitle: Who is it for\n---\nBody.\n")
    monkeypatch.setenv("CONNECTDESK_CONFIG", str(config))
    monkeypatch.setenv("CONNECTDESK_DATABASE_URL", database_url)

    assert await run_cli("check") == 1
    out, err = capsys.readouterr()
    assert f"knowledge base {folder}: 4 article(s), 3 for customers, 1 internal" in out
    assert f"{folder / 'broken.md'}:3: front matter is not valid YAML" in err
    assert f"{folder / 'no-audience.md'}:1: audience: missing: say customer or internal" in err
    assert "those articles are left out, the rest are indexed" in err

    assert await run_cli("db", "upgrade") == 0
    assert await run_cli("kb", "index") == 1  # indexed, but two files were left out
    out, err = capsys.readouterr()
    assert "4 added, 0 updated, 0 removed, 0 unchanged; 2 left out" in out
    assert "broken.md:3:" in err
    assert await run_cli("kb", "search", EXPORTS_QUESTION) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(
        "1. [customer] Scheduled exports failing or stuck (exports-failing) score"
    )
    assert "covers 75% of the question" in lines[0]
    # Fixed and edited: indexed again, nothing else touched; a removed file is forgotten.
    (folder / "broken.md").write_text(
        "---\ntitle: Half an article\ntags: [exports]\naudience: customer\n---\nBody.\n"
    )
    (folder / "invoices.md").unlink()
    (folder / "no-audience.md").unlink()
    assert await run_cli("kb", "index") == 0
    assert "1 added, 0 updated, 1 removed, 3 unchanged" in capsys.readouterr().out
    assert await run_cli("kb", "search", "invoice billing contacts") == 0
    assert "no article matches" in capsys.readouterr().out
