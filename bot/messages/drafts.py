"""Reply drafts on the team's side: the draft in the triage card's thread, and its edit form.

The draft is a model's words: escaped and quoted like a customer's (`block_quote`), so an
`<!channel>` or `<@U…>` it contains pings no one. It is only ever shown to the team.
"""

from __future__ import annotations

import json
from typing import Any, TypeGuard

from bot.messages.base import MAX_SECTION, InternalMessage
from bot.messages.internal import block_quote
from bot.messages.markup import md

DRAFT_EDIT_ACTION = "draft_edit"
DRAFT_CALLBACK = "draft_send"
DRAFT_BLOCK = "draft_reply"
DRAFT_INPUT = "text"
# Slack: a plain_text_input holds at most 3,000 characters; a modal title at most 24.
REPLY_MAX = 3000


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def draft_note(number: int, draft: str, draft_id: int, ticket_id: int) -> InternalMessage:
    """The draft in the card's thread, with the button that opens it for editing."""
    heading = md(
        ":memo: *Suggested reply for ticket #{}* (an AI draft from the knowledge base)."
        " Nothing has been sent: check it, then *Edit and send*.",
        number,
    )
    value = json.dumps({"ticket": ticket_id, "draft": draft_id})
    blocks = (
        {"type": "section", "text": {"type": "mrkdwn", "text": heading}},
        {"type": "section", "text": {"type": "mrkdwn", "text": block_quote(draft, MAX_SECTION)}},
        {
            "type": "actions",
            "block_id": f"draft:{draft_id}",
            "elements": [
                {
                    "type": "button",
                    "text": _plain("Edit and send"),
                    "action_id": DRAFT_EDIT_ACTION,
                    "value": value,
                    "style": "primary",
                }
            ],
        },
    )
    return InternalMessage(
        text=md("Suggested reply for ticket #{} (draft, not sent)", number), blocks=blocks
    )


def _an_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def draft_ref(value: str) -> tuple[int, int] | None:
    """(ticket id, draft id) from the button's value; None if it is not one of ours."""
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    ticket, draft = data.get("ticket"), data.get("draft")
    if not _an_id(ticket) or not _an_id(draft):
        return None
    return ticket, draft


def draft_modal(number: int, ticket_id: int, draft: str, channel_id: str | None) -> dict[str, Any]:
    """The form an agent edits the draft in; sending it posts it to the customer as theirs."""
    return {
        "type": "modal",
        "callback_id": DRAFT_CALLBACK,
        "title": _plain(f"Reply on #{number}"[:24]),
        "submit": _plain("Send"),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps({"ticket": ticket_id, "channel": channel_id}),
        "blocks": [
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": md(
                            "Sent in the customer's thread of ticket #{} as your reply.", number
                        ),
                    }
                ],
            },
            {
                "type": "input",
                "block_id": DRAFT_BLOCK,
                "label": _plain("Your reply"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": DRAFT_INPUT,
                    "multiline": True,
                    "max_length": REPLY_MAX,
                    "initial_value": draft[:REPLY_MAX],
                },
            },
        ],
    }


def sent_reply(view: dict[str, Any]) -> tuple[int | None, str]:
    """The ticket id (from private_metadata) and the reply typed, from a submitted form."""
    try:
        meta = json.loads(str(view.get("private_metadata") or "{}"))
    except ValueError:
        meta = {}
    ticket = meta.get("ticket") if isinstance(meta, dict) else None
    typed: Any = view.get("state")
    for key in ("values", DRAFT_BLOCK, DRAFT_INPUT, "value"):
        typed = typed.get(key) if isinstance(typed, dict) else None
    known = isinstance(ticket, int) and not isinstance(ticket, bool)
    return (ticket if known else None, typed if isinstance(typed, str) else "")
