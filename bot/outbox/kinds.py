"""The kinds of outbox row: what the services record and what the desk's effects perform."""

from __future__ import annotations

from enum import StrEnum


class OutboxKind(StrEnum):
    """An outbox row's `kind` column (stored as its string value)."""

    REACT = "react"
    RECEIPT = "receipt"
    CARD = "card"
    ALERT = "alert"
    REFRESH = "refresh"
    DM = "dm"
    LINK_HINT = "link_hint"
    INCIDENT_NOTE = "incident_note"
    # Publish someone's App Home, rendered from the database when it is sent.
    HOME = "home"
    # Satisfaction surveys: the question in the thread, its thanks (an edit), the low-score
    # alert to the owner and the account's internal channel.
    CSAT_SURVEY = "csat_survey"
    CSAT_THANKS = "csat_thanks"
    CSAT_ALERT = "csat_alert"
    # A report by DM to one person: its text, then a chart made when sent, in its thread.
    REPORT = "report"
    # The knowledge base: a new ticket's articles found for its card (and the bot's own answer
    # posted, if its tier answers), an article posted in the thread for an agent, the bot's
    # answer edited once the customer pressed, and the team told a person is still needed.
    KB_SUGGEST = "kb_suggest"
    KB_ARTICLE = "kb_article"
    KB_SETTLE = "kb_settle"
    KB_PING = "kb_ping"
    # A model's reply draft in the triage card's thread, for the team to edit and send.
    DRAFT = "draft"
