"""What customers see of the satisfaction survey: the question in their thread, the thanks it
turns into, the comment form, and the private answers to their presses.

Customer-facing like the rest of `bot.messages.customer*`: a ticket number, times, a score;
nothing about tiers, owners or alerts (a low score alerts the team, and that is never said).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain.csat import SCORES, rating_value
from bot.messages.base import CustomerMessage, customer_message
from bot.messages.customer import slack_time
from bot.messages.markup import md

RATE_ACTIONS = tuple(f"csat_rate_{score}" for score in SCORES)
COMMENT_ACTION = "csat_comment"
COMMENT_CALLBACK = "csat_comment"
COMMENT_BLOCK, COMMENT_INPUT = "comment", "value"
COMMENT_MAX = 2000
FACES = {
    1: ":disappointed:",
    2: ":slightly_frowning_face:",
    3: ":neutral_face:",
    4: ":slightly_smiling_face:",
    5: ":star-struck:",
}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _rating_buttons(survey_id: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "button",
            "text": _plain(f"{score} {FACES[score]}"),
            "action_id": RATE_ACTIONS[score - 1],
            "value": rating_value(survey_id, score),
        }
        for score in SCORES
    ]


def survey(number: int, survey_id: int) -> CustomerMessage:
    """The question in a resolved ticket's thread: five rating buttons, 1 (poor) to 5 (great)."""
    question = md(
        "How did we do on ticket *#{}*? Rate it from 1 (poor) to 5 (great); you can change"
        " your rating for 24 hours.",
        number,
    )
    return customer_message(
        question,
        (
            {"type": "section", "text": {"type": "mrkdwn", "text": question}},
            {
                "type": "actions",
                "block_id": f"csat:{survey_id}",
                "elements": _rating_buttons(survey_id),
            },
        ),
    )


def thanks(number: int, survey_id: int, closes_at: datetime) -> CustomerMessage:
    """The survey once answered (edited in place): thanks, a way to change it, a comment."""
    head = md(":pray: Thank you for your feedback on ticket *#{}*!", number)
    more = md(
        "Changed your mind? Pick another rating until {}, or add a comment.",
        slack_time(closes_at),
    )
    comment = {
        "type": "button",
        "text": _plain("Add a comment"),
        "action_id": COMMENT_ACTION,
        "value": str(survey_id),
    }
    return customer_message(
        head,
        (
            {"type": "section", "text": {"type": "mrkdwn", "text": head}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": more}]},
            {
                "type": "actions",
                "block_id": f"csat:{survey_id}",
                "elements": [*_rating_buttons(survey_id), comment],
            },
        ),
    )


# ---- the private answers to a press (ephemeral: only the presser sees them) ------------------
def recorded(number: int, score: int, closes_at: datetime) -> CustomerMessage:
    """A first rating was stored."""
    return customer_message(
        md(
            "Thanks! You rated ticket *#{}* {}/5 {}. You can change it until {}.",
            number,
            score,
            FACES[score],
            slack_time(closes_at),
        )
    )


def changed(number: int, score: int, closes_at: datetime) -> CustomerMessage:
    """A different rating replaced the earlier one."""
    return customer_message(
        md(
            "Updated: your rating of ticket *#{}* is now {}/5 {}. You can change it until {}.",
            number,
            score,
            FACES[score],
            slack_time(closes_at),
        )
    )


def already(number: int, score: int) -> CustomerMessage:
    """The same rating pressed again: it is recorded once."""
    return customer_message(
        md(
            "You already rated ticket *#{}* {}/5 {}; it's recorded, nothing more to do. Thanks!",
            number,
            score,
            FACES[score],
        )
    )


def closed(number: int) -> CustomerMessage:
    """Pressed after the window: nothing is recorded."""
    return customer_message(
        md(
            "Sorry, the survey for ticket *#{}* has closed: ratings and comments can be given"
            " for 24 hours after it is resolved. If something is still not right, reply in this"
            " thread and we'll pick it up.",
            number,
        )
    )


def not_theirs(number: int) -> CustomerMessage:
    """Pressed by someone who is not the ticket's customer: nothing is recorded."""
    return customer_message(
        md(
            "Thanks, but only the customer who asked for help with ticket *#{}* (or a colleague"
            " from their organisation) can rate it, so nothing was recorded.",
            number,
        )
    )


def gone() -> CustomerMessage:
    """A button of a survey that no longer exists."""
    return customer_message("Sorry, this survey is no longer available.")


def rate_first(number: int) -> CustomerMessage:
    """The comment button, pressed by someone who has not rated yet."""
    return customer_message(
        md("Please pick a rating for ticket *#{}* first, then add your comment.", number)
    )


def form_failed() -> CustomerMessage:
    """The comment form could not be opened (the click was too old, or Slack said no)."""
    return customer_message("Sorry, the comment form did not open; please press the button again.")


def comment_modal(
    survey_id: int, number: int, channel_id: str, comment: str = ""
) -> dict[str, Any]:
    """The form for an optional comment on a rating (the last comment sent is kept)."""
    field: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": COMMENT_INPUT,
        "multiline": True,
        "max_length": COMMENT_MAX,
        "placeholder": _plain("What went well, or what could we do better?"),
    }
    if comment:
        field["initial_value"] = comment[:COMMENT_MAX]
    return {
        "type": "modal",
        "callback_id": COMMENT_CALLBACK,
        "title": _plain("Add a comment"),
        "submit": _plain("Send"),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps({"survey": survey_id, "channel": channel_id}),
        "blocks": [
            {
                "type": "input",
                "block_id": COMMENT_BLOCK,
                "label": _plain(f"Your comment on ticket #{number}"),
                "element": field,
            }
        ],
    }


def comment_of(view: dict[str, Any]) -> tuple[int | None, str]:
    """The survey id (from private_metadata) and the comment typed, from a submitted form."""
    try:
        meta = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        meta = {}
    survey_id = meta.get("survey") if isinstance(meta, dict) else None
    typed: Any = view.get("state")
    for key in ("values", COMMENT_BLOCK, COMMENT_INPUT, "value"):
        typed = typed.get(key) if isinstance(typed, dict) else None
    known = isinstance(survey_id, int) and not isinstance(survey_id, bool)
    return (survey_id if known else None, typed if isinstance(typed, str) else "")
