"""A benchmark world: many accounts, each with a shared and an internal channel."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.desk import DeskConfig, parse_desk_config
from bot.emulator import Channel, Team, User, Workspace

VENDOR, CUSTOMERS = "T0VENDOR", "T0CUSTOMERS"
BOT, MANAGER, ESCALATION = "U0BOT", "U0MANAGER", "C0ESCALATE"
TIER = "standard"


def shared_channel(account: int) -> str:
    """The Slack Connect channel of account `account`."""
    return f"C2{account:06d}"


def internal_channel(account: int) -> str:
    """The account team's own channel of account `account` (triage cards go there)."""
    return f"C3{account:06d}"


def owner(index: int) -> str:
    """The user id of account team member `index`."""
    return f"U3{index:06d}"


@dataclass(frozen=True)
class Sizes:
    """How big the world is and how fast the bot may post (its `pacing:` budget)."""

    accounts: int
    owners: int = 1
    posts_per_second: int = 10_000
    edits_per_second: int = 10_000
    ladder: str = ""  # YAML lines under the tier, e.g. a ladder; empty: the default ladder
    # `team.managers`: MANAGER by default; the Home benchmark makes owners managers too.
    managers: tuple[str, ...] = (MANAGER,)


def desk_yaml(sizes: Sizes) -> str:
    """The desk.yml text of the world (24/7, every account on one tier)."""
    accounts = "".join(
        f"  - name: Account{a:06d}\n    tier: {TIER}\n"
        f"    shared_channels: [{shared_channel(a)}]\n    internal_channel: {internal_channel(a)}\n"
        f"    owners: [{owner(a % sizes.owners)}]\n"
        for a in range(sizes.accounts)
    )
    return (
        f"team:\n  managers: [{', '.join(sizes.managers)}]\n  escalation_channel: {ESCALATION}\n"
        "grouping_window: 5m\n"
        f"tiers:\n  {TIER}:\n    calendar: 24/7\n"
        "    priorities:\n"
        "      P1: {first_response: 1h, next_response: 2h, resolution: 1d}\n"
        "      P2: {first_response: 4h, next_response: 8h, resolution: 3d}\n"
        "      P3: {first_response: 1d, next_response: 2d, resolution: 5d}\n"
        "      P4: {first_response: 3d, next_response: 5d, resolution: 20d}\n"
        f"{sizes.ladder}"
        f"accounts:\n{accounts}"
        # High on purpose: a benchmark of our code, not of Slack's posting limits.
        "pacing:\n"
        f"  posts: {{calls: {sizes.posts_per_second}, per: 1s}}\n"
        f"  edits: {{calls: {sizes.edits_per_second}, per: 1s}}\n"
    )


def desk_config(sizes: Sizes) -> DeskConfig:
    """The parsed config of the world."""
    return parse_desk_config(desk_yaml(sizes), source="bench-desk.yml")


def workspace(sizes: Sizes) -> Workspace:
    """The emulated workspace of the world (customers are added as the benchmark needs them)."""
    ws = Workspace(Team(VENDOR, "Vendor Inc"), bot_user_id=BOT, bot_id="B0BOT")
    ws.add_team(Team(CUSTOMERS, "Customers"))
    ws.add_user(User(MANAGER, "manager", VENDOR, real_name="Manager"))
    team = {BOT, MANAGER}
    for o in range(sizes.owners):
        ws.add_user(User(owner(o), f"owner{o}", VENDOR, real_name=f"Owner {o}"))
    ws.add_channel(Channel(ESCALATION, "escalations", False, set(team)))
    for a in range(sizes.accounts):
        ws.add_channel(Channel(shared_channel(a), f"acct{a}-support", True, {BOT}))
        ws.add_channel(Channel(internal_channel(a), f"acct{a}-internal", False, set(team)))
    return ws


def add_customer(ws: Workspace, index: int, account: int) -> str:
    """A new customer user posting in the account's shared channel; their id."""
    user_id = f"U9{index:07d}"
    ws.add_user(User(user_id, f"cust{index}", CUSTOMERS, real_name=f"Customer {index}"))
    ws.channels[shared_channel(account)].member_ids.add(user_id)
    return user_id
