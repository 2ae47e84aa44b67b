"""`connectdesk demo`: a scripted day in a shared channel on the local emulator, no tokens needed.

It prints what the customer, the account team and the manager each saw: each message as first
posted with its edits under it, replies under their parent, reactions, at the demo clock's time
(its day moves on between steps as the narration says, and jumps ahead for the SLA part), then
each one's App Home as it is at the end (the team's for the manager and the agent who opened it).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import re
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config.desk import parse_desk_config
from bot.domain.clock import ManualClock
from bot.emulator import Channel, Team, User, Workspace
from bot.messages.customer_csat import COMMENT_ACTION, COMMENT_BLOCK, COMMENT_INPUT, RATE_ACTIONS
from bot.reports.chart import render_chart
from bot.sandbox.sandbox import Sandbox
from bot.services.reports import ReportService

VENDOR, CUSTOMER = "T0VENDOR", "T0GLOBEX"
BOT, ALICE, MIA, CAROL = "U0BOT", "U0ALICE", "U0MIA", "U0CAROL"
SHARED, INTERNAL, ESCALATION = "C0GLOBEXSUP", "C0GLOBEXINT", "C0ESCALATE"

DEMO_CONFIG = f"""\
team:
  managers: [{MIA}]
  escalation_channel: {ESCALATION}
  # The day starts on a Monday after 09:00: the weekly digest would be due at once, and could
  # only say that the week before (before the demo) was empty.
  digest: {{weekly: off, monthly: off}}
tiers:
  strategic:
    calendar: 24/7
    priorities:
      P1: {{first_response: 15m, next_response: 30m, resolution: 4h}}
      P2: {{first_response: 1h, next_response: 2h, resolution: 1d}}
      P3: {{first_response: 4h, next_response: 8h, resolution: 3d}}
      P4: {{first_response: 1d, next_response: 2d, resolution: 10d}}
accounts:
  - name: Globex
    tier: strategic
    shared_channels: [{SHARED}]
    internal_channel: {INTERNAL}
    owners: [{ALICE}]
    arr: 250000
    renewal_date: 2027-01-31
triage:
  rules:
    - priority: P1
      keywords: [outage, down, "not working"]
"""

# What the demo's customer must never see: tier, money, renewal, severity, SLA wording.
_INTERNAL = re.compile(r"(?i:strategic|tier|250,000|renewal|sev[1-4]|escalat)|\b(?:ARR|SLA)\b")

# The demo's day starts on a Monday morning; time then jumps ahead (compressed) for the SLA part.
DEMO_START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)

# Carol's comment on her rating (what the team reads in the alert).
COMMENT = "Fixed in the end, but exports were down all morning and nobody told us why."

PEOPLE = (
    (CAROL, "Carol (customer, Globex)"),
    (ALICE, "Alice (account team)"),
    (MIA, "Mia (support manager)"),
)


def demo_workspace() -> Workspace:
    """Our vendor workspace and the customer's org sharing one channel."""
    ws = Workspace(Team(VENDOR, "Vendor Inc"), bot_user_id=BOT, bot_id="B0BOT")
    ws.add_team(Team(CUSTOMER, "Globex Corp"))
    ws.add_user(User(ALICE, "alice", VENDOR, "Alice"))
    ws.add_user(User(MIA, "mia", VENDOR, "Mia"))
    ws.add_user(User(CAROL, "carol", CUSTOMER, "Carol"))
    ws.add_channel(Channel(SHARED, "globex-support", True, {BOT, ALICE, CAROL}))
    ws.add_channel(Channel(INTERNAL, "globex-team", False, {BOT, ALICE, MIA}))
    ws.add_channel(Channel(ESCALATION, "support-escalations", False, {BOT, MIA}))
    return ws


def default_chart() -> Path:
    """Where the demo writes the month's chart unless told: a folder of its own in the temp
    folder, overwritten by each run (the README's first command leaves nothing in the repo)."""
    return Path(tempfile.gettempdir()) / "connectdesk-demo" / f"attainment-{DEMO_START:%Y-%m}.png"


async def run_demo(
    speed: float = 1.0, out: Callable[[str], Any] = print, chart: Path | None = None
) -> int:
    """Play the scripted day, print each person's view and write the month's chart to `chart`
    (default: `default_chart()`); 0 on success."""
    chart = (chart or default_chart()).absolute()
    problem = _unwritable(chart)
    if problem:
        # Said before the day is played, not after it.
        out(f"connectdesk demo: cannot write the chart to {chart}: {problem}")
        return 1
    # The demo prints what people saw; the desk's own logs would bury it. Restored after, as
    # the demo may run inside another program (the tests).
    logger = logging.getLogger("connectdesk")
    before = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return await _play(speed, out, chart)
    finally:
        logger.setLevel(before)


async def _play(speed: float, out: Callable[[str], Any], chart: Path) -> int:
    # matplotlib takes seconds to import on a busy machine: import it while the day plays
    # (mostly waits), not after it.
    drawing = asyncio.create_task(asyncio.to_thread(_import_matplotlib))
    pause = 0.3 / max(speed, 0.01)
    clock = ManualClock(DEMO_START)
    config = parse_desk_config(DEMO_CONFIG, "demo")
    async with Sandbox(config, workspace=demo_workspace(), clock=clock) as box:
        emu = box.emu

        async def wake() -> None:
            # Compressed time: after a jump of the clock, wake the timer sweep as the due time
            # would have.
            if box.desk is not None:
                box.desk.scheduler.wake_at(clock.now())

        async def step(
            title: str,
            action: Any,
            settle: Callable[[], Any],
            after: timedelta = timedelta(),
        ) -> Any:
            # The demo's day moves on `after` the previous step, as a real one would.
            clock.advance(after)
            out(f"  · {clock.now():%H:%M} {title}")
            result = await action
            await emu.wait_for(settle, within=10)
            # Everything the step set off lands at this step's time, not after the clock moved.
            await box.quiet()
            await asyncio.sleep(pause)
            return result

        out(
            "connectdesk demo: a day in the shared channel #globex-support"
            f" ({DEMO_START:%a %d %b %Y}; times in UTC on the demo's clock)\n"
        )
        request = await step(
            "Carol (Globex) posts a request in the shared channel",
            emu.post_message(CAROL, SHARED, "Our exports are down since 9am, nothing downloads."),
            lambda: _cards(emu),
        )
        await step(
            "Carol adds a detail a minute later (joins the same ticket)",
            emu.post_message(CAROL, SHARED, "Also the scheduled report did not arrive."),
            lambda: len([c for c in emu.calls_to("reactions.add")]) >= 2,
            after=timedelta(minutes=1),
        )
        await step(
            "Carol thanks the team and congratulates them (chatter: no ticket opens)",
            emu.post_message(CAROL, SHARED, "thanks! and congrats on the new office, great photos"),
            lambda: True,
            after=timedelta(minutes=1),
        )
        card = _cards(emu)[0]
        await step(
            "Alice presses Claim on the triage card",
            emu.click_button(ALICE, INTERNAL, card.ts, "ticket_claim", _ticket_id(card)),
            lambda: "<@U0ALICE>" in _text_of(emu, card.ts),
            after=timedelta(minutes=2),
        )
        await step(
            "Alice replies in the customer's thread (first response)",
            emu.post_message(
                ALICE,
                SHARED,
                "Hi Carol, on it: the export workers are restarting.",
                thread_ts=request.ts,
            ),
            lambda: "answered" in _blocks_of(emu, card.ts),
            after=timedelta(minutes=3),
        )
        await step(
            "Alice resolves it with /desk",
            emu.slash_command(ALICE, INTERNAL, "resolve 1 export workers restarted"),
            lambda: "white_check_mark" in emu.reactions(SHARED, request.ts),
            after=timedelta(minutes=9),
        )
        question = await step(
            "Carol asks a new question (P3: first reply due within 4 hours)",
            emu.post_message(CAROL, SHARED, "Could you add SSO for our contractors' accounts?"),
            lambda: len(_cards(emu)) >= 2,
            after=timedelta(minutes=15),
        )
        card2 = _cards(emu)[-1]
        await step(
            "Alice claims it, then gets pulled into a meeting",
            emu.click_button(ALICE, INTERNAL, card2.ts, "ticket_claim", _ticket_id(card2)),
            lambda: "<@U0ALICE>" in _text_of(emu, card2.ts),
            after=timedelta(minutes=2),
        )
        await step(
            "3 hours after the question (compressed): 75% of the target is used, Alice is warned",
            wake(),
            lambda: _bot_dms(emu, ALICE, "SLA warning"),
            after=timedelta(hours=2, minutes=59),
        )
        await step(
            "1 more hour: the first-response SLA is breached, Mia and #support-escalations alerted",
            wake(),
            lambda: _bot_dms(emu, MIA, "SLA breached"),
            after=timedelta(hours=1),
        )
        await step(
            "Alice answers Carol (first response, 1 minute late; the outcome is recorded)",
            emu.post_message(
                ALICE,
                SHARED,
                "Sorry for the wait! SSO for contractors is on the roadmap for Q1.",
                thread_ts=question.ts,
            ),
            lambda: "answered" in _blocks_of(emu, card2.ts),
        )
        await step(
            "Mia declares an incident for Globex (Carol gets a notice, Mia sees the progress)",
            emu.slash_command(
                MIA,
                INTERNAL,
                "incident declare sev2 Scheduled report emails are delayed accounts: Globex",
            ),
            lambda: _notices(emu, "aware of an issue"),
            after=timedelta(minutes=4),
        )
        await step(
            "Mia posts an update (a reply under the notice; its status line is edited)",
            emu.slash_command(MIA, INTERNAL, "incident update 1 The mail queue is draining."),
            lambda: _notices(emu, "*Update:*"),
            after=timedelta(minutes=20),
        )
        await step(
            "Mia resolves the incident (a closing reply)",
            emu.slash_command(MIA, INTERNAL, "incident resolve 1 All delayed reports were sent."),
            # Done when Carol has the closing reply and Mia's progress DM shows it delivered.
            lambda: (
                _notices(emu, "*Resolved:*") and _bot_dms(emu, MIA, "closing reply: posted 1/1")
            ),
            after=timedelta(minutes=25),
        )
        await step(
            "Mia checks the queue",
            emu.slash_command(MIA, INTERNAL, "queue"),
            lambda: [s for s in emu.seen_by(MIA) if s.kind == "ephemeral"],
            after=timedelta(minutes=2),
        )
        survey, rate_2 = _survey(emu), RATE_ACTIONS[1]
        await step(
            "Carol rates #1 2/5 in the survey (thanks in place; Alice and #globex-team alerted)",
            emu.click_button(CAROL, SHARED, survey.ts, rate_2, _button(survey, rate_2)),
            lambda: _bot_dms(emu, ALICE, "Low CSAT: 2/5") and _csat_posts(emu, "Low CSAT"),
            after=timedelta(minutes=4),
        )
        await step(
            "Carol adds a comment to her rating (passed on to the team)",
            _comment(emu, _survey(emu), COMMENT),
            lambda: _bot_dms(emu, ALICE, "Comment on a low CSAT") and _csat_posts(emu, "Comment"),
            after=timedelta(minutes=1),
        )
        await step(
            "Mia and Alice open the app's Home (the team and this month; Alice's open tickets)",
            asyncio.gather(emu.homes.open(MIA), emu.homes.open(ALICE)),
            lambda: emu.homes.text(MIA) and emu.homes.text(ALICE),
            after=timedelta(minutes=5),
        )
        await step(
            f"{DEMO_START:%B}'s report chart is drawn (what `connectdesk report --chart` writes)",
            _write_chart(box, chart, drawing),
            lambda: True,
            after=timedelta(minutes=3),
        )
        out("")
        for user, label in PEOPLE:
            out(f"=== What {label} saw ===")
            out(emu.transcript(user) or "(nothing)")
            out("")
        leaks = [
            m.text
            for m in emu.shared_channel_messages()
            if _INTERNAL.search(m.text) or _INTERNAL.search(repr(m.blocks or ""))
        ]
        out(f"Internal details in the shared channel: {len(leaks)}")
        out(f"Chart written to {chart} (SLA attainment by tier per week, first-response times)")
        return 1 if leaks else 0


def _unwritable(path: Path) -> str | None:
    """Why the chart cannot be written to `path` (its folder is made if missing), or None."""
    if path.is_dir():
        return "it is a folder"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot make the folder {path.parent} ({exc.strerror or exc})"
    if not os.access(path.parent, os.W_OK | os.X_OK):
        return f"the folder {path.parent} is not writable"
    return None


def _import_matplotlib() -> None:
    """What the chart draws with (bot/reports/chart.py imports it when it first draws)."""
    importlib.import_module("matplotlib.figure")
    importlib.import_module("matplotlib.backends.backend_agg")


async def _write_chart(box: Sandbox, path: Path, ready: Awaitable[None]) -> None:
    """The demo month's report chart, drawn as `connectdesk report --chart` draws it (all
    workspaces, the team's time zone, the configured tiers), written whole or not at all;
    once `ready` (matplotlib imported)."""
    assert box.desk is not None and box.clock is not None
    await ready
    reports = ReportService(
        box.desk.services.db,
        box.clock,
        timezone=box.config.team.timezone,
        tiers=tuple(box.config.tiers),
    )
    report = await reports.report(reports.period(month=f"{DEMO_START:%Y-%m}"))
    # Drawing takes CPU, not I/O: off the event loop, as the reports by DM do.
    png = await asyncio.to_thread(render_chart, report)
    # Two runs at once may share the default path: each writes its own part, then replaces.
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    part.write_bytes(png)
    os.replace(part, path)


async def _comment(emu: Any, thanks: Any, words: str) -> None:
    """Carol presses "Add a comment" on the thanks and sends the form it opens."""
    await emu.click_button(
        CAROL, SHARED, thanks.ts, COMMENT_ACTION, _button(thanks, COMMENT_ACTION)
    )
    [form] = await emu.wait_for(lambda: emu.views_opened(CAROL), within=10)
    values = {COMMENT_BLOCK: {COMMENT_INPUT: {"value": words}}}
    await emu.submit_view(CAROL, form["id"], values)


def _survey(emu: Any) -> Any:
    """The satisfaction survey (or the thanks it became) in the shared channel."""
    [survey] = [m for m in emu.messages(SHARED) if m.user == BOT and "csat:" in repr(m.blocks)]
    return survey


def _button(message: Any, action_id: str) -> str:
    """The value of a message's button."""
    for block in message.blocks or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise RuntimeError(f"no {action_id} button on {message.text!r}")


def _csat_posts(emu: Any, word: str) -> list[Any]:
    """The bot's CSAT alerts in the account's internal channel."""
    return [m for m in emu.messages(INTERNAL) if m.user == BOT and word in m.text]


def _bot_dms(emu: Any, user: str, word: str) -> list[Any]:
    return [s for s in emu.seen_by(user) if s.author_id == BOT and word in s.raw_text]


def _notices(emu: Any, word: str) -> list[Any]:
    return [m for m in emu.messages(SHARED) if m.user == BOT and word in m.text]


def _text_of(emu: Any, ts: str) -> str:
    """A message's text in the internal channel ("" while it is not there)."""
    message = emu.message(INTERNAL, ts)
    return (message.text or "") if message is not None else ""


def _blocks_of(emu: Any, ts: str) -> str:
    """A message's blocks in the internal channel, written out ("" while it is not there)."""
    message = emu.message(INTERNAL, ts)
    return repr(message.blocks) if message is not None else ""


def _cards(emu: Any) -> list[Any]:
    return [m for m in emu.messages(INTERNAL) if m.user == BOT and m.text.startswith("Ticket #")]


def _ticket_id(card: Any) -> str:
    return _button(card, "ticket_claim")
