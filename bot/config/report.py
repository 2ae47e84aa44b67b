"""The resolved policy table that `connectdesk check` prints."""

from __future__ import annotations

from bot.config.desk import DeskConfig
from bot.domain.digests import WEEKDAYS, DigestSchedule
from bot.domain.durations import format_duration
from bot.domain.tickets import Priority


def policy_table(config: DeskConfig) -> str:
    """Tier × priority × targets, calendar and ladder, as aligned text."""
    header = ("tier", "prio", "first response", "next response", "resolution", "calendar")
    rows = [header]
    for tier in config.tiers.values():
        for priority in Priority:
            targets = tier.targets[priority]
            rows.append(
                (
                    tier.name,
                    priority.value,
                    format_duration(targets.first_response),
                    format_duration(targets.next_response),
                    format_duration(targets.resolution),
                    tier.calendar,
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    for tier in config.tiers.values():
        steps = "; ".join(
            f"at {step.at}: {', '.join(step.notify)}"
            + (f" (repeat every {format_duration(step.repeat)})" if step.repeat else "")
            for step in tier.ladder
        )
        lines.append(f"ladder {tier.name}: {steps or 'none'}")
    for tier in config.tiers.values():
        survey = tier.csat
        when = f"{format_duration(survey.delay)} after" if survey.delay else "when"
        lines.append(
            f"csat {tier.name}: "
            + (
                f"asked {when} resolved, scores <= {survey.low_score} alert"
                if survey.enabled
                else "off"
            )
        )
    lines.append("")
    for name, cal in config.calendars.items():
        lines.append(f"calendar {name}: {describe_calendar(cal)}")
    lines.append("")
    for account in config.accounts:
        calendar = account.calendar or config.tiers[account.tier].calendar
        lines.append(
            f"account {account.name}: tier {account.tier}, calendar {calendar}, "
            f"channels {', '.join(account.shared_channels) or 'none'}, "
            f"receipts {'on' if account.receipts else 'off'}"
        )
    lines.append(
        f"triage: default {config.default_priority.value}; "
        + "; ".join(f"{r.priority.value} <- {', '.join(r.keywords)}" for r in config.triage_rules)
    )
    lines.append(f"grouping window: {format_duration(config.grouping_window)}")
    lines.append(f"reports: weeks and months in {config.team.timezone}")
    lines.append(f"digests: {_digests(config.team.digest_schedule())}")
    llm = config.llm
    lines.append(
        f"reply drafts: {llm.model} at {llm.base_url}, {llm.timeout_seconds:g}s timeout"
        if llm
        else "reply drafts: off"
    )
    posts, edits = config.pacing.posts, config.pacing.edits
    lines.append(
        f"pacing: {posts.calls} posts per {format_duration(posts.per)}, "
        f"{edits.calls} edits per {format_duration(edits.per)} (workspace-wide); "
        "1 post/s per channel"
    )
    lines.append(
        "incident updates promised every: "
        + ", ".join(
            f"{sev.value} {format_duration(every)}"
            for sev, every in config.incidents.update_every.items()
        )
    )
    return "\n".join(lines)


def describe_calendar(cal: object) -> str:
    """One line about a calendar."""
    if getattr(cal, "always_open", False):
        return "24/7"
    tz = getattr(cal, "tz", "")
    closed = len(getattr(cal, "closed_dates", ()))
    return f"{tz}, weekly hours set, {closed} closed dates"


def _digests(schedule: DigestSchedule) -> str:
    at = schedule.at.strftime("%H:%M")
    weekly = (
        f"weekly {WEEKDAYS[schedule.weekday].capitalize()} {at}" if schedule.weekly else "no weekly"
    )
    monthly = f"monthly on the 1st at {at}" if schedule.monthly else "no monthly"
    return f"{weekly}, {monthly} ({schedule.timezone}), to the managers by DM"
