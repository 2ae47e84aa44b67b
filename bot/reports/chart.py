"""The report's chart as PNG bytes: SLA attainment by tier per week, and the distribution of
first-response times. A period with no data gets an image that says so, never a blank one.

Drawn on matplotlib's Agg canvas directly (a `Figure`, no pyplot): no global backend or figure
state, so it works in any thread and needs no display. matplotlib is imported when a chart is
drawn, not when this module is: it costs about half a second, and most commands draw none.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

from bot.domain.reports import Report

if TYPE_CHECKING:
    from matplotlib.axes import Axes

WIDTH_INCHES, HEIGHT_INCHES, DPI = 11.0, 4.8, 100
NO_DATA_COLOUR = "#555555"


def _plain(text: str) -> str:
    # matplotlib reads $...$ as maths: a name with dollar signs must show as typed.
    return text.replace("$", r"\$")


def render_chart(report: Report) -> bytes:
    """The chart of `report` as a PNG image."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    period = _plain(report.period.label)
    if report.is_empty:
        figure.text(0.5, 0.58, f"No data for {period}", ha="center", va="center", fontsize=22)
        figure.text(
            0.5,
            0.42,
            "No SLA clock was decided, no ticket opened and no survey asked in this period.",
            ha="center",
            va="center",
            fontsize=12,
            color=NO_DATA_COLOUR,
        )
    else:
        figure.suptitle(f"connectdesk SLA report, {period} ({report.period.tz.key})")
        attainment, distribution = figure.subplots(1, 2, width_ratios=(3, 2))
        _attainment_by_week(attainment, report)
        _first_response(distribution, report)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def _no_data(axes: Axes, text: str) -> None:
    axes.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        transform=axes.transAxes,
        fontsize=12,
        color=NO_DATA_COLOUR,
    )
    axes.set_xticks([])
    axes.set_yticks([])


def _attainment_by_week(axes: Axes, report: Report) -> None:
    from matplotlib.ticker import PercentFormatter

    axes.set_title("SLA attainment by tier, per week")
    table = report.current.attainment
    weeks = report.weeks
    x = list(range(len(weeks)))
    drawn = 0
    for tier in report.tiers:
        shares = [table.tally(tier=tier, week=w.index).attainment for w in weeks]
        if all(s is None for s in shares):
            continue
        y = [math.nan if s is None else 100 * s for s in shares]
        axes.plot(x, y, marker="o", label=_plain(tier))
        drawn += 1
    if not drawn:
        _no_data(axes, "No SLA clock was decided in this period")
        return
    axes.set_ylim(0, 105)
    axes.yaxis.set_major_formatter(PercentFormatter())
    axes.set_xticks(x, [w.label.rsplit("-", 1)[-1] for w in weeks])
    axes.set_xlim(-0.5, len(weeks) - 0.5)
    axes.grid(axis="y", alpha=0.3)
    axes.legend(loc="lower left", fontsize=9)


def _first_response(axes: Axes, report: Report) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.set_title("First response (business time)")
    histogram = report.current.first_response
    if not histogram.total:
        _no_data(axes, "No first response in this period")
        return
    positions = list(range(len(histogram.counts)))
    axes.bar(positions, histogram.counts, color="#4c72b0")
    axes.set_xticks(positions, histogram.labels, rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("first responses")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)
