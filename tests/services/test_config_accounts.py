"""desk.yml's accounts at start: stored in bulk, changed where the file changed, left alone
where it did not (a restart re-links nothing)."""

from __future__ import annotations

from datetime import timedelta

from bot.services.accounts import AccountService
from store.models import LinkedChannel
from tests.support import world
from tests.support.service_desk import ServiceDesk

UMBRELLA = (
    "  - name: Umbrella\n"
    "    tier: strategic\n"
    "    shared_channels: [C0UMBRELLA]\n"
    f"    internal_channel: {world.RANDOM_INTERNAL}\n"
    f"    owners: [{world.BOB}]\n"
)
CHANGED = (
    world.DESK_YML.replace(
        f"    shared_channels: [{world.INITECH_SHARED}]",
        f"    shared_channels: [{world.INITECH_SHARED}, {world.NEW_SHARED}]",
    )
    .replace("    tier: strategic\n", "    tier: standard\n", 1)
    .replace("triage:\n", UMBRELLA + "triage:\n", 1)
)


def _loader(desk: ServiceDesk, yml: str) -> AccountService:
    accounts = desk.services.accounts
    return AccountService(
        accounts.db, world.desk_config(yml), accounts.clock, accounts.gateways, accounts.outbox
    )


async def _links(desk: ServiceDesk) -> dict[str, tuple[str, object]]:
    async with desk.services.db.reading() as uow:
        links = await uow.accounts.channels(
            desk.team, [world.GLOBEX_SHARED, world.INITECH_SHARED, world.NEW_SHARED, "C0UMBRELLA"]
        )
    return {c: (link.account.name, link.linked_at) for c, link in links.items()}


async def test_a_changed_file_adds_accounts_and_links_and_changes_tiers(desk: ServiceDesk) -> None:
    before = await _links(desk)
    assert set(before) == {world.GLOBEX_SHARED, world.INITECH_SHARED}
    await desk.advance(timedelta(hours=1))

    assert await _loader(desk, CHANGED).load_config_accounts(desk.team) == 3

    after = await _links(desk)
    assert {c: name for c, (name, _at) in after.items()} == {
        world.GLOBEX_SHARED: "Globex",
        world.INITECH_SHARED: "Initech",
        world.NEW_SHARED: "Initech",
        "C0UMBRELLA": "Umbrella",
    }
    # Links the file did not change keep the time they were made.
    assert after[world.GLOBEX_SHARED][1] == before[world.GLOBEX_SHARED][1]
    assert after[world.NEW_SHARED][1] == before[world.GLOBEX_SHARED][1] + timedelta(hours=1)
    async with desk.services.db.reading() as uow:
        globex = await uow.accounts.by_name(desk.team, "globex")
        umbrella = await uow.accounts.by_name(desk.team, "UMBRELLA")
    assert globex is not None and globex.tier == "standard"
    assert umbrella is not None and umbrella.owners == [world.BOB] and umbrella.source == "config"
    # A request in the newly listed channel is tracked for its account.
    result, _post = await desk.customer_posts(
        "Our exports fail since this morning", channel=world.NEW_SHARED
    )
    assert result.outcome == "opened"


async def test_loading_the_same_file_again_changes_nothing(desk: ServiceDesk) -> None:
    before = await _links(desk)
    await desk.advance(timedelta(hours=1))

    assert await _loader(desk, world.DESK_YML).load_config_accounts(desk.team) == 2

    assert await _links(desk) == before
    async with desk.services.db.reading() as uow:
        assert len(await uow.accounts.all(desk.team)) == 2
        assert await uow.session.get(LinkedChannel, (desk.team, world.NEW_SHARED)) is None
