"""Where Slack's specs are: the copy in tests/specs (kept equal to ../shared/slack-specs)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "tests" / "specs" / "slack-specs"
SHARED_SPECS = REPO.parent / "shared" / "slack-specs"
