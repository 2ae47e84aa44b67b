"""Checks Web API calls against Slack's own OpenAPI spec (../shared/slack-specs/web-api)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from tests.support.specs import SPECS

SPEC = SPECS / "web-api" / "slack_web_openapi_v2_without_examples.json"

# Not Web API methods at all: Slack's response_url webhooks for commands and buttons.
NOT_WEB_API = {"response_url"}
# Methods newer than the 2020 spec that the bot or emulator use.
NEWER_THAN_SPEC: dict[str, str] = {
    # Socket Mode (2021): the app-level token asks for a websocket URL.
    "apps.connections.open": "Socket Mode (2021)",
}
# Arguments newer than the 2020 spec.
NEWER_ARGS: dict[tuple[str, str], str] = {
    # slack_bolt's per-request client adds team_id as a default param to its own auth.test
    # (for org-wide installs); the 2020 spec predates that argument.
    ("auth.test", "team_id"): "slack_bolt authorization middleware",
    # Message metadata arrived in 2022, after the spec was published.
    ("chat.postMessage", "metadata"): "message metadata (2022)",
    ("conversations.history", "include_all_metadata"): "message metadata (2022)",
    ("conversations.replies", "include_all_metadata"): "message metadata (2022)",
    # Token rotation (2021): refreshing an expiring token.
    ("oauth.v2.access", "grant_type"): "token rotation (2021)",
    ("oauth.v2.access", "refresh_token"): "token rotation (2021)",
}


@cache
def _operations() -> dict[str, set[str]]:
    spec = json.loads(SPEC.read_text())
    operations = {}
    for path, item in spec["paths"].items():
        names: set[str] = set()
        for operation in item.values():
            names |= {p["name"] for p in operation.get("parameters", [])}
        operations[path.lstrip("/")] = names
    return operations


def known_methods() -> set[str]:
    """Every method in the spec."""
    return set(_operations())


def check_call(method: str, params: dict[str, Any]) -> list[str]:
    """Problems with one call: a method or an argument that Slack's spec does not have."""
    if method in NOT_WEB_API:
        return []
    operations = _operations()
    if method not in operations:
        return [] if method in NEWER_THAN_SPEC else [f"unknown method {method}"]
    return [
        f"{method}: unknown argument '{name}'"
        for name in params
        if name != "token" and name not in operations[method] and (method, name) not in NEWER_ARGS
    ]
