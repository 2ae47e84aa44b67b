"""Accounts: loaded from desk.yml, linked with `/desk link`, and hints for unlinked channels."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.config.desk import AccountSpec, DeskConfig
from bot.domain.clock import Clock
from bot.domain.reports import zone
from bot.domain.risk import HEALTH_WINDOW_DAYS
from bot.installs.gateways import Gateways
from bot.messages.account_record import (
    SHOWN_TICKETS,
    AccountRecord,
    IncidentLine,
    OpenTicketLine,
    account_record,
)
from bot.messages.base import InternalMessage
from bot.messages.internal import AccountSummary, account_card, link_hint, notice
from bot.messages.markup import channel, md
from bot.outbox.kinds import OutboxKind
from bot.outbox.outbox import Outbox
from bot.services.console import Console
from bot.services.inputs import ChannelJoined
from store.db import Database
from store.models import Account

log = logging.getLogger("connectdesk.accounts")


class AccountService:
    """Keeps accounts and channel links in the database and answers questions about them."""

    def __init__(
        self,
        db: Database,
        config: DeskConfig,
        clock: Clock,
        gateways: Gateways,
        outbox: Outbox,
        *,
        one_workspace: bool = True,
        console: Console | None = None,
    ) -> None:
        """`one_workspace`: installed with one bot token, so accounts of desk.yml that name no
        workspace are this one's (with OAuth each account names its workspace)."""
        self.db = db
        self.config = config
        self.clock = clock
        self.gateways = gateways
        self.outbox = outbox
        self.one_workspace = one_workspace
        self.console = console

    async def load_config_accounts(self, team_id: str) -> int:
        """Upsert an install's accounts of desk.yml (the file wins for what it names); how many.

        The shared channels of every account it has are marked as such in its gateway.
        """
        now = self.clock.now()
        specs = self.config.accounts_for(team_id, one_workspace=self.one_workspace)
        async with self.db.unit_of_work() as uow:
            await uow.accounts.lock_workspace(team_id)  # replicas starting together
            # Whole-workspace reads and bulk statements: a query per account made a desk of
            # 5,000 accounts take 20 s to start (bench.startup).
            known = {a.name_key: a for a in await uow.accounts.all(team_id)}
            ids: dict[str, int] = {}
            fresh: list[dict[str, object]] = []
            for spec in specs:
                key = spec.name.casefold()
                account = known.get(key)
                if account is not None:
                    _apply_spec(account, spec)
                    ids[key] = account.id
                elif key not in ids:
                    fresh.append({"team_id": team_id, "created_at": now, **_spec_fields(spec)})
            ids.update(await uow.accounts.insert_many(fresh))
            links = [(c, ids[s.name.casefold()]) for s in specs for c in s.shared_channels]
            await uow.accounts.link_many(team_id, links, now)
            shared = await uow.accounts.shared_channel_ids(team_id)
        (await self.gateways.at(team_id)).channels.mark_shared(shared)
        return len(specs)

    async def link(
        self,
        team_id: str,
        actor: str,
        channel_id: str,
        name: str,
        tier: str | None,
        invoked_in: str | None,
    ) -> InternalMessage:
        """Link a shared channel to an account, creating the account when it is new."""
        if tier is not None and tier not in self.config.tiers:
            return notice(
                f":warning: There is no tier '{tier}'. Tiers: {', '.join(self.config.tiers)}."
            )
        gateway = await self.gateways.at(team_id)
        if await gateway.conversation(channel_id) is None:
            return notice(
                md(
                    ":warning: I can't see {}. Add me to it first"
                    " (`/invite @connectdesk` in that channel), then link it.",
                    channel(channel_id),
                )
            )
        if not await gateway.channels.is_shared(channel_id):
            return notice(
                md(
                    ":warning: {} is not shared with another organisation, so there are"
                    " no customers to track there. Share it via Slack Connect first.",
                    channel(channel_id),
                )
            )
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            await uow.accounts.lock_workspace(team_id)
            existing = await uow.accounts.channel(team_id, channel_id)
            account = await uow.accounts.by_name(team_id, name)
            created = account is None
            if account is None:
                internal = invoked_in
                if not internal or await gateway.channels.is_shared(internal):
                    internal = self.config.team_for(team_id).escalation_channel
                account = await uow.accounts.add(
                    Account(
                        team_id=team_id,
                        name=name,
                        tier=tier or self.config.default_tier,
                        internal_channel_id=internal,
                        owners=[actor],
                        receipts=True,
                        source="slack",
                        created_at=now,
                    )
                )
            elif tier is not None and tier != account.tier:
                account.tier = tier
            await uow.accounts.link(team_id, channel_id, account, now)
            await uow.audit.record(
                team_id,
                actor,
                "channel_linked",
                now,
                None,
                channel=channel_id,
                account=account.name,
                tier=account.tier,
                created=created,
                previous=existing.account.name if existing else None,
            )
            summary = md("*{}* (tier {})", account.name, account.tier)
            internal_channel = account.internal_channel_id
        gateway.channels.mark_shared([channel_id])
        verb = "Created" if created else "Updated"
        return notice(
            md(
                ":link: {} {}: {} is now tracked. Triage cards go to {}.",
                verb,
                summary,
                channel(channel_id),
                channel(internal_channel),
            )
        )

    async def describe(
        self, team_id: str, name: str | None, channel_id: str | None
    ) -> InternalMessage:
        """The `/desk account` answer."""
        async with self.db.unit_of_work() as uow:
            if channel_id:
                link = await uow.accounts.channel(team_id, channel_id)
                account = link.account if link else None
                missing = md("{} is not linked to an account.", channel(channel_id))
            else:
                account = await uow.accounts.by_name(team_id, name or "")
                missing = md("There is no account named '{}'.", name)
            if account is None:
                names = ", ".join(a.name for a in await uow.accounts.all(team_id)) or "none yet"
                return notice(md(":warning: {} Accounts: {}.", missing, names))
            await uow.session.refresh(account, ["channels"])
            open_count = await uow.tickets.count_open(team_id, account.id)
            summary = AccountSummary(
                name=account.name,
                tier=account.tier,
                channels=[c.channel_id for c in account.channels],
                internal_channel=account.internal_channel_id,
                owners=account.owners or [],
                open_tickets=open_count,
                renewal_date=account.renewal_date,
                arr=account.arr,
                receipts=account.receipts,
            )
            if self.console is None:
                return account_card(summary)
            now = self.clock.now()
            since = now - timedelta(days=HEALTH_WINDOW_DAYS)
            opened = await uow.tickets.open_tickets(
                team_id, account_id=account.id, limit=SHOWN_TICKETS
            )
            lines = [
                OpenTicketLine(t.number, t.priority, t.summary, t.owner_user_id) for t in opened
            ]
            touched = await uow.incidents.touching_account(account.id, since)
            tz = zone(self.config.team_for(team_id).timezone)  # the day as the team names it
            incidents = [
                IncidentLine(i.severity, i.title, i.status, i.declared_at.astimezone(tz).date())
                for i in touched
            ]
            account_id = account.id
        [standing] = await self.console.standings(team_id, now, account_id=account_id)
        return account_record(
            summary, AccountRecord(lines, standing.health, standing.risk, incidents)
        )

    async def on_channel_joined(self, event: ChannelJoined) -> bool:
        """Hint the team to link a shared channel the bot was added to; True if hinted."""
        gateway = await self.gateways.find(event.team_id)
        if gateway is None:
            return False  # an install we do not have
        identity = await gateway.identity()
        if event.user_id and event.user_id != identity.bot_user_id:
            return False
        gateway.channels.forget(event.channel_id)
        async with self.db.reading() as uow:
            if await uow.accounts.channel(event.team_id, event.channel_id):
                return False
        shared = event.is_ext_shared
        if shared is None or not shared:
            shared = await gateway.channels.is_shared(event.channel_id)
        if not shared:
            return False
        escalation = self.config.team_for(event.team_id).escalation_channel
        hint = link_hint(event.channel_id, list(self.config.tiers))
        # The event is claimed and the hint queued in one transaction: a crash after the commit
        # leaves the hint to the outbox, a crash before it leaves the event to be handled again.
        async with self.db.unit_of_work() as uow:
            if not await uow.events.claim(event.event_id, self.clock.now()):
                return False
            if await uow.accounts.channel(event.team_id, event.channel_id):
                return False  # linked meanwhile
            row = await self.outbox.record(
                uow,
                f"hint:{event.channel_id}:{event.event_id}",
                OutboxKind.LINK_HINT,
                event.team_id,
                payload={"channel": escalation, **hint.payload()},
            )
        await self.outbox.run([row])
        return True


def _spec_fields(spec: AccountSpec) -> dict[str, object]:
    """An account's columns as desk.yml sets them."""
    return {
        "name": spec.name,
        "tier": spec.tier,
        "internal_channel_id": spec.internal_channel,
        "owners": list(spec.owners),
        "renewal_date": spec.renewal_date,
        "arr": spec.arr,
        "receipts": spec.receipts,
        "calendar": spec.calendar,
        "source": "config",
    }


def _apply_spec(account: Account, spec: AccountSpec) -> None:
    for column, value in _spec_fields(spec).items():
        if column != "source":
            setattr(account, column, value)
    account.name_key = spec.name.casefold()
