"""The test world: one vendor workspace, two customer orgs, and the desk config that fits it."""

import re

from bot.config.desk import DeskConfig, parse_desk_config
from bot.emulator import Channel, Team, User, Workspace
from bot.emulator.workspace import Install

VENDOR, GLOBEX_ORG, INITECH_ORG = "T0VENDOR", "T0GLOBEX", "T0INITECH"
BOT = "U0BOT"
ALICE, BOB, MIA = "U0ALICE", "U0BOB", "U0MIA"  # account team x2, manager
CAROL, DAVE, IVAN = "U0CAROL", "U0DAVE", "U0IVAN"  # Globex x2, Initech
GLOBEX_SHARED, GLOBEX_INTERNAL = "C0GLOBEX", "C0GLOBINT"
INITECH_SHARED, INITECH_INTERNAL = "C0INITECH", "C0INITINT"
ESCALATION, NEW_SHARED, RANDOM_INTERNAL = "C0ESCAL", "C0NEWSHARE", "C0RANDOM"
# A second workspace of ours (installed by OAuth only), serving its own customer, Hooli.
SECOND, SECOND_BOT, HOOLI_ORG = "T0SECOND", "U0BOT2", "T0HOOLI"
SAM, SUE, HANK = "U0SAM", "U0SUE", "U0HANK"  # its agent, its manager; Hooli's customer
HOOLI_SHARED, HOOLI_INTERNAL, SECOND_ESCALATION = "C0HOOLI", "C0HOOLINT", "C0ESCAL2"

# Digests are off in the test world: its clock starts on a Monday afternoon, within a day of
# the weekly digest's time, and a digest DM in every test would be noise (`with_digests`).
DIGESTS_OFF = "  digest: {weekly: off, monthly: off}\n"

DESK_YML = f"""\
team:
  managers: [{MIA}]
  escalation_channel: {ESCALATION}
{DIGESTS_OFF.rstrip()}
grouping_window: 5m
tiers:
  strategic:
    calendar: 24/7
    renewal_watch: true
    priorities:
      P1: {{first_response: 15m, next_response: 30m, resolution: 4h}}
      P2: {{first_response: 1h, next_response: 2h, resolution: 1d}}
      P3: {{first_response: 4h, next_response: 8h, resolution: 3d}}
      P4: {{first_response: 1d, next_response: 2d, resolution: 10d}}
  standard:
    calendar: 24/7
    priorities:
      P1: {{first_response: 1h, next_response: 2h, resolution: 1d}}
      P2: {{first_response: 4h, next_response: 8h, resolution: 3d}}
      P3: {{first_response: 1d, next_response: 2d, resolution: 5d}}
      P4: {{first_response: 3d, next_response: 5d, resolution: 20d}}
accounts:
  - name: Globex
    tier: strategic
    shared_channels: [{GLOBEX_SHARED}]
    internal_channel: {GLOBEX_INTERNAL}
    owners: [{ALICE}]
    renewal_date: 2027-01-15
    arr: 250000
  - name: Initech
    tier: standard
    shared_channels: [{INITECH_SHARED}]
    internal_channel: {INITECH_INTERNAL}
    owners: [{BOB}]
    receipts: false
triage:
  default_priority: P3
  rules:
    - priority: P1
      keywords: [outage, down, "not working"]
    - priority: P2
      keywords: [error, broken]
"""
# The same desk with a 4-second first response for P3 (24/7): SLA alerts arrive in real time.
FAST_YML = DESK_YML.replace(
    "P3: {first_response: 4h, next_response: 8h, resolution: 3d}",
    "P3: {first_response: 4s, next_response: 8h, resolution: 3d}",
)
# Only the owner is warned (at 75%): every alert is a DM to a ticket's owner. The workspace
# budgets are lifted so that only what a test holds makes anything wait.
OWNER_LADDER_YML = (
    DESK_YML.replace(
        "    renewal_watch: true\n",
        "    renewal_watch: true\n    ladder:\n      - at: 75%\n        notify: [owner]\n",
    )
    + "pacing:\n  posts: {calls: 1000, per: 1s}\n  edits: {calls: 1000, per: 1s}\n"
)

# Words that must never reach a shared channel: tiers, money, internal process, other accounts.
INTERNAL_MARKERS = (
    "strategic",
    "standard",
    "tier",
    "250,000",
    "250000",
    "renewal",
    "breach",
    "escalat",
    "triage",
    "owner note",
    "Initech",
    "Hooli",
    "internal",
    "sev1",
    "sev2",
    "sev3",
    "sev4",
)
# Acronyms match as whole words in capitals: "ARR" is internal, "arrive" and "carry" are not;
# "SLA" is internal, "Slack" is not.
INTERNAL_ACRONYMS = ("ARR", "SLA")


def internal_pattern() -> re.Pattern[str]:
    """What must never reach a customer: the markers (any case) or the acronyms (as words)."""
    words = "|".join(re.escape(m) for m in INTERNAL_MARKERS)
    acronyms = "|".join(re.escape(a) for a in INTERNAL_ACRONYMS)
    return re.compile(rf"(?i:{words})|\b(?:{acronyms})\b")


def desk_config(text: str = DESK_YML) -> DeskConfig:
    """The test desk config (optionally a variant of it)."""
    return parse_desk_config(text, source="test-desk.yml")


def workspace() -> Workspace:
    """A fresh emulated workspace for the test world."""
    ws = Workspace(
        our_team=Team(VENDOR, "Vendor Inc"), bot_user_id=BOT, bot_id="B0BOT", bot_name="connectdesk"
    )
    ws.add_team(Team(GLOBEX_ORG, "Globex Corp"))
    ws.add_team(Team(INITECH_ORG, "Initech"))
    for uid, name, team in [
        (ALICE, "alice", VENDOR),
        (BOB, "bob", VENDOR),
        (MIA, "mia", VENDOR),
        (CAROL, "carol", GLOBEX_ORG),
        (DAVE, "dave", GLOBEX_ORG),
        (IVAN, "ivan", INITECH_ORG),
    ]:
        ws.add_user(User(id=uid, name=name, team_id=team, real_name=name.title(), is_bot=False))
    channels = [
        (GLOBEX_SHARED, "globex-support", True, {ALICE, BOB, CAROL, DAVE, BOT}),
        (GLOBEX_INTERNAL, "globex-internal", False, {ALICE, BOB, MIA, BOT}),
        (INITECH_SHARED, "initech-support", True, {BOB, IVAN, BOT}),
        (INITECH_INTERNAL, "initech-internal", False, {BOB, MIA, BOT}),
        (ESCALATION, "support-escalations", False, {MIA, ALICE, BOB, BOT}),
        (NEW_SHARED, "umbrella-support", True, {ALICE}),
        (RANDOM_INTERNAL, "random", False, {ALICE, BOB, MIA, BOT}),
    ]
    for cid, name, shared, members in channels:
        ws.add_channel(Channel(id=cid, name=name, is_ext_shared=shared, member_ids=set(members)))
    return ws


def two_workspaces_yml() -> str:
    """The test desk for OAuth installs in two workspaces: each account names its workspace,
    and the second workspace has its own managers and escalation channel."""
    head, rest = DESK_YML.split("accounts:\n")
    accounts, triage = rest.split("triage:\n")
    ours = accounts.replace("    tier: ", f"    workspace: {VENDOR}\n    tier: ")
    hooli = (
        "  - name: Hooli\n"
        f"    workspace: {SECOND}\n"
        "    tier: strategic\n"
        f"    shared_channels: [{HOOLI_SHARED}]\n"
        f"    internal_channel: {HOOLI_INTERNAL}\n"
        f"    owners: [{SAM}]\n"
    )
    second = (
        "workspaces:\n"
        f"  {SECOND}:\n"
        f"    managers: [{SUE}]\n"
        f"    escalation_channel: {SECOND_ESCALATION}\n"
    )
    return f"{head}{second}accounts:\n{ours}{hooli}triage:\n{triage}"


def add_second_workspace(ws: Workspace) -> Workspace:
    """Our second workspace (its bot, people and channels) and its customer Hooli."""
    ws.add_install(Install(Team(SECOND, "Vendor EMEA"), SECOND_BOT, "B0BOT2"))
    ws.add_team(Team(HOOLI_ORG, "Hooli"))
    for uid, name, team in [(SAM, "sam", SECOND), (SUE, "sue", SECOND), (HANK, "hank", HOOLI_ORG)]:
        ws.add_user(User(id=uid, name=name, team_id=team, real_name=name.title()))
    channels = [
        (HOOLI_SHARED, "hooli-support", True, {SAM, HANK, SECOND_BOT}),
        (HOOLI_INTERNAL, "hooli-internal", False, {SAM, SUE, SECOND_BOT}),
        (SECOND_ESCALATION, "emea-escalations", False, {SUE, SAM, SECOND_BOT}),
    ]
    for cid, name, shared, members in channels:
        ws.add_channel(Channel(id=cid, name=name, is_ext_shared=shared, member_ids=set(members)))
    return ws


def with_digests(yml: str, weekly: str = "Mon 09:00", monthly: bool = True) -> str:
    """`yml` (the test world's desk.yml or a variant) with the managers' digests on."""
    assert DIGESTS_OFF in yml
    turned = f"  digest: {{weekly: '{weekly}', monthly: {'on' if monthly else 'off'}}}\n"
    return yml.replace(DIGESTS_OFF, turned, 1)
