"""What the app listens to, in one place: the manifest test checks it against manifest.yml."""

from bot.messages.incident_modal import DECLARE_CALLBACK
from bot.messages.internal import CLAIM_ACTION, ESCALATE_ACTION, RESOLVE_ACTION

# Events API event types the listeners handle (manifest bot_events are their subscriptions).
EVENTS = ("message", "member_joined_channel", "channel_shared")
# Manifest subscriptions that deliver those events: message arrives per conversation type.
EVENT_SUBSCRIPTIONS = (
    "message.channels",
    "message.groups",
    "member_joined_channel",
    "channel_shared",
)
COMMANDS = ("/desk",)
ACTIONS = (CLAIM_ACTION, RESOLVE_ACTION, ESCALATE_ACTION)
# Modal submissions (callback ids of the views we open).
VIEWS = (DECLARE_CALLBACK,)
# Web API methods the gateway calls (the manifest test derives the scopes from Slack's spec).
WEB_API_METHODS = (
    "auth.test",
    "chat.postMessage",
    "chat.update",
    "chat.getPermalink",
    "reactions.add",
    "reactions.remove",
    "users.info",
    "conversations.info",
    "conversations.history",
    "conversations.replies",
    "conversations.open",
    "views.open",
)
