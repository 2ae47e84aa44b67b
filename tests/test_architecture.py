"""The shape of the code: only the Slack transport and the outbox talk to Slack's Web API.

Every other module reaches Slack through them (the gateway, the outbox's effects, the small
functions of bot/slack/identity.py), so every side effect is paced, kept out of shared
channels when internal, and (through the outbox) survives a crash. The emulator and the
sandbox stand in for Slack or drive it, so they are exempt too.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("bot", "handlers", "store", "schedules")
ALLOWED = ("bot/slack/", "bot/outbox/", "bot/emulator/", "bot/sandbox/")
# Making a client of one's own is the first step of calling Slack past the gateway.
CLIENT_CLASSES = frozenset(
    {"AsyncWebClient", "WebClient", "AsyncBaseClient", "BaseClient", "LeanWebClient"}
)


def web_api_methods() -> frozenset[str]:
    """Every Web API method slack_sdk's client offers (chat_postMessage, auth_test, ...)."""
    names = {
        name
        for name in dir(AsyncWebClient)
        if not name.startswith("_") and inspect.iscoroutinefunction(getattr(AsyncWebClient, name))
    }
    return frozenset(names | {"api_call"})


METHODS = web_api_methods()


def direct_calls(source: str) -> list[tuple[int, str]]:
    """Where a module calls the Web API itself or makes its own client: (line, what)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in METHODS:
            found.append((node.lineno, f".{func.attr}("))
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in CLIENT_CLASSES:
            found.append((node.lineno, f"{name}("))
    return found


def scanned_modules() -> list[str]:
    """The production modules that must not call the Web API (paths from the repository root)."""
    paths = sorted(
        p.relative_to(ROOT).as_posix() for d in SCANNED for p in (ROOT / d).rglob("*.py")
    )
    return [p for p in paths if not p.startswith(ALLOWED)]


def test_no_module_outside_the_transport_and_the_outbox_calls_the_web_api():
    modules = scanned_modules()
    # The scan covers what it should, so an empty result means something.
    for expected in (
        "bot/services/accounts.py",
        "bot/services/incidents.py",
        "bot/edge/socket_mode.py",
        "bot/installs/registry.py",
        "bot/cli/startup.py",
        "bot/observability/readiness.py",
        "bot/app.py",
        "handlers/events.py",
        "store/repositories.py",
    ):
        assert expected in modules
    assert not [m for m in modules if m.startswith(ALLOWED)]
    offenders = [
        f"{module}:{line}: {what}"
        for module in modules
        for line, what in direct_calls((ROOT / module).read_text())
    ]
    assert not offenders, "call Slack through bot/slack or the outbox instead:\n" + "\n".join(
        offenders
    )


@pytest.mark.parametrize(
    "planted",
    [
        "await client.chat_postMessage(channel='C1', text='hi')",
        "await self.gateway.client.auth_test()",
        "await context.client.apps_connections_open(app_token='xapp')",
        "await client.api_call('chat.postMessage', json={'channel': 'C1'})",
        "client = AsyncWebClient(token='xoxb')",
        "client = slack_sdk.web.async_client.AsyncWebClient(token='xoxb')",
        "client = LeanWebClient(token='xoxb')",
    ],
)
def test_the_check_finds_a_planted_web_api_call(planted: str):
    source = f"async def effect(client, context, self):\n    {planted}\n"
    assert direct_calls(source) != []


def test_the_check_lets_calls_through_the_gateway_pass():
    source = (
        "async def hint(gateway, outbox, uow):\n"
        "    await gateway.post('C1', message)\n"
        "    await outbox.record(uow, 'key', 'link_hint', 'T1')\n"
        "    await who_am_i(client)\n"
    )
    assert direct_calls(source) == []
