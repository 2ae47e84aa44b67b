"""The ingest benchmark's load generator, in a process of its own.

    python -m bench.sender <plan.json> <result.json>

It signs and posts prepared event bodies at a fixed rate (or flat out with N senders) and
writes when each was sent and how long its ack took. Apart from the emulator, which answers the
bot's Web API calls and delivers its echoes, an ack is timed by a loop that does nothing else
(bench/README.md: "How they run").
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
from slack_sdk.signature import SignatureVerifier

ACK_TIMEOUT_SECONDS = 3.0  # Slack's


@dataclass
class Plan:
    """What to send where: bodies in order, at `rate` a second (0: flat out), each to the
    next of `urls` in turn (round-robin over replicas)."""

    urls: list[str]
    secret: str
    rate: int
    concurrency: int
    bodies: list[str]


@dataclass
class Outcome:
    """Per body (in plan order): wall-clock send time, ack ms, status; generator lag ms."""

    sent_at: list[float] = field(default_factory=list)
    ack_ms: list[float] = field(default_factory=list)
    status: list[int | str] = field(default_factory=list)
    lag_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0


async def send(plan: Plan) -> Outcome:
    """Send every body of the plan; what happened to each."""
    signer = SignatureVerifier(plan.secret)
    count = len(plan.bodies)
    out = Outcome([0.0] * count, [0.0] * count, [0] * count)

    async with aiohttp.ClientSession() as session:

        async def one(index: int) -> None:
            body = plan.bodies[index]
            stamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signer.generate_signature(timestamp=stamp, body=body),
            }
            out.sent_at[index] = time.time()
            started = time.perf_counter()
            try:
                async with session.post(
                    plan.urls[index % len(plan.urls)],
                    data=body.encode(),
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=ACK_TIMEOUT_SECONDS),
                ) as response:
                    await response.read()
                    out.status[index] = response.status
            except TimeoutError:
                out.status[index] = "timeout"
            except aiohttp.ClientError as exc:
                out.status[index] = f"connection_failed: {type(exc).__name__}"
            out.ack_ms[index] = (time.perf_counter() - started) * 1000

        began = time.perf_counter()
        if plan.rate <= 0:
            queue = iter(range(count))

            async def sender() -> None:
                for index in queue:
                    await one(index)

            await asyncio.gather(*(sender() for _ in range(plan.concurrency)))
        else:
            tasks = []
            for index in range(count):
                due = began + index / plan.rate
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                out.lag_ms.append(max(0.0, time.perf_counter() - due) * 1000)
                tasks.append(asyncio.create_task(one(index)))
            await asyncio.gather(*tasks)
        out.seconds = time.perf_counter() - began
    return out


def main(argv: list[str]) -> int:
    """Read the plan, send, write the outcome."""
    plan_path, result_path = Path(argv[0]), Path(argv[1])
    plan = Plan(**json.loads(plan_path.read_text()))
    outcome = asyncio.run(send(plan))
    result_path.write_text(json.dumps(asdict(outcome)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
