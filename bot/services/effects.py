"""What each outbox row does: react, post the receipt or the triage card, send an alert, hint
that a shared channel wants linking, note on a linked ticket that its incident is resolved,
send someone a report with its chart, ask for a rating in a resolved ticket's thread, thank
for it, alert on a low one.

Each is safe to redo. A reaction that is already there counts as done. A post carries the
row's key in its message metadata; when an earlier try may have landed, the channel (or
thread) is looked up once for that key before posting again, so a redo never posts twice.
A file carries no metadata: a report's chart goes in the thread of the report's own post,
where a redo finds it by name.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from bot.domain.tickets import ResolutionKind, TicketStatus
from bot.installs.gateways import Gateways
from bot.installs.registry import NotInstalled
from bot.jobs.lanes import FREE, UNRANKED, Lane, Rank, rank_of
from bot.messages import customer_csat
from bot.messages.alerts import manual_escalation, sla_breach, sla_warning
from bot.messages.base import OutboundMessage, stored_message
from bot.messages.csat import LowScore, low_score_alert
from bot.messages.customer_incidents import linked_ticket_resolved
from bot.messages.drafts import draft_note
from bot.observability.metrics import Metrics
from bot.outbox.alert_payload import context_from_json
from bot.outbox.kinds import OutboxKind
from bot.services.home import HomePages
from bot.services.kb_effects import KB_KINDS, KbEffects
from bot.services.presenter import TicketPresenter, fingerprint, receipt_of
from bot.services.private_reports import ChartRef, PlaceholderCharts, ReportFiles
from bot.slack.channels import is_user
from bot.slack.gateway import SlackGateway, WallViolation
from bot.slack.transport import Delivered, FileUpload
from store.db import Database
from store.models import OutboxEntry, Ticket
from store.repositories import Repositories

log = logging.getLogger("connectdesk.outbox")

# Knowledge base rows that post in a channel (waiting their turn there).
KB_POSTS = (OutboxKind.KB_SUGGEST, OutboxKind.KB_ARTICLE, OutboxKind.KB_PING)

# How far before a row's creation an earlier try's post could be (clock skew with Slack).
LOOKBACK_SECONDS = 60.0


async def _none() -> None:
    return None


def _seconds_between(earlier_ts: str, later_ts: str) -> float | None:
    """Seconds between two Slack message timestamps ("1700000000.000100"); None if unreadable."""
    try:
        return float(later_ts) - float(earlier_ts)
    except ValueError:
        return None


class DeskEffects:
    """Performs outbox rows against Slack through the gateway of the row's install."""

    def __init__(
        self,
        db: Database,
        gateways: Gateways,
        presenter: TicketPresenter,
        metrics: Metrics,
        *,
        tiers: Sequence[str] = (),
        home: HomePages | None = None,
        reports: ReportFiles | None = None,
        kb: KbEffects | None = None,
    ) -> None:
        """`tiers`: the tier names, most demanding first (their posts go first); `home`
        renders App Homes; `reports` makes the charts of reports when they are sent (a plain
        placeholder by default); `kb` does the knowledge base's rows."""
        self.db = db
        self.kb = kb
        self.home = home
        self.tiers = tuple(tiers)
        self.reports: ReportFiles = reports or PlaceholderCharts()
        self.gateways = gateways
        self.presenter = presenter
        self.metrics = metrics
        # The ts of the customer's message under each receipt posted, until its row is settled.
        self._asked_at: dict[int, str] = {}
        # What each receipt or card showed when posted, until its row is settled.
        self._rendered: dict[int, tuple[object, ...]] = {}
        # What the ticket showed when that post's ts was stored (read in the same transaction).
        self._shown: dict[int, tuple[object, ...] | None] = {}

    def lane(self, entry: OutboxEntry, known: object | None = None) -> Lane:
        """Where the row waits its turn: the channel it posts to, ranked by tier and priority.

        Known without a read only for a first try (`known`) or from the payload; else no lane.
        """
        ticket = known if isinstance(known, Ticket) and known.id == entry.ticket_id else None
        if entry.kind in (OutboxKind.RECEIPT, OutboxKind.CARD):
            if ticket is None:
                return FREE
            channel = ticket.channel_id if entry.kind == OutboxKind.RECEIPT else None
            return Lane(channel or ticket.account.internal_channel_id, self._rank(ticket))
        if entry.kind in (OutboxKind.ALERT, OutboxKind.DM, OutboxKind.REPORT):
            context = entry.payload.get("context") or {}
            rank = rank_of(self.tiers, context.get("tier"), context.get("priority"))
            return Lane(str(entry.payload["target"]), rank if context else UNRANKED)
        if entry.kind == OutboxKind.HOME:
            # One person's publishes one after the other: an older page never lands last.
            return Lane(f"home:{entry.team_id}:{entry.payload.get('user')}", UNRANKED)
        if entry.kind == OutboxKind.CSAT_ALERT:
            return Lane(str(entry.payload["target"]), UNRANKED)
        if entry.kind in KB_POSTS:
            rank = self._rank(ticket) if ticket is not None else UNRANKED
            return Lane(str(entry.payload["channel"]), rank)
        if entry.kind == OutboxKind.CSAT_SURVEY:
            rank = self._rank(ticket) if ticket is not None else UNRANKED
            return Lane(str(entry.payload["channel"]), rank)
        if entry.kind == OutboxKind.DRAFT:
            # Paced with the card's channel, after its cards and alerts.
            return Lane(str(entry.payload.get("channel") or "") or None, UNRANKED)
        # Reactions and edits are not paced per channel: no lane, but the ticket's rank.
        return Lane(None, self._rank(ticket)) if ticket is not None else FREE

    def _rank(self, ticket: Ticket) -> Rank:
        return rank_of(self.tiers, ticket.account.tier, ticket.priority)

    async def perform(
        self, entry: OutboxEntry, uncertain: bool, known: object | None = None
    ) -> Delivered:
        """Do the row's effect; a repeat finds the earlier result instead of doubling it.

        `known`: the ticket as its recording transaction committed it (a first try), so a
        receipt or card is rendered without reading it back; `after_settled` catches changes.
        """
        gateway = await self.gateways.find(entry.team_id)
        if gateway is None:
            # Uninstalled (or its tokens revoked): nothing can be said there any more.
            return Delivered(error="the app is not installed there", permanent=True)
        try:
            return await self._perform(gateway, entry, uncertain, known)
        except NotInstalled:
            return Delivered(error="the app is not installed there", permanent=True)

    async def _perform(
        self, gateway: SlackGateway, entry: OutboxEntry, uncertain: bool, known: object | None
    ) -> Delivered:
        if entry.kind == OutboxKind.REACT:
            p = entry.payload
            return await gateway.react(p["channel"], p["ts"], p["name"])
        if entry.kind in (OutboxKind.RECEIPT, OutboxKind.CARD):
            ticket = known if isinstance(known, Ticket) and known.id == entry.ticket_id else None
            return await self._ticket_post(gateway, entry, uncertain, ticket)
        if entry.kind == OutboxKind.ALERT:
            return await self._alert(gateway, entry, uncertain)
        if entry.kind == OutboxKind.REFRESH:
            return await self._refresh(entry)
        if entry.kind == OutboxKind.DM:
            return await self._dm(gateway, entry, uncertain)
        if entry.kind == OutboxKind.LINK_HINT:
            p = entry.payload
            return await self._post_once(gateway, entry, uncertain, p["channel"], stored_message(p))
        if entry.kind == OutboxKind.INCIDENT_NOTE:
            return await self._incident_note(gateway, entry, uncertain)
        if entry.kind == OutboxKind.HOME:
            return await self._home(gateway, entry)
        if entry.kind == OutboxKind.CSAT_SURVEY:
            return await self._csat_survey(gateway, entry, uncertain)
        if entry.kind == OutboxKind.CSAT_THANKS:
            return await self._csat_thanks(gateway, entry)
        if entry.kind == OutboxKind.CSAT_ALERT:
            return await self._csat_alert(gateway, entry, uncertain)
        if entry.kind == OutboxKind.REPORT:
            return await self._private_report(gateway, entry, uncertain)
        if entry.kind in KB_KINDS and self.kb is not None:
            return await self.kb.perform(gateway, entry, uncertain, known, self._post_once)
        if entry.kind == OutboxKind.DRAFT:
            return await self._draft(gateway, entry, uncertain)
        return Delivered(error=f"unknown outbox kind {entry.kind}", permanent=True)

    async def _post_once(
        self,
        gateway: SlackGateway,
        entry: OutboxEntry,
        uncertain: bool,
        channel: str,
        message: OutboundMessage,
        thread_ts: str | None = None,
        rank: Rank = UNRANKED,
    ) -> Delivered:
        # An earlier try may have landed: the gateway looks for it once before posting again.
        landed_since = entry.created_at.timestamp() - LOOKBACK_SECONDS if uncertain else None
        try:
            return await gateway.deliver(
                channel,
                message,
                thread_ts=thread_ts,
                key={"outbox": entry.key},
                landed_since=landed_since,
                rank=rank,
            )
        except WallViolation as exc:
            return Delivered(error=str(exc)[:200], permanent=not exc.transient)

    async def record_results(
        self, uow: Repositories, done: list[tuple[OutboxEntry, Delivered]]
    ) -> None:
        """A receipt's or card's ts is kept on its ticket, so later changes edit that message.

        What the ticket shows is read back right after (its row is now locked, so no change
        can slip in between): `after_settled` compares it with what was posted.
        """
        posts = [
            (e, r, e.ticket_id, r.ts)
            for e, r in done
            if (e.kind == OutboxKind.RECEIPT or (e.kind == OutboxKind.CARD and r.channel))
            and r.ts is not None
            and e.ticket_id is not None
        ]
        await uow.tickets.record_posts(
            [
                (ticket_id, ts, r.channel if e.kind == OutboxKind.CARD else None)
                for e, r, ticket_id, ts in posts
            ]
        )
        for entry, _result, _ticket_id, ts in posts:
            asked = self._asked_at.pop(entry.id, None)
            if entry.kind == OutboxKind.RECEIPT and asked is not None:
                # Both are Slack's timestamps, so no clock of ours is in the figure; counted
                # when the row is done for good, so a redo of the row does not count again.
                waited = _seconds_between(asked, ts)
                if waited is not None:
                    uow.on_commit(partial(self.metrics.receipt_posted, waited))
        for entry, result in done:
            if entry.kind != OutboxKind.CSAT_SURVEY:
                continue
            if result.ts is not None:
                await uow.csat.set_message(int(entry.payload["survey"]), result.ts)
            elif result.withdrawn:
                await uow.csat.withdraw(int(entry.payload["survey"]))
        rendered = [(e.id, ticket_id) for e, _r, ticket_id, _ts in posts if e.id in self._rendered]
        shown = await uow.tickets.shown_states([ticket_id for _id, ticket_id in rendered])
        for entry_id, ticket_id in rendered:
            self._shown[entry_id] = shown.get(ticket_id)

    async def _ticket_post(
        self, gateway: SlackGateway, entry: OutboxEntry, uncertain: bool, ticket: Ticket | None
    ) -> Delivered:
        if ticket is None:
            async with self.db.reading() as uow:
                ticket = await uow.tickets.by_id(entry.ticket_id or 0)
        if ticket is None:
            return Delivered(error="ticket gone", permanent=True)
        rendered = fingerprint(ticket)
        if entry.kind == OutboxKind.RECEIPT:
            result = await self._post_once(
                gateway,
                entry,
                uncertain,
                ticket.channel_id,
                receipt_of(ticket),
                ticket.thread,
                self._rank(ticket),
            )
            self._asked_at[entry.id] = ticket.root_ts
        else:
            permalink = await gateway.permalink(ticket.channel_id, ticket.root_ts, ticket.thread_ts)
            card = await self.presenter.card(ticket, permalink)
            result = await self._post_once(
                gateway,
                entry,
                uncertain,
                ticket.account.internal_channel_id,
                card,
                rank=self._rank(ticket),
            )
        if result.ts is not None:
            self._rendered[entry.id] = rendered
        return result

    async def after_settled(self, entry: OutboxEntry, result: Delivered) -> None:
        """Once a receipt's or card's ts is stored, catch up with changes made meanwhile.

        Someone may have claimed or answered while it was being posted: a change committed
        before the ts was stored could not edit the message, so it is brought up to date here.
        """
        rendered = self._rendered.pop(entry.id, None)
        shown = self._shown.pop(entry.id, None)
        self._asked_at.pop(entry.id, None)
        if rendered is None or result.error is not None or shown == rendered:
            return
        async with self.db.reading() as uow:
            stored = await uow.tickets.by_id(entry.ticket_id or 0)
        if stored is not None:
            try:
                await self.presenter.refresh(stored)
            except NotInstalled:
                pass  # uninstalled meanwhile: nothing to bring up to date

    async def _refresh(self, entry: OutboxEntry) -> Delivered:
        """Card, receipt and ✅ show the ticket as it is now (a repeat shows the same)."""
        async with self.db.reading() as uow:
            ticket = await uow.tickets.by_id(entry.ticket_id or 0)
        if ticket is None:
            return Delivered(error="ticket gone", permanent=True)
        if await self.presenter.refresh(ticket, receipt=(entry.payload or {}).get("receipt", True)):
            return Delivered(ts=ticket.card_ts)
        return Delivered(error="some of the card, receipt or reaction did not update")

    async def _dm(self, gateway: SlackGateway, entry: OutboxEntry, uncertain: bool) -> Delivered:
        """A reply to one of our people by DM (modal submissions have no response_url)."""
        p: dict[str, Any] = entry.payload
        channel = await gateway.open_dm(str(p["target"]))
        if channel is None:
            return Delivered(error="conversations.open failed")
        message = stored_message(p)
        return await self._post_once(gateway, entry, uncertain, channel, message)

    async def _home(self, gateway: SlackGateway, entry: OutboxEntry) -> Delivered:
        """Publish someone's Home as the database has it now (a redo publishes it again)."""
        if self.home is None:
            return Delivered(error="no App Home here", permanent=True)
        user = str((entry.payload or {}).get("user") or "")
        view, ours = await self.home.render(entry.team_id, user)
        try:
            return await gateway.publish_home(user, view, ours=ours)
        except WallViolation as exc:
            return Delivered(error=str(exc)[:200], permanent=True)

    async def _private_report(
        self, gateway: SlackGateway, entry: OutboxEntry, uncertain: bool
    ) -> Delivered:
        """A report by DM: its text (keyed like every post), then its chart in that thread.

        The chart is made now (`self.reports`), never stored. A file share carries no
        metadata, so its own thread is what makes it findable: a redo looks there for our
        file of that name, and only this row posts in that thread. Two steps: a try after
        the first may follow one whose text landed and whose chart then failed, so every
        retry looks before posting, not only one after an uncertain answer.
        """
        p: dict[str, Any] = entry.payload
        channel = await gateway.open_dm(str(p["target"]))
        if channel is None:
            return Delivered(error="conversations.open failed")
        again = uncertain or entry.attempts > 1
        text = await self._post_once(gateway, entry, again, channel, stored_message(p))
        if not text.ok or text.ts is None or not p.get("chart"):
            return text
        chart = ChartRef.from_json(p["chart"])
        try:
            data = await self.reports.chart_png(entry.team_id, chart.period)
        except Exception as exc:  # the report's own code: retried like a failed call
            log.warning("chart %s for %s failed", chart.filename, entry.key, exc_info=True)
            return Delivered(error=f"chart failed: {type(exc).__name__}")
        upload = FileUpload(data, chart.filename, chart.title, chart.alt_txt)
        landed_since = entry.created_at.timestamp() - LOOKBACK_SECONDS if again else None
        try:
            shared = await gateway.upload(
                channel, upload, thread_ts=text.ts, landed_since=landed_since
            )
        except WallViolation as exc:
            return Delivered(error=str(exc)[:200], permanent=not exc.transient)
        if not shared.ok:
            return shared
        return Delivered(ts=text.ts, channel=channel, file_id=shared.file_id)

    async def _draft(self, gateway: SlackGateway, entry: OutboxEntry, uncertain: bool) -> Delivered:
        """A reply draft in the triage card's thread, once the card is there (retried till then);
        withdrawn if the ticket was resolved meanwhile."""
        async with self.db.reading() as uow:
            ticket = await uow.tickets.by_id(entry.ticket_id or 0)
        if ticket is None:
            return Delivered(error="ticket gone", permanent=True)
        if ticket.status == TicketStatus.RESOLVED:
            return Delivered(withdrawn=True)
        if ticket.card_ts is None or ticket.card_channel_id is None:
            return Delivered(error="the card is not posted yet")
        message = draft_note(
            ticket.number, str(entry.payload.get("text") or ""), entry.id, ticket.id
        )
        return await self._post_once(
            gateway, entry, uncertain, ticket.card_channel_id, message, ticket.card_ts
        )

    async def _incident_note(
        self, gateway: SlackGateway, entry: OutboxEntry, uncertain: bool
    ) -> Delivered:
        """Tell a linked ticket's thread that its incident is resolved (a customer message)."""
        p: dict[str, Any] = entry.payload
        message = linked_ticket_resolved(int(p["number"]), str(p["title"]))
        return await self._post_once(
            gateway, entry, uncertain, p["channel"], message, p["thread_ts"]
        )

    async def _alert(self, gateway: SlackGateway, entry: OutboxEntry, uncertain: bool) -> Delivered:
        p: dict[str, Any] = entry.payload
        target = str(p["target"])
        root = p.get("root") or []
        # A DM is looked up by its channel id, so learn it before the first try; both lookups
        # go out together rather than one after the other.
        is_dm = is_user(target)
        opened, permalink = await asyncio.gather(
            gateway.open_dm(target) if is_dm else _none(),
            gateway.permalink(*root) if len(root) >= 2 else _none(),
        )
        channel = target
        if is_dm:
            if opened is None:
                return Delivered(error="conversations.open failed")
            channel = opened
        context = context_from_json(p["context"])
        if len(root) >= 2:
            context = replace(context, permalink=permalink)
        if p.get("style") == "manual":
            message = manual_escalation(context, p.get("actor") or "", p.get("reason") or "")
        elif context.percent >= 100:
            message = sla_breach(context)
        else:
            message = sla_warning(context)
        rank = rank_of(self.tiers, context.tier, context.priority)
        return await self._post_once(gateway, entry, uncertain, channel, message, rank=rank)

    async def _csat_survey(
        self, gateway: SlackGateway, entry: OutboxEntry, uncertain: bool
    ) -> Delivered:
        """Ask for a rating in the ticket's thread, unless it was reopened before this was due
        (withdrawn: the survey is forgotten, so a later resolve asks)."""
        async with self.db.reading() as uow:
            survey = await uow.csat.survey(int(entry.payload["survey"]))
            ticket = await uow.tickets.by_id(survey.ticket_id) if survey is not None else None
        if survey is None or ticket is None:
            return Delivered(withdrawn=True)
        if survey.message_ts is not None:
            return Delivered(ts=survey.message_ts, channel=survey.channel_id)
        if (
            ticket.status != TicketStatus.RESOLVED
            or ticket.resolution_kind != ResolutionKind.RESOLVED
        ):
            return Delivered(withdrawn=True)
        message = customer_csat.survey(ticket.number, survey.id)
        return await self._post_once(
            gateway,
            entry,
            uncertain,
            survey.channel_id,
            message,
            survey.thread_ts,
            self._rank(ticket),
        )

    async def _csat_thanks(self, gateway: SlackGateway, entry: OutboxEntry) -> Delivered:
        """The survey edited into its thanks (rendered from the survey: a repeat shows the same)."""
        async with self.db.reading() as uow:
            survey = await uow.csat.survey(int(entry.payload["survey"]))
            ticket = await uow.tickets.by_id(survey.ticket_id) if survey is not None else None
        if survey is None or ticket is None:
            return Delivered(withdrawn=True)
        if survey.message_ts is None:
            return Delivered(error="the survey's ts is not stored yet")  # retried shortly
        message = customer_csat.thanks(ticket.number, survey.id, survey.closes_at)
        return await gateway.update(survey.channel_id, survey.message_ts, message)

    async def _csat_alert(
        self, gateway: SlackGateway, entry: OutboxEntry, uncertain: bool
    ) -> Delivered:
        """A low rating (or a comment on one) to the owner's DM or the internal channel."""
        p: dict[str, Any] = entry.payload
        target = str(p["target"])
        root = p.get("root") or []
        opened, permalink = await asyncio.gather(
            gateway.open_dm(target) if is_user(target) else _none(),
            gateway.permalink(*root) if len(root) >= 2 else _none(),
        )
        channel = target
        if is_user(target):
            if opened is None:
                return Delivered(error="conversations.open failed")
            channel = opened
        previous = p.get("previous")
        message = low_score_alert(
            LowScore(
                number=int(p["number"]),
                account=str(p["account"]),
                score=int(p["score"]),
                rater=str(p["rater"]),
                owner=p.get("owner"),
                comment=str(p.get("comment") or ""),
                permalink=permalink,
                previous=int(previous) if previous is not None else None,
                comment_only=bool(p.get("comment_only")),
            )
        )
        return await self._post_once(gateway, entry, uncertain, channel, message)
