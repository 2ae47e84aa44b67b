"""Who may do what, errors told briefly with a reference, secrets never logged, workspaces apart."""

from __future__ import annotations

import json
import logging
import re

from bot.emulator import Faults
from bot.sandbox.sandbox import BOT_TOKEN, SIGNING_SECRET, Sandbox
from tests.support import world as w
from tests.support.actions import card_of, desk, open_ticket

REFERENCE = re.compile(r"Something went wrong on our side \(reference ([0-9a-f]{12})\)")


def ephemerals(box: Sandbox, user: str) -> list[str]:
    return [s.raw_text for s in box.emu.seen_by(user) if s.kind == "ephemeral"]


async def test_a_failing_command_gets_a_reference_and_the_log_the_detail(sandbox, caplog):
    async def broken(*_args, **_kwargs):
        raise RuntimeError("database exploded: SELECT * FROM tickets")

    sandbox.desk.services.desk.run = broken
    with caplog.at_level(logging.ERROR, logger="connectdesk.errors"):
        reply = await desk(sandbox, w.ALICE, "queue")
    reference = REFERENCE.search(reply).group(1)
    assert "exploded" not in reply and "Traceback" not in reply
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info and "database exploded" in caplog.text


async def test_a_failing_button_gets_a_reference_too(sandbox, caplog):
    await open_ticket(sandbox)

    async def broken(*_args, **_kwargs):
        raise KeyError("ticket_id")

    sandbox.desk.services.desk.press = broken
    card = card_of(sandbox, 1)
    await sandbox.emu.click_button(w.ALICE, w.GLOBEX_INTERNAL, card.ts, "ticket_claim", "1")
    [reply] = await sandbox.emu.wait_for(lambda: ephemerals(sandbox, w.ALICE))
    assert REFERENCE.search(reply).group(1) in caplog.text


async def test_customers_are_refused_every_button_and_the_form(sandbox: Sandbox):
    await open_ticket(sandbox)
    card = card_of(sandbox, 1)
    for action in ("ticket_claim", "ticket_resolve", "ticket_escalate"):
        await sandbox.emu.click_button(w.CAROL, w.GLOBEX_INTERNAL, card.ts, action, "1")
    await sandbox.emu.wait_for(lambda: len(ephemerals(sandbox, w.CAROL)) >= 3)
    assert all("only for the support team" in text for text in ephemerals(sandbox, w.CAROL))
    # A forged submission of the incident form by a customer declares nothing.
    await desk(sandbox, w.ALICE, "incident declare sev1")
    [view] = sandbox.emu.views_opened(w.ALICE)
    sandbox.emu.api.opened[w.CAROL] = [view]
    submitted = await sandbox.emu.submit_view(
        w.CAROL,
        view["id"],
        {"title": {"value": {"value": "All down"}}, "accounts": {"value": {"value": "all"}}},
    )
    answer = json.loads(submitted.response_body)
    assert answer["response_action"] == "errors" and "support team" in answer["errors"]["title"]
    async with sandbox.desk.db.unit_of_work() as uow:
        ticket = await uow.tickets.by_number(w.VENDOR, 1)
        assert ticket.owner_user_id is None and ticket.status == "open"
        assert await uow.incidents.by_id(1) is None
    assert not [m for m in sandbox.emu.shared_channel_messages() if "aware of an issue" in m.text]
    escalations = [m for m in sandbox.emu.messages(w.ESCALATION) if m.user == w.BOT]
    assert not escalations


async def test_a_shortcut_or_unknown_interaction_is_acknowledged_and_does_nothing(sandbox):
    payload = {"type": "shortcut", "callback_id": "anything", "user": {"id": w.CAROL}}
    body = f"payload={json.dumps(payload)}".encode()
    delivery = await sandbox.emu.deliver_raw(
        body, sandbox.emu.sign(body), content_type="application/x-www-form-urlencoded"
    )
    assert delivery.status == 200 and not ephemerals(sandbox, w.CAROL)


async def test_a_button_for_a_ticket_of_another_workspace_touches_nothing(sandbox: Sandbox):
    await open_ticket(sandbox)
    async with sandbox.desk.db.unit_of_work() as uow:
        ticket = await uow.tickets.by_number(w.VENDOR, 1)
        ticket.team_id = "T0OTHERWS"  # as if ticket 1 belonged to another installation
    card = card_of(sandbox, 1)
    await sandbox.emu.click_button(w.ALICE, w.GLOBEX_INTERNAL, card.ts, "ticket_resolve", "1")
    [reply] = await sandbox.emu.wait_for(lambda: ephemerals(sandbox, w.ALICE))
    assert "There is no ticket" in reply
    async with sandbox.desk.db.unit_of_work() as uow:
        assert (await uow.tickets.by_id(ticket.id)).status == "open"


async def test_an_event_for_another_installation_never_reaches_our_accounts(sandbox: Sandbox):
    # The same channel id, but delivered for another installation (authorizations[0]).
    event = {
        "type": "message",
        "channel": w.GLOBEX_SHARED,
        "user": w.CAROL,
        "user_team": w.GLOBEX_ORG,
        "text": "Our API is down",
        "ts": sandbox.emu.ws.next_ts(),
    }
    envelope = {
        "type": "event_callback",
        "team_id": w.GLOBEX_ORG,
        "event_id": "EvOTHER1",
        "event_time": 1,
        "authorizations": [{"team_id": "T0OTHERWS", "user_id": "U0OTHERBOT", "is_bot": True}],
        "event": event,
    }
    body = json.dumps(envelope).encode()
    assert (await sandbox.emu.deliver_raw(body, sandbox.emu.sign(body))).status == 200
    await open_ticket(sandbox, "and a real one for us")
    async with sandbox.desk.db.unit_of_work() as uow:
        assert await uow.tickets.count_open("T0OTHERWS") == 0
        assert await uow.tickets.count_open(w.VENDOR) == 1


async def test_tokens_and_secrets_never_reach_the_logs(caplog, database_url: str):
    from tests.support.sandboxes import checked_sandbox

    faults = Faults(rate_limited=0.05, server_error=0.1, event_unacked=0.2, seed=3)
    with caplog.at_level(logging.DEBUG):
        async with checked_sandbox(w.desk_config(), None, database_url) as box:
            box.emu.faults = faults
            box.emu.deliverer.faults = faults
            await open_ticket(box)
            await desk(box, w.ALICE, "claim 1")
            await desk(box, w.CAROL, "resolve 1", channel=w.GLOBEX_SHARED)
            body = b'{"type": "event_callback", "event": null}'
            await box.emu.deliver_raw(body, {"X-Slack-Signature": "v0=bad"})
            await box.settled()
    text = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert len(caplog.records) > 50  # the debug logs of the SDK and Bolt were captured
    assert faults.injected > 0
    assert BOT_TOKEN not in text and SIGNING_SECRET not in text
    assert "xoxb-" not in text


async def test_every_entry_checks_signature_and_age(sandbox: Sandbox):
    import time
    from urllib.parse import urlencode

    form = "application/x-www-form-urlencoded"
    bodies = [
        (json.dumps({"type": "event_callback", "event": {"type": "message"}}).encode(), None),
        (urlencode({"command": "/desk", "text": "resolve 1", "user_id": w.ALICE}).encode(), form),
        (urlencode({"payload": json.dumps({"type": "block_actions"})}).encode(), form),
    ]
    for body, content_type in bodies:
        kind = {"content_type": content_type} if content_type else {}
        forged = {**sandbox.emu.sign(body), "X-Slack-Signature": "v0=" + "1" * 64}
        replayed = sandbox.emu.sign(body, timestamp=int(time.time()) - 6 * 60)
        for headers in (forged, replayed, {}):
            delivery = await sandbox.emu.deliver_raw(body, headers, **kind)
            assert delivery.status == 401, (body, headers, delivery.status)
    assert not ephemerals(sandbox, w.ALICE)
