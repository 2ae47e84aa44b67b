"""Internal SLA warnings, breach alerts and manual escalations (never for shared channels)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain.durations import format_duration
from bot.messages.base import InternalMessage, clip
from bot.messages.internal import when

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
    last_customer_message: str
    renewal_date: date | None = None
    renewal_risk: bool = False


def _head(ctx: AlertContext) -> str:
    arr = f", ARR ${ctx.arr:,.0f}" if ctx.arr is not None else ""
    return f"#{ctx.number} · {ctx.account} ({ctx.tier}{arr}) · {ctx.priority}"


def _details(ctx: AlertContext) -> list[str]:
    owner = f"<@{ctx.owner}>" if ctx.owner else "nobody (unassigned)"
    lines = [f"• Owner: {owner}"]
    if ctx.last_customer_message:
        quote = clip(ctx.last_customer_message.replace("\n", " "), 300)
        lines.append(f"• Last customer message: _{quote}_")
    if ctx.permalink:
        lines.append(f"• <{ctx.permalink}|Open the thread>")
    if ctx.renewal_risk:
        lines.append(
            f":warning: *Renewal risk*: second SLA breach within 90 days of the renewal on"
            f" {ctx.renewal_date.isoformat() if ctx.renewal_date else 'file'}."
        )
    return lines


def sla_warning(ctx: AlertContext) -> InternalMessage:
    """Before the target: the owner is told how long is left."""
    label = CLOCK_LABEL.get(ctx.clock, ctx.clock)
    left = format_duration(ctx.due_at - ctx.now) if ctx.due_at and ctx.due_at > ctx.now else "0s"
    text = "\n".join(
        [
            f":hourglass_flowing_sand: *SLA warning* ({ctx.percent}%) · {_head(ctx)}",
            f"• {label.capitalize()} due {when(ctx.due_at)}: {left} left",
            *_details(ctx),
        ]
    )
    return InternalMessage(text=clip(text))


def sla_breach(ctx: AlertContext) -> InternalMessage:
    """At or past the target: managers and the escalation channel are told how late it is."""
    label = CLOCK_LABEL.get(ctx.clock, ctx.clock)
    late = ctx.now - ctx.due_at if ctx.due_at else timedelta(0)
    text = "\n".join(
        [
            f":rotating_light: *SLA breached* ({ctx.percent}%) · {_head(ctx)}",
            f"• {label.capitalize()} is {format_duration(max(late, timedelta(0)))} late"
            f" (was due {when(ctx.due_at)})",
            *_details(ctx),
        ]
    )
    return InternalMessage(text=clip(text))


def manual_escalation(ctx: AlertContext, actor: str, reason: str) -> InternalMessage:
    """`/desk escalate` or the Escalate button: the same context, with who and why."""
    text = "\n".join(
        [
            f":mega: *Escalated by <@{actor}>* · {_head(ctx)}",
            f"• Reason: {clip(reason, 500) if reason else '(none given)'}",
            f"• Next due: {when(ctx.due_at)}",
            *_details(ctx),
        ]
    )
    return InternalMessage(text=clip(text))
