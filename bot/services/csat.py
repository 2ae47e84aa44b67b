"""Customer satisfaction: the survey asked when a ticket is resolved, the customers' ratings
and comments, and the low-score alert to the team.

Who may rate: the ticket's customer side, that is the requester or a colleague from the same
organisation (an external user whose team is the requester's). Our own people, and anyone from
another organisation in the channel, are told so politely and nothing is recorded.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.config.desk import DeskConfig
from bot.domain.clock import Clock
from bot.domain.csat import (
    ANSWER_WINDOW,
    CsatPolicy,
    Rating,
    RatingOutcome,
    parse_rating,
    rate,
    should_ask,
)
from bot.installs.registry import NotInstalled
from bot.messages import customer_csat as says
from bot.messages.base import CustomerMessage
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from bot.services.inputs import Caller
from bot.services.people import People
from store.db import Database
from store.models import CsatAnswer, CsatSurvey, Ticket
from store.repositories import Repositories

log = logging.getLogger("connectdesk.csat")

# What the comment form's field shows when the comment cannot be taken.
COMMENT_FIELD = says.COMMENT_BLOCK


@dataclass(frozen=True)
class _Found:
    """A survey, its ticket and the rules of its tier, as read before a change."""

    survey: CsatSurvey
    ticket: Ticket
    policy: CsatPolicy


class CsatService:
    """Asks for ratings on resolve and takes the customers' answers."""

    def __init__(
        self, db: Database, config: DeskConfig, clock: Clock, people: People, outbox: Outbox
    ) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.people = people
        self.outbox = outbox

    # ---- asking ------------------------------------------------------------------------------
    async def on_resolve(self, uow: Repositories, ticket: Ticket, now: datetime) -> int | None:
        """In the resolve's own transaction: a survey and its post, if this resolve asks.

        The id of the outbox row for the caller to run after its commit; None when nothing is
        asked, or when the survey waits for the tier's delay (a worker posts it then).
        """
        policy = self.config.csat(ticket.account.tier)
        if not ticket.account.receipts:
            return None  # the account asked for tracking to stay invisible to its customers
        last_asked = await uow.csat.last_asked(ticket.id)
        if not should_ask(policy, ticket.resolution_kind, last_asked, now):
            return None
        asked_at = now + policy.delay
        survey = await uow.csat.add_survey(
            CsatSurvey(
                team_id=ticket.team_id,
                ticket_id=ticket.id,
                account_id=ticket.account_id,
                channel_id=ticket.channel_id,
                thread_ts=ticket.thread,
                requester_user_id=ticket.requester_user_id,
                asked_at=asked_at,
                closes_at=asked_at + ANSWER_WINDOW,
            )
        )
        row = await self.outbox.record(
            uow,
            f"csat:{survey.id}:ask",
            OutboxKind.CSAT_SURVEY,
            ticket.team_id,
            ticket_id=ticket.id,
            payload={"survey": survey.id, "channel": ticket.channel_id},
            delay=policy.delay or None,
        )
        return None if policy.delay else row

    # ---- rating ------------------------------------------------------------------------------
    async def press(self, caller: Caller, action_id: str, value: str) -> CustomerMessage | None:
        """A button on a survey: a rating, or "Add a comment"; the answer only the presser sees
        (None: nothing to say, the comment form opened)."""
        try:
            if action_id == says.COMMENT_ACTION:
                return await self._open_comment(caller, value)
            parsed = parse_rating(value)
            if parsed is None or action_id != says.RATE_ACTIONS[parsed[1] - 1]:
                return says.gone()
            survey_id, score = parsed
            located = await self._find(caller, survey_id)
            if located is None:
                return says.gone()
            caller, found = located
            if not await self._is_customer(caller, found.survey):
                log.info("refused a rating of survey %s by %s", survey_id, caller.user_id)
                return says.not_theirs(found.ticket.number)
            return await self._rate(caller, found, score)
        except NotInstalled:
            return says.gone()

    async def _rate(self, caller: Caller, found: _Found, score: int) -> CustomerMessage:
        survey, ticket = found.survey, found.ticket
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            answer = await uow.csat.answer(survey.id, caller.user_id, for_update=True)
            decision = self._decide(found, score, answer, now)
            previous = answer.score if answer is not None else None
            if decision.writes and answer is None:
                answer = CsatAnswer(
                    survey_id=survey.id,
                    team_id=survey.team_id,
                    ticket_id=survey.ticket_id,
                    account_id=survey.account_id,
                    user_id=caller.user_id,
                    score=score,
                    comment="",
                    answered_at=now,
                    alerted_at=now if decision.alert else None,
                )
                if not await uow.csat.add_answer(answer):
                    # The same person's other press won a race (another replica): decide again
                    # on what it stored.
                    answer = await uow.csat.answer(survey.id, caller.user_id, for_update=True)
                    assert answer is not None
                    previous = answer.score
                    decision = self._decide(found, score, answer, now)
                    if decision.writes:
                        self._change(answer, score, decision, now)
            elif decision.writes and answer is not None:
                self._change(answer, score, decision, now)
            if not decision.writes or answer is None:
                return self._unchanged(decision, ticket.number, score)
            await uow.audit.record(
                survey.team_id,
                caller.user_id,
                "csat_rated",
                now,
                ticket.id,
                score=score,
                previous=previous,
            )
            rows = [await self._thanks_row(uow, survey)]
            if decision.alert:
                rows += await self._alert_rows(uow, ticket, answer, previous=previous)
        self.outbox.run_soon(rows)
        if decision.outcome == RatingOutcome.RECORDED:
            return says.recorded(ticket.number, score, survey.closes_at)
        return says.changed(ticket.number, score, survey.closes_at)

    def _decide(
        self, found: _Found, score: int, answer: CsatAnswer | None, now: datetime
    ) -> Rating:
        previous = answer.score if answer is not None else None
        alerted = answer is not None and answer.alerted_at is not None
        return rate(found.policy, score, previous, alerted, found.survey.closes_at, now)

    @staticmethod
    def _change(answer: CsatAnswer, score: int, decision: Rating, now: datetime) -> None:
        answer.score = score
        answer.changed_at = now
        if decision.alert:
            answer.alerted_at = now

    @staticmethod
    def _unchanged(decision: Rating, number: int, score: int) -> CustomerMessage:
        if decision.outcome == RatingOutcome.CLOSED:
            return says.closed(number)
        return says.already(number, score)

    # ---- commenting --------------------------------------------------------------------------
    async def _open_comment(self, caller: Caller, value: str) -> CustomerMessage | None:
        """Open the comment form for someone who has rated, while the survey is open."""
        if not value.isascii() or not value.isdigit() or len(value) > 12:
            return says.gone()
        located = await self._find(caller, int(value))
        if located is None:
            return says.gone()
        caller, found = located
        survey, number = found.survey, found.ticket.number
        if not await self._is_customer(caller, survey):
            return says.not_theirs(number)
        if self.clock.now() >= survey.closes_at:
            return says.closed(number)
        async with self.db.reading() as uow:
            answer = await uow.csat.answer(survey.id, caller.user_id)
        if answer is None:
            return says.rate_first(number)
        if not caller.trigger_id:
            return says.form_failed()
        gateway = await self.people.gateways.at(caller.team_id)
        form = says.comment_modal(survey.id, number, survey.channel_id, answer.comment)
        opened = await gateway.open_view(caller.trigger_id, form)
        return None if opened.ok else says.form_failed()

    async def comment(self, caller: Caller, survey_id: int | None, text: str) -> dict[str, str]:
        """The comment form sent: store the comment; what to show on the form if it cannot be
        taken (empty: taken). A comment on a low score is passed on to the team."""
        try:
            located = await self._find(caller, survey_id) if survey_id is not None else None
        except NotInstalled:
            located = None
        if located is None:
            return {COMMENT_FIELD: "Sorry, this survey is no longer available."}
        caller, found = located
        survey, ticket = found.survey, found.ticket
        if not await self._is_customer(caller, survey):
            return {COMMENT_FIELD: "Only the customer who asked for help can comment here."}
        now = self.clock.now()
        if now >= survey.closes_at:
            return {COMMENT_FIELD: "Sorry, this survey has closed (open for 24 hours)."}
        text = text.strip()[: says.COMMENT_MAX]
        async with self.db.unit_of_work() as uow:
            answer = await uow.csat.answer(survey.id, caller.user_id, for_update=True)
            if answer is None:
                return {COMMENT_FIELD: "Please pick a rating first, then add your comment."}
            if answer.comment == text:
                return {}
            answer.comment = text
            await uow.audit.record(
                survey.team_id, caller.user_id, "csat_comment", now, ticket.id, score=answer.score
            )
            rows: list[int | None] = []
            if text and found.policy.is_low(answer.score):
                # The alert usually went out with the score, before any comment: this one
                # passes the comment on (or is the alert, if the score was not low then).
                follow_up = answer.alerted_at is not None
                answer.alerted_at = answer.alerted_at or now
                rows = await self._alert_rows(uow, ticket, answer, comment_only=follow_up)
        self.outbox.run_soon(rows)
        return {}

    # ---- shared ------------------------------------------------------------------------------
    async def _find(self, caller: Caller, survey_id: int) -> tuple[Caller, _Found] | None:
        """The survey a button or form names, and the caller as of the survey's install.

        A customer's press names their own team, not ours: the survey counts as ours when the
        install the press came through (as for /desk) holds it, or when it was pressed in the
        survey's own channel (OAuth installs, where the team named is the customer's).
        """
        home = await self.people.gateways.home(caller.team_id)
        async with self.db.reading() as uow:
            survey = await uow.csat.survey(survey_id)
            ticket = await uow.tickets.by_id(survey.ticket_id) if survey is not None else None
        if survey is None or ticket is None:
            return None
        if survey.team_id != home and survey.channel_id != caller.channel_id:
            return None  # another workspace's: never touched from here
        found = _Found(survey, ticket, self.config.csat(ticket.account.tier))
        return replace(caller, team_id=survey.team_id), found

    async def _is_customer(self, caller: Caller, survey: CsatSurvey) -> bool:
        """The requester, or a colleague of theirs (`People.speaks_for`)."""
        return await self.people.speaks_for(
            caller.team_id, caller.user_id, caller.user_team, survey.requester_user_id
        )

    async def _thanks_row(self, uow: Repositories, survey: CsatSurvey) -> int | None:
        """Edit the survey into its thanks (from the survey as stored, so a repeat is harmless)."""
        return await self.outbox.record(
            uow,
            f"csat:{survey.id}:thanks:{uuid.uuid4().hex}",
            OutboxKind.CSAT_THANKS,
            survey.team_id,
            ticket_id=survey.ticket_id,
            payload={"survey": survey.id},
        )

    async def _alert_rows(
        self,
        uow: Repositories,
        ticket: Ticket,
        answer: CsatAnswer,
        *,
        previous: int | None = None,
        comment_only: bool = False,
    ) -> list[int | None]:
        """The low-score alert to the owner (DM) and the account's internal channel."""
        targets = [t for t in (ticket.owner_user_id, ticket.account.internal_channel_id) if t]
        what = f"comment:{uuid.uuid4().hex[:12]}" if comment_only else "low"
        payload: dict[str, Any] = {
            "number": ticket.number,
            "account": ticket.account.name,
            "score": answer.score,
            "previous": previous,
            "rater": answer.user_id,
            "owner": ticket.owner_user_id,
            "comment": answer.comment,
            "comment_only": comment_only,
            "root": ticket.root_ref,
        }
        rows = []
        for target in dict.fromkeys(targets):
            rows.append(
                await self.outbox.record(
                    uow,
                    f"csat:a{answer.id}:{what}:{target}",
                    OutboxKind.CSAT_ALERT,
                    ticket.team_id,
                    ticket_id=ticket.id,
                    payload={**payload, "target": target},
                )
            )
        return rows
