"""The knowledge base on the internal triage card: the best matching articles, each marked
customer or internal, the customer ones with a *Send to customer* button; and the ping to the
team when a customer still needs a person after the bot's answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.messages.base import InternalMessage
from bot.messages.markup import Mrkdwn, link, md, mention, quote

SEND_ACTION = "kb_send"
# Articles on a card (the best matches; the bot's own answer is shown too if it is not one).
CARD_ARTICLES = 3
TITLE_LIMIT = 150
EXCERPT_LIMIT = 160


@dataclass(frozen=True)
class CardArticle:
    """An article offered on a ticket, as its card shows it."""

    answer_id: int
    title: str
    audience: str  # customer | internal
    url: str | None
    excerpt: str
    coverage: float
    sent_by: str | None = None  # an agent, or None
    auto: bool = False  # the bot sent it itself
    outcome: str | None = None  # for the bot's: solved | handed_off


def _line(article: CardArticle) -> Mrkdwn:
    title = quote(article.title, TITLE_LIMIT)
    name = link(article.url, title) if article.url else md("*{}*", title)
    if article.audience != "customer":
        mark = Mrkdwn(":lock: _internal: for the team only, never sent to customers_")
    elif article.auto:
        outcome = {
            "solved": " · the customer said it solved it",
            "handed_off": " · the customer still needs a person",
        }.get(article.outcome or "", " · waiting for the customer")
        mark = md(":robot_face: _sent by the bot_{}", outcome)
    elif article.sent_by:
        mark = md(":outbox_tray: _sent by {}_", mention(article.sent_by))
    else:
        mark = Mrkdwn(":busts_in_silhouette: _customer article_")
    words = md("\n{}", quote(article.excerpt, EXCERPT_LIMIT)) if article.excerpt else ""
    return md(":book: {} ({:.0%} of the question) · {}{}", name, article.coverage, mark, words)


def kb_blocks(articles: Sequence[CardArticle], ticket_open: bool) -> list[dict[str, Any]]:
    """The card's knowledge base section: one block per article (a customer article not yet
    sent, on an open ticket, has a *Send to customer* button); none without articles."""
    if not articles:
        return []
    blocks: list[dict[str, Any]] = [
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "*From the knowledge base*"}],
        }
    ]
    for article in articles:
        block: dict[str, Any] = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": _line(article)},
        }
        if ticket_open and article.audience == "customer" and not (article.sent_by or article.auto):
            block["accessory"] = {
                "type": "button",
                "text": {"type": "plain_text", "text": "Send to customer"},
                "action_id": SEND_ACTION,
                "value": str(article.answer_id),
            }
        blocks.append(block)
    return blocks


def handoff_ping(
    number: int, account: str, people: Sequence[str], title: str, permalink: str | None
) -> InternalMessage:
    """Told in the account's internal channel: the bot's answer did not do, a person is wanted."""
    who = Mrkdwn(" ").join(mention(p) for p in people) or Mrkdwn("_no owner: anyone?_")
    thread = md(" ({})", link(permalink, "open thread")) if permalink else ""
    return InternalMessage(
        text=md(
            ":raising_hand: {} ticket *#{}* ({}): the customer still needs a person after the"
            " bot's article “{}”{}. The first-response clock has been running all along.",
            who,
            number,
            account,
            quote(title, TITLE_LIMIT),
            thread,
        )
    )


def sent_notice(number: int, title: str) -> InternalMessage:
    """The agent's private answer once the article is on its way to the customer."""
    return InternalMessage(
        text=md(":outbox_tray: Sent “{}” to the customer on ticket #{}.", quote(title), number)
    )
