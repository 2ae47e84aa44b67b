"""What the team sees of an incident: the declarer's live progress and the delivery record."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.incidents import IncidentStatus, PostKind, PostState, PostTally
from bot.messages.base import MAX_TEXT, InternalMessage
from bot.messages.internal import when
from bot.messages.markup import Mrkdwn, channel, clip, md, mention

POST_LABELS: dict[str, str] = {
    PostKind.NOTICE: "notice",
    PostKind.UPDATE: "update",
    PostKind.CLOSING: "closing reply",
}
MAX_LISTED = 40  # channels listed by name in `incident status`; the rest are counted


@dataclass(frozen=True)
class DeliveryRow:
    """One channel's delivery of one post, as the status listing shows it."""

    seq: int
    kind: str
    channel_id: str
    account: str
    state: str
    ts: str | None
    error: str | None


def tallies(rows: Sequence[DeliveryRow]) -> list[PostTally]:
    """The rows counted per post, in post order."""
    return [
        PostTally(seq, of_post[0].kind, Counter(r.state for r in of_post))
        for seq in sorted({r.seq for r in rows})
        if (of_post := [r for r in rows if r.seq == seq])
    ]


@dataclass(frozen=True)
class IncidentView:
    """An incident as staff see it."""

    number: int
    severity: str
    title: str
    status: str
    audience: str
    declared_by: str
    next_update_at: datetime | None
    linked_tickets: Sequence[int] = ()


def _header(view: IncidentView) -> Mrkdwn:
    return md("Incident #{} · {} · {} · {}", view.number, view.severity, view.status, view.title)


def _post_counts(posts: Sequence[PostTally]) -> list[str]:
    lines = []
    for post in sorted(posts, key=lambda p: p.seq):
        states = post.states
        label = POST_LABELS.get(post.kind, post.kind)
        if post.seq:
            label = f"{label} {post.seq}" if post.kind == PostKind.UPDATE else label
        waiting = states.get(PostState.PENDING, 0) + states.get(PostState.SENDING, 0)
        tail = f", {waiting} to go" if waiting else ""
        lines.append(
            f"{label}: posted {states.get(PostState.SENT, 0)}/{sum(states.values())},"
            f" {states.get(PostState.FAILED, 0)} failed{tail}"
        )
    return lines


def progress(view: IncidentView, posts: Sequence[PostTally]) -> InternalMessage:
    """The declarer's progress message, updated in place as the broadcast goes."""
    lines: list[str] = [
        md(":satellite_antenna: *{}*", _header(view)),
        *(md("• {}", line) for line in _post_counts(posts)),
    ]
    if not posts:
        lines.append("• no affected shared channels")
    return InternalMessage(text=clip(Mrkdwn("\n").join(lines), MAX_TEXT))


def status(view: IncidentView, rows: Sequence[DeliveryRow]) -> InternalMessage:
    """`/desk incident status`: the incident and each channel's delivery state."""
    due = md(" · next update due {}", when(view.next_update_at))
    lines: list[str] = [
        md("*{}*", _header(view)),
        md(
            "Affects: {} · declared by {}{}",
            view.audience,
            mention(view.declared_by),
            due if view.status != IncidentStatus.RESOLVED else "",
        ),
        *(md("• {}", line) for line in _post_counts(tallies(rows))),
    ]
    if view.linked_tickets:
        lines.append("Linked tickets: " + ", ".join(f"#{n}" for n in view.linked_tickets))
    notices = [r for r in rows if r.seq == 0]
    problems = [r for r in rows if r.state != PostState.SENT]
    listed = problems or notices
    lines.append("*Channels*" if not problems else "*Channels not yet posted or failed*")
    for row in listed[:MAX_LISTED]:
        detail = f"sent ({row.ts})" if row.state == PostState.SENT else row.state
        if row.error:
            detail += f": {row.error}"
        lines.append(
            md("• {} ({}) — post {}: {}", channel(row.channel_id), row.account, row.seq, detail)
        )
    if len(listed) > MAX_LISTED:
        lines.append(f"…and {len(listed) - MAX_LISTED} more")
    return InternalMessage(text=clip(Mrkdwn("\n").join(lines), MAX_TEXT))
