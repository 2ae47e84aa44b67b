"""One pooled HTTP session for the Web API client that Bolt's lazy listeners can carry along."""

from __future__ import annotations

import warnings
from typing import Any

import aiohttp

with warnings.catch_warnings():
    # aiohttp discourages subclassing in general; this one adds only the copy rule below.
    warnings.simplefilter("ignore", DeprecationWarning)

    class SharedSession(aiohttp.ClientSession):
        """A ClientSession whose deep copy is itself.

        Bolt deep-copies each request (its client included) for lazy listeners; a session
        holds futures and cannot be copied, and sharing the one pool is the point anyway.
        """

        def __deepcopy__(self, memo: dict[int, Any]) -> SharedSession:
            return self
