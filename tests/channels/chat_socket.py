"""The web chat's WebSocket as the tests speak it: events read, messages sent, turns awaited."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection


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
