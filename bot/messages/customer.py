"""The customer-facing message set: the only words the bot ever says in a shared channel.

Nothing here may take internal data (tier, ARR, owner notes, other accounts): the builders
take only a ticket number, times and the customer's own context. Words someone typed are
escaped here (`bot.messages.markup`), so a staff member's text never pings a customer channel.
"""

from __future__ import annotations

from datetime import datetime

from bot.messages.base import CustomerHome, CustomerMessage, customer_home, customer_message
from bot.messages.markup import Mrkdwn, md


def slack_time(at: datetime) -> Mrkdwn:
    """A time each reader sees in their own time zone, with a UTC fallback."""
    epoch = int(at.timestamp())
    fallback = at.strftime("%a %d %b %Y, %H:%M UTC")
    return md("<!date^{}^{{date_short_pretty}} at {{time}}|{}>", epoch, fallback)


def receipt(
    number: int, first_reply_by: datetime | None, incident_title: str | None = None
) -> CustomerMessage:
    """The reply in a new request's thread: its number and when to expect a first answer."""
    expect = (
        md(" You can expect a first reply from the team by {}.", slack_time(first_reply_by))
        if first_reply_by
        else " The team will reply here as soon as possible."
    )
    known = (
        md(
            "\nWe're aware of an ongoing issue that may be related (*{}*);"
            " updates are posted in this channel.",
            incident_title,
        )
        if incident_title
        else ""
    )
    return customer_message(
        md(
            ":eyes: Thanks, we've got your request. It's ticket *#{}*.{}"
            " Add any details by replying in this thread.{}",
            number,
            expect,
            known,
        )
    )


def receipt_in_progress(number: int) -> CustomerMessage:
    """The receipt once someone from the team has picked the request up."""
    return customer_message(
        f":eyes: Ticket *#{number}*: someone from the team is on it and will keep you posted"
        " in this thread."
    )


def receipt_resolved(number: int) -> CustomerMessage:
    """The receipt after the request is resolved."""
    return customer_message(
        f":white_check_mark: Ticket *#{number}* is resolved. If anything is still not right,"
        " reply in this thread and we'll pick it up again."
    )


def outsider_home() -> CustomerHome:
    """The App Home of someone outside our team: one neutral line, nothing of the desk."""
    return customer_home(
        (
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "Hi! To ask for help, post in the channel you share with us;"
                    " the team answers there.",
                },
            },
        )
    )
