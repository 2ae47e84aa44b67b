"""Reading a running connectdesk's /metrics and /readyz over HTTP, as Prometheus would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Scrape:
    """One /metrics answer: its text and every sample in it."""

    text: str
    samples: list[tuple[str, dict[str, str], float]]

    def value(self, name: str, **labels: str) -> float | None:
        """The sample with exactly these labels, or None if there is none."""
        for sample, have, value in self.samples:
            if sample == name and have == labels:
                return value
        return None

    def total(self, name: str, **labels: str) -> float:
        """The sum of the samples of `name` whose labels include `labels`."""
        return sum(
            value
            for sample, have, value in self.samples
            if sample == name and all(have.get(k) == v for k, v in labels.items())
        )

    def labels(self, name: str) -> list[dict[str, str]]:
        """The label sets `name` has samples for."""
        return [have for sample, have, _value in self.samples if sample == name]


def base_of(events_url: str) -> str:
    """http://host:port of a bot, from the URL Slack posts events to."""
    return events_url.rsplit("/slack/events", 1)[0]


async def scrape(base: str) -> Scrape:
    """GET /metrics and parse it with prometheus_client's own parser."""
    async with aiohttp.ClientSession() as session, session.get(f"{base}/metrics") as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    samples = [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]
    return Scrape(text, samples)


async def get_json(url: str) -> tuple[int, Any]:
    """The status and JSON body of a GET."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()
