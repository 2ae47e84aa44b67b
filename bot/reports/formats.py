"""A report as text (for people), JSON (one document) and CSV (one long table, one header).

Times are seconds in JSON and CSV and compact durations (`17m 30s`) in text; shares are 0..1 in
JSON and CSV and percentages in text. A figure with nothing to measure is null / empty / `-`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, timedelta
from typing import Any

from bot.domain.durations import format_duration
from bot.domain.reports import (
    TIMED_CLOCKS,
    CsatTally,
    Delta,
    Figures,
    Period,
    Report,
    Tally,
    TimeStats,
)
from bot.reports.cells import csv_cell, json_value

FORMATS = ("text", "json", "csv")
CSV_COLUMNS = (
    "section",
    "period",
    "week",
    "tier",
    "priority",
    "clock",
    "account",
    "bin",
    "metric",
    "value",
)
NONE = "-"
CLOCK_NAMES = {
    "first_response": "first response",
    "next_response": "next response",
    "resolution": "resolution",
}


def render(report: Report, fmt: str) -> str:
    """The report in one of `FORMATS`."""
    if fmt == "json":
        return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return report_csv(report)
    if fmt == "text":
        return report_text(report)
    raise ValueError(f"unknown report format {fmt!r} (use {', '.join(FORMATS)})")


# ---- shared -------------------------------------------------------------------------------


def _share(value: float | None) -> str:
    return NONE if value is None else f"{100 * value:.1f}%"


def _tally_text(tally: Tally) -> str:
    return NONE if not tally.total else f"{_share(tally.attainment)} ({tally.met}/{tally.total})"


def _seconds(value: float | None) -> str:
    return NONE if value is None else format_duration(timedelta(seconds=round(value)))


def _clock(name: str) -> str:
    return CLOCK_NAMES.get(name, name.replace("_", " "))


def _short_week(label: str) -> str:
    return label.rsplit("-", 1)[-1]  # 2026-W45 -> W45


def _table(rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
    """Aligned columns; `right`: which columns are right-aligned (numbers)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(w) if right[i] else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _lines(report: Report) -> list[tuple[str, str, str]]:
    """The attainment table's lines, tiers in the report's order."""
    order = {tier: n for n, tier in enumerate(report.tiers)}
    return sorted(report.current.attainment.lines(), key=lambda line: order.get(line[0], 0))


def _period_dict(period: Period) -> dict[str, Any]:
    return {
        "kind": period.kind.value,
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "timezone": period.tz.key,
    }


# ---- text ---------------------------------------------------------------------------------


def report_text(report: Report) -> str:
    """The report for a person at a terminal."""
    now, before = report.current, report.previous
    period = report.period
    where = f"workspace {report.team_id}" if report.team_id else "every workspace"
    generated = report.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        f"SLA report {period.label} ({period.tz.key}), {where}; generated {generated}",
        f"compared with {before.period.label}",
        "",
    ]
    if report.is_empty:
        out.append(f"No tickets, SLA clocks or surveys in {period.label}.")
        return "\n".join(out) + "\n"
    out += _headline(report)
    out += ["", "SLA attainment by tier, priority and clock (met / decided)"]
    out += _attainment_lines(report)
    out += ["", "SLA attainment by tier per week"]
    out += _weekly_lines(report)
    out += ["", "Response times (business time as the SLA counts it; wall time start to stop)"]
    out += _times_lines(now, report.tiers)
    out += ["", "First response distribution (business time)"]
    out += _histogram_lines(now)
    out += ["", "CSAT by tier (surveys asked in the period)"]
    out += _csat_lines(now, report.tiers)
    out += ["", "Volume by account (tickets opened; clock runs breached)"]
    out += _account_lines(now)
    return "\n".join(out) + "\n"


def _headline(report: Report) -> list[str]:
    change = report.change
    head = ("", report.period.label, report.previous.period.label, "change")
    rows: list[tuple[str, str, str, str]] = [head]

    def share_row(name: str, delta: Delta) -> tuple[str, str, str, str]:
        moved = delta.change
        return (
            name,
            _share(delta.current),
            _share(delta.previous),
            NONE if moved is None else f"{100 * moved:+.1f} pts",
        )

    def count_row(name: str, delta: Delta) -> tuple[str, str, str, str]:
        moved = delta.change
        relative = delta.relative
        shown = NONE if moved is None else f"{moved:+.0f}"
        if relative is not None:
            shown += f" ({100 * relative:+.0f}%)"
        return (name, f"{delta.current or 0:.0f}", f"{delta.previous or 0:.0f}", shown)

    def time_row(name: str, delta: Delta) -> tuple[str, str, str, str]:
        moved = delta.change
        sign = "+" if moved is not None and moved >= 0 else "-"
        return (
            name,
            _seconds(delta.current),
            _seconds(delta.previous),
            NONE if moved is None else f"{sign}{_seconds(abs(moved))}",
        )

    rows.append(share_row("SLA attainment", change.attainment))
    for tier, delta in change.attainment_by_tier:
        rows.append(share_row(f"  {tier}", delta))
    rows.append(count_row("Breaches", change.breaches))
    rows.append(count_row("Tickets opened", change.tickets_opened))
    average = change.csat_average
    rows.append(
        (
            "CSAT average (1-5)",
            NONE if average.current is None else f"{average.current:.2f}",
            NONE if average.previous is None else f"{average.previous:.2f}",
            NONE if average.change is None else f"{average.change:+.2f}",
        )
    )
    rows.append(share_row("CSAT response rate", change.csat_response_rate))
    rows.append(time_row("First response, median", change.first_response_median))
    rows.append(time_row("Resolution, median", change.resolution_median))
    return _table(rows, (False, True, True, True))


def _attainment_lines(report: Report) -> list[str]:
    table = report.current.attainment
    weeks = report.weeks
    head = ["tier", "prio", "clock", "period", *(_short_week(w.label) for w in weeks)]
    rows = [head]
    for tier, priority, clock in _lines(report):
        cells = [_tally_text(table.tally(tier=tier, priority=priority, clock=clock))]
        cells += [
            _share(table.tally(tier=tier, priority=priority, clock=clock, week=w.index).attainment)
            for w in weeks
        ]
        rows.append([tier, priority, _clock(clock), *cells])
    total = [_tally_text(table.tally())]
    total += [_share(table.tally(week=w.index).attainment) for w in weeks]
    rows.append(["all", "", "", *total])
    if len(rows) == 2:
        return ["  no SLA clock was decided in the period"]
    return _table(rows, (False, False, False, *([True] * (len(head) - 3))))


def _weekly_lines(report: Report) -> list[str]:
    table = report.current.attainment
    rows = [["week", "from", *report.tiers, "all"]]
    for week in report.weeks:
        start = week.start.astimezone(report.period.tz).date().isoformat()
        rows.append(
            [
                week.label,
                start,
                *(_share(table.tally(tier=t, week=week.index).attainment) for t in report.tiers),
                _share(table.tally(week=week.index).attainment),
            ]
        )
    return _table(rows, (False, False, *([True] * (len(rows[0]) - 2))))


def _times_lines(figures: Figures, tiers: Sequence[str]) -> list[str]:
    rows = [
        ["clock", "tier", "runs", "median", "p90", "median (wall)", "p90 (wall)"],
    ]
    for clock in TIMED_CLOCKS:
        for tier in (None, *tiers):
            stats = figures.time(clock, tier)
            if stats is None:
                continue
            rows.append(
                [
                    _clock(clock) if tier is None else "",
                    tier or "all",
                    str(stats.count),
                    _seconds(stats.business_median),
                    _seconds(stats.business_p90),
                    _seconds(stats.wall_median),
                    _seconds(stats.wall_p90),
                ]
            )
    if len(rows) == 1:
        return ["  no first response or resolution in the period"]
    return _table(rows, (False, False, True, True, True, True, True))


def _histogram_lines(figures: Figures) -> list[str]:
    histogram = figures.first_response
    if not histogram.total:
        return ["  no first response in the period"]
    most = max(histogram.counts)
    rows = [
        [label, str(count), "#" * (round(30 * count / most) if count else 0)]
        for label, count in zip(histogram.labels, histogram.counts, strict=True)
    ]
    return _table(rows, (False, True, False))


def _csat_lines(figures: Figures, tiers: Sequence[str]) -> list[str]:
    if not figures.csat_total.surveys:
        return ["  no survey was asked in the period"]
    rows = [["tier", "surveys", "answered", "rate", "answers", "average"]]

    def row(name: str, tally: CsatTally) -> list[str]:
        average = tally.average
        return [
            name,
            str(tally.surveys),
            str(tally.answered),
            _share(tally.response_rate),
            str(tally.answers),
            NONE if average is None else f"{average:.2f}",
        ]

    rows += [row(tier, figures.csat[tier]) for tier in tiers if tier in figures.csat]
    rows.append(row("all", figures.csat_total))
    return _table(rows, (False, True, True, True, True, True))


def _account_lines(figures: Figures) -> list[str]:
    if not figures.accounts:
        return ["  no ticket was opened in the period"]
    rows = [["account", "tier", "opened", "breaches"]]
    rows += [[a.name, a.tier, str(a.opened), str(a.breaches)] for a in figures.accounts]
    rows.append(["all", "", str(figures.tickets_opened), str(figures.breaches)])
    return _table(rows, (False, False, True, True))


# ---- JSON ---------------------------------------------------------------------------------


def _tally_dict(tally: Tally) -> dict[str, Any]:
    return {"met": tally.met, "missed": tally.missed, "attainment": tally.attainment}


def _times_dict(stats: TimeStats) -> dict[str, Any]:
    return {
        "clock": stats.clock,
        "tier": stats.tier,
        "count": stats.count,
        "business_median_seconds": stats.business_median,
        "business_p90_seconds": stats.business_p90,
        "wall_median_seconds": stats.wall_median,
        "wall_p90_seconds": stats.wall_p90,
    }


def _csat_dict(tally: CsatTally) -> dict[str, Any]:
    return {
        "surveys": tally.surveys,
        "answered": tally.answered,
        "answers": tally.answers,
        "average": tally.average,
        "response_rate": tally.response_rate,
    }


def _delta_dict(delta: Delta) -> dict[str, Any]:
    return {"current": delta.current, "previous": delta.previous, "change": delta.change}


def report_dict(report: Report) -> dict[str, Any]:
    """The whole report as JSON-ready data."""
    now = report.current
    table = now.attainment
    weeks = report.weeks

    def by_week(**match: str) -> list[dict[str, Any]]:
        return [{"week": w.label, **_tally_dict(table.tally(week=w.index, **match))} for w in weeks]

    change = report.change
    histogram = now.first_response
    edges: list[float | None] = [None, *histogram.edges]
    return {
        "period": _period_dict(report.period),
        "previous_period": _period_dict(report.previous.period),
        "generated_at": json_value(report.generated_at),
        "workspace": report.team_id,
        "tiers": list(report.tiers),
        "weeks": [
            {"label": w.label, "start": w.start.isoformat(), "end": w.end.isoformat()}
            for w in weeks
        ],
        "tickets_opened": now.tickets_opened,
        "breaches": now.breaches,
        "attainment": {
            **_tally_dict(table.tally()),
            "weeks": by_week(),
            "by_tier": [
                {"tier": tier, **_tally_dict(table.tally(tier=tier)), "weeks": by_week(tier=tier)}
                for tier in report.tiers
            ],
            "by_tier_priority_clock": [
                {
                    "tier": tier,
                    "priority": priority,
                    "clock": clock,
                    **_tally_dict(table.tally(tier=tier, priority=priority, clock=clock)),
                    "weeks": by_week(tier=tier, priority=priority, clock=clock),
                }
                for tier, priority, clock in _lines(report)
            ],
        },
        "response_times": [_times_dict(t) for t in now.times],
        "first_response_distribution": [
            {"bin": label, "from_seconds": low, "to_seconds": high, "count": count}
            for label, low, high, count in zip(
                histogram.labels, edges, [*histogram.edges, None], histogram.counts, strict=True
            )
        ],
        "csat": {
            **_csat_dict(now.csat_total),
            "by_tier": [
                {"tier": tier, **_csat_dict(now.csat[tier])}
                for tier in report.tiers
                if tier in now.csat
            ],
        },
        "accounts": [
            {"account": a.name, "tier": a.tier, "opened": a.opened, "breaches": a.breaches}
            for a in now.accounts
        ],
        "change": {
            "attainment": _delta_dict(change.attainment),
            "attainment_by_tier": [
                {"tier": tier, **_delta_dict(delta)} for tier, delta in change.attainment_by_tier
            ],
            "tickets_opened": _delta_dict(change.tickets_opened),
            "breaches": _delta_dict(change.breaches),
            "csat_average": _delta_dict(change.csat_average),
            "csat_response_rate": _delta_dict(change.csat_response_rate),
            "first_response_median_seconds": _delta_dict(change.first_response_median),
            "resolution_median_seconds": _delta_dict(change.resolution_median),
        },
    }


# ---- CSV ----------------------------------------------------------------------------------


def report_csv(report: Report) -> str:
    """The report as one long table: a row per figure, one header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in csv_rows(report):
        writer.writerow([csv_cell(row.get(column)) for column in CSV_COLUMNS])
    return buffer.getvalue()


def csv_rows(report: Report) -> Iterator[dict[str, Any]]:
    """Each figure as a row of `CSV_COLUMNS` (absent columns empty)."""
    now = report.current
    label = report.period.label
    table = now.attainment

    def tally_rows(base: dict[str, Any], tally: Tally) -> Iterator[dict[str, Any]]:
        yield {**base, "metric": "met", "value": tally.met}
        yield {**base, "metric": "missed", "value": tally.missed}
        yield {**base, "metric": "attainment", "value": tally.attainment}

    for tier, priority, clock in _lines(report):
        base = {"section": "attainment", "period": label, "tier": tier}
        base |= {"priority": priority, "clock": clock}
        yield from tally_rows(base, table.tally(tier=tier, priority=priority, clock=clock))
        for week in report.weeks:
            tally = table.tally(tier=tier, priority=priority, clock=clock, week=week.index)
            yield from tally_rows({**base, "week": week.label}, tally)
    for stats in now.times:
        base = {"section": "response_times", "period": label, "tier": stats.tier or "all"}
        base["clock"] = stats.clock
        values = _times_dict(stats)
        for metric in ("count", "business_median_seconds", "business_p90_seconds"):
            yield {**base, "metric": metric, "value": values[metric]}
        for metric in ("wall_median_seconds", "wall_p90_seconds"):
            yield {**base, "metric": metric, "value": values[metric]}
    for bin_label, count in zip(now.first_response.labels, now.first_response.counts, strict=True):
        yield {
            "section": "first_response_distribution",
            "period": label,
            "clock": "first_response",
            "bin": bin_label,
            "metric": "count",
            "value": count,
        }
    csat_rows = [(t, now.csat[t]) for t in report.tiers if t in now.csat]
    for tier, csat in [*csat_rows, ("all", now.csat_total)]:
        for metric, value in _csat_dict(csat).items():
            yield {
                "section": "csat",
                "period": label,
                "tier": tier,
                "metric": metric,
                "value": value,
            }
    for account in now.accounts:
        base = {"section": "volume", "period": label, "tier": account.tier}
        base["account"] = account.name
        yield {**base, "metric": "opened", "value": account.opened}
        yield {**base, "metric": "breaches", "value": account.breaches}
    for figures in (now, report.previous):
        base = {"section": "headline", "period": figures.period.label}
        total = figures.attainment.tally()
        csat = figures.csat_total
        yield {**base, "metric": "attainment", "value": total.attainment}
        yield {**base, "metric": "breaches", "value": figures.breaches}
        yield {**base, "metric": "tickets_opened", "value": figures.tickets_opened}
        yield {**base, "metric": "csat_average", "value": csat.average}
        yield {**base, "metric": "csat_response_rate", "value": csat.response_rate}
    change = report.change
    for metric, delta in (
        ("attainment", change.attainment),
        ("breaches", change.breaches),
        ("tickets_opened", change.tickets_opened),
        ("csat_average", change.csat_average),
        ("csat_response_rate", change.csat_response_rate),
        ("first_response_median_seconds", change.first_response_median),
        ("resolution_median_seconds", change.resolution_median),
    ):
        yield {"section": "change", "period": label, "metric": metric, "value": delta.change}
