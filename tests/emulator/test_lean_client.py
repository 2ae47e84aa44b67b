"""The lean Web API path (bot/slack/lean_client.py): what slack_sdk's client sends and answers,
its retries, errors and counts, for less CPU. Against a scripted aiohttp server and the emulator;
`lean_only` makes any call that falls back to slack_sdk's own path fail the test."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_base_client import AsyncBaseClient
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.internal_utils import get_user_agent

from bot.emulator import Channel, Emulator, Workspace
from bot.emulator.faults import BAD_GATEWAY_PAGE, BAD_GATEWAY_TYPES
from bot.slack.http_session import SharedSession
from bot.slack.lean_client import LeanWebClient
from bot.slack.transport import REPLICA_HEADER, FileUpload, Transport, api_failure, make_client
from tests.support.fake_app import SECRET, TOKEN

OK = {"ok": True, "channel": "C1", "ts": "1700000000.000100"}


@dataclass
class Answer:
    """One scripted answer: status, body, content type, headers; `drop` closes the connection."""

    body: Any = field(default_factory=lambda: dict(OK))
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


@dataclass
class Seen:
    """A request as the server got it."""

    method: str
    path_qs: str
    headers: dict[str, str]
    body: bytes


class Scripted:
    """A Web API stand-in answering each method from a script (then success), recording all."""

    def __init__(self) -> None:
        self.script: dict[str, list[Answer]] = {}
        self.seen: list[Seen] = []
        self.url = ""

    def then(self, method: str, *answers: Answer) -> None:
        """Answer `method`'s next calls with these, in order."""
        self.script.setdefault(method, []).extend(answers)

    def to(self, method: str) -> list[Seen]:
        """The requests that reached `method`."""
        return [s for s in self.seen if s.path_qs.split("?")[0] == f"/api/{method}"]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(Seen(request.method, request.path_qs, dict(request.headers), body))
        queue = self.script.get(request.match_info["method"]) or []
        answer = queue.pop(0) if queue else Answer()
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        text = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
        return web.Response(
            status=answer.status,
            text=text,
            content_type=answer.content_type,
            headers=answer.headers,
        )


@pytest.fixture
async def server() -> AsyncIterator[Scripted]:
    scripted = Scripted()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", scripted._handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    scripted.url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/"
    yield scripted
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[SharedSession]:
    async with SharedSession() as shared:
        yield shared


@pytest.fixture
def lean_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk's own send path fails the test: every call must take the lean one."""

    async def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the call took slack_sdk's path, not the lean one")

    monkeypatch.setattr(AsyncBaseClient, "_send", refused)


def lean(url: str, session: SharedSession, counted: list | None = None) -> LeanWebClient:
    """A client as bot/app.py makes it: counted, named by replica, on the shared session."""
    count = counted.append if counted is not None else None
    client = make_client(
        TOKEN, url, "replica-1", count_calls=(lambda m, o: count((m, o))) if count else None
    )
    assert isinstance(client, LeanWebClient)
    client.session = session
    return client


def plain(url: str, session: SharedSession) -> AsyncWebClient:
    """slack_sdk's own client with the same settings."""
    return AsyncWebClient(
        token=TOKEN,
        base_url=url,
        session=session,
        headers={"X-Connectdesk-Replica": "replica-1"},
        retry_handlers=make_client(TOKEN, url).retry_handlers,
    )


async def test_the_wire_is_slack_sdks_for_json_and_form_calls(server, session, monkeypatch):
    async def calls(client: AsyncWebClient) -> list[Any]:
        posted = await client.chat_postMessage(
            channel="C1", text="hi", unfurl_links=False, metadata={"event_type": "t"}
        )
        await client.reactions_add(channel="C1", timestamp="1.2", name="eyes")
        await client.conversations_history(channel="C1", limit=1, inclusive=True)
        return [posted.data, posted.status_code, posted.headers["Content-Type"]]

    sdk_answers = await calls(plain(server.url, session))
    sdk_seen, server.seen = server.seen, []
    monkeypatch.setattr(AsyncBaseClient, "_send", None)  # the lean path only, from here
    assert await calls(lean(server.url, session)) == sdk_answers
    assert len(server.seen) == len(sdk_seen) == 3
    for ours, theirs in zip(server.seen, sdk_seen, strict=True):
        assert ours == theirs
    post, reaction, history = server.seen
    assert json.loads(post.body)["metadata"] == {"event_type": "t"}
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    assert post.headers["X-Connectdesk-Replica"] == "replica-1"
    assert post.headers["User-Agent"] == get_user_agent()
    assert post.headers["Content-Type"] == "application/json;charset=utf-8"
    # Form calls carry their arguments in the query, booleans as 0 / 1, like slack_sdk's.
    assert reaction.body == b"" and "name=eyes" in reaction.path_qs
    assert history.method == "GET" and "inclusive=1" in history.path_qs


async def test_a_post_answers_its_ts_and_is_counted(server, session, lean_only):
    counted: list[tuple[str, str]] = []
    transport = Transport(lean(server.url, session, counted))
    sent = await transport.post("C1", {"text": "hello"})
    assert (sent.ts, sent.channel, sent.ok) == (OK["ts"], "C1", True)
    assert counted == [("chat.postMessage", "ok")]
    assert json.loads(server.to("chat.postMessage")[0].body)["unfurl_links"] is False


async def test_a_429_is_waited_out_for_its_retry_after_then_retried(server, session, lean_only):
    limited = Answer({"ok": False, "error": "ratelimited"}, 429, headers={"Retry-After": "1"})
    server.then("chat.postMessage", limited)
    counted: list[tuple[str, str]] = []
    started = time.monotonic()
    sent = await Transport(lean(server.url, session, counted)).post("C1", {"text": "hi"})
    assert sent.ts == OK["ts"]
    assert time.monotonic() - started >= 1.0
    assert len(server.to("chat.postMessage")) == 2
    assert counted == [("chat.postMessage", "ratelimited"), ("chat.postMessage", "ok")]


async def test_a_5xx_to_a_post_is_not_retried_and_comes_back_maybe_sent(server, session, lean_only):
    server.then("chat.postMessage", Answer({"ok": False, "error": "internal_error"}, 500))
    counted: list[tuple[str, str]] = []
    sent = await Transport(lean(server.url, session, counted)).post("C1", {"text": "hi"})
    assert (sent.error, sent.uncertain, sent.permanent, sent.ts) == (
        "internal_error",
        True,
        False,
        None,
    )
    assert len(server.to("chat.postMessage")) == 1
    assert counted == [("chat.postMessage", "http_5xx")]


async def test_a_5xx_to_an_edit_or_a_dropped_connection_is_retried(server, session, lean_only):
    server.then("chat.update", Answer({"ok": False, "error": "internal_error"}, 503))
    server.then("reactions.add", Answer(drop=True))
    counted: list[tuple[str, str]] = []
    transport = Transport(lean(server.url, session, counted))
    assert (await transport.edit("C1", "1.2", {"text": "new"})).ok
    assert (await transport.reaction(True, "C1", "1.2", "eyes")).ok
    assert len(server.to("chat.update")) == len(server.to("reactions.add")) == 2
    assert counted == [
        ("chat.update", "http_5xx"),
        ("chat.update", "ok"),
        ("reactions.add", "network"),
        ("reactions.add", "ok"),
    ]


@pytest.mark.parametrize("content_type", BAD_GATEWAY_TYPES)
async def test_a_proxys_html_502_fails_as_it_did_through_slack_sdk(
    server, session, monkeypatch, content_type
):
    page = Answer(BAD_GATEWAY_PAGE, 502, content_type=content_type)
    failures = []
    for make in (plain, lean):
        server.then("chat.postMessage", page)
        with pytest.raises(SlackApiError) as caught:
            await make(server.url, session).chat_postMessage(channel="C1", text="hi")
        failures.append((api_failure(caught.value), str(caught.value).split("\n")[0]))
        monkeypatch.setattr(AsyncBaseClient, "_send", None)  # the lean path only, from here
    assert failures[0] == failures[1]
    failure = failures[1][0]
    assert (failure.code, failure.status, failure.json, failure.uncertain) == (
        "http_502",
        502,
        False,
        True,
    )
    # slack_sdk kept the page's text (text/plain, JSON that is not), and so does the lean path.
    assert ("502 Bad Gateway" in failure.body) == (content_type != "text/html")
    server.then("chat.postMessage", page)
    sent = await Transport(lean(server.url, session)).post("C1", {"text": "hi"})
    assert (sent.error, sent.uncertain) == ("http_502", True)


async def test_ok_false_raises_with_slacks_error_code(server, session, lean_only):
    server.then("chat.postMessage", Answer({"ok": False, "error": "channel_not_found"}))
    client = lean(server.url, session)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C404", text="hi")
    assert caught.value.response["error"] == "channel_not_found"
    assert caught.value.response.status_code == 200
    assert api_failure(caught.value).code == "channel_not_found"
    server.then("chat.postMessage", Answer({"ok": False, "error": "channel_not_found"}))
    sent = await Transport(client).post("C404", {"text": "hi"})
    assert (sent.error, sent.permanent, sent.uncertain) == ("channel_not_found", True, False)


async def test_a_changed_token_or_header_is_what_is_sent(server, session, lean_only):
    client = lean(server.url, session)
    await client.reactions_add(channel="C1", timestamp="1.2", name="eyes")
    client.token = "xoxb-another-install"
    client.headers["X-Connectdesk-Replica"] = "replica-2"
    await client.reactions_add(channel="C1", timestamp="1.2", name="eyes")
    await client.chat_postMessage(channel="C1", text="hi", token="xoxb-per-call")
    client.token = None
    await client.api_test()
    sent = [(s.headers.get("Authorization"), s.headers[REPLICA_HEADER]) for s in server.seen]
    assert sent == [
        (f"Bearer {TOKEN}", "replica-1"),
        ("Bearer xoxb-another-install", "replica-2"),
        ("Bearer xoxb-per-call", "replica-2"),
        (None, "replica-2"),
    ]


async def test_the_clients_timeout_holds_for_each_request(server, session, lean_only):
    server.then("chat.postMessage", Answer(delay=3))
    client = lean(server.url, session)
    client.timeout = 1  # the session's own is 5 minutes
    started = time.monotonic()
    sent = await Transport(client).post("C1", {"text": "hi"})
    assert (sent.error, sent.uncertain) == ("TimeoutError", True)
    assert time.monotonic() - started < 2.5


async def test_uploads_and_calls_without_a_session_take_slack_sdks_path(session):
    ws = Workspace.default()
    ws.add_channel(Channel(id="C0LEAN", name="lean", member_ids={ws.bot_user_id}))
    async with Emulator(ws, signing_secret=SECRET, bot_token=TOKEN) as emu:
        alone = Transport(make_client(TOKEN, emu.api_url))
        assert (await alone.post("C0LEAN", {"text": "no session"})).ok
        shared = lean(emu.api_url, session)
        file = FileUpload(b"a,b\n1,2\n", "report.csv", "Report")
        uploaded = await Transport(shared).upload("C0LEAN", file, comment="here")
        assert uploaded.ok and uploaded.file_id
    assert [m.text for m in emu.messages("C0LEAN")][0] == "no session"
    assert emu.calls_to("files.completeUploadExternal")
