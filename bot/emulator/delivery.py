"""Signed delivery to the app, as Slack does it: Events API JSON, form-encoded commands and
interactivity, retries with X-Slack-Retry-Num when the app does not acknowledge in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.emulator.faults import ACK_LOST, NOT_DELIVERED, Faults


@dataclass
class Delivery:
    """One request to the app and what became of it (all attempts)."""

    body: bytes
    content_type: str
    event_id: str | None = None
    # Socket Mode's envelope type: events_api, slash_commands or interactive.
    kind: str = "events_api"
    ts: str | None = None
    status: int | str = 0
    response_body: str = ""
    attempts: list[int | str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)  # where each attempt went


class Deliverer:
    """Signs and posts requests to the app's URL, retrying like Slack."""

    def __init__(
        self,
        signing_secret: str,
        retry_delays: tuple[float, ...],
        ack_timeout: float,
        faults: Faults | None = None,
    ):
        self.signing_secret = signing_secret
        self.faults = faults or Faults()
        self.retry_delays = retry_delays
        self.ack_timeout = ack_timeout
        self._signer = SignatureVerifier(signing_secret)
        self._session: aiohttp.ClientSession | None = None
        # Awaited after each delivery: the sandbox waits there for the app to have worked what
        # it acknowledged, so a test's next step sees the result (Slack itself does not wait).
        self.after_send: Callable[[], Awaitable[None]] | None = None

    async def start(self) -> None:
        """Open the HTTP client."""
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._session is not None:
            await self._session.close()

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Slack's signature headers for a raw body."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        signature = self._signer.generate_signature(timestamp=ts, body=body.decode("utf-8"))
        assert signature is not None  # None only without a timestamp or a body
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    async def send(
        self,
        url: str | Callable[[], str],
        delivery: Delivery,
        *,
        retries: bool = True,
        extra_headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> Delivery:
        """Post (with fresh signatures each attempt); retry non-2xx and timeouts like Slack.

        `url` may pick a URL per attempt: behind a load balancer a retry can reach another
        replica.
        """
        pick = url if callable(url) else (lambda: url)
        delays = self.retry_delays if retries else ()
        for attempt in range(len(delays) + 1):
            headers = {"Content-Type": delivery.content_type, **(extra_headers or {})}
            if signed:
                headers.update(self.sign(delivery.body))
            if attempt:
                headers["X-Slack-Retry-Num"] = str(attempt)
                headers["X-Slack-Retry-Reason"] = (
                    "http_timeout" if delivery.status == "timeout" else "http_error"
                )
            target = pick()
            delivery.urls.append(target)
            fault = self.faults.event_attempt(last=attempt == len(delays)) if retries else None
            status: int | str
            if fault == NOT_DELIVERED:
                status, text = "connection_failed: injected", ""
            else:
                status, text = await self._post(target, delivery.body, headers)
                if fault == ACK_LOST:
                    # The app did the work, but Slack never saw its 2xx: it will send it again.
                    status, text = "timeout", ""
            delivery.attempts.append(status)
            delivery.status, delivery.response_body = status, text
            if isinstance(status, int) and 200 <= status < 300:
                break
            if attempt < len(delays):
                await asyncio.sleep(delays[attempt])
        if self.after_send is not None:
            await self.after_send()
        return delivery

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | str, str]:
        assert self._session is not None, "emulator not started"
        try:
            async with self._session.post(
                url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.ack_timeout),
            ) as response:
                return response.status, await response.text()
        except TimeoutError:
            return "timeout", ""
        except aiohttp.ClientError as exc:
            return f"connection_failed: {exc.__class__.__name__}", ""
