"""Log output of a connectdesk process: readable text, or one JSON object per line.

Context rides on each record through `extra=` at the call site (`event_id`, `ticket`,
`workspace`), so a line carries what its caller knew and nothing is kept between calls.
"""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

LOG_FORMATS = ("text", "json")
LOG_FORMAT_ENV = "CONNECTDESK_LOG_FORMAT"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
