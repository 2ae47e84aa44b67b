"""message_link: Slack's message addresses, for roots and replies."""

from __future__ import annotations

import pytest

from bot.slack.links import message_link


@pytest.mark.parametrize(
    ("url", "ts", "thread_ts", "expected"),
    [
        (
            "https://acme.slack.com/",
            "1700000000.000100",
            None,
            "https://acme.slack.com/archives/C1/p1700000000000100",
        ),
        (
            "https://acme.slack.com",
            "1700000000.000100",
            None,
            "https://acme.slack.com/archives/C1/p1700000000000100",
        ),
        (
            "https://acme.slack.com/",
            "1700000000.000100",
            "1700000000.000100",
            "https://acme.slack.com/archives/C1/p1700000000000100",
        ),
        (
            "https://acme.slack.com/",
            "1700000001.000200",
            "1700000000.000100",
            "https://acme.slack.com/archives/C1/p1700000001000200"
            "?thread_ts=1700000000.000100&cid=C1",
        ),
    ],
)
def test_message_link(url: str, ts: str, thread_ts: str | None, expected: str) -> None:
    assert message_link(url, "C1", ts, thread_ts) == expected
