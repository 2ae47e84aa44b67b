"""End-to-end fixtures: the bot over real HTTP against the emulator, with the wall checked
(defined in tests/support/sandboxes.py)."""

from tests.support.sandboxes import clock, sandbox, transport

__all__ = ["clock", "sandbox", "transport"]
