"""Checks Web API calls against Slack's own OpenAPI spec (../shared/slack-specs/web-api)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema

from tests.support.specs import SPECS

SPEC = SPECS / "web-api" / "slack_web_openapi_v2_without_examples.json"

# Not Web API methods at all: Slack's response_url webhooks for commands and buttons, and
# the upload URL files.getUploadURLExternal hands out (a file's bytes are POSTed there).
NOT_WEB_API = {"response_url", "upload_url"}
# Methods newer than the 2020 spec that the bot or emulator use.
NEWER_THAN_SPEC: dict[str, str] = {
    # Socket Mode (2021): the app-level token asks for a websocket URL.
    "apps.connections.open": "Socket Mode (2021)",
    # The v2 upload flow (2022; files.upload was retired in 2025): slack_sdk's files_upload_v2.
    "files.getUploadURLExternal": "file uploads v2 (2022)",
    "files.completeUploadExternal": "file uploads v2 (2022)",
}
# The arguments of those newer methods, as Slack's method pages list them, for the same check.
NEWER_METHOD_ARGS: dict[str, frozenset[str]] = {
    "files.getUploadURLExternal": frozenset({"filename", "length", "alt_txt", "snippet_type"}),
    "files.completeUploadExternal": frozenset(
        {"files", "channel_id", "channels", "initial_comment", "thread_ts", "blocks"}
    ),
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
    if method in NEWER_METHOD_ARGS:
        known = NEWER_METHOD_ARGS[method]
    elif method in operations:
        known = frozenset(operations[method])
    else:
        return [] if method in NEWER_THAN_SPEC else [f"unknown method {method}"]
    return [
        f"{method}: unknown argument '{name}'"
        for name in params
        if name != "token" and name not in known and (method, name) not in NEWER_ARGS
    ]


def validate_object(definition: str, instance: Any) -> None:
    """Check `instance` against one of the spec's objects (`objs_file`, `objs_message`).

    Draft 4 (the spec is Swagger 2.0), without first checking the whole spec as a schema:
    parts of it that these objects never reach are not valid JSON Schema.
    """
    spec = json.loads(SPEC.read_text())
    schema = {"$ref": f"#/definitions/{definition}", "definitions": spec["definitions"]}
    jsonschema.Draft4Validator(schema).validate(instance)
