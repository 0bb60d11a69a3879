"""A live server for web channel tests: the app under uvicorn on a free port, and its runtime."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection

from agent.app import create_app
from agent.runtime import Runtime
from agent.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class LiveServer:
    """A running app: its HTTP and WebSocket addresses, and the runtime inside it."""

    url: str
    app: FastAPI

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http")

    def chat_url(self, chat_id: str) -> str:
        return f"{self.ws_url}/ws/chat/{chat_id}"

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime


@asynccontextmanager
async def serving(settings: Settings, *, port: int | None = None) -> AsyncIterator[LiveServer]:
    """Serve the app on 127.0.0.1 (on `port`, or a free one) until the block ends."""
    port = port or free_port()
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        await task


async def next_event(ws: ClientConnection, within: float = 10.0) -> dict[str, Any]:
    """The next event the server sent, as a dict (heartbeat pings skipped)."""
    while True:
        event: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), within))
        if event["type"] != "ping":
            return event


async def turn_events(ws: ClientConnection, within: float = 30.0) -> list[dict[str, Any]]:
    """The events of one turn, from `processing` to `response_end`."""
    events: list[dict[str, Any]] = []
    while not events or events[-1]["type"] != "response_end":
        events.append(await next_event(ws, within))
    return events


async def say(ws: ClientConnection, text: str, **fields: Any) -> list[dict[str, Any]]:
    """Send a message and return the events of its turn."""
    await ws.send(json.dumps({"type": "message", "message": text, **fields}))
    return await turn_events(ws)
