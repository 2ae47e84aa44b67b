"""Counting what people saw after a reliability run, and printing the figures."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from bot.emulator import Emulator
from tests.support import world as w

NUMBER = re.compile(r"#(\d+)\b")
ALERT_WORDS = {"warning": "SLA warning", "breach": "SLA breached"}
RECEIPT = re.compile(r"ticket \*#(\d+)\*", re.IGNORECASE)


@dataclass
class Figures:
    """What one run sent, injected and got."""

    name: str
    events_sent: int = 0
    deliveries: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    kills: int = 0
    slack_gave_up: int = 0  # events never acknowledged in 4 deliveries (the bot was down)
    tickets_expected: int = 0
    tickets_found: int = 0
    tickets_lost: int = 0
    tickets_duplicate: int = 0
    receipts: Counter[int] = field(default_factory=Counter)
    eyes: int = 0
    cards: Counter[int] = field(default_factory=Counter)
    alerts: Counter[tuple[str, int, str]] = field(default_factory=Counter)
    alerts_expected: int = 0
    leaks: int = 0
    outbox: dict[str, int] = field(default_factory=dict)
    redone: int = 0  # outbox rows that took more than one try (a fault or a crash)

    def lines(self) -> list[str]:
        """The figures, one per line."""
        doubled = sum(1 for n in self.alerts.values() if n > 1)
        return [
            f"[{self.name}] events sent {self.events_sent} (deliveries incl. retries"
            f" {self.deliveries}, never acked {self.slack_gave_up}); faults injected"
            f" {sum(self.faults.values())} {self.faults};"
            f" kills {self.kills}",
            f"[{self.name}] tickets expected {self.tickets_expected}, found {self.tickets_found},"
            f" lost {self.tickets_lost}, duplicates {self.tickets_duplicate}",
            f"[{self.name}] receipts delivered {len(self.receipts)} (more than once:"
            f" {sum(1 for n in self.receipts.values() if n > 1)}), 👀 {self.eyes}, triage cards"
            f" {len(self.cards)} (more than once: {sum(1 for n in self.cards.values() if n > 1)})",
            f"[{self.name}] alerts expected {self.alerts_expected}, delivered {len(self.alerts)},"
            f" more than once {doubled}; internal strings in shared channels {self.leaks};"
            f" outbox {self.outbox}, redone {self.redone}",
        ]


def bot_posts(emu: Emulator, channel: str) -> list:
    """Every message the bot has in a channel (threads included)."""
    return [m for m in emu.messages(channel) if m.user == emu.ws.bot_user_id]


def count_seen(emu: Emulator, figures: Figures, shared: list[str], internal: list[str]) -> None:
    """Fill receipts, 👀, cards, alerts and leaks from what the emulator holds."""
    for channel in shared:
        for m in bot_posts(emu, channel):
            found = RECEIPT.search(m.text)
            if m.thread_ts and found:
                figures.receipts[int(found.group(1))] += 1
        figures.eyes += sum(
            1
            for m in emu.messages(channel)
            if m.user != emu.ws.bot_user_id and w.BOT in m.reactions.get("eyes", [])
        )
    for channel in internal:
        for m in bot_posts(emu, channel):
            if m.text.startswith("Ticket #"):
                figures.cards[int(NUMBER.search(m.text).group(1))] += 1
    for channel in emu.ws.channels.values():
        for m in bot_posts(emu, channel.id):
            kind = next((k for k, word in ALERT_WORDS.items() if word in m.text), "")
            if kind:
                where = channel.im_user or channel.id
                figures.alerts[(kind, int(NUMBER.search(m.text).group(1)), where)] += 1
    markers = w.internal_pattern()
    figures.leaks = sum(
        1
        for m in emu.shared_channel_messages()
        if markers.search(m.text or "") or markers.search(repr(m.blocks or ""))
    )
