"""The knowledge base folder: Markdown articles with YAML front matter, read and checked.

An article is a `.md` file (sub-folders allowed; `README.md` files are notes about the folder
and skipped) that starts with front matter between `---` lines:

    ---
    title: Rotating an API key
    tags: [api, keys, security]
    audience: customer        # customer: may be sent to customers; internal: never leaves us
    url: https://help.example.com/api-keys   # optional: where customers read the whole article
    ---
    The body, in Markdown. Its first paragraph is the excerpt customers are shown.

A file whose front matter is broken is reported with its line (`connectdesk check`) and left
out; the others are read as usual.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.config.yaml_lines import line_of, load_with_lines
from bot.domain.knowledge import Audience

FENCE = "---"
MAX_ARTICLE_BYTES = 200_000
MAX_TITLE = 300
MAX_URL = 500


@dataclass(frozen=True)
class ArticleFile:
    """One valid article as read from its file; `slug` is its path in the folder, no `.md`."""

    slug: str
    title: str
    tags: tuple[str, ...]
    audience: Audience
    url: str | None
    body: str
    checksum: str


@dataclass(frozen=True)
class KbFolder:
    """What a knowledge base folder holds: its valid articles and a `file:line: what` line
    for each broken one."""

    folder: Path
    articles: tuple[ArticleFile, ...]
    problems: tuple[str, ...]


def article_paths(folder: Path) -> list[Path]:
    """The article files of a folder, in a stable order (hidden files and READMEs skipped)."""
    found = []
    for path in sorted(folder.rglob("*.md")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") for p in parts) or path.name.lower() == "readme.md":
            continue
        if path.is_file():
            found.append(path)
    return found


def folder_state(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Each article file's name, size and modification time: cheap to take, and it differs
    whenever an article was added, removed or edited."""
    state = []
    for path in article_paths(folder):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed while we looked: the next look sees it gone
        state.append((path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(state)


def read_folder(folder: Path) -> KbFolder:
    """Read every article of `folder`; broken ones become problems, never an exception."""
    articles: list[ArticleFile] = []
    problems: list[str] = []
    for path in article_paths(folder):
        slug = path.relative_to(folder).with_suffix("").as_posix()
        try:
            raw = path.read_bytes()
        except OSError as exc:
            problems.append(f"{path}:1: cannot read the article ({exc.strerror})")
            continue
        if len(raw) > MAX_ARTICLE_BYTES:
            problems.append(f"{path}:1: longer than {MAX_ARTICLE_BYTES:,} bytes; split it")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{path}:1: not UTF-8 text")
            continue
        article = parse_article(slug, text, str(path))
        if isinstance(article, ArticleFile):
            articles.append(article)
        else:
            problems.extend(article)
    return KbFolder(folder, tuple(articles), tuple(problems))


def parse_article(slug: str, text: str, source: str) -> ArticleFile | list[str]:
    """An article from its text, or its problems as `source:line: what` lines."""
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        return [
            f"{source}:1: no front matter: start the file with a '---' line, then title,"
            " tags and audience, then '---'"
        ]
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FENCE)
    except StopIteration:
        return [f"{source}:1: the front matter is not closed (add a '---' line after it)"]
    head = "\n".join(lines[1:end])
    try:
        data, where = load_with_lines(head)
    except yaml.YAMLError as exc:
        # Where the broken construct began (an unclosed `[`), else where YAML stumbled.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        return [f"{source}:{line}: front matter is not valid YAML: {getattr(exc, 'problem', exc)}"]
    if not isinstance(data, dict):
        return [f"{source}:2: front matter must be 'key: value' lines (title, tags, audience)"]

    def at(key: str, message: str) -> str:
        # The key's own line; a missing key: the front matter's opening line.
        line = line_of((key,), where) if (key,) in where else None
        return f"{source}:{line + 1 if line else 1}: {key}: {message}"

    problems = []
    title = _text(data.get("title"))
    if not title:
        problems.append(at("title", "missing: every article needs a title"))
    elif len(title) > MAX_TITLE:
        problems.append(at("title", f"longer than {MAX_TITLE} characters"))
    audience = str(data.get("audience") or "").strip().lower()
    if audience not in {a.value for a in Audience}:
        shown = f"'{data.get('audience')}'" if data.get("audience") is not None else "missing"
        problems.append(at("audience", f"{shown}: say customer or internal"))
    tags = _tags(data.get("tags"))
    if tags is None:
        problems.append(at("tags", "a list of words, like [api, keys]"))
    url = _text(data.get("url")) or None
    if url is not None and (not url.startswith(("https://", "http://")) or len(url) > MAX_URL):
        problems.append(at("url", "an http(s) address customers can open"))
    if problems:
        return problems
    body = "\n".join(lines[end + 1 :]).strip()
    return ArticleFile(
        slug=slug,
        title=title,
        tags=tags or (),
        audience=Audience(audience),
        url=url,
        body=body,
        checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if isinstance(value, str | int | float) else ""


def _tags(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    items: Sequence[Any] = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(t, str | int) for t in items):
        return None
    return tuple(t for t in (str(i).strip() for i in items) if t)
