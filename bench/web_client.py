"""Web API client benchmark: the CPU one chat.postMessage costs the calling process.

    uv run python -m bench.web_client [--calls 5000] [--repeat 3]

A tiny aiohttp server in a process of its own answers every call at once with Slack's
success JSON; this process makes `--calls` sequential chat.postMessage calls through each
client, all on one shared session (as bot/app.py runs them), and reads its own CPU time
(user + system) around them. Three clients, each made as make_client makes the bot's (the
same token, replica header and retry handlers, every call counted):
- `slack_sdk`: slack_sdk's plain AsyncWebClient, what the bot used before issue 21;
- `lean`: bot/slack/lean_client.py's LeanWebClient, what make_client returns now;
- `aiohttp alone`: `session.post(url, data=json bytes, headers=...)` and `json.loads`, the
  floor any client on aiohttp pays (no retries, no counting, no response object).
Medians of `--repeat` rounds; the clients take turns within a round (their order alternates),
after a warm-up of their own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bench import arguments
from bench.machine import describe
from bench.stats import median, table
from bot.slack.http_session import SharedSession
from bot.slack.transport import make_client

TOKEN = "xoxb-bench"
CHANNEL = "C0BENCH"
TEXT = "Thanks, we got your request: someone from support will answer here."
ANSWER = {"ok": True, "channel": CHANNEL, "ts": "1700000000.000100", "message": {"text": TEXT}}
CLIENTS = ("slack_sdk", "lean", "aiohttp alone")
READY = "listening on "

Call = Callable[[], Awaitable[Any]]


async def _answer(request: web.Request) -> web.Response:
    await request.read()
    return web.json_response(ANSWER)


async def serve() -> None:
    """The stand-in for Slack: answers every Web API call with success, until killed."""
    app = web.Application()
    app.router.add_post("/api/{method}", _answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"{READY}{port}", flush=True)
    await asyncio.Event().wait()


def _calls(session: aiohttp.ClientSession, api_url: str, counted: Counter[str]) -> dict[str, Call]:
    """One chat.postMessage through each client, as the bot's Transport.post makes it."""

    def count(method: str, outcome: str) -> None:
        counted[f"{method} {outcome}"] += 1

    lean = make_client(TOKEN, api_url, "bench", count_calls=count)
    lean.session = session
    # Built as make_client built it before: the same settings, handlers and header.
    plain = AsyncWebClient(
        token=TOKEN,
        base_url=lean.base_url,
        session=session,
        headers={"X-Connectdesk-Replica": "bench"},
        retry_handlers=list(lean.retry_handlers),
    )
    url = f"{api_url.rstrip('/')}/chat.postMessage"
    headers = {"Content-Type": "application/json;charset=utf-8", "Authorization": f"Bearer {TOKEN}"}

    async def raw() -> Any:
        body = json.dumps({"channel": CHANNEL, "text": TEXT, "unfurl_links": False}).encode()
        async with session.post(url, data=body, headers=headers) as res:
            return json.loads(await res.read())

    def through(client: AsyncWebClient) -> Call:
        async def call() -> Any:
            response = await client.chat_postMessage(channel=CHANNEL, text=TEXT, unfurl_links=False)
            return response["ts"]

        return call

    return {"slack_sdk": through(plain), "lean": through(lean), "aiohttp alone": raw}


async def _cpu_per_call(call: Call, calls: int, warmup: int) -> tuple[float, float]:
    """CPU and wall microseconds per call of `calls` sequential ones, after a warm-up."""
    for _ in range(warmup):
        await call()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        await call()
    return (
        (time.process_time() - cpu) / calls * 1e6,
        (time.perf_counter() - wall) / calls * 1e6,
    )


async def run(calls: int = 5000, repeat: int = 3, warmup: int = 200) -> dict[str, Any]:
    """Median CPU and wall µs per call for each client, against a server in another process."""
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.web_client", "--serve", stdout=asyncio.subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        line = (await asyncio.wait_for(server.stdout.readline(), 30)).decode()
        if not line.startswith(READY):
            raise RuntimeError(f"the server did not start: {line!r}")
        api_url = f"http://127.0.0.1:{line[len(READY) :].strip()}/api/"
        counted: Counter[str] = Counter()
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in CLIENTS}
        async with SharedSession() as session:
            clients = _calls(session, api_url, counted)
            for round_ in range(repeat):
                order = CLIENTS if round_ % 2 == 0 else CLIENTS[::-1]
                for name in order:
                    samples[name].append(await _cpu_per_call(clients[name], calls, warmup))
    finally:
        server.terminate()
        await server.wait()
    figures = {
        name: {
            "cpu_us": median([cpu for cpu, _ in runs]),
            "wall_us": median([wall for _, wall in runs]),
        }
        for name, runs in samples.items()
    }
    return {
        "machine": describe(),
        "calls": calls,
        "repeat": repeat,
        "figures": figures,
        "lean_to_sdk": figures["lean"]["cpu_us"] / figures["slack_sdk"]["cpu_us"],
        # Both clients' calls as their shared CallCounter heard them (their retry handlers ran).
        "counted": dict(counted),
    }


def render(report: dict[str, Any]) -> str:
    """The report as text: the table, then the lean client against slack_sdk's."""
    figures = report["figures"]
    floor = figures["aiohttp alone"]["cpu_us"]
    sdk, lean = figures["slack_sdk"]["cpu_us"], figures["lean"]["cpu_us"]
    return "\n".join(
        [
            f"machine: {report['machine']}",
            f"medians of {report['repeat']} rounds of {report['calls']} sequential "
            "chat.postMessage calls per client",
            "",
            table(
                ["client", "CPU µs/call", "over aiohttp µs", "wall µs/call"],
                [
                    [
                        name,
                        f"{row['cpu_us']:.0f}",
                        f"{row['cpu_us'] - floor:.0f}",
                        f"{row['wall_us']:.0f}",
                    ]
                    for name, row in figures.items()
                ],
            ),
            "",
            f"lean / slack_sdk CPU per call: {report['lean_to_sdk']:.2f} "
            f"({sdk - lean:.0f} µs less per call)",
        ]
    )


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m bench.web_client", description=__doc__)
    p.add_argument("--calls", type=arguments.positive_int, default=5000)
    p.add_argument("--repeat", type=arguments.positive_int, default=3)
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None) -> dict[str, Any] | None:
    """Command line entry: run, print, return the report (or be the server, with --serve)."""
    args = parser().parse_args(argv)
    if args.serve:
        asyncio.run(serve())
        return None
    report = asyncio.run(run(args.calls, args.repeat))
    print(render(report))
    return report


if __name__ == "__main__":
    main()
