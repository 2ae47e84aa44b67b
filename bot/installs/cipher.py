"""Tokens at rest: encrypted with Fernet; several keys (newest first) allow key rotation."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEYS_ENV = "CONNECTDESK_TOKEN_KEYS"
HOW_TO_MAKE_A_KEY = "make one with `connectdesk token-key`"


class TokenKeyError(ValueError):
    """The token encryption key is missing, malformed, or cannot read what is stored."""


class TokenCipher:
    """Encrypts with the first key, decrypts with any (MultiFernet): keys rotate without loss."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise TokenKeyError(
                f"{KEYS_ENV} is not set: installs made with OAuth keep their tokens encrypted"
                f" with it ({HOW_TO_MAKE_A_KEY})"
            )
        fernets = []
        for index, key in enumerate(keys, 1):
            try:
                fernets.append(Fernet(key.encode()))
            except (ValueError, TypeError):
                raise TokenKeyError(
                    f"{KEYS_ENV}: key {index} of {len(keys)} is not a Fernet key (32 url-safe"
                    f" base64 bytes; {HOW_TO_MAKE_A_KEY})"
                ) from None
        self._fernet = MultiFernet(fernets)

    @classmethod
    def from_setting(cls, value: str) -> TokenCipher:
        """From the setting's text: keys separated by commas, the newest (encrypting) first."""
        return cls([k.strip() for k in value.split(",") if k.strip()])

    @staticmethod
    def new_key() -> str:
        """A fresh random key."""
        return Fernet.generate_key().decode()

    def encrypt(self, token: str | None) -> str | None:
        """The token as stored (None stays None)."""
        return None if token is None else self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, stored: str | None) -> str | None:
        """The token from what is stored; TokenKeyError if no key can read it."""
        if stored is None:
            return None
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise TokenKeyError(
                f"no key in {KEYS_ENV} can decrypt a stored token: was the key replaced"
                " instead of rotated? (put the new key first and keep the old one after it)"
            ) from None

    def rotate(self, stored: str | None) -> str | None:
        """The same token encrypted with the newest key (for re-encrypting after rotation)."""
        if stored is None:
            return None
        try:
            return self._fernet.rotate(stored.encode()).decode()
        except InvalidToken:
            raise TokenKeyError(f"no key in {KEYS_ENV} can decrypt a stored token") from None
