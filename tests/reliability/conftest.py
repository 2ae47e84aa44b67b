"""Reliability fixtures: the end-to-end sandbox (wall and spec checked), its clock and transport."""

from tests.support.sandboxes import clock, sandbox, transport

__all__ = ["clock", "sandbox", "transport"]
