"""The one rule for a DM and the one rule for an event's id."""

from __future__ import annotations

from bot.slack.channels import is_direct_message, is_user
from bot.slack.events import MAX_EVENT_ID, event_id_of


def test_users_and_dm_channels_are_direct_messages() -> None:
    assert [is_direct_message(c) for c in ("U012", "W012", "D012", "C012", "G012", "")] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    assert [is_user(c) for c in ("U012", "W012", "D012", "C012")] == [True, True, False, False]


def test_slacks_event_id_is_kept() -> None:
    assert event_id_of({"event_id": "Ev123", "event": {"type": "message"}}) == "Ev123"


def test_a_body_without_an_event_id_gets_a_stable_digest() -> None:
    body = {"team_id": "T1", "event": {"type": "member_joined_channel", "channel": "C1"}}
    same = {"event": {"channel": "C1", "type": "member_joined_channel"}, "team_id": "T1"}
    other = {"team_id": "T1", "event": {"type": "member_joined_channel", "channel": "C2"}}
    key = event_id_of(body)
    assert key.startswith("sha256:") and len(key) == MAX_EVENT_ID
    assert event_id_of(same) == key
    assert event_id_of(other) != key
    assert event_id_of({**body, "event_id": ""}) != ""
    assert len(event_id_of({**body, "event_id": "E" * 65})) == MAX_EVENT_ID
