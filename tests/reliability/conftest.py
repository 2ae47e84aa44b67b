"""Reliability fixtures: the end-to-end sandbox (wall and spec checked) and its clock."""

from tests.e2e.conftest import clock, sandbox

__all__ = ["clock", "sandbox"]
