"""SIGKILL the real bot while Slack holds one of its posts, restart it: the post shows once.

For each effect that once posted straight after its commit (the "please link" hint, the note
on a ticket linked to a resolved incident), the emulator holds the bot's chat.postMessage,
either after recording the message (`landed`: only the answer is lost) or before it (the
request is lost), and the bot is killed while it waits. The restarted bot finds the outbox
row left `sending`: it finds the landed message by its metadata, or posts it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.emulator import Emulator
from bot.emulator.holds import Hold
from store.db import Database
from tests.support import world as w
from tests.support.bot_process import BotProcess, free_port, serve_env

TOKEN, SECRET = "xoxb-crash-test-token", "crash-test-signing-secret"
HINT_WORDS = "I was added to"
NOTE_WORDS = "may have affected"
WITHIN = 30.0
LANDED = pytest.mark.parametrize("landed", [True, False], ids=["landed", "lost"])


@dataclass
class Desk:
    """The emulator, the bot process serving it, and where the bot keeps its database."""

    emu: Emulator
    bot: BotProcess
    db_url: str

    async def crash_while_held(self, hold: Hold) -> None:
        """SIGKILL the bot while Slack holds its post, let the held call go, start it again."""
        await hold.reached(WITHIN)
        await self.bot.kill()
        hold.release()
        await self.bot.start()

    async def outbox_settled(self) -> dict[str, int]:
        """Wait until no outbox row is pending or being sent; the counts per state."""
        probe = Database(self.db_url)  # a reader beside the running bot (SQLite WAL)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WITHIN
        try:
            while True:
                async with probe.reading() as uow:
                    counts = await uow.outbox.counts()
                if not counts.get("pending") and not counts.get("sending"):
                    return counts
                if loop.time() > deadline:
                    raise TimeoutError(f"outbox not settled within {WITHIN}s: {counts}")
                await asyncio.sleep(0.1)
        finally:
            await probe.close()


@asynccontextmanager
async def running_desk(tmp_path: Path) -> AsyncIterator[Desk]:
    """The test world in the emulator, served by `connectdesk serve` in its own process."""
    config = tmp_path / "desk.yml"
    config.write_text(w.DESK_YML)
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    log = tmp_path / "serve.log"
    async with Emulator(w.workspace(), signing_secret=SECRET, bot_token=TOKEN) as emu:
        port = free_port()
        env = serve_env(emu.api_url, port, config, db_url, TOKEN, SECRET)
        # A row left `sending` by the killed process is taken up again a second later.
        env["CONNECTDESK_OUTBOX_LEASE"] = "1"
        env.pop("SLACK_APP_TOKEN", None)
        bot = BotProcess(env, port, log)
        await bot.start()
        emu.app_url = f"http://127.0.0.1:{port}/slack/events"
        try:
            yield Desk(emu, bot, db_url)
            assert await bot.stop() == 0, log.read_text()[-3000:]
        finally:
            if bot.proc is not None and bot.proc.returncode is None:
                await bot.kill()


@LANDED
async def test_link_hint_shows_once_across_a_crash_mid_post(tmp_path: Path, landed: bool):
    async with running_desk(tmp_path) as desk:
        emu = desk.emu
        hold = emu.hold(
            "chat.postMessage", channel=w.ESCALATION, text_contains=HINT_WORDS, landed=landed
        )
        await emu.join_channel(w.BOT, w.NEW_SHARED)
        await desk.crash_while_held(hold)
        counts = await desk.outbox_settled()

        hints = [s for s in emu.seen_by(w.MIA, w.ESCALATION) if HINT_WORDS in s.text]
        assert len(hints) == 1, hints
        assert hints[0].author_id == w.BOT and hints[0].thread_ts is None
        assert "/desk link" in hints[0].text and w.NEW_SHARED in hints[0].raw_text
        assert not [
            m for m in emu.ws.messages if HINT_WORDS in m.text and m.channel_id != w.ESCALATION
        ]
        assert set(counts) == {"done"}, counts  # nothing failed or left behind


@LANDED
async def test_incident_note_shows_once_across_a_crash_mid_post(tmp_path: Path, landed: bool):
    async with running_desk(tmp_path) as desk:
        emu = desk.emu
        await emu.slash_command(
            w.ALICE, w.GLOBEX_INTERNAL, "incident declare sev2 Exports are delayed accounts: Globex"
        )
        await emu.wait_for(
            lambda: [m for m in emu.messages(w.GLOBEX_SHARED) if "aware of an issue" in m.text],
            WITHIN,
        )
        ts = (await emu.post_message(w.CAROL, w.GLOBEX_SHARED, "My export hangs for an hour")).ts
        assert ts
        receipt = await emu.wait_for(
            lambda: [m for m in emu.messages(w.GLOBEX_SHARED) if m.bot_id and m.thread_ts == ts],
            WITHIN,
        )
        assert "ongoing issue" in receipt[0].text  # the ticket is linked to the incident
        hold = emu.hold(
            "chat.postMessage", channel=w.GLOBEX_SHARED, text_contains=NOTE_WORDS, landed=landed
        )
        await emu.slash_command(w.ALICE, w.GLOBEX_INTERNAL, "incident resolve 1")
        await desk.crash_while_held(hold)
        counts = await desk.outbox_settled()

        notes = [s for s in emu.seen_by(w.CAROL, w.GLOBEX_SHARED) if NOTE_WORDS in s.text]
        assert len(notes) == 1, notes
        assert notes[0].author_id == w.BOT and notes[0].thread_ts == ts
        assert "ticket *#1*" in notes[0].text and "Exports are delayed" in notes[0].text
        assert not [
            m for m in emu.ws.messages if NOTE_WORDS in m.text and m.channel_id != w.GLOBEX_SHARED
        ]
        assert set(counts) == {"done"}, counts  # nothing failed or left behind
