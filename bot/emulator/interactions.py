"""What people do that the app must answer at once: slash commands, buttons, modal
submissions; each with a trigger id and (commands, buttons) a response URL."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from bot.emulator.app_link import AppLink
from bot.emulator.delivery import Delivery
from bot.emulator.responses import ResponseUrls
from bot.emulator.webapi import WebApi
from bot.emulator.workspace import Workspace

VERIFICATION_TOKEN = "emulator-verification-token"


class Interactions:
    """Signed, never retried (Slack shows the person an error instead), answered in the ack."""

    def __init__(self, ws: Workspace, api: WebApi, link: AppLink, responses: ResponseUrls) -> None:
        self.ws = ws
        self.api = api
        self.link = link
        self.responses = responses

    async def slash_command(
        self, user_id: str, channel_id: str, text: str, command: str = "/desk"
    ) -> Delivery:
        """A person runs a slash command; the ack body, if any, is shown to them."""
        user = self.ws.users[user_id]
        channel = self.ws.channels[channel_id]
        form = {
            "token": VERIFICATION_TOKEN,
            "team_id": user.team_id,
            "team_domain": user.team_id.lower(),
            "channel_id": channel_id,
            "channel_name": channel.name,
            "user_id": user_id,
            "user_name": user.name,
            "command": command,
            "text": text,
            "api_app_id": "A0CONNECTDESK",
            **self._org_fields(user_id, as_form=True),
            "response_url": self.responses.issue(user_id, channel_id, None),
            "trigger_id": self.api.issue_trigger(user_id),
        }
        delivery = Delivery(
            body=urlencode(form).encode(),
            content_type="application/x-www-form-urlencoded",
            kind="slash_commands",
        )
        delivery = await self.link.deliver(delivery, retries=False)
        self.responses.record_ack(user_id, channel_id, delivery)
        return delivery

    async def click_button(
        self,
        user_id: str,
        channel_id: str,
        message_ts: str,
        action_id: str,
        value: str,
        block_id: str | None = None,
    ) -> Delivery:
        """A person presses a button on a message (block_actions)."""
        user = self.ws.users[user_id]
        channel = self.ws.channels[channel_id]
        message = self.ws.find(channel_id, message_ts)
        payload = {
            "type": "block_actions",
            "user": {
                "id": user_id,
                "username": user.name,
                "name": user.name,
                "team_id": user.team_id,
            },
            "api_app_id": "A0CONNECTDESK",
            "token": VERIFICATION_TOKEN,
            "team": {"id": user.team_id, "domain": user.team_id.lower()},
            **self._org_fields(user_id),
            "channel": {"id": channel_id, "name": channel.name},
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "message": {
                "type": "message",
                "ts": message_ts,
                "text": message.text,
                "blocks": message.blocks,
                "user": message.user,
            }
            if message
            else {},
            "trigger_id": self.api.issue_trigger(user_id),
            "response_url": self.responses.issue(user_id, channel_id, message_ts),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id or "b",
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        delivery = Delivery(
            body=urlencode({"payload": json.dumps(payload)}).encode(),
            content_type="application/x-www-form-urlencoded",
            kind="interactive",
        )
        delivery = await self.link.deliver(delivery, retries=False)
        self.responses.record_ack(user_id, channel_id, delivery)
        return delivery

    async def press_home_button(
        self, user_id: str, action_id: str, value: str | None = None
    ) -> Delivery:
        """A person presses a button on their App Home (block_actions from a view: no channel,
        no response_url). Only a button the Home shows them can be pressed."""
        home = self.api.views.published.get(user_id)
        if home is None:
            raise ValueError(f"{user_id} has no Home published")
        found = next(
            (
                (block, element)
                for block in home["blocks"]
                for element in block.get("elements") or [block.get("accessory") or {}]
                if element.get("type") == "button"
                and element.get("action_id") == action_id
                and (value is None or element.get("value") == value)
            ),
            None,
        )
        if found is None:
            raise ValueError(f"{user_id}'s Home shows no button {action_id} {value or ''}")
        block, button = found
        user = self.ws.users[user_id]
        payload = {
            "type": "block_actions",
            "user": {
                "id": user_id,
                "username": user.name,
                "name": user.name,
                "team_id": user.team_id,
            },
            "api_app_id": self.api.app_id,
            "token": VERIFICATION_TOKEN,
            "team": {"id": user.team_id, "domain": user.team_id.lower()},
            **self._org_fields(user_id),
            "container": {"type": "view", "view_id": home["id"]},
            "view": home,
            "trigger_id": self.api.issue_trigger(user_id),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block.get("block_id") or "b",
                    "text": button.get("text"),
                    "value": button.get("value"),
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        delivery = Delivery(
            body=urlencode({"payload": json.dumps(payload)}).encode(),
            content_type="application/x-www-form-urlencoded",
            kind="interactive",
        )
        return await self.link.deliver(delivery, retries=False)

    async def submit_view(
        self, user_id: str, view_id: str, values: dict[str, dict[str, dict[str, Any]]]
    ) -> Delivery:
        """A person submits a modal they opened: a signed view_submission to the app."""
        view = next((v for v in self.api.opened.get(user_id, []) if v["id"] == view_id), None)
        if view is None:
            raise ValueError(f"{user_id} has no open view {view_id}")
        user = self.ws.users[user_id]
        submitted = {**view, "state": {"values": state_values(view, values)}}
        payload = {
            "type": "view_submission",
            "team": {"id": user.team_id, "domain": user.team_id.lower()},
            "user": {
                "id": user_id,
                "username": user.name,
                "name": user.name,
                "team_id": user.team_id,
            },
            "api_app_id": self.api.app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.api.issue_trigger(user_id),
            "view": submitted,
            "response_urls": [],
            **self._org_fields(user_id),
        }
        delivery = Delivery(
            body=urlencode({"payload": json.dumps(payload)}).encode(),
            content_type="application/x-www-form-urlencoded",
            kind="interactive",
        )
        return await self.link.deliver(delivery, retries=False)

    def views_opened(self, user_id: str) -> list[dict[str, Any]]:
        """Every modal opened for a person with views.open, newest last."""
        return list(self.api.opened.get(user_id, []))

    def _org_fields(self, user_id: str, *, as_form: bool = False) -> dict[str, Any]:
        """Enterprise Grid fields of a command (form strings) or an interaction payload."""
        install = self.ws.install_of(user_id)
        enterprise = self.ws.enterprise_of(self.ws.users[user_id].team_id)
        if as_form:
            fields = {"is_enterprise_install": str(install.is_enterprise_install).lower()}
            if enterprise:
                fields["enterprise_id"] = enterprise
            return fields
        return {
            "is_enterprise_install": install.is_enterprise_install,
            "enterprise": {"id": enterprise, "name": f"Org {enterprise}"} if enterprise else None,
        }


def state_values(
    view: dict[str, Any], given: dict[str, dict[str, dict[str, Any]]]
) -> dict[str, dict[str, dict[str, Any]]]:
    """`state.values` as Slack sends it: every input in the view, the given answers filled in."""
    elements: dict[tuple[str, str], dict[str, Any]] = {}
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view.get("blocks", []):
        element = block.get("element") or block.get("accessory")
        if not isinstance(element, dict) or not block.get("block_id"):
            continue
        if not element.get("action_id"):
            continue
        elements[(block["block_id"], element["action_id"])] = element
        if "element" in block:
            # Slack reports untouched input blocks too: their initial value, or empty.
            kind = element.get("type", "plain_text_input")
            if kind.endswith("_select"):
                empty = {"selected_option": element.get("initial_option")}
            else:
                empty = {"value": element.get("initial_value")}
            values.setdefault(block["block_id"], {})[element["action_id"]] = {"type": kind, **empty}
    for block_id, actions in given.items():
        for action_id, state in actions.items():
            element = elements.get((block_id, action_id))
            if element is None:
                raise ValueError(f"the view has no input {block_id}/{action_id}")
            state = {"type": element.get("type", state.get("type")), **state}
            option = state.get("selected_option")
            if isinstance(option, dict) and "text" not in option:
                # Callers may give just the value; Slack sends the option's text with it.
                state["selected_option"] = _option(element, option.get("value")) or option
            values.setdefault(block_id, {})[action_id] = state
    return values


def _option(element: dict[str, Any], value: Any) -> dict[str, Any] | None:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return next((dict(o) for o in options if o.get("value") == value), None)
