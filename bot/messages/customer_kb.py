"""What customers see of the knowledge base: an article shared in their thread by someone of
the team, the bot's own answer with its two buttons (and what it turns into once pressed), and
the private answers to those presses.

Customer-facing like the rest of `bot.messages.customer*`: only a ticket number and the
article's own words (title, excerpt, link), which the builders escape; the knowledge base's
internal articles never get here (the services refuse them before anything is built).
"""

from __future__ import annotations

from typing import Any

from bot.messages.base import CustomerMessage, customer_message
from bot.messages.markup import Mrkdwn, link, md, mention, quote

SOLVED_ACTION = "kb_solved"
PERSON_ACTION = "kb_person"
ACTIONS = (SOLVED_ACTION, PERSON_ACTION)
TITLE_LIMIT = 200
EXCERPT_LIMIT = 400


def _article(title: str, excerpt: str, url: str | None) -> Mrkdwn:
    """The article as a quote: its title (a link when it has one) and its excerpt."""
    name = md("*{}*", quote(title, TITLE_LIMIT))
    head = link(url, name) if url else name
    body = md("\n> {}", quote(excerpt, EXCERPT_LIMIT)) if excerpt else ""
    more = md("\n{}", link(url, "Read the whole article")) if url else ""
    return md("> :book: {}{}{}", head, body, more)


def _section(text: Mrkdwn) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def shared_article(
    number: int, agent: str, title: str, excerpt: str, url: str | None
) -> CustomerMessage:
    """An article someone of the team chose for the customer, posted in the ticket's thread."""
    text = md(
        "{} shared an article that should help with ticket *#{}*:\n{}",
        mention(agent),
        number,
        _article(title, excerpt, url),
    )
    return customer_message(text, (_section(text),))


def bot_answer(
    number: int, answer_id: int, title: str, excerpt: str, url: str | None
) -> CustomerMessage:
    """The bot's own answer to a new request, with *This solved it* / *I still need a person*."""
    text = md(
        ":robot_face: While the team looks at ticket *#{}*, this article may answer it"
        " right away:\n{}",
        number,
        _article(title, excerpt, url),
    )
    buttons = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "This solved it", "emoji": True},
            "action_id": SOLVED_ACTION,
            "value": str(answer_id),
            "style": "primary",
        },
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "I still need a person", "emoji": True},
            "action_id": PERSON_ACTION,
            "value": str(answer_id),
        },
    ]
    return customer_message(
        text,
        (_section(text), {"type": "actions", "block_id": f"kb:{answer_id}", "elements": buttons}),
    )


def bot_answer_settled(
    number: int, title: str, excerpt: str, url: str | None, solved: bool
) -> CustomerMessage:
    """The bot's answer once the customer pressed a button (edited in place, no buttons)."""
    after = (
        md(":white_check_mark: Glad it helped: ticket *#{}* is resolved.", number)
        if solved
        else md(":raising_hand: Someone from the team will follow up on ticket *#{}* here.", number)
    )
    text = md(
        ":robot_face: An article that may answer ticket *#{}*:\n{}\n{}",
        number,
        _article(title, excerpt, url),
        after,
    )
    return customer_message(text, (_section(text),))


def solved(number: int) -> CustomerMessage:
    """The presser's private answer to *This solved it*."""
    return customer_message(f"Thanks! Ticket *#{number}* is resolved.")


def handed_off(number: int) -> CustomerMessage:
    """The presser's private answer to *I still need a person*."""
    return customer_message(
        f"Thanks, we've let the team know: a person will reply on ticket *#{number}* in the thread."
    )


def not_theirs(number: int) -> CustomerMessage:
    """Someone other than the ticket's customer pressed a button on its answer."""
    return customer_message(
        f"Sorry, only the person who asked (or a colleague of theirs) can answer this for"
        f" ticket *#{number}*."
    )


def already(number: int) -> CustomerMessage:
    """A press on an answer that was already answered."""
    return customer_message(f"Thanks, this was already answered for ticket *#{number}*.")


def gone() -> CustomerMessage:
    """A press on an answer we no longer know (or a forged one)."""
    return customer_message("Sorry, this answer is no longer available.")
