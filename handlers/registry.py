"""What the app listens to, in one place: the manifest test checks it against manifest.yml."""

from bot.messages.customer_csat import COMMENT_ACTION, COMMENT_CALLBACK, RATE_ACTIONS
from bot.messages.customer_kb import ACTIONS as KB_ANSWER_ACTIONS
from bot.messages.drafts import DRAFT_CALLBACK, DRAFT_EDIT_ACTION
from bot.messages.home import HOME_CLAIM_ACTION, HOME_RESOLVE_ACTION
from bot.messages.incident_modal import DECLARE_CALLBACK
from bot.messages.internal import CLAIM_ACTION, ESCALATE_ACTION, RESOLVE_ACTION
from bot.messages.kb_card import SEND_ACTION as KB_SEND_ACTION

# Events API event types the listeners handle (manifest bot_events are their subscriptions).
EVENTS = (
    "message",
    "member_joined_channel",
    "channel_shared",
    "app_uninstalled",
    "tokens_revoked",
    "app_home_opened",
)
# Manifest subscriptions that deliver those events: message arrives per conversation type.
EVENT_SUBSCRIPTIONS = (
    "message.channels",
    "message.groups",
    "member_joined_channel",
    "channel_shared",
    "app_uninstalled",
    "tokens_revoked",
    "app_home_opened",
)
COMMANDS = ("/desk",)
# Buttons on the triage card (the team's), on the satisfaction survey (the customer's), and on
# the App Home (which, unlike the others, has no response_url to answer by).
DESK_ACTIONS = (CLAIM_ACTION, RESOLVE_ACTION, ESCALATE_ACTION)
CSAT_ACTIONS = (*RATE_ACTIONS, COMMENT_ACTION)
HOME_ACTIONS = (HOME_CLAIM_ACTION, HOME_RESOLVE_ACTION)
# The card's *Send to customer* (the team's) and the bot's answer's two buttons (the customer's).
KB_ACTIONS = (KB_SEND_ACTION, *KB_ANSWER_ACTIONS)
# "Edit and send" on a reply draft in a card's thread.
DRAFT_ACTIONS = (DRAFT_EDIT_ACTION,)
ACTIONS = (*DESK_ACTIONS, *CSAT_ACTIONS, *HOME_ACTIONS, *KB_ACTIONS, *DRAFT_ACTIONS)
# Modal submissions (callback ids of the views we open).
VIEWS = (DECLARE_CALLBACK, COMMENT_CALLBACK, DRAFT_CALLBACK)
# Web API methods the gateway calls (the manifest test derives the scopes from Slack's spec).
WEB_API_METHODS = (
    "api.test",
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
    "views.publish",
    # files_upload_v2 (reports' charts): announce, then share; the bytes go to a URL.
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
)
# The bot scopes an OAuth install asks for (the manifest test checks manifest.yml has these).
BOT_SCOPES = (
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
    "chat:write",
    "im:write",
    "im:history",
    "reactions:write",
    "users:read",
    "files:write",
    "commands",
)
