"""Links to Slack messages, built the way `chat.getPermalink` answers them.

A ticket's card, alerts and pings each link the customer's message; asking Slack for each
link was one Web API call per ticket, for an address that follows from the workspace's URL
(auth.test's `url`), the channel and the message's ts.
"""

from __future__ import annotations

from urllib.parse import urlencode


def message_link(workspace_url: str, channel: str, ts: str, thread_ts: str | None = None) -> str:
    """`https://<workspace>.slack.com/archives/<channel>/p<ts without its dot>`, with the
    thread named for a reply (`?thread_ts=…&cid=…`), as chat.getPermalink gives it."""
    base = workspace_url if workspace_url.endswith("/") else workspace_url + "/"
    link = f"{base}archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += "?" + urlencode({"thread_ts": thread_ts, "cid": channel})
    return link
