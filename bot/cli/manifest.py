"""The Slack app manifest, built from what the app registers (handlers/registry.py).

`manifest.yml` in the repository is this for HTTP at an example host; `connectdesk manifest`
prints it for your host, for Socket Mode (no request URLs: the websocket carries everything),
and for OAuth installs in many workspaces (the redirect URL, org-wide deploys, token rotation).
"""

from __future__ import annotations

from typing import Any

import yaml

from handlers import registry

EXAMPLE_HOST = "https://connectdesk.example.com"
EVENTS_PATH = "/slack/events"
REDIRECT_PATH = "/slack/oauth_redirect"

HEADER = """\
# Slack app manifest for connectdesk. Replace https://connectdesk.example.com with your host, or
# print one for yours: `connectdesk manifest --url https://your.host` (add --socket-mode for
# Socket Mode, which needs no public URL; --oauth to install in many workspaces).
# tests/test_manifest.py checks this file against Slack's manifest schema, against what the app
# registers, and that it is what `connectdesk manifest` prints for the example host.
"""

LONG_DESCRIPTION = (
    "connectdesk watches the Slack Connect channels you share with customer accounts, turns each"
    " customer request into a tracked ticket with an owner and SLA clocks, warns the account team"
    " before an SLA is missed, alerts managers when it is, and keeps everything internal out of"
    " shared channels. Claim, assign, resolve and list tickets with /desk and the triage card"
    " buttons; the App Home shows each person their tickets by time left, and managers the"
    " team's SLA state."
)

# Why each scope is asked for (shown as comments in manifest.yml).
SCOPE_REASONS = {
    "channels:history": "message.channels: customer messages in public shared channels",
    "groups:history": "message.groups: the same in private shared channels",
    "channels:read": "conversations.info, member_joined_channel, channel_shared",
    "groups:read": "the same for private channels",
    "chat:write": "receipts, triage cards, alerts, DMs; chat.update",
    "im:write": "conversations.open: the DM channel of an alert (checked after a crash)",
    "im:history": "conversations.history in that DM: was the alert already sent?",
    "reactions:write": "👀 on new requests, ✅ when resolved",
    "users:read": "users.info: is this person on our team or a customer?",
    "files:write": "files_upload_v2: a report's chart, in a manager's DM",
    "commands": "/desk",
}


def build_manifest(
    url: str = EXAMPLE_HOST,
    *,
    socket_mode: bool = False,
    oauth: bool = False,
    token_rotation: bool = False,
) -> dict[str, Any]:
    """The manifest as a mapping (Slack's manifest schema, version 1)."""
    host = url.rstrip("/")
    events = f"{host}{EVENTS_PATH}"
    command: dict[str, Any] = {
        "command": registry.COMMANDS[0],
        "description": "Claim, assign, resolve and list support tickets",
        "usage_hint": "help | claim 42 | assign 42 @user | resolve 42 [note] | queue [account]",
        "should_escape": True,
    }
    subscriptions: dict[str, Any] = {"bot_events": list(registry.EVENT_SUBSCRIPTIONS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if not socket_mode:
        command = {"command": command["command"], "url": events, **_rest(command)}
        subscriptions = {"request_url": events, **subscriptions}
        interactivity["request_url"] = events
    oauth_config: dict[str, Any] = {"scopes": {"bot": list(registry.BOT_SCOPES)}}
    if oauth or not socket_mode:
        oauth_config = {"redirect_urls": [f"{host}{REDIRECT_PATH}"], **oauth_config}
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "connectdesk",
            "description": "Support desk for Slack Connect channels",
            "long_description": LONG_DESCRIPTION,
            "background_color": "#1d3557",
        },
        "features": {
            # The Home lists each person's tickets; the Messages tab holds the bot's DMs
            # (alerts), read only: nobody listens to messages sent to the bot.
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": "connectdesk", "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": oauth_config,
        "settings": {
            "event_subscriptions": subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": oauth,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": token_rotation,
        },
    }


def _rest(command: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in command.items() if k != "command"}


def manifest_yaml(manifest: dict[str, Any]) -> str:
    """The manifest as YAML, with the reason for each scope beside it."""
    text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
    lines = []
    for line in text.splitlines():
        scope = line.strip().removeprefix("- ")
        if line.lstrip().startswith("- ") and scope in SCOPE_REASONS:
            line = f"{line:<26}# {SCOPE_REASONS[scope]}"
        lines.append(line)
    return HEADER + "\n".join(lines) + "\n"
