"""The reliability world: many customer accounts, each with its own shared and internal channel."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from bot.config.desk import DeskConfig
from bot.emulator import Channel, Team, User, Workspace
from tests.support import world as w

# CONNECTDESK_RELIABILITY_BIG=1 runs the big sizes (minutes); the normal run fits CI.
BIG = os.environ.get("CONNECTDESK_RELIABILITY_BIG") == "1"


@dataclass(frozen=True)
class Sizes:
    """How much traffic one run sends."""

    accounts: int
    rounds: int  # top-level requests per customer (each opens a ticket)
    kills: int


# How long a run may take to settle (seconds).
SETTLE = 300.0 if BIG else 60.0

# Seconds the bot stays up between a restart and the next SIGKILL.
KILL_GAP = (0.5, 2.0) if BIG else (0.2, 1.0)

FAULT_SIZES = Sizes(accounts=40, rounds=5, kills=0) if BIG else Sizes(accounts=8, rounds=2, kills=0)
KILL_SIZES = Sizes(accounts=30, rounds=4, kills=8) if BIG else Sizes(accounts=8, rounds=2, kills=3)


def shared(i: int) -> str:
    return f"C7{i:05d}"


def internal(i: int) -> str:
    return f"C8{i:05d}"


def customer(i: int) -> str:
    return f"U7{i:05d}"


def config_text(accounts: int, first_response: str, ladder: str, grouping: str = "1m") -> str:
    """desk.yml for the world: one tier, fast pacing, every account with its own channels."""
    rows = "".join(
        f"  - name: Acct{i:03d}\n    tier: gold\n    shared_channels: [{shared(i)}]\n"
        f"    internal_channel: {internal(i)}\n"
        for i in range(accounts)
    )
    targets = f"{{first_response: {first_response}, next_response: 1d, resolution: 2d}}"
    return (
        f"team:\n  managers: [{w.MIA}]\n  escalation_channel: {w.ESCALATION}\n"
        f"grouping_window: {grouping}\n"
        "pacing:\n  posts: {calls: 1000, per: 1s}\n  edits: {calls: 1000, per: 1s}\n"
        "tiers:\n  gold:\n    calendar: 24/7\n    priorities:\n"
        + "".join(f"      P{p}: {targets}\n" for p in range(1, 5))
        + ladder
        + "accounts:\n"
        + rows
    )


def desk_config(text: str) -> DeskConfig:
    """The parsed config."""
    return w.desk_config(text)


def workspace(accounts: int) -> Workspace:
    """The test world's vendor workspace plus one customer org per account."""
    ws = w.workspace()
    for i in range(accounts):
        ws.add_team(Team(f"T7{i:05d}", f"Customer {i}"))
        ws.add_user(User(id=customer(i), name=f"cust{i}", team_id=f"T7{i:05d}", real_name="C"))
        ws.add_channel(
            Channel(
                id=shared(i),
                name=f"acct-{i}",
                is_ext_shared=True,
                member_ids={w.BOT, w.ALICE, customer(i)},
            )
        )
        ws.add_channel(
            Channel(id=internal(i), name=f"acct-{i}-team", member_ids={w.BOT, w.ALICE, w.MIA})
        )
    return ws


REQUEST = "Request {i}-{r}: the export job {r} fails with a timeout"


TICKET_IN_TEXT = re.compile(r"#(\d+)\b")
