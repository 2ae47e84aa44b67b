"""Running end-to-end tests over both of Slack's transports (HTTP and Socket Mode)."""

import pytest

from bot.sandbox.sandbox import TRANSPORTS

# `pytestmark = BOTH_TRANSPORTS` runs every test of a module over HTTP and over Socket Mode
# (the `transport` fixture of tests/e2e/conftest.py takes the parameter).
BOTH_TRANSPORTS = pytest.mark.parametrize("transport", TRANSPORTS, indirect=True)
