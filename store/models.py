"""SQLAlchemy models: accounts, channels, tickets, their messages, audit log, processed events."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.domain.incidents import IncidentStatus, PostState
from bot.domain.sla import SlaFlag
from bot.domain.tickets import TicketStatus
from store.types import UtcDateTime


class OutboxState(StrEnum):
    """An outbox entry: pending -> sending (maybe done) -> done | failed."""

    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"


# An outbox row's `result` while it is due again after a try that may have landed.
UNCERTAIN_RESULT = "uncertain"


class InboxState(StrEnum):
    """An inbox row: pending -> (deleted when handled) | failed (kept for a person to look at)."""

    PENDING = "pending"
    FAILED = "failed"


class Base(DeclarativeBase):
    """Declarative base of every connectdesk table."""

    # Every model here maps one Table (SQLAlchemy types it as any FromClause).
    __table__: ClassVar[Table]


class Account(Base):
    """A customer account: its tier, channels and account team."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("team_id", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))
    tier: Mapped[str] = mapped_column(String(64))
    internal_channel_id: Mapped[str] = mapped_column(String(32))
    owners: Mapped[list[str]] = mapped_column(JSON, default=list)
    renewal_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    arr: Mapped[float | None] = mapped_column(Float, nullable=True)
    receipts: Mapped[bool] = mapped_column(Boolean, default=True)
    calendar: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="config")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    channels: Mapped[list[LinkedChannel]] = relationship(
        back_populates="account", lazy="selectin", order_by="LinkedChannel.channel_id"
    )


class LinkedChannel(Base):
    """A Slack channel linked to an account (shared with the customer)."""

    __tablename__ = "linked_channels"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    is_shared: Mapped[bool] = mapped_column(Boolean, default=True)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime())

    account: Mapped[Account] = relationship(back_populates="channels", lazy="joined")


class TicketCounter(Base):
    """The last ticket number handed out in a workspace."""

    __tablename__ = "ticket_counters"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    """A customer request: its thread, owner, state and SLA timestamps."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("team_id", "number"),
        UniqueConstraint("team_id", "channel_id", "root_ts"),
        Index("ix_tickets_requester", "team_id", "channel_id", "requester_user_id", "status"),
        Index("ix_tickets_owner", "team_id", "owner_user_id", "status"),
        # The App Home: a workspace's open tickets counted and listed by SLA flag, soonest due
        # first, without reading its resolved history (migration 0008).
        Index("ix_tickets_open_flag", "team_id", "status", "sla_flag", "next_due_at"),
        # The reports' tickets opened in a period, by account, read from the index alone
        # (migration 0009).
        Index("ix_tickets_opened", "opened_at", "team_id", "account_id", "resolution_kind"),
        # The tickets living in an incident notice's thread (migration 0011).
        Index("ix_tickets_thread", "team_id", "channel_id", "thread_ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    root_ts: Mapped[str] = mapped_column(String(32))
    requester_user_id: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.OPEN)
    owner_user_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    first_response_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    first_response_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_customer_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_internal_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    waiting_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    # How it was closed: "resolved" (answered), or "duplicate" / "noise", which get no survey.
    resolution_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    sla_flag: Mapped[str] = mapped_column(String(16), default=SlaFlag.OK)
    receipt_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    card_channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    card_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # What the request is about (question, bug, access, billing, outage, feature_request,
    # other), as the classifier or an agent said; None on tickets opened before 0010.
    category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The customer's mood, the lowest VADER compound score (-1 to 1) among their messages.
    sentiment: Mapped[float | None] = mapped_column(Float, nullable=True)
    # The thread the ticket's conversation is in when it is not the root message's own: an
    # incident notice's, for a request a customer replied under it (None: `root_ts`).
    thread_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)

    account: Mapped[Account] = relationship(lazy="joined")
    incident: Mapped[Incident | None] = relationship(lazy="joined")

    @property
    def thread(self) -> str:
        """Where receipts, surveys and notes about the ticket are posted (a thread's ts)."""
        return self.thread_ts or self.root_ts

    @property
    def root_ref(self) -> list[str]:
        """Where the customer's message is, for a link to it: channel, ts (and the thread's ts
        when it is a reply in an incident notice's thread)."""
        ref = [self.channel_id, self.root_ts]
        return [*ref, self.thread_ts] if self.thread_ts else ref


class TicketMessage(Base):
    """One message in a ticket's conversation: who said it (internal or not) and when."""

    __tablename__ = "ticket_messages"
    __table_args__ = (
        UniqueConstraint("channel_id", "ts"),
        # Account health: the scored customer messages of a period, read from the index alone
        # (migration 0013). Partial: the team's messages and those not yet scored are not in it.
        Index(
            "ix_ticket_messages_sentiment",
            "posted_at",
            "is_internal",
            "ticket_id",
            "sentiment",
            sqlite_where=text("sentiment IS NOT NULL"),
            postgresql_where=text("sentiment IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    user_id: Mapped[str] = mapped_column(String(32))
    is_internal: Mapped[bool] = mapped_column(Boolean)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    text: Mapped[str] = mapped_column(Text, default="")
    # VADER compound score (-1 to 1) of a customer's message; None for the team's.
    sentiment: Mapped[float | None] = mapped_column(Float, nullable=True)


class TriageExample(Base):
    """A message the team labelled for the request classifier (`/desk noise`: not a request)."""

    __tablename__ = "triage_examples"
    __table_args__ = (UniqueConstraint("team_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text: Mapped[str] = mapped_column(Text)
    is_request: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    labelled_by: Mapped[str] = mapped_column(String(64))
    labelled_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditEntry(Base):
    """Every state change: who did what to which ticket, when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class SlaClock(Base):
    """One run of one SLA clock of a ticket, its due time, next ladder step and outcome."""

    __tablename__ = "sla_clocks"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "cycle"),
        Index("ix_sla_clocks_next_step", "next_step_at"),
        Index("ix_sla_clocks_account_breach", "account_id", "breached_at"),
        # The reports read the runs decided in a period through these two alone (SQLite and
        # PostgreSQL scan the index, never the table): the runs stopped in it, and those that
        # breached in it, with every column the report statements use. Partial: a running
        # clock is in neither until it stops or breaches (migration 0009, bench/README.md).
        Index(
            "ix_sla_clocks_stopped",
            *("stopped_at", "counted", "kind", "outcome", "priority", "account_id", "team_id"),
            *("business_seconds", "started_at"),
            sqlite_where=text("stopped_at IS NOT NULL"),
            postgresql_where=text("stopped_at IS NOT NULL"),
        ),
        Index(
            "ix_sla_clocks_breached",
            *("breached_at", "counted", "kind", "outcome", "priority", "account_id", "team_id"),
            sqlite_where=text("breached_at IS NOT NULL"),
            postgresql_where=text("breached_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    calendar: Mapped[str] = mapped_column(String(64))
    target_seconds: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    elapsed_before_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    running_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    next_step_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(8), nullable=True)
    business_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    late_business_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    late_wall_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Copies of the ticket's priority and of whether it counts as a request (not closed as a
    # duplicate or noise), kept in step by the SLA service, so the report statements read the
    # clock runs alone, never a million tickets (migration 0009).
    priority: Mapped[str] = mapped_column(String(4))
    counted: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    ticket: Mapped[Ticket] = relationship(lazy="joined")


class LadderFiring(Base):
    """The ledger: a ladder step fired for a clock run, at most once (unique key)."""

    __tablename__ = "ladder_firings"
    __table_args__ = (UniqueConstraint("clock_id", "step_index", "repeat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("sla_clocks.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(Integer, index=True)
    step_index: Mapped[int] = mapped_column(Integer)
    repeat: Mapped[int] = mapped_column(Integer)
    percent: Mapped[int] = mapped_column(Integer)
    fired_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DigestSend(Base):
    """The ledger of scheduled sends (weekly digest, monthly report): one row per team and
    period, so each goes out once across restarts and replicas (unique key)."""

    __tablename__ = "digest_sends"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recipients: Mapped[int] = mapped_column(Integer, default=0)


class HealthState(Base):
    """The health ledger: each account's score and band at the last check, and whether its
    crossing into *at risk* was told. One row per account (unique key): the first check inserts
    it if absent; a crossing is claimed by a conditional update, so it is told once across
    restarts and replicas, and re-armed when the score recovers (bot/domain/health.py)."""

    __tablename__ = "health_states"
    __table_args__ = (
        UniqueConstraint("team_id", "account_id"),
        # The managers' Home: a workspace's accounts at risk or on watch, worst first.
        Index("ix_health_states_band", "team_id", "band", "score"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    band: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())  # when the band last changed
    # Told at risk and not yet recovered above the re-arm score; how many crossings were told.
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    crossings: Mapped[int] = mapped_column(Integer, default=0)


class ProcessedEvent(Base):
    """An Events API `event_id` already handled; Slack redelivers, replicas race."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Incident(Base):
    """A declared incident: what customers are told, its state, and which replica drives it."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_team_status", "team_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=IncidentStatus.INVESTIGATING)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    declared_by: Mapped[str] = mapped_column(String(32))
    declared_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_update_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    latest_text: Mapped[str] = mapped_column(Text, default="")
    # Bumped on every change the notice's status line shows; each channel's notice catches up.
    version: Mapped[int] = mapped_column(Integer, default=1)
    progress_channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    progress_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    driver: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IncidentPost(Base):
    """One thing said about an incident (the notice, an update, the closing), in order."""

    __tablename__ = "incident_posts"
    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IncidentDelivery(Base):
    """One post to one shared channel: pending, sending (maybe sent), sent with its ts, failed."""

    __tablename__ = "incident_deliveries"
    __table_args__ = (
        UniqueConstraint("post_id", "channel_id"),
        Index("ix_incident_deliveries_state", "incident_id", "state", "seq"),
        # A reply in a shared channel's thread: is it under an incident notice (0011)?
        Index("ix_incident_deliveries_posted", "channel_id", "ts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("incident_posts.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    channel_id: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=PostState.PENDING)
    ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The replica whose claim holds the row (None: released; a `sending` row stays maybe-sent).
    claimed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # For the notice row: the incident version its status line shows.
    shown_version: Mapped[int] = mapped_column(Integer, default=0)


class CsatSurvey(Base):
    """A satisfaction survey asked in a resolved ticket's thread: at most one per resolution.

    `closes_at` ends the window in which answers may be given or changed (24 h by default).
    """

    __tablename__ = "csat_surveys"
    __table_args__ = (
        Index("ix_csat_surveys_team_asked", "team_id", "asked_at"),
        # Every workspace's surveys of a period, for the reports (migration 0009).
        Index("ix_csat_surveys_asked", "asked_at", "counted", "team_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(Integer)
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))
    requester_user_id: Mapped[str] = mapped_column(String(32))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime())
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Whether its ticket counts as a request (not closed as a duplicate or noise since), kept
    # in step with the ticket's, so the report reads surveys without their tickets (0009).
    counted: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class CsatAnswer(Base):
    """One customer's rating on a survey (1-5), changeable until the survey closes."""

    __tablename__ = "csat_answers"
    __table_args__ = (
        UniqueConstraint("survey_id", "user_id"),
        Index("ix_csat_answers_team_answered", "team_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("csat_surveys.id", ondelete="CASCADE"))
    team_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int] = mapped_column(Integer, index=True)
    account_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # Set when the low-score alert was decided, so a changed answer never alerts twice.
    alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class KbArticle(Base):
    """A knowledge base article as last indexed from its file (one folder for the whole desk,
    so articles belong to no workspace).

    Searched through SQLite's FTS5 table `kb_fts` (kept in step by triggers) or PostgreSQL's
    generated `search` tsvector column with its GIN index; neither is mapped here (0012).
    """

    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    tags: Mapped[str] = mapped_column(Text, default="")  # space-separated
    audience: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    body: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    checksum: Mapped[str] = mapped_column(String(64))
    indexed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class KbAnswer(Base):
    """An article offered on a ticket: suggested on its card, sent to the customer by an agent,
    or sent by the bot itself (`auto`), and what the customer said to that.

    What was shown is kept here (title, excerpt, link, audience), so the card reads the same
    after the article changes; sending checks the article as indexed now.
    """

    __tablename__ = "kb_answers"
    __table_args__ = (UniqueConstraint("ticket_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)  # 1 is the best match
    title: Mapped[str] = mapped_column(String(300))
    audience: Mapped[str] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    coverage: Mapped[float] = mapped_column(Float, default=0.0)
    suggested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Sent to the customer: by whom (an agent, or the bot when `auto`), when, its message.
    sent_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    auto: Mapped[bool] = mapped_column(Boolean, default=False)
    message_ts: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # A bot's answer: "solved" or "handed_off", as the customer pressed.
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    outcome_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class HomeOpener(Base):
    """Someone who opened the desk's App Home: only they get it published again on changes.

    `notice` is the answer to their last button press on the Home, shown at its top until
    they next open it.
    """

    __tablename__ = "home_openers"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    notice: Mapped[str] = mapped_column(Text, default="")
    notice_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class OutboxEntry(Base):
    """A side effect decided in the same transaction as the state change, done by a worker.

    `key` is the idempotency key: unique here, and carried in the message metadata of posts so
    a redo after a crash finds the earlier post instead of posting twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_due", "state", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    result: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class InboxEvent(Base):
    """An Events API delivery stored before its ack, processed after it by an inbox worker.

    The edge writes the raw body (one short transaction, unique `event_id`) and answers Slack at
    once; a worker claims rows in batches, handles them, then deletes them. A worker that dies
    leaves its claim to lapse, and the next claimant redoes the rows (`processed_events` makes
    the redo a no-op for what had committed).
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_due", "state", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16), default=InboxState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)


# OAuth installs: slack_sdk's installation and state store tables, declared here so that the
# migrations create them and the models-versus-migrations check covers them. Token columns are
# wider than slack_sdk's (200): they hold Fernet ciphertext (bot/installs/cipher.py).
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


def _widened(table: Table) -> Table:
    for name in TOKEN_COLUMNS:
        if name in table.c:
            table.c[name].type = Text()
    return table


slack_installations: Table = _widened(
    SQLAlchemyInstallationStore.build_installations_table(Base.metadata, "slack_installations")
)
slack_bots: Table = _widened(
    SQLAlchemyInstallationStore.build_bots_table(Base.metadata, "slack_bots")
)
slack_oauth_states: Table = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, "slack_oauth_states"
)


def column_values(row: Base) -> dict[str, Any]:
    """The column values set on a new, not yet stored object (the others take their defaults)."""
    given = vars(row)
    return {c.key: given[c.key] for c in row.__table__.columns if c.key in given}
