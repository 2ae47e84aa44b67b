"""Internal SLA warnings, breach alerts and manual escalations (never for shared channels)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain.durations import format_duration
from bot.messages.base import MAX_TEXT, InternalMessage
from bot.messages.internal import when
from bot.messages.markup import Mrkdwn, clip, link, md, mention, quote

CLOCK_LABEL = {
    "first_response": "first response",
    "next_response": "next response",
    "resolution": "resolution",
}


@dataclass(frozen=True)
class AlertContext:
    """What a manager needs to act on a late ticket."""

    number: int
    account: str
    tier: str
    arr: float | None
    priority: str
    clock: str
    percent: int
    due_at: datetime | None
    now: datetime
    owner: str | None
    permalink: str | None
    last_customer_message: str  # the customer's words, as Slack sent them
    renewal_date: date | None = None
    renewal_risk: bool = False


def _head(ctx: AlertContext) -> Mrkdwn:
    arr = f", ARR ${ctx.arr:,.0f}" if ctx.arr is not None else ""
    return md("#{} · {} ({}{}) · {}", ctx.number, ctx.account, ctx.tier, arr, ctx.priority)


def _details(ctx: AlertContext) -> list[Mrkdwn]:
    owner = mention(ctx.owner) if ctx.owner else "nobody (unassigned)"
    lines = [md("• Owner: {}", owner)]
    if ctx.last_customer_message:
        words = quote(ctx.last_customer_message.replace("\n", " "), 300)
        lines.append(md("• Last customer message: _{}_", words))
    if ctx.permalink:
        lines.append(md("• {}", link(ctx.permalink, "Open the thread")))
    if ctx.renewal_risk:
        lines.append(
            md(
                ":warning: *Renewal risk*: second SLA breach within 90 days of the renewal on {}.",
                ctx.renewal_date.isoformat() if ctx.renewal_date else "file",
            )
        )
    return lines


def _lines(*lines: str) -> InternalMessage:
    return InternalMessage(text=clip(Mrkdwn("\n").join(lines), MAX_TEXT))


def sla_warning(ctx: AlertContext) -> InternalMessage:
    """Before the target: the owner is told how long is left."""
    label = CLOCK_LABEL.get(ctx.clock, ctx.clock)
    left = format_duration(ctx.due_at - ctx.now) if ctx.due_at and ctx.due_at > ctx.now else "0s"
    return _lines(
        md(":hourglass_flowing_sand: *SLA warning* ({}%) · {}", ctx.percent, _head(ctx)),
        md("• {} due {}: {} left", label.capitalize(), when(ctx.due_at), left),
        *_details(ctx),
    )


def sla_breach(ctx: AlertContext) -> InternalMessage:
    """At or past the target: managers and the escalation channel are told how late it is."""
    label = CLOCK_LABEL.get(ctx.clock, ctx.clock)
    late = ctx.now - ctx.due_at if ctx.due_at else timedelta(0)
    return _lines(
        md(":rotating_light: *SLA breached* ({}%) · {}", ctx.percent, _head(ctx)),
        md(
            "• {} is {} late (was due {})",
            label.capitalize(),
            format_duration(max(late, timedelta(0))),
            when(ctx.due_at),
        ),
        *_details(ctx),
    )


def manual_escalation(ctx: AlertContext, actor: str, reason: str) -> InternalMessage:
    """`/desk escalate` or the Escalate button: the same context, with who and why."""
    return _lines(
        md(":mega: *Escalated by {}* · {}", mention(actor), _head(ctx)),
        md("• Reason: {}", quote(reason, 500) if reason else "(none given)"),
        md("• Next due: {}", when(ctx.due_at)),
        *_details(ctx),
    )
