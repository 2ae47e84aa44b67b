"""The type checker passes: mypy, as configured in pyproject.toml ([tool.mypy])."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.static
def test_mypy_finds_no_type_errors() -> None:
    """mypy checks bot/, handlers/, store/ and schedules/ and reports nothing."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Success: no issues found" in output, output
