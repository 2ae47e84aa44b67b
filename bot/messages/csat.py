"""Internal messages about satisfaction answers: the low-score alert to the owner and the
account's internal channel (never a shared channel: the gateway's wall refuses it)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages.base import MAX_TEXT, InternalMessage
from bot.messages.markup import Mrkdwn, clip, link, md, mention, quote

# How much of a comment an alert quotes (the whole comment is kept in the database).
QUOTED_COMMENT = 1500


@dataclass(frozen=True)
class LowScore:
    """What the team needs to follow up on an unhappy customer."""

    number: int
    account: str
    score: int
    rater: str
    owner: str | None
    comment: str  # the customer's words, as typed
    permalink: str | None = None
    previous: int | None = None  # the score they changed from, if they changed it
    comment_only: bool = False  # a comment added to a low score already alerted


def low_score_alert(alert: LowScore) -> InternalMessage:
    """`:disappointed: Low CSAT 1/5 · #42 · Globex`, who rated, the owner, the comment, a link."""
    head = (
        md(":speech_balloon: *Comment on a low CSAT ({}/5)*", alert.score)
        if alert.comment_only
        else md(":disappointed: *Low CSAT: {}/5*", alert.score)
    )
    changed = md(" (changed from {}/5)", alert.previous) if alert.previous is not None else ""
    lines = [
        md("{} · #{} · {}", head, alert.number, alert.account),
        md("• Rated by {}{}", mention(alert.rater), changed),
        md("• Owner: {}", mention(alert.owner) if alert.owner else "nobody (unassigned)"),
    ]
    if alert.comment.strip():
        words = quote(alert.comment.strip().replace("\n", " "), QUOTED_COMMENT)
        lines.append(md("• Comment: _{}_", words))
    else:
        lines.append(Mrkdwn("• No comment (yet)"))
    if alert.permalink:
        lines.append(md("• {}", link(alert.permalink, "Open the thread")))
    return InternalMessage(text=clip(Mrkdwn("\n").join(lines), MAX_TEXT))
