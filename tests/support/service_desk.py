"""The real services over a real SQLite store, a manual clock and a fake Slack (no HTTP).

Service tests act as people do (a customer posts, someone runs `/desk`, time passes) and then
`settle()`: every side effect the services queued has been performed against the fake, so a
test asserts on what was posted where, what the store holds and what the audit log says.
This file and `fake_slack.py` are the only places that know how the app is wired.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import select

from bot.app import build_services
from bot.broadcast import progress
from bot.config.desk import DeskConfig
from bot.domain.clock import ManualClock
from bot.installs.gateways import Gateways
from bot.installs.registry import TokenInstall
from bot.jobs.alarm import Alarm
from bot.messages.base import OutboundMessage
from bot.messages.customer_csat import (
    COMMENT_ACTION,
    COMMENT_BLOCK,
    COMMENT_INPUT,
    RATE_ACTIONS,
    comment_of,
)
from bot.observability.metrics import Metrics
from bot.services.container import Services
from bot.services.inputs import Caller, ChannelJoined, HomeOpened, IncomingMessage
from bot.services.intake import IntakeResult
from store import migrate
from store.db import Database
from store.models import AuditEntry, CsatAnswer, CsatSurvey, SlaClock, Ticket
from tests.support import world
from tests.support.fake_slack import FakeSlack, Post

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday
# Effects still under way after this long are a hang, not a slow machine (a loaded 2-core
# box ran a 2-channel broadcast for over 10 s).
SETTLE_WITHIN = 60.0
# No pacing: the fake answers at once, and a test must not wait for Slack's 1 post/s.
UNPACED = ((1_000_000, 1.0), (1_000_000, 1.0))


def migrated_template(folder: Path) -> Path:
    """An empty database at the newest schema, made once and copied for each test."""
    path = folder / "template.db"
    asyncio.run(migrate.upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


def world_slack() -> FakeSlack:
    """The test world (tests/support/world.py) as the bot's Web API client sees it."""
    ws = world.workspace()
    return FakeSlack(
        team_id=world.VENDOR,
        bot_user_id=world.BOT,
        bot_id="B0BOT",
        users={u.id: u.team_id for u in ws.users.values()},
        channels={c.id: c.is_ext_shared for c in ws.channels.values()},
        members={c.id: set(c.member_ids) for c in ws.channels.values()},
    )


class ServiceDesk:
    """One desk under test: its services, the fake Slack behind them, the clock they read."""

    def __init__(
        self,
        services: Services,
        slack: FakeSlack,
        clock: ManualClock,
        wall: ManualClock | None = None,
    ) -> None:
        self.services = services
        self.slack = slack
        self.clock = clock
        # The outbox's own clock, when a test moves it (debounced rows fall due by it).
        self.wall = wall
        self.team = world.VENDOR
        self._events = itertools.count(1)
        self.last_event: IncomingMessage | None = None
        # Side effects a test expects to fail for good (the rest must all land).
        self.expected_failures = 0

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        template: Path,
        folder: Path,
        config: DeskConfig | None = None,
        *,
        wall: ManualClock | None = None,
    ) -> AsyncIterator[ServiceDesk]:
        """A desk on a fresh copy of the migrated `template`, its configured accounts loaded.

        `wall`: the outbox's clock (real time otherwise), for tests of what waits on it.
        """
        path = folder / "desk.db"
        shutil.copyfile(template, path)
        db = Database(f"sqlite+aiosqlite:///{path}")
        slack = world_slack()
        clock = ManualClock(START)
        gateways = Gateways(
            TokenInstall(slack),  # type: ignore[arg-type]  # the fake stands in for the client
            lambda _token: slack,  # type: ignore[arg-type,return-value]
            pacing=UNPACED,
            channel_interval=0.0,
        )
        services = build_services(
            db, config or world.desk_config(), clock, gateways, Metrics(), Alarm(), wall=wall
        )
        desk = cls(services, slack, clock, wall)
        # The declarer's progress DM is edited at most once a second during a broadcast; a
        # test would wait out that second after every incident command.
        try:
            with mock.patch.object(progress, "EVERY_SECONDS", 0.0):
                await services.installs.start()
                await services.triage.start()
                yield desk
                await desk.settle()
        finally:
            await services.broadcaster.close()
            await services.escalation.cards.close(grace=1.0)
            await services.outbox.close(grace=1.0)
            await db.close()

    # ---- people acting -----------------------------------------------------------------------
    async def customer_posts(
        self,
        text: str,
        *,
        user: str = world.CAROL,
        channel: str = world.GLOBEX_SHARED,
        thread_ts: str | None = None,
    ) -> tuple[IntakeResult, Post]:
        """A customer writes (top level, or in a thread); what intake made of it, settled."""
        return await self._posts(text, user, world.GLOBEX_ORG, channel, thread_ts)

    async def team_posts(
        self,
        text: str,
        *,
        user: str = world.ALICE,
        channel: str = world.GLOBEX_SHARED,
        thread_ts: str | None = None,
    ) -> tuple[IntakeResult, Post]:
        """One of our people writes in a channel or a ticket's thread, settled."""
        return await self._posts(text, user, world.VENDOR, channel, thread_ts)

    async def customers_post_together(
        self, posts: list[tuple[str, str]], channel: str = world.GLOBEX_SHARED
    ) -> list[tuple[IntakeResult, Post]]:
        """Customers' (user, text) top-level posts arriving in one batch of events, settled."""
        made = [self._event(text, user, world.GLOBEX_ORG, channel, None) for user, text in posts]
        results = await self.services.intake.on_messages([m for m, _p in made])
        await self.settle()
        return [(r, p) for r, (_m, p) in zip(results, made, strict=True)]

    async def _posts(
        self, text: str, user: str, team: str, channel: str, thread_ts: str | None
    ) -> tuple[IntakeResult, Post]:
        message, post = self._event(text, user, team, channel, thread_ts)
        self.last_event = message
        [result] = await self.services.intake.on_messages([message])
        await self.settle()
        return result, post

    def _event(
        self, text: str, user: str, team: str, channel: str, thread_ts: str | None
    ) -> tuple[IncomingMessage, Post]:
        """Someone writes in the fake Slack; the message event the bot would hear of it."""
        post = self.slack.person_posts(channel, user, text, thread_ts)
        message = IncomingMessage(
            event_id=f"Ev{next(self._events):06d}",
            team_id=self.team,
            channel_id=channel,
            user_id=user,
            user_team=team,
            text=text,
            ts=post.ts,
            thread_ts=thread_ts,
            subtype=None,
            bot_id=None,
            is_ext_shared_channel=bool(self.slack.channels.get(channel)),
        )
        return message, post

    async def redeliver(self, event: IncomingMessage | None) -> IntakeResult:
        """Slack sends the same event again."""
        assert event is not None
        [result] = await self.services.intake.on_messages([event])
        await self.settle()
        return result

    async def desk(
        self, text: str, *, user: str = world.ALICE, channel: str = world.GLOBEX_INTERNAL
    ) -> str:
        """`/desk <text>`: the reply only the caller sees, once its effects have landed."""
        reply = await self.services.desk.run(Caller(self.team, user, channel, None), text)
        await self.settle()
        return shown(reply)

    async def press(self, action_id: str, ticket_id: int, *, user: str = world.ALICE) -> str:
        """A triage-card button: the reply only the presser sees, once effects have landed."""
        caller = Caller(self.team, user, world.GLOBEX_INTERNAL, None)
        reply = await self.services.desk.press(caller, action_id, str(ticket_id))
        await self.settle()
        return shown(reply)

    async def open_home(self, user: str = world.ALICE, *, tab: str = "home") -> str | None:
        """Someone opens the app's Home: what it shows them once published (None: nothing)."""
        event = HomeOpened(f"Ev{next(self._events):06d}", self.team, user, tab)
        await self.services.home.opened(event)
        await self.settle()
        return self.slack.home(user)

    async def press_home(self, action_id: str, ticket_id: int, *, user: str = world.ALICE) -> None:
        """A button on someone's App Home, once its effects have landed."""
        caller = Caller(self.team, user, None, None)
        await self.services.desk.press_home(caller, action_id, str(ticket_id))
        await self.settle()

    async def rate(self, survey: Post, score: int, *, user: str = world.CAROL) -> str:
        """Someone presses a rating button on a survey as shown; what only they see, settled."""
        button = survey_button(survey, RATE_ACTIONS[score - 1])
        caller = self._presser(user, survey.channel)
        reply = await self.services.csat.press(caller, button["action_id"], button["value"])
        await self.settle()
        return shown(reply) if reply is not None else ""

    async def press_comment(self, survey: Post, *, user: str = world.CAROL) -> str:
        """Someone presses "Add a comment" on a survey; what only they see ("" if the form
        opened: it is the last of `slack.views`), settled."""
        button = survey_button(survey, COMMENT_ACTION)
        caller = self._presser(user, survey.channel)
        reply = await self.services.csat.press(caller, button["action_id"], button["value"])
        await self.settle()
        return shown(reply) if reply is not None else ""

    async def send_comment(
        self, form: dict[str, Any], text: str, *, user: str = world.CAROL
    ) -> dict[str, str]:
        """Someone sends the comment form with `text`; the field errors shown (empty: taken)."""
        sent = {
            **form,
            "state": {"values": {COMMENT_BLOCK: {COMMENT_INPUT: {"value": text}}}},
        }
        survey_id, typed = comment_of(sent)
        meta = json.loads(form["private_metadata"])
        caller = self._presser(user, meta.get("channel"))
        errors = await self.services.csat.comment(caller, survey_id, typed)
        await self.settle()
        return errors

    def _presser(self, user: str, channel: str | None) -> Caller:
        """A button press or form as Slack names its sender: their own team, a fresh trigger."""
        team = self.slack.users[user]
        return Caller(team, user, channel, f"trigger-{next(self._events)}", user_team=team)

    async def bot_joins(
        self, channel: str, *, shared: bool | None = None, event_id: str | None = None
    ) -> bool:
        """The bot was added to a channel (member_joined_channel); whether it hinted."""
        event_id = event_id or f"Ev{next(self._events):06d}"
        event = ChannelJoined(event_id, self.team, channel, world.BOT, shared)
        hinted = await self.services.accounts.on_channel_joined(event)
        await self.settle()
        return hinted

    async def advance(self, delta: timedelta) -> int:
        """Time passes and the timer sweep runs; how many alerts it decided, all delivered."""
        self.clock.advance(delta)
        return await self.sweep()

    async def sweep(self) -> int:
        """Run the timer sweep now; how many alerts it decided, all delivered."""
        decided = await self.services.escalation.sweep()
        await self.settle()
        return decided

    # ---- waiting for effects -----------------------------------------------------------------
    async def settle(self) -> None:
        """Until nothing is under way: background effects, broadcasts, card edits, and outbox
        rows due again (which are run now)."""
        for _ in range(20):
            await self._quiet()
            if not await self.services.outbox.drain():
                return
        raise AssertionError("the outbox kept finding work: an effect that never settles")

    async def _quiet(self) -> None:
        """Wait for every task but this one: nothing here runs forever (no loops started)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_WITHIN
        while True:
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if not others:
                return
            left = deadline - loop.time()
            if left <= 0:
                names = sorted(t.get_name() for t in others)
                raise AssertionError(f"still under way after {SETTLE_WITHIN}s: {names}")
            await asyncio.wait(others, timeout=left)

    # ---- the store ---------------------------------------------------------------------------
    async def ticket(self, number: int) -> Ticket:
        """A ticket as stored now."""
        async with self.services.db.reading() as uow:
            found = await uow.tickets.by_number(self.team, number)
        assert found is not None, f"no ticket #{number}"
        return found

    async def audit(self, number: int | None = None) -> list[tuple[str, str, dict[str, Any]]]:
        """(action, actor, detail) of the audit log, of one ticket or of everything, in order."""
        async with self.services.db.reading() as uow:
            query = select(AuditEntry).order_by(AuditEntry.id)
            if number is not None:
                query = query.where(AuditEntry.ticket_id == (await self.ticket(number)).id)
            rows = (await uow.session.scalars(query)).all()
        return [(r.action, r.actor, dict(r.detail or {})) for r in rows]

    async def clocks(self, number: int) -> dict[str, SlaClock]:
        """A ticket's current SLA clock run of each kind (its latest cycle)."""
        ticket = await self.ticket(number)
        async with self.services.db.reading() as uow:
            query = select(SlaClock).where(SlaClock.ticket_id == ticket.id).order_by(SlaClock.id)
            rows = (await uow.session.scalars(query)).all()
        return {row.kind: row for row in rows}

    async def surveys_of(self, number: int) -> list[CsatSurvey]:
        """A ticket's satisfaction surveys as stored, oldest first."""
        ticket = await self.ticket(number)
        async with self.services.db.reading() as uow:
            return list(await uow.csat.for_ticket(ticket.id))

    async def answers_of(self, number: int) -> list[CsatAnswer]:
        """Every answer to a ticket's surveys, oldest first."""
        ticket = await self.ticket(number)
        async with self.services.db.reading() as uow:
            query = select(CsatAnswer).where(CsatAnswer.ticket_id == ticket.id)
            return list((await uow.session.scalars(query.order_by(CsatAnswer.id))).all())

    async def unfinished_effects(self) -> dict[str, int]:
        """Outbox rows not done, by state (empty when every side effect landed)."""
        # `failed` are given up for good; `pending` and `sending` are still to be tried.
        async with self.services.db.reading() as uow:
            counts = await uow.outbox.counts()
        return {state: n for state, n in counts.items() if state != "done" and n}

    # ---- what people saw ---------------------------------------------------------------------
    def receipt(self, post: Post) -> Post:
        """The bot's one reply in the thread of a customer's post (their receipt); a survey
        asked there once it was resolved is not counted."""
        replies = [p for p in self.bot_replies(post) if not is_survey(p)]
        assert len(replies) == 1, f"expected one receipt, the bot replied {len(replies)} times"
        return replies[0]

    def surveys(self, post: Post) -> list[Post]:
        """The satisfaction surveys the bot asked in the thread of a customer's post."""
        return [p for p in self.bot_replies(post) if is_survey(p)]

    def bot_replies(self, post: Post) -> list[Post]:
        """Everything the bot said in the thread of a customer's post, oldest first."""
        return [p for p in self.slack.thread(post.channel, post.ts) if p.user == world.BOT]

    def card(self, number: int, channel: str = world.GLOBEX_INTERNAL) -> Post:
        """The triage card of a ticket in its account's internal channel."""
        cards = [
            p
            for p in self.slack.in_channel(channel)
            if p.user == world.BOT and p.text.startswith(f"Ticket #{number} ")
        ]
        assert len(cards) == 1, f"expected one card for #{number}, found {len(cards)}"
        return cards[0]

    def assert_wall_held(self) -> None:
        """Nothing the bot put in a shared channel, in any version, reads as internal."""
        leaks = self.slack.leaks(world.internal_pattern())
        assert not leaks, f"internal content reached customers: {leaks}"


def survey_button(post: Post, action_id: str) -> dict[str, Any]:
    """The button `action_id` on a message as shown (a test presses only what people see)."""
    for block in post.blocks:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return dict(element)
    raise AssertionError(f"no button {action_id} on {post.shown!r}")


def is_survey(post: Post) -> bool:
    """Whether a bot post is a satisfaction survey (its outbox key, in the message metadata)."""
    key = ((post.metadata or {}).get("event_payload") or {}).get("outbox") or ""
    return str(key).startswith("csat:")


def shown(message: OutboundMessage) -> str:
    """What a person reads of a reply: its text and the text of its blocks."""
    return Post("", "", "", message.text, list(message.blocks)).shown
