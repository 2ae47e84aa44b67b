"""OAuth v2 as Slack runs it, for installing the app in more than one workspace.

`/oauth/v2/authorize` stands for the page where someone clicks Allow (the emulator is told who
that someone is); it redirects to the app's `redirect_uri` with a one-time `code`, which the
app exchanges at `oauth.v2.access` for a bot token. With token rotation on, tokens expire and
`grant_type=refresh_token` hands out new ones. Uninstalling revokes every token of that install.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.emulator.webapi import Answer, ApiError
from bot.emulator.workspace import Install, Team, Workspace

AUTHORIZE_PATH = "/oauth/v2/authorize"


@dataclass
class Token:
    """A bot token handed out by OAuth: whose, and until when (None: no expiry)."""

    install: Install
    expires_at: float | None = None
    revoked: bool = False


@dataclass
class OAuthServer:
    """The app's client credentials, the codes waiting to be exchanged and every token."""

    ws: Workspace
    client_id: str = "1111.2222"
    client_secret: str = "emulator-client-secret"
    # Token rotation (an app setting): tokens expire after this many seconds; None: never.
    token_lifetime: float | None = None
    scopes: str = ""
    # The app's Redirect URL (its OAuth settings); an authorize request may name it or none.
    redirect_uri: str = ""
    tokens: dict[str, Token] = field(default_factory=dict)
    _codes: dict[str, tuple[Install, str, str]] = field(default_factory=dict)  # + installer
    _refresh: dict[str, Install] = field(default_factory=dict)
    _bots: itertools.count = field(default_factory=lambda: itertools.count(2))

    def mount(self, app: web.Application) -> None:
        """Serve the authorize page on the emulator's HTTP app."""
        app.router.add_get(AUTHORIZE_PATH, self._authorize)

    def add_token(self, token: str, install: Install) -> None:
        """A token the app was given some other way (a single-workspace install)."""
        self.tokens[token] = Token(install)

    def check(self, token: str) -> Install | str:
        """The install a bot token acts for, or Slack's error for it."""
        known = self.tokens.get(token)
        if known is None:
            return "invalid_auth"
        if known.revoked:
            return "token_revoked"
        if known.expires_at is not None and time.time() >= known.expires_at:
            return "token_expired"
        return known.install

    def revoke(self, key: str) -> list[str]:
        """Every token of an install stops working (uninstalled); the tokens revoked."""
        revoked = []
        for token, held in self.tokens.items():
            if held.install.key == key and not held.revoked:
                held.revoked = True
                revoked.append(token)
        self._refresh = {r: i for r, i in self._refresh.items() if i.key != key}
        return revoked

    def _install_for(self, user_id: str, org_wide: bool) -> Install:
        user = self.ws.users.get(user_id)
        if user is None:
            raise web.HTTPBadRequest(text=f"no such user {user_id}")
        team = self.ws.teams[user.team_id]
        existing = next(
            (
                i
                for i in self.ws.installs
                if i.team.id == team.id or (org_wide and i.enterprise_id == team.enterprise_id)
            ),
            None,
        )
        if existing is not None:
            return existing  # a reinstall keeps the same bot user
        n = next(self._bots)
        install = Install(
            team=Team(team.id, team.name, team.enterprise_id),
            bot_user_id=f"U{n:02d}BOT{team.id[-4:]}",
            bot_id=f"B{n:02d}BOT{team.id[-4:]}",
            enterprise_id=team.enterprise_id,
            is_enterprise_install=org_wide,
        )
        return self.ws.add_install(install)

    async def _authorize(self, request: web.Request) -> web.Response:
        """Someone (`?user=`, the emulator's stand-in for a signed-in browser) clicks Allow."""
        query = request.query
        if query.get("client_id") != self.client_id:
            return web.Response(status=400, text="invalid_client_id")
        redirect = query.get("redirect_uri") or self.redirect_uri
        if not redirect or (self.redirect_uri and redirect != self.redirect_uri):
            return web.Response(status=400, text="bad_redirect_uri")
        installer = query.get("user", "")
        install = self._install_for(installer, query.get("org_wide") == "1")
        code = secrets.token_hex(8)
        self._codes[code] = (install, redirect, installer)
        target = f"{redirect}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        raise web.HTTPFound(target)

    def _client_ok(self, params: dict[str, Any], authorization: str) -> bool:
        client_id, secret = params.get("client_id"), params.get("client_secret")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = decoded.partition(":")
        return client_id == self.client_id and secret == self.client_secret

    def _mint(self, install: Install) -> dict[str, Any]:
        prefix = "xoxe.xoxb" if self.token_lifetime else "xoxb"
        token = f"{prefix}-{install.team.id}-{secrets.token_hex(12)}"
        expires = time.time() + self.token_lifetime if self.token_lifetime else None
        self.tokens[token] = Token(install, expires)
        answer: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        if self.token_lifetime:
            refresh = f"xoxe-1-{secrets.token_hex(16)}"
            self._refresh[refresh] = install
            answer.update(refresh_token=refresh, expires_in=int(self.token_lifetime))
        return answer

    async def access(self, params: dict[str, Any], authorization: str) -> Answer:
        """`oauth.v2.access`: a code (or, with rotation, a refresh token) for a bot token."""
        if not self._client_ok(params, authorization):
            raise ApiError("invalid_client_id")
        if params.get("grant_type") == "refresh_token":
            install = self._refresh.pop(str(params.get("refresh_token") or ""), None)
            if install is None:
                raise ApiError("invalid_refresh_token")
            return {"ok": True, **self._mint(install), **self._who(install, "")}
        pending = self._codes.pop(str(params.get("code") or ""), None)
        if pending is None:
            raise ApiError("invalid_code")
        install, redirect, installer = pending
        if params.get("redirect_uri") and params["redirect_uri"] != redirect:
            raise ApiError("bad_redirect_uri")
        return {"ok": True, **self._mint(install), **self._who(install, installer)}

    def _who(self, install: Install, installer: str) -> dict[str, Any]:
        enterprise = (
            {"id": install.enterprise_id, "name": f"Org {install.enterprise_id}"}
            if install.enterprise_id
            else None
        )
        return {
            "scope": self.scopes,
            "bot_user_id": install.bot_user_id,
            "app_id": "A0CONNECTDESK",
            "team": None
            if install.is_enterprise_install
            else {"id": install.team.id, "name": install.team.name},
            "enterprise": enterprise,
            "is_enterprise_install": install.is_enterprise_install,
            "authed_user": {"id": installer} if installer else {},
        }
