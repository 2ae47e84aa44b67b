"""Account health as our own people read it: the score, the band and the reasons.

Internal only (the account record, the managers' Home and digest, the at-risk DM): never sent
to a shared channel. Account names are typed by people and escaped where quoted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.health import BAND_NAMES, Band
from bot.messages.base import InternalMessage
from bot.messages.markup import Mrkdwn, clip, md

BAND_MARK: dict[Band, str] = {
    Band.HEALTHY: ":large_green_circle:",
    Band.WATCH: ":large_yellow_circle:",
    Band.AT_RISK: ":red_circle:",
}
REASONS_SHOWN = 2  # on a Home line: the two largest deductions
REASONS_CHARS = 160


@dataclass(frozen=True)
class AccountHealthLine:
    """One account's health as a list shows it."""

    name: str
    score: int
    band: Band
    reasons: tuple[str, ...] = ()


def band_label(band: Band) -> Mrkdwn:
    """The band with its colour mark: ":red_circle: at risk"."""
    return md("{} {}", Mrkdwn(BAND_MARK[band]), BAND_NAMES[band])


def score_line(score: int, band: Band) -> Mrkdwn:
    """The score and band: "*35*/100 :red_circle: at risk"."""
    return md("*{}*/100 {}", score, band_label(band))


def record_lines(score: int, band: Band, reasons: Sequence[str]) -> list[Mrkdwn]:
    """The account record's health: the score, then each reason on its own line."""
    lines = [md("*Health*: {}", score_line(score, band))]
    lines += [md("  • {}", reason) for reason in reasons]
    return lines


def list_line(line: AccountHealthLine) -> Mrkdwn:
    """One account in a list (the Home): name, score and band, its largest deductions."""
    shown = "; ".join(line.reasons[:REASONS_SHOWN])
    return md(
        "• *{}* {}{}",
        line.name,
        score_line(line.score, line.band),
        md(" · {}", clip(shown, REASONS_CHARS)) if shown else "",
    )


def digest_section(lines: Sequence[AccountHealthLine]) -> Mrkdwn:
    """The digest's section on the accounts at risk or on watch ("" when there are none)."""
    if not lines:
        return Mrkdwn("")
    items = Mrkdwn("").join(
        md(
            "\n• *{}*: {}/100, {} — {}",
            line.name,
            line.score,
            BAND_NAMES[line.band],
            "; ".join(line.reasons),
        )
        for line in lines
    )
    return md("\n*Account health*{}", items)


def crossed_into_risk(line: AccountHealthLine) -> InternalMessage:
    """The DM to an account's owners and the managers: it has just crossed into at risk."""
    reasons = Mrkdwn("").join(md("\n• {}", reason) for reason in line.reasons)
    return InternalMessage(
        text=md(
            ":red_circle: *{}* is now *at risk*: health *{}*/100.{}\n"
            "The whole record: `/desk account {}`",
            line.name,
            line.score,
            reasons,
            line.name,
        )
    )
