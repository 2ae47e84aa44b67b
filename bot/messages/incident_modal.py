"""The incident declaration modal, opened when `/desk incident declare` lacks something."""

from __future__ import annotations

import json
from typing import Any

from bot.domain.incidents import Severity

DECLARE_CALLBACK = "incident_declare"
SEVERITY_BLOCK, TITLE_BLOCK, ACCOUNTS_BLOCK = "severity", "title", "accounts"
VALUE_ACTION = "value"


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def declare_modal(
    severity: Severity | None, title: str | None, accounts: str | None, channel_id: str | None
) -> dict[str, Any]:
    """The form, pre-filled with whatever the command already said."""
    options = [{"text": _plain(s.value), "value": s.value} for s in Severity]
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": VALUE_ACTION,
        "options": options,
    }
    if severity is not None:
        select["initial_option"] = {"text": _plain(severity.value), "value": severity.value}
    title_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": VALUE_ACTION,
        "max_length": 150,
        "placeholder": _plain("What customers are told is affected"),
    }
    if title:
        title_input["initial_value"] = title
    accounts_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": VALUE_ACTION,
        "placeholder": _plain("all, tier:<tier>, or account names separated by commas"),
    }
    if accounts:
        accounts_input["initial_value"] = accounts
    return {
        "type": "modal",
        "callback_id": DECLARE_CALLBACK,
        "title": _plain("Declare an incident"),
        "submit": _plain("Declare"),
        "close": _plain("Cancel"),
        "private_metadata": json.dumps({"channel": channel_id}),
        "blocks": [
            {
                "type": "input",
                "block_id": SEVERITY_BLOCK,
                "label": _plain("Severity (staff only)"),
                "element": select,
            },
            {
                "type": "input",
                "block_id": TITLE_BLOCK,
                "label": _plain("Title (customers see it)"),
                "element": title_input,
            },
            {
                "type": "input",
                "block_id": ACCOUNTS_BLOCK,
                "label": _plain("Affected accounts"),
                "element": accounts_input,
            },
        ],
    }


def modal_values(state: dict[str, Any]) -> dict[str, str]:
    """Severity, title and accounts as typed into the form ('' where missing)."""
    values = state.get("values") if isinstance(state, dict) else None
    values = values if isinstance(values, dict) else {}

    def read(block: str) -> str:
        element = (values.get(block) or {}).get(VALUE_ACTION) or {}
        if not isinstance(element, dict):
            return ""
        option = element.get("selected_option")
        if isinstance(option, dict):
            return str(option.get("value") or "")
        return str(element.get("value") or "")

    return {name: read(name) for name in (SEVERITY_BLOCK, TITLE_BLOCK, ACCOUNTS_BLOCK)}
