"""Errors in listeners: a short message with a correlation id to the user, details to logs."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

log = logging.getLogger("connectdesk.errors")


def user_message(correlation: str) -> str:
    """What the user sees when something failed on our side (never a stack trace)."""
    return f":warning: Something went wrong on our side (reference {correlation})."


async def _report(error: BaseException, respond: Any) -> str:
    correlation = uuid.uuid4().hex[:12]
    log.error("unhandled error [%s]: %r", correlation, error, exc_info=error)
    if respond is not None:
        try:
            await respond(
                response_type="ephemeral", replace_original=False, text=user_message(correlation)
            )
        except Exception:  # the error reply itself must never raise
            log.exception("could not tell the user about error %s", correlation)
    return correlation


def register_error_handler(app: AsyncApp) -> None:
    """Log every unhandled listener error with a correlation id and tell the user briefly."""

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], respond: Any = None) -> None:
        has_url = isinstance(body, dict) and bool(body.get("response_url"))
        await _report(error, respond if has_url else None)


def reported(fn: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Wrap a lazy listener (Bolt only logs their errors) so the user hears of a failure too."""

    @functools.wraps(fn)
    async def run(**kwargs: Any) -> None:
        try:
            await fn(**kwargs)
        except Exception as exc:
            await _report(exc, kwargs.get("respond"))

    return run
