"""A person's view of the workspace as text: what they saw, in the order it happened."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.emulator.queries import SeenMessage

# Replies and edits sit under their message, past its time column ("14:07 ").
STEP = " " * 6


def format_transcript(seen: Sequence[SeenMessage]) -> str:
    """Each message as first posted, then its edits; thread replies indented under their parent.

    `14:00 [#channel] author: text  [:eyes: by connectdesk]`, each file shared with it under
    it (`[file: chart.png, 12 KB, image/png]`; on the first line when there is no text), then
    for each edit
    `↳ edited at 14:07: text` (only the lines that changed, when some stayed the same; an edit
    that left the text as it was is not shown). Times are the workspace clock's (the demo's
    compressed day, not the wall clock). A reply whose parent the person cannot see stands
    on its own, marked `(thread)`.
    """
    visible = {(s.channel_id, s.ts) for s in seen}
    replies: dict[tuple[str, str], list[SeenMessage]] = defaultdict(list)
    tops = []
    for s in seen:
        parent = (s.channel_id, s.thread_ts) if s.thread_ts and s.thread_ts != s.ts else None
        if parent is not None and parent in visible:
            replies[parent].append(s)
        else:
            tops.append(s)
    lines: list[str] = []
    for top in tops:
        lines += _message(top, nested=False)
        for reply in replies[(top.channel_id, top.ts)]:
            lines += _message(reply, nested=True)
    return "\n".join(lines)


def _message(s: SeenMessage, *, nested: bool) -> list[str]:
    pad = STEP if nested else ""
    is_reply = bool(s.thread_ts and s.thread_ts != s.ts)
    where = "" if nested else ("[DM] " if s.kind == "dm" else f"[#{s.channel_name}] ")
    tags = ("(thread) " if is_reply else "") + ("(only you) " if s.kind == "ephemeral" else "")
    versions = list(s.versions) or [(s.posted_at, s.text)]
    first, *later = versions
    reacted = "".join(f" [:{name}: by {', '.join(who)}]" for name, who in s.reactions)
    reacted = f" {reacted}" if reacted else ""
    head = f"{pad}{_clock(first[0])} {where}{tags}{s.author_name}: "
    files = [_file(*f) for f in s.files]
    body = first[1].splitlines() or ([files.pop(0)] if files else [""])
    lines = _block(head, body, pad + STEP)
    lines[0] += reacted
    lines += [pad + STEP + f for f in files]
    previous = first[1]
    for at, text in later:
        if text == previous:
            continue
        old, new = previous.splitlines(), text.splitlines() or [""]
        changed = [line for line in new if line not in old]
        if changed and len(changed) < len(new):
            label = f"{pad}{STEP}↳ edited at {_clock(at)}, changed lines: "
            lines += _block(label, changed, None)
        else:
            lines += _block(f"{pad}{STEP}↳ edited at {_clock(at)}: ", new, None)
        previous = text
    return lines


def _block(head: str, body: list[str], indent: str | None) -> list[str]:
    """`head` then the first line; the others under it (at `indent`, or aligned with it)."""
    under = " " * len(head) if indent is None else indent
    return [head + body[0], *(under + line for line in body[1:])]


def _file(name: str, size: int, mimetype: str) -> str:
    return f"[file: {name}, {file_size(size)}, {mimetype}]"


def file_size(size: int) -> str:
    """A size as Slack shows it: bytes under 1 KB, whole KB under 1 MB, else MB to one place."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _clock(at: datetime | None) -> str:
    return at.strftime("%H:%M") if at is not None else "--:--"
