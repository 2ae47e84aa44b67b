"""manifest.yml is valid for Slack, and asks for exactly what the app registers and calls."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from pydantic import SecretStr

from bot.app import create_app
from bot.config.settings import Settings
from handlers import registry
from tests.support import world
from tests.support.specs import SPECS

ROOT = Path(__file__).resolve().parents[1]

# Events newer than Slack's AsyncAPI spec (2019), with the scopes Slack's event docs list.
NEWER_EVENTS = {
    "channel_shared": {"channels:read", "groups:read"},
    # Slack's docs: no scope needed; the manifest's `features.app_home.home_tab_enabled` is.
    "app_home_opened": set(),
}
# The OpenAPI spec (2020) names the legacy chat:write:bot; granular bot apps ask for chat:write.
LEGACY_SCOPES = {"chat:write:bot": "chat:write", "chat:write:user": "chat:write"}
# conversations.info accepts any of four read scopes; we look at public and private channels.
CHOSEN_SCOPES = {
    "conversations.info": {"channels:read", "groups:read"},
    # Broadcast reconciliation looks in shared channels; the outbox also in alert DMs.
    "conversations.history": {"channels:history", "groups:history", "im:history"},
    # ...and in the thread of a report in a DM, for its chart.
    "conversations.replies": {"channels:history", "groups:history", "im:history"},
    # Only DMs with our own people (alerts): a DM's channel id, to look for an alert there.
    "conversations.open": {"im:write"},
    # The upload methods (2022) are newer than the spec (2020); Slack's docs: files:write.
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
}
# slack_sdk helpers the gateway calls that are several Web API methods in one.
COMPOSITE_CALLS = {
    "files.upload_v2": {"files.getUploadURLExternal", "files.completeUploadExternal"},
}


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_matches_slack_schema() -> None:
    schema = json.loads((SPECS / "manifest" / "manifest.schema.1.0.0.json").read_text())
    jsonschema.validate(manifest(), schema)


def test_manifest_subscribes_to_exactly_the_events_we_handle() -> None:
    events = manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert sorted(events) == sorted(registry.EVENT_SUBSCRIPTIONS)
    handled = {e.split(".")[0] for e in events}
    assert handled == set(registry.EVENTS)


def test_manifest_commands_match() -> None:
    commands = [c["command"] for c in manifest()["features"]["slash_commands"]]
    assert commands == list(registry.COMMANDS)
    assert all(c["should_escape"] for c in manifest()["features"]["slash_commands"])


def _required_scopes() -> set[str]:
    events_spec = json.loads((SPECS / "events-api" / "slack_events_api_async_v1.json").read_text())
    web_spec = json.loads(
        (SPECS / "web-api" / "slack_web_openapi_v2_without_examples.json").read_text()
    )
    scopes: set[str] = set()
    for subscription in registry.EVENT_SUBSCRIPTIONS:
        if subscription in NEWER_EVENTS:
            scopes |= NEWER_EVENTS[subscription]
            continue
        topic = events_spec["topics"][subscription.replace("_", ".")]
        scopes |= set(topic["subscribe"]["x-scopes-required"])
    for method in registry.WEB_API_METHODS:
        if method in CHOSEN_SCOPES:
            scopes |= CHOSEN_SCOPES[method]
            continue
        operation = next(iter(web_spec["paths"][f"/{method}"].values()))
        for requirement in operation.get("security", []):
            for scope in requirement.get("slackAuth", []):
                if scope == "none":
                    continue
                scopes.add(LEGACY_SCOPES.get(scope, scope))
    if registry.COMMANDS:
        scopes.add("commands")
    scopes.discard("chat:write:user")
    return scopes


def test_scopes_are_exactly_what_the_app_needs() -> None:
    asked = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert asked == _required_scopes()


def test_gateway_calls_only_registered_methods() -> None:
    called = set()
    for path in (ROOT / "bot" / "slack").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
                if node.value.attr in {"client", "_client"} and re.match(r"^[a-z]+_", node.attr):
                    name = node.attr.replace("_", ".", 1)
                    called |= COMPOSITE_CALLS.get(name, {name})
    assert called == set(registry.WEB_API_METHODS)


def test_app_registers_exactly_the_manifest_listeners() -> None:
    settings = Settings(
        SLACK_BOT_TOKEN=SecretStr("xoxb-x"),
        SLACK_SIGNING_SECRET=SecretStr("s"),
        CONNECTDESK_DATABASE_URL="sqlite+aiosqlite:///:memory:",
    )
    desk = create_app(settings, world.desk_config())
    listeners = desk.bolt._async_listeners  # noqa: SLF001 - introspection for this check only
    assert len(listeners) == len(registry.COMMANDS) + len(registry.ACTIONS) + len(registry.VIEWS)
    # Events go through the inbox to the event listeners, which take exactly these types.
    for kind in (*registry.EVENTS, "app_mention", "reaction_added", "message.im"):
        body = {"type": "event_callback", "event": {"type": kind, "user": "U1", "ts": "1.0"}}
        assert desk.inbox.wants(body) == (kind in registry.EVENTS), kind
    # Modals need interactivity, which also carries the buttons.
    assert manifest()["settings"]["interactivity"]["is_enabled"] is True


def test_the_home_tab_is_on_and_only_its_opening_is_stored() -> None:
    assert manifest()["features"]["app_home"]["home_tab_enabled"] is True
    settings = Settings(
        SLACK_BOT_TOKEN=SecretStr("xoxb-x"),
        SLACK_SIGNING_SECRET=SecretStr("s"),
        CONNECTDESK_DATABASE_URL="sqlite+aiosqlite:///:memory:",
    )
    desk = create_app(settings, world.desk_config())
    for tab, stored in (("home", True), ("messages", False)):
        event = {"type": "app_home_opened", "user": "U1", "tab": tab, "event_ts": "1.0"}
        assert desk.inbox.wants({"type": "event_callback", "event": event}) is stored, tab


def test_oauth_installs_ask_for_the_manifests_scopes() -> None:
    asked = manifest()["oauth_config"]["scopes"]["bot"]
    assert sorted(registry.BOT_SCOPES) == sorted(asked)
    redirects = manifest()["oauth_config"]["redirect_urls"]
    assert [u.rsplit("/", 2)[-2:] for u in redirects] == [["slack", "oauth_redirect"]]


def test_manifest_yml_is_what_connectdesk_manifest_prints(capsys) -> None:
    from bot.cli.main import main

    assert main(["manifest"]) == 0
    assert capsys.readouterr().out == (ROOT / "manifest.yml").read_text()


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--socket-mode"],
        ["--oauth"],
        ["--oauth", "--token-rotation"],
        ["--socket-mode", "--oauth"],
    ],
)
def test_every_manifest_variant_is_valid_for_slack(capsys, options: list[str]) -> None:
    from bot.cli.main import main

    schema = json.loads((SPECS / "manifest" / "manifest.schema.1.0.0.json").read_text())
    assert main(["manifest", "--url", "https://desk.example.org", *options]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    jsonschema.validate(printed, schema)
    settings = printed["settings"]
    urls = json.dumps(printed).count("https://desk.example.org/slack/events")
    if "--socket-mode" in options:
        # Socket Mode: no request URL anywhere; everything comes over the websocket.
        assert settings["socket_mode_enabled"] is True and urls == 0
    else:
        assert settings["socket_mode_enabled"] is False and urls == 3
    assert settings["org_deploy_enabled"] is ("--oauth" in options)
    assert settings["token_rotation_enabled"] is ("--token-rotation" in options)
    redirects = printed["oauth_config"].get("redirect_urls", [])
    if "--oauth" in options:
        assert redirects == ["https://desk.example.org/slack/oauth_redirect"]


def test_a_manifest_asked_for_wrongly_is_a_usage_error(capsys) -> None:
    from bot.cli.main import main

    assert main(["manifest", "--url", "http://plain.example"]) == 2
    assert "--url must be an https:// URL" in capsys.readouterr().err
    assert main(["manifest", "--token-rotation"]) == 2
    assert "--token-rotation needs --oauth" in capsys.readouterr().err
