"""No account waits behind another: a burst of requests in one customer's channel keeps Slack's
pace of about one post per second there, while another account's receipt comes about as fast
as on a quiet desk; when the workspace budget is what limits, the higher tier goes first."""

from __future__ import annotations

import asyncio
import time

from bot.emulator import Channel, User, Workspace
from bot.sandbox.sandbox import Sandbox
from bot.sandbox.waits import outbox_settled
from tests.support import world as w
from tests.support.sandboxes import checked_sandbox
from tests.support.transports import BOTH_TRANSPORTS

# Lanes are past the inbox: a burst that arrives over Socket Mode must pace the same way.
pytestmark = BOTH_TRANSPORTS

BURST = 30
# Initech (standard tier) sends receipts here; Globex is strategic.
LANES_YML = w.DESK_YML.replace("    receipts: false\n", "")
LIFTED = "pacing:\n  posts: {calls: 1000, per: 1s}\n  edits: {calls: 1000, per: 1s}\n"
# One post a second for the whole workspace: the budget, not the channels, limits.
SCARCE = "pacing:\n  posts: {calls: 1, per: 1s}\n"
# Hang guard for waits on the bot (nothing here is timed by it).
NEVER = 60.0


def initech_crowd(ws: Workspace, count: int) -> list[str]:
    """`count` more Initech people in its shared channel (each request opens its own ticket)."""
    people = [f"U0INI{n:03d}" for n in range(count)]
    for uid in people:
        ws.add_user(User(id=uid, name=uid.lower(), team_id=w.INITECH_ORG, real_name=uid))
    shared: Channel = ws.channels[w.INITECH_SHARED]
    shared.member_ids |= set(people)
    return people


def receipt_at(box: Sandbox, channel: str, root_ts: str) -> float | None:
    """When the receipt in a request's thread reached Slack (the emulator's transcript)."""
    for call in box.emu.calls_to("chat.postMessage"):
        if (
            call.params.get("channel") == channel
            and call.params.get("thread_ts") == root_ts
            and call.status == 200
        ):
            return call.at
    return None


async def receipt_delay(box: Sandbox, user: str, channel: str, text: str) -> float:
    """Seconds from a customer's request to its receipt in Slack."""
    asked = time.time()
    delivery = await box.emu.post_message(user, channel, text)
    assert delivery.status == 200
    at = await box.emu.wait_for(lambda: receipt_at(box, channel, delivery.ts), within=NEVER)
    return at - asked


def posts_in(box: Sandbox, channel: str) -> list[float]:
    """When each of the bot's posts in a channel reached Slack, in order."""
    return sorted(
        c.at
        for c in box.emu.calls_to("chat.postMessage")
        if c.params.get("channel") == channel and c.status == 200
    )


async def test_a_burst_in_one_channel_does_not_delay_another_accounts_receipt(
    clock, database_url, transport
):
    ws = w.workspace()
    crowd = initech_crowd(ws, BURST)
    config = w.desk_config(LANES_YML + LIFTED)
    async with checked_sandbox(
        config, clock, database_url, workspace=ws, transport=transport
    ) as box:
        quiet = await receipt_delay(box, w.CAROL, w.GLOBEX_SHARED, "Exports fail with an error")
        burst = await asyncio.gather(
            *(
                box.emu.post_message(u, w.INITECH_SHARED, f"Login broken #{n}")
                for n, u in enumerate(crowd)
            )
        )
        assert all(d.status == 200 for d in burst)
        # Wait for the burst to be under way: its receipts wait for the channel's pace.
        await box.emu.wait_for(lambda: len(posts_in(box, w.INITECH_SHARED)) >= 2, within=NEVER)
        busy = await receipt_delay(box, w.DAVE, w.GLOBEX_SHARED, "Dashboard shows an error")
        print(f"receipt: quiet desk {quiet:.2f}s, behind a burst {busy:.2f}s")
        assert busy <= 5 * quiet + 1.0, f"behind the burst: {busy:.2f}s (quiet desk {quiet:.2f}s)"
        assert len(posts_in(box, w.INITECH_SHARED)) < BURST  # the burst was still going
        # Every request of the burst gets its receipt, one post a second in its channel.
        await box.emu.wait_for(
            lambda: len(posts_in(box, w.INITECH_SHARED)) == BURST, within=BURST + NEVER
        )
        times = posts_in(box, w.INITECH_SHARED)
        gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
        assert min(gaps) >= 0.95, f"posts in one channel bunched: {min(gaps):.3f}s apart"
        await outbox_settled(box.desk.services.outbox, within=NEVER)


async def test_when_the_workspace_budget_limits_the_higher_tier_goes_next(
    clock, database_url, transport
):
    ws = w.workspace()
    crowd = initech_crowd(ws, 4)
    config = w.desk_config(LANES_YML + SCARCE)
    async with checked_sandbox(
        config, clock, database_url, workspace=ws, transport=transport
    ) as box:
        burst = await asyncio.gather(
            *(
                box.emu.post_message(u, w.INITECH_SHARED, f"Login broken #{n}")
                for n, u in enumerate(crowd)
            )
        )
        assert all(d.status == 200 for d in burst)
        # Initech's receipts and cards queue for the budget; ask just after one of them went,
        # so the next post is a full second away.
        seen = len(box.emu.calls_to("chat.postMessage"))
        await box.emu.wait_for(
            lambda: len(box.emu.calls_to("chat.postMessage")) >= seen + 2, within=NEVER
        )
        went = len(box.emu.calls_to("chat.postMessage"))
        await box.emu.wait_for(
            lambda: len(box.emu.calls_to("chat.postMessage")) > went, within=NEVER
        )
        asked = await box.emu.post_message(w.CAROL, w.GLOBEX_SHARED, "Exports fail with an error")
        after = len(box.emu.calls_to("chat.postMessage"))
        await box.emu.wait_for(lambda: receipt_at(box, w.GLOBEX_SHARED, asked.ts), within=NEVER)
        waiting_initech = [
            c.params["channel"] for c in box.emu.calls_to("chat.postMessage")[after:]
        ]
        # The strategic account's receipt is the next post, ahead of Initech's queued ones.
        assert waiting_initech[0] == w.GLOBEX_SHARED, waiting_initech
        await outbox_settled(box.desk.services.outbox, within=NEVER)
