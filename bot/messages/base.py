"""The two kinds of outbound message; only the customer kind may enter a shared channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Slack truncates `text` past 40,000 characters; we keep well under (SLACK_FACTS.md).
MAX_TEXT = 3900
MAX_SECTION = 2900


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Shorten text to a Slack-safe length, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class OutboundMessage:
    """Text (the notification and accessibility fallback) and optional Block Kit blocks."""

    text: str
    blocks: tuple[dict[str, Any], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", clip(self.text))
        if len(self.blocks) > 50:
            raise ValueError("Slack allows at most 50 blocks per message")

    def payload(self) -> dict[str, Any]:
        """The `text` / `blocks` arguments for chat.postMessage and chat.update."""
        body: dict[str, Any] = {"text": self.text}
        if self.blocks:
            body["blocks"] = list(self.blocks)
        return body


@dataclass(frozen=True)
class InternalMessage(OutboundMessage):
    """For our own team only: cards, alerts, hints. The gateway keeps it out of shared channels."""


_CUSTOMER_SET = object()


@dataclass(frozen=True)
class CustomerMessage(OutboundMessage):
    """Safe for customers; only the builders in `bot.messages.customer*` make one."""

    origin: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.origin is not _CUSTOMER_SET:
            raise TypeError("customer messages are built only by bot.messages.customer")


def customer_message(text: str, blocks: tuple[dict[str, Any], ...] = ()) -> CustomerMessage:
    """Make a customer message; call this only from the `bot.messages.customer*` modules."""
    return CustomerMessage(text=text, blocks=blocks, origin=_CUSTOMER_SET)
