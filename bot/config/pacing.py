"""Slack's posting limits as the desk's pacing defaults, stated once."""

from __future__ import annotations

# Slack: about one message per second per channel.
CHANNEL_INTERVAL = 1.0
# Workspace-wide, (calls, seconds). Conservative: Slack's posting limit is unpublished.
POSTS_BUDGET = (10, 6.0)
# chat.update is Tier 3: about 50 a minute per workspace.
EDITS_BUDGET = (50, 60.0)
# A post with work to do right before it (a broadcast writes down that the post is being sent)
# takes its place in the posts budget up to this long before the place frees, and does that work
# meanwhile. At most the budget's places are taken at once, early or not.
PREPARE_AHEAD = 0.25
