"""Log output of a connectdesk process: readable text, or one JSON object per line.

Context rides on each record through `extra=` at the call site (`event_id`, `ticket`,
`workspace`), so a line carries what its caller knew and nothing is kept between calls.
"""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

LOG_FORMATS = ("text", "json")
LOG_FORMAT_ENV = "CONNECTDESK_LOG_FORMAT"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Lines the operator sees whatever the level ("connectdesk ready: ..."), in the chosen format.
READY_LOGGER = "connectdesk.ready"


def json_formatter() -> logging.Formatter:
    """time (ISO 8601, UTC), level, logger, message, then any `extra=` fields of the call."""
    return JsonFormatter(
        ["levelname", "name", "message"],
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


def configure_logging(level: str, log_format: str = "text") -> None:
    """Send this process's log to stderr at `level`, as text or JSON lines."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    handler = logging.StreamHandler()
    handler.setFormatter(
        json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    logging.basicConfig(level=level.upper(), handlers=[handler])
    logging.getLogger(READY_LOGGER).setLevel(logging.INFO)
    bolt = logging.getLogger("connectdesk.bolt")
    if not any(isinstance(f, _DropBoltTokenNotice) for f in bolt.filters):
        bolt.addFilter(_DropBoltTokenNotice())


def announce(line: str) -> None:
    """One line for the operator whatever the log level (the process is up), as text or JSON."""
    logging.getLogger(READY_LOGGER).info(line)


class _DropBoltTokenNotice(logging.Filter):
    """Bolt warns that our client wins over SLACK_BOT_TOKEN in the environment: by design."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()
