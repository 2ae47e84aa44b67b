"""The global error handler: a short message with a correlation id to the user, details to logs."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt.async_app import AsyncApp

log = logging.getLogger("connectdesk.errors")


def register_error_handler(app: AsyncApp) -> None:
    """Log every unhandled listener error with a correlation id and tell the user briefly."""

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], respond: Any = None) -> None:
        correlation = uuid.uuid4().hex[:12]
        log.error("unhandled error [%s]: %r", correlation, error, exc_info=error)
        if respond is not None and isinstance(body, dict) and body.get("response_url"):
            try:
                await respond(
                    response_type="ephemeral",
                    replace_original=False,
                    text=f":warning: Something went wrong on our side (reference {correlation}).",
                )
            except Exception:  # the error reply itself must never raise
                log.exception("could not tell the user about error %s", correlation)
