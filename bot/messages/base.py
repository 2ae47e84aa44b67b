"""The two kinds of outbound message; only the customer kind may enter a shared channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.messages.markup import Mrkdwn, clip

# Slack truncates `text` past 40,000 characters; we keep well under (SLACK_FACTS.md).
MAX_TEXT = 3900
MAX_SECTION = 2900


@dataclass(frozen=True)
class OutboundMessage:
    """Text (the notification and accessibility fallback) and optional Block Kit blocks.

    Text that is not `Mrkdwn` (built with `bot.messages.markup`) is someone's words and is
    escaped whole, in `text` and in the blocks' mrkdwn text objects alike.
    """

    text: str
    blocks: tuple[dict[str, Any], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", clip(Mrkdwn.escape(self.text), MAX_TEXT))
        if len(self.blocks) > 50:
            raise ValueError("Slack allows at most 50 blocks per message")
        object.__setattr__(
            self, "blocks", tuple(_mrkdwn_texts(b, Mrkdwn.escape) for b in self.blocks)
        )

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


# Slack: a Home tab holds at most 100 blocks (SLACK_FACTS.md).
MAX_HOME_BLOCKS = 100


@dataclass(frozen=True)
class HomeView:
    """Someone's App Home tab (views.publish). Mrkdwn text that is not `Mrkdwn` is escaped."""

    blocks: tuple[dict[str, Any], ...]

    def __post_init__(self) -> None:
        if len(self.blocks) > MAX_HOME_BLOCKS:
            raise ValueError(f"Slack allows at most {MAX_HOME_BLOCKS} blocks in a Home tab")
        object.__setattr__(
            self, "blocks", tuple(_mrkdwn_texts(b, Mrkdwn.escape) for b in self.blocks)
        )

    def view(self) -> dict[str, Any]:
        """The `view` argument of views.publish."""
        return {"type": "home", "blocks": list(self.blocks)}


@dataclass(frozen=True)
class InternalHome(HomeView):
    """A Home for one of our own people: tickets, SLA state, the team's figures."""


@dataclass(frozen=True)
class CustomerHome(HomeView):
    """A Home safe for anyone; only `bot.messages.customer` builds one."""

    origin: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.origin is not _CUSTOMER_SET:
            raise TypeError("customer Homes are built only by bot.messages.customer")


def customer_home(blocks: tuple[dict[str, Any], ...]) -> CustomerHome:
    """Make a customer Home; call this only from the `bot.messages.customer*` modules."""
    return CustomerHome(blocks=blocks, origin=_CUSTOMER_SET)


def stored_message(payload: dict[str, Any]) -> InternalMessage:
    """An internal message back from the payload it was stored as (built, so markup, already)."""
    blocks = tuple(_mrkdwn_texts(b, Mrkdwn) for b in payload.get("blocks") or ())
    return InternalMessage(text=Mrkdwn(str(payload.get("text") or "")), blocks=blocks)


def _mrkdwn_texts(value: Any, treat: Callable[[str], Mrkdwn]) -> Any:
    """`value` with `treat` applied to the text of every mrkdwn text object in it."""
    if isinstance(value, dict):
        out = {k: _mrkdwn_texts(v, treat) for k, v in value.items()}
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            out["text"] = treat(value["text"])
        return out
    if isinstance(value, list | tuple):
        return [_mrkdwn_texts(v, treat) for v in value]
    return value


def customer_message(text: str, blocks: tuple[dict[str, Any], ...] = ()) -> CustomerMessage:
    """Make a customer message; call this only from the `bot.messages.customer*` modules."""
    return CustomerMessage(text=text, blocks=blocks, origin=_CUSTOMER_SET)
