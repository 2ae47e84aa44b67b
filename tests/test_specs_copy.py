"""The vendored Slack specs are the shared ones, byte for byte."""

from __future__ import annotations

import pytest

from tests.support.specs import SHARED_SPECS, SPECS


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_copy_matches_shared_specs() -> None:
    if not SHARED_SPECS.is_dir():
        pytest.skip(f"{SHARED_SPECS} is not here; the copy in tests/specs is used as is")
    assert _files(SPECS) == _files(SHARED_SPECS)


def test_copy_has_the_three_specs() -> None:
    names = {p.name for p in SPECS.rglob("*.json")}
    assert {
        "slack_web_openapi_v2_without_examples.json",
        "slack_events_api_async_v1.json",
        "manifest.schema.1.0.0.json",
    } <= names
