"""Hostile input over HTTP, generated: events, commands and interactivity payloads with fields
missing, of the wrong type, huge, unicode or injection-shaped. Never a 500, never a trace."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.sandbox.sandbox import Sandbox
from tests.support import world as w
from tests.support.actions import open_ticket

HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "'; DROP TABLE tickets; --",
            "<!channel> <@U0MIA> <#C0GLOBEX>",
            "{{7*7}} ${jndi:ldap://x}",
            "\u202e\u0000\ud7ff" * 10,
            "claim 1" + "\n" * 50,
            "x" * 20_000,
            "incident declare sev1 " + "💥" * 300,
        ]
    ),
)
USERS = st.sampled_from([w.ALICE, w.CAROL, "U0NOBODY", "", None])
CHANNELS = st.sampled_from([w.GLOBEX_SHARED, w.GLOBEX_INTERNAL, "C0NOPE", "", None])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), HOSTILE_TEXT
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)
RELAXED = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's value, a wrong-typed one, or the field left out (None)."""
    return st.one_of(value, JUNK)


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    event = {
        "type": draw(st.sampled_from(["message", "member_joined_channel", "channel_shared"])),
        "channel": draw(maybe(CHANNELS)),
        "user": draw(maybe(USERS)),
        "text": draw(maybe(HOSTILE_TEXT)),
        "ts": draw(maybe(st.sampled_from(["1700000000.000100", "", "nan", "-1"]))),
        "thread_ts": draw(maybe(st.sampled_from([None, "1700000000.000100", "x"]))),
        "subtype": draw(maybe(st.sampled_from([None, "bot_message", "message_changed"]))),
        "user_team": draw(maybe(st.sampled_from([w.GLOBEX_ORG, w.VENDOR, None]))),
    }
    envelope = {
        "type": "event_callback",
        "team_id": draw(maybe(st.just(w.VENDOR))),
        "event_id": draw(maybe(st.text(min_size=1, max_size=30))),
        "event_time": draw(maybe(st.integers())),
        "authorizations": draw(
            maybe(st.just([{"team_id": w.VENDOR, "user_id": w.BOT, "is_bot": True}]))
        ),
        "event": draw(st.one_of(st.just(event), JUNK)),
    }
    drop = draw(st.sets(st.sampled_from(sorted(envelope)), max_size=3))
    return {k: v for k, v in envelope.items() if k not in drop}


@st.composite
def command_forms(draw: st.DrawFn, box_url: str) -> dict[str, str]:
    form = {
        "command": "/desk",
        "text": draw(HOSTILE_TEXT),
        "user_id": draw(USERS) or "",
        "team_id": draw(st.sampled_from([w.VENDOR, w.GLOBEX_ORG, "", "T0EVIL"])),
        "channel_id": draw(CHANNELS) or "",
        "trigger_id": draw(st.text(max_size=20)),
        "response_url": box_url,
    }
    drop = draw(st.sets(st.sampled_from(["text", "user_id", "team_id", "channel_id"]), max_size=2))
    return {k: v for k, v in form.items() if k not in drop}


@st.composite
def interactions(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["block_actions", "view_submission", "shortcut", "x"]))
    payload: dict[str, Any] = {
        "type": kind,
        "user": draw(maybe(st.fixed_dictionaries({"id": USERS, "team_id": st.just(w.VENDOR)}))),
        "team": draw(maybe(st.just({"id": w.VENDOR}))),
        "actions": draw(
            maybe(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "action_id": st.sampled_from(
                                ["ticket_claim", "ticket_resolve", "ticket_escalate", "nope"]
                            ),
                            "value": maybe(st.sampled_from(["1", "-1", "abc", "9" * 30])),
                        }
                    ),
                    max_size=2,
                )
            )
        ),
        "view": draw(
            maybe(
                st.fixed_dictionaries(
                    {
                        "callback_id": st.sampled_from(["incident_declare", "other"]),
                        "private_metadata": maybe(HOSTILE_TEXT),
                        "state": maybe(st.just({"values": {}})),
                    }
                )
            )
        ),
        "callback_id": draw(maybe(st.just("whatever"))),
    }
    return payload


def _no_trace(box: Sandbox, body: str) -> None:
    for text in [body, *(s.text for u in (w.ALICE, w.CAROL) for s in box.emu.seen_by(u))]:
        assert "Traceback" not in text and 'File "' not in text, text[:300]


@RELAXED
@given(envelope=envelopes())
async def test_generated_events_are_never_a_500(sandbox: Sandbox, envelope: dict[str, Any]):
    body = json.dumps(envelope).encode()
    delivery = await sandbox.emu.deliver_raw(body, sandbox.emu.sign(body))
    assert delivery.status in (200, 400), (delivery.status, delivery.response_body)
    _no_trace(sandbox, delivery.response_body)


@RELAXED
@given(data=st.data())
async def test_generated_commands_get_an_answer_never_a_500(sandbox: Sandbox, data: st.DataObject):
    form = data.draw(command_forms(sandbox.emu.responses.issue(w.ALICE, w.GLOBEX_INTERNAL, None)))
    body = urlencode(form).encode()
    delivery = await sandbox.emu.deliver_raw(
        body, sandbox.emu.sign(body), content_type="application/x-www-form-urlencoded"
    )
    assert delivery.status in (200, 400), (delivery.status, delivery.response_body)
    _no_trace(sandbox, delivery.response_body)


@RELAXED
@given(payload=interactions())
# Found by this test: Bolt's matcher indexed action_id without looking first.
@example(
    payload={
        "type": "block_actions",
        "user": {"id": w.ALICE, "team_id": w.VENDOR},
        "team": {"id": w.VENDOR},
        "actions": [{}],
        "callback_id": "whatever",
    }
)
async def test_generated_interactions_are_never_a_500(sandbox: Sandbox, payload: dict[str, Any]):
    body = urlencode({"payload": json.dumps(payload)}).encode()
    delivery = await sandbox.emu.deliver_raw(
        body, sandbox.emu.sign(body), content_type="application/x-www-form-urlencoded"
    )
    assert delivery.status in (200, 400), (delivery.status, delivery.response_body)
    _no_trace(sandbox, delivery.response_body)


async def test_after_the_fuzz_the_bot_still_works(sandbox: Sandbox):
    body = json.dumps({"type": "event_callback", "event": {"type": "message", "text": []}})
    delivery = await sandbox.emu.deliver_raw(body.encode(), sandbox.emu.sign(body.encode()))
    assert delivery.status == 200
    await open_ticket(sandbox, "Are you still there after that garbage? our export is still stuck")
