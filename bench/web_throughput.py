"""Web chat throughput over real sockets: HTTP chat clients and WebSocket conversations against
one server, next to a trivial endpoint of the same server (`GET /chat/health`, the floor).

    .venv/bin/python bench/web_throughput.py [--url URL | --database-url URL]
        [--http-clients 50] [--sockets 500] [--turns 4] [--floor-requests 5000]

Without `--url` it starts `salesagent serve` on a free local port with a fresh SQLite demo
shop, or on `--database-url` (an empty database: it is migrated and seeded), with the rate
limits off (every client shares one address), and stops it at the end. Prints, per
phase, requests or turns per second and p50/p99 latency, and each chat figure's ratio to the
floor measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from local_server import database_label, measure_server
from websockets.asyncio.client import ClientConnection, connect

SCRIPT = [
    "hola",
    "¿tienen extintores de 10 libras?",
    "¿cuánto vale el casco dieléctrico?",
    "quiero 2 guantes de carnaza",
    "¿cuál es el horario de atención?",
    "muéstrame el carrito",
]


@dataclass(slots=True)
class Phase:
    """The latencies (seconds) and failures of one phase, and how long it took."""

    label: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def run_clients(phase: Phase, client: Callable[[int], Awaitable[None]]) -> Phase:
    started = time.perf_counter()
    await asyncio.gather(*(client(number) for number in range(phase.clients)))
    phase.seconds = time.perf_counter() - started
    return phase


async def floor(url: str, clients: int, requests: int) -> Phase:
    """GET /chat/health from `clients` concurrent clients, `requests` in all."""
    phase = Phase("GET /chat/health (floor)", clients)
    each = max(1, requests // clients)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:

        async def client(_number: int) -> None:
            for _ in range(each):
                started = time.perf_counter()
                response = await http.get("/chat/health")
                if response.status_code == 200:
                    phase.latencies.append(time.perf_counter() - started)
                else:
                    phase.errors += 1

        return await run_clients(phase, client)


async def http_chat(url: str, clients: int, turns: int) -> Phase:
    """`clients` HTTP conversations, each sending `turns` scripted messages one after another."""
    phase = Phase("POST /chat/text (turns)", clients)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    run = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:

        async def client(number: int) -> None:
            for turn in range(turns):
                body = {"chat_id": f"bench-http-{run}-{number}", "message": SCRIPT[turn % 6]}
                started = time.perf_counter()
                response = await http.post("/chat/text", json=body)
                if response.status_code == 200 and response.json().get("reply"):
                    phase.latencies.append(time.perf_counter() - started)
                else:
                    phase.errors += 1

        return await run_clients(phase, client)


async def websocket_chat(url: str, sockets: int, turns: int) -> tuple[Phase, float]:
    """`sockets` WebSocket conversations opened together, each sending `turns` messages."""
    phase = Phase("WebSocket turns", sockets)
    run = uuid.uuid4().hex[:6]
    base = "ws" + url.removeprefix("http")
    opened = asyncio.Event()
    ready = 0
    connect_started = time.perf_counter()
    connect_seconds = 0.0

    async def turn(ws: ClientConnection, text: str) -> None:
        await ws.send(json.dumps({"type": "message", "message": text}))
        started = time.perf_counter()
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 120))
            if event["type"] == "error":
                phase.errors += 1
                return
            if event["type"] == "response_end":
                if event.get("reply"):
                    phase.latencies.append(time.perf_counter() - started)
                else:
                    phase.errors += 1
                return

    async def client(number: int) -> None:
        nonlocal ready, connect_seconds
        try:
            async with connect(f"{base}/ws/chat/bench-ws-{run}-{number}", open_timeout=60) as ws:
                json.loads(await ws.recv())  # connection_status
                ready += 1
                if ready == sockets:
                    connect_seconds = time.perf_counter() - connect_started
                    opened.set()
                await opened.wait()  # every socket is open before the first message
                for index in range(turns):
                    await turn(ws, SCRIPT[index % len(SCRIPT)])
        except (OSError, TimeoutError) as err:
            phase.errors += 1
            print(f"socket {number}: {type(err).__name__}: {err}", file=sys.stderr)
            ready += 1
            if ready == sockets:
                opened.set()

    phase.seconds = 0.0
    tasks = [asyncio.create_task(client(n)) for n in range(sockets)]
    await opened.wait()
    started = time.perf_counter()
    await asyncio.gather(*tasks)
    phase.seconds = time.perf_counter() - started
    return phase, connect_seconds


def report(phases: list[Phase], conditions: str) -> None:
    print(conditions)
    print(f"{'':28}{'clients':>8}{'done':>7}{'errors':>7}{'per s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for p in phases:
        print(
            f"{p.label:28}{p.clients:>8}{len(p.latencies):>7}{p.errors:>7}{p.rate:>9.1f}"
            f"{p.percentile(0.50):>9.1f}{p.percentile(0.99):>9.1f}"
        )
    base = phases[0]
    for p in phases[1:]:
        print(
            f"{p.label}: p50 {p.percentile(0.5) / base.percentile(0.5):.1f}× and "
            f"p99 {p.percentile(0.99) / base.percentile(0.99):.1f}× the floor's; "
            f"throughput {p.rate / base.rate:.3f}× the floor's (1 / {base.rate / p.rate:.0f})"
        )


async def measure(url: str, args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        info = (await http.get("/info")).json()
        for _ in range(20):  # warm the catalog index and the code paths
            await http.post("/chat/text", json={"chat_id": "bench-warm", "message": "hola"})
    phases = [await floor(url, args.http_clients, args.floor_requests)]
    phases.append(await http_chat(url, args.http_clients, args.turns))
    ws_phase, connect_seconds = await websocket_chat(url, args.sockets, args.turns)
    phases.append(ws_phase)
    database = database_label(args)
    conditions = (
        f"web throughput, {url} ({database}, LLM: {info['llm_provider']}, "
        f"{info['counts']['products']} products); client and server on one machine "
        f"({os.cpu_count()} cores, Python {platform.python_version()}); {args.turns} turns per "
        f"conversation; {args.sockets} sockets opened in {connect_seconds:.2f} s"
    )
    report(phases, conditions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="A running server (default: start one)")
    parser.add_argument("--database-url", help="The started server's database (default: SQLite)")
    parser.add_argument("--http-clients", type=int, default=50)
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--turns", type=int, default=4)
    parser.add_argument("--floor-requests", type=int, default=5000)
    args = parser.parse_args()
    measure_server(
        measure,
        args,
        prefix="web-bench-",
        env={"CHAT_RATE_LIMIT_PER_MINUTE": "0", "API_RATE_LIMIT_PER_MINUTE": "0"},
    )


if __name__ == "__main__":
    main()
