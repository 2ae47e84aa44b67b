"""Modal submissions: parse the form, hand it to one service, answer with field errors or close."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.messages.customer_csat import COMMENT_CALLBACK
from bot.messages.drafts import DRAFT_CALLBACK
from bot.messages.incident_modal import DECLARE_CALLBACK
from bot.services.container import Services
from handlers.parsing import csat_comment, declare_form, draft_reply, view_caller


def register_views(app: AsyncApp, services: Services) -> None:
    """Attach the modal submission listeners."""

    @app.view(DECLARE_CALLBACK)
    @services.inflight.tracked
    async def declare(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        caller, form = view_caller(body, view), declare_form(view)
        result = await services.desk.submit_declare(caller, form)
        if result.errors:
            await ack(response_action="errors", errors=result.errors)
            return
        await ack()
        await services.desk.tell(caller, result.reply)

    @app.view(COMMENT_CALLBACK)
    @services.inflight.tracked
    async def comment(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        survey_id, text = csat_comment(view)
        errors = await services.csat.comment(view_caller(body, view), survey_id, text)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()

    @app.view(DRAFT_CALLBACK)
    @services.inflight.tracked
    async def send_draft(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        ticket_id, text = draft_reply(view)
        errors = await services.draft_replies.send(view_caller(body, view), ticket_id, text)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
