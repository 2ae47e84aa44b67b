"""`connectdesk manifest`, `token-key` and `tokens`: what setting an app up needs."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config.settings import Settings


def add_setup_parsers(
    sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser] | None = None
) -> None:
    """Register `manifest`, `token-key` and `tokens reencrypt`."""
    parents = parents or []
    manifest = sub.add_parser(
        "manifest",
        parents=parents,
        help="print the Slack app manifest (for HTTP, Socket Mode or OAuth installs)",
        description=(
            "Print the app manifest to paste into api.slack.com/apps (Create New App > From an"
            " app manifest). HTTP by default, at --url; --socket-mode needs no public URL."
        ),
    )
    manifest.add_argument(
        "--url", default=None, help="the public base URL of `serve` (default an example host)"
    )
    manifest.add_argument(
        "--socket-mode",
        action="store_true",
        help="Socket Mode: no request URLs (create an app-level token with connections:write)",
    )
    manifest.add_argument(
        "--oauth",
        action="store_true",
        help="installs in many workspaces by OAuth: the redirect URL and org-wide deploys",
    )
    manifest.add_argument(
        "--token-rotation", action="store_true", help="rotating bot tokens (with --oauth)"
    )
    sub.add_parser(
        "token-key",
        parents=parents,
        help="print a new key for CONNECTDESK_TOKEN_KEYS (OAuth tokens at rest)",
        description=(
            "Print a new Fernet key. To rotate keys, put the new one first and keep the old one"
            " after it (CONNECTDESK_TOKEN_KEYS=new,old), run `connectdesk tokens reencrypt`,"
            " then drop the old key."
        ),
    )
    tokens = sub.add_parser(
        "tokens",
        parents=parents,
        help="OAuth install tokens at rest: reencrypt",
        description="Manage the encrypted tokens of OAuth installs.",
    )
    actions = tokens.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")
    actions.add_parser(
        "reencrypt",
        parents=parents,
        help="encrypt every stored token with the first key of CONNECTDESK_TOKEN_KEYS",
        description="Encrypt every stored token with the newest key (after adding one).",
    )


def cmd_manifest(args: argparse.Namespace) -> int:
    """Print the manifest asked for."""
    from bot.cli.manifest import EXAMPLE_HOST, build_manifest, manifest_yaml

    if args.token_rotation and not args.oauth:
        print("--token-rotation needs --oauth (rotation is for OAuth installs)", file=sys.stderr)
        return 2
    url = args.url or EXAMPLE_HOST
    if not url.startswith("https://") and not args.socket_mode:
        print(f"--url must be an https:// URL Slack can reach, not {url!r}", file=sys.stderr)
        return 2
    manifest = build_manifest(
        url, socket_mode=args.socket_mode, oauth=args.oauth, token_rotation=args.token_rotation
    )
    print(manifest_yaml(manifest), end="")
    return 0


def cmd_token_key() -> int:
    """Print a fresh key."""
    from bot.installs.cipher import TokenCipher

    print(TokenCipher.new_key())
    return 0


def cmd_tokens(settings: Settings) -> int:
    """Re-encrypt every stored token with the newest key."""
    return asyncio.run(_reencrypt(settings))


async def _reencrypt(settings: Settings) -> int:
    from bot.installs.cipher import TokenCipher, TokenKeyError
    from bot.installs.store import EncryptedInstallationStore
    from store.db import make_engine

    if not settings.oauth:
        print(
            "tokens: set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (OAuth installs)", file=sys.stderr
        )
        return 1
    keys = settings.token_keys.get_secret_value() if settings.token_keys else ""
    engine = make_engine(settings.database_url)
    try:
        cipher = TokenCipher.from_setting(keys)
        store = EncryptedInstallationStore(settings.slack_client_id or "", engine, cipher)
        changed = await store.reencrypt()
    except TokenKeyError as exc:
        print(f"{exc}.", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    print(f"re-encrypted the tokens of {changed} stored row(s) with the newest key")
    return 0
