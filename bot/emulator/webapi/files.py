"""The `files.*` upload methods (Slack's v2 flow, as slack_sdk's `files_upload_v2` drives it).

1. `files.getUploadURLExternal(filename, length)` announces a file: a file id and an upload
   URL (on the emulator itself, like Slack's `https://files.slack.com/upload/v1/...`).
2. The bytes are POSTed to that URL, raw (slack_sdk) or as a multipart form (curl's `-F`);
   no token: the URL is the credential. The answer is `200 OK - <bytes>` in plain text.
3. `files.completeUploadExternal(files=[{id, title}], channel_id, initial_comment, thread_ts)`
   shares the files into the channel as one message carrying a `files` list, by the bot.

The bytes are kept (`Workspace.files`) for tests to read. Error codes are those Slack's
documentation lists for each method; where it lists none for a case, the comment says so.
"""

from __future__ import annotations

import json
import mimetypes
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from bot.emulator.webapi.params import Answer, ApiError, Method, need
from bot.emulator.workspace import Channel, Install, StoredFile, StoredMessage, Workspace

# Slack checks `channel_id` against ^[CGDZ][A-Z0-9]{8,}$ (a user id is refused, not taken for
# the DM as chat.postMessage does); the emulator's ids are shorter, hence `+`.
CHANNEL_ID = re.compile(r"^[CGDZ][A-Z0-9]+$")
FILE_ID = re.compile(r"^F[A-Z0-9]{8,}$")
ALT_TEXT_MOST = 1000
UPLOAD_PATH = "/upload/v1/"


class Files:
    """Uploads by the bot: announced, received, then completed and shared."""

    def __init__(
        self,
        ws: Workspace,
        on_bot_post: Callable[[StoredMessage], Awaitable[None]],
        base_url: Callable[[], str],
    ) -> None:
        """`base_url`: the emulator's root URL (known once it listens), for upload URLs."""
        self.ws = ws
        self._on_bot_post = on_bot_post
        self._base_url = base_url
        self._by_ticket: dict[str, str] = {}

    def methods(self) -> dict[str, Method]:
        """The Web API methods this family answers."""
        return {
            "files.getUploadURLExternal": self.get_upload_url,
            "files.completeUploadExternal": self.complete_upload,
        }

    async def get_upload_url(self, params: dict[str, Any], caller: Install) -> Answer:
        """`files.getUploadURLExternal`: a file id and the URL to POST its bytes to."""
        name = need(params, "filename")
        length = _length(params)
        alt_txt = params.get("alt_txt")
        if alt_txt is not None and len(str(alt_txt)) > ALT_TEXT_MOST:
            raise ApiError("alt_txt_too_large")
        file = StoredFile(
            id=f"F{secrets.token_hex(5).upper()}",
            name=name,
            length=length,
            user=caller.bot_user_id,
            team_id=caller.team.id,
            ticket=secrets.token_urlsafe(16),
            created=int(self.ws.clock.now().timestamp()),
            alt_txt=None if alt_txt is None else str(alt_txt),
            title=name,
        )
        self.ws.files[file.id] = file
        self._by_ticket[file.ticket] = file.id
        return {
            "ok": True,
            "upload_url": f"{self._base_url()}{UPLOAD_PATH}{file.ticket}",
            "file_id": file.id,
        }

    def receive(self, ticket: str, data: bytes) -> tuple[int, str]:
        """The bytes POSTed to an upload URL: (HTTP status, plain-text answer)."""
        file = self.ws.files.get(self._by_ticket.get(ticket, ""))
        if file is None:
            return 404, "Not Found"
        if file.completed:
            # The emulator's choice: a completed file's URL is spent (Slack documents nothing).
            return 410, "Gone"
        file.data = data  # a retried upload replaces the bytes of an earlier try
        return 200, f"OK - {len(data)}"

    async def complete_upload(self, params: dict[str, Any], caller: Install) -> Answer:
        """`files.completeUploadExternal`: finish uploads and share them (one message per channel).

        `file_not_found` for a file that is unknown, another install's, never received or
        already completed (Slack: "could not find the file from the upload ticket");
        `invalid_channel` for a channel that does not exist, `not_in_channel` for one the bot
        is not in. Without a channel the files stay private, shared nowhere.
        """
        wanted = _file_entries(params)
        files = []
        for entry in wanted:
            file = self.ws.files.get(entry["id"])
            if (
                file is None
                or file.team_id != caller.team.id
                or file.data is None
                or file.completed
            ):
                raise ApiError("file_not_found")
            files.append(file)
        if len({f.id for f in files}) != len(files):
            raise ApiError("invalid_arguments")
        channels = [self._shareable(c, caller) for c in _channel_ids(params)]
        thread_ts = params.get("thread_ts") or None
        if thread_ts and len(channels) == 1 and self.ws.find(channels[0].id, thread_ts) is None:
            # Not among the documented codes; chat.postMessage's for the same mistake.
            raise ApiError("thread_not_found")
        for file, entry in zip(files, wanted, strict=True):
            file.completed = True
            file.title = str(entry.get("title") or file.name)
        comment = str(params.get("initial_comment") or "")
        for channel in channels:
            message = self.ws.store(
                StoredMessage(
                    channel_id=channel.id,
                    ts=self.ws.next_ts(),
                    user=caller.bot_user_id,
                    text=comment,
                    thread_ts=thread_ts if len(channels) == 1 else None,
                    bot_id=caller.bot_id,
                    files=[file_json(f) for f in files],
                )
            )
            for file in files:
                file.shares.append((channel.id, message.ts))
            await self._on_bot_post(message)
        return {"ok": True, "files": [file_json(f) for f in files]}

    def _shareable(self, channel_id: str, caller: Install) -> Channel:
        if not CHANNEL_ID.match(channel_id):
            raise ApiError("invalid_arguments")
        channel = self.ws.channels.get(channel_id)
        if channel is None or (channel.is_im and caller.bot_user_id not in channel.member_ids):
            raise ApiError("invalid_channel")
        if caller.bot_user_id not in channel.member_ids:
            raise ApiError("not_in_channel")
        return channel


def file_json(file: StoredFile) -> dict[str, Any]:
    """A file object as the Web API shows it (Slack's `objs_file`).

    Its `channels`, `groups`, `ims` and `shares` are left out: Slack's answer to
    files.completeUploadExternal has them empty (it shares in the background).
    """
    mimetype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    filetype = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else "binary"
    name = quote(file.name)
    return {
        "id": file.id,
        "created": file.created,
        "timestamp": file.created,
        "name": file.name,
        "title": file.title,
        "mimetype": mimetype,
        "filetype": filetype,
        "pretty_type": filetype.upper(),
        "user": file.user,
        "user_team": file.team_id,
        "editable": False,
        "size": len(file.data or b""),
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": False,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"https://files.slack.test/files-pri/{file.team_id}-{file.id}/{name}",
        "url_private_download": (
            f"https://files.slack.test/files-pri/{file.team_id}-{file.id}/download/{name}"
        ),
        "permalink": f"https://slack.test/files/{file.user}/{file.id}/{name}",
        "comments_count": 0,
        "is_starred": False,
        "has_rich_preview": False,
    }


def _length(params: dict[str, Any]) -> int:
    """`length`: a whole number of bytes; 0 is Slack's `missing_argument`."""
    raw = params.get("length")
    if raw in (None, ""):
        raise ApiError("invalid_arguments")
    try:
        length = int(str(raw))
    except ValueError:
        raise ApiError("invalid_arguments") from None
    if length == 0:
        raise ApiError("missing_argument")
    if length < 0:
        raise ApiError("invalid_arguments")
    return length


def _file_entries(params: dict[str, Any]) -> list[dict[str, Any]]:
    """`files`: a JSON array of {"id": "F…", "title": …}, at least one."""
    raw = params.get("files")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise ApiError("invalid_arguments") from None
    if not isinstance(raw, list) or not raw:
        raise ApiError("invalid_arguments")
    for entry in raw:
        if not isinstance(entry, dict) or not FILE_ID.match(str(entry.get("id") or "")):
            raise ApiError("invalid_arguments")
    return raw


def _channel_ids(params: dict[str, Any]) -> list[str]:
    """Where to share: `channel_id`, or the comma-separated `channels` (none: private)."""
    one = str(params.get("channel_id") or "").strip()
    many = [c.strip() for c in str(params.get("channels") or "").split(",") if c.strip()]
    if one and many:
        raise ApiError("invalid_arguments")
    return [one] if one else list(dict.fromkeys(many))
