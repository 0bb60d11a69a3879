"""A live server for REST API tests: the app under uvicorn on a free local port, and keys."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from agent.api_keys import create_key
from agent.app import create_app
from agent.db import create_engine, create_sessionmaker
from agent.settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[str]:
    """Serve the app as `salesagent serve` does (proxy headers per settings); yields its URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def new_key(settings: Settings, name: str = "tests") -> str:
    """A fresh API key in the settings' database."""
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            _row, key = await create_key(session, name=name)
    finally:
        await engine.dispose()
    return key
