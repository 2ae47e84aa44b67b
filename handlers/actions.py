"""Buttons: ack at once, run the action, answer the presser privately.

Triage card buttons tell the presser only if something is off; a survey's rating buttons
always say what was recorded (or why nothing was). An App Home's press has no response_url:
the presser's Home shows the answer.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.messages.kb_card import SEND_ACTION as KB_SEND_ACTION
from bot.services.container import Services
from handlers.commands import ack_now
from handlers.errors import reported
from handlers.parsing import action_caller
from handlers.registry import (
    CSAT_ACTIONS,
    DESK_ACTIONS,
    DRAFT_ACTIONS,
    HOME_ACTIONS,
    KB_ANSWER_ACTIONS,
)


def register_actions(app: AsyncApp, services: Services) -> None:
    """Attach the button listeners."""

    async def press(body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        reply = await services.desk.press(
            action_caller(body), str(action.get("action_id") or ""), str(action.get("value") or "")
        )
        if reply is not None:
            await respond(response_type="ephemeral", replace_original=False, **reply.payload())

    async def rate(body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        reply = await services.csat.press(
            action_caller(body), str(action.get("action_id") or ""), str(action.get("value") or "")
        )
        if reply is not None:
            await respond(response_type="ephemeral", replace_original=False, **reply.payload())

    async def send_article(
        body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        reply = await services.kb_answers.send(action_caller(body), str(action.get("value") or ""))
        await respond(response_type="ephemeral", replace_original=False, **reply.payload())

    async def answer_pressed(
        body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        reply = await services.kb_answers.press(
            action_caller(body), str(action.get("action_id") or ""), str(action.get("value") or "")
        )
        if reply is not None:
            await respond(response_type="ephemeral", replace_original=False, **reply.payload())

    async def press_home(body: dict[str, Any], action: dict[str, Any]) -> None:
        await services.desk.press_home(
            action_caller(body), str(action.get("action_id") or ""), str(action.get("value") or "")
        )

    async def edit_draft(
        body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        reply = await services.draft_replies.press(
            action_caller(body), str(action.get("value") or "")
        )
        if reply is not None:
            await respond(response_type="ephemeral", replace_original=False, **reply.payload())

    for action_id in DESK_ACTIONS:
        app.action(action_id)(ack=ack_now, lazy=[reported(services.inflight.tracked(press))])
    for action_id in CSAT_ACTIONS:
        app.action(action_id)(ack=ack_now, lazy=[reported(services.inflight.tracked(rate))])
    app.action(KB_SEND_ACTION)(
        ack=ack_now, lazy=[reported(services.inflight.tracked(send_article))]
    )
    for action_id in KB_ANSWER_ACTIONS:
        app.action(action_id)(
            ack=ack_now, lazy=[reported(services.inflight.tracked(answer_pressed))]
        )
    for action_id in HOME_ACTIONS:
        app.action(action_id)(ack=ack_now, lazy=[reported(services.inflight.tracked(press_home))])
    for action_id in DRAFT_ACTIONS:
        app.action(action_id)(ack=ack_now, lazy=[reported(services.inflight.tracked(edit_draft))])
