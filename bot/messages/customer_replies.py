"""An agent's reply posted for them in a customer's thread (a draft they edited and sent).

The agent's words are escaped (they typed them; the draft they started from was a model's),
so whatever the text holds, nobody is pinged and no link is disguised.
"""

from __future__ import annotations

from bot.messages.base import MAX_SECTION, CustomerMessage, customer_message
from bot.messages.markup import Mrkdwn, md, quote


def fits_a_reply(text: str) -> bool:
    """Whether the words fit one reply once escaped (`&`, `<`, `>` take 4–5 characters each)."""
    return len(Mrkdwn.escape(text.strip())) <= MAX_SECTION


def agent_reply(text: str, author: str) -> CustomerMessage:
    """The agent's words, then who sent them (their name as Slack shows it)."""
    words = quote(text.strip(), MAX_SECTION)
    return customer_message(
        words,
        blocks=(
            {"type": "section", "text": {"type": "mrkdwn", "text": words}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": md("— {}", author)}],
            },
        ),
    )
