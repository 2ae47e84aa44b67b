"""An agent sends a reply draft: the button opens it in a form; sending posts it as their reply.

The reply goes to the customer's thread through the gateway, as a customer message naming the
agent, and is recorded as the agent's reply (`IntakeService.record_team_reply`): it stops the
first-response clock as writing in the thread would. It is posted while the form waits, so a
failure is shown on the form and the agent can send again; the bot's own post, echoed back as
an event, is not counted a second time (intake skips the bot's messages).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import timedelta

from bot.domain.clock import Clock, SystemClock
from bot.installs.registry import NotInstalled
from bot.messages.base import InternalMessage
from bot.messages.customer_replies import agent_reply, fits_a_reply
from bot.messages.drafts import DRAFT_BLOCK, draft_modal, draft_ref
from bot.messages.internal import notice
from bot.outbox.kinds import OutboxKind
from bot.services.inputs import Caller, IncomingMessage
from bot.services.intake import IntakeService
from bot.services.people import People
from store.db import Database
from store.models import Ticket

log = logging.getLogger("connectdesk.drafts")

# How far back a Send looks for the same reply already posted (one look in the thread).
SAME_REPLY_WITHIN = timedelta(minutes=10)
GONE = "This draft is no longer available; write the reply in the thread instead."


class DraftReplies:
    """The "Edit and send" button and the form it opens."""

    def __init__(
        self, db: Database, people: People, intake: IntakeService, wall: Clock | None = None
    ) -> None:
        """`wall`: real time, which Slack's message timestamps follow."""
        self.db = db
        self.people = people
        self.intake = intake
        self.wall = wall or SystemClock()

    async def press(self, caller: Caller, value: str) -> InternalMessage | None:
        """Open the draft in a form for one of our people; else what went wrong, privately."""
        caller = await self._in_our_workspace(caller)
        if not await self._ours(caller):
            return notice("Only the support team can send replies.")
        ref = draft_ref(value)
        if ref is None:
            return notice(f":warning: {GONE}")
        ticket_id, draft_id = ref
        async with self.db.reading() as uow:
            ticket = await uow.tickets.by_id(ticket_id)
            row = await uow.outbox.get(draft_id)
        if (
            ticket is None
            or ticket.team_id != caller.team_id
            or row is None
            or row.kind != OutboxKind.DRAFT
            or row.ticket_id != ticket.id
        ):
            return notice(f":warning: {GONE}")
        if not caller.trigger_id:
            return notice(":warning: The form did not open; please press the button again.")
        gateway = await self.people.gateways.at(caller.team_id)
        form = draft_modal(
            ticket.number, ticket.id, str(row.payload.get("text") or ""), caller.channel_id
        )
        opened = await gateway.open_view(caller.trigger_id, form)
        return None if opened.ok else notice(":warning: The form did not open; please try again.")

    async def send(self, caller: Caller, ticket_id: int | None, text: str) -> dict[str, str]:
        """Post the reply in the customer's thread as the caller's and record it; what to show
        on the form if it cannot be sent (empty: sent)."""
        text = text.strip()
        if not text:
            return {DRAFT_BLOCK: "Write the reply first."}
        if not fits_a_reply(text):
            # Cut short, the customer would read less than the ticket records as said.
            return {DRAFT_BLOCK: "This reply is too long for one Slack message; shorten it."}
        try:
            caller = await self._in_our_workspace(caller)
            ours = await self._ours(caller)
        except NotInstalled:
            ours = False
        if not ours:
            return {DRAFT_BLOCK: "Only the support team can send replies."}
        ticket = await self._ticket(caller, ticket_id)
        if ticket is None:
            return {DRAFT_BLOCK: "This ticket is no longer available."}
        gateway = await self.people.gateways.at(ticket.team_id)
        posted = await gateway.deliver(
            ticket.channel_id,
            agent_reply(text, await self._name(caller)),
            thread_ts=ticket.thread,
            # The same words from the same agent on the same ticket are one reply: a Send
            # pressed again after a slow answer finds the first post instead of a second.
            key={"reply": _reply_key(ticket.id, caller.user_id, text)},
            landed_since=self.wall.now().timestamp() - SAME_REPLY_WITHIN.total_seconds(),
        )
        if not posted.ok or posted.ts is None:
            log.warning("reply to #%d not posted: %s", ticket.number, posted.error)
            return {DRAFT_BLOCK: "Slack did not take the reply; please send it again."}
        reply = IncomingMessage(
            event_id=f"reply:{ticket.id}:{posted.ts}",
            team_id=ticket.team_id,
            channel_id=ticket.channel_id,
            user_id=caller.user_id,
            user_team=None,
            text=text,
            ts=posted.ts,
            thread_ts=ticket.thread,
            subtype=None,
            bot_id=None,
        )
        await self.intake.record_team_reply(reply, ticket.id)
        return {}

    async def _ticket(self, caller: Caller, ticket_id: int | None) -> Ticket | None:
        """The ticket the form names, if it is the caller's install's."""
        if ticket_id is None:
            return None
        async with self.db.reading() as uow:
            ticket = await uow.tickets.by_id(ticket_id)
        return ticket if ticket is not None and ticket.team_id == caller.team_id else None

    async def _name(self, caller: Caller) -> str:
        """The caller's name as Slack shows it (the customer sees who answered)."""
        profile = await (await self.people.gateways.at(caller.team_id)).user(caller.user_id)
        shown = profile.get("profile") if profile else None
        names = [
            (shown or {}).get("real_name"),
            (profile or {}).get("real_name"),
            (shown or {}).get("display_name"),
            (profile or {}).get("name"),
        ]
        return next((str(n) for n in names if n), "the support team")

    async def _in_our_workspace(self, caller: Caller) -> Caller:
        # With one bot token the data is the one workspace's, whatever team a payload names.
        return replace(caller, team_id=await self.people.gateways.home(caller.team_id))

    async def _ours(self, caller: Caller) -> bool:
        """Whether the caller is on the install's own team (no install there: nobody is)."""
        try:
            return bool(await self.people.is_internal(caller.team_id, caller.user_id))
        except NotInstalled:
            return False


def _reply_key(ticket_id: int, user_id: str, text: str) -> str:
    """One reply's key: the ticket, the agent and a digest of the words."""
    digest = hashlib.sha256(f"{user_id}\n{text}".encode()).hexdigest()[:16]
    return f"t{ticket_id}:{digest}"
