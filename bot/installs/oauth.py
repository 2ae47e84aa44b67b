"""Installing the app by OAuth: Bolt's flow on the desk's database, and what follows an install.

Bolt serves `/slack/install` (an "Add to Slack" page with a state cookie) and
`/slack/oauth_redirect` (checks the state, exchanges the code at `oauth.v2.access`, saves the
installation). The state lives in the desk's database, so any replica can finish a flow
another started; tokens are saved through the encrypting store.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.installs.store import EncryptedInstallationStore
from store.models import slack_oauth_states

log = logging.getLogger("connectdesk.oauth")

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600
SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"


def authorize_url(api_url: str | None) -> str:
    """Slack's authorize page beside its Web API (`…/api/` → `…/oauth/v2/authorize`)."""
    if not api_url:
        return SLACK_AUTHORIZE_URL
    root = api_url.rstrip("/").removesuffix("/api")
    return f"{root}/oauth/v2/authorize"


def oauth_settings(
    *,
    client_id: str,
    client_secret: str,
    scopes: list[str],
    store: EncryptedInstallationStore,
    engine: AsyncEngine,
    api_url: str | None,
    redirect_uri: str | None,
    on_installed: Callable[[Installation], Awaitable[None]],
) -> AsyncOAuthSettings:
    """Bolt's OAuth settings: our stores, Slack's (or the emulator's) authorize page, and
    `on_installed` run after each installation is saved, before the success page."""
    states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)
    states.oauth_states = slack_oauth_states  # the desk's table (created by the migrations)

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        try:
            await on_installed(args.installation)
        except Exception:  # the install itself is saved; what follows is redone at start
            log.exception("after installing in %s", args.installation.team_id)
        return await args.default.success(args)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        log.warning("an install did not complete: %s", args.reason)
        return await args.default.failure(args)

    return AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=scopes,
        redirect_uri=redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorize_url(api_url),
        installation_store=store,
        installation_store_bot_only=True,
        state_store=states,
        state_expiration_seconds=STATE_SECONDS,
        callback_options=AsyncCallbackOptions(success=success, failure=failure),
        logger=log,
    )


def add_oauth_routes(app: web.Application, bolt: AsyncApp) -> None:
    """`GET /slack/install` and `GET /slack/oauth_redirect`, answered by Bolt's OAuth flow."""
    flow = bolt.oauth_flow
    if flow is None:
        return

    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_installation(_bolt(request)))

    async def redirect(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_callback(_bolt(request)))

    app.router.add_get(INSTALL_PATH, install)
    app.router.add_get(REDIRECT_PATH, redirect)


def _bolt(request: web.Request) -> AsyncBoltRequest:
    return AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))
