"""Someone installs the app by OAuth in a browser, or removes it from their workspace."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode

import aiohttp

from bot.emulator.app_link import AppLink
from bot.emulator.delivery import Delivery
from bot.emulator.oauth import OAuthServer
from bot.emulator.workspace import Workspace


class Installing:
    """The app coming into a workspace (as a browser would), and leaving it (as Slack tells)."""

    def __init__(self, ws: Workspace, oauth: OAuthServer, link: AppLink) -> None:
        self.ws = ws
        self.oauth = oauth
        self.link = link

    async def install_app(self, install_url: str, user_id: str, *, org_wide: bool = False) -> str:
        """Someone installs the app by OAuth, as in a browser: the app's install page, Slack's
        Allow (as `user_id`), back to the app's redirect. The page the app ends on (its text).

        The app's state cookie is carried by hand: it is `Secure`, and this browser talks
        plain HTTP to 127.0.0.1 (as browsers do for localhost).
        """
        async with aiohttp.ClientSession() as browser:
            async with browser.get(install_url, allow_redirects=False) as page:
                text = await page.text()
                cookies = "; ".join(
                    morsel.split(";", 1)[0] for morsel in page.headers.getall("Set-Cookie", [])
                )
                if page.status in (301, 302, 303):
                    authorize = page.headers["Location"]
                else:
                    found = re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', text)
                    if found is None:
                        raise ValueError(f"no Add to Slack link on the install page: {text[:300]}")
                    authorize = html.unescape(found.group(1))
            extra = {"user": user_id, **({"org_wide": "1"} if org_wide else {})}
            async with browser.get(f"{authorize}&{urlencode(extra)}", allow_redirects=False) as ok:
                if ok.status != 302:
                    return await ok.text()
                back = ok.headers["Location"]
            async with browser.get(back, headers={"Cookie": cookies}) as done:
                return await done.text()

    async def uninstall(self, key: str) -> list[Delivery]:
        """The app is removed from a workspace (or org): its tokens stop working, and the app
        hears `tokens_revoked` and `app_uninstalled`, as from Slack."""
        install = next((i for i in self.ws.installs if i.key == key), None)
        if install is None:
            raise ValueError(f"the app is not installed in {key}")
        self.oauth.revoke(key)
        sent = [
            await self.link.deliver_event(
                {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [install.bot_user_id]}},
                install=install,
            ),
            await self.link.deliver_event({"type": "app_uninstalled"}, install=install),
        ]
        self.ws.remove_install(key)
        return sent
