"""Drives incident broadcasts from their delivery rows: paced, retried, resumable, one driver.

Every post to every channel is a row (pending → sending → sent | failed). A row is claimed
through the job engine (marked `sending`, with a lease) just before the call; a row found
`sending` by a later try may have reached Slack, so the channel is checked once for our
metadata key before posting again: never twice. One driver per incident keeps posts in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from bot.broadcast.content import message_of, notice_of
from bot.broadcast.progress import ProgressReporter
from bot.config.desk import DeskConfig
from bot.domain.clock import Clock
from bot.domain.incidents import PostState
from bot.installs.gateways import Gateways
from bot.jobs.batching import GroupWrite
from bot.jobs.engine import Backoff
from bot.slack.transport import Delivered
from store.db import Database
from store.models import Incident, IncidentDelivery, IncidentPost

log = logging.getLogger("connectdesk.broadcast")

LEASE = timedelta(seconds=30)  # default; CONNECTDESK_BROADCAST_LEASE sets it per deployment
BACKOFF = Backoff(delays=(1.0, 2.0, 4.0, 8.0), max_attempts=5)
CONCURRENCY = 64
# Seconds a look or a settle waits for other rows' to share its read or write.
LINGER = 0.05
RESUME_EVERY_SECONDS = 10.0

Item = TypeVar("Item")


class Broadcaster:
    """Posts every pending incident delivery, within the workspace budget."""

    def __init__(
        self,
        db: Database,
        config: DeskConfig,
        clock: Clock,
        gateways: Gateways,
        *,
        replica: str | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.db = db
        self.clock = clock
        self.gateways = gateways
        self.replica = replica or uuid.uuid4().hex[:12]
        self.lease = lease
        # An orphaned broadcast (its driver died) is picked up soon after its lease lapses.
        self._resume_every = min(RESUME_EVERY_SECONDS, lease.total_seconds())
        self.progress = ProgressReporter(db, gateways)
        self._drivers: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self._slots = asyncio.Semaphore(CONCURRENCY)
        # Posts go out one by one at the budget's pace: a row's look before its post and its
        # outcome after wait a moment for others, so a write or read serves several rows.
        self._looks: GroupWrite[int, _Look | None] = GroupWrite(self._look_batch, LINGER)
        # No linger for marks: a mark runs while its post's place in the budget frees (the
        # transport's PREPARE_AHEAD), and one that outlasts that holds the post up; the budget
        # counts each post from its answer, so such delays add up window after window.
        self._marks: GroupWrite[int, bool] = GroupWrite(self._mark_batch)
        self._settles: GroupWrite[tuple[int, Delivered, int], bool] = GroupWrite(
            self._settle_batch, LINGER
        )
        self._watch: asyncio.Task[None] | None = None

    # ---- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Resume whatever was left (a crash mid-broadcast) and keep an eye out for orphans."""
        await self.resume()
        self._watch = asyncio.create_task(self._watch_loop(), name="broadcast-watch")

    async def close(self) -> None:
        """Stop driving; unfinished rows stay in the database for the next start."""
        driven = list(self._drivers)
        tasks = [t for t in [self._watch, *self._drivers.values()] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._drivers.clear()
        await self.progress.close()
        # Hand over at once instead of making the next process wait out the leases.
        try:
            async with self.db.unit_of_work() as uow:
                await uow.incidents.release_claims(self.replica)
        except Exception:
            log.exception("could not release the claims on incident deliveries")
        for incident_id in driven:
            try:
                async with self.db.unit_of_work() as uow:
                    await uow.incidents.release_lease(incident_id, self.replica)
            except Exception:
                log.exception("could not release the lease on incident %s", incident_id)

    async def resume(self) -> None:
        """Drive every incident with work left (ours, or a dead replica's after its lease)."""
        async with self.db.unit_of_work() as uow:
            incident_ids = await uow.incidents.with_work()
        for incident_id in incident_ids:
            self.kick(incident_id)

    def kick(self, incident_id: int) -> None:
        """Make sure this incident's broadcast is being driven (new posts were added)."""
        running = self._drivers.get(incident_id)
        if running is not None and not running.done():
            self._again.add(incident_id)
            return
        task = asyncio.create_task(self._drive(incident_id), name=f"broadcast-{incident_id}")
        self._drivers[incident_id] = task

    async def idle(self) -> None:
        """Wait until no broadcast is being driven here (tests, demo)."""
        while any(not t.done() for t in self._drivers.values()):
            await asyncio.gather(*self._drivers.values(), return_exceptions=True)

    async def _watch_loop(self) -> None:
        while True:
            await asyncio.sleep(self._resume_every)
            try:
                await self.resume()
            except Exception:
                log.exception("could not look for unfinished broadcasts")

    # ---- driving -----------------------------------------------------------------------------
    async def _drive(self, incident_id: int) -> None:
        try:
            while True:
                self._again.discard(incident_id)
                if not await self._lease(incident_id):
                    log.info("incident %s is driven by another replica", incident_id)
                    return
                work = asyncio.create_task(self._send_and_refresh(incident_id))
                renew = asyncio.create_task(self._keep_lease(incident_id, work))
                try:
                    await work
                except asyncio.CancelledError:
                    if not renew.done():
                        raise  # we are being stopped
                    log.error(
                        "lost the lease on incident %s; another replica drives it", incident_id
                    )
                    return
                finally:
                    work.cancel()
                    renew.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.gather(work, renew, return_exceptions=True)
                await self.progress.show(incident_id, final=True)
                if incident_id not in self._again:
                    async with self.db.unit_of_work() as uow:
                        await uow.incidents.release_lease(incident_id, self.replica)
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception(
                "broadcast of incident %s stopped; it resumes on the next pass", incident_id
            )

    async def _lease(self, incident_id: int) -> bool:
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            return await uow.incidents.claim_lease(incident_id, self.replica, now, now + self.lease)

    async def _keep_lease(self, incident_id: int, work: asyncio.Task[None]) -> None:
        """Renew the lease while `work` runs; stop `work` if another replica took it over."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                held = await self._lease(incident_id)
            except Exception:
                log.exception("could not renew the lease on incident %s", incident_id)
                continue  # the next try may work; the lease outlives two missed renewals
            if not held:
                work.cancel()
                return

    async def _send_and_refresh(self, incident_id: int) -> None:
        await self._send_all(incident_id)
        await self._refresh_notices(incident_id)

    async def _send_all(self, incident_id: int) -> None:
        # Post by post: every notice before any update, so each update has its thread.
        while True:
            async with self.db.unit_of_work() as uow:
                rows = [
                    d
                    for d in await uow.incidents.deliveries(incident_id)
                    if d.state in (PostState.PENDING, PostState.SENDING)
                ]
                # Read once for the pass, not per channel: every row of it posts the same
                # words; the version they show is recorded, and later edits catch up.
                incident = await uow.incidents.by_id(incident_id)
                posts = await uow.incidents.posts(incident_id)
            if not rows:
                return
            seq = min(r.seq for r in rows)
            batch = [r for r in rows if r.seq == seq]
            await _each(
                [row.id for row in batch],
                partial(self._deliver, incident=incident, posts=posts),
            )

    async def _deliver(
        self, delivery_id: int, incident: Incident | None, posts: dict[int, IncidentPost]
    ) -> None:
        async with self._slots:
            for attempt in range(1, BACKOFF.max_attempts + 1):
                if await self._attempt(delivery_id, incident, posts):
                    return
                await asyncio.sleep(BACKOFF.delay(attempt))
            await self._fail(delivery_id, None)

    async def _fail(self, delivery_id: int, error: str | None) -> None:
        """Settle a row as failed for good (`error`, else the last one it had)."""
        async with self.db.unit_of_work() as uow:
            row = await uow.incidents.delivery(delivery_id, for_update=True)
            if row is not None and row.state != PostState.SENT:
                await uow.incidents.dead_letter(row.id, error or row.error or "gave up")
        self.progress.changed(row.incident_id if row else 0)

    async def _attempt(
        self, delivery_id: int, incident: Incident | None, posts: dict[int, IncidentPost]
    ) -> bool:
        """One try at one row of `incident` (as read for this pass, with its `posts`); True
        when the row is settled (sent or failed for good)."""
        row = await self._looks.submit(delivery_id)
        if row is None:
            return True
        post = posts.get(row.post_id)
        thread_ts, uncertain, claimed, channel = (
            row.thread_ts,
            row.state == PostState.SENDING,
            row.claimed_at,
            row.channel_id,
        )
        if incident is None or post is None:
            return True
        if row.seq > 0 and not thread_ts:
            await self._fail(delivery_id, "the notice never reached this channel")
            return True
        gateway = await self.gateways.find(incident.team_id)
        if gateway is None:
            await self._fail(delivery_id, "the app is not installed there any more")
            return True
        key = {"delivery": delivery_id}
        # An earlier try may have landed: the gateway looks once before posting again.
        landed_since = claimed.timestamp() - 60 if uncertain and claimed is not None else None

        async def mark_sending() -> bool:
            # Marked only once the budget holds the call's place (at most a quarter second
            # before it frees): after a crash, just the posts that were in flight or about to be
            # need a look in the channel (conversations.history is scarce).
            # Rows let go together are marked in one write (their slots wait for it).
            return await self._marks.submit(delivery_id)

        message = message_of(incident, post)
        result = await gateway.deliver(
            channel,
            message,
            thread_ts=thread_ts,
            key=key,
            landed_since=landed_since,
            just_before=mark_sending,
        )
        if result.withdrawn:
            return await self._not_claimed(delivery_id)
        return await self._settle(delivery_id, result, incident.version)

    async def _not_claimed(self, delivery_id: int) -> bool:
        """The claim was refused: True if the row was settled meanwhile, else False once the
        claim holding it (a dead driver's, which has not lapsed yet) has lapsed."""
        async with self.db.reading() as uow:
            row = await uow.incidents.delivery(delivery_id)
        if row is None or row.state in (PostState.SENT, PostState.FAILED):
            return True
        if row.claimed_at is not None:
            left = (row.claimed_at + self.lease - self.clock.now()).total_seconds()
            await asyncio.sleep(min(max(left, 0.0), self.lease.total_seconds()))
        return False

    async def _settle(self, delivery_id: int, result: Delivered, version: int) -> bool:
        """Record what a post did; True when the row is settled (written with others')."""
        return await self._settles.submit((delivery_id, result, version))

    async def _look_batch(self, delivery_ids: list[int]) -> list[_Look | None]:
        """Each row as it stands now (None: settled or gone), with its notice's thread."""
        # Reads only: on SQLite they need not queue for the write lock behind other rows'
        # settles (a wait that would hold these rows' budget slots).
        async with self.db.reading() as uow:
            rows = await uow.incidents.deliveries_by_id(delivery_ids)
            notices: dict[int, dict[str, IncidentDelivery]] = {}
            for row in rows.values():
                if row.seq > 0 and row.incident_id not in notices:
                    notices[row.incident_id] = await uow.incidents.notices(row.incident_id)
        looks: list[_Look | None] = []
        for delivery_id in delivery_ids:
            found = rows.get(delivery_id)
            if found is None or found.state in (PostState.SENT, PostState.FAILED):
                looks.append(None)
                continue
            row = found
            notice = notices.get(row.incident_id, {}).get(row.channel_id)
            thread_ts = (
                notice.ts if notice is not None and notice.state != PostState.FAILED else None
            )
            looks.append(
                _Look(row.post_id, row.seq, row.channel_id, row.state, row.claimed_at, thread_ts)
            )
        return looks

    async def _mark_batch(self, delivery_ids: list[int]) -> list[bool]:
        # The job engine's claim: `sending`, one more attempt, a lease of the row's own.
        now = self.clock.now()
        async with self.db.unit_of_work() as uow:
            claimed = await uow.incidents.claim(delivery_ids, self.replica, now, self.lease)
        return [delivery_id in claimed for delivery_id in delivery_ids]

    async def _settle_batch(self, outcomes: list[tuple[int, Delivered, int]]) -> list[bool]:
        now = self.clock.now()
        settled, touched = [], set()
        async with self.db.unit_of_work() as uow:
            rows = await uow.incidents.deliveries_by_id(
                [delivery_id for delivery_id, _r, _v in outcomes], for_update=True
            )
            for delivery_id, result, version in outcomes:
                row = rows.get(delivery_id)
                if row is None:
                    settled.append(True)
                    continue
                _record(row, result, version, now)
                settled.append(row.state in (PostState.SENT, PostState.FAILED))
                touched.add(row.incident_id)
        for incident_id in touched:
            self.progress.changed(incident_id)
        return settled

    async def _refresh_notices(self, incident_id: int) -> None:
        """Bring each channel's notice status line up to the incident's current state."""
        async with self.db.unit_of_work() as uow:
            incident = await uow.incidents.by_id(incident_id)
            stale = [
                (n.id, n.channel_id, n.ts)
                for n in (await uow.incidents.notices(incident_id)).values()
                if n.state == PostState.SENT
                and n.ts
                and incident
                and n.shown_version < incident.version
            ]
        if incident is None or not stale:
            return
        message, version = notice_of(incident), incident.version
        gateway = await self.gateways.find(incident.team_id)
        if gateway is None:
            return

        async def edit(notice_id: int, channel: str, ts: str) -> None:
            async with self._slots:
                # A failed edit is logged by the gateway and not retried: the next change
                # edits again, and retrying a gone channel forever would help nobody.
                await gateway.update(channel, ts, message)
                async with self.db.unit_of_work() as uow:
                    row = await uow.incidents.delivery(notice_id)
                    if row is not None and row.shown_version < version:
                        row.shown_version = version

        started = time.monotonic()
        await _each(stale, lambda item: edit(*item))
        log.info(
            "incident %s: %d status lines refreshed in %.1fs",
            incident_id,
            len(stale),
            time.monotonic() - started,
        )


@dataclass(frozen=True)
class _Look:
    """A delivery row as it stood just before its try: what the try needs of it."""

    post_id: int
    seq: int
    channel_id: str
    state: str
    claimed_at: datetime | None
    # The channel's notice's ts, for an update or closing reply (None: not posted there).
    thread_ts: str | None


async def _each(items: Sequence[Item], work: Callable[[Item], Awaitable[None]]) -> None:
    """Run `work` on every item, CONCURRENCY at a time; cancelling this waits for them.

    A fixed set of runners takes the items in turn rather than one task per item: a thousand
    tasks parked on a semaphore live for the whole broadcast, and every full collection of
    the garbage collector walks them (a stall of the event loop each time).
    """
    pending = iter(items)

    async def runner() -> None:
        for item in pending:  # shared: each runner takes the next item when it is free
            await work(item)

    async with asyncio.TaskGroup() as group:
        for _ in range(min(CONCURRENCY, len(items))):
            group.create_task(runner())


def _record(row: IncidentDelivery, result: Delivered, version: int, now: datetime) -> None:
    """What one post's outcome makes of its row."""
    if result.ts:
        row.state, row.ts, row.error = PostState.SENT, result.ts, None
        row.sent_at = now
        if row.seq == 0:
            row.shown_version = version
    elif result.permanent:
        row.state, row.error = PostState.FAILED, (result.error or "refused")[:200]
    elif not result.uncertain:
        row.state, row.error = PostState.PENDING, (result.error or "error")[:200]
    else:
        # Stays `sending` (the next try looks first), its claim given back: due again at once.
        row.error, row.claimed_by = (result.error or "no answer")[:200], None
