"""Who the app is and where its websocket is: Web API calls made before any gateway exists."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncSlackResponse, AsyncWebClient


async def who_am_i(client: AsyncWebClient) -> AsyncSlackResponse:
    """auth.test: the team, user and bot of the client's token (SlackApiError if refused)."""
    return await client.auth_test()


async def socket_url(client: AsyncWebClient, app_token: str) -> str:
    """apps.connections.open: a fresh websocket URL for Socket Mode (SlackApiError if refused)."""
    opened = await client.apps_connections_open(app_token=app_token)
    return str(opened["url"])
