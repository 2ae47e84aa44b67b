"""Broadcasting to 200 shared channels under Slack-like limits: once each, on time, restartable."""

from __future__ import annotations

import math
import time

import pytest
from sqlalchemy import update

from bot.emulator import Channel, Team, User, Workspace
from bot.sandbox.sandbox import Sandbox
from store.models import IncidentDelivery
from tests.support import world as w
from tests.support.sandboxes import assert_calls_match_spec, assert_wall_held

CHANNELS = 200
ACCOUNTS = 20
# The emulator's limits; the bot's budget is configured to the same numbers.
PER_WINDOW, WINDOW = 40, 1.0


def channel_id(i: int) -> str:
    return f"C1{i:06d}"


def account_name(a: int) -> str:
    return f"Customer{a:02d}"


def big_config(posts_per_window: int = PER_WINDOW):
    accounts = []
    per = CHANNELS // ACCOUNTS
    for a in range(ACCOUNTS):
        channels = ", ".join(channel_id(a * per + i) for i in range(per))
        accounts.append(
            f"  - name: {account_name(a)}\n    tier: standard\n"
            f"    shared_channels: [{channels}]\n    internal_channel: {w.RANDOM_INTERNAL}\n"
        )
    text = w.DESK_YML.split("accounts:\n")[0] + "accounts:\n" + "".join(accounts)
    text += (
        "pacing:\n"
        f"  posts: {{calls: {posts_per_window}, per: {int(WINDOW)}s}}\n"
        "  edits: {calls: 1000, per: 1s}\n"
    )
    return w.desk_config(text)


def big_workspace() -> Workspace:
    ws = w.workspace()
    for a in range(ACCOUNTS):
        ws.add_team(Team(f"T9{a:04d}", account_name(a)))
        ws.add_user(User(id=f"U9{a:04d}", name=f"cust{a}", team_id=f"T9{a:04d}", real_name="C"))
    per = CHANNELS // ACCOUNTS
    for i in range(CHANNELS):
        member = f"U9{i // per:04d}"
        ws.add_channel(
            Channel(
                id=channel_id(i), name=f"cust-{i}", is_ext_shared=True, member_ids={w.BOT, member}
            )
        )
    return ws


@pytest.fixture
async def big(request, database_url: str):
    # A test may set the bot's budget above the emulator's limit (marker `budget`).
    marker = request.node.get_closest_marker("budget")
    config = big_config(marker.args[0] if marker else PER_WINDOW)
    box = Sandbox(config, workspace=big_workspace(), database_url=database_url)
    await box.start()
    box.emu.limits.set(
        "chat.postMessage",
        per_channel_per_second=1,
        workspace_calls=PER_WINDOW,
        workspace_window_seconds=WINDOW,
    )
    try:
        yield box
        assert_wall_held(box)
        assert_calls_match_spec(box)
        names = [account_name(a) for a in range(ACCOUNTS)] + ["sev1", "sev2", "standard"]
        for message in box.emu.shared_channel_messages():
            assert not any(n.casefold() in message.text.casefold() for n in names), message.text
    finally:
        await box.stop()


def posted(box: Sandbox, word: str) -> dict[str, list]:
    by_channel: dict[str, list] = {channel_id(i): [] for i in range(CHANNELS)}
    for call in box.emu.calls_to("chat.postMessage"):
        if call.status == 200 and call.params.get("channel") in by_channel:
            if word in call.params.get("text", ""):
                by_channel[call.params["channel"]].append(call)
    return by_channel


def bound(posts: int) -> float:
    return (math.ceil(posts / PER_WINDOW) - 1) * WINDOW


async def test_broadcast_to_200_channels_once_each_within_the_bound(big: Sandbox):
    emu = big.emu
    started = time.time()
    await emu.slash_command(
        w.ALICE, w.RANDOM_INTERNAL, "incident declare sev2 Exports are delayed accounts: all"
    )
    await emu.wait_for(lambda: all(posted(big, "aware of an issue").values()), within=60)
    notices = posted(big, "aware of an issue")
    finished = max(c.at for calls in notices.values() for c in calls)
    elapsed = finished - started
    # The limits bind every chat.postMessage the bot made meanwhile (the declarer's progress
    # DM is one of them), so the bound counts them all.
    made = [
        c
        for c in emu.calls_to("chat.postMessage")
        if c.status == 200 and started <= c.at <= finished
    ]
    ratio = elapsed / bound(len(made))
    print(
        f"\nnotice to {CHANNELS} channels: {elapsed:.2f}s for {len(made)} posts; bound "
        f"{bound(len(made)):.2f}s ({PER_WINDOW} per {WINDOW:g}s workspace-wide, 1/s per "
        f"channel); ratio {ratio:.2f}; 429s answered: {emu.rate_limited_calls('chat.postMessage')}"
    )
    assert all(len(calls) == 1 for calls in notices.values())
    assert len(made) <= CHANNELS + 1
    # How close to the bound is the broadcast benchmark's figure (bench/README.md), not a timed
    # test's on a shared machine (1.07 alone, over 1.2 in a full run on a busy day). Here: paced
    # by the budget, not by a second pass over the channels (2x) or a stall of seconds.
    assert elapsed <= bound(len(made)) + 3 * WINDOW
    await big.desk.services.broadcaster.idle()
    await emu.slash_command(
        w.ALICE, w.RANDOM_INTERNAL, "incident update 1 Rolling back the release."
    )
    await emu.wait_for(lambda: all(posted(big, "Rolling back").values()), within=60)
    await big.desk.services.broadcaster.idle()
    updates = posted(big, "Rolling back")
    for channel, calls in updates.items():
        assert len(calls) == 1
        assert calls[0].params["thread_ts"] == notices[channel][0].response["ts"], channel
        # The status line of that channel's notice was brought up to date in place.
        assert "Rolling back" in emu.message(channel, notices[channel][0].response["ts"]).text
    progress = [s for s in emu.seen_by(w.ALICE) if "Incident #1 ·" in s.raw_text]
    assert "notice: posted 200/200, 0 failed" in progress[-1].raw_text
    assert "update 1: posted 200/200, 0 failed" in progress[-1].raw_text


@pytest.mark.budget(1000)
async def test_a_budget_above_slacks_limit_meets_429s_and_still_posts_each_channel_once(
    big: Sandbox,
):
    emu = big.emu
    await emu.slash_command(
        w.ALICE, w.RANDOM_INTERNAL, "incident declare sev2 Exports are delayed accounts: all"
    )
    await emu.wait_for(lambda: all(posted(big, "aware of an issue").values()), within=60)
    await big.desk.services.broadcaster.idle()
    limited = emu.rate_limited_calls("chat.postMessage")
    print(f"\nbudget 1000/s against Slack's {PER_WINDOW}/s: {limited} 429s, each retried")
    assert limited > 0
    assert [len(c) for c in posted(big, "aware of an issue").values()] == [1] * CHANNELS
    assert "notice: posted 200/200, 0 failed" in await _status(big)


async def test_restart_mid_broadcast_posts_no_channel_twice_and_misses_none(big: Sandbox):
    emu = big.emu
    await emu.slash_command(
        w.ALICE, w.RANDOM_INTERNAL, "incident declare sev1 Logins fail accounts: all"
    )
    await emu.wait_for(
        lambda: sum(bool(c) for c in posted(big, "aware of an issue").values()) >= 60, within=30
    )
    await big.stop_bot()  # the broadcast stops mid-flight, some posts in the air
    stopped_at = sum(bool(c) for c in posted(big, "aware of an issue").values())
    await big.start_bot()
    await emu.wait_for(lambda: all(posted(big, "aware of an issue").values()), within=60)
    await big.desk.services.broadcaster.idle()
    counts = [len(c) for c in posted(big, "aware of an issue").values()]
    print(
        f"\nstopped after {stopped_at}/{CHANNELS} channels; after restart: "
        f"{sum(1 for n in counts if n == 1)} once, {sum(1 for n in counts if n > 1)} twice or more"
    )
    assert counts == [1] * CHANNELS


async def test_post_that_landed_before_a_crash_is_found_not_resent(big: Sandbox):
    emu = big.emu
    await emu.slash_command(
        w.ALICE, w.RANDOM_INTERNAL, "incident declare sev3 Slow search accounts: Customer00"
    )
    await emu.wait_for(
        lambda: sum(bool(c) for c in posted(big, "aware of an issue").values()) == 10
    )
    await big.desk.services.broadcaster.idle()
    await big.stop_bot()
    # As if the process died after Slack took the post but before the ts was stored.
    async with big.desk_db() as db, db.unit_of_work() as uow:
        await uow.session.execute(
            update(IncidentDelivery).values(
                state="sending", ts=None, claimed_at=IncidentDelivery.sent_at
            )
        )
    await big.start_bot()
    await big.desk.services.broadcaster.idle()
    counts = [len(c) for c in posted(big, "aware of an issue").values() if c]
    assert counts == [1] * 10
    assert len(emu.calls_to("conversations.history")) >= 10
    status = await _status(big)
    assert "notice: posted 10/10, 0 failed" in status


async def _status(box: Sandbox) -> str:
    from tests.support.actions import desk

    return await desk(box, w.ALICE, "incident status 1", w.RANDOM_INTERNAL)
