"""The emulator's file uploads: files.getUploadURLExternal, the upload URL, and
files.completeUploadExternal, as slack_sdk's files_upload_v2 drives them, with Slack's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator import Channel, Emulator, Workspace
from tests.support.slack_spec import check_call, validate_object

TOKEN, SECRET = "xoxb-files-test", "files-test-secret"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 48  # 12,296 bytes: "12 KB"
MIA_DM = "D0MIA"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    ws = Workspace.default()
    # A channel the bot was never added to.
    ws.add_channel(Channel("C0NOBOT", "sales-private", False, {"U0ALICE"}, is_private=True))
    async with Emulator(ws, signing_secret=SECRET, bot_token=TOKEN) as emulator:
        yield emulator


def client(emu: Emulator) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=emu.api_url, retry_handlers=[])


async def error_of(call) -> str:
    with pytest.raises(SlackApiError) as err:
        await call
    return str(err.value.response["error"])


async def announced(emu: Emulator, data: bytes = PNG, name: str = "chart.png") -> str:
    """A file announced and its bytes sent (steps 1 and 2); its id."""
    answer = await client(emu).files_getUploadURLExternal(filename=name, length=len(data))
    async with aiohttp.ClientSession() as http, http.post(answer["upload_url"], data=data) as r:
        assert r.status == 200 and await r.text() == f"OK - {len(data)}"
    return str(answer["file_id"])


async def test_files_upload_v2_shares_the_file_in_a_dm_as_a_message_with_files(emu: Emulator):
    slack = client(emu)
    dm = (await slack.conversations_open(users="U0MIA"))["channel"]["id"]
    assert dm == MIA_DM
    done = await slack.files_upload_v2(
        channel=dm,
        file=PNG,
        filename="attainment-2026-11.png",
        title="SLA attainment, 2026-11",
        alt_txt="A bar chart",
        initial_comment="Your November report",
    )

    # The upload URL points at the emulator itself; the bytes went there, without a token.
    got_url = emu.calls_to("files.getUploadURLExternal")[0]
    assert got_url.params == {"filename": "attainment-2026-11.png", "length": str(len(PNG))} | {
        "alt_txt": "A bar chart"
    }
    assert got_url.response["upload_url"].startswith(f"{emu.base_url}/upload/v1/")
    posted = emu.calls_to("upload_url")[0]
    assert posted.status == 200 and posted.params["bytes"] == len(PNG)
    assert "Authorization" not in posted.headers
    # What completeUploadExternal was sent, and each call, are Slack's arguments.
    completed = emu.calls_to("files.completeUploadExternal")[0].params
    assert completed["channel_id"] == dm and completed["initial_comment"] == "Your November report"
    assert not [p for call in emu.calls for p in check_call(call.method, call.params)]

    # The answer: the file, in Slack's file object shape.
    file = done["file"]
    validate_object("objs_file", file)
    assert file["name"] == "attainment-2026-11.png" and file["title"] == "SLA attainment, 2026-11"
    assert (file["mimetype"], file["filetype"], file["size"]) == ("image/png", "png", len(PNG))
    # The bytes are kept for tests; the share is one message by the bot with a `files` list.
    [stored] = emu.uploaded(dm)
    assert stored.id == file["id"] and stored.data == PNG and stored.alt_txt == "A bar chart"
    [message] = emu.messages(dm)
    assert (message.user, message.text) == ("U0BOT", "Your November report")
    assert stored.shares == [(dm, message.ts)]
    history = await slack.conversations_history(channel=dm)
    [shown] = history["messages"]
    validate_object("objs_message", shown)
    assert [f["id"] for f in shown["files"]] == [file["id"]] and shown["upload"] is False

    # Mia's view shows the file under the message; nobody else sees it.
    transcript = emu.transcript("U0MIA").splitlines()
    assert transcript[0].endswith("[DM] connectdesk: Your November report")
    assert transcript[1].strip() == "[file: attainment-2026-11.png, 12 KB, image/png]"
    assert emu.seen_by("U0MIA")[0].files == (("attainment-2026-11.png", len(PNG), "image/png"),)
    assert not [s for s in emu.seen_by("U0ALICE") if s.files]


async def test_a_file_shared_in_a_thread_without_a_comment(emu: Emulator):
    slack = client(emu)
    parent = await slack.chat_postMessage(channel="C0INTERNAL", text="Report for the team")
    await slack.files_upload_v2(
        channel="C0INTERNAL", file=b"a,b\n1,2\n", filename="figures.csv", thread_ts=parent["ts"]
    )
    [reply] = emu.thread("C0INTERNAL", parent["ts"])[1:]
    assert reply.thread_ts == parent["ts"] and reply.text == ""
    assert reply.files[0]["title"] == "figures.csv"  # no title: the file's name
    lines = emu.transcript("U0ALICE").splitlines()
    assert lines[1].strip().endswith("connectdesk: [file: figures.csv, 8 B, text/csv]")
    replies = await slack.conversations_replies(channel="C0INTERNAL", ts=parent["ts"])
    assert replies["messages"][1]["files"][0]["name"] == "figures.csv"


async def test_get_upload_url_errors_like_slack(emu: Emulator):
    slack = client(emu)

    def get(**args):
        return slack.api_call("files.getUploadURLExternal", params=args)

    assert await error_of(get(length=10)) == "invalid_arguments"  # no filename
    assert await error_of(get(filename="a.png")) == "invalid_arguments"  # no length
    assert await error_of(get(filename="a.png", length="ten")) == "invalid_arguments"
    assert await error_of(get(filename="a.png", length=-3)) == "invalid_arguments"
    assert await error_of(get(filename="a.png", length=0)) == "missing_argument"
    assert await error_of(get(filename="a.png", length=9, alt_txt="x" * 1001)) == (
        "alt_txt_too_large"
    )
    no_token = AsyncWebClient(base_url=emu.api_url, retry_handlers=[])
    assert await error_of(no_token.files_getUploadURLExternal(filename="a", length=1)) == (
        "not_authed"
    )
    assert emu.ws.files == {}  # nothing announced by a refused call


async def test_complete_errors_like_slack_and_change_nothing(emu: Emulator):
    slack = client(emu)
    file_id = await announced(emu)

    def complete(files, **args):
        return slack.files_completeUploadExternal(files=files, **args)

    assert await error_of(slack.api_call("files.completeUploadExternal", params={})) == (
        "invalid_arguments"
    )
    assert await error_of(complete([])) == "invalid_arguments"
    assert await error_of(complete([{"id": "not-a-file-id"}])) == "invalid_arguments"
    assert await error_of(complete([{"id": "F0000000000"}], channel_id=MIA_DM)) == (
        "file_not_found"
    )  # well formed, unknown
    # Where to share: a channel that does not exist, a user id (Slack wants the DM's id),
    # a channel the bot is not in, a thread that is not there.
    assert await error_of(complete([{"id": file_id}], channel_id="C0NOPE")) == "invalid_channel"
    assert await error_of(complete([{"id": file_id}], channel_id="U0MIA")) == "invalid_arguments"
    assert await error_of(complete([{"id": file_id}], channel_id="C0NOBOT")) == "not_in_channel"
    assert (
        await error_of(complete([{"id": file_id}], channel_id="C0INTERNAL", thread_ts="1.000001"))
        == "thread_not_found"
    )
    assert emu.ws.messages == [] and not emu.ws.files[file_id].completed

    # Completed once it is right; then its upload ticket is spent.
    await complete([{"id": file_id, "title": "Chart"}], channel_id="C0INTERNAL")
    assert emu.uploaded("C0INTERNAL")[0].title == "Chart"
    assert await error_of(complete([{"id": file_id}], channel_id="C0INTERNAL")) == (
        "file_not_found"
    )
    assert len(emu.messages("C0INTERNAL")) == 1


async def test_complete_before_the_bytes_arrived_is_file_not_found(emu: Emulator):
    slack = client(emu)
    answer = await slack.files_getUploadURLExternal(filename="chart.png", length=len(PNG))
    refused = slack.files_completeUploadExternal(
        files=[{"id": answer["file_id"]}], channel_id="C0INTERNAL"
    )
    assert await error_of(refused) == "file_not_found"
    assert emu.messages("C0INTERNAL") == []


async def test_another_installs_file_is_not_found(emu: Emulator):
    file_id = await announced(emu)
    emu.ws.files[file_id].team_id = "T0OTHER"  # as if another workspace's bot had made it
    refused = client(emu).files_completeUploadExternal(
        files=[{"id": file_id}], channel_id="C0INTERNAL"
    )
    assert await error_of(refused) == "file_not_found"


async def test_without_a_channel_the_file_stays_private(emu: Emulator):
    file_id = await announced(emu)
    done = await client(emu).files_completeUploadExternal(files=[{"id": file_id}])
    assert done["files"][0]["id"] == file_id and emu.ws.files[file_id].completed
    assert emu.ws.files[file_id].shares == [] and emu.ws.messages == []


async def test_the_upload_url_takes_raw_bytes_or_a_form_and_refuses_unknown_or_spent_ones(
    emu: Emulator,
):
    slack = client(emu)
    answer = await slack.files_getUploadURLExternal(filename="notes.txt", length=5)
    url = answer["upload_url"]
    async with aiohttp.ClientSession() as http:
        form = aiohttp.FormData()
        form.add_field("filename", b"hello", filename="notes.txt")
        async with http.post(url, data=form) as r:  # curl -F filename=@notes.txt
            assert r.status == 200 and await r.text() == "OK - 5"
        assert emu.ws.files[answer["file_id"]].data == b"hello"
        async with http.post(f"{emu.base_url}/upload/v1/nope", data=b"x") as r:
            assert r.status == 404
        await slack.files_completeUploadExternal(
            files=[{"id": answer["file_id"]}], channel_id="C0INTERNAL"
        )
        async with http.post(url, data=b"again") as r:
            assert r.status == 410
    assert emu.ws.files[answer["file_id"]].data == b"hello"


async def test_files_upload_v2_raises_when_the_bytes_are_refused(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
):
    slack = client(emu)
    # The file is announced, then its upload URL refuses the bytes: nothing is shared.
    monkeypatch.setattr(emu.api.files, "receive", lambda ticket, data: (503, "Unavailable"))
    with pytest.raises(SlackRequestError, match="status: 503"):
        await slack.files_upload_v2(channel="C0INTERNAL", file=PNG, filename="chart.png")
    assert emu.calls_to("files.completeUploadExternal") == [] and emu.ws.messages == []
