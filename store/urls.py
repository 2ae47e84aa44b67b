"""Database URLs as deployers write them, made into the form the app's async drivers take.

Hosting providers hand out `postgresql://…` or `postgres://…` (often with `?sslmode=require`);
SQLAlchemy reads those as the synchronous psycopg2 driver, which is not installed. Every URL the
app uses (`CONNECTDESK_DATABASE_URL`, `CONNECTDESK_INBOX_URL`, the engines, the migrations) goes
through `database_url` first:

- `postgresql://`, `postgres://` and the synchronous drivers' `postgresql+psycopg2://`,
  `postgresql+psycopg://`, `postgresql+pg8000://` (the same server, only another client library)
  become `postgresql+asyncpg://`; libpq's `sslmode` becomes asyncpg's `ssl` (same values);
- `sqlite:///…` (and `sqlite+pysqlite:///…`) becomes `sqlite+aiosqlite:///…`;
- anything else is refused with one sentence naming the accepted forms.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

ACCEPTED = (
    "use postgresql://user:password@host:5432/db (also postgres://, postgresql+asyncpg://)"
    " or sqlite:///path/to/file.db (also sqlite+aiosqlite:///)"
)
POSTGRES = "postgresql+asyncpg"
SQLITE = "sqlite+aiosqlite"
_AS_POSTGRES = {
    "postgresql",
    "postgres",
    "postgresql+asyncpg",
    "postgresql+psycopg2",
    "postgresql+psycopg",
    "postgresql+pg8000",
    "postgres+asyncpg",
}
_AS_SQLITE = {"sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"}
_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# Query parameters asyncpg (through SQLAlchemy) takes as they are; `search_path` is ours
# (store.db.make_engine turns it into a server setting).
_KEPT = ("ssl", "search_path", "target_session_attrs", "prepared_statement_cache_size")


class DatabaseUrlError(ValueError):
    """A database URL connectdesk cannot use: one sentence on what to write instead.

    It never repeats the URL, which may carry a password.
    """


def database_url(raw: str, name: str = "The database URL") -> str:
    """`raw` in the form the app connects with; DatabaseUrlError (naming `name`) if it is not
    one connectdesk takes."""
    text = (raw or "").strip()
    if not text:
        raise DatabaseUrlError(f"{name} is empty; {ACCEPTED}")
    try:
        url = make_url(text)
    except ArgumentError:
        raise DatabaseUrlError(f"{name} is not a database URL; {ACCEPTED}") from None
    scheme = url.drivername.casefold()
    if scheme in _AS_SQLITE:
        target = url.set(drivername=SQLITE)
    elif scheme in _AS_POSTGRES:
        target = _asyncpg_query(url.set(drivername=POSTGRES), name)
    else:
        raise DatabaseUrlError(
            f"{name} is a {url.drivername}:// URL, a database connectdesk does not run on;"
            f" {ACCEPTED}"
        )
    if target == url:
        return text  # already in our form: exactly as given
    return target.render_as_string(hide_password=False)


def _asyncpg_query(url: URL, name: str) -> URL:
    """libpq's query parameters as asyncpg takes them, or a sentence on what to change."""
    query = dict(url.query)
    if "sslmode" in query:
        mode = query.pop("sslmode")
        mode = mode[-1] if isinstance(mode, tuple) else mode
        if mode not in _SSL_MODES:
            raise DatabaseUrlError(
                f"{name} has sslmode={mode}, which is not one of {', '.join(_SSL_MODES)}"
            )
        if "ssl" in query:
            raise DatabaseUrlError(f"{name} has both sslmode and ssl; keep one of them")
        query["ssl"] = mode
    unknown = sorted(set(query) - set(_KEPT))
    if unknown:
        raise DatabaseUrlError(
            f"{name} has the query parameter {', '.join(unknown)}, which asyncpg does not take;"
            f" remove it (taken: sslmode, {', '.join(_KEPT)})"
        )
    return url.set(query=query)
