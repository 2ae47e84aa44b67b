"""A local Slack workspace over real HTTP for the demo, tests and benchmarks."""

from bot.emulator.calls import ApiCall
from bot.emulator.delivery import Delivery
from bot.emulator.emulator import Emulator
from bot.emulator.faults import Faults
from bot.emulator.queries import SeenMessage
from bot.emulator.workspace import Channel, StoredFile, StoredMessage, Team, User, Workspace

__all__ = [
    "ApiCall",
    "Channel",
    "Delivery",
    "Emulator",
    "Faults",
    "SeenMessage",
    "StoredFile",
    "StoredMessage",
    "Team",
    "User",
    "Workspace",
]
