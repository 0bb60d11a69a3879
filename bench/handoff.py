"""Handoff latency with many open conversations: a customer's message to a staff console, and
a staff reply to the customer's channel.

    .venv/bin/python bench/handoff.py [--url URL --username U --password P]
        [--database-url URL] [--conversations 200] [--samples 200]

Without `--url` it starts `salesagent serve` on a free local port with a fresh SQLite demo
shop (or `--database-url`, an empty database), creates a staff account with
`salesagent staff create`, and stops the server at the end.

Every conversation is a web chat customer on a WebSocket who asked for a person, so all of
them are open and waiting. One staff console is logged in (session cookie, CSRF token) with
its live socket (`/console/ws`) open. Then, one sample at a time:

1. **customer → console**: a customer writes on their socket; measured until the console's
   live socket has the event (*pushed*), and until the console has fetched the conversation's
   view with the message in it (*shown*, what a staff member with it open sees);
2. **staff → channel**: the staff member posts a reply (`/console/conversations/N/reply`, which
   takes the conversation); measured until the customer's socket receives it (through the
   outbox and the web channel's output).

Prints p50/p99 of each, and how long the console's list takes to render with them all open.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import time
import uuid

import httpx
from local_server import database_label, measure_server
from websockets.asyncio.client import ClientConnection, connect

USERNAME = "bench"
PASSWORD = "bench-password-not-secret"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)"')
LOGIN_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def log_in(http: httpx.AsyncClient, username: str, password: str) -> str:
    """Log the console in; the session's CSRF token."""
    form = await http.get("/console/login")
    token = LOGIN_CSRF.search(form.text)
    assert token is not None, "no login form"
    done = await http.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )
    if done.status_code != 303:
        raise SystemExit(f"login refused: {done.status_code}")
    page = await http.get("/console")
    found = CSRF.search(page.text)
    assert found is not None
    return found.group(1)


async def until(ws: ClientConnection, test: object, within: float = 30.0) -> dict[str, object]:
    """The next event on `ws` that `test(event)` accepts."""
    while True:
        event: dict[str, object] = json.loads(await asyncio.wait_for(ws.recv(), within))
        if test(event):  # type: ignore[operator]
            return event


class Customer:
    """A web chat customer with their socket open."""

    def __init__(self, ws: ClientConnection, chat_id: str) -> None:
        self.ws = ws
        self.chat_id = chat_id
        self.conversation_id = 0

    async def say(self, text: str) -> dict[str, object]:
        await self.ws.send(json.dumps({"type": "message", "message": text}))
        return await until(self.ws, lambda e: e["type"] == "response_end")


async def measure(url: str, args: argparse.Namespace) -> None:
    ws_base = "ws" + url.removeprefix("http")
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        csrf = await log_in(http, args.username, args.password)
        cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies.jar)
        info = (await http.get("/info")).json()

        customers: list[Customer] = []
        opened = time.perf_counter()
        for number in range(args.conversations):
            chat_id = f"bench-{uuid.uuid4().hex[:8]}-{number}"
            ws = await connect(f"{ws_base}/ws/chat/{chat_id}", max_queue=None)
            await until(ws, lambda e: e["type"] == "connection_status")
            customers.append(Customer(ws, chat_id))
        async with connect(
            f"{ws_base}/console/ws", additional_headers={"cookie": cookie}, max_queue=None
        ) as console:
            await until(console, lambda e: e["type"] == "hello")

            async def hand_over(customer: Customer) -> None:
                end = await customer.say("quiero hablar con un asesor")
                assert end["owner"] == "waiting_human", end

            await asyncio.gather(*(hand_over(c) for c in customers))
            setup = time.perf_counter() - opened
            events: dict[str, int] = {}  # each chat's conversation id, from the feed
            while len(events) < len(customers):
                event = await until(console, lambda e: e["type"] == "conversation")
                events[str(event["chat_id"])] = int(str(event["conversation_id"]))
            for customer in customers:
                customer.conversation_id = events[customer.chat_id]

            started = time.perf_counter()
            listing = await http.get("/console/list", headers={"accept": "text/x-fragment"})
            list_ms = (time.perf_counter() - started) * 1000
            assert listing.status_code == 200

            pushed: list[float] = []
            shown: list[float] = []
            for sample in range(args.samples):
                customer = customers[sample % len(customers)]
                text = f"mensaje {sample} para el asesor"
                began = time.perf_counter()
                await customer.ws.send(json.dumps({"type": "message", "message": text}))
                await until(
                    console,
                    lambda e, c=customer: (
                        e.get("type") == "conversation"  # type: ignore[misc]
                        and e.get("conversation_id") == c.conversation_id
                    ),
                )
                pushed.append(time.perf_counter() - began)
                view = await http.get(
                    f"/console/conversations/{customer.conversation_id}/live",
                    headers={"accept": "text/x-fragment"},
                )
                assert text in view.text, "the console's view lacks the message"
                shown.append(time.perf_counter() - began)
                await until(customer.ws, lambda e: e["type"] == "response_end")

            delivered: list[float] = []
            scripted = {"accept": "application/json", "x-csrf-token": csrf}
            for sample in range(args.samples):
                customer = customers[sample % len(customers)]
                text = f"Hola, te atiende Bench ({sample})"
                began = time.perf_counter()
                answer = await http.post(
                    f"/console/conversations/{customer.conversation_id}/reply",
                    data={"text": text},
                    headers=scripted,
                )
                assert answer.status_code == 200, answer.text
                await until(
                    customer.ws,
                    lambda e, t=text: e["type"] == "message" and e.get("content") == t,  # type: ignore[misc]
                )
                delivered.append(time.perf_counter() - began)
        for customer in customers:
            await customer.ws.close()

    database = database_label(args)
    print(
        f"handoff latency, {url} ({database}, LLM: {info['llm_provider']}); client and server "
        f"on one machine ({os.cpu_count()} cores, Python {platform.python_version()}); "
        f"{len(customers)} open conversations waiting for staff (set up in {setup:.1f} s), one "
        f"console logged in; {args.samples} samples each, one at a time"
    )
    print(f"{'':44}{'p50 ms':>9}{'p99 ms':>9}")
    rows = [
        ("customer message → console event (pushed)", pushed),
        ("customer message → shown in the console", shown),
        ("staff reply → delivered to the customer", delivered),
    ]
    for label, values in rows:
        print(f"{label:44}{percentile(values, 0.5):>9.1f}{percentile(values, 0.99):>9.1f}")
    print(f"the console's list with them open: {list_ms:.1f} ms ({len(listing.text)} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="A running server (default: start one)")
    parser.add_argument("--username", default=USERNAME, help="A staff account (with --url)")
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--database-url", help="The started server's database (default: SQLite)")
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    measure_server(
        measure,
        args,
        prefix="handoff-bench-",
        env={"CHAT_RATE_LIMIT_PER_MINUTE": "0", "HANDOFF_WAIT_SECONDS": "86400"},
        staff=(USERNAME, PASSWORD),
    )


if __name__ == "__main__":
    main()
