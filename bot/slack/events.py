"""Which Events API delivery a body is: the one rule for its event id."""

from __future__ import annotations

import hashlib
import json
from typing import Any

MAX_EVENT_ID = 64  # the inbox's and processed_events' column width
_DIGEST = "sha256:"


def event_id_of(body: dict[str, Any]) -> str:
    """Slack's `event_id`, or (for a body without one) a digest of the body.

    The inbox stores a delivery under it and the services count the event once by it, so both
    must read the same id from the same body: the digest is of the body in canonical JSON.
    """
    event_id = body.get("event_id")
    if isinstance(event_id, str) and 0 < len(event_id) <= MAX_EVENT_ID:
        return event_id
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return _DIGEST + hashlib.sha256(canonical.encode()).hexdigest()[: MAX_EVENT_ID - len(_DIGEST)]
