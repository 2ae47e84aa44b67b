"""Turning Slack payloads into the typed values services take."""

from __future__ import annotations

import json
from typing import Any

from bot.installs.registry import install_key
from bot.messages.customer_csat import comment_of
from bot.messages.drafts import sent_reply
from bot.messages.incident_modal import (
    ACCOUNTS_BLOCK,
    SEVERITY_BLOCK,
    TITLE_BLOCK,
    modal_values,
)
from bot.services.inputs import Caller, ChannelJoined, DeclareForm, HomeOpened, IncomingMessage
from bot.slack.events import event_id_of


def installation_team(body: dict[str, Any]) -> str:
    """The install an event came through (its key): authorizations[0], never the outer (maybe
    foreign) team; for an org-wide install its org."""
    auths = body.get("authorizations") or []
    if (
        auths
        and isinstance(auths[0], dict)
        and (auths[0].get("team_id") or auths[0].get("enterprise_id"))
    ):
        auth = auths[0]
        return install_key(
            _str(auth.get("team_id")),
            _str(auth.get("enterprise_id")),
            auth.get("is_enterprise_install") is True,
        )
    return str(body.get("team_id") or "")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def incoming_message(body: dict[str, Any], event: dict[str, Any]) -> IncomingMessage:
    """A message event as an IncomingMessage."""
    text = event.get("text")
    return IncomingMessage(
        event_id=event_id_of(body),
        team_id=installation_team(body),
        channel_id=str(event.get("channel") or ""),
        user_id=_str(event.get("user")),
        user_team=_str(event.get("user_team")),
        text=text if isinstance(text, str) else "",
        ts=str(event.get("ts") or ""),
        thread_ts=_str(event.get("thread_ts")),
        subtype=_str(event.get("subtype")),
        bot_id=_str(event.get("bot_id")),
        is_ext_shared_channel=bool(body.get("is_ext_shared_channel")),
    )


def channel_joined(body: dict[str, Any], event: dict[str, Any]) -> ChannelJoined:
    """A member_joined_channel or channel_shared event as a ChannelJoined."""
    shared = True if event.get("type") == "channel_shared" else body.get("is_ext_shared_channel")
    return ChannelJoined(
        event_id=event_id_of(body),
        team_id=installation_team(body),
        channel_id=str(event.get("channel") or ""),
        user_id=_str(event.get("user")),
        is_ext_shared=shared if isinstance(shared, bool) else None,
    )


def home_opened(body: dict[str, Any], event: dict[str, Any]) -> HomeOpened:
    """An app_home_opened event as a HomeOpened (the install that heard it, who, which tab)."""
    return HomeOpened(
        event_id=event_id_of(body),
        team_id=installation_team(body),
        user_id=_str(event.get("user")) or "",
        # Slack always says which tab; without one it can only be the Home (as `wants` takes it).
        tab=_str(event.get("tab")) or "home",
    )


def revoked_bot(event: dict[str, Any]) -> bool:
    """Whether a tokens_revoked event revoked the bot's token (not only users' tokens)."""
    tokens = event.get("tokens")
    bots = tokens.get("bot") if isinstance(tokens, dict) else None
    return isinstance(bots, list) and bool(bots)


def command_caller(command: dict[str, Any]) -> Caller:
    """Who ran a slash command, and where (the team is the install's key)."""
    org_wide = str(command.get("is_enterprise_install") or "").lower() == "true"
    return Caller(
        team_id=install_key(
            _str(command.get("team_id")), _str(command.get("enterprise_id")), org_wide
        ),
        user_id=str(command.get("user_id") or ""),
        channel_id=_str(command.get("channel_id")),
        trigger_id=_str(command.get("trigger_id")),
    )


def action_caller(body: dict[str, Any]) -> Caller:
    """Who pressed a button (their own team too), and where; its trigger opens a modal."""
    user = _dict(body.get("user"))
    channel = _dict(body.get("channel"))
    return Caller(
        team_id=_interaction_key(body),
        user_id=str(user.get("id") or ""),
        channel_id=_str(channel.get("id")),
        trigger_id=_str(body.get("trigger_id")),
        user_team=_str(user.get("team_id")),
    )


def view_caller(body: dict[str, Any], view: dict[str, Any]) -> Caller:
    """Who submitted a modal, and the channel it was opened from (kept in private_metadata)."""
    user = _dict(body.get("user"))
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        meta = {}
    channel = meta.get("channel") if isinstance(meta, dict) else None
    return Caller(
        team_id=_interaction_key(body),
        user_id=str(user.get("id") or ""),
        channel_id=_str(channel),
        user_team=_str(user.get("team_id")),
    )


def _interaction_key(body: dict[str, Any]) -> str:
    """The install key of a button press or modal submission (its team, or its org)."""
    user = _dict(body.get("user"))
    team = _dict(body.get("team"))
    enterprise = _dict(body.get("enterprise"))
    return install_key(
        _str(team.get("id")) or _str(user.get("team_id")),
        _str(enterprise.get("id")),
        body.get("is_enterprise_install") is True,
    )


def declare_form(view: dict[str, Any]) -> DeclareForm:
    """The incident form's fields as typed."""
    values = modal_values(_dict(view.get("state")))
    return DeclareForm(
        severity=values[SEVERITY_BLOCK], title=values[TITLE_BLOCK], accounts=values[ACCOUNTS_BLOCK]
    )


def csat_comment(view: dict[str, Any]) -> tuple[int | None, str]:
    """The survey a comment form belongs to, and the comment typed."""
    return comment_of(view)


def draft_reply(view: dict[str, Any]) -> tuple[int | None, str]:
    """The ticket a reply form belongs to, and the reply typed."""
    return sent_reply(view)
